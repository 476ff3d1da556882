"""The pipelines on their own: what they drop, with which reason, and what they count."""

from __future__ import annotations

import dataclasses

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from galamedia.items import Article
from galamedia.pipelines import DeduplicateArticlePipeline, ValidateArticlePipeline

ARTICLE = Article(
    url="https://galamedia.pikiran-rakyat.com/internasional/pr-016338423/slug",
    article_id="016338423",
    site="galamedia.pikiran-rakyat.com",
    title="Judul",
    published_at="2023-02-22T20:08:00+07:00",
    published_at_raw="2023-02-22T20:08:00+07:00",
    author=None,
    editor=None,
    source=None,
    category="Internasional",
    category_slug="internasional",
    image_url=None,
    image_caption=None,
    image_credit=None,
    dateline=None,
    body="Isi berita.",
    page_count=1,
    word_count=2,
    crawled_at="2023-02-22T14:30:00+00:00",
)


@pytest.fixture
def crawler() -> Crawler:
    return get_crawler()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": None}, "missing_title"),
        ({"title": ""}, "missing_title"),
        ({"published_at": None}, "missing_published_at"),
        ({"body": ""}, "missing_body"),
        ({"url": ""}, "missing_url"),
        ({"article_id": ""}, "missing_article_id"),
    ],
)
def test_validation_drops_with_a_reason(
    crawler: Crawler, changes: dict[str, object], reason: str
) -> None:
    pipeline = ValidateArticlePipeline(crawler)
    with pytest.raises(DropItem, match=f"^{reason}: "):
        pipeline.process_item(dataclasses.replace(ARTICLE, **changes))
    assert crawler.stats.get_value(f"articles/not_written/{reason}") == 1


def test_validation_passes_a_complete_article(crawler: Crawler) -> None:
    assert ValidateArticlePipeline(crawler).process_item(ARTICLE) is ARTICLE
    assert crawler.stats.get_stats() == {}


def test_one_item_per_article_id(crawler: Crawler) -> None:
    pipeline = DeduplicateArticlePipeline(crawler)
    assert pipeline.process_item(ARTICLE) is ARTICLE
    other_url = dataclasses.replace(ARTICLE, url=ARTICLE.url.replace("internasional", "nasional"))
    with pytest.raises(DropItem, match=r"^duplicate: "):
        pipeline.process_item(other_url)
    assert crawler.stats.get_value("articles/not_written/duplicate") == 1
