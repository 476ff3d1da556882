"""In-process crawls with the project's settings, collecting items through the signal."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred, inlineCallbacks

from galamedia import settings
from galamedia.spiders.articles import ArticlesSpider

# Politeness off: the local server is ours and the tests must not wait.
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.01,
    "LOG_LEVEL": "INFO",
}


def project_settings(**overrides: Any) -> dict[str, Any]:
    """`galamedia/settings.py` as `scrapy crawl` reads it, with the tests' overrides."""
    ours = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    return {**ours, **FAST, **overrides}


class CrawlResult:
    def __init__(self, crawler: Crawler, items: list[Any]) -> None:
        self.crawler = crawler
        self.items = items

    def stat(self, key: str) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_value(key)

    def stats_with_prefix(self, prefix: str) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith(prefix)}


@inlineCallbacks
def crawl(settings: dict[str, Any] | None = None, **spider_args: Any) -> Deferred[CrawlResult]:
    crawler = get_crawler(ArticlesSpider, project_settings(**(settings or {})))
    items: list[Any] = []

    def collect(item: Any) -> None:
        items.append(item)

    crawler.signals.connect(collect, signal=signals.item_scraped)
    yield crawler.crawl(**spider_args)
    return CrawlResult(crawler, items)
