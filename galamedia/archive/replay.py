"""`-a warc=PATH`: the crawl's responses come from WARC files instead of the network."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from scrapy import Request, signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings

from galamedia.accounting.outcomes import Rejection
from galamedia.archive.reader import ArchiveIndex

logger = logging.getLogger(__name__)

ARCHIVE_FILES = "WARC_REPLAY"
"""Setting: the WARC files to replay, set by the spider from its `warc` argument."""
ARCHIVED_AT = "galamedia_archived_at"
"""Request meta, on a replayed response: when it was captured (its record's `WARC-Date`)."""
NOT_IN_ARCHIVE = "not_in_archive"
"""The outcome of a request whose URL the archive does not hold."""
FLAG = "warc"
"""Response flag of a replayed response (shown in Scrapy's `Crawled (200) <GET …> ['warc']`)."""
HANDLER = "galamedia.archive.replay.ArchiveDownloadHandler"
# Nothing is asked of any server, so politeness has nothing to protect, and what failed in
# the archive fails the same way again: no delay, no retries, and requests as many at a time
# as keep the CPU busy. `-s` on the command line still wins over these.
REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_ENABLED": False,
    "RETRY_TIMES": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def configure(settings: Settings, files: Sequence[str]) -> None:
    """Switch a crawl to replay `files`: every http(s) request is answered by
    `ArchiveDownloadHandler`, whatever else the settings say, so none leaves the machine."""
    settings.set(ARCHIVE_FILES, list(files), priority="spider")
    handlers = {**settings.getdict("DOWNLOAD_HANDLERS"), "http": HANDLER, "https": HANDLER}
    settings.set("DOWNLOAD_HANDLERS", handlers, priority=max(settings.maxpriority(), 50))
    for name, value in REPLAY_SETTINGS.items():
        settings.set(name, value, priority="spider")


class ArchiveReplay:
    """The archive of a replayed crawl: its files indexed once, as the crawl is set up (URL →
    the last capture of it), and each request answered from it; off without `-a warc`.

    Records that cannot be read are counted (`warc/corrupt_records`), logged with their file
    and offset, and skipped.
    """

    def __init__(self, crawler: Crawler) -> None:
        files = [Path(path) for path in crawler.settings.getlist(ARCHIVE_FILES)]
        if not files:
            raise NotConfigured
        self.crawler = crawler
        began = time.perf_counter()
        self.index = ArchiveIndex.of(files)
        logger.info(
            "archive: %d responses in %d records of %d files, indexed in %.1f s",
            len(self.index.responses),
            self.index.records,
            self.index.files,
            time.perf_counter() - began,
        )
        for corruption in self.index.corrupt:
            logger.warning("archive: record skipped: %s", corruption)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        replay = cls(crawler)
        crawler.signals.connect(replay.spider_opened, signal=signals.spider_opened)
        return replay

    def spider_opened(self) -> None:
        stats = self.crawler.stats
        stats.set_value("warc/files_read", self.index.files)
        stats.set_value("warc/records_read", self.index.records)
        stats.set_value("warc/responses_indexed", len(self.index.responses))
        stats.set_value("warc/corrupt_records", len(self.index.corrupt))

    def response_for(self, request: Request) -> Response:
        stored = self.index.find(request.url)
        if stored is None:
            raise Rejection(NOT_IN_ARCHIVE, f"{request.url} is not in the archive")
        archived = self.index.read(stored)
        headers = Headers(archived.headers)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        # The page's fetch time is its capture's: relative dates and `crawled_at` as then.
        request.meta[ARCHIVED_AT] = archived.captured_at
        self.crawler.stats.inc_value("warc/responses_served")
        return cls(
            url=request.url,
            status=archived.status,
            headers=headers,
            body=archived.body,
            flags=[FLAG],
            request=request,
            protocol=archived.protocol,
        )


class ArchiveDownloadHandler(BaseDownloadHandler):
    """The http and https download handler of a replay: answers from `ArchiveReplay`, never
    from the network. A URL the archive lacks fails its request as `not_in_archive`."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        replay = crawler.get_extension(ArchiveReplay)
        if replay is None:
            raise NotConfigured("no archive to replay (-a warc)")
        self.replay = replay

    async def download_request(self, request: Request) -> Response:
        return self.replay.response_for(request)
