"""Feed storage that never destroys the last good export, and never fails quietly."""

from __future__ import annotations

import io
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Self, cast
from urllib.parse import unquote, urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage

from galamedia import locks
from galamedia.accounting.verdict import RunVerdict
from galamedia.scheduling.jobdir import RESUMED_STAT
from galamedia.signals import feed_published

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"


class OutputBusyError(locks.BusyError):
    """Another run is writing the same feed."""


def local_path(uri: str) -> Path | None:
    """The file a feed URI names, or None for anything else (`stdout:`, `s3://` …)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    return Path(uri) if parts.scheme == "" else None


class _StoredLine(logging.Filter):
    """Workaround: Scrapy's feed exporter logs `Stored jsonl feed (N items) in: out.jsonl`
    after `store()` returns, whatever the storage did; for a feed left as it was, the record
    is rewritten to say so instead of contradicting the line before it."""

    def __init__(self) -> None:
        super().__init__()
        self.unpublished: set[str] = set()
        """The URIs (as the exporter names them) of feeds this process did not publish."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Stored %s" and isinstance(record.args, tuple) and record.args:
            logged = str(record.args[0])
            if any(logged.endswith(f" in: {uri}") for uri in self.unpublished):
                record.msg = "Not stored %s: left as it was"
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_STORED_LINE = _StoredLine()
logging.getLogger("scrapy.extensions.feedexport").addFilter(_STORED_LINE)


def ensure_output_free(path: Path) -> None:
    """Raise `OutputBusyError` if another run is writing the feed `path`; creates nothing."""
    locks.ensure_free(path, OutputBusyError)


class AtomicFileFeedStorage(FileFeedStorage):
    """Writes `out.jsonl` beside itself, as `out.jsonl.partial`, and renames it on success.

    Workaround: stock `-O` truncates the previous export when the crawl starts, so a crash
    destroys it and leaves a partial one (an invalid `.json` array). Here the previous file
    stays intact until the new export is complete: the rename (atomic on one file system)
    happens only when the crawl succeeded (its `RunVerdict`). A failed run leaves its items
    in `out.jsonl.partial` for inspection; a killed one leaves that file half-written, and the
    next run starts it afresh. `-o` (append) copies the previous file first, so it is atomic too.

    One run at a time per feed: the storage holds a lock on `out.jsonl.lock` from the start
    of the crawl to its end, so a second run on the same `-O` is refused instead of mixing its
    items into the same partial file. A feed that cannot be locked, opened, written or stored
    is reported once (one line) to the run's verdict, which then fails: never one traceback
    per item, never an "OK" with nothing written.
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.format = (feed_options or {}).get("format")
        self.crawler: Crawler | None = None
        self.failure: str | None = None
        """Why this feed could not be written, once something failed."""
        self.published = False
        """True once this run's export replaced the target file."""
        self.uri = uri
        self._lock: locks.Lock | None = None

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> Self:
        storage = cls(uri, feed_options=feed_options)
        storage.crawler = crawler
        try:
            Path(storage.path).parent.mkdir(parents=True, exist_ok=True)
            storage._lock = locks.Lock.acquire(Path(storage.path), OutputBusyError)
        except OutputBusyError as error:
            storage._fail(str(error))
        except OSError as error:
            storage._fail(f"cannot lock {storage.path}: {error.strerror}")
        return storage

    @property
    def partial_path(self) -> Path:
        target = Path(self.path)
        return target.with_name(target.name + PARTIAL_SUFFIX)

    def open(self, spider: Spider) -> IO[bytes]:
        if self.failure is None:
            try:
                return cast("IO[bytes]", _Guarded(self._open_partial(), self._fail))
            except OSError as error:
                self._fail(f"cannot open {self.partial_path}: {error.strerror}")
        return io.BytesIO()  # the run fails already: the items go nowhere, knowingly

    def _open_partial(self) -> IO[bytes]:
        target = Path(self.path)
        if self._continues_resumed_job():
            logger.info("resumed job: continuing %s", self.partial_path)
            return self.partial_path.open("ab")
        if self.write_mode == "ab" and target.exists():
            shutil.copyfile(target, self.partial_path)
        return self.partial_path.open(self.write_mode)

    def _continues_resumed_job(self) -> bool:
        """A resumed JOBDIR job appends to the export its stopped run left (JSON lines only)."""
        if self.crawler is None or not self.crawler.stats.get_value(RESUMED_STAT):
            return False
        if not self.partial_path.exists():
            return False
        if self.format not in ("jsonlines", "jsonl"):
            logger.warning(
                "resumed job: %s holds only this run's items (only JSON lines exports continue)",
                self.path,
            )
            return False
        return True

    def store(self, file: IO[bytes]) -> None:
        try:
            self._store(file)
        finally:
            if not self.published:
                _STORED_LINE.unpublished.add(self.uri)
            if self._lock is not None:
                self._lock.release()

    def _store(self, file: IO[bytes]) -> None:
        try:
            file.flush()
            if self.failure is None:
                os.fsync(file.fileno())
            file.close()
        except OSError as error:
            self._fail(f"cannot write {self.partial_path}: {error.strerror}")
        if self.failure is not None:
            return
        if problems := self._problems():
            logger.error(
                "%s left as it was: this run failed (%s); its items are in %s",
                self.path,
                "; ".join(problems),
                self.partial_path,
            )
            return
        try:
            os.replace(self.partial_path, self.path)
        except OSError as error:
            self._fail(f"cannot replace {self.path}: {error.strerror}")
            return
        self.published = True
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(feed_published, path=self.path)

    def _problems(self) -> tuple[str, ...]:
        """Why the crawl failed: a feed is published on the crawl's verdict alone."""
        if self.crawler is None:  # built without a crawler: nothing to judge by
            return ()
        return RunVerdict.of(self.crawler).crawl_verdict.problems

    def _fail(self, reason: str) -> None:
        if self.failure is not None:
            return
        self.failure = reason
        logger.error("feed %s not written: %s", self.path, reason)
        if self.crawler is not None:
            RunVerdict.of(self.crawler).feed_failed(self.path, reason)


class _Guarded(io.RawIOBase):
    """The partial file, whose first write error (a full disk, a removed folder) is reported
    to the storage once, failing the run, instead of raised from every item; what would be
    written after it is dropped, knowingly."""

    def __init__(self, raw: IO[bytes], failed: Callable[[str], None]) -> None:
        super().__init__()
        self._raw = raw
        self._failed = failed
        self._broken = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self._broken:
            try:
                self._raw.write(data)
            except OSError as error:
                self._break(error)
        return len(data)

    def flush(self) -> None:
        if not self._broken and not self._raw.closed:
            try:
                self._raw.flush()
            except OSError as error:
                self._break(error)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self.flush()
            self._raw.close()
        super().close()

    def _break(self, error: OSError) -> None:
        self._broken = True
        self._failed(f"cannot write {self._raw.name}: {error.strerror}")
