"""Listing pages (index, kanal, tag) and the one listing-entry type every source gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parsel import Selector
from scrapy.http import TextResponse

from galamedia.rules.dates import find_date_text, parse_date
from galamedia.rules.text import normalize_space
from galamedia.rules.urls import canonical_article_url, is_legacy_article_url, page_number

# Each tuple is tried in order, specific to generic; the first that yields a value wins.

ITEMS = (
    "div.latest__wrap div.latest__item",  # index page (`latest__wrap mail`)
    "div.latest__item",  # homepage, kanal and tag listings
)
ITEM_LINK = (
    "a.latest__link::attr(href)",  # the headline link
    "h2.latest__title a::attr(href)",  # the headline link without its class
    ".latest__img a::attr(href)",  # the thumbnail link
    'a[href*="/pr-"]::attr(href)',  # a drifted teaser: any article link in it
)
ITEM_DATE = (
    "date.latest__date",  # a `<date>` element: `22 Februari 2023, 20:08 WIB`
    ".latest__date",  # the date in another element
    "time",  # a drifted teaser with a `<time>`
)
NEXT_LINK = "a.paging__link--next"  # every listing
# From page 4 on the template has two `--next` anchors; the real one reads `Next`.
NEXT_TEXTS = ("next", "selanjutnya", "berikutnya", "»", "›")
PAGING_LINKS = "a.paging__link::attr(href)"  # numbered pages, when no next link is there


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """A URL some listing names (a teaser, a feed item, a sitemap entry), with the span of
    publication times it can stand for: one moment for a dated teaser, a day or a month for a
    sitemap."""

    url: str
    """An article URL in canonical form (a legacy URL is kept as it is: it redirects), or, in
    a sitemap index, a child sitemap's URL."""
    start: datetime | None
    """Earliest publication time it can hold (None: unknown)."""
    end: datetime | None
    """Latest time it was published or modified (None: unknown)."""

    @classmethod
    def dated(cls, url: str, moment: datetime | None) -> ListingEntry:
        """An entry listed with one publication time (a teaser, a feed item)."""
        return cls(url, moment, moment)


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing document holds: an index, kanal or tag page, a feed, a sitemap."""

    entries: tuple[ListingEntry, ...]
    next_url: str | None = None
    """The listing's next page (index, kanal and tag listings)."""
    is_index: bool = False
    """A sitemap index: its entries are child sitemaps, not articles."""
    understood: bool = True
    """False for a document that is not of the kind asked for (an HTML page at `/feed`)."""


class ListingPage:
    """One listing page response."""

    def __init__(self, response: TextResponse, *, fetched_at: datetime) -> None:
        self.response = response
        self.fetched_at = fetched_at

    def parse(self) -> Listing:
        entries: dict[str, ListingEntry] = {}
        for query in ITEMS:
            for item in self.response.css(query):
                url = self._item_url(item.css(",".join(ITEM_LINK)).getall())
                if url and url not in entries:
                    entries[url] = ListingEntry.dated(url, self._item_date(item))
            if entries:
                break
        return Listing(tuple(entries.values()), self._next_url())

    def _item_url(self, hrefs: list[str]) -> str | None:
        for href in hrefs:
            absolute = self.response.urljoin(href.strip())
            if canonical := canonical_article_url(absolute):
                return canonical
            if is_legacy_article_url(absolute):
                return absolute
        return None

    def _item_date(self, item: Selector) -> datetime | None:
        for query in ITEM_DATE:
            for node in item.css(query):
                text = normalize_space(node.xpath("string()").get(""))
                moment = parse_date(find_date_text(text) or text, now=self.fetched_at)
                if moment is not None:
                    return moment
        return None

    def _next_url(self) -> str | None:
        anchors = self.response.css(NEXT_LINK)
        labelled = [
            anchor
            for anchor in anchors
            if normalize_space(anchor.xpath("string()").get("")).lower() in NEXT_TEXTS
        ]
        for anchor in labelled or anchors[-1:]:
            if href := anchor.attrib.get("href", "").strip():
                return self.response.urljoin(href)
        # No next anchor: the numbered link after the current page, if there is one.
        current = page_number(self.response.url) or 1
        for href in self.response.css(PAGING_LINKS).getall():
            if page_number(href) == current + 1:
                return self.response.urljoin(href)
        return None
