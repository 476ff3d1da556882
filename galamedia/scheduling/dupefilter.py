"""The duplicate-request filter, with every drop after a redirect accounted for."""

from __future__ import annotations

from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter

from galamedia.accounting.outcomes import record


class AccountingDupeFilter(RFPDupeFilter):
    """Scrapy's filter; a redirect to a URL already requested is recorded, not dropped silently.

    Workaround: stock Scrapy logs only the first filtered request, at DEBUG, so an article link
    that redirects to an already fetched article simply vanishes.
    """

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        dupefilter = super().from_crawler(crawler)
        dupefilter.crawler = crawler
        return dupefilter

    def log(self, request: Request, spider: Spider) -> None:
        super().log(request, spider)
        origins = request.meta.get("redirect_urls")
        if not origins or self.crawler is None:
            return
        if request.url in origins:
            record(self.crawler, origins[0], "redirect_loop", " → ".join([*origins, request.url]))
        else:
            record(
                self.crawler, origins[0], "duplicate", f"redirects to {request.url}, seen before"
            )
