"""Scrapy settings: polite defaults, each overridable with `-s NAME=VALUE`."""

from __future__ import annotations

BOT_NAME = "galamedia"
SPIDER_MODULES = ["galamedia.spiders"]
NEWSPIDER_MODULE = "galamedia.spiders"
# `crawl` checks the spider's arguments before any request (galamedia/commands/crawl.py).
COMMANDS_MODULE = "galamedia.commands"

# Identify honestly, with a place to read about the crawler; none of the agents robots.txt bans.
USER_AGENT = "galamedia-crawler/0.1 (+https://github.com/galamedia-crawler/galamedia-crawler)"
# The site's own rules come first.
ROBOTSTXT_OBEY = True
# One site, a small news CMS behind Cloudflare: stay well under what a reader's browser does.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# Adapt to the server's latency; never aim for more than 2 requests in flight.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Scrapers that worked on this site waited up to 30 s for slow pages.
DOWNLOAD_TIMEOUT = 30
# Article pages are ~150 KiB; anything past 10 MiB is not an article.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    # The site is Indonesian; ask for it rather than risk a translated variant.
    "Accept-Language": "id-ID,id;q=0.9",
}
# Off by default so every run sees the live site; see the README to turn it on while developing.
HTTPCACHE_ENABLED = False

ITEM_PIPELINES = {
    "galamedia.pipelines.ValidateArticlePipeline": 100,
    "galamedia.pipelines.DeduplicateArticlePipeline": 200,
}
EXTENSIONS = {
    "galamedia.summary.CrawlSummary": 500,
}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {"csv": "galamedia.exporters.CsvItemExporter"}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
