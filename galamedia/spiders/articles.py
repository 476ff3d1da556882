"""The `articles` spider: walks the sites' listings (or takes article URLs), one item each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from galamedia.accounting.outcomes import (
    REQUEST_KIND,
    ROBOTS_UNAVAILABLE,
    Rejection,
    failure_reason,
    record,
)
from galamedia.archive import replay
from galamedia.archive.reader import ArchiveError, check_archive
from galamedia.incremental.state import IncrementalState
from galamedia.items import Article, Removal
from galamedia.pages.article import ArticlePage, ArticlePart, build_article, covers, published_at
from galamedia.pages.listing import Listing, ListingEntry, ListingPage
from galamedia.pages.rss import parse_feed
from galamedia.pages.sitemap import parse_sitemap
from galamedia.rules.arguments import ArgumentError, CrawlArguments, Window, parse_arguments
from galamedia.rules.dates import to_iso
from galamedia.rules.urls import SITEMAP_PATH, ArticleUrl, page_number, parse_article_url
from galamedia.signals import article_listed, crawl_planned, listing_read

# Outcomes after which an article page is worth fetching from its second source, the AMP copy.
INCOMPLETE = frozenset({"truncated", "empty"})
SECOND_SOURCE = "galamedia_second_source"
"""Request meta: (URL, reason, detail) of the page whose AMP copy this request fetches."""
# Error statuses an article page may answer with after the retries: the page object accounts
# them as `http_<status>` among the pages fetched (block pages never get that far).
ARTICLE_META: Mapping[str, Any] = {"handle_httpstatus_list": [403, 503]}
# Outcomes that say an article is gone: with the state, an exported one gets a tombstone.
GONE = frozenset({"http_404", "http_410"})


@dataclass(frozen=True, slots=True)
class RequestKind:
    """How one kind of request is made: where its response and its failure go."""

    callback: str
    errback: str
    meta: Mapping[str, Any] = field(default_factory=dict)


REQUESTS: Mapping[str, RequestKind] = {
    # ways into a site; losing one leaves the walk incomplete (`LISTING_KINDS`)
    "listing": RequestKind("parse_listing", "listing_failed"),  # index, kanal, tag pages
    "robots": RequestKind(
        "parse_robots_txt",
        "listing_failed",
        {"handle_httpstatus_list": [404], "dont_obey_robotstxt": True},
    ),
    "sitemap": RequestKind("parse_sitemap", "listing_failed"),
    "feed": RequestKind("parse_feed", "listing_failed"),
    # an article: its page, its `?page=all` view, its next page, its AMP copy
    "article": RequestKind("parse_article", "article_failed", ARTICLE_META),
    "all_pages": RequestKind("parse_all_pages", "all_pages_failed", ARTICLE_META),
    "next_page": RequestKind("parse_next_page", "next_page_failed", ARTICLE_META),
}
# What a listing request is called in the log.
LISTING_NAMES = {
    "listing": "index page",
    "sitemap": "sitemap",
    "feed": "feed",
    "robots": "robots.txt",
}
# The request that opens each kind of source.
_FIRST_REQUEST = {"sitemap": "robots", "feed": "feed"}


class ArticlesSpider(Spider):
    """Collects every article of a publication window, or the articles given by URL.

    Arguments (`-a name=value`): `base_url` or `sites`, `source`, `since`, `until`, `url`;
    see the README.
    """

    name = "articles"

    def __init__(self, **kwargs: str) -> None:
        self.arguments = self.check_arguments(kwargs)
        self._explicit_since = "since" in kwargs
        super().__init__()
        self.allowed_domains = list(self.arguments.allowed_hosts)
        self.sitemap_max_size = 0
        self._state: IncrementalState | None = None
        self._discovery: Window | None = self.arguments.window
        self._listing_pages_seen: set[str] = set()
        self._articles_requested: set[str] = set()

    @classmethod
    def check_arguments(cls, raw: Mapping[str, str]) -> CrawlArguments:
        """Parse the `-a` arguments; raises `ArgumentError` (one line) on a bad one."""
        # Schedulers add their own arguments (`_job` from scrapyd): not ours to check.
        ours = {name: value for name, value in raw.items() if not name.startswith("_")}
        arguments = parse_arguments(ours, now=datetime.now(UTC))
        for path in arguments.archives:
            try:
                check_archive(Path(path))
            except (ArchiveError, OSError) as error:
                raise ArgumentError("warc", str(error)) from None
        return arguments

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sitemap_max_size = crawler.settings.getint("SITEMAP_MAXSIZE")
        if spider.arguments.archives:  # `-a warc`: every response from the archive
            replay.configure(crawler.settings, spider.arguments.archives)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        self._state = self.crawler.get_extension(IncrementalState)
        if self._state is not None:
            self.arguments = self._state.settle(
                self.arguments, explicit_since=self._explicit_since
            )
        window = self.arguments.window
        # With the state, listings are read further back, to catch late edits.
        self._discovery = (
            self._state.discovery_window(window) if window and self._state else window
        )
        self.crawler.signals.send_catch_log(crawl_planned, arguments=self.arguments)
        if self.arguments.urls:
            for url in self.arguments.urls:
                yield self._article_request(url)
            return
        for origin in self.arguments.origins:
            for source in self.arguments.sources:
                # Never filtered as already seen: a resumed job walks its listings again for
                # what is new since.
                kind = _FIRST_REQUEST.get(source.kind, "listing")
                yield self._request(
                    kind,
                    origin + source.path,
                    dont_filter=True,
                    cb_kwargs={"origin": origin} if kind == "robots" else None,
                )

    # Listings ------------------------------------------------------------------------------

    def parse_robots_txt(self, response: Response, origin: str) -> Iterator[Request]:
        """The sitemaps robots.txt names on this site, else `/sitemap.xml`."""
        named = [
            url
            for url in sitemap_urls_from_robots(response.body, base_url=origin)
            if url.startswith(origin + "/")
        ]
        for url in named or [f"{origin}{SITEMAP_PATH}"]:
            yield self._request("sitemap", url)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        self._count("sitemaps")
        listing = parse_sitemap(response, max_size=self.sitemap_max_size)
        yield from self._follow(response, listing, expected="a sitemap")

    def parse_feed(self, response: Response) -> Iterator[Request]:
        self._count("listing_pages")
        yield from self._follow(response, parse_feed(response), expected="an RSS or Atom feed")

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """An index, kanal or tag listing page: its teasers, then its next page."""
        self._listing_pages_seen.add(response.url)
        self._count("listing_pages")
        self.crawler.signals.send_catch_log(listing_read, url=response.url)
        if not isinstance(response, TextResponse):
            self._count("listing_failed")
            self.logger.error("listing page %s is not HTML: walk incomplete", response.url)
            return
        listing = ListingPage(response, fetched_at=_fetched_at(response)).parse()
        if not listing.entries:
            if (page_number(response.url) or 1) == 1:
                # Not the end of a listing but the start of one: its markup is not understood.
                self._count("listing_failed")
                self.logger.error(
                    "no teasers recognised on %s: has its markup changed?", response.url
                )
            else:
                self.logger.info("listing page %s lists no articles: its end", response.url)
            return
        yield from self._follow(response, listing, expected="a listing")
        window = self._discovery
        assert window is not None  # listings are read only for a window
        if all(entry.end is not None and entry.end < window.start for entry in listing.entries):
            self.logger.info("index page %s lies before the window: walk done", response.url)
        elif listing.next_url is None:
            self.logger.info("index page %s has no next page: walk done", response.url)
        elif listing.next_url in self._listing_pages_seen:
            self.logger.warning(
                "index page %s links back to %s: walk done", response.url, listing.next_url
            )
        else:
            yield self._request("listing", listing.next_url)

    def listing_failed(self, failure: Failure) -> None:
        """A listing that cannot be read leaves the walk incomplete: the run fails."""
        request: Request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        if reason == ROBOTS_UNAVAILABLE:  # the site's loss is the problem, reported as such
            self.logger.info("listing %s not requested (%s)", request.url, detail)
            return
        self._count("listing_failed")
        what = LISTING_NAMES.get(request.meta.get(REQUEST_KIND, ""), "listing")
        self.logger.error(
            "%s %s unreadable (%s: %s): walk incomplete", what, request.url, reason, detail
        )

    def _follow(self, response: Response, listing: Listing, *, expected: str) -> Iterator[Request]:
        """What a listing names inside the window: child sitemaps to read, articles to fetch."""
        if not listing.understood:
            self._count("listing_failed")
            self.logger.error("%s is not %s: walk incomplete", response.url, expected)
            return
        window = self._discovery
        assert window is not None  # listings are read only for a window
        for entry in listing.entries:
            if not self._may_be_in(window, entry):
                continue
            if listing.is_index:
                yield self._request("sitemap", entry.url)
            else:
                yield from self._discovered(entry)

    def _may_be_in(self, window: Window, entry: ListingEntry) -> bool:
        """Whether what a listing entry dates (a teaser, a sitemap and its span) can be in the
        window; the rest is counted. An entry without a date is looked at."""
        if entry.start is not None and entry.start >= window.end:
            self._count("listing/newer_than_window")
            return False
        if entry.end is not None and entry.end < window.start:
            self._count("listing/older_than_window")
            return False
        return True

    def _discovered(self, entry: ListingEntry) -> Iterator[Request]:
        """An article URL found inside the window: fetched once, unless the state says not."""
        self._count("listing/in_window")
        self.crawler.signals.send_catch_log(article_listed, url=entry.url, listed_at=entry.start)
        if entry.url in self._articles_requested:  # listed twice, or found by two sources
            self._record(entry.url, "duplicate", "listed again")
        elif (
            self._state
            and not self.arguments.archives  # re-extraction reads every archived article
            and self._state.is_settled(entry.url, entry.start)
        ):
            self._record(entry.url, "already_exported", "exported, older than REFRESH_HOURS")
        else:
            yield self._article_request(entry.url)

    # Articles ------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Request | Article]:
        url = parse_article_url(response.url)
        if url is not None and url.is_amp and SECOND_SOURCE not in response.meta:
            # An AMP copy reached through a redirect: the canonical page is the article.
            self._count("pages_fetched")
            yield self._request("article", url.canonical)
            return
        part = self._parse_part(response)
        if part is None:
            return
        if part.page_count == 1:
            yield from self._deliver([part], page_count=1)
        else:
            yield self._request("all_pages", part.url.page("all"), cb_kwargs={"first": part})

    def article_failed(self, failure: Failure) -> Iterator[Request | Removal]:
        request: Request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        if first := request.meta.get(SECOND_SOURCE):  # the AMP copy failed too
            url, first_reason, first_detail = first
            self._record(url, first_reason, f"{first_detail}; its AMP copy: {reason}")
            return
        article = parse_article_url(request.url)
        if reason in INCOMPLETE and article and not article.is_amp:
            # The page keeps coming cut short: its AMP copy holds the same article.
            self._count("second_source")
            self.logger.warning("%s is %s: trying its AMP copy", request.url, reason)
            yield self._request(
                "article", article.amp, meta={SECOND_SOURCE: (request.url, reason, detail)}
            )
            return
        if reason in GONE and article and not article.is_amp and self._state:
            # With the state on, the consumer may hold this article: tell them it is gone.
            known = self._state.known(request.url)
            if known is not None and known.is_removed:
                self._record(
                    request.url, "already_removed", f"{reason}, its tombstone exported earlier"
                )
                return
            if known is not None and known.is_exported:
                yield self._removal(article, reason)
                return
        self._record(request.url, reason, detail)

    def _removal(self, article: ArticleUrl, reason: str) -> Removal:
        """The tombstone of an exported article that answers 404 or 410."""
        self.logger.info("%s is gone (%s): its tombstone is written", article.canonical, reason)
        return Removal(
            url=article.canonical,
            article_id=article.article_id,
            site=article.site,
            removed_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )

    def parse_all_pages(
        self, response: Response, first: ArticlePart
    ) -> Iterator[Request | Article]:
        view = self._parse_part(response)
        if view is not None and covers(first, view):
            yield from self._deliver([view], page_count=first.page_count, paging=first)
        else:
            yield from self._page_by_page(first, reason="page_all_incomplete")

    def all_pages_failed(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("?page=all failed for %s: %s", request.url, failure.value)
        yield from self._page_by_page(request.cb_kwargs["first"], reason="page_all_failed")

    def parse_next_page(
        self, response: Response, parts: list[ArticlePart]
    ) -> Iterator[Request | Article]:
        part = self._parse_part(response)
        if part is None:
            self._drop_incomplete(parts[0], f"page {response.url} is unusable")
            return
        parts = [*parts, part]
        seen = {p.next_page_url for p in parts[:-1]}
        if part.next_page_url and part.next_page_url not in seen:
            yield self._request("next_page", part.next_page_url, cb_kwargs={"parts": parts})
        else:
            yield from self._deliver(parts, page_count=len(parts))

    def next_page_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        self._drop_incomplete(
            request.cb_kwargs["parts"][0], f"page {request.url} failed: {failure.value}"
        )

    def _page_by_page(self, first: ArticlePart, *, reason: str) -> Iterator[Request]:
        """The `?page=all` view did not hold the article: fetch its pages one by one."""
        self._count(reason)
        if first.next_page_url is None:
            self._drop_incomplete(first, "no link to page 2")
            return
        yield self._request("next_page", first.next_page_url, cb_kwargs={"parts": [first]})

    def _deliver(
        self,
        parts: Sequence[ArticlePart],
        *,
        page_count: int,
        paging: ArticlePart | None = None,
    ) -> Iterator[Article]:
        """The article, if it was published inside the window (an undated one goes on to
        validation, which drops it)."""
        published = published_at(parts)
        window = self._discovery
        if window is not None and published is not None and published not in window:
            self._record(parts[0].url.canonical, "out_of_window", f"published {to_iso(published)}")
            return
        yield build_article(parts, page_count=page_count, paging=paging)

    def _drop_incomplete(self, first: ArticlePart, why: str) -> None:
        self._record(first.url.canonical, "incomplete", f"its body would be incomplete: {why}")

    def _parse_part(self, response: Response) -> ArticlePart | None:
        self._count("pages_fetched")
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            self._record(response.url, "not_html", content_type)
            return None
        try:
            part = ArticlePage(response, fetched_at=_fetched_at(response)).parse()
        except Rejection as rejection:
            self._record(response.url, rejection.reason, rejection.detail)
            return None
        for problem in part.problems:
            self._count(f"problems/{problem.split(':', 1)[0]}")
            self.logger.warning("%s: %s", response.url, problem)
        return part

    # Requests and accounting ---------------------------------------------------------------

    def _article_request(self, url: str) -> Request:
        self._articles_requested.add(url)
        self._count("requested")
        return self._request("article", url)

    def _request(
        self,
        kind: str,
        url: str,
        *,
        dont_filter: bool = False,
        meta: Mapping[str, Any] | None = None,
        cb_kwargs: dict[str, Any] | None = None,
    ) -> Request:
        how = REQUESTS[kind]
        return Request(
            url,
            callback=getattr(self, how.callback),
            errback=getattr(self, how.errback),
            meta={**how.meta, **self._sized(kind), REQUEST_KIND: kind, **(meta or {})},
            cb_kwargs=cb_kwargs,
            dont_filter=dont_filter,
        )

    def _sized(self, kind: str) -> Mapping[str, Any]:
        """A sitemap's own size limit, above the pages' (`SITEMAP_MAXSIZE`)."""
        return {"download_maxsize": self.sitemap_max_size} if kind == "sitemap" else {}

    def _record(self, url: str, reason: str, detail: str) -> None:
        record(self.crawler, url, reason, detail)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"articles/{key}")


def _fetched_at(response: Response) -> datetime:
    """When the page was fetched: now, or, replayed from an archive, when it was captured."""
    captured: datetime | None = response.meta.get(replay.ARCHIVED_AT)
    return captured or datetime.now(UTC)
