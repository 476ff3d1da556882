"""`WARC_DIR`: every response the crawl receives is kept, with its request, in WARC files."""

from __future__ import annotations

import logging
import socket
import sys
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.utils.defer import deferred_from_coro

from galamedia.archive.replay import ARCHIVE_FILES
from galamedia.archive.writer import WARC_VERSION, ArchiveWriter, Exchange
from galamedia.rules.arguments import CrawlArguments
from galamedia.signals import crawl_planned

logger = logging.getLogger(__name__)

CLOSE_REASON = "warc_unwritable"
# Hop-by-hop framing the HTTP client has already undone: the body it hands over is no longer
# chunked, and a reader told it is would try to de-chunk it.
_UNDONE_BY_THE_CLIENT = frozenset({b"Transfer-Encoding"})


class WarcCaptureMiddleware:
    """Writes each download, request and response, to WARC files under `WARC_DIR` (rolled
    over at `WARC_MAX_SIZE`); off without it, and when the responses come from an archive.

    Nearest the downloader (after HttpCacheMiddleware's 900), it sees every response as it
    arrived, before any other middleware acts on it: redirects before the redirect
    middleware follows them, error statuses and each attempt before the retries, robots.txt
    (asked through the downloader like any page), and the body still content-encoded, as the
    server sent it (gzip, br), before HttpCompressionMiddleware (590) decodes it. A reader
    sees what a browser would have received; replay decodes it through the same middleware
    as the live crawl did.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.writer = ArchiveWriter(
            Path(settings.get("WARC_DIR")),
            max_size=settings.getint("WARC_MAX_SIZE"),
            info=self.info,
        )
        self.arguments: CrawlArguments | None = None
        self._failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.get("WARC_DIR"):
            raise NotConfigured
        if settings.getlist(ARCHIVE_FILES):
            logger.warning("WARC_DIR ignored: the responses come from an archive (-a warc)")
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.crawl_planned, signal=crawl_planned)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.arguments = arguments

    def info(self) -> dict[str, str]:
        """The `warcinfo` record of each file: the crawler, its version, the run's arguments."""
        settings = self.crawler.settings
        return {
            "software": (
                f"galamedia-crawler/{metadata.version('galamedia-crawler')}"
                f" (Scrapy {scrapy.__version__}; warcio {metadata.version('warcio')};"
                f" Python {sys.version.split()[0]})"
            ),
            "format": f"WARC File Format {WARC_VERSION}",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "http-header-user-agent": str(settings.get("USER_AGENT")),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "description": "scrapy crawl articles"
            + "".join(f" -a {argument}" for argument in command_arguments(self.arguments)),
        }

    def process_response(self, request: Request, response: Response) -> Response:
        if self._failed:
            return response
        try:
            records, size = self.writer.write(exchange_of(request, response))
        except OSError as error:
            self._give_up(error)
            return response
        stats = self.crawler.stats
        stats.inc_value("warc/records_written", records)
        stats.inc_value("warc/bytes_written", size)
        stats.set_value("warc/files_written", self.writer.files_completed)
        return response

    def spider_closed(self) -> None:
        if self._failed:
            return
        try:
            self.writer.close()
        except OSError as error:
            self._give_up(error)
        self.crawler.stats.set_value("warc/files_written", self.writer.files_completed)

    def _give_up(self, error: OSError) -> None:
        """An archive that cannot be written fails the run, as a feed that cannot does: the
        user asked for the pages to be kept."""
        self._failed = True
        self.crawler.stats.set_value("warc/error", f"{error.strerror or error}")
        logger.error(
            "WARC_DIR %s: cannot write: %s; closing the crawl",
            self.writer.directory,
            error.strerror or error,
        )
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))


def exchange_of(request: Request, response: Response) -> Exchange:
    """The download as it crossed the wire; the `Host` header the HTTP client adds is put
    back, as sent."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = _pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", parts.netloc))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:  # a status the standard library does not name
        reason = ""
    return Exchange(
        url=request.url,
        method=request.method,
        target=target,
        request_headers=request_headers,
        request_body=request.body,
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        reason=reason,
        response_headers=_pairs(response.headers, leave_out=_UNDONE_BY_THE_CLIENT),
        body=response.body,
        received_at=datetime.now(UTC),
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


def command_arguments(arguments: CrawlArguments | None) -> list[str]:
    """The `-a` arguments that repeat this run's plan (`sites=… since=… until=… source=…`),
    the window to the second, as it was resolved."""
    if arguments is None:
        return []
    if arguments.urls:
        return [f"base_url={arguments.base_url}", f"url={','.join(arguments.urls)}"]
    found = [f"sites={','.join(arguments.origins)}"]
    if arguments.window is not None:
        until = arguments.window.end - timedelta(seconds=1)  # `until` is inclusive
        found += [f"since={arguments.window.start.isoformat()}", f"until={until.isoformat()}"]
    found.append(f"source={','.join(str(source) for source in arguments.sources)}")
    return found


def _pairs(headers: Headers, leave_out: frozenset[bytes] = frozenset()) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name not in leave_out
        for value in values
    ]
