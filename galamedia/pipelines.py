"""Item pipelines: they enforce the item contract; the pages did the cleaning."""

from __future__ import annotations

from typing import Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from galamedia.items import Article

REQUIRED_FIELDS = ("url", "article_id", "title", "published_at", "body")


class ValidateArticlePipeline:
    """Drops an article that lacks a field every consumer relies on, and counts why."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None  # set by the crawler before components are built
        return cls(crawler.stats)

    def process_item(self, item: Article) -> Article:
        adapter = ItemAdapter(item)
        missing = [name for name in REQUIRED_FIELDS if not adapter.get(name)]
        if missing:
            reason = f"missing_{missing[0]}"
            self.stats.inc_value(f"articles/dropped/{reason}")
            raise DropItem(f"{reason}: {adapter.get('url')} lacks {', '.join(missing)}")
        return item
