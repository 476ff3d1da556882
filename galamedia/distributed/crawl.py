"""One chunk's crawl: `scrapy crawl articles` in a subprocess, and what its exit says."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from galamedia.distributed.config import feed_uri

logger = logging.getLogger(__name__)

EXIT_REFUSED = 2
RESERVED_SETTINGS = frozenset({"STATE_URL", "STATE_PATH", "RUN_REPORT", "JOBDIR", "FEEDS"})
"""Settings each chunk's crawl is given by the runner, not by `--set`."""
_PR_SET_PDEATHSIG = 1
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Job:
    """What one chunk's crawl needs."""

    origin: str
    site: str
    since: str
    until: str
    feed_template: str
    settings: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a chunk's crawl ended."""

    exit_code: int
    feed: str
    report: dict[str, Any] | None
    error: str | None
    """The crawl's own words: its `error:` line, or its report's problems."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def site_busy(self) -> bool:
        """Refused because another run holds the site: try again later. `scrapy crawl` says
        so before it starts (exit 2); a run that took the site in between closes the crawl
        before any request (`state_busy`, exit 1)."""
        if self.exit_code == EXIT_REFUSED:
            return "in use" in (self.error or "")
        return self.report is not None and self.report.get("finish_reason") == "state_busy"

    @property
    def articles(self) -> int | None:
        if self.report is None:
            return None
        return int(self.report.get("counts", {}).get("items_written", 0))


def feed_time(moment: datetime) -> str:
    """`%(time)s` as Scrapy writes it: UTC, to the second, `:` as `-`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace(":", "-")


def command(job: Job, *, state_url: str, feed: str, report: Path) -> list[str]:
    arguments = [sys.executable, "-m", "scrapy", "crawl", "articles"]
    arguments += ["-a", f"base_url={job.origin}", "-a", f"since={job.since}"]
    arguments += ["-a", f"until={job.until}", "-O", feed]
    settings = {
        **_window_settings(job),
        **job.settings,
        "STATE_URL": state_url,
        "RUN_REPORT": str(report),
    }
    for name, value in settings.items():
        arguments += ["-s", f"{name}={value}"]
    return arguments


def _window_settings(job: Job) -> dict[str, str]:
    """A backfill chunk (whole days) looks back for edits over its own days exactly
    (`REFRESH_HOURS`, the chunk's length): so the chunks together write the window and
    nothing before it, and a second backfill catches an edit on any day of it."""
    if not (_DAY.fullmatch(job.since) and _DAY.fullmatch(job.until)):
        return {}  # an hourly run: the usual look back
    days = (date.fromisoformat(job.until) - date.fromisoformat(job.since)).days + 1
    return {"REFRESH_HOURS": str(days * 24)}


def run(job: Job, *, state_url: str, workdir: Path, started: datetime) -> Outcome:
    """Crawl the chunk; its items go to the feed template filled for it, its log and report
    to `workdir`. The crawl dies with the worker process that started it, so a chunk is never
    crawled by a process nobody waits for."""
    values = {"site": job.site, "since": job.since, "until": job.until}
    feed = feed_uri(job.feed_template, {**values, "time": feed_time(started)})
    report = workdir / "report.json"
    log = workdir / "crawl.log"
    environment = {**os.environ, "SCRAPY_SETTINGS_MODULE": "galamedia.settings"}
    with log.open("wb") as output:
        process = subprocess.run(
            command(job, state_url=state_url, feed=feed, report=report),
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # the worker's pool process runs one thread
            check=False,
        )
    found = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    code = process.returncode
    return Outcome(code, feed, found, _error(code, found, log))


def _error(code: int, report: Mapping[str, Any] | None, log: Path) -> str | None:
    if code == 0:
        return None
    if code < 0:
        return f"the crawl was killed by {signal.Signals(-code).name}"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    refused = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    if refused:
        return refused[-1]
    if report is not None and report.get("problems"):
        return "; ".join(str(problem) for problem in report["problems"])
    tail = next((line for line in reversed(lines) if line.strip()), "no output")
    return f"exit code {code}: {tail.strip()}"


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the worker process that started it dies (its feed is
    left unpublished, its exports unconfirmed; the chunk is redone by the next delivery)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
