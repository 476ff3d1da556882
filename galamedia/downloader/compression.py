"""Compressed bodies: one that cannot be decoded is fetched again, like a truncated page."""

from __future__ import annotations

import logging
import zlib
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from galamedia.accounting.outcomes import Rejection
from galamedia.downloader import retry as retries

logger = logging.getLogger(__name__)

# What a corrupt gzip, deflate or cut-short stream raises while being decoded (`BadGzipFile`
# is an `OSError`).
DECODING_ERRORS = (OSError, EOFError, zlib.error)


class RetryingHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression; a body that fails to decode is retried with back-off, then
    recorded as `decoding`.

    Workaround: stock Scrapy lets the decoding error reach the request's errback at once, so a
    corrupt response (which the next attempt usually gets right) lost its article, and one on
    an index page failed the run.
    """

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        too_large: str | None = None
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:  # a body past DOWNLOAD_MAXSIZE once decompressed
            too_large = str(error)
        except DECODING_ERRORS as error:
            problem = f"{type(error).__name__}: {error}"
        # Raised here, outside the `except`: chained to the original error, the new one would
        # keep its traceback, and with it the decompressed buffer (up to DOWNLOAD_MAXSIZE per
        # bomb), alive until a garbage collection: memory grew with every bomb.
        if too_large is not None:
            raise Rejection("too_large", too_large)
        assert self.crawler.spider is not None  # responses only flow while a spider runs
        again = get_retry_request(request, spider=self.crawler.spider, reason="decoding")
        if again is None:
            self.crawler.stats.inc_value("integrity/decoding")
            raise Rejection("decoding", f"compressed body could not be decoded ({problem})")
        logger.warning("%s: compressed body could not be decoded (%s)", request.url, problem)
        settings = self.crawler.settings
        attempt = int(request.meta.get("retry_times", 0))
        await retries.pause(  # looked up here: the one place the waits go through (tests)
            retries.backoff_seconds(
                attempt,
                settings.getfloat("RETRY_BACKOFF_BASE"),
                settings.getfloat("RETRY_BACKOFF_MAX"),
            )
        )
        return again
