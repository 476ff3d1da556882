"""What `scrapy crawl` checks before any request: settings, feeds, the state file, JOBDIR."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings

from galamedia.export.storage import OutputBusyError, ensure_output_free, local_path
from galamedia.incremental import postgres
from galamedia.incremental.sqlite import StateFileError, check_state_file
from galamedia.incremental.sqlite import ensure_free as ensure_state_free
from galamedia.incremental.state import BOTH_STORES
from galamedia.incremental.store import StateBusyError


class PreflightError(ValueError):
    """Something the run would trip over: `str()` is one line naming it and what to do."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What one setting must be: a number of a kind, within bounds."""

    name: str
    kind: Callable[[str], float]
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False
    """The minimum itself is not allowed (a timeout of 0)."""

    def check(self, settings: BaseSettings) -> None:
        raw = settings.get(self.name)
        try:
            value = self.kind(str(raw))
        except ValueError:
            kind = "a whole number" if self.kind is int else "a number"
            raise PreflightError(f"{self.name}={raw!r} is not {kind}") from None
        if self.minimum is not None and (
            value < self.minimum or (self.above_minimum and value == self.minimum)
        ):
            bound = "above" if self.above_minimum else "at least"
            raise PreflightError(f"{self.name}={raw} must be {bound} {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise PreflightError(f"{self.name}={raw} must be at most {self.maximum:g}")


# The project's own settings and the politeness ones: a value out of range would run, but not
# as the user meant (no delay at all, never refreshing, the failure check switched off).
RULES = (
    Rule("DOWNLOAD_DELAY", float, 0),
    Rule("CONCURRENT_REQUESTS", int, 1),
    Rule("CONCURRENT_REQUESTS_PER_DOMAIN", int, 1),
    Rule("DOWNLOAD_TIMEOUT", float, 0, above_minimum=True),
    Rule("DOWNLOAD_MAXSIZE", int, 0),
    Rule("SITEMAP_MAXSIZE", int, 0),
    Rule("AUTOTHROTTLE_START_DELAY", float, 0),
    Rule("AUTOTHROTTLE_MAX_DELAY", float, 0),
    Rule("AUTOTHROTTLE_TARGET_CONCURRENCY", float, 0, above_minimum=True),
    Rule("RETRY_TIMES", int, 0),
    Rule("RETRY_BACKOFF_BASE", float, 0),
    Rule("RETRY_BACKOFF_MAX", float, 0),
    Rule("RETRY_AFTER_MAX", float, 0),
    Rule("SITE_DELAY_RECOVERY", float, 0, 1, above_minimum=True),
    Rule("SITE_DELAY_MAX", float, 0),
    Rule("BLOCKED_CLOSE_AFTER", int, 1),
    Rule("FAILED_ARTICLES_MAX_RATIO", float, 0, 1),
    Rule("FAILED_ARTICLES_ALLOWED", int, 0),
    Rule("PROGRESS_INTERVAL", float, 0),
    Rule("STATE_OVERLAP_HOURS", float, 0),
    Rule("REFRESH_HOURS", float, 0, above_minimum=True),
    Rule("DRIFT_HISTORY", int, 1),
    Rule("DRIFT_MIN_RUNS", int, 1),
    Rule("DRIFT_RATE_DROP", float, 0, 1),
    Rule("DRIFT_FIELD_MIN", float, 0, 1),
    Rule("DRIFT_FIELD_DROP", float, 0, 1),
    Rule("DRIFT_MIN_ITEMS", int, 0),
    Rule("DRIFT_FAILURE_JUMP", float, 0, 1),
    Rule("DRIFT_FALLBACK_RISE", float, 0, 1),
    Rule("WARC_MAX_SIZE", int, 1),
)


def check_settings(settings: BaseSettings) -> None:
    for rule in RULES:
        rule.check(settings)


def check_feeds(settings: BaseSettings) -> None:
    """Every file feed can be written: its folder exists and is writable, or can be made, and
    no other run is writing it now."""
    for uri in settings.getdict("FEEDS"):
        path = local_path(str(uri))
        if path is None:
            continue
        if path.is_dir():
            raise PreflightError(f"feed {path} is a directory: give a file, e.g. {path}/out.jsonl")
        _check_writable_folder(path.parent, f"feed {path}")
        try:
            ensure_output_free(path)
        except OutputBusyError as error:
            raise PreflightError(str(error)) from None


def check_state(settings: BaseSettings, sites: Sequence[str] = ()) -> None:
    """The state can be opened, and no other run holds it (a SQLite file) or one of the
    crawl's `sites` in it (a PostgreSQL database, reached within a few seconds)."""
    if settings.get("STATE_PATH") and settings.get("STATE_URL"):
        raise PreflightError(BOTH_STORES)
    if url := settings.get("STATE_URL"):
        try:
            postgres.check_state_url(str(url), sites)
        except postgres.StateUrlError as error:
            raise PreflightError(f"STATE_URL: {error}") from None
        except StateBusyError as error:  # names the site and the other run already
            raise PreflightError(str(error)) from None
    if not (configured := settings.get("STATE_PATH")):
        return
    path = Path(configured)
    try:
        check_state_file(path)
    except StateFileError as error:
        raise PreflightError(f"STATE_PATH: {error}") from None
    try:
        ensure_state_free(path)
    except StateBusyError as error:  # names the file and the other run's pid already
        raise PreflightError(str(error)) from None


def check_warc_dir(settings: BaseSettings) -> None:
    if not (configured := settings.get("WARC_DIR")):
        return
    path = Path(configured)
    if path.exists() and not path.is_dir():
        raise PreflightError(f"WARC_DIR {path} is a file: give a folder for the WARC files")
    _check_writable_folder(path, f"WARC_DIR {path}")


def check_jobdir(settings: BaseSettings) -> None:
    if not (jobdir := settings.get("JOBDIR")):
        return
    path = Path(jobdir)  # not Scrapy's `job_dir()`: it makes the folder as it reads it
    if path.exists() and not path.is_dir():
        raise PreflightError(f"JOBDIR {path} is a file: give a folder for the job's state")
    _check_writable_folder(path, f"JOBDIR {path}")


STATE_SETTINGS = ("STATE_PATH", "STATE_URL")


def advice(settings: BaseSettings) -> list[str]:
    """What is allowed but probably not meant: one line each, printed before the run."""
    found: list[str] = []
    if state := next((name for name in STATE_SETTINGS if settings.get(name)), None):
        fixed = [
            str(path)
            for uri in settings.getdict("FEEDS")
            if "%(" not in str(uri) and (path := local_path(str(uri))) is not None
        ]
        found.extend(
            f"{state} with a fixed feed {path}: each run writes only what is new and"
            " replaces the file, so what a consumer has not read yet is lost; give each run its"
            " own file, e.g. -O 'out/articles-%(time)s.jsonl'"
            for path in fixed
        )
    return found


def check_all(settings: BaseSettings, sites: Sequence[str] = ()) -> None:
    """Every check, in the order a user would want to hear of the problems; `sites`, those
    the crawl covers (`CrawlArguments.sites`), for the state's locks."""
    check_settings(settings)
    check_feeds(settings)
    check_state(settings, sites)
    check_jobdir(settings)
    check_warc_dir(settings)


def _check_writable_folder(folder: Path, what: str) -> None:
    """`folder` is writable, or its nearest existing ancestor is (so it can be made)."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    if not existing.is_dir():
        raise PreflightError(f"{what}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        verb = "write in" if existing == folder else f"create {folder} in"
        raise PreflightError(f"{what}: cannot {verb} {existing} (permission denied)")
