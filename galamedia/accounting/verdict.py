"""The run's verdict: judged once, when the spider closes, and handed to all that act on it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from galamedia.accounting.outcomes import (
    BLOCKED_CAUSE,
    DELIVERED_EARLIER,
    LISTING_KINDS,
    NETWORK_CAUSES,
    REQUEST_KIND,
    ROBOTS_UNAVAILABLE_CAUSE,
    is_failure,
    record,
    robots_unreadable,
)

logger = logging.getLogger(__name__)

# Close reasons of a run that did what was asked: finished, or stopped at a limit the user set.
OK_CLOSE_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
# Close reasons that mean a site was lost as a whole: its cause says more than the reason.
SITE_CLOSE_REASONS = frozenset({"robots_unavailable", "blocked"})
_NOT_WRITTEN = "articles/not_written/"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a run did its job, and if not, why."""

    close_reason: str
    problems: tuple[str, ...]
    """One sentence per reason the run failed; empty when it succeeded."""

    @property
    def ok(self) -> bool:
        return not self.problems


def not_written_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """What did not become an item, by reason, largest first."""
    counts = {
        key.removeprefix(_NOT_WRITTEN): int(value)
        for key, value in stats.items()
        if key.startswith(_NOT_WRITTEN)
    }
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def judge(
    stats: Mapping[str, Any],
    *,
    close_reason: str,
    max_failed_ratio: float,
    allowed_failures: int = 0,
) -> Verdict:
    """The verdict on a run, from its stats and the reason it closed.

    Failed: closed for a reason other than finishing (blocked, robots.txt unavailable, shut
    down); an index page unreadable; no article written although articles were requested; or
    more than `max_failed_ratio` of the requested articles lost, beyond `allowed_failures`.
    A few permanent failures (a 404, one blocked article) do not fail a run, even a small
    incremental one: they are reported. A tombstone (an exported article found gone) is an
    item, that URL's complete answer: written, never lost.

    A site lost as a whole (its robots.txt unreadable, or it blocked the crawl) is named with
    its cause, and comes last: the cause of the others (`robots.txt of 127.0.0.1 unreachable:
    connection refused — is the network up?`), the line a person reads first.
    """
    problems = []
    lost = lost_sites(stats)
    if close_reason not in OK_CLOSE_REASONS and not (close_reason in SITE_CLOSE_REASONS and lost):
        problems.append(f"the crawl closed early: {close_reason}")
    if listing_failed := stats.get("articles/listing_failed", 0):
        problems.append(
            f"{listing_failed} index page(s) could not be read: the walk is incomplete"
        )
    finished = close_reason == "finished"
    unreadable = stats.get("robotstxt/unavailable", 0)
    if unreadable and finished and not _with_prefix(stats, ROBOTS_UNAVAILABLE_CAUSE):
        problems.append(f"robots.txt unavailable on {unreadable} site(s): nothing crawled there")
    blocked = stats.get("blocked/sites", 0)
    if blocked and finished and not _with_prefix(stats, BLOCKED_CAUSE):
        problems.append(f"{blocked} site(s) blocked the crawl")
    requested = stats.get("articles/requested", 0)
    failed = sum(n for r, n in not_written_counts(stats).items() if is_failure(r))
    delivered = stats.get("item_scraped_count", 0) + sum(
        stats.get(f"{_NOT_WRITTEN}{reason}", 0) for reason in DELIVERED_EARLIER
    )
    if requested and not delivered:
        problems.append(f"no article written although {requested} were requested")
    if failed > allowed_failures:
        if not requested:  # only listing URLs were lost (redirected away, forbidden …)
            problems.append(f"{failed} URLs failed and no article was requested")
        elif failed / requested > max_failed_ratio:
            problems.append(
                f"{failed} of {requested} articles failed ({failed / requested:.0%}, "
                f"more than {max_failed_ratio:.0%})"
            )
    return Verdict(close_reason, (*problems, *lost))


def lost_sites(stats: Mapping[str, Any]) -> list[str]:
    """A sentence per site lost as a whole, with its cause: robots.txt unreadable, blocked."""
    sentences = []
    for host, cause in _with_prefix(stats, ROBOTS_UNAVAILABLE_CAUSE).items():
        hint = " — is the network up?" if cause in NETWORK_CAUSES else ""
        sentences.append(robots_unreadable(host, cause) + hint)
    sentences.extend(
        f"{host} blocked the crawl: {cause}"
        for host, cause in _with_prefix(stats, BLOCKED_CAUSE).items()
    )
    return sentences


def _with_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """The stats under `prefix`, by the rest of their key (a host), in order."""
    return {
        key.removeprefix(prefix): str(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix)
    }


class RunVerdict:
    """The verdict's one owner: it accounts for callbacks that raised, and judges the run.

    It judges when the spider closes, before the components that act on the verdict (the feed
    storage renames the export only after a good run; the incremental state confirms exports;
    the report and the `crawl` command's exit code show it) read it from here. For that its
    `spider_closed` handler must run first: it is enabled with a priority below Scrapy's
    built-in extensions (`EXTENSIONS` in settings.py), and a component that asks too early
    gets an error rather than a guess.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_failed_ratio = crawler.settings.getfloat("FAILED_ARTICLES_MAX_RATIO")
        self.allowed_failures = crawler.settings.getint("FAILED_ARTICLES_ALLOWED")
        self._verdict: Verdict | None = None
        self._export_problems: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        owner = cls(crawler)
        crawler.signals.connect(owner.spider_error, signal=signals.spider_error)
        crawler.signals.connect(owner.spider_closed, signal=signals.spider_closed)
        return owner

    @classmethod
    def of(cls, crawler: Crawler) -> RunVerdict:
        """The crawler's verdict owner (it must be enabled: the verdict has no other)."""
        owner = crawler.get_extension(cls)
        if owner is None:
            raise RuntimeError(f"{cls.__module__}.{cls.__name__} is not enabled (EXTENSIONS)")
        return owner

    @property
    def crawl_verdict(self) -> Verdict:
        """The crawl's verdict alone, as it stood when the spider closed."""
        if self._verdict is None:
            raise RuntimeError("the run has not been judged: the spider has not closed yet")
        return self._verdict

    @property
    def verdict(self) -> Verdict:
        """The run's verdict: the crawl's, and any feed that could not be written."""
        crawl = self.crawl_verdict
        return Verdict(crawl.close_reason, (*crawl.problems, *self._export_problems))

    def feed_failed(self, path: str, reason: str) -> None:
        """A feed could not be written (locked, opened, written or stored): the run fails."""
        self._export_problems.append(f"feed {path} not written: {reason}")
        self.crawler.stats.inc_value("feeds/failed")

    @property
    def is_judged(self) -> bool:
        return self._verdict is not None

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A callback raised: the page is a parse error; on a listing, the walk is incomplete."""
        record(self.crawler, response.url, "parse_error", repr(failure.value))
        if response.meta.get(REQUEST_KIND) in LISTING_KINDS:
            self.crawler.stats.inc_value("articles/listing_failed")
            logger.error("listing %s could not be parsed: walk incomplete", response.url)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._verdict = judge(
            self.crawler.stats.get_stats(),
            close_reason=reason,
            max_failed_ratio=self.max_failed_ratio,
            allowed_failures=self.allowed_failures,
        )
        self.crawler.stats.set_value("run/verdict", "ok" if self._verdict.ok else "failed")
