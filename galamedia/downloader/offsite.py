"""The crawled origin only: a request elsewhere (a redirect away) is dropped and accounted."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from galamedia.accounting.outcomes import record


class AccountingOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter; what it drops when a request is scheduled is recorded.

    Workaround: a redirect away from the site is filtered when it is scheduled, where Scrapy
    drops it without calling the request's errback: the article would vanish silently.
    """

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        try:
            super().request_scheduled(request, spider)
        except IgnoreRequest as error:
            origin = (request.meta.get("redirect_urls") or [request.url])[0]
            record(self.crawler, origin, "offsite", f"{request.url}: {error}")
            raise
