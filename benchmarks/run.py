"""Run the benchmarks: `python -m benchmarks.run [--quick]` from the repository root.

Prints the results table and writes `benchmarks/results.json` and `benchmarks/RESULTS.md`
(`results-quick.json` and `RESULTS-quick.md` with `--quick`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from benchmarks import crawlbench, datebench, extraction, machine, profiling, scale, warc
from benchmarks.report import markdown, targets

HERE = Path(__file__).resolve().parent
SECTIONS = ("extraction", "dates", "crawl", "scale", "warc")
NEWS_PLEASE_SKIPPED = (
    "not measured: news-please 1.6.16 does not install cleanly into the project's venv. "
    "pip would downgrade cssselect 1.6.0 → 1.3.0 (readability-lxml 0.9 pins <1.4; parsel and "
    "Scrapy use cssselect) and python-dateutil 4.0.0 → 2.9.0.post0 (newspaper4k 0.9.6 pins <3; "
    "dateparser uses it), and would pull in boto3, elasticsearch, psycopg2-binary, PyMySQL and "
    "redis. It was left out rather than risk the crawler's environment."
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small corpora, 1,000-article crawl")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}"
    )
    parser.add_argument("--articles", type=int, help="articles in the crawl (default 5000)")
    parser.add_argument(
        "--large",
        type=int,
        help="articles in an extra crawl beside the crawl section (default 0: the scale section"
        " measures 1,000 to 20,000)",
    )
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--profile", action="store_true", help="always profile")
    profile.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument("--out", type=Path, default=HERE, help="where the results go")
    return parser.parse_args(argv)


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "galamedia_changed_since_commit": bool(git("status", "--porcelain", "galamedia")),
    }


def _fingerprint(root: Path = HERE.parent) -> str:
    """A hash of the crawler's source: another hand may change it while the benchmark runs."""
    digest = hashlib.sha256()
    for path in sorted((root / "galamedia").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _snapshot(directory: Path) -> Path:
    """A copy of the crawler (`galamedia/`, `scrapy.cfg`) for the crawls to run in."""
    shutil.copytree(
        HERE.parent / "galamedia",
        directory / "galamedia",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(HERE.parent / "scrapy.cfg", directory / "scrapy.cfg")
    return directory


def _say(text: str) -> None:
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="galamedia-snapshot-") as snapshot:
        return _main(_arguments(argv), _snapshot(Path(snapshot)))


def _main(options: argparse.Namespace, snapshot: Path) -> int:
    crawlbench.use_project(snapshot)
    quick = options.quick
    only = {name.strip() for name in options.only.split(",") if name.strip()}
    if unknown := only - set(SECTIONS):
        _say(f"error: --only: unknown section(s) {', '.join(sorted(unknown))}")
        return 2
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "mode": "quick" if quick else "full",
        "command": "python -m benchmarks.run" + (" --quick" if quick else ""),
        "machine": machine.describe() | _git() | {"galamedia_fingerprint": _fingerprint(snapshot)},
        "news_please": NEWS_PLEASE_SKIPPED
        if find_spec("newsplease") is None
        else "installed, not measured",
    }
    if "extraction" in only:
        _say("extraction: ours vs trafilatura …")
        results["extraction"] = extraction.run(
            generated=40 if quick else 200, repeats=3 if quick else 5
        )
    if "dates" in only:
        _say("dates: ours vs dateparser …")
        results["dates"] = datebench.run(visible=60 if quick else 200, repeats=3 if quick else 5)
    if "crawl" in only:
        articles = options.articles or (1000 if quick else 5000)
        large = options.large or 0
        _say(f"crawl: {articles} articles, crawl vs floors; then {large or 'no'} large run …")
        results["crawl"] = crawlbench.run(
            articles=articles, repeats=2 if quick else 3, large=large or None, large_floor=True
        )
    if "scale" in only:
        _say("scale: 1,000 to 20,000 articles, a rerun over a state, a 100,000-URL sitemap …")
        results["scale"] = scale.run(quick=quick)
    if "warc" in only:
        _say("warc: a capture, and its replay …")
        results["warc"] = warc.run(articles=400 if quick else 2000, repeats=2 if quick else 3)
    results["targets"] = targets(results)
    if options.profile or (not options.no_profile and not quick):
        _say("profiling …")
        results["profile"] = _profile(results, quick=quick)
    results["machine"]["load_average_at_end"] = machine.load_average()
    if (now := _fingerprint()) != results["machine"]["galamedia_fingerprint"]:
        # The crawls ran in the snapshot; the in-process sections use what was imported at the
        # start. Both are the fingerprinted code: say so, nothing is mixed.
        results["machine"]["galamedia_changed_during_run"] = now
        _say(
            "note: galamedia/ changed during the run; every section measured the code of the start"
        )
    results["duration_s"] = round(time.perf_counter() - started, 1)
    suffix = "-quick" if quick else ""
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / f"results{suffix}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    table = markdown(results)
    (options.out / f"RESULTS{suffix}.md").write_text(table)
    sys.stdout.write(table)
    return 0


def _missed(results: dict[str, Any]) -> bool:
    return any(target["met"] is False for target in results["targets"])


def _profile(results: dict[str, Any], *, quick: bool) -> dict[str, Any]:
    pages = extraction.generated_pages(20 if quick else 60)
    profile: dict[str, Any] = {
        "stages": profiling.stage_costs(pages),
        "cprofile_page_to_item": profiling.cprofile_extraction(pages),
    }
    if "crawl" in results:
        profile["crawl"] = profiling.pyspy_crawl(1000 if quick else 2000)
    return profile


if __name__ == "__main__":
    raise SystemExit(main())
