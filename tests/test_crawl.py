"""Real crawls of the local test site: one item per article, whatever route its pages take."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest_twisted

from tests.helpers import crawl
from tests.testsite import Route, TestSite

FIXTURE_ORIGIN = "https://galamedia.pikiran-rakyat.com"


def expected_on(site: TestSite, name: str) -> dict[str, Any]:
    """The stored expectation, moved to the local site's origin."""
    expected = dict(site.cases[name].spec["expected"])
    expected["url"] = site.case_url(name)
    expected["site"] = site.origin.removeprefix("http://")  # a local copy: host and port
    return expected


def as_dict(item: Any) -> dict[str, Any]:
    fields = dict(vars(item))
    fields.pop("crawled_at")
    assert fields.pop("revision") is None  # no STATE_PATH in these crawls
    return fields


def paths(site: TestSite, name: str) -> str:
    return urlsplit(site.cases[name].url).path


@pytest_twisted.inlineCallbacks
def test_one_article(site: TestSite) -> None:
    result = yield crawl(url=site.case_url("wang-yi-classic"))
    assert [as_dict(item) for item in result.items] == [expected_on(site, "wang-yi-classic")]
    assert site.requests == ["/robots.txt", paths(site, "wang-yi-classic")]


@pytest_twisted.inlineCallbacks
def test_amp_url_fetches_the_canonical_page(site: TestSite) -> None:
    amp = site.case_url("wang-yi-classic").replace("/internasional/", "/internasional/amp/")
    result = yield crawl(url=f"{amp}?utm_source=x#top")
    assert [item.url for item in result.items] == [site.case_url("wang-yi-classic")]
    assert site.requests == ["/robots.txt", paths(site, "wang-yi-classic")]


@pytest_twisted.inlineCallbacks
def test_split_article_from_its_all_pages_view(site: TestSite) -> None:
    result = yield crawl(url=site.case_url("multipage"))
    assert [as_dict(item) for item in result.items] == [expected_on(site, "multipage")]
    path = paths(site, "multipage")
    assert site.requests == ["/robots.txt", path, f"{path}?page=all"]


@pytest_twisted.inlineCallbacks
def test_split_article_walked_when_all_pages_view_fails(site: TestSite) -> None:
    path = paths(site, "multipage")
    site.routes[f"{path}?page=all"] = Route(500, b"<html><title>Error</title></html>")
    result = yield crawl(url=site.case_url("multipage"), settings={"RETRY_ENABLED": False})
    assert [as_dict(item) for item in result.items] == [expected_on(site, "multipage")]
    assert site.requests == [
        "/robots.txt",
        path,
        f"{path}?page=all",
        f"{path}?page=2",
        f"{path}?page=3",
    ]
    assert result.stat("articles/page_all_failed") == 1


@pytest_twisted.inlineCallbacks
def test_split_article_walked_when_all_pages_view_is_page_one(site: TestSite) -> None:
    path = paths(site, "multipage")
    site.routes[f"{path}?page=all"] = site.routes[path]
    result = yield crawl(url=site.case_url("multipage"))
    assert [as_dict(item) for item in result.items] == [expected_on(site, "multipage")]
    assert site.requests[-2:] == [f"{path}?page=2", f"{path}?page=3"]
    assert result.stat("articles/page_all_incomplete") == 1


@pytest_twisted.inlineCallbacks
def test_split_article_with_a_missing_page_gives_no_item(site: TestSite) -> None:
    path = paths(site, "multipage")
    site.routes[f"{path}?page=all"] = site.routes[path]
    del site.routes[f"{path}?page=3"]
    result = yield crawl(url=site.case_url("multipage"))
    assert result.items == []
    assert result.stat("articles/not_written/incomplete") == 1


@pytest_twisted.inlineCallbacks
def test_pages_that_are_not_articles_are_counted_by_reason(site: TestSite) -> None:
    names = ["challenge-403", "access-denied-200", "video-page", "soft-404"]
    result = yield crawl(url=",".join(site.case_url(name) for name in names))
    assert result.items == []
    assert result.stats_with_prefix("articles/not_written/") == {
        "articles/not_written/blocked": 2,
        "articles/not_written/no_body": 1,
        "articles/not_written/soft_404": 1,
    }


@pytest_twisted.inlineCallbacks
def test_date_mismatch_is_counted(site: TestSite) -> None:
    result = yield crawl(url=site.case_url("date-mismatch"))
    assert len(result.items) == 1
    assert result.stat("articles/problems/date_mismatch") == 1
