"""Incomplete or mis-decoded HTML is fetched again or rejected, never parsed as if whole."""

from __future__ import annotations

import codecs
import logging
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from galamedia.accounting.outcomes import Rejection
from galamedia.downloader.retry import backoff_seconds, pause

logger = logging.getLogger(__name__)

# Charsets of one byte per character, under which UTF-8 bytes decode without an error.
_SINGLE_BYTE = frozenset({"latin-1", "iso8859-1", "cp1252", "ascii", "mac-roman", "koi8-r"})
# Where to look for the closing tag: pages end with `</html>` and little after it.
_TAIL = 4096


class IntegrityMiddleware:
    """Checks every HTML page before it is parsed.

    * empty, or cut off before `</html>` (also when Scrapy let a data-loss response through):
      fetched again with back-off, then rejected as `empty` or `truncated`;
    * U+FFFD after decoding (a wrong charset header): decoded again with the charset the
      document declares, else rejected as `encoding`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            not isinstance(response, HtmlResponse)
            or response.status != 200
            or request.meta.get("dont_obey_robotstxt")  # robots.txt itself, whatever its type
        ):
            return response
        problem = _incompleteness(response)
        if problem is not None:
            return await self._again(request, problem)
        if "\ufffd" in response.text:
            return self._redecoded(request, response)
        if _is_utf8_under_a_single_byte_charset(response):
            return self._as_utf8(request, response)
        return response

    async def _again(self, request: Request, problem: str) -> Request:
        assert self.crawler.spider is not None  # responses only flow while a spider runs
        retry = get_retry_request(request, spider=self.crawler.spider, reason=problem)
        if retry is None:
            self.crawler.stats.inc_value(f"integrity/{problem}")
            raise Rejection(problem, "still so after the retries")
        attempt = int(request.meta.get("retry_times", 0))
        await pause(backoff_seconds(attempt, self.backoff_base, self.backoff_max))
        return retry

    def _as_utf8(self, request: Request, response: HtmlResponse) -> HtmlResponse:
        self.crawler.stats.inc_value("articles/problems/charset_corrected")
        logger.warning(
            "%s: declared charset %s, but the bytes are UTF-8: read as UTF-8",
            request.url,
            response.encoding,
        )
        return response.replace(encoding="utf-8")

    def _redecoded(self, request: Request, response: HtmlResponse) -> HtmlResponse:
        declared = html_body_declared_encoding(response.body)
        if declared and resolve_encoding(declared) != resolve_encoding(response.encoding):
            again = response.replace(encoding=declared)
            if "\ufffd" not in again.text:
                self.crawler.stats.inc_value("integrity/redecoded")
                logger.warning(
                    "%s: header charset %s is wrong, decoded as the declared %s",
                    request.url,
                    response.encoding,
                    declared,
                )
                return again
        self.crawler.stats.inc_value("integrity/encoding")
        raise Rejection(
            "encoding", f"replacement characters after decoding as {response.encoding}"
        )


def _is_utf8_under_a_single_byte_charset(response: HtmlResponse) -> bool:
    """The classic mojibake: a Latin-1 (or Windows-1252 …) charset declared for UTF-8 bytes.

    Decoded as declared, such a page shows no U+FFFD, only `Â ` and `Ã©` where NBSPs and `é`
    were: a silent corruption. Non-ASCII bytes that form valid UTF-8 throughout are all but
    never real single-byte text, so they are read as what they are.
    """
    body = response.body
    if body.isascii() or not _is_single_byte(response.encoding):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_single_byte(encoding: str) -> bool:
    try:
        name = codecs.lookup(resolve_encoding(encoding) or encoding).name
    except LookupError:
        return False
    return name in _SINGLE_BYTE or name.startswith(("iso8859", "cp12", "windows-12"))


def _incompleteness(response: HtmlResponse) -> str | None:
    if not response.body.strip():
        return "empty"
    if "dataloss" in response.flags or b"</html" not in response.body[-_TAIL:].lower():
        return "truncated"
    return None
