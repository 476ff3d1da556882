"""JOBDIR jobs that survive being killed: a job left unfinished by a crash starts afresh."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Self

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

CLEAN_MARK = "galamedia.closed"
TOTALS = "galamedia.totals.json"
_STATE = ("requests.seen", "requests.queue", "spider.state", TOTALS)
RESUMED_STAT = "jobdir/resumed"


def prepare(jobdir: Path) -> bool:
    """Make `jobdir` safe to start from; True when it holds a stopped job to resume.

    A job directory whose last run did not close (SIGKILL, power loss) has a seen-set that
    swallows the start pages and a queue index that was never written: resuming it would end
    at once with nothing. Such a directory is emptied, so the run starts over; so is one whose
    job finished, which has nothing left to resume.
    """
    mark = jobdir / CLEAN_MARK
    leftovers = [jobdir / name for name in _STATE if (jobdir / name).exists()]
    closed_as = mark.read_text(encoding="utf-8").strip() if mark.exists() else None
    mark.unlink(missing_ok=True)  # from now on this run is the one that must close cleanly
    if closed_as is not None and closed_as != "finished":
        return bool(leftovers)
    if leftovers:
        if closed_as == "finished":
            logger.info("%s holds a finished job: starting a new one", jobdir)
        else:
            logger.warning("%s was left by a run that did not close: starting afresh", jobdir)
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return False


class JobDirScheduler(Scheduler):
    """Scrapy's scheduler, marking the job directory once its state is safely written."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = job_dir(crawler.settings)
        resumed = prepare(Path(jobdir)) if jobdir else False
        scheduler = super().from_crawler(crawler)
        scheduler.jobdir = jobdir
        crawler.stats.set_value(RESUMED_STAT, resumed)
        if resumed:
            logger.info("resuming the job in %s", jobdir)
        return scheduler

    jobdir: str | None = None

    def close(self, reason: str) -> Deferred[None] | None:
        result = super().close(reason)
        if self.jobdir:
            Path(self.jobdir, CLEAN_MARK).write_text(reason + "\n", encoding="utf-8")
        return result
