"""End to end: `scrapy crawl articles` over a generated local site, against a do-nothing spider.

Each run is a subprocess (`python -m scrapy …`) started by `benchmarks/launcher.py`, which reads
its own CPU time and peak RSS exactly (`os.wait4`). The site is served from a thread of this
process; the CPU this process spends meanwhile is the server's share. Contenders, all with the
same `-s` settings (politeness off) and the same pages:

* `crawl`: the project's spider, writing `-O out.jsonl`;
* `stock floor`: `benchmarks/floor_spider.py` by `scrapy runspider` outside the repository:
  stock Scrapy, no project settings, responses dropped unparsed — the target's floor, the
  do-nothing spider;
* `floor`: the same spider in the repository, so with the project's settings module (its
  middlewares, extensions and `CONCURRENT_ITEMS`).

What-if floors, run once, all stock: with `CONCURRENT_ITEMS=1` (the project's value: Scrapy
starts that many tasks per response), building each page's lxml tree, also yielding a
one-field item, or yielding the title and paragraphs read with `response.css()` (a lean
spider).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.clock import rotations, spread, summary
from benchmarks.site import SINCE, UNTIL, BenchSite

REPOSITORY = Path(__file__).resolve().parent.parent
# Where the crawls run (`scrapy.cfg` and `galamedia/`): the repository, or a copy of it taken at
# the start of the benchmark, so that every crawl of one run measures the same code.
_PROJECT = {"dir": REPOSITORY}
FLOOR_SPIDER = Path(__file__).resolve().parent / "floor_spider.py"
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ROBOTSTXT_OBEY": "True",
    "LOG_LEVEL": "INFO",
}
KINDS = ("crawl", "stock floor", "floor")
# What-if floors, run once in the first repeat, outside the repository (stock Scrapy): the floor
# spider with one item task per response, building each page's lxml tree, also yielding a
# one-field item per article into `-O` (the least a crawler must do), or a lean item.
WHAT_IF = {
    "stock floor, CONCURRENT_ITEMS=1": "none",
    "stock floor + parse": "parse",
    "stock floor + parse + item": "item",
    "stock floor + lean item": "lean",
}
KIND_SETTINGS = {"stock floor, CONCURRENT_ITEMS=1": {"CONCURRENT_ITEMS": "1"}}


@dataclass(frozen=True)
class Run:
    kind: str
    articles: int
    exit_code: int
    wall_s: float
    cpu_s: float
    """User + system CPU of the Scrapy process."""
    max_rss_mib: float
    server_cpu_s: float
    """CPU of this process (the HTTP server's threads) during the run."""
    requests_ok: bool
    """Every expected page requested exactly once, and nothing else but robots.txt."""
    items: int | None = None
    items_wrong: int | None = None
    """Items whose title or published_at differs from the generated truth."""

    @property
    def cpu_ms_per_article(self) -> float:
        return self.cpu_s * 1000 / self.articles if self.articles else 0.0


def _settings_args(kind: str = "") -> list[str]:
    settings = SETTINGS | KIND_SETTINGS.get(kind, {})
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def command(kind: str, site: BenchSite, workdir: Path) -> tuple[list[str], Path]:
    """The command line of one contender and the directory it runs in."""
    python = [sys.executable, "-m", "scrapy"]
    if kind == "crawl":
        arguments = [
            "crawl", "articles", "-a", f"base_url={site.origin}", "-a", f"since={SINCE}",
            "-a", f"until={UNTIL}", "-O", str(workdir / "out.jsonl"),
        ]  # fmt: skip
        return [*python, *arguments, *_settings_args()], _PROJECT["dir"]
    urls = workdir / "urls.txt"
    if not urls.exists():
        urls.write_text("".join(f"{site.origin}{path}\n" for path in site.expected_paths()))
    arguments = ["runspider", str(FLOOR_SPIDER), "-a", f"urls_file={urls}"]
    if work := WHAT_IF.get(kind):
        arguments += ["-a", f"work={work}"]
        if work in ("item", "lean"):
            arguments += ["-O", str(workdir / "floor.jsonl")]
    # Outside the repository no scrapy.cfg is found: stock Scrapy settings.
    return [
        *python,
        *arguments,
        *_settings_args(kind),
    ], workdir if kind.startswith("stock") else _PROJECT["dir"]


def use_project(directory: Path) -> None:
    """Run the crawls in `directory`: a copy of the repository's `scrapy.cfg` and `galamedia/`."""
    _PROJECT["dir"] = directory


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("SCRAPY_SETTINGS_MODULE", None)
    environment.pop("SCRAPY_PROJECT", None)
    return environment


@dataclass(frozen=True)
class _Usage:
    exit_code: int
    wall_s: float
    cpu_s: float
    max_rss_mib: float


def _spawn(argv: list[str], cwd: Path, log: Path) -> _Usage:
    """Run `argv` to its end through the launcher: its own CPU time and peak RSS."""
    usage_file = log.with_suffix(".usage.json")
    start = time.perf_counter()
    with log.open("w") as output:
        subprocess.run(
            [sys.executable, str(LAUNCHER), str(usage_file), *argv],
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=_environment(),
            check=False,
        )
    wall = time.perf_counter() - start
    usage = json.loads(usage_file.read_text())
    return _Usage(
        usage["exit_code"], wall, round(usage["cpu_s"], 3), round(usage["max_rss_kib"] / 1024, 1)
    )


def run_once(kind: str, site: BenchSite, workdir: Path, *, prefix: list[str] | None = None) -> Run:
    """One contender's run; `prefix` wraps the command (a profiler)."""
    argv, cwd = command(kind, site, workdir)
    (workdir / "out.jsonl").unlink(missing_ok=True)
    site.requests.clear()
    before = resource.getrusage(resource.RUSAGE_SELF)
    usage = _spawn([*(prefix or []), *argv], cwd, workdir / f"{kind.replace(' ', '-')}.log")
    after = resource.getrusage(resource.RUSAGE_SELF)
    expected = Counter(site.expected_paths()) + Counter(["/robots.txt"])
    items, wrong = _check_items(site, workdir / "out.jsonl") if kind == "crawl" else (None, None)
    return Run(
        kind=kind,
        articles=len(site.articles),
        exit_code=usage.exit_code,
        wall_s=round(usage.wall_s, 3),
        cpu_s=usage.cpu_s,
        max_rss_mib=usage.max_rss_mib,
        server_cpu_s=round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3),
        requests_ok=Counter(site.requests) == expected,
        items=items,
        items_wrong=wrong,
    )


