"""RSS and Atom feeds (`/feed`): the article URLs they list, with publication times."""

from __future__ import annotations

from parsel import Selector
from scrapy.http import Response

from galamedia.pages.listing import Listing, ListingEntry
from galamedia.rules.dates import parse_period, parse_rfc822
from galamedia.rules.urls import canonical_article_url

# Both are read; parsel parses XML without expanding entities.
RSS_ITEMS = "//channel/item"  # RSS 2.0, the form feed lists give for PRMN sites
ATOM_ENTRIES = "//*[local-name()='entry']"  # Atom, whatever its namespace prefix
# A document without either root is no feed at all (an HTML page, say).
FEED_ROOTS = "/rss/channel | /*[local-name()='feed']"


def parse_feed(response: Response) -> Listing:
    """The feed's article entries, in feed order."""
    selector = Selector(body=response.body, type="xml")
    entries = []
    for item in selector.xpath(RSS_ITEMS):
        link = item.xpath("link/text()").get("") or item.xpath("guid/text()").get("")
        published = parse_rfc822(item.xpath("pubDate/text()").get(""))
        entries.append((link, published))
    for entry in selector.xpath(ATOM_ENTRIES):
        link = entry.xpath("*[local-name()='link'][not(@rel) or @rel='alternate']/@href").get("")
        stamp = entry.xpath("*[local-name()='published' or local-name()='updated']/text()").get("")
        period = parse_period(stamp) if stamp else None
        entries.append((link, period[0] if period else None))
    found = []
    for link, published in entries:
        if url := canonical_article_url(response.urljoin(link.strip())):
            found.append(ListingEntry.dated(url, published))
    return Listing(tuple(found), understood=bool(selector.xpath(FEED_ROOTS)))
