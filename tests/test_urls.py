"""The URL rules: article recognition, canonical form, AMP copies and page variants."""

from __future__ import annotations

import pytest

from galamedia.rules.urls import canonical_article_url, page_number, parse_article_url

ORIGIN = "https://galamedia.pikiran-rakyat.com"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{ORIGIN}/pariwisata/pr-358257043/7-tempat-makan-murah-enak",
            f"{ORIGIN}/pariwisata/pr-358257043/7-tempat-makan-murah-enak",
        ),
        # query (tracking and paging) and fragment dropped
        (
            f"{ORIGIN}/humaniora/pr-016338423/slug?utm_source=tag_article&utm_medium=tag_article",
            f"{ORIGIN}/humaniora/pr-016338423/slug",
        ),
        (
            f"{ORIGIN}/humaniora/pr-016338423/slug?page=2#top",
            f"{ORIGIN}/humaniora/pr-016338423/slug",
        ),
        (
            f"{ORIGIN}/humaniora/pr-016338423/slug?page=all",
            f"{ORIGIN}/humaniora/pr-016338423/slug",
        ),
        # AMP copies
        (
            f"{ORIGIN}/nasional/amp/pr-01234567/some-slug",
            f"{ORIGIN}/nasional/pr-01234567/some-slug",
        ),
        (
            f"{ORIGIN}/amp/nasional/pr-01234567/some-slug",
            f"{ORIGIN}/nasional/pr-01234567/some-slug",
        ),
        # kanal slugs with hyphens
        (
            f"{ORIGIN}/bandung-raya/pr-1234567890/jalan-ditutup",
            f"{ORIGIN}/bandung-raya/pr-1234567890/jalan-ditutup",
        ),
        (f"{ORIGIN}/citizen-report/pr-12345678/x/", f"{ORIGIN}/citizen-report/pr-12345678/x"),
        # host case and sibling sites, local copies with a port
        (
            "HTTPS://PRFMNEWS.Pikiran-Rakyat.com/jabar/pr-12345678/x",
            "https://prfmnews.pikiran-rakyat.com/jabar/pr-12345678/x",
        ),
        ("http://127.0.0.1:8080/jabar/pr-12345678/x", "http://127.0.0.1:8080/jabar/pr-12345678/x"),
        # no slug
        (f"{ORIGIN}/jabar/pr-12345678", f"{ORIGIN}/jabar/pr-12345678"),
    ],
)
def test_canonical_article_url(url: str, expected: str) -> None:
    assert canonical_article_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"{ORIGIN}/",
        f"{ORIGIN}/indeks-berita",
        f"{ORIGIN}/indeks-berita?page=2",
        f"{ORIGIN}/tag/Rusia",
        f"{ORIGIN}/author/123/nama",
        f"{ORIGIN}/pariwisata",
        f"{ORIGIN}/pariwisata/pr-12/too-short-id",
        f"{ORIGIN}/a/b/pr-12345678/too-deep",
        "ftp://galamedia.pikiran-rakyat.com/jabar/pr-12345678/x",
        "notaurl",
        "",
    ],
)
def test_non_article_urls(url: str) -> None:
    assert parse_article_url(url) is None


def test_article_id_is_a_string_with_its_leading_zero() -> None:
    article = parse_article_url(f"{ORIGIN}/internasional/pr-016338423/slug")
    assert article is not None
    assert article.article_id == "016338423"
    assert article.kanal == "internasional"
    assert not article.is_amp


@pytest.mark.parametrize(
    ("url", "site"),
    [
        (f"{ORIGIN}/jabar/pr-12345678/x", "galamedia.pikiran-rakyat.com"),
        ("HTTPS://PRFMNEWS.Pikiran-Rakyat.com/jabar/pr-12345678/x", "prfmnews.pikiran-rakyat.com"),
        # a local copy: the host and its port, so local sites stand for different real ones
        ("http://127.0.0.1:8080/jabar/pr-12345678/x", "127.0.0.1:8080"),
        # a port given that is the scheme's default is no part of the site
        (f"{ORIGIN}:443/jabar/pr-12345678/x", "galamedia.pikiran-rakyat.com"),
        ("http://127.0.0.1:80/jabar/pr-12345678/x", "127.0.0.1"),
    ],
)
def test_an_articles_site_is_its_host_and_any_other_port(url: str, site: str) -> None:
    article = parse_article_url(url)
    assert article is not None
    assert article.site == site


def test_page_urls() -> None:
    article = parse_article_url(f"{ORIGIN}/nasional/amp/pr-01234567/s?utm_source=x")
    assert article is not None
    assert article.is_amp
    assert article.page("all") == f"{ORIGIN}/nasional/pr-01234567/s?page=all"
    assert article.page(2) == f"{ORIGIN}/nasional/pr-01234567/s?page=2"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("?page=2", 2),
        ("/x?page=13", 13),
        ("/x?a=1&page=3#p", 3),
        ("/x?page=all", None),
        ("/x", None),
    ],
)
def test_page_number(url: str, expected: int | None) -> None:
    assert page_number(url) == expected
