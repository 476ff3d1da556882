"""The run's verdict: its rules as a table, its one owner, and the listings it watches."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted

from galamedia.accounting.outcomes import LISTING_KINDS
from galamedia.accounting.verdict import judge
from galamedia.pages.listing import Listing, ListingPage
from galamedia.spiders.articles import REQUESTS, ArticlesSpider
from tests.helpers import SINCE, UNTIL, crawl
from tests.testsite import TestSite


def problems(stats: dict[str, Any], close_reason: str = "finished") -> tuple[str, ...]:
    return judge(
        stats, close_reason=close_reason, max_failed_ratio=0.1, allowed_failures=3
    ).problems


@pytest.mark.parametrize(
    ("stats", "close_reason", "expected"),
    [
        ({"articles/requested": 10, "item_scraped_count": 10}, "finished", []),
        ({"articles/requested": 10, "item_scraped_count": 10}, "blocked", ["the crawl closed"]),
        ({"articles/requested": 10, "item_scraped_count": 10}, "closespider_itemcount", []),
        (
            {"articles/requested": 10, "item_scraped_count": 9, "articles/listing_failed": 1},
            "finished",
            ["1 index page(s) could not be read"],
        ),
        ({"articles/requested": 5}, "finished", ["no article written although 5"]),
        # what earlier runs exported is delivered: an unchanged article, a removal still gone
        ({"articles/requested": 1, "articles/not_written/unchanged": 1}, "finished", []),
        ({"articles/requested": 1, "articles/not_written/already_removed": 1}, "finished", []),
        # a few permanent failures never fail a run …
        (
            {"articles/requested": 4, "item_scraped_count": 1, "articles/not_written/http_404": 3},
            "finished",
            [],
        ),
        # … more than the allowance and the ratio do
        (
            {
                "articles/requested": 20,
                "item_scraped_count": 16,
                "articles/not_written/timeout": 4,
            },
            "finished",
            ["4 of 20 articles failed (20%, more than 10%)"],
        ),
        # failures recorded for listing URLs alone, no article requested: no division by zero
        (
            {"articles/not_written/offsite": 4, "articles/listing_pages": 2},
            "finished",
            ["4 URLs failed and no article was requested"],
        ),
    ],
)
def test_verdict_rules(stats: dict[str, Any], close_reason: str, expected: list[str]) -> None:
    found = problems(stats, close_reason)
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start)


def test_every_request_kind_has_its_callback_and_errback() -> None:
    spider = ArticlesSpider()
    for kind, how in REQUESTS.items():
        assert callable(getattr(spider, how.callback)), kind
        assert callable(getattr(spider, how.errback)), kind
    # the kinds whose loss leaves the walk incomplete are exactly those accounted so
    assert {kind for kind, how in REQUESTS.items() if how.errback == "listing_failed"} == (
        LISTING_KINDS
    )


@pytest_twisted.inlineCallbacks
def test_a_listing_callback_that_raises_fails_the_run(
    standard: TestSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse = ListingPage.parse

    def broken_on_page_two(page: ListingPage) -> Listing:
        if page.response.url.endswith("page=2"):
            raise ValueError("markup the parser cannot handle")
        return parse(page)

    monkeypatch.setattr(ListingPage, "parse", broken_on_page_two)
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    # the walk stopped at page 2: the articles after it were never listed
    assert result.stat("articles/not_written/parse_error") == 1
    assert result.stat("articles/listing_failed") == 1
    assert result.stat("run/verdict") == "failed"
