"""Every door into the archive: sitemaps, the feed, kanal and tag listings, several sites."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
import pytest_twisted

from tests.helpers import (
    ROOT,
    SCRAPY,
    SINCE,
    UNTIL,
    WINDOW_END,
    WINDOW_START,
    crawl,
    in_window,
    setting_options,
)
from tests.testsite import Route, TestSite, standard_site

WINDOW = {"since": SINCE, "until": UNTIL}


def ids(result: object) -> list[str]:
    return [item.article_id for item in result.items]  # type: ignore[attr-defined]


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("source", ["index", "sitemap", "feed"])
def test_each_source_gives_the_same_items(standard: TestSite, source: str) -> None:
    result = yield crawl(base_url=standard.origin, source=source, **WINDOW)
    assert sorted(ids(result)) == sorted(in_window(standard))


@pytest_twisted.inlineCallbacks
def test_sitemaps_outside_the_window_are_not_fetched(standard: TestSite) -> None:
    yield crawl(base_url=standard.origin, source="sitemap", **WINDOW)
    sitemaps = {path for path in standard.requests if path.startswith("/sitemap")}
    months = {path for path in standard.routes if path.startswith("/sitemap-20")}
    assert len(months) >= 4  # December 2022 to March 2023 are published
    # the index, February's sitemap and the news sitemap (no date to skip it by) only
    assert sitemaps == {"/sitemap.xml", "/sitemap-2023-02.xml", "/sitemap-news.xml"}
    assert "/indeks-berita" not in standard.requests


@pytest_twisted.inlineCallbacks
def test_combined_sources_emit_each_article_once(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, source="index,sitemap,feed", **WINDOW)
    assert len(ids(result)) == len(set(ids(result)))
    assert set(ids(result)) == in_window(standard)
    # every article page was fetched once, however many sources listed it
    articles = [path for path in standard.requests if "/pr-" in path and "?" not in path]
    assert len(articles) == len(set(articles))


@pytest_twisted.inlineCallbacks
def test_one_kanal(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, source="kanal:nasional", **WINDOW)
    assert result.items
    assert {item.category_slug for item in result.items} == {"nasional"}
    expected = {
        item_id
        for item_id in in_window(standard)
        if item_id.startswith("9") or _case_kanal(standard, item_id) == "nasional"
    }
    expected.discard("900000006")  # listed on the index only by its legacy /read/ link
    assert set(ids(result)) == expected
    assert all(path.startswith(("/robots.txt", "/nasional")) for path in standard.requests)


@pytest_twisted.inlineCallbacks
def test_one_tag(standard: TestSite) -> None:
    result = yield crawl(base_url=standard.origin, source="tag:Rusia", **WINDOW)
    assert ids(result) == ["016338423"]
    assert "/tag/Rusia" in standard.requests


def _case_kanal(site: TestSite, article_id: str) -> str | None:
    for case in site.cases.values():
        if case.spec["expected"] and case.spec["expected"]["article_id"] == article_id:
            return str(case.spec["expected"]["category_slug"])
    return None


@pytest.fixture
def second() -> Iterator[TestSite]:
    """Another site on another loopback address: its own host, slot and robots.txt."""
    with standard_site(host="127.0.0.2") as running:
        yield running


@pytest_twisted.inlineCallbacks
def test_two_sites_keep_their_items_and_politeness_apart(
    standard: TestSite, second: TestSite
) -> None:
    settings = {"DOWNLOAD_DELAY": 0.02, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    result = yield crawl(settings, sites=f"{standard.origin},{second.origin}", **WINDOW)
    by_site: dict[str, set[str]] = {}
    for item in result.items:
        by_site.setdefault(item.site, set()).add(item.article_id)
    # items name a local copy by its host and port
    assert by_site == {
        standard.origin.removeprefix("http://"): in_window(standard),
        second.origin.removeprefix("http://"): in_window(second),
    }
    assert standard.requests[0] == second.requests[0] == "/robots.txt"
    # each site's requests went through its own download slot, with the delay it was given …
    for host, site in (("127.0.0.1", standard), ("127.0.0.2", second)):
        mine = [download for download in result.downloads if download.slot == host]
        assert [download.path for download in mine] == site.requests
        assert {download.delay for download in mine} == {0.02}
    # … while the two were crawled side by side, not one after the other: the second site's
    # first request reached the downloader before the first site's last one
    slots = [download.slot for download in result.downloads]
    last_of_first = max(n for n, slot in enumerate(slots) if slot == "127.0.0.1")
    assert slots.index("127.0.0.2") < last_of_first


@pytest_twisted.inlineCallbacks
def test_one_site_without_robots_txt_does_not_stop_the_other(
    standard: TestSite, second: TestSite
) -> None:
    second.routes["/robots.txt"] = Route(503)
    result = yield crawl(sites=f"{standard.origin},{second.origin}", **WINDOW)
    assert {item.site for item in result.items} == {standard.origin.removeprefix("http://")}
    assert result.stat("finish_reason") == "finished"
    assert result.stat("robotstxt/unavailable") == 1
    assert result.stat("run/verdict") == "failed"  # one site could not be crawled at all
    assert set(second.requests) == {"/robots.txt"}


def test_progress_lines_name_each_site_and_how_far_it_got(
    standard: TestSite, second: TestSite
) -> None:
    # The default interval (60 s) never comes round in this short crawl: the lines read are the
    # last ones, logged as the crawl closes.
    completed = subprocess.run(
        [
            SCRAPY, "crawl", "articles",
            "-a", f"sites={standard.origin},{second.origin}",
            "-a", f"since={SINCE}", "-a", f"until={UNTIL}",
            *setting_options(),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    lines = [line for line in completed.stderr.splitlines() if "] INFO: progress " in line]
    for host in ("127.0.0.1", "127.0.0.2"):
        mine = [line for line in lines if f"progress {host}:" in line]
        assert mine, completed.stderr[-2000:]
        reached = mine[-1].split("walk reached ")[1].split(";")[0]
        assert WINDOW_START <= datetime.fromisoformat(reached) < WINDOW_END
        assert "items/min" in mine[-1]


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize(("source", "path"), [("feed", "/feed"), ("sitemap", "/sitemap.xml")])
def test_a_source_that_is_not_there_fails_the_run(
    standard: TestSite, source: str, path: str
) -> None:
    standard.routes[path] = Route(body=b"<html><body><p>Halaman</p></body></html>")
    result = yield crawl(base_url=standard.origin, source=source, **WINDOW)
    assert result.items == []
    assert result.stat("articles/listing_failed") == 1
    assert result.stat("run/verdict") == "failed"


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize(("sitemap_maxsize", "read"), [(None, True), (500_000, False)])
def test_a_sitemap_larger_than_a_page_may_be_is_read(
    standard: TestSite, sitemap_maxsize: int | None, read: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # A full sitemap (50,000 URLs) is ~10 MiB, past DOWNLOAD_MAXSIZE: sitemaps have their own
    # limit, SITEMAP_MAXSIZE (50 MiB, the protocol's), and a sitemap past that is too large.
    path = "/sitemap-2023-02.xml"
    route = standard.routes[path]
    assert isinstance(route, Route)
    padding = b"<!--" + b" " * 600_000 + b"-->"
    standard.routes[path] = replace(
        route, body=route.body.replace(b"<urlset", padding + b"<urlset", 1)
    )
    settings = {"DOWNLOAD_MAXSIZE": 400_000}  # above the article pages, below the sitemap
    if sitemap_maxsize is not None:
        settings["SITEMAP_MAXSIZE"] = sitemap_maxsize
    result = yield crawl(settings, base_url=standard.origin, source="sitemap", **WINDOW)
    assert path in standard.requests
    if read:
        assert sorted(ids(result)) == sorted(in_window(standard))
        assert result.stat("run/verdict") == "ok"
    else:
        assert result.stat("run/verdict") != "ok"
        assert result.stat("articles/listing_failed") == 1
        assert f"sitemap {standard.url(path)} unreadable (too_large" in caplog.text
