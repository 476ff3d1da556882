"""What becomes of a discovered article URL when it does not become an item."""

from __future__ import annotations

import errno
import logging
import ssl
from collections.abc import Iterator

from OpenSSL import SSL
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
from twisted.internet import error as tx
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from galamedia.signals import not_written

logger = logging.getLogger(__name__)

REQUEST_KIND = "galamedia_kind"
"""Request meta: what the spider asked for (`listing`, `article` …; see the spider's table)."""
LISTING_KINDS = frozenset({"listing", "robots", "sitemap", "feed"})
"""Request kinds whose loss leaves the walk incomplete."""
ROBOTS_UNAVAILABLE = "robots_unavailable"
"""The outcome of a request to a site whose robots.txt could not be read: never sent."""
ROBOTS_UNAVAILABLE_CAUSE = "robotstxt/unavailable_cause/"
"""Stat, per host whose robots.txt could not be read: why (`connection refused`, `HTTP 503`)."""
BLOCKED_CAUSE = "blocked/cause/"
"""Stat, per host left alone because it blocked the crawl: why (the block pages seen)."""


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
        ROBOTS_UNAVAILABLE,
        "too_large",
        "download_error",
        "redirect_loop",
        "decoding",
        # a page that could not be read, or that holds no article where articles are
        "unparseable",
        "no_body_container",
        "empty_body",
        # replaying an archive (`-a warc`) that never captured the URL
        "not_in_archive",
    }
)


# Outcomes of an article the consumer already has as it is, from an earlier run's export: the
# article unchanged, or the tombstone of one still gone. Delivered, like an item.
DELIVERED_EARLIER = frozenset({"unchanged", "already_removed"})


def is_failure(reason: str) -> bool:
    """True when `reason` means the article was lost: an HTTP error status counts too, and an
    item dropped for a missing field (`missing_title` …): that is an absence, not a finding."""
    return reason in FAILURE_REASONS or reason.startswith(("http_", "missing_"))


def record(crawler: Crawler, url: str, reason: str, detail: str) -> None:
    """Account for a URL that does not become an item: counted, logged, reported at the end.

    A lost article is one warning line: whether the losses fail the run is the verdict's to
    say (at the end, as an error), not each loss's.
    """
    crawler.stats.inc_value(f"articles/not_written/{reason}")
    if is_failure(reason):
        crawler.stats.inc_value("articles/failed")
        logger.warning("not written: %s (%s: %s)", url, reason, detail)
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


# A download failure in a few plain words, most specific first: a failure wraps others (Scrapy's
# `DownloadFailedError` from Twisted's `ResponseFailed`, which holds the TLS error), and the
# first row matching any of them names it.
_CAUSES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, tx.DNSLookupError), "DNS lookup failed"),
    ((DownloadConnectionRefusedError, tx.ConnectionRefusedError), "connection refused"),
    ((SSL.Error, tx.SSLError, ssl.SSLError), "TLS error"),
    ((DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError, TimeoutError), "timed out"),
    ((ResponseDataLossError,), "response cut short"),
    ((tx.ConnectionClosed, ResponseFailed, DownloadFailedError), "connection lost"),
)
_OS_ERRORS = {
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ECONNRESET: "connection lost",
}
NETWORK_CAUSES = frozenset(
    {
        "DNS lookup failed",
        "connection refused",
        "timed out",
        "connection lost",
        "network unreachable",
        "no route to host",
    }
)
"""Causes that a missing or broken network would give: worth asking whether it is up."""


def robots_unreadable(host: str, cause: str) -> str:
    """`robots.txt of 127.0.0.1 unreachable: connection refused` (a network cause), or
    `… unavailable: HTTP 503` (the server answered, with an error)."""
    state = "unreachable" if cause in NETWORK_CAUSES else "unavailable"
    return f"robots.txt of {host} {state}: {cause}"


def download_cause(error: BaseException) -> str:
    """Why a download failed, in a few words for a person: `DNS lookup failed`, `connection
    refused`, `timed out`, `TLS error`, `connection lost` …; `HTTP 503` for an error status,
    the reason and detail of a `Rejection`, else the error's type and message."""
    chain = list(_wrapped(error))
    for kinds, cause in _CAUSES:
        if any(isinstance(link, kinds) for link in chain):
            return cause
    for link in chain:
        # Twisted keeps the errno of a failed connect in `osError`
        code = link.osError if isinstance(link, ConnectError) else getattr(link, "errno", None)
        if code in _OS_ERRORS:
            return _OS_ERRORS[code]
        if isinstance(link, tx.NoRouteError):
            return "network unreachable"  # what Twisted makes of ENETUNREACH
    if isinstance(error, Rejection):
        return f"{error.reason}: {error.detail}"
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    if isinstance(error, ConnectError):
        return "could not connect"
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _wrapped(error: BaseException) -> Iterator[BaseException]:
    """The error and every error inside it: its causes, and a `ResponseFailed`'s reasons."""
    seen: set[int] = set()
    waiting = [error]
    while waiting:
        link = waiting.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        # what it was raised from, as a traceback would show it
        inner = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
        if inner is not None:
            waiting.append(inner)
        if isinstance(link, ResponseFailed):
            waiting.extend(
                reason.value
                for reason in link.reasons
                if isinstance(reason, Failure) and isinstance(reason.value, BaseException)
            )
