"""Sitemaps and sitemap indexes: the child sitemaps and article URLs they list, with dates."""

from __future__ import annotations

from parsel import Selector
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from galamedia.pages.listing import Listing, ListingEntry
from galamedia.rules.dates import day_span, parse_period
from galamedia.rules.urls import canonical_article_url, date_in_name, is_legacy_article_url

# Google News sitemaps give the publication time in a nested element, which Scrapy's
# `Sitemap` does not keep; it is read beside it, with entity expansion off (parsel's parser).
NEWS_DATES = "//*[local-name()='url'][*[local-name()='news']]"
_GZIP_MAGIC = b"\x1f\x8b"


def parse_sitemap(response: Response, *, max_size: int) -> Listing:
    """Scrapy's sitemap parser (no entity expansion), with each entry's dates."""
    body = response.body
    if body[:2] == _GZIP_MAGIC:
        body = gunzip(body, max_size=max_size)
    sitemap = Sitemap(body)
    news = _news_dates(body) if b"sitemap-news" in body else {}
    entries = []
    for entry in sitemap:
        loc = response.urljoin(entry["loc"])
        if sitemap.type == "sitemapindex":
            entries.append(_child(loc, entry.get("lastmod")))
            continue
        url = canonical_article_url(loc) or (loc if is_legacy_article_url(loc) else None)
        if url is None:
            continue
        period = parse_period(news.get(entry["loc"]) or entry.get("lastmod") or "")
        entries.append(
            ListingEntry(url, period[0] if period else None, period[1] if period else None)
        )
    return Listing(
        tuple(entries),
        is_index=sitemap.type == "sitemapindex",
        understood=sitemap.type in ("urlset", "sitemapindex"),
    )


def _child(url: str, lastmod: str | None) -> ListingEntry:
    """A child sitemap holds nothing after its `lastmod`, nothing outside its name's date."""
    modified = parse_period(lastmod) if lastmod else None
    named = date_in_name(url)
    span = day_span(*named) if named else None
    end = modified[1] if modified else (span[1] if span else None)
    if span and end:
        end = min(end, span[1])
    return ListingEntry(url, span[0] if span else None, end)


def _news_dates(body: bytes) -> dict[str, str]:
    selector = Selector(body=body, type="xml")
    dates = {}
    for url in selector.xpath(NEWS_DATES):
        loc = url.xpath("*[local-name()='loc']/text()").get("").strip()
        published = url.xpath(".//*[local-name()='publication_date']/text()").get("").strip()
        if loc and published:
            dates[loc] = published
    return dates
