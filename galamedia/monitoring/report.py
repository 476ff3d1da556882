"""The end of a run: its verdict, the summary in the log, and the JSON run report."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

from galamedia.accounting.outcomes import is_failure, not_written, record
from galamedia.incremental.pipeline import Incremental, state_summary
from galamedia.monitoring.drift import WATCHED_FIELDS, Thresholds
from galamedia.monitoring.drift import warnings as drift_warnings
from galamedia.rules.arguments import CrawlArguments, Window
from galamedia.rules.urls import is_local_file
from galamedia.scheduling.jobdir import RESUMED_STAT, TOTALS

logger = logging.getLogger(__name__)

# Close reasons of a run that did what was asked: finished, or stopped at a limit the user set.
OK_CLOSE_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
_NOT_WRITTEN = "articles/not_written/"


def not_written_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """What did not become an item, by reason, largest first."""
    counts = {
        key.removeprefix(_NOT_WRITTEN): int(value)
        for key, value in stats.items()
        if key.startswith(_NOT_WRITTEN)
    }
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def verdict(
    stats: Mapping[str, Any], *, max_failed_ratio: float, allowed_failures: int = 0
) -> list[str]:
    """Why the run failed, from its stats; an empty list means it succeeded.

    Failed: closed for a reason other than finishing (blocked, robots.txt unavailable, shut
    down); an index page unreadable; no article written although articles were requested; or
    more than `max_failed_ratio` of the requested articles lost, beyond `allowed_failures`.
    A few permanent failures (a 404, one blocked article) do not fail a run, even a small
    incremental one: they are reported.
    """
    problems = []
    reason = stats.get("finish_reason", "unknown")
    if reason not in OK_CLOSE_REASONS:
        problems.append(f"the crawl closed early: {reason}")
    if listing_failed := stats.get("articles/listing_failed", 0):
        problems.append(
            f"{listing_failed} index page(s) could not be read: the walk is incomplete"
        )
    if (unreadable := stats.get("robotstxt/unavailable", 0)) and reason == "finished":
        problems.append(f"robots.txt unavailable on {unreadable} site(s): nothing crawled there")
    if (blocked := stats.get("blocked/sites", 0)) and reason == "finished":
        problems.append(f"{blocked} site(s) blocked the crawl")
    requested = stats.get("articles/requested", 0)
    failed = sum(n for r, n in not_written_counts(stats).items() if is_failure(r))
    delivered = stats.get("item_scraped_count", 0) + stats.get("articles/not_written/unchanged", 0)
    if requested and not delivered:
        problems.append(f"no article written although {requested} were requested")
    if failed > allowed_failures and failed / requested > max_failed_ratio:
        problems.append(
            f"{failed} of {requested} articles failed ({failed / requested:.0%}, "
            f"more than {max_failed_ratio:.0%})"
        )
    return problems


class RunReport:
    """Accounts for every URL that did not become an item and reports the run at its end.

    The summary goes to the log; the report (JSON) to `RUN_REPORT`, default beside the first
    file feed (`out.jsonl` → `out.jsonl.report.json`).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_failed_ratio = crawler.settings.getfloat("FAILED_ARTICLES_MAX_RATIO")
        self.allowed_failures = crawler.settings.getint("FAILED_ARTICLES_ALLOWED")
        configured = crawler.settings.get("RUN_REPORT")
        self.path = Path(configured) if configured else None
        self.not_written: list[dict[str, str]] = []
        self.started_at = datetime.now(UTC)
        jobdir = job_dir(crawler.settings)
        self.totals_path = Path(jobdir, TOTALS) if jobdir else None
        self.thresholds = Thresholds.from_settings(crawler.settings)
        self.filled: dict[str, int] = dict.fromkeys(WATCHED_FIELDS, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        report = cls(crawler)
        crawler.signals.connect(report.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(report.url_not_written, signal=not_written)
        crawler.signals.connect(report.spider_error, signal=signals.spider_error)
        crawler.signals.connect(report.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = datetime.now(UTC)
        if self.totals_path is not None and self.crawler.stats.get_value(RESUMED_STAT):
            self._add_earlier_runs(self.totals_path)

    def _add_earlier_runs(self, path: Path) -> None:
        """A resumed job is judged and reported as a whole, not by its last run alone."""
        if not path.exists():
            return
        totals = json.loads(path.read_text(encoding="utf-8"))
        for key, count in totals["counts"].items():
            self.crawler.stats.inc_value(key, count)
        self.not_written.extend(totals["not_written"])
        self.started_at = datetime.fromisoformat(totals["started_at"])

    def _save_for_resume(self, path: Path, stats: Mapping[str, Any]) -> None:
        counts = {
            key: value
            for key, value in stats.items()
            if isinstance(value, int)
            and (key.startswith("articles/") or key == "item_scraped_count")
        }
        totals = {
            "counts": counts,
            "not_written": self.not_written,
            "started_at": self.started_at.isoformat(),
        }
        path.write_text(json.dumps(totals, ensure_ascii=False), encoding="utf-8")

    def item_scraped(self, item: Any) -> None:
        fields = ItemAdapter(item)
        for name in WATCHED_FIELDS:
            self.filled[name] += bool(fields.get(name))

    def url_not_written(self, url: str, reason: str, detail: str) -> None:
        self.not_written.append({"url": url, "reason": reason, "detail": detail})

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        """A callback raised: the page is accounted as a parse error."""
        record(self.crawler, response.url, "parse_error", repr(failure.value))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        problems = verdict(
            stats, max_failed_ratio=self.max_failed_ratio, allowed_failures=self.allowed_failures
        )
        self.crawler.stats.set_value("run/verdict", "failed" if problems else "ok")
        arguments = getattr(spider, "arguments", None)
        window = arguments.window if isinstance(arguments, CrawlArguments) else None
        report = self.build(stats, reason=reason, problems=problems, window=window)
        incremental = getattr(spider, "incremental", None)
        if isinstance(incremental, Incremental):
            recent = incremental.store.recent_runs(self.thresholds.history)
            report["drift"] = drift_warnings(report, recent, self.thresholds)
            report["state"] = state_summary(stats, self.crawler.settings["STATE_PATH"])
            incremental.store.finish_run(
                incremental.run_id, report=report, exit_status=0 if report["ok"] else 1
            )
        logger.log(logging.ERROR if problems else logging.INFO, "%s", summary(report))
        for warning in report.get("drift", []):
            logger.warning("drift: %s", warning)
        if self.totals_path is not None:
            self._save_for_resume(self.totals_path, stats)
        path = self.path or self._beside_feed()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
            logger.info("run report written to %s", path)

    def _beside_feed(self) -> Path | None:
        """`<feed>.report.json` for the first file feed, as Scrapy rendered its URI."""
        for extension in self.crawler.extensions.middlewares:
            for slot in getattr(extension, "slots", []):
                uri = str(getattr(slot, "uri", ""))
                if is_local_file(uri):
                    return Path(uri.removeprefix("file://") + ".report.json")
        return None

    def build(
        self, stats: Mapping[str, Any], *, reason: str, problems: list[str], window: Window | None
    ) -> dict[str, Any]:
        finished_at = datetime.now(UTC)
        return {
            "spider": self.crawler.spider.name if self.crawler.spider else None,
            "finish_reason": reason,
            "ok": not problems,
            "problems": problems,
            "window": (
                {"start": window.start.isoformat(), "end": window.end.isoformat()}
                if window is not None
                else None
            ),
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": finished_at.isoformat(timespec="seconds"),
            "duration_seconds": round((finished_at - self.started_at).total_seconds(), 3),
            "counts": {
                "listing_pages": stats.get("articles/listing_pages", 0),
                "listing_pages_failed": stats.get("articles/listing_failed", 0),
                "articles_requested": stats.get("articles/requested", 0),
                "article_pages_fetched": stats.get("articles/pages_fetched", 0),
                "items_written": stats.get("item_scraped_count", 0),
                "not_written": not_written_counts(stats),
                "failed": stats.get("articles/failed", 0),
            },
            "rates": {
                "listed_per_day": _per_day(stats.get("articles/listing/in_window", 0), window),
                "failed_ratio": round(
                    stats.get("articles/failed", 0) / max(1, stats.get("articles/requested", 0)), 4
                ),
            },
            "coverage": self._coverage(stats),
            "not_written": self.not_written,
        }

    def _coverage(self, stats: Mapping[str, Any]) -> dict[str, float | int]:
        """The share of items with each watched field (a missing date drops the item)."""
        items = int(stats.get("item_scraped_count", 0))
        undated = int(stats.get("articles/not_written/missing_published_at", 0))
        coverage: dict[str, float | int] = {"items": items}
        for name in WATCHED_FIELDS:
            total = items + (undated if name == "published_at" else 0)
            coverage[name] = round(self.filled[name] / total, 4) if total else 0.0
        return coverage


def summary(report: Mapping[str, Any]) -> str:
    """The lines a person reads in ten seconds at the end of the log."""
    counts = report["counts"]
    window = report["window"]
    skipped = ", ".join(f"{name} {n}" for name, n in counts["not_written"].items()) or "nothing"
    lines = [
        f"Crawl {report['finish_reason']}: {'OK' if report['ok'] else 'FAILED'}.",
        "  window:               "
        + (
            f"{window['start']} ≤ published_at < {window['end']}"
            if window
            else "none (article URLs given)"
        ),
        f"  listing pages walked: {counts['listing_pages']}",
        f"  article pages:        {counts['article_pages_fetched']}",
        f"  items written:        {counts['items_written']}",
        f"  not written:          {skipped}",
        *(f"  problem:              {problem}" for problem in report["problems"]),
        *([f"  state:                {report['state']}"] if report.get("state") else []),
    ]
    return "\n".join(lines)


def _per_day(count: int, window: Window | None) -> float:
    if window is None:
        return 0.0
    days = max((window.end - window.start).total_seconds() / 86400, 1 / 24)
    return round(count / days, 3)
