"""A reverse proxy on 127.0.0.1 that makes a healthy local site a degraded one, by chance.

`FaultProxy` forwards every request to an upstream origin (a `TestSite`, the benchmarks'
`BenchSite`) and, at a rate per fault, answers in one of the ways a real site under load fails
instead: a 500, a 502, a 503 with `Retry-After`, a 429, a connection closed before any answer,
a body cut short of its `Content-Length`, a gzip body that cannot be decoded, or a slow first
byte. The crawler is given the proxy's origin: the upstream origin in bodies and `Location`
headers is written as the proxy's, so absolute links lead back through it; nothing else in a
page is changed unless a fault needs it.

The draws are seeded per path and per attempt, so the same seed injects the same faults into
the same crawl, whatever order the requests arrive in; every fault is recorded. A path meets at
most `MAX_IN_A_ROW` faults in a row, then the page itself: each retry budget can be met.
"""

from __future__ import annotations

import gzip
import http.client
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

from galamedia import settings


class Fault(StrEnum):
    """How a degraded site answers instead of with its page."""

    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    """With `Retry-After`."""
    TOO_MANY_REQUESTS = "429"
    """Without `Retry-After`: the crawler's own back-off decides."""
    CLOSED = "closed"
    """The connection closed before any response."""
    TRUNCATED = "truncated"
    """The whole body announced by `Content-Length`, half of it sent, then closed."""
    CORRUPT_GZIP = "corrupt_gzip"
    """`Content-Encoding: gzip` on bytes that cannot be inflated."""
    SLOW = "slow"
    """The page, after a pause before the first byte (within the download timeout)."""


STATUSES = {
    Fault.SERVER_ERROR: 500,
    Fault.BAD_GATEWAY: 502,
    Fault.UNAVAILABLE: 503,
    Fault.TOO_MANY_REQUESTS: 429,
}
# Faults that damage a page: a redirect or an error page has none to damage (and a redirect
# is followed before its body is ever decoded), so these are drawn only on a 200 with a body.
DAMAGING = frozenset({Fault.TRUNCATED, Fault.CORRUPT_GZIP})
# A request's retry count follows it through a redirect (Scrapy copies its meta), so a page
# reached by one redirect can meet the faults of both paths on a single budget of RETRY_TIMES.
MAX_IN_A_ROW = settings.RETRY_TIMES // 2
# Not passed on: they describe one connection, or the proxy sets them itself.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}
)
_ERROR_PAGE = b"<html><head><title>%d</title></head><body><h1>%d</h1></body></html>"


def every_fault(rate: float) -> dict[Fault, float]:
    """The same rate for every fault: `every_fault(0.10)` is 10 % of each."""
    return dict.fromkeys(Fault, rate)


@dataclass(frozen=True)
class Injection:
    """One fault the proxy answered with."""

    path: str
    fault: Fault
    retry_after: int | None = None
    """The seconds a 503 asked to wait."""


@dataclass(frozen=True)
class _Upstream:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def damageable(self) -> bool:
        """A page as sent, whole: a 200 with a body, not encoded already."""
        encoded = any(name.lower() == "content-encoding" for name, _ in self.headers)
        return self.status == 200 and bool(self.body) and not encoded


