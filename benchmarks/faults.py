"""A degraded site (issue 17): how much longer a crawl takes when 15 % of article pages answer 503.

    python -m benchmarks.faults [--articles N]

A generated site (`benchmarks/site.py`) is served behind the fault proxy of the tests
(`tests/faultproxy.py`) and crawled twice by `scrapy crawl articles`, in a subprocess each: once
healthy, once with 15 % of the article page requests answered `503` with `Retry-After: 1`–`3`
(seeded). Both crawls go through the proxy, with the project's politeness settings except
`DOWNLOAD_DELAY` (`DELAY`, so that the run takes minutes, not an hour). Prints a markdown section
and writes it to `benchmarks/FAULTS.md`: wall times and their ratio, the 503s injected, the
retries, the highest download delay the site's slot was given, and the items written both ways.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import machine
from benchmarks.site import SINCE, UNTIL, BenchSite
from galamedia import settings
from tests.faultproxy import MAX_IN_A_ROW, Fault, FaultProxy

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
ARTICLES = 100
DELAY = 0.25
"""Seconds between two requests to the site (the project's default is 1.0)."""
RATE = 0.15
RETRY_AFTER = (1, 3)
SEED = 17
# Scrapy's stats dump at the end of the log: `'retry/count': 41,` one per line.
_STAT = re.compile(r"'([^']+)': (\d+(?:\.\d+)?)[,}]")
# The retry middleware's line when a 429 or 503 raises the site's delay.
_SLOWED = re.compile(r"asked to slow down: download delay now (\d+(?:\.\d+)?) s")


@dataclass(frozen=True)
class Crawl:
    """One `scrapy crawl` through the proxy, as measured and as logged."""

    name: str
    exit_code: int
    wall_s: float
    requests: int
    injected_503: int
    retry_after_asked_s: int
    stats: dict[str, float]
    max_delay_s: float | None
    """The highest delay a 429 or 503 gave the site (None: none did)."""
    items: list[dict[str, Any]]

    @property
    def per_request_s(self) -> float:
        return self.wall_s / self.requests if self.requests else 0.0

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument(
        "--articles", type=int, default=ARTICLES, help=f"articles on the site ({ARTICLES})"
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where FAULTS.md goes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    measured = _measured()  # named as the snapshot of the code is taken
    with tempfile.TemporaryDirectory(prefix="galamedia-faults-") as temporary:
        workdir = Path(temporary)
        project = _snapshot(workdir / "project")
        with BenchSite(options.articles) as site:
            articles = {article.path for article in site.articles}
            healthy = crawl("healthy", FaultProxy(site.origin, {}), project, workdir)
            degraded_proxy = FaultProxy(
                site.origin,
                {Fault.UNAVAILABLE: RATE},
                seed=SEED,
                only=articles.__contains__,
                retry_after=RETRY_AFTER,
            )
            degraded = crawl("degraded", degraded_proxy, project, workdir)
    section = markdown(options.articles, healthy, degraded, measured)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "FAULTS.md").write_text(section)
    sys.stdout.write(section)
    same = healthy.items == degraded.items
    return 0 if same and healthy.exit_code == degraded.exit_code == 0 else 1


def _snapshot(directory: Path) -> Path:
    """A copy of the crawler (`galamedia/`, `scrapy.cfg`): both crawls run the same code, even
    while someone edits the working tree."""
    shutil.copytree(
        REPOSITORY / "galamedia",
        directory / "galamedia",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(REPOSITORY / "scrapy.cfg", directory / "scrapy.cfg")
    return directory


def crawl(name: str, proxy: FaultProxy, project: Path, workdir: Path) -> Crawl:
    feed = workdir / f"{name}.jsonl"
    log = workdir / f"{name}.log"
    command = [
        sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"base_url={proxy.origin}",
        "-a", f"since={SINCE}", "-a", f"until={UNTIL}", "-O", str(feed),
        "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "LOG_LEVEL=INFO",
    ]  # fmt: skip
    environment = dict(os.environ)
    environment.pop("SCRAPY_SETTINGS_MODULE", None)  # the snapshot's scrapy.cfg decides
    with proxy, log.open("w") as output:
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=project,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            check=False,  # the exit code is one of the results
        )
        wall = time.perf_counter() - start
        asked = _retry_after_asked(proxy)
    text = log.read_text()
    stats = text.split("Dumping Scrapy stats:", 1)[-1]
    result = Crawl(
        name=name,
        exit_code=done.returncode,
        wall_s=round(wall, 1),
        requests=len(proxy.requests),
        injected_503=proxy.injected_count(Fault.UNAVAILABLE),
        retry_after_asked_s=asked,
        stats={key: float(value) for key, value in _STAT.findall(stats)},
        max_delay_s=max((float(delay) for delay in _SLOWED.findall(text)), default=None),
        items=_items(feed, proxy.origin),
    )
    sys.stderr.write(
        f"  {name:9} {result.wall_s:7.1f} s, {result.requests} requests, "
        f"{result.injected_503} 503s, {len(result.items)} items, exit {result.exit_code}\n"
    )
    return result


def _retry_after_asked(proxy: FaultProxy) -> int:
    """The seconds the proxy's 503s asked to wait, in all."""
    return sum(injection.retry_after or 0 for injection in proxy.injected)


def _items(feed: Path, origin: str) -> list[dict[str, Any]]:
    """The items in article order, without `crawled_at`, the proxy's origin as `{origin}`."""
    if not feed.exists():
        return []
    rows = []
    for line in feed.read_text().splitlines():
        item = json.loads(line.replace(origin, "{origin}"))
        item.pop("crawled_at")
        rows.append(item)
    return sorted(rows, key=lambda item: str(item["article_id"]))


def _measured() -> str:
    """When, which code and on what: the date, the commit, the machine."""
    described = machine.describe()
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {_git()}; {described['cpu']}, {described['nproc']} "
        f"cores, Python {described['python']}, Scrapy {described['packages']['scrapy']}"
    )


