"""The end of a run: the summary in the log and the JSON run report."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

from galamedia.accounting.verdict import RunVerdict, Verdict, not_written_counts
from galamedia.export.storage import AtomicFileFeedStorage
from galamedia.incremental.state import IncrementalState
from galamedia.items import Removal
from galamedia.monitoring.drift import WATCHED_FIELDS, Thresholds, find_drift
from galamedia.pages.article import TEMPLATE_LAYERS
from galamedia.rules.arguments import CrawlArguments, Window
from galamedia.rules.dates import WIB
from galamedia.scheduling.jobdir import RESUMED_STAT, TOTALS
from galamedia.signals import crawl_planned, not_written

logger = logging.getLogger(__name__)

_ARCHIVE = "warc/"


@dataclass(frozen=True, slots=True)
class Counts:
    """How much the run did."""

    listing_pages: int
    listing_pages_failed: int
    articles_requested: int
    article_pages_fetched: int
    items_written: int
    """Lines in the feed: articles, and tombstones (`removed`)."""
    removed: int
    """Of the items written, tombstones: exported articles found gone (404, 410)."""
    articles_parsed: int
    """Articles parsed into an item, written or not (unchanged, duplicate, invalid)."""
    not_written: dict[str, int]
    """What did not become an item, by reason, largest first."""
    failed: int
    """URLs lost for a reason that counts as a failure."""


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates the drift canary compares from run to run."""

    listed_per_day: float
    """Articles listed inside the window, per day of window."""
    failed_ratio: float
    """Failed URLs per article requested."""


@dataclass(slots=True)
class RunReport:
    """One run, as the JSON report beside the feed (`out.jsonl.report.json`) gives it."""

    spider: str | None
    finish_reason: str
    ok: bool
    problems: list[str]
    """Why the run failed (the verdict's sentences); empty when it succeeded."""
    window: dict[str, str] | None
    """`start` and `end` (ISO 8601) of the publication window; null for article URLs."""
    started_at: str
    finished_at: str
    duration_seconds: float
    counts: Counts
    rates: Rates
    coverage: dict[str, float | int]
    """`items` (articles written, tombstones aside), and the share of them with each watched
    field."""
    layers: dict[str, dict[str, int]]
    """Per field, how many articles each layer served (`title` → `h1.read__title` → 29),
    over every article parsed, written or not."""
    fallbacks: dict[str, float]
    """Per field, the share of the items having it that got it from a fallback layer rather
    than the known templates' own: near 0 on the site as we know it."""
    not_written: list[dict[str, str]]
    """Every URL that did not become an item: `url`, `reason`, `detail`."""
    drift: list[str] | None = field(default=None)
    """With the state on: how this run departs from the recent ones (the drift canary)."""
    state: str | None = field(default=None)
    """With the state on: what it skipped and why."""
    archive: dict[str, int] | None = field(default=None)
    """With `WARC_DIR`: the records, bytes and files written; replaying (`-a warc`): the
    files, records and responses read, the responses served and the corrupt records
    skipped."""

    def to_json(self) -> dict[str, Any]:
        report = asdict(self)
        for key in ("drift", "state", "archive"):  # only with the state, or an archive
            if report[key] is None:
                del report[key]
        return report

    def history(self) -> dict[str, Any]:
        """What run history keeps of it, and the drift canary compares."""
        return {
            "counts": asdict(self.counts),
            "rates": asdict(self.rates),
            "coverage": self.coverage,
            "fallbacks": self.fallbacks,
            "problems": self.problems,
        }


