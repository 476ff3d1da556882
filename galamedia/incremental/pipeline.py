"""New-or-changed delivery: with the state on, each run emits only what is new or changed."""

from __future__ import annotations

from typing import NoReturn, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from galamedia.accounting.outcomes import record
from galamedia.accounting.verdict import RunVerdict
from galamedia.export.storage import local_path
from galamedia.incremental.state import IncrementalState
from galamedia.items import Article, Removal
from galamedia.signals import feed_published


class IncrementalPipeline:
    """Emits an article only if it was never exported or changed since its last export, and
    the tombstone (`Removal`) of an exported article found gone only once.

    An emitted article or tombstone is exported only once its feed has been written (the
    atomic `-O` rename), or, without a file feed, once the run succeeded: a crash before that
    means it is emitted again next run (at-least-once, never lossy).
    """

    def __init__(self, crawler: Crawler, state: IncrementalState) -> None:
        self.crawler = crawler
        self.state = state
        self.has_file_feed = any(
            local_path(str(uri)) is not None for uri in crawler.settings.getdict("FEEDS")
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = crawler.get_extension(IncrementalState)
        if state is None:  # neither STATE_PATH nor STATE_URL
            raise NotConfigured
        pipeline = cls(crawler, state)
        crawler.signals.connect(pipeline.feed_published, signal=feed_published)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Article | Removal) -> Article | Removal:
        fields = ItemAdapter(item)
        if isinstance(item, Removal):
            revision = self.state.removal(fields)
            if revision is None:
                self._drop(fields, "already_removed", "no export of it left to withdraw")
            self.crawler.stats.inc_value("articles/removed")
        else:
            revision = self.state.revision(fields)
            if revision is None:
                self._drop(fields, "unchanged", "already exported as it is")
        fields["revision"] = revision
        return item

    def _drop(self, fields: ItemAdapter, reason: str, detail: str) -> NoReturn:
        record(self.crawler, str(fields["url"]), reason, detail)
        raise DropItem(f"{reason}: {detail}", log_level="DEBUG")

    def feed_published(self, path: str) -> None:
        self.state.confirm_exports(f"feed {path} written")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self.has_file_feed and RunVerdict.of(self.crawler).verdict.ok:
            self.state.confirm_exports("run succeeded, no file feed")
