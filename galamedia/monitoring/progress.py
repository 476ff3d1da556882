"""Progress on long work: a line per site every `PROGRESS_INTERVAL` seconds, and at the end."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from galamedia.accounting.outcomes import is_failure
from galamedia.rules.urls import parse_article_url, site_of
from galamedia.signals import article_listed, listing_read, not_written

logger = logging.getLogger(__name__)


class Progress:
    """Logs, per site: the date the walk has reached, listing pages and articles done, items
    written, failures, and the rate, so a person can tell how far a backfill got.

    A line per site every `PROGRESS_INTERVAL` seconds, and a last one when the spider closes.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if self.interval <= 0:
            raise NotConfigured
        self.crawler = crawler
        self.items: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.articles: Counter[str] = Counter()
        self.listing_pages: Counter[str] = Counter()
        self.reached: dict[str, datetime] = {}
        """Per site, the oldest listed date inside the window: listings go newest first."""
        self.started = time.monotonic()
        self.task: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        progress = cls(crawler)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(progress.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(progress.url_not_written, signal=not_written)
        crawler.signals.connect(progress.response_received, signal=signals.response_received)
        crawler.signals.connect(progress.listing_read, signal=listing_read)
        crawler.signals.connect(progress.article_listed, signal=article_listed)
        return progress

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log()

    def listing_read(self, url: str) -> None:
        self.listing_pages[_site(url)] += 1

    def article_listed(self, url: str, listed_at: datetime | None) -> None:
        host = _site(url)
        if listed_at is not None and (host not in self.reached or listed_at < self.reached[host]):
            self.reached[host] = listed_at

    def item_scraped(self, item: Any) -> None:
        self.items[str(ItemAdapter(item).get("site"))] += 1

    def url_not_written(self, url: str, reason: str, detail: str) -> None:
        if is_failure(reason):
            self.failures[_site(url)] += 1

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        if parse_article_url(response.url) is not None:
            self.articles[_site(response.url)] += 1

    def log(self) -> None:
        minutes = max((time.monotonic() - self.started) / 60, 1e-9)
        hosts = sorted(set(self.listing_pages) | set(self.articles) | set(self.items))
        for host in hosts:
            reached = self.reached.get(host)
            logger.info(
                "progress %s: walk reached %s; %d listing pages, %d article pages, %d items,"
                " %d failed; %.1f items/min",
                host,
                reached.isoformat(timespec="minutes") if reached else "-",
                self.listing_pages[host],
                self.articles[host],
                self.items[host],
                self.failures[host],
                self.items[host] / minutes,
            )


def _site(url: str) -> str:
    """The site a URL is counted under: the `site` of its items (a local copy's has its port)."""
    return site_of(url)
