"""Spider arguments: valid values and their meaning, invalid ones and their one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from galamedia.rules.arguments import ArgumentError, Window, known_sites, parse_arguments
from galamedia.rules.dates import WIB

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
TAG = "https://galamedia.pikiran-rakyat.com/tag/Rusia"
ARTICLE = "https://galamedia.pikiran-rakyat.com/internasional/pr-016338423/slug"


def wib(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WIB)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "window"),
    [
        # calendar dates in WIB, both inclusive
        ({"since": "2023-02-01", "until": "2023-02-28"}, Window(wib(2023, 2, 1), wib(2023, 3, 1))),
        (
            {"since": "2023-02-22", "until": "2023-02-22"},
            Window(wib(2023, 2, 22), wib(2023, 2, 23)),
        ),
        # ISO datetimes with an offset; `until` inclusive to the second
        (
            {"since": "2023-02-22T10:00:00+07:00", "until": "2023-02-22T12:00:00+08:00"},
            Window(wib(2023, 2, 22, 10), wib(2023, 2, 22, 11, 0, 1)),
        ),
        # default: the last 24 hours
        ({}, Window(NOW - timedelta(hours=24), NOW)),
        ({"until": "2023-02-28"}, Window(wib(2023, 2, 28), wib(2023, 3, 1))),
        ({"since": "2026-11-26"}, Window(wib(2026, 11, 26), NOW)),
    ],
)
def test_windows(raw: dict[str, str], window: Window) -> None:
    arguments = parse_arguments(raw, now=NOW)
    assert arguments.window == window
    assert arguments.base_url == "https://galamedia.pikiran-rakyat.com"
    assert arguments.urls == ()


def test_window_edges() -> None:
    window = Window(wib(2023, 2, 1), wib(2023, 3, 1))
    assert wib(2023, 2, 1) in window
    assert wib(2023, 2, 28, 23, 59) in window
    assert wib(2023, 1, 31, 23, 59) not in window
    assert wib(2023, 3, 1) not in window


@pytest.mark.parametrize(
    ("base_url", "origin", "hosts"),
    [
        (
            "https://galamedia.pikiran-rakyat.com",
            "https://galamedia.pikiran-rakyat.com",
            ("galamedia.pikiran-rakyat.com",),
        ),
        (
            "https://PRFMNEWS.pikiran-rakyat.com/",
            "https://prfmnews.pikiran-rakyat.com",
            ("prfmnews.pikiran-rakyat.com",),
        ),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", ("127.0.0.1",)),
    ],
)
def test_base_url(base_url: str, origin: str, hosts: tuple[str, ...]) -> None:
    arguments = parse_arguments({"base_url": base_url}, now=NOW)
    assert arguments.base_url == origin
    assert arguments.allowed_hosts == hosts


def test_article_urls_are_canonical_and_skip_the_window() -> None:
    arguments = parse_arguments(
        {"url": f"{ARTICLE}?utm_source=x, {ARTICLE.replace('/pr-', '/amp/pr-')}"}, now=NOW
    )
    assert arguments.urls == (ARTICLE, ARTICLE)
    assert arguments.window is None
    assert arguments.allowed_hosts == ("galamedia.pikiran-rakyat.com",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"since": "2023-13-01"}, "since: 2023-13-01 is not a real date"),
        ({"since": "2023-02-30"}, "since: 2023-02-30 is not a real date"),
        (
            {"since": "yesterday"},
            "since: 'yesterday' is neither a date (YYYY-MM-DD) nor an ISO datetime",
        ),
        (
            {"since": "2023-02-01T10:00"},
            "since: 2023-02-01T10:00 needs an offset, e.g. 2023-02-01T10:00+07:00",
        ),
        ({"since": "2023-02-10", "until": "2023-02-01"}, "until: 2023-02-01 is not after since"),
        ({"since": "2026-12-01"}, "since: 2026-12-01 is in the future: nothing is published yet"),
        ({"base_url": "notaurl"}, "base_url: 'notaurl' is not an http(s) URL"),
        (
            {"base_url": "ftp://galamedia.pikiran-rakyat.com"},
            "base_url: 'ftp://galamedia.pikiran-rakyat.com' is not an http(s) URL",
        ),
        (
            {"base_url": "https://galamedia.pikiran-rakyat.com/indeks-berita"},
            "base_url: 'https://galamedia.pikiran-rakyat.com/indeks-berita' is not an origin"
            " (no path: https://galamedia.pikiran-rakyat.com)",
        ),
        ({"url": TAG}, f"url: {TAG!r} is not an article URL (…/kanal/pr-id/slug)"),
        (
            {"base_url": "http://x:abc"},
            "base_url: 'http://x:abc' is not a valid URL"
            " (Port could not be cast to integer value as 'abc')",
        ),
        ({"url": " , "}, "url: give one or more article URLs, separated by commas"),
        (
            {"url": ARTICLE, "since": "2023-02-01"},
            "url: article URLs are fetched as given: drop since/until",
        ),
        (
            {"url": ARTICLE, "base_url": "https://prfmnews.pikiran-rakyat.com"},
            f"url: {ARTICLE} is not on base_url https://prfmnews.pikiran-rakyat.com",
        ),
        (
            {"sinse": "2023-02-01"},
            "sinse: unknown argument (known: base_url, since, sites, source, until, url, warc)",
        ),
    ],
)
def test_bad_arguments(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ArgumentError) as raised:
        parse_arguments(raw, now=NOW)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("raw", "origins", "sources"),
    [
        ({}, ("https://galamedia.pikiran-rakyat.com",), ("index",)),
        (
            {"sites": "galamedia,prfmnews"},
            ("https://galamedia.pikiran-rakyat.com", "https://prfmnews.pikiran-rakyat.com"),
            ("index",),
        ),
        (
            {"sites": "http://127.0.0.1:8000, http://127.0.0.2:8000/"},
            ("http://127.0.0.1:8000", "http://127.0.0.2:8000"),
            ("index",),
        ),
        (
            {"base_url": "https://www.pikiran-rakyat.com"},
            ("https://www.pikiran-rakyat.com",),
            ("index",),
        ),
        ({"source": "sitemap"}, ("https://galamedia.pikiran-rakyat.com",), ("sitemap",)),
        (
            {"source": "index, sitemap,feed,index"},
            ("https://galamedia.pikiran-rakyat.com",),
            ("index", "sitemap", "feed"),
        ),
        (
            {"source": "kanal:bandung-raya"},
            ("https://galamedia.pikiran-rakyat.com",),
            ("kanal:bandung-raya",),
        ),
        ({"source": "tag:Wang Yi"}, ("https://galamedia.pikiran-rakyat.com",), ("tag:Wang Yi",)),
    ],
)
def test_sites_and_sources(
    raw: dict[str, str], origins: tuple[str, ...], sources: tuple[str, ...]
) -> None:
    arguments = parse_arguments(raw, now=NOW)
    assert arguments.origins == origins
    assert tuple(map(str, arguments.sources)) == sources


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"sites": "galamedia,nosuchsite"},
            "sites: 'nosuchsite' is neither an origin nor a known site",
        ),
        (
            {"sites": "galamedia", "base_url": "https://x.example"},
            "sites: give base_url or sites, not both",
        ),
        ({"sites": " , "}, "sites: give one or more origins or site names, comma-separated"),
        (
            {"source": "rss"},
            "source: 'rss' is not one of index, sitemap, feed, kanal:<slug>, tag:<Tag>",
        ),
        ({"source": "kanal:Bandung Raya"}, "source: 'kanal:Bandung Raya' is not one of"),
        (
            {"url": ARTICLE, "source": "sitemap"},
            "url: article URLs are fetched as given: drop source/sites",
        ),
    ],
)
def test_bad_sites_and_sources(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ArgumentError) as raised:
        parse_arguments(raw, now=NOW)
    assert str(raised.value).startswith(message)


def test_the_known_sites_ship_as_data() -> None:
    sites = known_sites()
    assert sites["galamedia"] == "https://galamedia.pikiran-rakyat.com"
    assert all(origin.startswith("https://") for origin in sites.values())
