"""Raw pages kept (issue 15): what a WARC capture costs, and how fast a replay re-extracts.

    python -m benchmarks.warc [--articles N] [--repeats N]

On a generated site (`BenchSite`, 2,000 articles by default) served from a thread of this
process, each run a `scrapy crawl articles` subprocess started by `benchmarks/launcher.py`
(its own CPU time and peak RSS), with crawlbench's settings (politeness off):

* `crawl`: the crawl as crawlbench runs it;
* `capture`: the same crawl with `-s WARC_DIR=…`;
* `replay`: the same command with `-a warc=…` on the capture's archive, the site no longer
  asked for anything; its items are checked against the capture's (all fields but
  `crawled_at`).

The first two alternate, `--repeats` times (medians reported). Prints the markdown and writes
`benchmarks/WARC.md`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import machine
from benchmarks.crawlbench import _spawn, command, run_once
from benchmarks.site import BenchSite

HERE = Path(__file__).resolve().parent


def _items(feed: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for line in feed.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        item.pop("crawled_at")
        found[item["article_id"]] = item
    return found


def run(*, articles: int, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": f"python -m benchmarks.warc --articles {articles} --repeats {repeats}",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "articles": articles,
    }
    with tempfile.TemporaryDirectory(prefix="galamedia-warc-") as temporary:
        workdir = Path(temporary)
        plain: list[float] = []
        captured: list[float] = []
        archive = workdir / "warc"
        with BenchSite(articles) as site:
            for _ in range(repeats):
                plain.append(run_once("crawl", site, workdir).cpu_s)
                shutil.rmtree(archive, ignore_errors=True)
                argv, cwd = command("crawl", site, workdir)
                usage = _spawn([*argv, "-s", f"WARC_DIR={archive}"], cwd, workdir / "capture.log")
                assert usage.exit_code == 0, (workdir / "capture.log").read_text()[-2000:]
                captured.append(usage.cpu_s)
            live = _items(workdir / "out.jsonl")
            argv, cwd = command("crawl", site, workdir)
        files = sorted(archive.glob("*.warc.gz"))
        size = sum(path.stat().st_size for path in files)
        replay_feed = workdir / "replay.jsonl"
        argv = [*argv, "-a", f"warc={archive}"]
        argv[argv.index("-O") + 1] = str(replay_feed)
        replays = [_spawn(argv, cwd, workdir / "replay.log") for _ in range(repeats)]
        assert all(r.exit_code == 0 for r in replays), (workdir / "replay.log").read_text()[-2000:]
        replayed = _items(replay_feed)
    wall = statistics.median(r.wall_s for r in replays)
    cpu = statistics.median(r.cpu_s for r in replays)
    results.update(
        {
            "items": len(live),
            "replay_items_identical": replayed == live,
            "archive_files": len(files),
            "archive_bytes": size,
            "archive_mib_per_1000": round(size / 2**20 / articles * 1000, 2),
            "crawl_cpu_s": round(statistics.median(plain), 2),
            "capture_cpu_s": round(statistics.median(captured), 2),
            "capture_overhead": round(statistics.median(captured) / statistics.median(plain), 3),
            "capture_ms_per_article": round(
                (statistics.median(captured) - statistics.median(plain)) * 1000 / articles, 2
            ),
            "replay_wall_s": round(wall, 2),
            "replay_cpu_s": round(cpu, 2),
            "replay_articles_per_s": round(articles / wall, 1),
            "replay_cpu_ms_per_article": round(cpu * 1000 / articles, 2),
            "replay_peak_rss_mib": max(r.max_rss_mib for r in replays),
            "duration_s": round(time.perf_counter() - started, 1),
        }
    )
    return results


def markdown(results: dict[str, Any]) -> str:
    machine_ = results["machine"]
    n = results["articles"]
    return "\n".join(
        [
            "## Raw pages: WARC capture and replay",
            "",
            f"`{results['command']}`, started {results['started']}, took "
            f"{results['duration_s']} s. Machine: {machine_['cpu']}, {machine_['nproc']} cores,"
            f" Python {machine_['python']}, Scrapy {machine_['packages']['scrapy']}. A crawl of"
            f" {n:,} generated articles (~87 KiB pages, served uncompressed) with crawlbench's"
            " settings (politeness off); CPU of the Scrapy process, medians.",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| archive size per 1,000 articles | {results['archive_mib_per_1000']} MiB"
            f" ({results['archive_bytes'] / 2**20:.1f} MiB in {results['archive_files']} file"
            f"{'s' if results['archive_files'] != 1 else ''} for {n:,}) |",
            f"| crawl CPU without / with `WARC_DIR` | {results['crawl_cpu_s']} s /"
            f" {results['capture_cpu_s']} s: **{results['capture_overhead']} ×**"
            f" (+{results['capture_ms_per_article']} ms an article) |",
            f"| replay (`-a warc=`) | **{results['replay_articles_per_s']} articles/s**,"
            f" {results['replay_cpu_ms_per_article']} ms CPU an article"
            f" ({results['replay_wall_s']} s for {n:,}; peak RSS"
            f" {results['replay_peak_rss_mib']} MiB) |",
            f"| replayed items identical to the capture's (but `crawled_at`) |"
            f" {'yes' if results['replay_items_identical'] else '**no**'}"
            f" ({results['items']:,} items) |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warc", description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args(argv)
    results = run(articles=arguments.articles, repeats=arguments.repeats)
    text = markdown(results)
    (HERE / "WARC.md").write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0 if results["replay_items_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
