"""A degraded site (issue 17): the standard site behind a proxy that injects every recoverable
fault, crawled to the same items as the healthy site."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections import Counter
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import pytest_twisted
from scrapy.exceptions import DownloadFailedError, ResponseDataLossError
from scrapy.utils.python import global_object_name
from scrapy.utils.response import response_status_message

from tests.faultproxy import MAX_IN_A_ROW, Fault, FaultProxy, Injection, every_fault
from tests.helpers import SINCE, UNTIL, crawl
from tests.testsite import TestSite

SEED = 17
ARTICLE = "wang-yi-classic"
# The site's slow-down after a 429 or 503 is a real delay between requests, not a pause the
# `pauses` fixture records: capped here so that the test does not wait for it.
DEGRADED = {"SITE_DELAY_MAX": 0.05}
# The retry each fault costs, by the reason Scrapy counts it under (`retry/reason_count/…`).
REASONS = {
    Fault.SERVER_ERROR: response_status_message(500),
    Fault.BAD_GATEWAY: response_status_message(502),
    Fault.UNAVAILABLE: response_status_message(503),
    Fault.TOO_MANY_REQUESTS: response_status_message(429),
    Fault.CLOSED: global_object_name(DownloadFailedError),
    Fault.TRUNCATED: global_object_name(ResponseDataLossError),
    Fault.CORRUPT_GZIP: "decoding",
}


def written(items: list[Any], origin: str) -> list[dict[str, Any]]:
    """The items as written, in article order, without `crawled_at`, the origin they were
    crawled from named `{origin}` and its site (host and port) `{site}` (the proxy and the site
    it fronts have their own ports)."""
    rows = []
    for item in sorted(items, key=lambda item: item.article_id):
        fields = asdict(item)
        fields.pop("crawled_at")
        text = json.dumps(fields).replace(origin, "{origin}")
        rows.append(json.loads(text.replace(origin.removeprefix("http://"), "{site}")))
    return rows


def fetch(origin: str, path: str) -> int:
    """One request to the proxy, read to its end: the status."""
    parts = urlsplit(origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


@pytest_twisted.inlineCallbacks
def test_a_crawl_with_10_percent_of_every_fault_writes_every_article(
    standard: TestSite, pauses: list[float]
) -> None:
    healthy = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    assert healthy.stat("retry/count") is None  # every retry below is a fault's
    with FaultProxy(standard.origin, every_fault(0.10), seed=SEED) as proxy:
        result = yield crawl(DEGRADED, base_url=proxy.origin, since=SINCE, until=UNTIL)
    # every article the healthy site gives, field for field, once
    assert len(healthy.items) > 25
    assert written(result.items, proxy.origin) == written(healthy.items, standard.origin)
    assert result.stat("finish_reason") == "finished"
    assert result.stat("run/verdict") == "ok"
    assert result.stats_with_prefix("articles/not_written/") == healthy.stats_with_prefix(
        "articles/not_written/"
    )
    # every fault was met, and each failing one cost one retry, counted under its reason
    injected = Counter(injection.fault for injection in proxy.injected)
    assert set(injected) == set(Fault)
    retries = {reason: injected[fault] for fault, reason in REASONS.items()}
    assert result.stats_with_prefix("retry/reason_count/") == {
        f"retry/reason_count/{reason}": count for reason, count in retries.items()
    }
    assert result.stat("retry/count") == injected.total() - injected[Fault.SLOW]
    assert result.stat("retry/max_reached") is None
    # a 503's retry waited the second its Retry-After asked (the back-off here is ~0.01 s)
    assert pauses.count(1.0) == injected[Fault.UNAVAILABLE]
    assert len(pauses) == result.stat("retry/count")
    assert result.stat("retry/site_slowed_down") == (
        injected[Fault.UNAVAILABLE] + injected[Fault.TOO_MANY_REQUESTS]
    )


@pytest_twisted.inlineCallbacks
def test_the_proxy_without_faults_is_transparent(standard: TestSite) -> None:
    direct = yield crawl(base_url=standard.origin, since=SINCE, until=UNTIL)
    asked_directly = Counter(standard.requests)
    standard.requests.clear()
    with FaultProxy(standard.origin, {}) as proxy:
        proxied = yield crawl(base_url=proxy.origin, since=SINCE, until=UNTIL)
    assert written(proxied.items, proxy.origin) == written(direct.items, standard.origin)
    assert Counter(standard.requests) == asked_directly
    assert Counter(proxy.requests) == asked_directly
    assert proxy.injected == []


def test_a_path_meets_a_few_faults_in_a_row_then_its_page(site: TestSite) -> None:
    path = site.case_path(ARTICLE)
    with FaultProxy(site.origin, {Fault.SERVER_ERROR: 1.0}) as proxy:
        statuses = [fetch(proxy.origin, path) for _ in range(2 * MAX_IN_A_ROW + 2)]
    assert MAX_IN_A_ROW >= 1
    assert statuses == ([500] * MAX_IN_A_ROW + [200]) * 2
    assert proxy.injected == [Injection(path, Fault.SERVER_ERROR)] * 2 * MAX_IN_A_ROW


def test_the_same_seed_injects_the_same_faults_whatever_the_order(site: TestSite) -> None:
    paths = [site.case_path(name) for name in sorted(site.cases)] * 2
    runs = []
    for order in (paths, paths[::-1]):
        with FaultProxy(site.origin, every_fault(0.10), seed=SEED) as proxy:
            for path in order:
                # a connection closed, or a body cut: faults the proxy was asked for
                with contextlib.suppress(http.client.HTTPException, ConnectionError):
                    fetch(proxy.origin, path)
        runs.append(Counter(proxy.injected))
    assert runs[0] == runs[1]
    assert runs[0].total() > len(paths) // 2
