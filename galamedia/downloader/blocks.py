"""Block pages are recognised on any status, never parsed, and a blocked site is left alone."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from galamedia.accounting.outcomes import BLOCKED_CAUSE, Rejection
from galamedia.rules.arguments import CrawlArguments
from galamedia.rules.blocks import block_marker
from galamedia.rules.urls import parse_article_url
from galamedia.signals import crawl_planned

logger = logging.getLogger(__name__)


class BlockDetectionMiddleware:
    """Turns challenge and "access denied" pages (403, 503 or 200) into `Rejection("blocked")`.

    After `BLOCKED_CLOSE_AFTER` block pages from one site with no article page between them,
    that site is given up:
    its remaining requests are not sent. When every site of the crawl is given up, the crawl
    closes with reason `blocked` instead of hammering anyone.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.close_after = crawler.settings.getint("BLOCKED_CLOSE_AFTER")
        self.in_a_row: Counter[str] = Counter()
        self.given_up: set[str] = set()
        self.sites: frozenset[str] = frozenset()
        """The hosts the crawl is for (from the spider's plan)."""
        self._closing: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.crawl_planned, signal=crawl_planned)
        return middleware

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.sites = frozenset(arguments.allowed_hosts)

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if host in self.given_up:
            raise Rejection("blocked", f"{host} blocked the crawl: not asked again")

    def process_response(self, request: Request, response: Response) -> Response:
        host = urlsplit(request.url).hostname or ""
        mitigated = response.headers.get(b"cf-mitigated") == b"challenge"
        text = response.text if isinstance(response, TextResponse) else ""
        marker = block_marker(text, status=response.status, mitigated=mitigated)
        if marker is None:
            # An article that came through ends the run of blocks; a listing page does not,
            # or a site that blocks its articles but not its index would never be given up.
            if response.status < 400 and parse_article_url(request.url) is not None:
                self.in_a_row[host] = 0
            return response
        self.in_a_row[host] += 1
        self.crawler.stats.inc_value("blocked/responses")
        # Logged once, by whoever accounts for the request (an article's `not written` line).
        logger.debug("blocked at %s (%s), %d in a row", request.url, marker, self.in_a_row[host])
        if self.in_a_row[host] >= self.close_after and host not in self.given_up:
            self._give_up(host, marker)
        raise Rejection("blocked", f"{marker}, {self.in_a_row[host]} in a row")

    def _give_up(self, host: str, marker: str) -> None:
        self.given_up.add(host)
        self.crawler.stats.inc_value("blocked/sites")
        cause = f"{self.close_after} block pages in a row (the last: {marker})"
        self.crawler.stats.set_value(f"{BLOCKED_CAUSE}{host}", cause)
        logger.error("%s blocked the crawl: %s; leaving this site alone", host, cause)
        if (self.sites or {host}) <= self.given_up and self._closing is None:
            self._closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="blocked")
            )
