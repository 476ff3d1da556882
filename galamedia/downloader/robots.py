"""robots.txt as RFC 9309 reads it: an unreachable robots.txt forbids, a missing one allows."""

from __future__ import annotations

import logging
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from galamedia.accounting.outcomes import (
    ROBOTS_UNAVAILABLE,
    ROBOTS_UNAVAILABLE_CAUSE,
    Rejection,
    download_cause,
    robots_unreadable,
)
from galamedia.rules.arguments import CrawlArguments
from galamedia.signals import crawl_planned

logger = logging.getLogger(__name__)

CLOSE_REASON = "robots_unavailable"


class DisallowAll(RobotParser):
    """The rules of a site whose robots.txt could not be read: nothing may be fetched."""

    def __init__(self, cause: str = "unavailable") -> None:
        self.cause = cause
        """Why the robots.txt could not be read (`connection refused`, `HTTP 503` …)."""

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

    Why is said once, in plain words: one error line (`robots.txt of 127.0.0.1:8000
    unreachable: connection refused`), not the traceback stock Scrapy logs for a network
    fault, and the cause is kept per host (stat `robotstxt/unavailable_cause/<host>`) for the
    verdict to give. The site's requests are then refused as `robots_unavailable`, not as
    "Forbidden by robots.txt", which they are not.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.sites: frozenset[str] = frozenset()
        """The hosts the crawl is for (from the spider's plan)."""
        crawler.signals.connect(self.crawl_planned, signal=crawl_planned)

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.sites = frozenset(arguments.allowed_hosts)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Scrapy's, but a download that failed (after its retries) is logged once, without
        a traceback: a network fault is not a bug."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots)
            except Exception as error:  # a download that failed: every failure forbids the site
                self._robots_error(error, netloc)
            else:
                try:
                    await self._parse_robots(response, netloc, request)
                except Exception as error:  # a bug, not a fault of the site: its traceback
                    logger.exception("robots.txt of %s could not be parsed", netloc)
                    self._robots_error(error, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, DisallowAll):
            host = urlsplit(request.url).hostname or ""
            raise Rejection(ROBOTS_UNAVAILABLE, robots_unreadable(host, rp.cause))
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status < 500:
            await super()._parse_robots(response, netloc, request)
            return
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self._unavailable(netloc, f"HTTP {response.status}")

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
        self._unavailable(netloc, download_cause(exc))

    def _unavailable(self, netloc: str, cause: str) -> None:
        logger.error("%s; nothing there may be crawled", robots_unreadable(netloc, cause))
        host = urlsplit(f"//{netloc}").hostname or netloc
        self._stats.set_value(f"{ROBOTS_UNAVAILABLE_CAUSE}{host}", cause)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser = DisallowAll(cause)
        if not isinstance(waiting, RobotParser) and waiting is not None:
            waiting.callback(parser)
        self._stats.inc_value("robotstxt/unavailable")
        # One site of several: the others go on. The only site: nothing left to do.
        if len(self.sites) <= 1:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))
