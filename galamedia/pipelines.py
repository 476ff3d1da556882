"""Item pipelines: they enforce the item contract; the pages did the cleaning."""

from __future__ import annotations

from typing import Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from galamedia.accounting.outcomes import record
from galamedia.items import Article, Removal

REQUIRED_FIELDS = ("url", "article_id", "title", "published_at", "body")
REMOVAL_REQUIRED_FIELDS = ("url", "article_id", "site", "removed_at")


class _AccountingPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def drop(self, item: Article | Removal, reason: str, detail: str) -> DropItem:
        record(self.crawler, str(ItemAdapter(item).get("url")), reason, detail)
        return DropItem(f"{reason}: {detail}")


class ValidateArticlePipeline(_AccountingPipeline):
    """Drops an article, or a tombstone, that lacks a field every consumer relies on, and
    counts why."""

    def process_item(self, item: Article | Removal) -> Article | Removal:
        adapter = ItemAdapter(item)
        required = REMOVAL_REQUIRED_FIELDS if isinstance(item, Removal) else REQUIRED_FIELDS
        missing = [name for name in required if not adapter.get(name)]
        if missing:
            raise self.drop(item, f"missing_{missing[0]}", f"lacks {', '.join(missing)}")
        return item


class DeduplicateArticlePipeline(_AccountingPipeline):
    """One item per article (`site`, `article_id`) per run, whatever URLs led to it: the
    article or its tombstone, whichever came first."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: Article | Removal) -> Article | Removal:
        fields = ItemAdapter(item)
        article_id = fields["article_id"]
        key = (str(fields["site"]), str(article_id))
        if key in self.seen:
            raise self.drop(item, "duplicate", f"article {article_id} already written in this run")
        self.seen.add(key)
        return item
