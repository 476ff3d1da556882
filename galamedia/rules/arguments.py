"""The `articles` spider's arguments: parsed and checked before any request is made."""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from galamedia.rules.dates import WIB
from galamedia.rules.urls import (
    canonical_article_url,
    is_legacy_article_url,
    origin_of,
    site_of,
    source_path,
)

DEFAULT_BASE_URL = "https://galamedia.pikiran-rakyat.com"
DEFAULT_HOURS = 24
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ArgumentError(ValueError):
    """A spider argument with a bad value: `str()` is one line naming the argument."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


@dataclass(frozen=True, slots=True)
class Window:
    """Publication times wanted: `start <= published_at < end`."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()} ≤ published_at < {self.end.isoformat()}"


SOURCES = ("index", "sitemap", "feed", "kanal:<slug>", "tag:<Tag>")
_KANAL = re.compile(r"kanal:([a-z0-9]+(?:-[a-z0-9]+)*)")
_TAG = re.compile(r"tag:(\S.{0,80})")


@dataclass(frozen=True, slots=True)
class Source:
    """One way into a site: `index`, `sitemap`, `feed`, or a `kanal` or `tag` listing."""

    kind: str
    name: str = ""
    """The kanal's slug or the tag's name; empty for the others."""

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @property
    def path(self) -> str:
        """Where on a site this way in starts."""
        return source_path(self.kind, self.name)


@dataclass(frozen=True, slots=True)
class CrawlArguments:
    """What one crawl is asked to do."""

    origins: tuple[str, ...]
    """The sites' origins (`https://galamedia.pikiran-rakyat.com`, any PRMN site, or a local
    copy such as `http://127.0.0.1:8000`): discovery starts there and stays there."""

    window: Window | None
    """The publication times to collect; None when given article URLs."""

    urls: tuple[str, ...] = field(default=())
    """Article URLs to fetch directly, in canonical form (no discovery, no window)."""

    sources: tuple[Source, ...] = (Source("index"),)
    """Ways into each site: `index`, `sitemap`, `feed`, `kanal:<slug>`, `tag:<Tag>`."""

    archives: tuple[str, ...] = ()
    """WARC files whose responses the crawl reads instead of the network (`warc`), in name
    order; empty for a live crawl."""

    @property
    def base_url(self) -> str:
        """The first (usually only) site's origin."""
        return self.origins[0]

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The origins (scheme, host and port) this crawl may request."""
        return tuple(dict.fromkeys(origin_of(url) for url in self.urls or self.origins))

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """The hosts this crawl may request."""
        origins = self.urls or self.origins
        return tuple(dict.fromkeys(urlsplit(url).hostname or "" for url in origins))

    @property
    def sites(self) -> tuple[str, ...]:
        """The sites this crawl covers, as items and the state name them (`site_of`)."""
        return tuple(dict.fromkeys(site_of(origin) for origin in self.allowed_origins))


@runtime_checkable
class ChecksArguments(Protocol):
    """A spider that checks its `-a` arguments before the crawl starts: the `crawl` command
    calls it first, so a bad argument is one line and exit code 2, before any request."""

    @classmethod
    def check_arguments(cls, raw: Mapping[str, str]) -> CrawlArguments: ...


NAMES = frozenset({"base_url", "sites", "source", "since", "until", "url", "warc"})
ARCHIVE_SUFFIXES = (".warc.gz", ".warc")


def known_sites() -> dict[str, str]:
    """The PRMN sites shipped with the project: short name → origin."""
    data = resources.files("galamedia").joinpath("data/prmn_sites.json").read_text("utf-8")
    return {name: origin for name, origin in json.loads(data).items() if not name.startswith("_")}


def parse_arguments(raw: Mapping[str, str], *, now: datetime) -> CrawlArguments:
    """Check the spider's `-a` arguments; raise `ArgumentError` naming the first bad one."""
    unknown = sorted(set(raw) - NAMES)
    if unknown:
        raise ArgumentError(unknown[0], f"unknown argument (known: {', '.join(sorted(NAMES))})")
    if "base_url" in raw and "sites" in raw:
        raise ArgumentError("sites", "give base_url or sites, not both")
    base_url = _origin(raw.get("base_url", DEFAULT_BASE_URL))
    origins = _sites(raw["sites"]) if "sites" in raw else (base_url,)
    sources = _sources(raw.get("source", "index"))
    urls = tuple(_article_url(value) for value in raw.get("url", "").split(",") if value.strip())
    archives = _archives(raw["warc"]) if "warc" in raw else ()
    if "url" in raw and not urls:
        raise ArgumentError("url", "give one or more article URLs, separated by commas")
    if urls:
        if "since" in raw or "until" in raw:
            raise ArgumentError("url", "article URLs are fetched as given: drop since/until")
        if "source" in raw or "sites" in raw:
            raise ArgumentError("url", "article URLs are fetched as given: drop source/sites")
        if "base_url" in raw and (stray := [u for u in urls if _origin(u, "url") != base_url]):
            raise ArgumentError("url", f"{stray[0]} is not on base_url {base_url}")
        return CrawlArguments(origins=(base_url,), window=None, urls=urls, archives=archives)
    return CrawlArguments(
        origins=origins, window=_window(raw, now=now), sources=sources, archives=archives
    )


