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
from functools import cached_property
from pathlib import Path
from typing import Any

from scrapy.http import TextResponse

from benchmarks.crawlbench import run_once
from benchmarks.extraction import CorpusPage, ours
from benchmarks.site import BenchSite
from galamedia.pages import article, dom

# Categories of a crawl's samples: a sample counts in a category when a frame of its stack
# matches (function name pattern, file prefix); in those of `OWN_CATEGORIES`, only when its
# innermost frame does.
CATEGORIES: dict[str, tuple[str, str]] = {
    "project downloader middlewares (galamedia/downloader/)": (r"", "galamedia/downloader/"),
    "spider callbacks (galamedia/spiders/)": (r"", "galamedia/spiders/"),
    "  ArticlePage.parse (article page → fields)": (r"ArticlePage\.parse$", "galamedia/"),
    "    HTML → lxml tree (pages/dom.parse_html)": (r"^parse_html$", "galamedia/"),
    "    class index (pages/dom.Document)": (r"^Document\.__init__$", "galamedia/"),
    "    footer and update text pass (pages/dom)": (r"^_texts_with$", "galamedia/"),
    "    body walk (pages/body.extract_body)": (r"^extract_body$", "galamedia/"),
    "    lxml tree freed (own frame of the callback)": (
        r"^ArticlesSpider\._parse_part$",
        "galamedia/",
    ),
    "  build_article (fields → item)": (r"^build_article$", "galamedia/"),
    "  ListingPage.parse (index pages)": (r"ListingPage\.parse$", "galamedia/"),
    "item pipelines (process_item)": (r"process_item$", ""),
    "feed export (FeedExporter.item_scraped)": (r"FeedExporter\.item_scraped$", "scrapy/"),
    "accounting (galamedia/accounting/)": (r"", "galamedia/accounting/"),
    "report and progress (galamedia/monitoring/)": (r"", "galamedia/monitoring/"),
    "Scrapy's per-response item tasks (_parallel_asyncio)": (r"^_parallel_asyncio$", "scrapy/"),
    "logging": (r"^Logger\.", "logging/"),
}
OWN_CATEGORIES = frozenset({"    lxml tree freed (own frame of the callback)"})
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?):(?P<line>\d+)\)$")


def _parsed_frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        frames.append((match["function"], match["file"]) if match else (frame, ""))
    return frames


# The stages of page → item, each timed exclusive of the others it calls (a stage that first
# needs the tree pays nothing for it: the tree is its own stage). (owner, attribute, label)
STAGES: tuple[tuple[Any, str, str], ...] = (
    (TextResponse, "text", "response text (decode)"),
    (article, "parse_html", "HTML → lxml tree (pages/dom.parse_html)"),
    (dom.Document, "__init__", "class index (pages/dom.Document)"),
    (dom, "_texts_with", "footer and update text pass (pages/dom)"),
    (article, "extract_body", "body walk (pages/body.extract_body)"),
    (article.ArticlePage, "_body_container", "field: body container"),
    (article.ArticlePage, "_jsonld_nodes", "field: JSON-LD"),
    (article.ArticlePage, "_title", "field: title"),
    (article.ArticlePage, "_published", "field: published_at"),
    (article.ArticlePage, "_updated", "field: updated_at"),
    (article.ArticlePage, "_author", "field: author"),
    (article.ArticlePage, "_footer", "field: editor and source (footer lines)"),
    (article.ArticlePage, "_category", "field: category"),
    (article.ArticlePage, "_tags", "field: tags"),
    (article.ArticlePage, "_photo", "field: lead photo block"),
    (article.ArticlePage, "_image_url", "field: image_url"),
    (article.ArticlePage, "_caption", "field: image_caption, image_credit"),
    (article.ArticlePage, "_page_numbers", "field: page_count"),
    (article.ArticlePage, "_article_url", "URL rules"),
    (article, "chrome_reason", "chrome check"),
    (article, "build_article", "build_article (fields → item)"),
)


@contextmanager
def _timed_stages() -> Iterator[dict[str, float]]:
    """Wrap every stage with a timer that excludes the time of the stages it calls."""
    own: dict[str, float] = defaultdict(float)
    nested: list[float] = []  # per open stage: the time its nested stages took
    originals: list[tuple[Any, str, Any]] = []

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nested.append(0.0)
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                own[label] += spent - nested.pop()
                if nested:
                    nested[-1] += spent

        return wrapper

    for owner, name, label in STAGES:
        original = vars(owner)[name]
        originals.append((owner, name, original))
        replacement: Any
        if isinstance(original, cached_property):
            replacement = cached_property(timed(label, original.func))
            replacement.__set_name__(owner, name)
        elif isinstance(original, property):
            replacement = property(timed(label, original.fget))  # type: ignore[arg-type]
        else:
            replacement = timed(label, original)
        setattr(owner, name, replacement)
    try:
        yield own
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def stage_costs(pages: list[CorpusPage], repeats: int = 3) -> dict[str, Any]:
    """CPU µs per page of each stage of page → item, the smallest over `repeats` passes; the
    timers' own cost lands in "everything else"."""
    for page in pages[:5]:
        ours(page)
    best: dict[str, float] = {}
    plain = []
    for _ in range(repeats):
        start = time.process_time()
        for page in pages:
            ours(page)
        plain.append(time.process_time() - start)
        with _timed_stages() as own:
            start = time.process_time()
            for page in pages:
                ours(page)
            total = time.process_time() - start
        own["(everything else)"] = total - sum(own.values())
        for label, spent in own.items():
            best[label] = min(best.get(label, spent), spent)
    return {
        "pages": len(pages),
        "ours_us_per_page": round(min(plain) / len(pages) * 1e6, 1),
        "stages": [
            {"stage": label, "us_per_page": round(spent / len(pages) * 1e6, 1)}
            for label, spent in sorted(best.items(), key=lambda pair: -pair[1])
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
            candidates = frames[-1:] if name in OWN_CATEGORIES else frames
            if any(file.startswith(prefix) and pattern.search(fn) for fn, file in candidates):
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
