"""Every stored page through the page object, against its expected item and text checks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC

import pytest

from galamedia.accounting.outcomes import Rejection
from galamedia.pages.article import ArticlePage, ArticlePart, build_article, covers
from galamedia.rules.blocks import block_marker
from tests.helpers import PageCase, load_cases

CASES = load_cases()
ARTICLES = [case for case in CASES if case.spec["expected"] is not None]
SINGLE_PAGE = [case for case in ARTICLES if not case.is_multipage]
MULTIPAGE = [case for case in ARTICLES if case.is_multipage]
REJECTED = [case for case in CASES if case.spec["expected"] is None]


def parse(case: PageCase, file_name: str, url: str | None = None) -> ArticlePart | Rejection:
    """The page as a crawl sees it: block pages turned away first (the downloader's check)."""
    response = case.response(case.directory / file_name, url)
    if marker := block_marker(response.text, status=response.status, mitigated=False):
        return Rejection("blocked", marker)
    try:
        return ArticlePage(response, fetched_at=case.fetched_at).parse()
    except Rejection as rejection:
        return rejection


def parse_part(case: PageCase, file_name: str, url: str | None = None) -> ArticlePart:
    part = parse(case, file_name, url)
    assert isinstance(part, ArticlePart), part
    return part


def check_item(
    case: PageCase,
    parts: list[ArticlePart],
    page_count: int,
    paging: ArticlePart | None = None,
) -> None:
    item = asdict(build_article(parts, page_count=page_count, paging=paging))
    assert item.pop("crawled_at") == case.fetched_at.astimezone(UTC).isoformat()
    assert item.pop("revision") is None  # set only by the incremental state
    assert item == case.spec["expected"]
    for text in case.spec["must_contain"]:
        assert text in item["body"]
    for text in case.spec["must_not_contain"]:
        assert text not in item["body"]


@pytest.mark.parametrize("case", SINGLE_PAGE, ids=lambda case: case.name)
def test_article_page(case: PageCase) -> None:
    part = parse_part(case, "page.html")
    check_item(case, [part], part.page_count)


@pytest.mark.parametrize("case", MULTIPAGE, ids=lambda case: case.name)
def test_split_article_page_by_page(case: PageCase) -> None:
    parts = [
        parse_part(case, path.name, case.url if number == 1 else f"{case.url}?page={number}")
        for number, path in enumerate(case.page_files, start=1)
    ]
    assert [part.next_page_url for part in parts] == [
        *(f"{case.url}?page={number}" for number in range(2, len(parts) + 1)),
        None,
    ]
    check_item(case, parts, len(parts))


@pytest.mark.parametrize("case", MULTIPAGE, ids=lambda case: case.name)
def test_split_article_all_pages_view(case: PageCase) -> None:
    first = parse_part(case, "page-1.html")
    view = parse_part(case, "page-all.html", f"{case.url}?page=all")
    assert first.page_count == len(case.page_files)
    assert covers(first, view)
    check_item(case, [view], first.page_count, paging=first)


@pytest.mark.parametrize("case", MULTIPAGE, ids=lambda case: case.name)
def test_page_one_is_not_a_whole_view(case: PageCase) -> None:
    """A server that ignores `?page=all` answers page 1: that must not pass as the article."""
    first = parse_part(case, "page-1.html")
    again = parse_part(case, "page-1.html", f"{case.url}?page=all")
    assert not covers(first, again)


@pytest.mark.parametrize("case", REJECTED, ids=lambda case: case.name)
def test_not_an_article(case: PageCase) -> None:
    result = parse(case, "page.html")
    assert isinstance(result, Rejection)
    assert result.reason == case.spec["rejected"]


def test_date_mismatch_is_reported() -> None:
    (case,) = [case for case in CASES if case.name == "date-mismatch"]
    part = parse_part(case, "page.html")
    assert [problem.split(":")[0] for problem in part.problems] == ["date_mismatch"]


def test_every_variant_the_issue_lists_is_stored() -> None:
    assert {case.name for case in CASES} >= {
        "wang-yi-classic", "new-layout", "weekday-date-no-meta", "amp", "wita", "wit",
        "no-author-no-source", "lazy-image", "no-image", "caption-no-credit",
        "baca-juga-spellings", "ads-inside-paragraphs", "inline-figure-and-img-comments",
        "div-paragraphs", "end-mark-spaced", "listicle", "multipage", "challenge-403",
        "access-denied-200", "video-page", "soft-404", "date-mismatch", "jsonld-date",
        "classic-video", "classic-gallery", "new-layout-video", "new-layout-gallery",
        "drifted-video", "drifted-gallery", "drifted-article", "drifted-multipage",
        "end-mark-then-update", "end-mark-spaced-then-update", "chrome-only-body",
    }  # fmt: skip
