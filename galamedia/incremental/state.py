"""The incremental state's one owner: it opens, locks, answers for, records and closes it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.settings import BaseSettings

from galamedia.incremental.sqlite import SqliteStateStore
from galamedia.incremental.store import KnownArticle, StateBusyError, StateStore
from galamedia.rules.arguments import CrawlArguments, Window
from galamedia.rules.dates import WIB
from galamedia.rules.urls import parse_article_url

logger = logging.getLogger(__name__)


BOTH_STORES = "give STATE_PATH (a SQLite file) or STATE_URL (a PostgreSQL database), not both"


def open_store(settings: BaseSettings) -> StateStore | None:
    """The store the settings name: `STATE_PATH`, a SQLite file; `STATE_URL`, a PostgreSQL
    database; None without either."""
    path, url = settings.get("STATE_PATH"), settings.get("STATE_URL")
    if path and url:
        raise ValueError(BOTH_STORES)
    if url:
        # imported only for it: psycopg is optional (the `dist` extra)
        from galamedia.incremental.postgres import PostgresStateStore  # noqa: PLC0415

        return PostgresStateStore(str(url))
    return SqliteStateStore(Path(path)) if path else None


class IncrementalState:
    """The run's view of `STATE_PATH` or `STATE_URL`; off (`NotConfigured`) without them.

    The store is opened when the crawl is set up (a SQLite file locked then, so a second run
    on the same file fails before anything is fetched), its sites claimed as the spider
    starts (a PostgreSQL state locks each site then), and closed when the engine stops.
    Everything else asks it through the crawler (`crawler.get_extension(IncrementalState)`):
    the spider for the window, what to skip and what was exported, the pipeline for
    revisions, the report to record the run.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        store = open_store(settings)
        if store is None:
            raise NotConfigured
        self.store = store
        self.overlap = timedelta(hours=settings.getfloat("STATE_OVERLAP_HOURS"))
        self.refresh = timedelta(hours=settings.getfloat("REFRESH_HOURS"))
        self.run_id = self.store.begin_run(started_at=datetime.now(UTC))
        self.refresh_from = datetime.now(UTC) - self.refresh
        """Exported articles published before this are not fetched again."""
        logger.info("incremental state: %s (run %d)", store.location, self.run_id)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = cls(crawler)
        crawler.signals.connect(state.engine_stopped, signal=signals.engine_stopped)
        return state

    def settle(self, arguments: CrawlArguments, *, explicit_since: bool) -> CrawlArguments:
        """The arguments this run carries out: without an explicit `since`, the window starts
        at the last successful run's start less `STATE_OVERLAP_HOURS`, so a cron line needs no
        dates. Also fixes how far back exported articles are refreshed.

        Claims the crawl's sites first: a crawl whose site another run holds closes
        (`state_busy`) before any request. (`scrapy crawl` refuses it earlier, in one line;
        this is for a run that took the site in between.)"""
        try:
            self.store.claim(arguments.sites)
        except StateBusyError as error:
            logger.error("%s", error)
            raise CloseSpider("state_busy") from None
        window = arguments.window
        if window is not None and not explicit_since:
            last = self.store.last_successful_start()
            if last is not None:
                window = Window((last - self.overlap).astimezone(WIB), window.end)
                arguments = replace(arguments, window=window)
        end = window.end if window is not None else datetime.now(UTC)
        self.refresh_from = end - self.refresh
        return arguments

    def discovery_window(self, window: Window) -> Window:
        """The window listings are read for: far enough back to catch late edits."""
        return Window(min(window.start, self.refresh_from), window.end)

    def known(self, url: str) -> KnownArticle | None:
        """What the state knows of the article at `url`; None for an article it never saw."""
        article = parse_article_url(url)
        return self.store.known(article.site, article.article_id) if article else None

    def is_settled(self, url: str, listed_at: datetime | None) -> bool:
        """True for an exported article too old to look at again."""
        known = self.known(url)
        if known is None or not known.is_exported:
            return False
        published = datetime.fromisoformat(known.published_at) if known.published_at else listed_at
        return published is not None and published < self.refresh_from

    def revision(self, fields: Mapping[str, Any]) -> int | None:
        """Record a fetched article; the revision to export it as, or None if unchanged."""
        return self.store.fetched(run_id=self.run_id, fields=fields, at=datetime.now(UTC))

    def removal(self, fields: Mapping[str, Any]) -> int | None:
        """Record the tombstone of an exported article found gone; its revision, or None if
        there is nothing to tell (never exported, or its tombstone exported already)."""
        return self.store.removed(run_id=self.run_id, fields=fields)

    def confirm_exports(self, why: str) -> None:
        """This run's emitted articles and tombstones now count as exported."""
        count = self.store.confirm_exports(self.run_id, at=datetime.now(UTC))
        logger.info("%d items now count as exported (%s)", count, why)

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        return self.store.recent_runs(limit)

    def finish_run(self, summary: Mapping[str, Any], *, exit_status: int) -> None:
        self.store.finish_run(self.run_id, report=summary, exit_status=exit_status)

    def engine_stopped(self) -> None:
        self.store.close()

    def summary(self, stats: Mapping[str, Any]) -> str:
        """The log line saying what the state skipped and why."""
        unchanged = stats.get("articles/not_written/unchanged", 0)
        settled = stats.get("articles/not_written/already_exported", 0)
        return (
            f"{unchanged} already exported, unchanged; {settled} exported earlier, not fetched"
            f" again; state: {self.store.location}"
        )
