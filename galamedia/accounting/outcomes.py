"""What becomes of a discovered article URL when it does not become an item."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure

from galamedia.signals import not_written

logger = logging.getLogger(__name__)

REQUEST_KIND = "galamedia_kind"
"""Request meta: what the spider asked for (`listing`, `article` …; see the spider's table)."""
LISTING_KINDS = frozenset({"listing", "robots", "sitemap", "feed"})
"""Request kinds whose loss leaves the walk incomplete."""


class Rejection(IgnoreRequest):
    """A response the crawl will not use, with the reason it is counted under.

    Raised by the downloader middlewares (a block page, a page still cut after the retries),
    which sends the request to its errback, and by the page objects (a soft 404, a page with
    no body), which the spider accounts for.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Outcomes that mean an article could not be collected, as opposed to a URL that is simply not
# wanted (out of the window, a duplicate, a video page): they count towards a failed run.
FAILURE_REASONS = frozenset(
    {
        "blocked",
        "truncated",
        "empty",
        "encoding",
        "incomplete",
        "gave_up_after_retries",
        "timeout",
        "connection",
        "parse_error",
        "not_html",
        "ignored",
        "offsite",
        "robots_forbidden",
        "too_large",
        "download_error",
        "redirect_loop",
    }
)


def is_failure(reason: str) -> bool:
    """True when `reason` means the article was lost (an HTTP error status counts too)."""
    return reason in FAILURE_REASONS or reason.startswith("http_")


def record(crawler: Crawler, url: str, reason: str, detail: str) -> None:
    """Account for a URL that does not become an item: counted, logged, reported at the end."""
    crawler.stats.inc_value(f"articles/not_written/{reason}")
    if is_failure(reason):
        crawler.stats.inc_value("articles/failed")
        logger.error("not written: %s (%s: %s)", url, reason, detail)
    else:
        logger.debug("not written: %s (%s: %s)", url, reason, detail)
    crawler.signals.send_catch_log(not_written, url=url, reason=reason, detail=detail)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """The reason and detail under which a failed request is accounted."""
    error = failure.value
    if isinstance(error, Rejection):
        return error.reason, error.detail
    if isinstance(error, HttpError):
        return f"http_{error.response.status}", "error status after retries"
    if isinstance(error, IgnoreRequest):
        message = str(error)
        if "offsite" in message:
            return "offsite", message  # a redirect away from the crawled origin
        if "robots.txt" in message:
            return "robots_forbidden", message
        return "ignored", message
    if isinstance(error, DownloadTimeoutError):
        return "timeout", str(error)
    if isinstance(error, DownloadCancelledError):
        return "too_large", str(error)
    if isinstance(error, ResponseDataLossError):
        return "truncated", str(error)
    if isinstance(
        error,
        DownloadConnectionRefusedError
        | DownloadFailedError
        | CannotResolveHostError
        | ConnectError,
    ):
        return "connection", repr(error)
    return "download_error", repr(error)
