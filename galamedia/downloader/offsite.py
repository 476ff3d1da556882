"""The crawled origins only: a request elsewhere (a redirect away) is dropped and accounted."""

from __future__ import annotations

from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from galamedia.accounting.outcomes import record
from galamedia.rules.arguments import CrawlArguments
from galamedia.rules.urls import origin_of
from galamedia.signals import crawl_planned


class AccountingOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter, by origin, and what it drops when a request is scheduled is
    recorded.

    A site is its origin: scheme, host and port. Stock Scrapy compares host names only, so a
    redirect to the same host on another port was followed as if it were the same site.
    Workaround: a redirect away from the site is filtered when it is scheduled, where Scrapy
    drops it without calling the request's errback: the article would vanish silently.
    """

    origins: frozenset[str] = frozenset()
    """The origins the crawl is for (from the spider's plan); empty: Scrapy's host rule."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.crawl_planned, signal=crawl_planned)
        return middleware

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.origins = frozenset(arguments.allowed_origins)

    def should_follow(self, request: Request, spider: Spider) -> bool:
        if self.origins:
            return origin_of(request.url) in self.origins
        return super().should_follow(request, spider)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """A redirect that leaves the crawled origins is offsite even when the request it
        came from skips the filters (`dont_filter`, as retries and the first listing pages
        carry): otherwise its host's robots.txt would be asked, dropped as offsite, and the
        strict robots rule would end the whole crawl for one article."""
        if (
            request.dont_filter
            and request.meta.get("redirect_urls")
            and self.origins
            and origin_of(request.url) not in self.origins
        ):
            self.stats.inc_value("offsite/filtered")
            raise IgnoreRequest(f"Filtered offsite redirect to {origin_of(request.url)}")
        super().process_request(request)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        try:
            super().request_scheduled(request, spider)
        except IgnoreRequest as error:
            origin = (request.meta.get("redirect_urls") or [request.url])[0]
            record(self.crawler, origin, "offsite", f"{request.url}: {error}")
            raise