class FaultProxy:
    """A reverse proxy to `upstream` that injects each fault of `rates` at its rate.

    `rates` maps faults to the share of requests that get them (their sum at most 1). `only`
    limits the faults to the paths it accepts (article pages, say). A 503 asks a `Retry-After`
    drawn from `retry_after` (seconds, both ends included); a slow answer waits `slow_seconds`.
    """

    __test__ = False  # not a test class, whatever pytest thinks

    def __init__(
        self,
        upstream: str,
        rates: Mapping[Fault, float],
        *,
        seed: int = 17,
        only: Callable[[str], bool] | None = None,
        retry_after: tuple[int, int] = (1, 1),
        slow_seconds: float = 0.05,
        max_in_a_row: int = MAX_IN_A_ROW,
    ) -> None:
        if sum(rates.values()) > 1:
            raise ValueError(f"fault rates add up to more than 1: {dict(rates)}")
        self.upstream = upstream
        self.rates = dict(rates)
        self.seed = seed
        self.only = only
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.max_in_a_row = max_in_a_row
        self.requests: list[str] = []
        self.injected: list[Injection] = []
        """Every fault answered, in the order answered."""
        self._attempts: dict[str, int] = {}
        self._in_a_row: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._upstream_origin = re.compile(re.escape(upstream.encode()) + rb"(?!\d)")

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def injected_count(self, fault: Fault) -> int:
        return sum(injection.fault is fault for injection in self.injected)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _draw(self, path: str, upstream: _Upstream) -> Injection | None:
        """The fault for this attempt at `path`, if it gets one."""
        with self._lock:
            self.requests.append(path)
            attempt = self._attempts.get(path, 0)
            self._attempts[path] = attempt + 1
            # A generator per path and attempt: the same faults whatever the arrival order.
            rng = random.Random(f"{self.seed}:{path}:{attempt}")
            fault = self._pick(rng.random(), path, upstream)
            in_a_row = self._in_a_row.get(path, 0)
            if fault is not None and in_a_row >= self.max_in_a_row:
                fault = None  # enough: this time the page itself
            self._in_a_row[path] = in_a_row + 1 if fault is not None else 0
            if fault is None:
                return None
            asked = rng.randint(*self.retry_after) if fault is Fault.UNAVAILABLE else None
            injection = Injection(path, fault, asked)
            self.injected.append(injection)
            return injection

    def _pick(self, draw: float, path: str, upstream: _Upstream) -> Fault | None:
        if self.only is not None and not self.only(path):
            return None
        bound = 0.0
        for fault, rate in self.rates.items():
            bound += rate
            if draw < bound:
                return None if fault in DAMAGING and not upstream.damageable else fault
        return None

    def _fetch(self, path: str, headers: Mapping[str, str]) -> _Upstream:
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            forwarded = {
                name: value
                for name, value in headers.items()
                if name.lower() not in {"host", "connection"}
            }
            connection.request("GET", path, headers=forwarded)
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        kept = [(name, value) for name, value in answer.getheaders() if not _is_hop(name)]
        if not any(name.lower() == "content-encoding" for name, _ in kept):
            body = self._upstream_origin.sub(self.origin.encode(), body)
        kept = [
            (name, self._as_ours(value) if name.lower() == "location" else value)
            for name, value in kept
        ]
        return _Upstream(answer.status, kept, body)

    def _as_ours(self, location: str) -> str:
        return self._upstream_origin.sub(self.origin.encode(), location.encode()).decode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream = proxy._fetch(self.path, dict(self.headers.items()))
                injection = proxy._draw(self.path, upstream)
                fault = injection.fault if injection else None
                if fault is Fault.CLOSED:
                    self.close_connection = True
                    return
                if fault is Fault.SLOW:
                    time.sleep(proxy.slow_seconds)  # the fault itself: a slow first byte
                if injection is not None and fault in STATUSES:
                    status = STATUSES[fault]
                    headers = [("Content-Type", "text/html")]
                    if injection.retry_after is not None:
                        headers.append(("Retry-After", str(injection.retry_after)))
                    self._answer(status, headers, _ERROR_PAGE % (status, status))
                elif fault is Fault.CORRUPT_GZIP:
                    self._answer(
                        upstream.status,
                        [*upstream.headers, ("Content-Encoding", "gzip")],
                        corrupt_gzip(upstream.body),
                    )
                elif fault is Fault.TRUNCATED:
                    self._answer(upstream.status, upstream.headers, upstream.body, cut=True)
                else:
                    self._answer(upstream.status, upstream.headers, upstream.body)

            def _answer(
                self,
                status: int,
                headers: list[tuple[str, str]],
                body: bytes,
                *,
                cut: bool = False,
            ) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if cut else body)
                if cut:
                    self.wfile.flush()
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: the tests assert on `proxy.requests` and `proxy.injected`."""

        return Handler


def corrupt_gzip(body: bytes) -> bytes:
    """`body` gzipped, its first deflate block made one of the reserved type: nothing of it
    can be inflated (a block damaged further on would still give a readable start)."""
    packed = gzip.compress(body, mtime=0)
    return packed[:10] + b"\xff" + packed[11:]


def _is_hop(name: str) -> bool:
    return name.lower() in _HOP_BY_HOP
