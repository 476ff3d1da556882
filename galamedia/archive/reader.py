"""Reading WARC files: which responses they hold, found once, and each read back by its URL.

Damage is expected, not fatal: a record that cannot be read (a bad gzip member, a record cut
short by a killed capture, a digest that does not match) is reported with its file and offset,
and the reading goes on with the next gzip member that can be found.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 64 * 1024
# What warcio raises on a record it cannot parse, or whose digest does not match.
_RECORD_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError, EOFError)


class ArchiveError(ValueError):
    """A file that is not a WARC file: `str()` is one line naming it."""


@dataclass(frozen=True, slots=True)
class Corruption:
    """A stretch of an archive that could not be read."""

    path: Path
    offset: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path} at offset {self.offset}: {self.problem}"


@dataclass(frozen=True, slots=True)
class Stored:
    """Where one response record is: its file, offset and length (a gzip member, or the
    record's bytes in an uncompressed file), and when it was captured."""

    path: Path
    offset: int
    length: int
    gzipped: bool
    captured_at: datetime


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """A response as the archive holds it: the body as received (still content-encoded)."""

    url: str
    protocol: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    captured_at: datetime


@dataclass
class ArchiveIndex:
    """The response records of some WARC files, by URL: the last capture of each wins."""

    responses: dict[str, Stored] = field(default_factory=dict)
    corrupt: list[Corruption] = field(default_factory=list)
    files: int = 0
    records: int = 0

    @classmethod
    def of(cls, paths: Iterable[Path]) -> ArchiveIndex:
        index = cls()
        for path in paths:
            index.add(path)
        return index

    def add(self, path: Path) -> None:
        self.files += 1
        with path.open("rb") as handle:
            gzipped = handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            handle.seek(0)
            found = _members(handle, path) if gzipped else _plain_records(handle, path)
            for entry in found:
                if isinstance(entry, Corruption):
                    self.corrupt.append(entry)
                    continue
                offset, length, data = entry
                try:
                    record = _record(data, check_digests=True)
                    captured_at = _date(record)
                except _RECORD_ERRORS as error:
                    self.corrupt.append(Corruption(path, offset, f"not a valid record ({error})"))
                    continue
                self.records += 1
                if record.rec_type == "response":
                    self._keep(record, Stored(path, offset, length, gzipped, captured_at))

    def _keep(self, record: Any, stored: Stored) -> None:
        key = canonicalize_url(_target(record))
        earlier = self.responses.get(key)
        if earlier is None or stored.captured_at >= earlier.captured_at:
            self.responses[key] = stored

    def find(self, url: str) -> Stored | None:
        return self.responses.get(canonicalize_url(url))

    def read(self, stored: Stored) -> ArchivedResponse:
        """The response record at `stored`, read again (it was read whole when indexed)."""
        with stored.path.open("rb") as handle:
            handle.seek(stored.offset)
            data = handle.read(stored.length)
        if stored.gzipped:
            data = zlib.decompress(data, wbits=31)
        record = _record(data, check_digests=False)
        http = record.http_headers
        return ArchivedResponse(
            url=_target(record),
            protocol=http.protocol or "HTTP/1.1",
            status=int(http.get_statuscode()),
            headers=list(http.headers),
            body=record.raw_stream.read(),
            captured_at=stored.captured_at,
        )


def check_archive(path: Path) -> None:
    """Raise `ArchiveError` unless `path` starts with a WARC record (gzipped or not)."""
    with path.open("rb") as handle:
        head = handle.read(len(GZIP_MAGIC))
        if not head:
            raise ArchiveError(f"{path} is empty")
        handle.seek(0)
        if head == GZIP_MAGIC:
            first = next(_members(handle, path), None)
            if isinstance(first, Corruption):
                raise ArchiveError(f"{path} is not a WARC file: {first.problem}")
            start = first[2][:20] if first else b""
        else:
            start = handle.read(20)
    if not start.startswith(b"WARC/"):
        raise ArchiveError(f"{path} is not a WARC file (it starts with {start!r})")


def _members(handle: BinaryIO, path: Path) -> Iterator[tuple[int, int, bytes] | Corruption]:
    """Each gzip member of a file, decompressed: (offset, length, data), or the corruption
    that stopped one. After a bad member, reading resumes at the next member that decodes;
    a member cut short ends the file."""
    start = 0
    pending = b""
    damaged = False  # looking for a readable member after a bad one: not reported again
    while True:
        data = pending or handle.read(_CHUNK)
        if not data:
            return
        decompressor = zlib.decompressobj(wbits=31)
        pieces = []
        used = 0
        try:
            while True:
                pieces.append(decompressor.decompress(data))
                if decompressor.eof:
                    pending = decompressor.unused_data
                    used += len(data) - len(pending)
                    break
                used += len(data)
                data = handle.read(_CHUNK)
                if not data:
                    yield Corruption(path, start, "the record is cut short (a killed capture?)")
                    return
        except zlib.error as error:
            if not damaged:
                yield Corruption(path, start, f"not a readable gzip member ({error})")
            damaged = True
            resume = _next_member(handle, start + 1)
            if resume is None:
                return
            handle.seek(resume)
            start, pending = resume, b""
            continue
        damaged = False
        yield start, used, b"".join(pieces)
        start += used


def _next_member(handle: BinaryIO, offset: int) -> int | None:
    """Where the next gzip member may start, at or after `offset`."""
    handle.seek(offset)
    carried = b""
    while chunk := handle.read(_CHUNK):
        window = carried + chunk
        found = window.find(GZIP_MAGIC)
        if found >= 0:
            return offset - len(carried) + found
        offset += len(chunk)
        carried = window[-(len(GZIP_MAGIC) - 1) :]
    return None


def _plain_records(handle: BinaryIO, path: Path) -> Iterator[tuple[int, int, bytes] | Corruption]:
    """Each record of an uncompressed WARC file, as its bytes; a record that cannot be read
    ends the file (there is no member boundary to find the next one by)."""
    iterator = ArchiveIterator(handle)
    spans = []
    try:
        for _record_read in iterator:
            spans.append((iterator.get_record_offset(), iterator.get_record_length()))
    except _RECORD_ERRORS as error:
        spans.append((-1, iterator.offset))
        problem = f"not a valid record ({error})"
    else:
        problem = ""
    for offset, length in spans:
        if offset < 0:
            yield Corruption(path, length, problem)
            return
        handle.seek(offset)
        yield offset, length, handle.read(length)


def _record(data: bytes, *, check_digests: bool) -> Any:
    """The one WARC record in `data`; its payload read whole, so that its digests are checked."""
    iterator = ArchiveIterator(BytesIO(data), check_digests="raise" if check_digests else False)
    record = next(iter(iterator), None)
    if record is None:
        raise EOFError("no record")
    if check_digests:
        while record.raw_stream.read(_CHUNK):
            pass
    return record


def _target(record: Any) -> str:
    return str(record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>")


def _date(record: Any) -> datetime:
    text = str(record.rec_headers.get_header("WARC-Date") or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArchiveLoadFailed(f"bad WARC-Date {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
