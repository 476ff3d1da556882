"""The `articles` spider: article pages to items, split articles joined into one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from galamedia.items import Article
from galamedia.pages.article import (
    ArticlePage,
    ArticlePart,
    Rejected,
    build_article,
    covers,
)
from galamedia.urls import canonical_article_url


class ArticlesSpider(Spider):
    """Fetches articles and yields one `Article` per article, however many pages it has.

    Arguments: `url`, one or more article URLs separated by commas.
    """

    name = "articles"

    # Block pages come as 403 or 503 (after the retries): let them reach the page object,
    # which tells a challenge from a plain error, so both are counted by their reason.
    ARTICLE_META: ClassVar[dict[str, Any]] = {"handle_httpstatus_list": [403, 503]}

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.article_urls = [_article_url_argument(value) for value in url.split(",") if value]
        if not self.article_urls:
            raise ValueError("url: give one or more article URLs, separated by commas")

    async def start(self) -> AsyncIterator[Request]:
        for url in self.article_urls:
            yield Request(url, callback=self.parse_article, meta=self.ARTICLE_META)

    def parse_article(self, response: Response) -> Iterator[Request | Article]:
        part = self._parse_part(response)
        if part is None:
            return
        if part.url.is_amp:  # reached through a redirect: the canonical page is the article
            yield response.follow(
                part.url.canonical, callback=self.parse_article, meta=self.ARTICLE_META
            )
        elif part.page_count == 1:
            yield build_article([part], page_count=1)
        else:
            yield response.follow(
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
            yield build_article([view], page_count=first.page_count)
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
            self._count("incomplete")
            self.logger.error(
                "article %s dropped: page %s unusable", parts[0].url.canonical, response.url
            )
            return
        parts = [*parts, part]
        seen = {p.next_page_url for p in parts[:-1]}
        if part.next_page_url and part.next_page_url not in seen:
            yield self._page_request(part.next_page_url, parts)
        else:
            yield build_article(parts, page_count=len(parts))

    def page_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        self._count("incomplete")
        self.logger.error(
            "article %s dropped: page %s failed (%s)",
            request.cb_kwargs["parts"][0].url.canonical,
            request.url,
            failure.value,
        )

    def _walk(self, first: ArticlePart, *, reason: str) -> Iterator[Request]:
        self._count(reason)
        if first.next_page_url is None:
            self._count("incomplete")
            self.logger.error("article %s dropped: no link to page 2", first.url.canonical)
            return
        yield self._page_request(first.next_page_url, [first])

    def _page_request(self, url: str, parts: list[ArticlePart]) -> Request:
        return Request(
            url,
            callback=self.parse_next_page,
            errback=self.page_failed,
            cb_kwargs={"parts": parts},
        )

    def _parse_part(self, response: Response) -> ArticlePart | None:
        if not isinstance(response, TextResponse):
            self._reject(
                response,
                Rejected(
                    "not_html", (response.headers.get("Content-Type") or b"").decode("latin-1")
                ),
            )
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
        self._count(f"rejected/{rejected.reason}")
        self.logger.warning(
            "not an article: %s (%s: %s)", response.url, rejected.reason, rejected.detail
        )

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"articles/{key}")


def _article_url_argument(value: str) -> str:
    canonical = canonical_article_url(value.strip())
    if canonical is None:
        raise ValueError(f"url: {value.strip()!r} is not an article URL (…/{{kanal}}/pr-{{id}}/…)")
    return canonical
