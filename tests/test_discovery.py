"""The index walk: the window's articles exactly once, paging rules, and everything counted."""

from __future__ import annotations

import pytest_twisted

from tests.helpers import SINCE, UNTIL, WINDOW_END, WINDOW_START, crawl, in_window
from tests.testsite import PER_PAGE, Route, TestSite, render_index


def index_pages(site: TestSite) -> list[str]:
    return [path for path in site.requests if path.startswith("/indeks-berita")]


@pytest_twisted.inlineCallbacks
def test_window_gives_every_article_inside_it_exactly_once(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    ids = [item.article_id for item in result.items]
    assert len(ids) == len(set(ids))
    assert set(ids) == in_window(standard)
    # the edges: first and last minute in, a minute either side out
    assert {"900000001", "900000003"} <= set(ids)
    assert not {"900000002", "900000004", "900000005"} & set(ids)


@pytest_twisted.inlineCallbacks
def test_everything_not_written_is_counted_by_reason(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    assert result.stats_with_prefix("articles/not_written/") == {
        "articles/not_written/blocked": 2,  # challenge (403) and access denied (200)
        "articles/not_written/no_body": 1,  # video page
        "articles/not_written/soft_404": 1,
        "articles/not_written/http_404": 1,  # a listed article that is gone
        # listed inside the window, but the page's own date is a minute before it
        "articles/not_written/out_of_window": 1,
        # listed twice, on two pages (canonically and by its AMP link): fetched once
        "articles/not_written/duplicate": 1,
    }
    assert result.stat("articles/failed") == 3  # blocked and gone; the rest are not wanted
    assert result.stat("articles/listing/newer_than_window") > 0
    assert result.stat("articles/listing/older_than_window") > 0
    # every article requested ends as an item or a recorded outcome
    assert result.stat("articles/requested") == len(result.items) + sum(
        count
        for key, count in result.stats_with_prefix("articles/not_written/").items()
        if key != "articles/not_written/duplicate"  # never requested a second time
    )


@pytest_twisted.inlineCallbacks
def test_links_are_canonical_and_redirects_followed(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    # the AMP link is requested in canonical form, once
    wang_yi = standard.case_path("wang-yi-classic")
    assert standard.requests.count(wang_yi) == 1
    assert not [path for path in standard.requests if "/amp/" in path]
    # the legacy link redirects; the item carries the final canonical URL
    legacy = standard.generated["900000006"]
    (item,) = [item for item in result.items if item.article_id == "900000006"]
    assert item.url == standard.url(legacy.path)
    assert "/read/900000006" in standard.requests
    # article pages are leaves: nothing but the index, articles and robots.txt is requested
    assert all(
        path == "/robots.txt"
        or path.startswith("/indeks-berita")
        or "/pr-" in path
        or "/read/" in path
        for path in standard.requests
    )


@pytest_twisted.inlineCallbacks
def test_newer_and_older_articles_are_not_fetched(standard: TestSite) -> None:
    yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    fetched = set(standard.requests)
    for article in standard.generated.values():
        listed_at = article.listed_at or article.published_at
        if not WINDOW_START <= listed_at < WINDOW_END:
            assert article.path not in fetched


@pytest_twisted.inlineCallbacks
def test_walk_stops_at_the_first_page_wholly_before_the_window(standard: TestSite) -> None:
    yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    listed = sorted(standard.index, key=lambda entry: entry.listed_at, reverse=True)
    pages = [listed[start : start + PER_PAGE] for start in range(0, len(listed), PER_PAGE)]
    last = next(
        n for n, page in enumerate(pages, 1) if all(e.listed_at < WINDOW_START for e in page)
    )
    assert last < len(pages)  # the site goes on below the window...
    # ...but the walk ends on the first page that lies wholly before it
    assert index_pages(standard) == [
        "/indeks-berita",
        *(f"/indeks-berita?page={n}" for n in range(2, last + 1)),
    ]


@pytest_twisted.inlineCallbacks
def test_walk_stops_on_a_page_without_items(standard: TestSite) -> None:
    yield crawl(base_url=standard.origin, since="2000-01-01", until=UNTIL)
    pages = -(-len(standard.index) // PER_PAGE)
    assert index_pages(standard)[-1] == f"/indeks-berita?page={pages + 1}"
    assert len(index_pages(standard)) == pages + 1


@pytest_twisted.inlineCallbacks
def test_next_link_back_to_a_seen_page_ends_the_walk(standard: TestSite) -> None:
    entries = sorted(standard.index, key=lambda entry: entry.listed_at, reverse=True)
    looping = render_index(entries[PER_PAGE : 2 * PER_PAGE], 1, 9, standard.origin)  # links to 2
    standard.routes["/indeks-berita?page=2"] = Route(body=looping)
    yield crawl(base_url=standard.origin, since="2000-01-01", until=UNTIL)
    assert index_pages(standard) == ["/indeks-berita", "/indeks-berita?page=2"]


@pytest_twisted.inlineCallbacks
def test_article_urls_skip_discovery(standard: TestSite) -> None:
    result = yield crawl(url=standard.case_url("wang-yi-classic"))
    assert [item.article_id for item in result.items] == ["016338423"]
    assert not index_pages(standard)


@pytest_twisted.inlineCallbacks
def test_requests_are_polite_and_honest(standard: TestSite) -> None:
    yield crawl(url=standard.case_url("wang-yi-classic"))
    assert standard.requests[0] == "/robots.txt"
    article = standard.headers[standard.requests.index(standard.case_path("wang-yi-classic"))]
    assert article["User-Agent"].startswith("galamedia-crawler/")
    assert article["Accept-Language"] == "id-ID,id;q=0.9"


@pytest_twisted.inlineCallbacks
def test_robots_txt_is_obeyed(standard: TestSite) -> None:
    standard.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /\n")
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    assert result.items == []
    assert standard.requests == ["/robots.txt"]
    assert result.stat("robotstxt/forbidden") == 1
    assert result.stat("articles/listing_failed") == 1


@pytest_twisted.inlineCallbacks
def test_only_the_crawled_origin_is_requested(standard: TestSite) -> None:
    # Another host (a loopback address nothing listens on) linked from the index.
    port = standard.origin.rsplit(":", 1)[1]
    standard.list(f"http://127.0.0.2:{port}/nasional/pr-077777777/luar", "off-site", WINDOW_START)
    standard.publish_index()
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    assert result.stat("offsite/filtered") == 1
    assert result.stat("downloader/exception_count") is None


@pytest_twisted.inlineCallbacks
def test_an_index_whose_teasers_are_not_recognised_fails_the_run(standard: TestSite) -> None:
    redesigned = Route(body=b"<html><body><div class='new-grid'><p>Berita</p></div></body></html>")
    standard.routes["/indeks-berita"] = redesigned
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    assert result.items == []
    assert result.stat("articles/listing_failed") == 1
    assert result.stat("run/verdict") == "failed"