def _sites(value: str) -> tuple[str, ...]:
    names = known_sites()
    origins = []
    for site in (part.strip() for part in value.split(",") if part.strip()):
        if "://" in site:
            origins.append(_origin(site, "sites"))
        elif site in names:
            origins.append(names[site])
        else:
            raise ArgumentError(
                "sites", f"{site!r} is neither an origin nor a known site ({', '.join(names)})"
            )
    if not origins:
        raise ArgumentError("sites", "give one or more origins or site names, comma-separated")
    return tuple(dict.fromkeys(origins))


def _sources(value: str) -> tuple[Source, ...]:
    sources = []
    for source in (part.strip() for part in value.split(",") if part.strip()):
        if source in ("index", "sitemap", "feed"):
            sources.append(Source(source))
        elif listing := _KANAL.fullmatch(source) or _TAG.fullmatch(source):
            sources.append(Source(source.split(":", 1)[0], listing[1]))
        else:
            raise ArgumentError("source", f"{source!r} is not one of {', '.join(SOURCES)}")
    if not sources:
        raise ArgumentError("source", f"give one or more of {', '.join(SOURCES)}")
    return tuple(dict.fromkeys(sources))


def _window(raw: Mapping[str, str], *, now: datetime) -> Window:
    # The default ends are "now" in WIB, to the second, like every other time the crawl shows
    # (`2026-11-27T13:00:00+07:00`, not `06:00:00.123456+00:00`); published times are whole
    # seconds, so only what is published in this very second is left out.
    now = now.astimezone(WIB).replace(microsecond=0)
    until = _moment("until", raw["until"], end=True) if "until" in raw else now
    since = (
        _moment("since", raw["since"], end=False)
        if "since" in raw
        else min(until, now) - timedelta(hours=DEFAULT_HOURS)
    )
    if since > now:
        raise ArgumentError("since", f"{raw['since']} is in the future: nothing is published yet")
    if until <= since:
        raise ArgumentError("until", f"{raw.get('until', 'now')} is not after since")
    return Window(since, until)


def _moment(name: str, value: str, *, end: bool) -> datetime:
    """A WIB calendar date (`until` covers the whole day) or an ISO datetime with offset."""
    value = value.strip()
    if _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ArgumentError(name, f"{value} is not a real date") from None
        start = datetime(day.year, day.month, day.day, tzinfo=WIB)
        return start + timedelta(days=1) if end else start
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ArgumentError(
            name, f"{value!r} is neither a date (YYYY-MM-DD) nor an ISO datetime"
        ) from None
    if moment.tzinfo is None:
        raise ArgumentError(name, f"{value} needs an offset, e.g. {value}+07:00")
    # Published times are whole seconds: the end of an inclusive `until` is one second later.
    return (moment + timedelta(seconds=1) if end else moment).astimezone(WIB)


def _origin(value: str, name: str = "base_url") -> str:
    try:
        parts = urlsplit(value.strip())
        port = f":{parts.port}" if parts.port else ""
    except ValueError as error:  # a bad port or IPv6 literal
        raise ArgumentError(name, f"{value!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(name, f"{value!r} is not an http(s) URL")
    if name in ("base_url", "sites") and (
        parts.path not in ("", "/") or parts.query or parts.fragment
    ):
        raise ArgumentError(
            name, f"{value!r} is not an origin (no path: {parts.scheme}://{parts.netloc})"
        )
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _archives(value: str) -> tuple[str, ...]:
    """The WARC files `warc` names: a file, a folder's `*.warc.gz` and `*.warc` files (not
    the `.open` one a running or killed capture leaves), or a glob; in name order, which is
    capture order for the crawler's own files."""
    value = value.strip()
    path = Path(value).expanduser()
    if not value:
        raise ArgumentError("warc", "give a WARC file, a folder of them, or a glob")
    if any(sign in value for sign in "*?["):
        found = sorted(name for name in glob.glob(str(path)) if Path(name).is_file())
        if not found:
            raise ArgumentError("warc", f"{value} matches no file")
        return tuple(found)
    if path.is_dir():
        found = sorted(str(p) for p in path.iterdir() if p.name.endswith(ARCHIVE_SUFFIXES))
        if not found:
            raise ArgumentError("warc", f"{value} holds no WARC file (*.warc.gz, *.warc)")
        return tuple(found)
    if not path.is_file():
        raise ArgumentError("warc", f"{value}: no such file or folder")
    return (str(path),)


def _article_url(value: str) -> str:
    canonical = canonical_article_url(value.strip())
    if canonical is None and is_legacy_article_url(value.strip()):
        return value.strip()  # `/read/{id}`: the site redirects it to the article
    if canonical is None:
        raise ArgumentError("url", f"{value.strip()!r} is not an article URL (…/kanal/pr-id/slug)")
    return canonical
