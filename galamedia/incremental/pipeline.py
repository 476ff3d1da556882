"""Scheduled runs: with `STATE_PATH`, each run delivers only what is new or changed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import BaseSettings

from galamedia.accounting.outcomes import feed_published, record
from galamedia.incremental.store import StateStore
from galamedia.items import Article
from galamedia.rules.arguments import CrawlArguments, Window
from galamedia.rules.dates import WIB
from galamedia.rules.urls import is_local_file, parse_article_url

logger = logging.getLogger(__name__)


@dataclass
class Incremental:
    """One run's view of the state: its id, how far back to refresh, what to skip."""

    store: StateStore
    run_id: int
    refresh_from: datetime
    """Exported articles published before this are not fetched again."""

    @classmethod
    def open(
        cls, settings: BaseSettings, arguments: CrawlArguments, *, explicit_since: bool
    ) -> tuple[Self, CrawlArguments] | None:
        """Open the state named by `STATE_PATH`, and the window it implies; None when off.

        Without an explicit `since`, the window starts at the last successful run's start less
        `STATE_OVERLAP_HOURS`, so a cron line needs no dates.
        """
        path = settings.get("STATE_PATH")
        if not path:
            return None
        store = StateStore(Path(path))
        now = datetime.now(UTC)
        window = arguments.window
        if window is not None and not explicit_since:
            last = store.last_successful_start()
            if last is not None:
                overlap = timedelta(hours=settings.getfloat("STATE_OVERLAP_HOURS"))
                window = Window((last - overlap).astimezone(WIB), window.end)
                arguments = replace(arguments, window=window)
        end = window.end if window is not None else now
        refresh_from = end - timedelta(hours=settings.getfloat("REFRESH_HOURS"))
        incremental = cls(store, store.begin_run(started_at=now), refresh_from)
        logger.info("incremental state: %s (run %d)", path, incremental.run_id)
        return incremental, arguments

    def walk(self, window: Window) -> Window:
        """The window the index is walked over: far enough back to catch late edits."""
        return Window(min(window.start, self.refresh_from), window.end)

    def is_settled(self, url: str, listed_at: datetime | None) -> bool:
        """True for an exported article too old to look at again."""
        article = parse_article_url(url)
        host = urlsplit(url).hostname or ""
        known = self.store.known(host, article.article_id) if article else None
        if known is None or not known.is_exported:
            return False
        published = datetime.fromisoformat(known.published_at) if known.published_at else listed_at
        return published is not None and published < self.refresh_from


class IncrementalPipeline:
    """Emits an article only if it was never exported or changed since its last export.

    An emitted article is exported only once its feed has been written (the atomic `-O`
    rename), or, without a file feed, once the run succeeded: a crash before that means it is
    emitted again next run (at-least-once, never lossy).
    """

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.get("STATE_PATH"):
            raise NotConfigured
        self.crawler = crawler
        self.has_file_feed = any(
            is_local_file(str(uri)) for uri in crawler.settings.getdict("FEEDS")
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.feed_published, signal=feed_published)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.engine_stopped, signal=signals.engine_stopped)
        return pipeline

    @property
    def incremental(self) -> Incremental:
        state = getattr(self.crawler.spider, "incremental", None)
        assert isinstance(state, Incremental)  # STATE_PATH set: the spider opened it
        return state

    def process_item(self, item: Article) -> Article:
        fields = ItemAdapter(item)
        revision = self.incremental.store.fetched(
            run_id=self.incremental.run_id, fields=fields, at=datetime.now(UTC)
        )
        if revision is None:
            record(self.crawler, str(fields["url"]), "unchanged", "already exported as it is")
            raise DropItem("unchanged: already exported as it is", log_level="DEBUG")
        fields["revision"] = revision
        return item

    def feed_published(self, path: str) -> None:
        self._confirm(f"feed {path} written")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self.has_file_feed and self.crawler.stats.get_value("run/verdict") == "ok":
            self._confirm("run succeeded, no file feed")

    def engine_stopped(self) -> None:
        state = getattr(self.crawler.spider, "incremental", None)
        if isinstance(state, Incremental):
            state.store.close()

    def _confirm(self, why: str) -> None:
        count = self.incremental.store.confirm_exports(
            self.incremental.run_id, at=datetime.now(UTC)
        )
        logger.info("%d articles now count as exported (%s)", count, why)


def state_summary(stats: Mapping[str, Any], path: str) -> str:
    """The log line saying what the state skipped and why."""
    unchanged = stats.get("articles/not_written/unchanged", 0)
    settled = stats.get("articles/not_written/already_exported", 0)
    return (
        f"{unchanged} already exported, unchanged; {settled} exported earlier, not fetched again;"
        f" state: {path}"
    )
