"""The `articles` spider: walks the index (or takes article URLs) and yields one item each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from urllib.parse import quote

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from galamedia.accounting.outcomes import failure_reason, record
from galamedia.incremental.pipeline import Incremental
from galamedia.items import Article
from galamedia.monitoring.progress import WalkProgress
from galamedia.pages.article import (
    ArticlePage,
    ArticlePart,
    Rejected,
    build_article,
    covers,
)
from galamedia.pages.listing import ListingPage
from galamedia.pages.rss import parse_feed
from galamedia.pages.sitemap import parse_sitemap
from galamedia.rules.arguments import CrawlArguments, Window, parse_arguments
from galamedia.rules.dates import parse_iso
from galamedia.rules.urls import page_number, parse_article_url

INDEX_PATH = "/indeks-berita"
FEED_PATH = "/feed"
SITEMAP_PATH = "/sitemap.xml"
# Outcomes after which an article page is worth fetching from its second source, the AMP copy.
INCOMPLETE = frozenset({"truncated", "empty"})
SECOND_SOURCE = "galamedia_second_source"
"""Request meta: (URL, reason, detail) of the page whose AMP copy this request fetches."""


class ArticlesSpider(Spider):
    """Collects every article of a publication window, or the articles given by URL.

    Arguments (`-a name=value`): `base_url` or `sites`, `source`, `since`, `until`, `url`;
    see the README.
    """

    name = "articles"

    # Block pages come as 403 or 503 (after the retries): let them reach the page object,
    # which tells a challenge from a plain error, so both are counted by their reason.
    ARTICLE_META: ClassVar[dict[str, Any]] = {"handle_httpstatus_list": [403, 503]}

    incremental: Incremental | None = None
    """The run's incremental state, when `STATE_PATH` is set."""

    def __init__(self, **kwargs: str) -> None:
        self.arguments = self.check_arguments(kwargs)
        self._explicit_since = "since" in kwargs
        super().__init__()
        self.allowed_domains = list(self.arguments.allowed_hosts)
        self._listing_pages_seen: set[str] = set()
        self._articles_requested: set[str] = set()
        self.progress = WalkProgress()

    @classmethod
    def check_arguments(cls, raw: Mapping[str, str]) -> CrawlArguments:
        """Parse the `-a` arguments; raises `ArgumentError` (one line) on a bad one."""
        # Schedulers add their own arguments (`_job` from scrapyd): not ours to check.
        ours = {name: value for name, value in raw.items() if not name.startswith("_")}
        return parse_arguments(ours, now=datetime.now(UTC))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        opened = Incremental.open(
            crawler.settings, spider.arguments, explicit_since=spider._explicit_since
        )
        if opened is not None:
            spider.incremental, spider.arguments = opened
        return spider

    @property
    def walk(self) -> Window | None:
        """The publication times the index is walked for (wider with the incremental state)."""
        window = self.arguments.window
        if window is None or self.incremental is None:
            return window
        return self.incremental.walk(window)

    async def start(self) -> AsyncIterator[Request]:
        if self.arguments.urls:
            for url in self.arguments.urls:
                yield self._article_request(url)
            return
        for origin in self.arguments.origins:
            for source in self.arguments.sources:
                yield self._source_request(origin, source)

    def _source_request(self, origin: str, source: str) -> Request:
        """The first request of one way into a site. Never filtered as already seen: a
        resumed job walks its listings again for what is new since."""
        if source == "sitemap":
            return Request(
                f"{origin}/robots.txt",
                callback=self.parse_robots_txt,
                errback=self.index_failed,
                dont_filter=True,
                meta={"handle_httpstatus_list": [404], "dont_obey_robotstxt": True},
                cb_kwargs={"origin": origin},
            )
        if source == "feed":
            return Request(
                f"{origin}{FEED_PATH}",
                callback=self.parse_feed,
                errback=self.index_failed,
                dont_filter=True,
            )
        kind, _, name = source.partition(":")
        path = {"index": INDEX_PATH, "kanal": f"/{name}", "tag": f"/tag/{quote(name)}"}[kind]
        return self._index_request(origin + path, dont_filter=True)

    def parse_robots_txt(self, response: Response, origin: str) -> Iterator[Request]:
        """The sitemaps robots.txt names on this site, else `/sitemap.xml`."""
        named = [
            url
            for url in sitemap_urls_from_robots(response.body, base_url=origin)
            if url.startswith(origin + "/")
        ]
        for url in named or [f"{origin}{SITEMAP_PATH}"]:
            yield Request(url, callback=self.parse_sitemap, errback=self.index_failed)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        window = self.walk
        assert window is not None  # sitemaps are read only for a window
        self._count("sitemaps")
        max_size = int(self.settings.getint("DOWNLOAD_MAXSIZE"))
        content = parse_sitemap(response, max_size=max_size)
        if not content.is_sitemap:
            self._count("listing_failed")
            self.logger.error("%s is not a sitemap: walk incomplete", response.url)
            return
        for entry in content.entries:
            if not self._may_be_in(window, entry.start, entry.end):
                continue
            if content.is_index:
                yield Request(entry.url, callback=self.parse_sitemap, errback=self.index_failed)
            else:
                yield from self._discovered(entry.url, entry.start)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        window = self.walk
        assert window is not None  # feeds are read only for a window
        self._count("listing_pages")
        feed = parse_feed(response)
        if not feed.is_feed:
            self._count("listing_failed")
            self.logger.error("%s is not an RSS or Atom feed: walk incomplete", response.url)
            return
        for entry in feed.entries:
            if self._may_be_in(window, entry.published_at, entry.published_at):
                yield from self._discovered(entry.url, entry.published_at)

    def _may_be_in(self, window: Window, start: datetime | None, end: datetime | None) -> bool:
        """Whether what a listing entry dates (a teaser, a sitemap and its span) can be in the
        window; the rest is counted. An entry without a date is looked at."""
        if start is not None and start >= window.end:
            self._count("listing/newer_than_window")
            return False
        if end is not None and end < window.start:
            self._count("listing/older_than_window")
            return False
        return True

    def _discovered(self, url: str, listed_at: datetime | None) -> Iterator[Request]:
        """An article URL found inside the window: fetched once, unless the state says not."""
        self._count("listing/in_window")
        self.progress.reached(url, listed_at)
        if url in self._articles_requested:  # listed twice, or found by two sources
            self._record(url, "duplicate", "listed again")
        elif self.incremental and self.incremental.is_settled(url, listed_at):
            self._record(url, "already_exported", "exported, older than REFRESH_HOURS")
        else:
            yield self._article_request(url)

    def parse_index(self, response: Response) -> Iterator[Request]:
        window = self.walk
        assert window is not None  # the index is walked only for a window
        self._listing_pages_seen.add(response.url)
        self._count("listing_pages")
        self.progress.listing_page(response.url)
        if not isinstance(response, TextResponse):
            self._count("listing_failed")
            self.logger.error("listing page %s is not HTML: walk incomplete", response.url)
            return
        listing = ListingPage(response, fetched_at=datetime.now(UTC)).parse()
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
        for entry in listing.entries:
            if self._may_be_in(window, entry.published_at, entry.published_at):
                yield from self._discovered(entry.url, entry.published_at)
        if all(
            e.published_at is not None and e.published_at < window.start for e in listing.entries
        ):
            self.logger.info("index page %s lies before the window: walk done", response.url)
        elif listing.next_url is None:
            self.logger.info("index page %s has no next page: walk done", response.url)
        elif listing.next_url in self._listing_pages_seen:
            self.logger.warning(
                "index page %s links back to %s: walk done", response.url, listing.next_url
            )
        else:
            yield self._index_request(listing.next_url)

    def index_failed(self, failure: Failure) -> None:
        """An index page that cannot be read leaves the walk incomplete: the run fails."""
        request: Request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        self._count("listing_failed")
        self.logger.error(
            "index page %s unreadable (%s: %s): walk incomplete", request.url, reason, detail
        )

    def article_failed(self, failure: Failure) -> Iterator[Request]:
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
            yield Request(
                article.amp,
                callback=self.parse_article,
                errback=self.article_failed,
                meta={**self.ARTICLE_META, SECOND_SOURCE: (request.url, reason, detail)},
            )
            return
        self._record(request.url, reason, detail)

    def parse_article(self, response: Response) -> Iterator[Request | Article]:
        part = self._parse_part(response)
        if part is None:
            return
        if part.url.is_amp and SECOND_SOURCE not in response.meta:
            # reached through a redirect: the canonical page is the article
            yield Request(
                part.url.canonical,
                callback=self.parse_article,
                errback=self.article_failed,
                meta=self.ARTICLE_META,
            )
        elif part.page_count == 1:
            yield from self._emit(build_article([part], page_count=1))
        else:
            yield Request(
                part.url.page("all"),
                callback=self.parse_all_pages,
                errback=self.walk_after_error,
                cb_kwargs={"first": part},
                meta=self.ARTICLE_META,
            )

    def parse_all_pages(
        self, response: Response, first: ArticlePart
    ) -> Iterator[Request | Article]:
        view = self._parse_part(response)
        if view is not None and covers(first, view):
            yield from self._emit(build_article([view], page_count=first.page_count))
        else:
            yield from self._walk(first, reason="page_all_incomplete")

    def walk_after_error(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("?page=all failed for %s: %s", request.url, failure.value)
        yield from self._walk(request.cb_kwargs["first"], reason="page_all_failed")

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
            yield self._page_request(part.next_page_url, parts)
        else:
            yield from self._emit(build_article(parts, page_count=len(parts)))

    def page_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        self._drop_incomplete(
            request.cb_kwargs["parts"][0], f"page {request.url} failed: {failure.value}"
        )

    def _emit(self, article: Article) -> Iterator[Article]:
        window = self.walk
        published = parse_iso(article.published_at) if article.published_at else None
        if window is not None and published is not None and published not in window:
            self._record(article.url, "out_of_window", f"published {article.published_at}")
            return
        yield article

    def _walk(self, first: ArticlePart, *, reason: str) -> Iterator[Request]:
        self._count(reason)
        if first.next_page_url is None:
            self._drop_incomplete(first, "no link to page 2")
            return
        yield self._page_request(first.next_page_url, [first])

    def _drop_incomplete(self, first: ArticlePart, why: str) -> None:
        self._record(first.url.canonical, "incomplete", f"its body would be incomplete: {why}")

    def _index_request(self, url: str, *, dont_filter: bool = False) -> Request:
        return Request(
            url, callback=self.parse_index, errback=self.index_failed, dont_filter=dont_filter
        )

    def _article_request(self, url: str) -> Request:
        self._articles_requested.add(url)
        self._count("requested")
        return Request(
            url, callback=self.parse_article, errback=self.article_failed, meta=self.ARTICLE_META
        )

    def _page_request(self, url: str, parts: list[ArticlePart]) -> Request:
        return Request(
            url,
            callback=self.parse_next_page,
            errback=self.page_failed,
            cb_kwargs={"parts": parts},
            meta=self.ARTICLE_META,
        )

    def _parse_part(self, response: Response) -> ArticlePart | None:
        self._count("pages_fetched")
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            self._reject(response, Rejected("not_html", content_type))
            return None
        result = ArticlePage(response, fetched_at=datetime.now(UTC)).parse()
        if isinstance(result, Rejected):
            self._reject(response, result)
            return None
        for problem in result.problems:
            self._count(f"problems/{problem.split(':', 1)[0]}")
            self.logger.warning("%s: %s", response.url, problem)
        return result

    def _reject(self, response: Response, rejected: Rejected) -> None:
        self._record(response.url, rejected.reason, rejected.detail)

    def _record(self, url: str, reason: str, detail: str) -> None:
        record(self.crawler, url, reason, detail)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"articles/{key}")
