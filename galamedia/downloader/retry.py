"""Retries that wait: exponential back-off with jitter, `Retry-After`, and a slower site."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)

# Statuses that say "too much, too fast": the whole site slows down, not just this request.
SLOW_DOWN_STATUSES = frozenset({429, 503})
# A site penalty below this (seconds) is over.
MIN_PENALTY = 0.05


async def pause(seconds: float) -> None:
    """Wait before a retry: the one place the downloader middlewares wait (tests record it)."""
    await asyncio.sleep(seconds)


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait before retry number `attempt + 1`: `base × 2ⁿ`, capped, with ±50 % jitter."""
    return min(cap, base * 2.0**attempt) * random.uniform(0.5, 1.5)


def retry_after_seconds(value: bytes | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class BackoffRetryMiddleware:
    """Scrapy's retries, but spaced out: stock Scrapy sends three within ~0.1 s.

    Each retry of a request waits `RETRY_BACKOFF_BASE × 2ⁿ` seconds (capped by
    `RETRY_BACKOFF_MAX`, with ±50 % jitter so parallel retries do not come back together), or
    what the server's `Retry-After` asks (capped by `RETRY_AFTER_MAX`). A 429 or 503 also
    raises the site's download delay to at least that wait; each good response afterwards
    lowers it by `SITE_DELAY_RECOVERY` (a factor), down to where it was.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = frozenset(
            int(code) for code in settings.getlist("RETRY_HTTP_CODES")
        )
        self.exceptions_to_retry = tuple(
            load_object(path) if isinstance(path, str) else path
            for path in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")
        self.recovery = settings.getfloat("SITE_DELAY_RECOVERY")
        self.site_delay_max = settings.getfloat("SITE_DELAY_MAX")
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self._penalties: dict[str, float] = {}
        self._base_delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            self._recover(request)
            return response
        wait = self._wait(request, response)
        if response.status in SLOW_DOWN_STATUSES:
            self._slow_down(request, wait)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await pause(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        wait = self._wait(request, None)
        retry = self._retry(request, exception)
        if retry is not None:
            await pause(wait)
        return retry

    def _wait(self, request: Request, response: Response | None) -> float:
        if response is not None:
            header = response.headers.get(b"Retry-After")
            asked = retry_after_seconds(header, now=datetime.now(UTC))
            if asked is not None:
                return min(asked, self.retry_after_max)
        attempt = int(request.meta.get("retry_times", 0))
        return backoff_seconds(attempt, self.backoff_base, self.backoff_max)

    def _retry(self, request: Request, reason: str | Exception) -> Request | None:
        assert self.crawler.spider is not None  # requests only flow while a spider runs
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )

    def _slow_down(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        self._base_delays.setdefault(key, slot.delay)
        # What the site asked for (or the back-off), capped: never doubled on each 503, which
        # made a site answering 15 % 503s slow down without end.
        penalty = min(self.site_delay_max, max(wait, self._penalties.get(key, 0.0)))
        self._penalties[key] = penalty
        slot.delay = max(slot.delay, penalty)
        self.crawler.stats.inc_value("retry/site_slowed_down")
        logger.warning("%s asked to slow down: download delay now %.1f s", key, slot.delay)

    def _recover(self, request: Request) -> None:
        """A good response: the site's delay comes down a little, not at once."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        penalty = self._penalties.get(key)
        slot = downloader.slots.get(key)
        if penalty is None or slot is None:
            return
        penalty *= self.recovery
        # AutoThrottle, when on, has already set this response's delay: keep the higher one.
        floor = slot.delay if self.autothrottle else self._base_delays[key]
        # Over when back at the usual delay, or negligible: a bounded number of good responses
        # (12 from the 120 s cap at 0.5 each), even when the usual delay is 0.
        if penalty <= max(self._base_delays[key], MIN_PENALTY):
            del self._penalties[key]
            slot.delay = floor
        else:
            self._penalties[key] = penalty
            slot.delay = max(floor, penalty)
