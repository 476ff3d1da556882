"""What a command line asks for, checked and turned into chunks before anything is submitted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from scrapy.settings import Settings

from galamedia import settings as project_settings
from galamedia.commands import preflight
from galamedia.distributed import chunks
from galamedia.distributed.crawl import RESERVED_SETTINGS
from galamedia.distributed.ledger import PlannedChunk
from galamedia.rules.arguments import ArgumentError, known_sites, parse_arguments
from galamedia.rules.dates import WIB
from galamedia.rules.urls import site_of

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SETTING = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)", re.DOTALL)
FIRST_HOURLY_HOURS = 24
"""An hourly site's first run reaches back as far as a crawl without dates does."""


class PlanError(ValueError):
    """Bad input on the command line: `str()` is one line naming it."""


@dataclass(frozen=True, slots=True)
class Site:
    key: str
    """The site's name in feeds, the state and `status`: its host, with the port if any."""
    origin: str


def resolve_sites(value: str) -> list[Site]:
    """`all` (the PRMN sites the crawler knows), or short names and origins, comma-separated,
    as the spider's `sites` argument takes them."""
    if value.strip() == "all":
        origins: Iterable[str] = known_sites().values()
    else:
        try:
            origins = parse_arguments({"sites": value}, now=datetime.now(WIB)).origins
        except ArgumentError as error:
            raise PlanError(f"--{error}") from None
    return [Site(site_of(origin), origin) for origin in dict.fromkeys(origins)]


def parse_settings(values: Sequence[str]) -> dict[str, str]:
    """`--set NAME=VALUE` pairs, each checked as `scrapy crawl` would check it."""
    found: dict[str, str] = {}
    for value in values:
        match = _SETTING.fullmatch(value.strip())
        if match is None:
            raise PlanError(f"--set {value!r}: give NAME=VALUE, e.g. DOWNLOAD_DELAY=2")
        name, setting = match[1], match[2]
        if name in RESERVED_SETTINGS:
            raise PlanError(
                f"--set {name}: set by the distributed runner for each chunk (the state is"
                " GALAMEDIA_STATE_URL, the feed GALAMEDIA_FEED_URI)"
            )
        found[name] = setting
    merged = Settings()
    merged.setmodule(project_settings)
    merged.setdict(found, priority="cmdline")
    try:
        preflight.check_settings(merged)
    except preflight.PreflightError as error:
        raise PlanError(f"--set {error}") from None
    return found


def parse_day(name: str, value: str) -> date:
    if not _DATE.fullmatch(value.strip()):
        raise PlanError(f"--{name}: {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PlanError(f"--{name}: {value} is not a real date") from None


def backfill_chunks(
    sites: Sequence[Site], since: str, until: str, size: str, *, now: datetime
) -> list[PlannedChunk]:
    """Every site's window in chunks, oldest first; the window is checked as the spider
    checks it (`until` not before `since`, `since` not in the future)."""
    first, last = parse_day("since", since), parse_day("until", until)
    try:
        parse_arguments({"since": since, "until": until}, now=now)
    except ArgumentError as error:
        raise PlanError(f"--{error}") from None
    if size not in chunks.SIZES:
        raise PlanError(f"--chunk: {size!r} is not one of {', '.join(chunks.SIZES)}")
    return [
        PlannedChunk(site.key, site.origin, part.since.isoformat(), part.until.isoformat())
        for site in sites
        for part in chunks.split(first, last, size)
    ]


class KnowsHourlyRuns(Protocol):
    def last_hourly_start(self, site: str) -> datetime | None: ...


def hourly_chunks(
    sites: Iterable[tuple[str, str]],
    ledger: KnowsHourlyRuns,
    *,
    now: datetime,
    settings: Mapping[str, str] | None = None,
) -> list[PlannedChunk]:
    """One chunk per site: from its last successful hourly run's start, less
    `STATE_OVERLAP_HOURS`, to now (the first: the last 24 hours). Explicit, per site: the
    state's own default window is the whole state's last run, whichever site that was."""
    overlap = timedelta(
        hours=float(
            (settings or {}).get("STATE_OVERLAP_HOURS", project_settings.STATE_OVERLAP_HOURS)
        )
    )
    until = now.astimezone(WIB).replace(microsecond=0)
    planned = []
    for site, origin in sites:
        last = ledger.last_hourly_start(site)
        start = last - overlap if last else until - timedelta(hours=FIRST_HOURLY_HOURS)
        since = start.astimezone(WIB).replace(microsecond=0)
        planned.append(PlannedChunk(site, origin, since.isoformat(), until.isoformat()))
    return planned
