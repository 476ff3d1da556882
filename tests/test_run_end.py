"""The end of a run, read in ten seconds: download failures in plain words, the verdict with
its cause as the log's last line and in the report, no traceback for a network fault, the
window in WIB, and per-article losses as warnings. Offline: 127.0.0.1 and `.invalid` only."""

from __future__ import annotations

import errno
import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from OpenSSL import SSL
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived

from galamedia.accounting.outcomes import Rejection, download_cause
from galamedia.accounting.verdict import RunVerdict, judge
from galamedia.rules.arguments import parse_arguments
from tests.helpers import SINCE, UNTIL, crawl, scrapy_crawl, setting_options
from tests.testsite import Route, TestSite

WIB_OFFSET = timedelta(hours=7)
# A log record's first line: `2026-11-30 09:52:52 [logger] LEVEL: message`.
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?P<logger>[^\]]+)\] (?P<level>[A-Z]+): "
)
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
)
UNRESOLVABLE = "galamedia.invalid"  # `.invalid` never resolves (RFC 6761)


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    """`error` as `raise error from cause` leaves it."""
    error.__cause__ = cause
    return error


# The cause of a download failure, in plain words ---------------------------------------


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (
            CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x."),
            "DNS lookup failed",
        ),
        (tx.DNSLookupError("x"), "DNS lookup failed"),
        (
            raised_from(
                DownloadConnectionRefusedError("Connection was refused by other side: 111"),
                tx.ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            ),
            "connection refused",
        ),
        (DownloadTimeoutError("Getting http://x/ took longer than 30.0 seconds."), "timed out"),
        (tx.TCPTimedOutError(errno.ETIMEDOUT, "Connection timed out"), "timed out"),
        (tx.TimeoutError(), "timed out"),
        # a TLS failure arrives as a generic download failure wrapping Twisted's, wrapping it
        (
            raised_from(
                DownloadFailedError("[<twisted.python.failure.Failure OpenSSL.SSL.Error>]"),
                ResponseNeverReceived([Failure(SSL.Error([("SSL routines", "", "bad")]))]),
            ),
            "TLS error",
        ),
        (
            raised_from(
                DownloadFailedError("[<twisted.python.failure.Failure ConnectionLost>]"),
                ResponseFailed([Failure(tx.ConnectionLost())]),
            ),
            "connection lost",
        ),
        (tx.ConnectionLost(), "connection lost"),
        (tx.ConnectionDone(), "connection lost"),
        (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), "connection lost"),
        (ResponseDataLossError("Got data loss in http://x/."), "response cut short"),
        (tx.NoRouteError(errno.ENETUNREACH, "Network is unreachable"), "network unreachable"),
        (tx.ConnectError(errno.EHOSTUNREACH, "No route to host"), "no route to host"),
        (tx.ConnectError(), "could not connect"),
        (HttpError(Response("http://x/robots.txt", status=503), "Ignoring"), "HTTP 503"),
        (Rejection("blocked", "title 'access denied'"), "blocked: title 'access denied'"),
        (ValueError("something else"), "ValueError: something else"),
    ],
)
def test_download_failures_in_plain_words(error: BaseException, cause: str) -> None:
    assert download_cause(error) == cause


# The verdict names the cause of a lost site --------------------------------------------

ROBOTS_LOST = {"robotstxt/unavailable": 1, "robotstxt/request_count": 1}


