"""WARC files written a request and response pair at a time, rolled over by size, and given
their final name only once complete."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

PREFIX = "galamedia"
SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
"""Added to the name of the file being written: `….warc.gz.open` until it is complete."""
WARC_VERSION = "1.1"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One download as it crossed the wire: the request sent and the response received."""

    url: str
    method: str
    target: str
    """The request target: the path with its query (`/indeks-berita?page=2`)."""
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    """`HTTP/1.1`, as the response said."""
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    """The body as received: still content-encoded (gzip, br) if the server encoded it."""
    received_at: datetime
    ip_address: str | None = None


def file_name(opened_at: datetime, pid: int, serial: int) -> str:
    """`galamedia-20261130T061103Z-4242-00001.warc.gz`: sorted by name, sorted by time."""
    return f"{PREFIX}-{opened_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{pid}-{serial:05d}{SUFFIX}"


class ArchiveWriter:
    """Writes exchanges as WARC/1.1 `response` + `request` records, one gzip member each,
    into files of about `max_size` bytes under `directory`.

    Each file starts with a `warcinfo` record (`info()` gives its fields) and is written as
    `<name>.open`, flushed after every record, and renamed to `<name>` when it reaches
    `max_size` (after the pair that crossed it: a pair is never split) or when the writer
    closes. A killed process leaves complete files, and at most one `.open` file whose
    records read back up to the one being written when it died.
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_size: int,
        info: Callable[[], Mapping[str, str]],
    ) -> None:
        self.directory = directory
        self.max_size = max_size
        self.info = info
        self.files_completed = 0
        self._serial = 0
        self._handle: BinaryIO | None = None
        self._path: Path | None = None
        self._warc: WARCWriter | None = None

    def write(self, exchange: Exchange) -> tuple[int, int]:
        """Write one exchange; the records and bytes this added to the archive."""
        records = 0
        if self._handle is None:
            self._open()
            records += 1  # its warcinfo
        assert self._handle is not None
        assert self._warc is not None
        start = self._handle.tell() if records == 0 else 0
        self._warc.write_request_response_pair(
            _request(self._warc, exchange), _response(self._warc, exchange)
        )
        size = self._handle.tell() - start
        if self._handle.tell() >= self.max_size:
            self._complete()
        return records + 2, size

    def close(self) -> None:
        if self._handle is not None:
            self._complete()

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        name = file_name(datetime.now(UTC), os.getpid(), self._serial)
        self._path = self.directory / name
        self._handle = (self.directory / (name + OPEN_SUFFIX)).open("xb")
        self._warc = WARCWriter(self._handle, gzip=True, warc_version=WARC_VERSION)
        self._warc.write_record(self._warc.create_warcinfo_record(name, dict(self.info())))

    def _complete(self) -> None:
        assert self._handle is not None
        assert self._path is not None
        handle, final = self._handle, self._path
        self._handle = self._warc = self._path = None
        handle.flush()
        os.fsync(handle.fileno())  # complete on disk before it is named complete
        size = handle.tell()
        handle.close()
        os.replace(handle.name, final)
        self.files_completed += 1
        logger.info("WARC file complete: %s (%d bytes)", final, size)


def warc_date(moment: datetime) -> str:
    """WARC/1.1's date: UTC, to the microsecond (`2026-11-30T06:11:03.123456Z`)."""
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _response(warc: WARCWriter, exchange: Exchange) -> object:
    headers = StatusAndHeaders(
        f"{exchange.status} {exchange.reason}".strip(),
        exchange.response_headers,
        protocol=exchange.protocol,
    )
    warc_headers = {"WARC-Date": warc_date(exchange.received_at)}
    if exchange.ip_address:
        warc_headers["WARC-IP-Address"] = exchange.ip_address
    return warc.create_warc_record(
        exchange.url,
        "response",
        payload=BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=headers,
        warc_headers_dict=warc_headers,
    )


def _request(warc: WARCWriter, exchange: Exchange) -> object:
    headers = StatusAndHeaders(
        f"{exchange.method} {exchange.target} {exchange.protocol}",
        exchange.request_headers,
        is_http_request=True,
    )
    return warc.create_warc_record(
        exchange.url,
        "request",
        payload=BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": warc_date(exchange.received_at)},
    )