def _git() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    changed = (
        " with uncommitted changes in galamedia/"
        if git("status", "--porcelain", "galamedia")
        else ""
    )
    return f"commit {git('rev-parse', '--short', 'HEAD')}{changed}"


def markdown(articles: int, healthy: Crawl, degraded: Crawl, measured: str) -> str:
    ratio = degraded.wall_s / healthy.wall_s
    same = "identical apart from `crawled_at`" if healthy.items == degraded.items else "DIFFERENT"
    rows = [
        ("wall time", f"{healthy.wall_s:.1f} s", f"{degraded.wall_s:.1f} s"),
        (
            "wall time per request",
            f"{healthy.per_request_s:.2f} s",
            f"{degraded.per_request_s:.2f} s",
        ),
        ("requests to the site", healthy.requests, degraded.requests),
        ("503s injected", healthy.injected_503, degraded.injected_503),
        (
            "`Retry-After` asked, in all",
            "–",
            f"{degraded.retry_after_asked_s} s ({_mean_asked(degraded)} s each on average)",
        ),
        ("retries (`retry/count`)", healthy.stat("retry/count"), degraded.stat("retry/count")),
        (
            "site slowed down (`retry/site_slowed_down`)",
            healthy.stat("retry/site_slowed_down"),
            degraded.stat("retry/site_slowed_down"),
        ),
        (
            "highest delay a 503 gave the site",
            _seconds(healthy.max_delay_s),
            _seconds(degraded.max_delay_s),
        ),
        ("items written", len(healthy.items), f"{len(degraded.items)} ({same})"),
        ("exit code", healthy.exit_code, degraded.exit_code),
    ]
    table = ["| | healthy | 15 % 503s |", "|---|---|---|"]
    table += [f"| {label} | {a} | {b} |" for label, a, b in rows]
    lines = [
        "## A degraded site: 15 % of article pages answer 503",
        "",
        f"`python -m benchmarks.faults --articles {articles}`, {measured}.",
        "",
        f"A generated site of {articles} articles (`benchmarks/site.py`) behind the fault proxy "
        "of the tests (`tests/faultproxy.py`), crawled by `scrapy crawl articles` twice, "
        f"through the proxy both times: healthy, then with {RATE * 100:g} % of the article page "
        f"requests answered `503` with `Retry-After: {RETRY_AFTER[0]}`–`{RETRY_AFTER[1]}` s "
        f"(seeded draws, at most {MAX_IN_A_ROW} in a row per page). The project's politeness "
        f"settings throughout (AutoThrottle on, {settings.CONCURRENT_REQUESTS_PER_DOMAIN} "
        f"requests at once per site, `RETRY_TIMES` {settings.RETRY_TIMES}, `RETRY_AFTER_MAX` "
        f"{settings.RETRY_AFTER_MAX:g} s, `SITE_DELAY_RECOVERY` {settings.SITE_DELAY_RECOVERY:g},"
        f" `SITE_DELAY_MAX` {settings.SITE_DELAY_MAX:g} s) except `DOWNLOAD_DELAY={DELAY:g}` "
        f"(default {settings.DOWNLOAD_DELAY:g} s), so that the run takes minutes. The highest "
        "delay is read from the line the retry middleware logs when a 503 raises the site's "
        "delay (`asked to slow down: download delay now 3.0 s`).",
        "",
        *table,
        "",
        f"The degraded crawl took **{ratio:.1f} ×** the healthy one's wall time.",
        "",
    ]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:g} s"


def _mean_asked(crawl: Crawl) -> str:
    if not crawl.injected_503:
        return "–"
    return f"{crawl.retry_after_asked_s / crawl.injected_503:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