@pytest.mark.parametrize(
    ("stats", "close_reason", "expected"),
    [
        (
            {**ROBOTS_LOST, "robotstxt/unavailable_cause/127.0.0.1": "connection refused"},
            "robots_unavailable",
            ["robots.txt of 127.0.0.1 unreachable: connection refused — is the network up?"],
        ),
        (
            {
                **ROBOTS_LOST,
                "robotstxt/unavailable_cause/galamedia.pikiran-rakyat.com": "DNS lookup failed",
            },
            "robots_unavailable",
            [
                "robots.txt of galamedia.pikiran-rakyat.com unreachable: DNS lookup failed"
                " — is the network up?"
            ],
        ),
        # the server answered, with an error: not a question of the network
        (
            {**ROBOTS_LOST, "robotstxt/unavailable_cause/127.0.0.1": "HTTP 503"},
            "robots_unavailable",
            ["robots.txt of 127.0.0.1 unavailable: HTTP 503"],
        ),
        # one site of two lost: the other's items were written, the run still fails, and why
        (
            {
                **ROBOTS_LOST,
                "robotstxt/unavailable_cause/127.0.0.2": "timed out",
                "articles/requested": 10,
                "item_scraped_count": 10,
            },
            "finished",
            ["robots.txt of 127.0.0.2 unreachable: timed out — is the network up?"],
        ),
        # what the lost site caused comes first, the cause last
        (
            {
                "blocked/sites": 1,
                "blocked/cause/127.0.0.1": "5 block pages in a row (the last: a challenge)",
                "articles/requested": 10,
                "articles/not_written/blocked": 10,
            },
            "blocked",
            [
                "no article written although 10 were requested",
                "10 of 10 articles failed (100%, more than 10%)",
                "127.0.0.1 blocked the crawl: 5 block pages in a row (the last: a challenge)",
            ],
        ),
        # without a recorded cause (a job resumed from an older run), the sentences as before
        ({"robotstxt/unavailable": 1}, "robots_unavailable", ["the crawl closed early: robots_"]),
        ({"robotstxt/unavailable": 1}, "finished", ["robots.txt unavailable on 1 site(s)"]),
        ({"blocked/sites": 1}, "finished", ["1 site(s) blocked the crawl"]),
    ],
)
def test_the_verdict_names_the_cause_of_a_lost_site(
    stats: dict[str, Any], close_reason: str, expected: list[str]
) -> None:
    problems = judge(
        stats, close_reason=close_reason, max_failed_ratio=0.1, allowed_failures=3
    ).problems
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


@pytest_twisted.inlineCallbacks
def test_a_robots_txt_answering_503_is_named_with_its_status(standard: TestSite) -> None:
    standard.routes["/robots.txt"] = Route(503, b"down")
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    verdict = RunVerdict.of(result.crawler).verdict
    assert verdict.problems == ("robots.txt of 127.0.0.1 unavailable: HTTP 503",)
    assert result.stat("articles/listing_failed") is None  # a consequence, not another problem


@pytest_twisted.inlineCallbacks
def test_a_site_that_blocks_the_crawl_is_named_with_what_it_served(standard: TestSite) -> None:
    blocked = Route(403, CHALLENGE, {"Content-Type": "text/html", "cf-mitigated": "challenge"})
    for path in list(standard.routes):
        if "/pr-" in path or path.startswith("/read/"):
            standard.routes[path] = blocked
    result = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    problems = RunVerdict.of(result.crawler).verdict.problems
    assert result.stat("finish_reason") == "blocked"
    assert problems[-1] == (
        "127.0.0.1 blocked the crawl: 5 block pages in a row (the last: cf-mitigated header)"
    )


def test_the_default_window_is_in_wib_to_the_second() -> None:
    now = datetime(2026, 11, 27, 6, 0, 0, 123456, tzinfo=UTC)
    window = parse_arguments({}, now=now).window
    assert window is not None
    assert window.start.utcoffset() == window.end.utcoffset() == WIB_OFFSET
    assert window.end.isoformat() == "2026-11-27T13:00:00+07:00"
    assert window.start.isoformat() == "2026-11-26T13:00:00+07:00"


# `scrapy crawl` against a site that cannot be reached ----------------------------------


@dataclass(frozen=True)
class Run:
    completed: subprocess.CompletedProcess[str]
    report: dict[str, Any]

    @property
    def lines(self) -> list[str]:
        return [line for line in self.completed.stderr.splitlines() if line.strip()]

    def summary(self) -> list[str]:
        """The last log record: the summary, its first line and the indented ones after it."""
        lines = self.lines
        start = max(n for n, line in enumerate(lines) if LOG_LINE.match(line))
        return lines[start:]


