"""Feed storage that never destroys the last good export."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import IO, Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage

from galamedia.accounting.verdict import RunVerdict
from galamedia.scheduling.jobdir import RESUMED_STAT
from galamedia.signals import feed_published

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"


class AtomicFileFeedStorage(FileFeedStorage):
    """Writes `out.jsonl` beside itself, as `out.jsonl.partial`, and renames it on success.

    Workaround: stock `-O` truncates the previous export when the crawl starts, so a crash
    destroys it and leaves a partial one (an invalid `.json` array). Here the previous file
    stays intact until the new export is complete: the rename (atomic on one file system)
    happens only when the run succeeded (its `RunVerdict`). A failed run leaves its items
    in `out.jsonl.partial` for inspection; a killed one leaves that file half-written, and the
    next run starts it afresh. `-o` (append) copies the previous file first, so it is atomic too.
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.format = (feed_options or {}).get("format")
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> Self:
        storage = cls(uri, feed_options=feed_options)
        storage.crawler = crawler
        return storage

    @property
    def partial_path(self) -> Path:
        target = Path(self.path)
        return target.with_name(target.name + PARTIAL_SUFFIX)

    def open(self, spider: Spider) -> IO[bytes]:
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
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
        file.flush()
        os.fsync(file.fileno())
        file.close()
        problems = self._problems()
        if problems:
            logger.error(
                "%s left as it was: this run failed (%s); its items are in %s",
                self.path,
                "; ".join(problems),
                self.partial_path,
            )
            return
        os.replace(self.partial_path, self.path)
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(feed_published, path=self.path)

    def _problems(self) -> tuple[str, ...]:
        if self.crawler is None:  # built without a crawler: nothing to judge by
            return ()
        return RunVerdict.of(self.crawler).verdict.problems
