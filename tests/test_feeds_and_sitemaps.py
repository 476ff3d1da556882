"""Sitemap and feed parsing: dates, names, entries, and no entity expansion."""

from __future__ import annotations

from datetime import datetime

import pytest
from scrapy.http import XmlResponse

from galamedia.pages.rss import parse_feed
from galamedia.pages.sitemap import parse_sitemap
from galamedia.rules.dates import WIB, parse_period, parse_rfc822
from galamedia.rules.urls import date_in_name

ORIGIN = "https://galamedia.pikiran-rakyat.com"


def wib(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WIB)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-02-22T20:08:00+07:00", (wib(2023, 2, 22, 20, 8), wib(2023, 2, 22, 20, 8))),
        ("2023-02-22T13:08:00Z", (wib(2023, 2, 22, 20, 8), wib(2023, 2, 22, 20, 8))),
        ("2023-02-22", (wib(2023, 2, 22), wib(2023, 2, 23))),
        ("2023-02", (wib(2023, 2, 1), wib(2023, 3, 1))),
        ("2023-12", (wib(2023, 12, 1), wib(2024, 1, 1))),
        ("2023-02-30", None),
        ("kemarin", None),
    ],
)
def test_w3c_periods(text: str, expected: tuple[datetime, datetime] | None) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{ORIGIN}/sitemap-2023-02.xml", (2023, 2, None)),
        (f"{ORIGIN}/sitemap/2023/02/sitemap.xml", (2023, 2, None)),
        (f"{ORIGIN}/sitemap-2023-02-22.xml.gz", (2023, 2, 22)),
        (f"{ORIGIN}/sitemap_202302.xml", (2023, 2, None)),
        (f"{ORIGIN}/sitemap-news.xml", None),
        (f"{ORIGIN}/sitemap-1.xml", None),
    ],
)
def test_dates_in_sitemap_names(url: str, expected: tuple[int, int, int | None] | None) -> None:
    assert date_in_name(url) == expected


def test_rss_dates() -> None:
    assert parse_rfc822("Wed, 22 Feb 2023 20:08:00 +0700") == wib(2023, 2, 22, 20, 8)
    assert parse_rfc822("Wed, 22 Feb 2023 21:08:00 +0800") == wib(2023, 2, 22, 20, 8)
    assert parse_rfc822("not a date") is None


def sitemap(body: str, url: str = f"{ORIGIN}/sitemap.xml") -> XmlResponse:
    return XmlResponse(url=url, body=body.encode())


def test_sitemap_index_children_carry_their_span() -> None:
    content = parse_sitemap(
        sitemap(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{ORIGIN}/sitemap-2023-01.xml</loc><lastmod>2023-01-31T23:00:00+07:00</lastmod></sitemap>"
            f"<sitemap><loc>{ORIGIN}/sitemap-2023-02.xml</loc></sitemap>"
            f"<sitemap><loc>{ORIGIN}/sitemap-news.xml</loc></sitemap>"
            "</sitemapindex>"
        ),
        max_size=10_000_000,
    )
    assert content.is_index
    spans = [(entry.url.rsplit("/", 1)[1], entry.start, entry.end) for entry in content.entries]
    assert spans == [
        ("sitemap-2023-01.xml", wib(2023, 1, 1), wib(2023, 1, 31, 23)),
        ("sitemap-2023-02.xml", wib(2023, 2, 1), wib(2023, 3, 1)),
        ("sitemap-news.xml", None, None),
    ]


def test_urlset_entries_are_canonical_article_urls_with_dates() -> None:
    content = parse_sitemap(
        sitemap(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"<url><loc>{ORIGIN}/nasional/pr-01234567/a?utm_source=x</loc><lastmod>2023-02-22</lastmod></url>"
            f"<url><loc>{ORIGIN}/nasional/pr-07654321/b</loc><news:news>"
            "<news:publication_date>2023-02-22T20:08:00+07:00</news:publication_date></news:news></url>"
            f"<url><loc>{ORIGIN}/tag/Rusia</loc></url>"
            "</urlset>"
        ),
        max_size=10_000_000,
    )
    assert not content.is_index
    assert [(e.url, e.start, e.end) for e in content.entries] == [
        (f"{ORIGIN}/nasional/pr-01234567/a", wib(2023, 2, 22), wib(2023, 2, 23)),
        (f"{ORIGIN}/nasional/pr-07654321/b", wib(2023, 2, 22, 20, 8), wib(2023, 2, 22, 20, 8)),
    ]


def test_sitemaps_do_not_expand_entities() -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/hostname">'
        '<!ENTITY slug "pr-01234567/a">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{ORIGIN}/nasional/&slug;</loc><lastmod>&secret;</lastmod></url></urlset>"
    )
    content = parse_sitemap(sitemap(body), max_size=10_000_000)
    assert all("pr-01234567" not in entry.url for entry in content.entries)


def test_rss_and_atom_entries() -> None:
    rss = XmlResponse(
        url=f"{ORIGIN}/feed",
        body=(
            '<rss version="2.0"><channel>'
            f"<item><link>{ORIGIN}/nasional/pr-01234567/a</link>"
            "<pubDate>Wed, 22 Feb 2023 20:08:00 +0700</pubDate></item>"
            f"<item><link>{ORIGIN}/tag/Rusia</link></item>"
            "</channel></rss>"
        ).encode(),
    )
    atom = XmlResponse(
        url=f"{ORIGIN}/feed",
        body=(
            '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            f'<link rel="alternate" href="{ORIGIN}/nasional/pr-07654321/b"/>'
            "<published>2023-02-22T20:08:00+07:00</published></entry></feed>"
        ).encode(),
    )
    assert parse_feed(rss).understood
    assert [(e.url, e.start) for e in parse_feed(rss).entries] == [
        (f"{ORIGIN}/nasional/pr-01234567/a", wib(2023, 2, 22, 20, 8))
    ]
    assert [(e.url, e.start) for e in parse_feed(atom).entries] == [
        (f"{ORIGIN}/nasional/pr-07654321/b", wib(2023, 2, 22, 20, 8))
    ]


def test_a_page_that_is_no_feed_or_sitemap_is_told_apart() -> None:
    page = XmlResponse(url=f"{ORIGIN}/feed", body=b"<html><body><p>Halaman</p></body></html>")
    assert not parse_feed(page).understood
    assert not parse_sitemap(page, max_size=10_000_000).understood
    empty = XmlResponse(url=f"{ORIGIN}/feed", body=b'<rss version="2.0"><channel/></rss>')
    assert parse_feed(empty).understood
