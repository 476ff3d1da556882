"""The end-of-crawl summary: what was asked, walked, written, and what was not, by reason."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Stats whose counts are things not written, and the reason each stands for.
_NOT_WRITTEN_PREFIXES = {
    "articles/rejected/": "",
    "articles/skipped/": "",
    "articles/dropped/": "",
    "httperror/response_ignored_status_count/": "http_",
}
_NOT_WRITTEN_KEYS = {
    "articles/incomplete": "incomplete",
    "retry/max_reached": "gave_up_after_retries",
    # a request for a URL already requested, e.g. a redirect to a page already fetched
    "dupefilter/filtered": "duplicate_request",
}


def not_written(stats: Mapping[str, Any]) -> dict[str, int]:
    """Counts of everything that did not become an item, by reason, largest first."""
    reasons: dict[str, int] = {}
    for key, value in stats.items():
        reason = _NOT_WRITTEN_KEYS.get(key)
        for prefix, label in _NOT_WRITTEN_PREFIXES.items():
            if key.startswith(prefix):
                reason = label + key.removeprefix(prefix)
        if reason is not None:
            reasons[reason] = reasons.get(reason, 0) + int(value)
    return dict(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])))


def summarize(stats: Mapping[str, Any], *, window: object, reason: str) -> str:
    """The summary a person reads in ten seconds at the end of the log."""
    skipped = not_written(stats)
    lines = [
        f"Crawl {reason}.",
        f"  window:               {window or 'none (article URLs given)'}",
        f"  listing pages walked: {stats.get('articles/listing_pages', 0)}",
        f"  article pages:        {stats.get('articles/pages_fetched', 0)}",
        f"  items written:        {stats.get('item_scraped_count', 0)}",
        "  not written:          "
        + (", ".join(f"{name} {count}" for name, count in skipped.items()) or "nothing"),
    ]
    return "\n".join(lines)


class CrawlSummary:
    """Logs `summarize()` when the spider closes."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        arguments = getattr(spider, "arguments", None)
        window = getattr(arguments, "window", None)
        logger.info("%s", summarize(self.stats.get_stats(), window=window, reason=reason))
