"""The drifted template: a crawl of a site of generated articles (`tests/drifted.py`) in a
redesign that keeps none of PRMN's classes, every field compared with the generator's truth."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, fields
from typing import Any

import lxml.html
import pytest
import pytest_twisted

from tests.drifted import DATELINE, SEED, DriftedArticle, Layers, generate, routes
from tests.helpers import SINCE, UNTIL, CrawlResult, crawl
from tests.testsite import TestSite, drifted_site

COUNT = 200
ORIGIN = "http://127.0.0.1:8000"  # for the tests that serve nothing

# The fields compared, each right on at least FIELD_SHARE of the articles; the body, exact to
# the character, on at least BODY_SHARE.
FIELDS = (
    "title", "published_at", "updated_at", "author", "editor", "source", "category", "tags",
    "image_url", "image_caption", "image_credit", "dateline", "related_urls", "page_count",
    "word_count", "url", "article_id", "category_slug",
)  # fmt: skip
FIELD_SHARE = 0.99
BODY_SHARE = 0.97
SHOWN = 5
"""Mismatches shown per field in a failure message."""


@pytest.fixture(scope="module")
def drifted() -> Iterator[tuple[TestSite, CrawlResult]]:
    """One crawl of the drifted site, its window covering every article, for every test here."""
    with drifted_site(COUNT, SEED) as site:
        yield site, pytest_twisted.blockon(crawl(base_url=site.origin, since=SINCE, until=UNTIL))


def item_fields(item: Any) -> dict[str, Any]:
    """The item as a dict: the `Article` dataclass, whatever fields it has today."""
    return asdict(item)


Mismatch = tuple[str, Any, Any]
"""(article_id, expected, got)"""


def compare(site: TestSite, items: list[Any]) -> tuple[dict[str, list[Mismatch]], list[str]]:
    """For each compared field (and the body), the articles whose item disagrees with the
    truth; an article without an item disagrees on every field. Also the compared fields the
    items do not have (yet): skipped here, reported by the caller."""
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        values = item_fields(item)
        by_id.setdefault(values["article_id"], values)
    wrong: dict[str, list[Mismatch]] = {name: [] for name in (*FIELDS, "body")}
    absent: list[str] = []
    for article_id, truth in sorted(site.drifted.items()):
        expected = truth.expected(site.origin)
        got = by_id.get(article_id)
        for name, found in wrong.items():
            if got is None:
                found.append((article_id, expected[name], "<no item>"))
            elif name not in got:
                if name not in absent:
                    absent.append(name)
            elif got[name] != expected[name]:
                found.append((article_id, expected[name], got[name]))
    return wrong, absent


def describe(site: TestSite, name: str, found: list[Mismatch], wanted: float) -> str:
    """A failing field: its share, the layers its wrong articles show it in, a few cases."""
    total = len(site.drifted)
    layers = Counter(site.drifted[article_id].shown_in().get(name, ()) for article_id, *_ in found)
    lines = [
        f"{name}: {1 - len(found) / total:.1%} right, {wanted:.0%} needed "
        f"({len(found)} of {total} wrong)",
        "  wrong ones by the layers their page shows the field in: "
        + "; ".join(f"{list(shown)} ×{count}" for shown, count in layers.most_common()),
    ]
    for article_id, expected, got in found[:SHOWN]:
        shown = (expected, got)
        if isinstance(expected, str) and isinstance(got, str) and len(expected) > 120:
            shown = first_difference(expected, got)
        lines.append(f"  {article_id}: expected {shown[0]!r}")
        lines.append(f"  {' ' * len(article_id)}       got {shown[1]!r}")
    return "\n".join(lines)


def first_difference(expected: str, got: str, context: int = 50) -> tuple[str, str]:
    """Both texts around where they first differ."""
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    start = max(0, at - context)
    return (
        f"…[{at}]{expected[start : at + context]}…",
        f"…[{at}]{got[start : at + context]}…",
    )


def test_every_article_is_written_exactly_once(drifted: tuple[TestSite, CrawlResult]) -> None:
    site, result = drifted
    written = Counter(item.article_id for item in result.items)
    twice = {article_id: count for article_id, count in written.items() if count > 1}
    never = sorted(set(site.drifted) - set(written))
    stray = sorted(set(written) - set(site.drifted))
    assert (twice, never, stray) == ({}, [], []), (
        f"written more than once: {twice}\n"
        f"never written: {len(never)} of {len(site.drifted)}, e.g. {never[:SHOWN]}\n"
        f"written but not a drifted article: {stray}\n"
        f"not written, by reason: {result.stats_with_prefix('articles/not_written/')}"
    )


def test_every_field_matches_the_truth(drifted: tuple[TestSite, CrawlResult]) -> None:
    site, result = drifted
    wrong, absent = compare(site, result.items)
    total = len(site.drifted)
    failures = [
        describe(site, name, found, wanted)
        for name, found in wrong.items()
        if name not in absent
        and 1 - len(found) / total < (wanted := BODY_SHARE if name == "body" else FIELD_SHARE)
    ]
    if absent:
        failures.append(
            f"the items have no field {', '.join(absent)}: not compared "
            "(add it to `Article` in galamedia/items.py)"
        )
    assert not failures, "\n\n".join(failures)


def test_split_articles_hold_every_page(drifted: tuple[TestSite, CrawlResult]) -> None:
    site, result = drifted
    bodies = {item.article_id: item.body for item in result.items}
    split = [article for article in site.drifted.values() if article.page_count > 1]
    assert len(split) >= 20
    wrong = [
        f"{article.article_id} ({article.page_count} pages, ?page=all "
        f"{'answers page 1' if article.layers.all_view_is_page_one else 'whole'}): "
        f"{article.body.count(chr(10) * 2) + 1} paragraphs expected, got "
        + (
            f"{bodies[article.article_id].count(chr(10) * 2) + 1}"
            if article.article_id in bodies
            else "no item"
        )
        for article in split
        if bodies.get(article.article_id) != article.body
    ]
    assert not wrong, f"{len(wrong)} of {len(split)} split articles not whole:\n" + "\n".join(
        wrong
    )
    # where `?page=all` answered page 1, the spider noticed and walked the pages instead
    ignored = sum(article.layers.all_view_is_page_one for article in split)
    assert ignored > 0
    assert result.stat("articles/page_all_incomplete") == ignored


# The generator itself (nothing served) ----------------------------------------------------


def test_the_generator_is_deterministic() -> None:
    articles = generate(COUNT, SEED)
    again = generate(COUNT, SEED)
    assert articles == again
    assert [routes(a, ORIGIN) for a in articles[:20]] == [routes(a, ORIGIN) for a in again[:20]]
    assert generate(COUNT, SEED + 1) != articles


def test_every_field_shows_in_a_layer_and_every_layer_varies() -> None:
    articles = generate(COUNT, SEED)
    for article in articles:
        expected = article.expected(ORIGIN)
        for name, shown in article.shown_in().items():
            has_value = expected[name] not in (None, [])
            assert bool(shown) is has_value, (article.article_id, name, shown)
    for layer in fields(Layers):
        values = Counter(getattr(article.layers, layer.name) for article in articles)
        assert len(values) >= 2, f"{layer.name} is always {values}"
    # the shares the module docstring of tests/drifted.py promises, roughly
    assert 0.1 <= sum(a.page_count > 1 for a in articles) / COUNT <= 0.3
    assert 0.4 <= sum(a.updated_at is not None for a in articles) / COUNT <= 0.6
    assert 0.2 <= sum(a.source is None for a in articles) / COUNT <= 0.4
    assert 0.1 <= sum(a.image_caption is None for a in articles) / COUNT <= 0.3
    assert any(a.article_id.startswith("0") for a in articles)
    assert any("-" in a.kanal for a in articles)


_TEASER = re.compile(r"^baca\s+juga\s*:", re.IGNORECASE)
_PROSE = (
    "//article//p[not(ancestor::header or ancestor::footer or ancestor::nav or ancestor::figure)]"
)


def test_the_pages_show_the_truth() -> None:
    """The generator's own check, independent of the crawler: read back from the rendered
    markup (knowing exactly where it put things), the pages say what the truth says."""
    for article in generate(COUNT, SEED):
        pages = routes(article, ORIGIN)
        numbers = range(1, article.page_count + 1)
        by_page = [read_back(pages[f"{article.path}?page={number}"]) for number in numbers]
        readings = [
            ([p for view in by_page for p in view[0]], [t for view in by_page for t in view[1]])
        ]
        if article.page_count > 1 and not article.layers.all_view_is_page_one:
            readings.append(read_back(pages[f"{article.path}?page=all"]))
        for paragraphs, teasers in readings:
            assert paragraphs == shown_paragraphs(article), article.article_id
            assert [canonical_path(href) for href in teasers] == list(article.related_paths)
        root = lxml.html.fromstring(pages[article.path])
        assert root.findtext(".//h1") == article.title
        assert root.find(".//link[@rel='canonical']").get("href") == ORIGIN + article.path
        expected_caption = (
            f"{article.image_caption}/{article.image_credit}" if article.image_caption else None
        )
        assert root.findtext(".//figcaption") == expected_caption, article.article_id


def read_back(page: bytes) -> tuple[list[str], list[str]]:
    """(paragraph texts, "Baca Juga" hrefs) of one page, dateline and end mark left on."""
    root = lxml.html.fromstring(page)
    paragraphs, teasers = [], []
    for element in root.xpath(_PROSE):
        text = " ".join(element.text_content().split())
        if _TEASER.match(text):
            teasers.extend(element.xpath(".//a/@href"))
        else:
            paragraphs.append(text)
    return paragraphs, teasers


def shown_paragraphs(article: DriftedArticle) -> list[str]:
    """The body paragraphs as a reader sees them: the dateline opens the first, the end mark
    closes the last."""
    paragraphs = list(article.paragraphs)
    paragraphs[0] = f"{DATELINE} - {paragraphs[0]}"
    paragraphs[-1] += article.layers.end_mark
    return paragraphs


def canonical_path(href: str) -> str:
    return href.removeprefix(ORIGIN).split("?", 1)[0]