class RunReporter:
    """Reports the run at its end: the summary in the log, the JSON report at `RUN_REPORT`
    (default beside the first file feed: `out.jsonl` → `out.jsonl.report.json`), and, with
    the state on, the run's history and the drift canary.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        configured = crawler.settings.get("RUN_REPORT")
        self.path = Path(configured) if configured else None
        self.not_written: list[dict[str, str]] = []
        self.started_at = datetime.now(UTC)
        self.window: Window | None = None
        jobdir = job_dir(crawler.settings)
        self.totals_path = Path(jobdir, TOTALS) if jobdir else None
        self.thresholds = Thresholds.from_settings(crawler.settings)
        self.filled: dict[str, int] = dict.fromkeys(WATCHED_FIELDS, 0)
        self.layers: dict[str, Counter[str]] = {}
        self.parsed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        reporter = cls(crawler)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.crawl_planned, signal=crawl_planned)
        crawler.signals.connect(reporter.url_not_written, signal=not_written)
        crawler.signals.connect(reporter.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(reporter.count_layers, signal=signals.item_dropped)
        # After the feeds are stored (a feed that failed to store fails the run too), and
        # before the state closes (its extension comes later in EXTENSIONS).
        crawler.signals.connect(reporter.engine_stopped, signal=signals.engine_stopped)
        return reporter

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = datetime.now(UTC)
        if self.totals_path is not None and self.crawler.stats.get_value(RESUMED_STAT):
            self._add_earlier_runs(self.totals_path)

    def crawl_planned(self, arguments: CrawlArguments) -> None:
        self.window = arguments.window

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
        if isinstance(item, Removal):  # counted by the incremental pipeline
            return
        fields = ItemAdapter(item)
        for name in WATCHED_FIELDS:
            self.filled[name] += bool(fields.get(name))
        self.count_layers(item)

    def count_layers(self, item: Any) -> None:
        """Which layer served each field, for every article parsed, written or not: on a
        scheduled run most articles are unchanged and not written again, yet they show the
        template as well."""
        if isinstance(item, Removal):  # no page behind it
            return
        self.parsed += 1
        for name, layer in (ItemAdapter(item).get("field_layers") or {}).items():
            self.layers.setdefault(name, Counter())[layer] += 1
            self.crawler.stats.inc_value(f"fields/{name}/{layer}")

    def url_not_written(self, url: str, reason: str, detail: str) -> None:
        self.not_written.append({"url": url, "reason": reason, "detail": detail})

    def engine_stopped(self) -> None:
        if not RunVerdict.of(self.crawler).is_judged:
            return  # the crawl never opened: nothing to report
        stats = self.crawler.stats.get_stats()
        verdict = RunVerdict.of(self.crawler).verdict
        report = self.build(stats, verdict)
        if (state := self.crawler.get_extension(IncrementalState)) is not None:
            recent = state.recent_runs(self.thresholds.history)
            report.drift = find_drift(report.history(), recent, self.thresholds)
            report.state = state.summary(stats)
            state.finish_run(report.to_json(), exit_status=0 if report.ok else 1)
        if self.totals_path is not None:
            self._save_for_resume(self.totals_path, stats)
        path = self.path or self._beside_feed()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
            logger.info("run report written to %s", path)
        # The log's last lines, after Scrapy's stats dump and "Spider closed": the summary, its
        # verdict's causes last.
        for warning in report.drift or ():
            logger.warning("drift: %s", warning)
        logger.log(logging.INFO if report.ok else logging.ERROR, "%s", summary(report))

    def _beside_feed(self) -> Path | None:
        """Beside the first file feed: `out.jsonl.report.json` when this run replaced
        `out.jsonl`, else beside what it left (`out.jsonl.partial.report.json`), so the report
        beside a file always describes that file. No file feed (`-O -:jsonl`): none."""
        for extension in self.crawler.extensions.middlewares:
            for slot in getattr(extension, "slots", []):
                storage = getattr(slot, "storage", None)
                if isinstance(storage, AtomicFileFeedStorage):
                    written = Path(storage.path) if storage.published else storage.partial_path
                    return written.with_name(written.name + ".report.json")
        return None

    def build(self, stats: Mapping[str, Any], verdict: Verdict) -> RunReport:
        finished_at = datetime.now(UTC)
        window = self.window
        requested = int(stats.get("articles/requested", 0))
        failed = int(stats.get("articles/failed", 0))
        return RunReport(
            spider=self.crawler.spider.name if self.crawler.spider else None,
            finish_reason=verdict.close_reason,
            ok=verdict.ok,
            problems=list(verdict.problems),
            window=(
                {"start": _wib(window.start), "end": _wib(window.end)}
                if window is not None
                else None
            ),
            started_at=self.started_at.isoformat(timespec="seconds"),
            finished_at=finished_at.isoformat(timespec="seconds"),
            duration_seconds=round((finished_at - self.started_at).total_seconds(), 3),
            counts=Counts(
                listing_pages=stats.get("articles/listing_pages", 0),
                listing_pages_failed=stats.get("articles/listing_failed", 0),
                articles_requested=requested,
                article_pages_fetched=stats.get("articles/pages_fetched", 0),
                items_written=stats.get("item_scraped_count", 0),
                removed=stats.get("articles/removed", 0),
                articles_parsed=self.parsed,
                not_written=not_written_counts(stats),
                failed=failed,
            ),
            rates=Rates(
                listed_per_day=_per_day(stats.get("articles/listing/in_window", 0), window),
                failed_ratio=round(failed / max(1, requested), 4),
            ),
            coverage=self._coverage(stats),
            layers={
                name: dict(counts.most_common()) for name, counts in sorted(self.layers.items())
            },
            fallbacks={
                name: round(
                    sum(n for layer, n in counts.items() if layer not in TEMPLATE_LAYERS)
                    / counts.total(),
                    4,
                )
                for name, counts in sorted(self.layers.items())
            },
            not_written=self.not_written,
            archive={
                key.removeprefix(_ARCHIVE): int(value)
                for key, value in stats.items()
                if key.startswith(_ARCHIVE) and isinstance(value, int)
            }
            or None,
        )

    def _coverage(self, stats: Mapping[str, Any]) -> dict[str, float | int]:
        """The share of articles written with each watched field (a missing date drops the
        item); tombstones have none of them, and are not counted."""
        items = int(stats.get("item_scraped_count", 0)) - int(stats.get("articles/removed", 0))
        undated = int(stats.get("articles/not_written/missing_published_at", 0))
        coverage: dict[str, float | int] = {"items": items}
        for name in WATCHED_FIELDS:
            total = items + (undated if name == "published_at" else 0)
            coverage[name] = round(self.filled[name] / total, 4) if total else 0.0
        return coverage


def summary(report: RunReport) -> str:
    """The lines a person reads in ten seconds at the end of the log: the verdict first, the
    counts, and last why a failed run failed (`failed because:`, one line per cause)."""
    counts = report.counts
    window = report.window
    skipped = ", ".join(f"{name} {n}" for name, n in counts.not_written.items()) or "nothing"
    lines = [
        f"Crawl {report.finish_reason}: {'OK' if report.ok else 'FAILED'}.",
        "  window:               "
        + (
            f"{window['start']} ≤ published_at < {window['end']}"
            if window
            else "none (article URLs given)"
        ),
        f"  listing pages walked: {counts.listing_pages}",
        f"  article pages:        {counts.article_pages_fetched}",
        f"  items written:        {counts.items_written}",
        *(
            [f"  removed:              {counts.removed} (tombstones, among the items written)"]
            if counts.removed
            else []
        ),
        *([f"  from the template:    {_shares(report.fallbacks)}"] if report.fallbacks else []),
        f"  not written:          {skipped}",
        *([f"  state:                {report.state}"] if report.state else []),
        *([f"  archive:              {_archive(report.archive)}"] if report.archive else []),
        *(f"  failed because:       {problem}" for problem in report.problems),
    ]
    return "\n".join(lines)


def _shares(fallbacks: Mapping[str, float]) -> str:
    """Per field, the share of items its known-template layers served; fallbacks named."""
    return ", ".join(
        f"{name} {1 - share:.0%}" + (f" ({share:.0%} from fallbacks)" if share else "")
        for name, share in fallbacks.items()
    )


def _archive(counts: Mapping[str, int]) -> str:
    """What the run wrote to its WARC files, or read from them."""
    if "files_read" in counts:
        corrupt = counts.get("corrupt_records", 0)
        return (
            f"{counts.get('responses_served', 0)} responses replayed from"
            f" {counts['files_read']} WARC files"
            + (f"; {corrupt} corrupt records skipped" if corrupt else "")
        )
    return (
        f"{counts.get('records_written', 0)} WARC records,"
        f" {counts.get('bytes_written', 0) / 2**20:.1f} MiB, in"
        f" {counts.get('files_written', 0)} files"
    )


def _wib(moment: datetime) -> str:
    """A window's end as the README shows it: ISO 8601 in WIB (`2023-02-01T00:00:00+07:00`)."""
    return moment.astimezone(WIB).isoformat()


def _per_day(count: int, window: Window | None) -> float:
    if window is None:
        return 0.0
    days = max((window.end - window.start).total_seconds() / 86400, 1 / 24)
    return round(count / days, 3)
