"""Beyond one machine (issue 14): how a backfill's wall time falls with more Celery workers.

    python -m benchmarks.distributed [--sites 6] [--days 4] [--per-day 60] [--workers 1,2,3]

`--sites` local sites on 127.0.0.1 (`tests.testsite.TestSite`, each on its own port, so each is
a site of its own), each with `--per-day` generated articles on each of `--days` days, are
backfilled in daily chunks by `python -m galamedia.distributed backfill`, with
`DOWNLOAD_DELAY=0.2`, on 1, 2 and 3 workers (a worker: one `celery worker` process,
`--concurrency 2`). A real Redis and a real PostgreSQL run on loopback (`tests/servers.py`),
a fresh database and broker for each run; workers are started before the clock starts. The
wall time runs from the submission to the end of `wait`. Prints a markdown section and writes it
to `benchmarks/DISTRIBUTED.md`: wall times, speed-up over one worker, and the scaling efficiency
(speed-up ÷ workers: the goal is ≥ 0.9 while sites ≥ worker slots), with the items exported and
the smallest gap between two requests to one site, each run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks import machine
from galamedia.rules.dates import WIB
from tests.servers import postgres_server, redis_server
from tests.testsite import TestSite, synthetic

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
DELAY = 0.2
CONCURRENCY = 2
FIRST_DAY = datetime(2023, 2, 1, tzinfo=WIB)
SETTINGS = (
    f"DOWNLOAD_DELAY={DELAY}",
    "RANDOMIZE_DOWNLOAD_DELAY=False",
    "AUTOTHROTTLE_ENABLED=False",
    "PROGRESS_INTERVAL=0",
)
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    workers: int
    wall_s: float
    chunks: int
    items: int
    requests: int
    min_gap_s: float
    exit_code: int

    @property
    def slots(self) -> int:
        return self.workers * CONCURRENCY


def site(days: int, per_day: int) -> TestSite:
    """`per_day` articles on each of `days` days from 1 February 2023, behind the index."""
    built = TestSite()
    spacing = timedelta(days=1) / per_day
    for number in range(days * per_day):
        built.add_article(synthetic(100 + number, FIRST_DAY + number * spacing))
    built.publish_index()
    return built


def backfill(workers: int, arguments: argparse.Namespace, folder: Path) -> Run:
    with ExitStack() as stack:
        postgres = stack.enter_context(postgres_server())
        broker = stack.enter_context(redis_server())
        sites = [stack.enter_context(site(arguments.days, arguments.per_day))
                 for _ in range(arguments.sites)]  # fmt: skip
        env = {
            **os.environ,
            "GALAMEDIA_BROKER_URL": broker,
            "GALAMEDIA_STATE_URL": postgres.create_database("bench"),
            "GALAMEDIA_FEED_URI": f"{folder}/feeds/%(site)s/%(since)s_%(time)s.jsonl",
            "GALAMEDIA_VISIBILITY_TIMEOUT": "600",
        }
        processes = [_worker(f"w{number}", env, folder, stack) for number in range(1, workers + 1)]
        _wait_ready(processes, folder)
        last_day = (FIRST_DAY + timedelta(days=arguments.days - 1)).date().isoformat()
        options = [option for setting in SETTINGS for option in ("--set", setting)]
        started = time.monotonic()
        submitted = _cli(env, "backfill", "--sites", ",".join(s.origin for s in sites),
                         "--since", FIRST_DAY.date().isoformat(), "--until", last_day,
                         "--chunk", "day", *options)  # fmt: skip
        if submitted.returncode != 0:
            raise SystemExit(f"backfill refused: {submitted.stderr.strip()}")
        waited = _cli(env, "wait")
        wall = time.monotonic() - started
        items = sum(
            len(feed.read_text().splitlines()) for feed in (folder / "feeds").rglob("*.jsonl")
        )
        gaps = [
            later - earlier
            for test_site in sites
            for earlier, later in itertools.pairwise(test_site.times)
        ]
        return Run(
            workers=workers,
            wall_s=wall,
            chunks=arguments.sites * arguments.days,
            items=items,
            requests=sum(len(test_site.requests) for test_site in sites),
            min_gap_s=min(gaps),
            exit_code=waited.returncode,
        )


def _worker(
    name: str, env: dict[str, str], folder: Path, stack: ExitStack
) -> tuple[str, subprocess.Popen[bytes]]:
    with (folder / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            [BIN / "celery", "-A", "galamedia.distributed", "worker", "--pool", "prefork",
             "--concurrency", str(CONCURRENCY), "-n", f"{name}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def stop() -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    stack.callback(stop)
    return name, process


def _wait_ready(processes: list[tuple[str, subprocess.Popen[bytes]]], folder: Path) -> None:
    deadline = time.monotonic() + 60
    for name, _ in processes:
        while "ready." not in (folder / f"{name}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {name} did not start: see {folder / name}.log")
            time.sleep(0.2)


def _cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "galamedia.distributed", *arguments],
        env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip


def markdown(runs: list[Run], arguments: argparse.Namespace) -> str:
    one = runs[0].wall_s * runs[0].workers
    rows = []
    for run in runs:
        speedup = one / run.wall_s
        rows.append(
            f"| {run.workers} | {run.slots} | {run.wall_s:.1f} s | {speedup:.2f} × |"
            f" **{speedup / run.workers:.2f}** | {run.items} | {run.requests} |"
            f" {run.min_gap_s:.3f} s | {run.exit_code} |"
        )
    described = machine.describe()
    measured = (
        f"{datetime.now(UTC):%Y-%m-%d}, {_git()}; {described['cpu']}, {described['nproc']}"
        f" cores, Python {described['python']}, Scrapy {described['packages']['scrapy']}"
    )
    command = (
        f"python -m benchmarks.distributed --sites {arguments.sites} --days {arguments.days}"
        f" --per-day {arguments.per_day} --workers {arguments.workers}"
    )
    return "\n".join(
        [
            "## Beyond one machine: a backfill on 1, 2 and 3 workers",
            "",
            f"`{command}`, {measured}.",
            "",
            f"{arguments.sites} local sites (each a `TestSite` on its own port of 127.0.0.1),"
            f" {arguments.per_day} articles a day on each of {arguments.days} days, backfilled"
            f" in daily chunks ({arguments.sites * arguments.days} crawls) by `python -m"
            " galamedia.distributed backfill`, with `DOWNLOAD_DELAY=0.2` (not randomised, no"
            " AutoThrottle), on 1, 2 and 3 workers: a worker is one `celery -A"
            f" galamedia.distributed worker --concurrency {CONCURRENCY}` process, so 2, 4 and 6"
            " slots. Redis and PostgreSQL on loopback, a fresh database each run; the wall time"
            " runs from the submission to the end of `wait`. All workers share this machine's"
            " cores with the sites' server and both databases, and each crawl process spends"
            " a second or two of CPU starting: the more crawls at once, the longer each takes.",
            "",
            "| workers | slots | wall time | speed-up | efficiency (speed-up ÷ workers) |"
            " items exported | requests | smallest gap between two requests to one site |"
            " `wait` exit |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "The goal is an efficiency of at least 0.9 while there are at least as many sites"
            " as worker slots. A site's chunks run one after another (one crawl of a site at a"
            " time), so more slots than sites would sit idle; the last chunks of a run, when"
            " fewer sites are left than slots, are where the efficiency is lost.",
            "",
        ]
    )


def _git() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    changed = " with uncommitted changes" if git("status", "--porcelain", "galamedia") else ""
    return f"commit {git('rev-parse', '--short', 'HEAD')}{changed}"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed")
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--per-day", type=int, default=60)
    parser.add_argument("--workers", default="1,2,3", help="worker counts, comma-separated")
    parser.add_argument("--out", type=Path, default=HERE, help="where DISTRIBUTED.md goes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    runs = []
    for workers in (int(count) for count in arguments.workers.split(",")):
        with tempfile.TemporaryDirectory(prefix="galamedia-bench-distributed-") as folder:
            runs.append(backfill(workers, arguments, Path(folder)))
        sys.stderr.write(f"{workers} workers: {json.dumps(runs[-1].__dict__)}\n")
    section = markdown(runs, arguments)
    sys.stdout.write(section)
    (arguments.out / "DISTRIBUTED.md").write_text(section)
    return 0 if all(run.exit_code == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
