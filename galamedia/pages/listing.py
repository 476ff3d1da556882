"""Listing pages (`/indeks-berita` and its pages): article links, their dates, the next page."""

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
    "h2.latest__title a::attr(href)",
    ".latest__img a::attr(href)",  # the thumbnail link
    'a[href*="/pr-"]::attr(href)',
)
ITEM_DATE = (
    "date.latest__date",  # a `<date>` element: `22 Februari 2023, 20:08 WIB`
    ".latest__date",
    "time",
)
NEXT_LINK = "a.paging__link--next"
# From page 4 on the template has two `--next` anchors; the real one reads `Next`.
NEXT_TEXTS = ("next", "selanjutnya", "berikutnya", "»", "›")
PAGING_LINKS = "a.paging__link::attr(href)"


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One article teaser on a listing page."""

    url: str
    """The article URL in canonical form (a legacy URL is kept as it is: it redirects)."""
    published_at: datetime | None
    """The teaser's date (minute precision), or None when it shows none that parses."""


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing page holds."""

    entries: tuple[ListingEntry, ...]
    next_url: str | None


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
                    entries[url] = ListingEntry(url, self._item_date(item))
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
