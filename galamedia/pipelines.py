"""Item pipelines: they enforce the item contract; the pages did the cleaning."""

from __future__ import annotations

from typing import Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from galamedia.items import Article

REQUIRED_FIELDS = ("url", "article_id", "title", "published_at", "body")


class _CountingPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def drop(self, reason: str, message: str) -> DropItem:
        self.stats.inc_value(f"articles/dropped/{reason}")
        return DropItem(f"{reason}: {message}")


class ValidateArticlePipeline(_CountingPipeline):
    """Drops an article that lacks a field every consumer relies on, and counts why."""

    def process_item(self, item: Article) -> Article:
        adapter = ItemAdapter(item)
        missing = [name for name in REQUIRED_FIELDS if not adapter.get(name)]
        if missing:
            raise self.drop(
                f"missing_{missing[0]}", f"{adapter.get('url')} lacks {', '.join(missing)}"
            )
        return item


class DeduplicateArticlePipeline(_CountingPipeline):
    """One item per `article_id` per run, whatever URLs and redirects led to it."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        self.seen: set[str] = set()

    def process_item(self, item: Article) -> Article:
        article_id = ItemAdapter(item)["article_id"]
        if article_id in self.seen:
            raise self.drop("duplicate", f"article {article_id} was already written in this run")
        self.seen.add(article_id)
        return item