def _check_items(site: BenchSite, feed: Path) -> tuple[int, int]:
    if not feed.exists():
        return 0, 0
    truth = {article.article_id: article for article in site.articles}
    items = wrong = 0
    with feed.open() as lines:
        for line in lines:
            item = json.loads(line)
            items += 1
            article = truth.get(item["article_id"])
            if (
                article is None
                or item["title"] != article.title
                or item["published_at"] != article.published_at.isoformat()
            ):
                wrong += 1
    return items, wrong


def _runs_summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "wall_s": summary([r.wall_s for r in runs]),
        "cpu_s": summary([r.cpu_s for r in runs]),
        "cpu_spread": spread([r.cpu_s for r in runs]),
        "cpu_ms_per_article": round(statistics.median(r.cpu_ms_per_article for r in runs), 3),
        "articles_per_s": round(statistics.median(r.articles / r.wall_s for r in runs), 1),
        "cpu_busy": round(statistics.median(r.cpu_s / r.wall_s for r in runs), 3),
        "max_rss_mib": summary([r.max_rss_mib for r in runs]),
        "server_cpu_share": round(max(r.server_cpu_s / r.wall_s for r in runs), 3),
        "all_ok": all(r.exit_code == 0 and r.requests_ok for r in runs),
        "items": sorted({r.items for r in runs if r.items is not None}),
        "items_wrong": sum(r.items_wrong or 0 for r in runs),
    }