def unreachable_run(base_url: str, directory: Path) -> Run:
    report = directory / "report.json"
    completed = scrapy_crawl(
        "-a",
        f"base_url={base_url}",
        "-O",
        str(directory / "out.jsonl"),
        *setting_options(),
        "-s",
        f"RUN_REPORT={report}",
    )
    return Run(completed, json.loads(report.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """A crawl of a port on 127.0.0.1 that refuses connections: bound, never listening, so
    nothing else can take it while the crawl runs."""
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        yield unreachable_run(f"http://127.0.0.1:{port}", tmp_path_factory.mktemp("refused"))


def test_connection_refused_ends_with_its_cause(refused: Run) -> None:
    cause = "robots.txt of 127.0.0.1 unreachable: connection refused — is the network up?"
    assert refused.completed.returncode == 1, refused.completed.stderr
    assert "Traceback" not in refused.completed.stderr
    summary = refused.summary()
    # the summary is the log's last record, its verdict first and its cause last
    assert summary[0].endswith(
        "[galamedia.monitoring.report] ERROR: Crawl robots_unavailable: FAILED."
    )
    assert summary[-1] == f"  failed because:       {cause}"
    assert len(summary) <= 10
    assert refused.report["ok"] is False
    assert refused.report["problems"] == [cause]
    # the robots.txt failure itself: one line, in plain words, not a traceback
    robots = [line for line in refused.lines if "[galamedia.downloader.robots]" in line]
    assert len(robots) == 1
    assert robots[0].endswith(": connection refused; nothing there may be crawled")
    assert "Forbidden by robots.txt" not in refused.completed.stderr


def test_the_default_window_is_shown_in_wib(refused: Run) -> None:
    window = next(line for line in refused.summary() if line.startswith("  window:"))
    ends = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d)", window)
    assert ends == ["+07:00", "+07:00"], window
    report = refused.report["window"]
    assert report["start"].endswith("+07:00")
    assert report["end"].endswith("+07:00")


def resolves_quickly(host: str, *, within: float) -> str | None:
    """Why `host` cannot serve as a name that fails fast here, or None if it fails fast."""
    outcome: list[object] = []

    def look_up() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, 80))
        except OSError as error:
            outcome.append(error)

    lookup = threading.Thread(target=look_up, daemon=True)
    lookup.start()
    lookup.join(within)
    if not outcome:
        return f"looking up {host} took more than {within:g} s here"
    if not isinstance(outcome[0], OSError):
        return f"{host} resolves here (a resolver that answers every name): {outcome[0]!r:.80}"
    return None


def test_a_name_that_does_not_resolve_ends_with_its_cause(tmp_path: Path) -> None:
    if problem := resolves_quickly(UNRESOLVABLE, within=5.0):
        pytest.skip(f"no fast, deterministic DNS failure: {problem}")
    run = unreachable_run(f"http://{UNRESOLVABLE}", tmp_path)
    cause = f"robots.txt of {UNRESOLVABLE} unreachable: DNS lookup failed — is the network up?"
    assert run.completed.returncode == 1, run.completed.stderr
    assert "Traceback" not in run.completed.stderr
    assert run.summary()[-1] == f"  failed because:       {cause}"
    assert run.report["problems"] == [cause]


# A successful run with a few lost articles ---------------------------------------------


def test_lost_articles_of_a_successful_run_are_warnings(
    standard: TestSite, tmp_path: Path
) -> None:
    window = ["-a", f"base_url={standard.origin}", "-a", f"since={SINCE}", "-a", f"until={UNTIL}"]
    completed = scrapy_crawl(*window, "-O", str(tmp_path / "out.jsonl"), *setting_options())
    assert completed.returncode == 0, completed.stderr
    records = [match for line in completed.stderr.splitlines() if (match := LOG_LINE.match(line))]
    assert [m.string for m in records if m["level"] == "ERROR"] == []
    lost = [
        m.string
        for m in records
        if m["logger"] == "galamedia.accounting.outcomes" and m["level"] == "WARNING"
    ]
    assert sum("(blocked: " in line for line in lost) == 2
    assert sum("(http_404: " in line for line in lost) == 1
    # one line per lost article
    assert len(lost) == 3
    assert records[-1]["logger"] == "galamedia.monitoring.report"
    assert records[-1].string.endswith("INFO: Crawl finished: OK.")
