"""Where the time goes: selector costs and cProfile of page → item, py-spy of a whole crawl."""

from __future__ import annotations

import cProfile
import pstats
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import parsel

from benchmarks.crawlbench import run_once
from benchmarks.extraction import CorpusPage, ours
from benchmarks.site import BenchSite

# Categories of a crawl's samples: a sample counts in a category when a frame of its stack
# matches (function name pattern, file prefix).
CATEGORIES: dict[str, tuple[str, str]] = {
    "ArticlePage.parse (article page → fields)": (r"ArticlePage\.parse$", "galamedia/"),
    "  HTML → lxml tree (parsel create_root_node)": (r"create_root_node$", "parsel/"),
    "  selector queries (parsel Selector.xpath/css)": (r"Selector\.(xpath|css)$", "parsel/"),
    "  block-page markers (challenge.strong_marker)": (r"strong_marker$", "galamedia/"),
    "  body walk (pages/body.extract_body)": (r"extract_body$", "galamedia/"),
    "build_article (fields → item)": (r"build_article$", "galamedia/"),
    "ListingPage.parse (index pages)": (r"ListingPage\.parse$", "galamedia/"),
    "item pipelines": (r"process_item", ""),
    "feed export (FeedExporter.item_scraped)": (r"FeedExporter\.item_scraped$", "scrapy/"),
    "project downloader middlewares": (r"", "galamedia/downloader/"),
    "run report and outcomes (report.py, outcomes.py)": (r"", "galamedia/report"),
    "logging": (r"^Logger\.", "logging/"),
}
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?):(?P<line>\d+)\)$")


def _parsed_frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        frames.append((match["function"], match["file"]) if match else (frame, ""))
    return frames


@contextmanager
def _timed_selectors() -> Iterator[dict[str, list[float]]]:
    """Time every parsel query, by its CSS or XPath text (CSS queries include their XPath)."""
    costs: dict[str, list[float]] = defaultdict(list)
    original_css, original_xpath = parsel.Selector.css, parsel.Selector.xpath
    depth = [0]

    def timed(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: parsel.Selector, query: str, *args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            start = time.perf_counter()
            try:
                return original(self, query, *args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    costs[f"{kind} {query}"].append(time.perf_counter() - start)

        return wrapper

    parsel.Selector.css = timed("css", original_css)  # type: ignore[method-assign]
    parsel.Selector.xpath = timed("xpath", original_xpath)  # type: ignore[method-assign]
    try:
        yield costs
    finally:
        parsel.Selector.css = original_css  # type: ignore[method-assign]
        parsel.Selector.xpath = original_xpath  # type: ignore[method-assign]


def selector_costs(pages: list[CorpusPage], top: int = 12) -> dict[str, Any]:
    """What each selector query of `ArticlePage` costs per page (µs), and all of them together."""
    for page in pages[:5]:
        ours(page)
    start = time.perf_counter()
    for page in pages:
        ours(page)
    plain = (time.perf_counter() - start) / len(pages)
    with _timed_selectors() as costs:
        for page in pages:
            ours(page)
    rows = sorted(costs.items(), key=lambda pair: -sum(pair[1]))
    total = sum(sum(times) for times in costs.values()) / len(pages)
    return {
        "pages": len(pages),
        "ours_us_per_page": round(plain * 1e6, 1),
        "queries_per_page": round(sum(len(times) for times in costs.values()) / len(pages), 1),
        "all_queries_us_per_page": round(total * 1e6, 1),
        "top": [
            {
                "query": query[:110],
                "calls_per_page": round(len(times) / len(pages), 2),
                "us_per_page": round(sum(times) / len(pages) * 1e6, 1),
                "us_per_call": round(sum(times) / len(times) * 1e6, 1),
            }
            for query, times in rows[:top]
        ],
    }


def cprofile_extraction(pages: list[CorpusPage], top: int = 18) -> list[dict[str, Any]]:
    """The functions of page → item by cumulative time per page (cProfile, so inflated)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for page in pages:
        ours(page)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        calls, cumulative = entry[1], entry[3]
        if "/galamedia/" in filename or function in ("create_root_node", "xpath", "css"):
            where = filename.split("/site-packages/")[-1].split("/main/")[-1]
            rows.append(
                {
                    "function": f"{where}:{line} {function}",
                    "calls_per_page": round(calls / len(pages), 2),
                    "cumulative_us_per_page": round(cumulative / len(pages) * 1e6, 1),
                }
            )
    rows.sort(key=lambda row: -row["cumulative_us_per_page"])
    return rows[:top]


def pyspy_crawl(articles: int, top: int = 25) -> dict[str, Any]:
    """Sample one `scrapy crawl articles` run with py-spy; shares of its samples."""
    pyspy = shutil.which("py-spy") or str(Path(__import__("sys").executable).parent / "py-spy")
    if not Path(pyspy).exists():
        return {"error": "py-spy is not installed"}
    with tempfile.TemporaryDirectory(prefix="galamedia-profile-") as temporary:
        workdir = Path(temporary)
        raw = workdir / "crawl.raw"
        prefix = [pyspy, "record", "-F", "-r", "200", "-f", "raw", "-o", str(raw), "--"]
        with BenchSite(articles) as site:
            run = run_once("crawl", site, workdir, prefix=prefix)
        if not raw.exists():
            return {"error": f"py-spy wrote nothing (exit {run.exit_code})"}
        return _aggregate(raw.read_text(), top) | {
            "articles": articles,
            "cpu_ms_per_article_sampled": round(run.cpu_ms_per_article, 3),
        }


def _aggregate(raw: str, top: int) -> dict[str, Any]:
    total = 0
    inclusive: Counter[tuple[str, str]] = Counter()
    own: Counter[tuple[str, str]] = Counter()
    categories: Counter[str] = Counter()
    patterns = {
        name: (re.compile(function), prefix) for name, (function, prefix) in CATEGORIES.items()
    }
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = _parsed_frames(stack)
        for key in set(frames):
            inclusive[key] += count
        own[frames[-1]] += count
        for name, (pattern, prefix) in patterns.items():
            if any(file.startswith(prefix) and pattern.search(fn) for fn, file in frames):
                categories[name] += count
    if not total:
        return {"error": "no samples"}

    def share(value: int) -> float:
        return round(value / total, 4)

    ours_first = [key for key, _ in inclusive.most_common() if key[1].startswith("galamedia/")]
    return {
        "samples": total,
        "categories": {name: share(categories[name]) for name in CATEGORIES},
        "galamedia_functions": [
            {
                "function": f"{function} ({file})",
                "inclusive": share(inclusive[(function, file)]),
                "own": share(own[(function, file)]),
            }
            for function, file in ours_first
            if not file.startswith("galamedia/commands/")
        ][:top],
        "own_time_top": [
            {"function": f"{function} ({file})", "own": share(count)}
            for (function, file), count in own.most_common(12)
        ],
    }
