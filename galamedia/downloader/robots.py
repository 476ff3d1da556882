"""robots.txt as RFC 9309 reads it: an unreachable robots.txt forbids, a missing one allows."""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro

from galamedia.rules.arguments import CrawlArguments
from galamedia.signals import crawl_planned

logger = logging.getLogger(__name__)

CLOSE_REASON = "robots_unavailable"


class DisallowAll(RobotParser):
    """The rules of a site whose robots.txt could not be read: nothing may be fetched."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        return cls()

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, minus its "allow all" on a server error.

    Workaround: stock Scrapy treats a robots.txt that answers 5xx, times out or drops the
    connection as "allow all"; RFC 9309 §2.3.1.4 says to assume complete disallow. The
    robots.txt request goes through the retry middleware first, so a passing fault is retried
    with back-off; if it persists, nothing is crawled and the spider closes with reason
    `robots_unavailable`. A 4xx (no robots.txt) still allows everything (§2.3.1.3).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.sites: frozenset[str] = frozenset()
        """The hosts the crawl is for (from the spider's plan)."""
        crawler.signals.connect(self.crawl_planned, signal=crawl_planned)

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.sites = frozenset(arguments.allowed_hosts)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status < 500:
            await super()._parse_robots(response, netloc, request)
            return
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self._unavailable(netloc, f"HTTP {response.status}")

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
        self._unavailable(netloc, repr(exc))

    def _unavailable(self, netloc: str, why: str) -> None:
        logger.error(
            "robots.txt of %s unavailable (%s): nothing there may be crawled", netloc, why
        )
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser = DisallowAll()
        if not isinstance(waiting, RobotParser) and waiting is not None:
            waiting.callback(parser)
        self._stats.inc_value("robotstxt/unavailable")
        # One site of several: the others go on. The only site: nothing left to do.
        if len(self.sites) <= 1:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))