def startup(workdir: Path) -> float:
    """CPU seconds of the floor spider with nothing to fetch: start-up and shut-down alone."""
    urls = workdir / "empty.txt"
    urls.write_text("")
    argv = [
        sys.executable, "-m", "scrapy", "runspider", str(FLOOR_SPIDER), "-a", f"urls_file={urls}",
        *_settings_args(),
    ]  # fmt: skip
    return _spawn(argv, _PROJECT["dir"], workdir / "startup.log").cpu_s


def run(*, articles: int, repeats: int, large: int | None, large_floor: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"articles": articles, "repeats": repeats, "settings": SETTINGS}
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="galamedia-bench-") as temporary:
        workdir = Path(temporary)
        with BenchSite(articles) as site:
            results["site"] = {
                "index_pages": site.index_pages + 1,
                "requests_per_run": len(site.expected_paths()) + 1,
                "article_kib": round(
                    statistics.fmean(len(site.article_page(n)) for n in range(48)) / 1024, 1
                ),
            }
            results["startup_cpu_s"] = startup(workdir)
            orders = rotations(list(KINDS), repeats)
            orders[0] += list(WHAT_IF)
            for order in orders:
                for kind in order:
                    runs.append(run_once(kind, site, workdir))
                    _progress(runs[-1])
        results["by_kind"] = {
            kind: _runs_summary([r for r in runs if r.kind == kind]) for kind in (*KINDS, *WHAT_IF)
        }
        results["runs"] = [asdict(r) for r in runs]
        if large:
            results["large"] = _large(large, workdir, with_floor=large_floor)
    crawl, floor = results["by_kind"]["crawl"], results["by_kind"]["stock floor"]
    project = results["by_kind"]["floor"]
    results["cpu_vs_floor"] = round(crawl["cpu_s"]["median"] / floor["cpu_s"]["median"], 2)
    results["cpu_vs_project_floor"] = round(
        crawl["cpu_s"]["median"] / project["cpu_s"]["median"], 2
    )
    results["pair_ratios"] = _pair_ratios(runs)
    base = results["startup_cpu_s"]
    results["cpu_vs_floor_without_startup"] = round(
        (crawl["cpu_s"]["median"] - base) / (floor["cpu_s"]["median"] - base), 2
    )
    results["what_if_vs_floor"] = {
        kind: round(results["by_kind"][kind]["cpu_s"]["median"] / floor["cpu_s"]["median"], 2)
        for kind in WHAT_IF
    }
    return results


def _pair_ratios(runs: list[Run]) -> list[float]:
    """Crawl CPU over the stock floor's, for each repeat (the runs of one repeat alternate)."""
    crawls = [r.cpu_s for r in runs if r.kind == "crawl"]
    floors = [r.cpu_s for r in runs if r.kind == "stock floor"]
    return [round(c / f, 2) for c, f in zip(crawls, floors, strict=True)]


def _large(articles: int, workdir: Path, *, with_floor: bool) -> dict[str, Any]:
    """One crawl (and a floor run, if asked) of the large site, for the RSS growth."""
    large: dict[str, Any] = {"articles": articles}
    with BenchSite(articles) as site:
        for kind in ("crawl", "stock floor") if with_floor else ("crawl",):
            (workdir / "urls.txt").unlink(missing_ok=True)
            result = run_once(kind, site, workdir)
            _progress(result)
            large[kind] = asdict(result) | {
                "cpu_ms_per_article": round(result.cpu_ms_per_article, 3)
            }
    (workdir / "urls.txt").unlink(missing_ok=True)
    return large


def _progress(run: Run) -> None:
    sys.stderr.write(
        f"  {run.kind:20} {run.articles:6} articles: {run.wall_s:6.1f} s wall, "
        f"{run.cpu_s:6.1f} s CPU, {run.max_rss_mib:6.1f} MiB, exit {run.exit_code}, "
        f"requests {'ok' if run.requests_ok else 'MISMATCH'}\n"
    )
