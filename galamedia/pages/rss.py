"""RSS and Atom feeds (`/feed`): the article URLs they list, with publication times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parsel import Selector
from scrapy.http import Response

from galamedia.rules.dates import parse_period, parse_rfc822
from galamedia.rules.urls import canonical_article_url

# RSS 2.0 first, then Atom; parsel parses XML without expanding entities.
RSS_ITEMS = "//channel/item"
ATOM_ENTRIES = "//*[local-name()='entry']"


FEED_ROOTS = "/rss/channel | /*[local-name()='feed']"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedContent:
    is_feed: bool
    """False for a document that is no RSS or Atom feed (an HTML page, say)."""
    entries: tuple[FeedEntry, ...]


def parse_feed(response: Response) -> FeedContent:
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
            found.append(FeedEntry(url, published))
    return FeedContent(bool(selector.xpath(FEED_ROOTS)), tuple(found))
