"""Block pages are recognised on any status, never parsed, and a blocked crawl stops."""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from galamedia.challenge import block_marker
from galamedia.outcomes import Rejection

logger = logging.getLogger(__name__)


class BlockDetectionMiddleware:
    """Turns challenge and "access denied" pages (403, 503 or 200) into `Rejection("blocked")`.

    After `BLOCKED_CLOSE_AFTER` block pages in a row the spider closes with reason `blocked`:
    a crawl that is being blocked stops instead of hammering the site.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.close_after = crawler.settings.getint("BLOCKED_CLOSE_AFTER")
        self.consecutive = 0
        self._closing: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        mitigated = response.headers.get(b"cf-mitigated") == b"challenge"
        text = response.text if isinstance(response, TextResponse) else ""
        marker = block_marker(text, status=response.status, mitigated=mitigated)
        if marker is None:
            if response.status < 400:
                self.consecutive = 0
            return response
        self.consecutive += 1
        self.crawler.stats.inc_value("blocked/responses")
        logger.warning("blocked at %s (%s), %d in a row", request.url, marker, self.consecutive)
        if self.consecutive >= self.close_after and self._closing is None:
            logger.error("%d block pages in a row: closing the crawl", self.consecutive)
            self._closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="blocked")
            )
        raise Rejection("blocked", marker)
