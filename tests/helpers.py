"""What the tests share: the standard window, the stored page cases, older state files, crawls
in process and in a subprocess, and waiting with a deadline. Test modules import from here, never
from each other.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.http import HtmlResponse
from twisted.internet.defer import Deferred, inlineCallbacks

from galamedia import settings
from galamedia.incremental.sqlite import APPLICATION_ID
from galamedia.rules.dates import WIB

if TYPE_CHECKING:
    from tests.testsite import TestSite

ROOT = Path(__file__).parent.parent
SCRAPY = str(Path(sys.executable).parent / "scrapy")
PAGES = Path(__file__).parent / "pages"

# The window the standard site (`tests.testsite.standard_site`) is built around, and its edges.
SINCE, UNTIL = "2023-02-01", "2023-02-28"
WINDOW_START = datetime(2023, 2, 1, tzinfo=WIB)
WINDOW_END = datetime(2023, 3, 1, tzinfo=WIB)

# Politeness off: the local server is ours and the tests must not wait.
FAST: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.01,
}


def setting_values(values: Mapping[str, Any] = FAST) -> list[str]:
    """Settings as `NAME=VALUE` strings, the form `scrapy crawl -s` and scrapyd take."""
    return [f"{name}={value}" for name, value in values.items()]


def setting_options(values: Mapping[str, Any] = FAST) -> list[str]:
    """Settings as `-s NAME=VALUE` arguments for `scrapy crawl` in a subprocess."""
    return [option for value in setting_values(values) for option in ("-s", value)]


def scrapy_crawl(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl articles …` from the project directory, as the README runs it."""
    return subprocess.run(
        [SCRAPY, "crawl", "articles", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def in_window(site: TestSite) -> set[str]:
    """The ids of every article whose own page date lies in the standard window."""
    generated = {
        a.article_id
        for a in site.generated.values()
        if WINDOW_START <= a.published_at < WINDOW_END
    }
    stored = {
        case.spec["expected"]["article_id"]
        for case in site.cases.values()
        if case.spec["expected"]
        and case.spec.get("standard_site", True)
        and WINDOW_START
        <= datetime.fromisoformat(case.spec["expected"]["published_at"])
        < WINDOW_END
    }
    return generated | stored


def wait_until(
    condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.2
) -> Any:
    """Ask `condition` every `every` seconds until it answers something true, and return it;
    fail once `timeout` seconds have gone by without that (for what has no notification)."""
    deadline = time.monotonic() + timeout
    ticker = threading.Event()  # never set: its wait is the interval between two asks
    while not (answer := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: still not so after {timeout:g} s")
        ticker.wait(every)
    return answer


# Stored pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    """One stored case under `tests/pages/`: its pages, the URL they are served at, and the
    expected outcome."""

    name: str
    directory: Path
    spec: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.spec["url"])

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.spec["fetched_at"])

    @property
    def is_multipage(self) -> bool:
        return (self.directory / "page-1.html").exists()

    @property
    def page_files(self) -> list[Path]:
        """The pages in order (one for a single page, `page-1.html`… for a split article)."""
        if not self.is_multipage:
            return [self.directory / "page.html"]
        return sorted(self.directory.glob("page-[0-9]*.html"), key=lambda p: int(p.stem[5:]))

    def response(self, path: Path, url: str | None = None) -> HtmlResponse:
        return HtmlResponse(url=url or self.url, body=path.read_bytes())


def load_cases() -> list[PageCase]:
    return [
        PageCase(directory.name, directory, json.loads((directory / "case.json").read_text()))
        for directory in sorted(PAGES.iterdir())
        if (directory / "case.json").exists()
    ]


# State files ----------------------------------------------------------------------------

# An article as the state stores it (the fields its content hash reads), and its tombstone.
NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
STORED_ARTICLE: dict[str, Any] = {
    "site": "galamedia.pikiran-rakyat.com",
    "article_id": "016338423",
    "url": "https://galamedia.pikiran-rakyat.com/internasional/pr-016338423/slug",
    "published_at": "2023-02-22T20:08:00+07:00",
    "title": "Judul",
    "body": "Isi.",
    "editor": "Ryan Pratama",
    "source": "DW",
    "tags": ["China"],
    "image_url": None,
    "crawled_at": "ignored by the hash",
}
REMOVAL: dict[str, Any] = {
    "site": STORED_ARTICLE["site"],
    "article_id": STORED_ARTICLE["article_id"],
    "url": STORED_ARTICLE["url"],
    "removed_at": "2026-11-28T06:00:00+00:00",
}

# The state's tables as schema 1 had them, and the first release before it (unstamped).
STATE_SCHEMA_1 = """
CREATE TABLE articles (
    site TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT NOT NULL, published_at TEXT,
    first_seen TEXT NOT NULL, last_fetched TEXT NOT NULL, content_hash TEXT NOT NULL,
    exported_hash TEXT, revision INTEGER NOT NULL DEFAULT 0, exported_at TEXT,
    PRIMARY KEY (site, article_id)
);
CREATE TABLE pending (
    run_id INTEGER NOT NULL, site TEXT NOT NULL, article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL, revision INTEGER NOT NULL,
    PRIMARY KEY (run_id, site, article_id)
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
    window_start TEXT, window_end TEXT, finish_reason TEXT, exit_status INTEGER,
    duration_seconds REAL, summary TEXT
);
"""


def old_state_file(path: Path, *, version: int) -> Path:
    """A state file as an older crawler left it: schema 1 (`version=1`), or the first
    release's (`version=0`: the same tables, no application id nor version)."""
    db = sqlite3.connect(path)
    try:
        db.executescript(STATE_SCHEMA_1)
        if version:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    finally:
        db.close()
    return path


# Crawls in process ----------------------------------------------------------------------


def project_settings(**overrides: Any) -> dict[str, Any]:
    """`galamedia/settings.py` as `scrapy crawl` reads it, with the tests' overrides."""
    ours = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    return {**ours, **FAST, "LOG_LEVEL": "INFO", **overrides}


@dataclass(frozen=True)
class Download:
    """A request as it reached the downloader: its download slot, and that slot's delay then
    (the delay Scrapy keeps between this request and the slot's previous one)."""

    url: str
    slot: str
    delay: float

    @property
    def path(self) -> str:
        """The path with its query, as the test site records it."""
        parts = urlsplit(self.url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path


class CrawlResult:
    def __init__(self, crawler: Crawler, items: list[Any], downloads: list[Download]) -> None:
        self.crawler = crawler
        self.items = items
        self.downloads = downloads
        """Every request in the order it reached the downloader, retries included."""

    def stat(self, key: str) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_value(key)

    def stats_with_prefix(self, prefix: str) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith(prefix)}


@inlineCallbacks
def crawl(settings: dict[str, Any] | None = None, **spider_args: Any) -> Deferred[CrawlResult]:
    """Crawl with the project's settings (politeness off unless `settings` says otherwise),
    collecting the items and the schedule the downloader kept."""
    # imported here, not with this module: the test site (run alone, and by the benchmarks)
    # imports this module for the stored pages, and needs no spider
    from galamedia.spiders.articles import ArticlesSpider  # noqa: PLC0415

    # Built as `scrapy crawl` builds it, not by `get_crawler`, which applies the settings at
    # once: they are applied once the spider exists, and it may adjust them (`-a warc`).
    runner = CrawlerRunner(
        {"TELNETCONSOLE_ENABLED": False, **project_settings(**(settings or {}))}
    )
    crawler = runner.create_crawler(ArticlesSpider)
    items: list[Any] = []
    downloads: list[Download] = []

    def collect(item: Any) -> None:
        items.append(item)

    def reached(request: Request) -> None:
        assert crawler.engine is not None
        downloader = crawler.engine.downloader
        key = downloader.get_slot_key(request)
        downloads.append(Download(request.url, key, downloader.slots[key].delay))

    crawler.signals.connect(collect, signal=signals.item_scraped)
    crawler.signals.connect(reached, signal=signals.request_reached_downloader)
    yield crawler.crawl(**spider_args)
    return CrawlResult(crawler, items, downloads)
