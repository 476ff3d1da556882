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
# What a callback yields goes through the item pipelines this many at a time. Scrapy 2.13+
# starts that many asyncio tasks for every response, whatever it yields (scrapy/scrapy#5182):
# at the default 100 that was 0.6 ms of CPU per article page, and our callbacks yield one item
# or a few requests, through synchronous pipelines, so one at a time loses nothing.
CONCURRENT_ITEMS = 1
# Adapt to the server's latency; never aim for more than 2 requests in flight.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Scrapers that worked on this site waited up to 30 s for slow pages.
DOWNLOAD_TIMEOUT = 30
# Article pages are ~150 KiB; anything past 10 MiB is not an article.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# A sitemap may hold 50,000 URLs and 50 MB uncompressed (sitemaps.org): at Galamedia's URL length
# a full one is ~10 MiB, at the page limit above, and one past it would fail the run.
SITEMAP_MAXSIZE = 50 * 1024 * 1024
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
    # off unless STATE_PATH or STATE_URL is set (galamedia.incremental.state.IncrementalState)
    "galamedia.incremental.pipeline.IncrementalPipeline": 300,
}
EXTENSIONS = {
    # Judges the run when the spider closes, before the feed storage (Scrapy's FeedExporter, 0)
    # and everything else that acts on the verdict: so its priority comes first.
    "galamedia.accounting.verdict.RunVerdict": -100,
    # Reports the run once the engine stopped (the feeds stored), before the state closes:
    # both on `engine_stopped`, so it comes before the state here.
    "galamedia.monitoring.report.RunReporter": -95,
    # Opens STATE_PATH (locked) or STATE_URL as the crawl is set up; off without either.
    "galamedia.incremental.state.IncrementalState": -90,
    # Indexes the WARC files of `-a warc` as the crawl is set up; off without it.
    "galamedia.archive.replay.ArchiveReplay": -85,
    "galamedia.monitoring.progress.Progress": 510,
}
# A progress line per site this often (seconds); 0 turns it off.
PROGRESS_INTERVAL = 60.0
DOWNLOADER_MIDDLEWARES = {
    # only the crawled origin, and a redirect away from it accounted, not dropped silently
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "galamedia.downloader.offsite.AccountingOffsiteMiddleware": 50,
    # robots.txt that cannot be read forbids everything (RFC 9309), not the reverse
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "galamedia.downloader.robots.StrictRobotsTxtMiddleware": 100,
    # block pages after the retries (a challenge 503 once is a passing fault)
    "galamedia.downloader.blocks.BlockDetectionMiddleware": 540,
    # retries that wait, and slow the site down on 429/503
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "galamedia.downloader.retry.BackoffRetryMiddleware": 550,
    # truncated, empty or mis-decoded pages, before the retries see them
    "galamedia.downloader.integrity.IntegrityMiddleware": 565,
    # a compressed body that cannot be decoded is fetched again, not lost at once
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "galamedia.downloader.compression.RetryingHttpCompressionMiddleware": 590,
    # WARC_DIR: each download as it arrived (redirects, error statuses, each retry, robots.txt,
    # the body still content-encoded), so nearest the downloader, after HttpCacheMiddleware
    "galamedia.archive.capture.WarcCaptureMiddleware": 950,
}

# Retries: 4 more attempts, waiting ~1, 2, 4, 8 s (±50 %), or what Retry-After asks, up to 2 min.
RETRY_TIMES = 4
# A request that ran out of retries is one lost URL (its `not written` line says so); whether
# that fails the run is the verdict's to say, at the end: not an ERROR line of its own.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 120.0
# After a 429/503 the site's delay rises to the wait, then halves with each good response: at
# 0.9 a site answering 15 % 503s (Retry-After 1-3 s) never got its delay back between two of
# them, and the crawl took 6.5 x its healthy time (benchmarks/faults.py).
SITE_DELAY_RECOVERY = 0.5
SITE_DELAY_MAX = 120.0
# Close the crawl (reason `blocked`) after this many block pages in a row.
BLOCKED_CLOSE_AFTER = 5
# A run that loses more than this share of the articles it requested fails (exit code 1) …
FAILED_ARTICLES_MAX_RATIO = 0.10
# … once it lost more than this many: a few permanent failures never fail a run.
FAILED_ARTICLES_ALLOWED = 3
# A JOBDIR job killed mid-run starts afresh instead of ending at once with nothing.
SCHEDULER = "galamedia.scheduling.jobdir.JobDirScheduler"
# A redirect to a page already fetched is accounted as a duplicate, not dropped silently.
DUPEFILTER_CLASS = "galamedia.scheduling.dupefilter.AccountingDupeFilter"
# Scheduled runs: `-s STATE_PATH=state.sqlite` turns the incremental state on (README).
STATE_PATH = ""
# … or `-s STATE_URL=postgresql://user@host/db`: the state in PostgreSQL, for crawls on several
# machines, one crawl of a site at a time (the `dist` extra; README). Not both.
STATE_URL = ""
# Without `since`, a run starts where the last successful one started, less this overlap.
STATE_OVERLAP_HOURS = 2.0
# Exported articles published this recently (before the window's end) are fetched again for edits.
REFRESH_HOURS = 48.0
# The drift canary (galamedia/monitoring/drift.py): this run against the last DRIFT_HISTORY
# successful ones, once there are DRIFT_MIN_RUNS of them; each threshold is documented there.
DRIFT_HISTORY = 10
DRIFT_MIN_RUNS = 3
DRIFT_RATE_DROP = 0.5
DRIFT_FIELD_MIN = 0.5
DRIFT_FIELD_DROP = 0.3
DRIFT_MIN_ITEMS = 5
DRIFT_FAILURE_JUMP = 0.1
DRIFT_FALLBACK_RISE = 0.5
# Where the JSON run report goes; empty: beside the first file feed (`out.jsonl.report.json`).
RUN_REPORT = ""
# `-s WARC_DIR=warc` keeps every response, with its request, in WARC files there (README).
WARC_DIR = ""
# A WARC file is completed, and the next one started, once it reaches this size.
WARC_MAX_SIZE = 1024**3
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {"csv": "galamedia.export.exporters.CsvItemExporter"}
# `-O out.jsonl` replaces the previous file only when the run succeeded (export/storage.py).
FEED_STORAGES = {
    "": "galamedia.export.storage.AtomicFileFeedStorage",
    "file": "galamedia.export.storage.AtomicFileFeedStorage",
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
