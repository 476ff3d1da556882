"""How cost grows with work (issue 13): bigger crawls, a rerun over a state, a large sitemap.

    python -m benchmarks.scale [--quick]

Three measures, each crawl a `scrapy crawl articles` subprocess started by
`benchmarks/launcher.py` (its own CPU time and peak RSS, `os.wait4`), with crawlbench's
settings (politeness off), on a generated site served from a thread of this process:

* growth: crawls of 1,000, 5,000 and 20,000 articles, one run each;
* an incremental rerun: a crawl of 20,000 articles with `STATE_PATH`, the same command again
  into a new feed, and once more with the window ending on the newest article's day;
* a sitemap of 100,000 URLs (an index of two 50,000-URL children), 1,000 of them in the
  window, against a sitemap of those 1,000 alone.

`--quick` divides every size by 10. Prints the markdown and writes `benchmarks/scale.json`
(`scale-quick.json` with `--quick`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import crawlbench, machine
from benchmarks.crawlbench import SETTINGS, _check_items, _spawn, run_once
from benchmarks.pages import Identity
from benchmarks.site import SINCE, UNTIL, BenchSite, SitemapSite
from galamedia import settings as project_settings
from galamedia.rules.dates import WIB

HERE = Path(__file__).resolve().parent
SIZES = (1_000, 5_000, 20_000)
STATE_ARTICLES = 20_000
SITEMAP_URLS = 100_000
IN_WINDOW = 1_000
QUICK_DIVISOR = 10
REFRESH = timedelta(hours=project_settings.REFRESH_HOURS)
# The incremental runs, in order: name, feed, the window's end (None: the newest article's day).
INCREMENTAL = (
    ("first run", "first", UNTIL),
    ("rerun", "rerun", UNTIL),
    ("rerun, window to the newest day", "rerun-newest-day", None),
)


def run(*, quick: bool = False) -> dict[str, Any]:
    """Every measure, the crawls in the project `crawlbench.use_project` named (by default the
    repository); the issue's sizes, divided by 10 with `quick`."""
    divisor = QUICK_DIVISOR if quick else 1
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "command": "python -m benchmarks.scale" + (" --quick" if quick else ""),
        "started": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": machine.describe(),
        "settings": SETTINGS,
        "refresh_hours": project_settings.REFRESH_HOURS,
    }
    with tempfile.TemporaryDirectory(prefix="galamedia-scale-") as temporary:
        workdir = Path(temporary)
        results["growth"] = _growth([size // divisor for size in SIZES], workdir)
        results["incremental"] = _incremental(STATE_ARTICLES // divisor, workdir)
        results["sitemap"] = _sitemap(SITEMAP_URLS // divisor, IN_WINDOW // divisor, workdir)
    results["machine"]["load_average_at_end"] = machine.load_average()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    return results


# Growth ------------------------------------------------------------------------------------


def _growth(sizes: Sequence[int], workdir: Path) -> dict[str, Any]:
    runs = []
    for size in sizes:
        with BenchSite(size) as site:
            result = run_once("crawl", site, workdir)
            row = asdict(result) | {
                "cpu_ms_per_article": round(result.cpu_ms_per_article, 3),
                "articles_per_s": round(result.articles / result.wall_s, 1),
                "requests": _requests_by_kind(site.requests, _paths(site.articles)),
            }
        _progress(f"crawl of {size:,} articles", row)
        runs.append(row)
    return {"runs": runs, "steps": _steps(runs)}


def _steps(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """From each size to the next: CPU per added article, peak RSS per added 1,000."""
    steps = []
    for small, large in itertools.pairwise(runs):
        added = large["articles"] - small["articles"]
        rss = large["max_rss_mib"] - small["max_rss_mib"]
        steps.append(
            {
                "from": small["articles"],
                "to": large["articles"],
                "cpu_ms_per_added_article": round(
                    (large["cpu_s"] - small["cpu_s"]) * 1000 / added, 3
                ),
                "rss_mib": round(rss, 1),
                "rss_mib_per_1000": round(rss * 1000 / added, 2),
            }
        )
    return steps


# The incremental rerun ---------------------------------------------------------------------


def _incremental(articles: int, workdir: Path) -> dict[str, Any]:
    """A first run with the state; the same command again; a rerun whose window ends on the
    newest article's day, as a scheduled run's ends now."""
    state = workdir / "state.sqlite"
    with BenchSite(articles) as site:
        newest_day = site.articles[-1].published_at.astimezone(WIB).date().isoformat()
        runs: dict[str, dict[str, Any]] = {}
        for name, feed, end in INCREMENTAL:
            until = end or newest_day
            first = not runs
            window = ["-a", f"since={SINCE}", "-a", f"until={until}"]
            # What the README promises: an exported article published within REFRESH_HOURS
            # of the window's end is fetched again; an older one is not.
            refresh_from = _window_end(until) - REFRESH
            refreshed = [a for a in site.articles if a.published_at >= refresh_from]
            row = _crawl(
                site,
                workdir,
                feed,
                window,
                {"STATE_PATH": str(state)},
                fetch=site.articles if first else refreshed,
                write=site.articles if first else [],
                state=state,
            )
            row |= {"until": until, "refresh_from": refresh_from.isoformat()}
            runs[name] = row
        index_pages = site.index_pages + 1
    return {
        "articles": articles,
        "index_pages": index_pages,
        "command": runs["first run"]["command"],
        "runs": runs,
    }


def _window_end(until: str) -> datetime:
    """The end of a window whose `until` is a WIB date: the next midnight."""
    return datetime.fromisoformat(until).replace(tzinfo=WIB) + timedelta(days=1)


# The sitemap -------------------------------------------------------------------------------


def _sitemap(urls: int, in_window: int, workdir: Path) -> dict[str, Any]:
    """A sitemap of `in_window` URLs, all in the window (the baseline), then one of `urls`
    URLs whose newest `in_window` are in it: the difference is reading and filtering the
    rest."""
    result: dict[str, Any] = {
        "urls": urls,
        "in_window": in_window,
        "benchmark_process_max_rss_mib_before": _own_peak_rss_mib(),
    }
    for name, size in (("baseline", in_window), ("large", urls)):
        building = time.perf_counter()
        with SitemapSite(size) as site:
            built_s = time.perf_counter() - building
            chosen = site.articles[-in_window:]
            since, until = chosen[0].published_at.isoformat(), chosen[-1].published_at.isoformat()
            # ISO datetimes are inclusive to the second: exactly the chosen articles.
            window = ["-a", "source=sitemap", "-a", f"since={since}", "-a", f"until={until}"]
            row = _crawl(site, workdir, f"sitemap-{size}", window, {}, fetch=chosen, write=chosen)
            row |= {
                "sitemap_urls": size,
                "sitemaps": site.sitemap_paths(),
                "sitemap_mib": round(site.sitemap_bytes() / 2**20, 2),
                "site_built_s": round(built_s, 1),
                "window": [since, until],
            }
        result[name] = row
    base, large = result["baseline"], result["large"]
    result["command"] = large["command"]
    result["cpu_us_per_extra_entry"] = round(
        (large["cpu_s"] - base["cpu_s"]) * 1e6 / (urls - in_window), 2
    )
    result["rss_mib_extra"] = round(large["max_rss_mib"] - base["max_rss_mib"], 1)
    result["benchmark_process_max_rss_mib_after"] = _own_peak_rss_mib()
    return result


# One crawl ---------------------------------------------------------------------------------


def _crawl(
    site: BenchSite,
    workdir: Path,
    name: str,
    arguments: list[str],
    settings: Mapping[str, str],
    *,
    fetch: Sequence[Identity],
    write: Sequence[Identity],
    state: Path | None = None,
) -> dict[str, Any]:
    """One `scrapy crawl articles` into a feed of its own: its cost, what the server was asked,
    what it wrote; checked against the articles it should `fetch` and `write`."""
    feed = workdir / f"{name}.jsonl"
    options = SETTINGS | dict(settings)
    argv = [
        sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"base_url={site.origin}",
        *arguments, "-O", str(feed),
        *(arg for key, value in options.items() for arg in ("-s", f"{key}={value}")),
    ]  # fmt: skip
    site.requests.clear()
    before = resource.getrusage(resource.RUSAGE_SELF)
    # The crawls run where crawlbench's do: the repository, or run.py's copy of it.
    usage = _spawn(argv, crawlbench._PROJECT["dir"], workdir / f"{name}.log")
    after = resource.getrusage(resource.RUSAGE_SELF)
    items, wrong = _check_items(site, feed)
    paths = _paths(site.articles)
    fetched = Counter(path for path in site.requests if path in paths)
    row: dict[str, Any] = {
        "command": _shown(argv, workdir),
        "exit_code": usage.exit_code,
        "wall_s": round(usage.wall_s, 3),
        "cpu_s": usage.cpu_s,
        "max_rss_mib": usage.max_rss_mib,
        "server_cpu_s": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3
        ),
        "requests": _requests_by_kind(site.requests, paths),
        "articles_fetched": len(fetched),
        "articles_fetched_twice": sum(1 for count in fetched.values() if count > 1),
        "items": items,
        "items_wrong": wrong,
    }
    if fetched:
        published = sorted(paths[path].published_at for path in fetched)
        row["articles_fetched_published"] = [published[0].isoformat(), published[-1].isoformat()]
    wanted = {article.article_id for article in write}
    written = _written_ids(feed)
    row |= {
        "articles_expected": len(fetch),
        "articles_as_expected": set(fetched) == set(_paths(fetch)),
        "items_expected": len(wanted),
        "items_outside": len(written - wanted),
        "items_missing": len(wanted - written),
    }
    report = feed.with_name(feed.name + ".report.json")
    if report.exists():  # every URL not written is listed there, with its reason
        row["report_kib"] = round(report.stat().st_size / 1024, 1)
        row["report_not_written"] = len(json.loads(report.read_text())["not_written"])
    if state is not None:  # the database and any journal beside it
        size = sum(path.stat().st_size for path in state.parent.glob(f"{state.name}*"))
        row["state_mib"] = round(size / 2**20, 2)
    _progress(name, row)
    return row


def _paths(articles: Iterable[Identity]) -> dict[str, Identity]:
    return {article.path: article for article in articles}


def _requests_by_kind(requests: Sequence[str], articles: Mapping[str, Any]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for path in requests:
        if path in articles:
            kinds["article"] += 1
        elif path == "/robots.txt":
            kinds["robots.txt"] += 1
        elif path.startswith("/indeks-berita"):
            kinds["index"] += 1
        elif path.startswith("/sitemap"):
            kinds["sitemap"] += 1
        else:
            kinds["other"] += 1
    return {"total": len(requests), **dict(sorted(kinds.items()))}


def _written_ids(feed: Path) -> set[str]:
    if not feed.exists():
        return set()
    with feed.open() as lines:
        return {json.loads(line)["article_id"] for line in lines}


def _own_peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _shown(argv: Sequence[str], workdir: Path) -> str:
    """A crawl's command as a person would type it: the port and temporary folder elided."""
    return " ".join(_elided(word, workdir) for word in ["scrapy", *argv[3:]])


def _elided(word: str, workdir: Path) -> str:
    if word.startswith("base_url="):
        return "base_url=http://127.0.0.1:PORT"
    return word.replace(str(workdir), "TMP")


def _progress(name: str, row: Mapping[str, Any]) -> None:
    sys.stderr.write(
        f"  {name:34} {row['wall_s']:6.1f} s wall, {row['cpu_s']:6.1f} s CPU, "
        f"{row['max_rss_mib']:6.1f} MiB, {row['requests']['total']:6} requests, "
        f"{row['items']:6} items, exit {row['exit_code']}\n"
    )
    sys.stderr.flush()


# The report --------------------------------------------------------------------------------


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


# How a kind of request is named in the tables.
_REQUEST_LABELS = {
    "index": "index pages",
    "article": "articles",
    "sitemap": "sitemaps",
    "robots.txt": "robots.txt",
    "other": "other",
}


def _requests(requests: Mapping[str, int]) -> str:
    parts = [
        f"{requests[kind]:,} {label}"
        for kind, label in _REQUEST_LABELS.items()
        if requests.get(kind)
    ]
    return f"{requests['total']:,} ({', '.join(parts)})"


def _items(row: Mapping[str, Any]) -> str:
    return f"{row['items']:,} ({row['items_wrong']})"


def _context(results: Mapping[str, Any]) -> str:
    """The machine line, as report.py writes it for the other sections."""
    machine_ = results["machine"]
    packages = machine_["packages"]
    code = ""
    if "commit" in machine_:
        code = f" Code at commit {machine_['commit']}"
        if fingerprint := machine_.get("galamedia_fingerprint"):
            code += f" (`galamedia/` fingerprint {fingerprint})"
        if machine_.get("galamedia_changed_since_commit"):
            code += " with uncommitted changes in galamedia/"
        code += "."
    return (
        f"`{results['command']}`, started {results['started']}, took "
        f"{results.get('duration_s', '?')} s. Machine: {machine_['cpu']}, {machine_['nproc']} "
        f"cores, {machine_['memory_gib']} GiB, {machine_['os']}; Python {machine_['python']}, "
        f"Scrapy {packages['scrapy']}, lxml {packages['lxml']}.{code} Load average at start "
        f"{machine_['load_average_at_start']}, at end {machine_.get('load_average_at_end')}."
    )


def markdown(results: Mapping[str, Any]) -> str:
    """The `## Scale` section of RESULTS.md: one table per measure."""
    settings = ", ".join(f"`{k}={v}`" for k, v in results["settings"].items())
    lines = [
        "## Scale",
        "",
        _context(results),
        "",
        "How cost grows with work. Every crawl is `scrapy crawl articles` in a subprocess on a "
        "generated site served from a thread of the benchmark process (`benchmarks/site.py`), "
        f"with {settings}; CPU and peak RSS are the Scrapy process's own (`os.wait4` in "
        "`benchmarks/launcher.py`). One run per measure, no repeats: absolute figures on a "
        "shared machine, expect a few percent of noise. Items are checked against the site's "
        'truth (title and `published_at`; "wrong" in brackets).',
        *_growth_section(results["growth"]),
        *_incremental_section(results["incremental"], results["refresh_hours"]),
        *_sitemap_section(results["sitemap"]),
    ]
    return "\n".join(lines) + "\n"


def _growth_section(data: Mapping[str, Any]) -> list[str]:
    runs = data["runs"]
    lines = [
        "",
        f"### Growth: {', '.join(format(r['articles'], ',') for r in runs)} articles",
        "",
        "A full crawl of the window (`/indeks-berita` to its end, every article once; the "
        "requests checked to be exactly the expected pages).",
        "",
        _row(
            "articles", "wall s", "CPU s", "CPU ms/article", "articles/s", "peak RSS MiB",
            "requests", "items (wrong)", "exit",
        ),
        _row("---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]  # fmt: skip
    lines += [
        _row(
            f"{r['articles']:,}",
            f"{r['wall_s']:.1f}",
            f"{r['cpu_s']:.1f}",
            f"{r['cpu_ms_per_article']:.2f}",
            f"{r['articles_per_s']:.0f}",
            r["max_rss_mib"],
            f"{r['requests']['total']:,}" + ("" if r["requests_ok"] else " (not as expected)"),
            _items(r),
            r["exit_code"],
        )
        for r in runs
    ]
    lines += [
        "",
        _row("from → to", "CPU ms per added article", "peak RSS", "peak RSS per 1,000 added"),
        _row("---", "---:", "---:", "---:"),
    ]
    lines += [
        _row(
            f"{s['from']:,} → {s['to']:,}",
            f"{s['cpu_ms_per_added_article']:.2f}",
            f"{s['rss_mib']:+.1f} MiB",
            f"{s['rss_mib_per_1000']:+.2f} MiB",
        )
        for s in data["steps"]
    ]
    return lines


def _incremental_section(data: Mapping[str, Any], refresh_hours: float) -> list[str]:
    runs = data["runs"]
    first, rerun, recent = (runs[name] for name, _, _ in INCREMENTAL)
    lines = [
        "",
        f"### An incremental rerun over a {data['articles']:,}-article state",
        "",
        f"The first run, with the state on (the site's {data['articles']:,} articles, "
        f"{data['index_pages']:,} index pages):",
        "",
        f"    {data['command']}",
        "",
        "then the same command again into a new feed (`TMP/rerun.jsonl`), then once more with "
        f"`until={recent['until']}`, the day of the newest article, as a scheduled run's window "
        "ends now.",
        "",
        _row(
            "run", "until", "wall s", "CPU s", "peak RSS MiB", "requests",
            "articles fetched (published)", "items written", "state file MiB", "exit",
        ),
        _row("---", "---", "---:", "---:", "---:", "---", "---", "---:", "---:", "---:"),
    ]  # fmt: skip
    for name, row in runs.items():
        published = row.get("articles_fetched_published")
        span = f" ({published[0][:16]} … {published[1][:16]})" if published else ""
        lines.append(
            _row(
                name,
                row["until"],
                f"{row['wall_s']:.1f}",
                f"{row['cpu_s']:.1f}",
                row["max_rss_mib"],
                _requests(row["requests"]),
                f"{row['articles_fetched']:,}{span}",
                _items(row),
                row["state_mib"],
                row["exit_code"],
            )
        )
    hours = f"{refresh_hours:g}"
    lines += [
        "",
        "Which articles a rerun fetches: with `STATE_PATH`, an exported article is fetched "
        f"again only if it was published within `REFRESH_HOURS` ({hours} h) of the window's "
        f"end; older ones are settled (`already_exported`) and never requested. The rerun with "
        f"the first run's window (ending {rerun['until']}) has none in that stretch (it starts "
        f"{rerun['refresh_from']}): it fetched {rerun['articles_fetched']:,} article pages, "
        f"walked the index again ({rerun['requests'].get('index', 0):,} pages: the walk still "
        "reads every teaser of the window) and wrote "
        f"{rerun['items']:,} items, in {rerun['cpu_s']:.1f} s of CPU against "
        f"{first['cpu_s']:.1f} s for the first run. Its run report lists every settled article "
        f"as not written (`already_exported`: {rerun.get('report_not_written', 0):,} URLs, "
        f"{rerun.get('report_kib', 0) / 1024:.1f} MiB). The rerun whose window ends on the "
        f"newest article's day refreshed the {recent['articles_fetched']:,} articles published "
        f"from {recent['refresh_from']} on"
        + (
            " — exactly those the rule names"
            if recent["articles_as_expected"] and rerun["articles_as_expected"]
            else f" (the rule names {recent['articles_expected']:,}: check the logs)"
        )
        + f"; all unchanged, so it wrote {recent['items']:,} items.",
    ]
    return lines


def _sitemap_section(data: Mapping[str, Any]) -> list[str]:
    base, large = data["baseline"], data["large"]
    children = ", ".join(f"`{path}`" for path in large["sitemaps"][1:])
    lines = [
        "",
        f"### A sitemap of {data['urls']:,} URLs",
        "",
        f"robots.txt names `/sitemap.xml`, an index of child sitemaps of at most 50,000 URLs "
        f"each (the protocol's limit; here {children}: "
        f"{large['sitemap_mib']} MiB in all), newest first, each URL with its `lastmod`. The "
        "children carry no `lastmod` and no date in their names, so the crawler cannot skip "
        f"one: it reads and filters every entry. The window holds the newest "
        f"{data['in_window']:,} (ISO `since`/`until`, {large['window'][0]} to "
        f"{large['window'][1]}), the rest are older. The baseline is a sitemap of those "
        f"{data['in_window']:,} alone, the same articles' pages fetched. The command:",
        "",
        f"    {data['command']}",
        "",
        _row(
            "sitemap", "sitemap MiB", "wall s", "CPU s", "peak RSS MiB", "requests",
            "items (wrong)", "outside the window", "exit",
        ),
        _row("---", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:"),
    ]  # fmt: skip
    for row in (base, large):
        lines.append(
            _row(
                f"{row['sitemap_urls']:,} URLs",
                row["sitemap_mib"],
                f"{row['wall_s']:.1f}",
                f"{row['cpu_s']:.1f}",
                row["max_rss_mib"],
                _requests(row["requests"]),
                _items(row),
                row["items_outside"],
                row["exit_code"],
            )
        )
    extra = data["urls"] - data["in_window"]
    lines += [
        "",
        f"Reading and filtering the {extra:,} entries outside the window cost "
        f"{large['cpu_s'] - base['cpu_s']:.1f} s of CPU ({data['cpu_us_per_extra_entry']} µs "
        f"an entry) and {data['rss_mib_extra']:+.1f} MiB of peak RSS; "
        f"{large['articles_fetched']:,} article pages were fetched, the in-window ones "
        + ("only" if large["articles_as_expected"] else "and others (check the logs)")
        + "."
        + (
            " robots.txt is asked twice: by Scrapy's robots.txt middleware and by the spider, "
            "for its `Sitemap:` lines."
            if large["requests"].get("robots.txt", 0) == 2
            else ""
        )
        + " The benchmark process (which serves the site, its "
        f"{data['urls']:,} article identities and pre-rendered sitemaps) peaked at "
        f"{data['benchmark_process_max_rss_mib_after']} MiB "
        f"({data['benchmark_process_max_rss_mib_before']} MiB before building this site).",
    ]
    return lines


def headline(results: Mapping[str, Any]) -> str:
    """The short table for the README: one line per measure."""
    rows = [
        _row("work", "wall s", "CPU", "peak RSS MiB", "requests", "items written"),
        _row("---", "---:", "---:", "---:", "---:", "---:"),
    ]
    for run_ in results["growth"]["runs"]:
        rows.append(
            _row(
                f"crawl of {run_['articles']:,} articles",
                f"{run_['wall_s']:.1f}",
                f"{run_['cpu_ms_per_article']:.2f} ms/article",
                run_["max_rss_mib"],
                f"{run_['requests']['total']:,}",
                f"{run_['items']:,}",
            )
        )
    incremental = results["incremental"]
    rerun = incremental["runs"]["rerun"]
    rows.append(
        _row(
            f"rerun over a {incremental['articles']:,}-article state, same window",
            f"{rerun['wall_s']:.1f}",
            f"{rerun['cpu_s']:.1f} s",
            rerun["max_rss_mib"],
            f"{rerun['requests']['total']:,} ({rerun['articles_fetched']:,} articles)",
            f"{rerun['items']:,}",
        )
    )
    sitemap = results["sitemap"]
    large = sitemap["large"]
    rows.append(
        _row(
            f"sitemap of {sitemap['urls']:,} URLs, {sitemap['in_window']:,} in the window",
            f"{large['wall_s']:.1f}",
            f"{large['cpu_s']:.1f} s ({sitemap['cpu_us_per_extra_entry']} µs per entry "
            "outside the window)",
            large["max_rss_mib"],
            f"{large['requests']['total']:,}",
            f"{large['items']:,}",
        )
    )
    return "\n".join(rows) + "\n"


# The command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every size divided by 10")
    parser.add_argument("--out", type=Path, default=HERE, help="where scale.json goes")
    options = parser.parse_args(argv)
    # run.py is where this module gets wired in, so its helpers are imported here, not above.
    from benchmarks.run import _fingerprint, _git, _snapshot  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="galamedia-snapshot-") as directory:
        # The crawls run in a copy of the crawler, as run.py's do.
        snapshot = _snapshot(Path(directory))
        crawlbench.use_project(snapshot)
        code = _git() | {"galamedia_fingerprint": _fingerprint(snapshot)}
        results = run(quick=options.quick)
    results["machine"] |= code
    options.out.mkdir(parents=True, exist_ok=True)
    name = "scale-quick.json" if options.quick else "scale.json"
    (options.out / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.write(markdown(results) + "\n" + headline(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
