"""The pipelines on their own (what they drop, why, what they count), and the feed exporters."""

from __future__ import annotations

import csv
import dataclasses
import json
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from galamedia.incremental.pipeline import IncrementalPipeline
from galamedia.incremental.state import IncrementalState
from galamedia.items import Article, Removal
from galamedia.pipelines import DeduplicateArticlePipeline, ValidateArticlePipeline
from tests.helpers import project_settings

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
REMOVAL = Removal(
    url=ARTICLE.url,
    article_id=ARTICLE.article_id,
    site=ARTICLE.site,
    removed_at="2023-03-02T01:00:00+00:00",
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


def test_validation_passes_a_complete_tombstone(crawler: Crawler) -> None:
    assert ValidateArticlePipeline(crawler).process_item(REMOVAL) is REMOVAL
    assert crawler.stats.get_stats() == {}


def test_validation_drops_a_tombstone_without_its_time(crawler: Crawler) -> None:
    with pytest.raises(DropItem, match=r"^missing_removed_at: "):
        ValidateArticlePipeline(crawler).process_item(dataclasses.replace(REMOVAL, removed_at=""))


def test_an_article_and_its_tombstone_are_one_item_per_run(crawler: Crawler) -> None:
    pipeline = DeduplicateArticlePipeline(crawler)
    assert pipeline.process_item(ARTICLE) is ARTICLE
    with pytest.raises(DropItem, match=r"^duplicate: "):
        pipeline.process_item(REMOVAL)


def test_the_state_gives_a_tombstone_its_revision_once_exported(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict=project_settings(STATE_PATH=tmp_path / "state.sqlite"))
    state = crawler.get_extension(IncrementalState)  # opened with the crawler, as in a run
    assert state is not None
    pipeline = IncrementalPipeline.from_crawler(crawler)
    try:
        with pytest.raises(DropItem, match=r"^already_removed: "):  # nothing to withdraw
            pipeline.process_item(dataclasses.replace(REMOVAL))
        assert pipeline.process_item(dataclasses.replace(ARTICLE)).revision == 1
        state.confirm_exports("its feed is written")
        tombstone = pipeline.process_item(dataclasses.replace(REMOVAL))
    finally:
        state.engine_stopped()
    assert tombstone.revision == 2
    assert crawler.stats.get_value("articles/removed") == 1


# Feed exporters -------------------------------------------------------------------------------


def export(feed_format: str, items: list[Article | Removal]) -> bytes:
    """`items` as the feed exporter configured for `feed_format` writes them."""
    settings = Settings(project_settings())
    feed = BytesIO()
    exporter = load_object(settings.getwithbase("FEED_EXPORTERS")[feed_format])(feed)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return feed.getvalue()


@pytest.mark.parametrize("order", ["article first", "tombstone first"])
@pytest.mark.parametrize("feed_format", ["jsonlines", "json", "csv"])
def test_every_feed_format_writes_articles_and_tombstones(feed_format: str, order: str) -> None:
    items = [ARTICLE, dataclasses.replace(REMOVAL, revision=2)]
    if order == "tombstone first":
        items.reverse()
    written = export(feed_format, items).decode("utf-8")
    if feed_format == "csv":
        rows = list(csv.DictReader(StringIO(written)))
        lines = [{name: value for name, value in row.items() if value} for row in rows]
    elif feed_format == "json":
        lines = json.loads(written)
    else:
        lines = [json.loads(line) for line in written.splitlines()]
    by_kind = {"removed_at" in line: line for line in lines}
    tombstone, article = by_kind[True], by_kind[False]
    assert tombstone == {
        "url": REMOVAL.url,
        "article_id": REMOVAL.article_id,
        "site": REMOVAL.site,
        "removed_at": REMOVAL.removed_at,
        "revision": "2" if feed_format == "csv" else 2,
    }
    assert article["title"] == ARTICLE.title
    assert article["body"] == ARTICLE.body
