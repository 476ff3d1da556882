"""Per-site chunk jobs on real Celery workers, with a real Redis broker and PostgreSQL state:
the crawl spread over machines keeps one machine's guarantees."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from galamedia.distributed import chunks
from galamedia.distributed.config import ConfigError, check_feed_uri, feed_uri
from galamedia.incremental.postgres import lock_key
from galamedia.rules.urls import site_of
from tests.helpers import ROOT, SCRAPY, wait_until
from tests.servers import PostgresServer
from tests.testsite import Route, TestSite, render_article, standard_site

BIN = Path(sys.executable).parent
DELAY = 0.2
JITTER = 0.05
VISIBILITY_TIMEOUT = 6
# Politeness on, exactly DOWNLOAD_DELAY between two requests (Scrapy's default randomises it
# between 0.5 and 1.5 times), and no AutoThrottle start delay of a second.
SETTINGS = (
    f"DOWNLOAD_DELAY={DELAY}",
    "RANDOMIZE_DOWNLOAD_DELAY=False",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
    "PROGRESS_INTERVAL=0",
)
SET = [option for setting in SETTINGS for option in ("--set", setting)]
_REDIS_DATABASES = itertools.count(1)


# Pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "size", "expected"),
    [
        ("2023-02-01", "2023-02-03", "day", ["02-01", "02-02", "02-03"]),
        ("2023-02-01", "2023-02-01", "week", ["02-01"]),  # a one-day window: one day
        # Wednesday to the next Tuesday: cut at the window's ends, Monday to Sunday inside
        ("2023-02-01", "2023-02-14", "week", ["02-01..02-05", "02-06..02-12", "02-13..02-14"]),
        ("2023-01-15", "2023-03-10", "month", ["01-15..01-31", "02-01..02-28", "03-01..03-10"]),
        ("2023-12-20", "2024-01-02", "month", ["12-20..12-31", "01-01..01-02"]),
    ],
)
def test_windows_are_cut_into_calendar_chunks(
    since: str, until: str, size: str, expected: list[str]
) -> None:
    parts = chunks.split(date.fromisoformat(since), date.fromisoformat(until), size)
    shown = [
        f"{p.since:%m-%d}" if p.since == p.until else f"{p.since:%m-%d}..{p.until:%m-%d}"
        for p in parts
    ]
    assert shown == expected


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("/srv/feeds/%(site)s.jsonl", "lacks %(time)s"),
        ("/srv/feeds/%(time)s.jsonl", "lacks %(site)s"),
        ("/srv/feeds/all.jsonl", "lacks %(site)s and %(time)s"),
        ("feeds/%(site)s-%(time)s.jsonl", "is a relative path"),
    ],
)
def test_a_feed_template_must_give_each_chunk_its_own_file(template: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_feed_uri(template)


def test_a_feed_template_is_filled_for_its_chunk() -> None:
    values = {"site": "127.0.0.1:8001", "since": "2023-02-01", "until": "2023-02-01"}
    template = "s3://bucket/%(site)s/%(since)s_%(until)s_%(time)s-%(name)s.jsonl"
    filled = feed_uri(template, {**values, "time": "2026-11-30T10-00-00+00-00"})
    # `:` becomes `-` as in Scrapy's %(time)s; Scrapy's own parameters are left to it
    assert filled == (
        "s3://bucket/127.0.0.1-8001/2023-02-01_2023-02-01_2026-11-30T10-00-00+00-00-%(name)s.jsonl"
    )
    check_feed_uri(template)  # a URI need not be absolute


# The cluster -------------------------------------------------------------------------------


@dataclasses.dataclass
class Cluster:
    """A broker and a state database of their own, and Celery workers started and killed by
    the test (each in its own process group: killing one kills its crawls too, as a machine's
    death would)."""

    env: dict[str, str]
    state_url: str
    folder: Path
    workers: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)

    @property
    def feeds(self) -> Path:
        return self.folder / "feeds"

    def start_workers(self, *names: str, concurrency: int = 1) -> None:
        for name in names:
            with (self.folder / f"{name}.log").open("wb") as log:
                self.workers[name] = subprocess.Popen(
                    [BIN / "celery", "-A", "galamedia.distributed", "worker", "--pool", "prefork",
                     "--concurrency", str(concurrency), "-n", f"{name}@%h", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-l", "INFO"],
                    cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
        for name in names:
            wait_until(
                lambda name=name: "ready." in self.log(name),
                timeout=60,
                what=f"worker {name} ready",
            )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL the worker, its pool and its crawls: a machine gone."""
        worker = self.workers.pop(name)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)

    def stop(self) -> None:
        for name in list(self.workers):
            self.kill(name)

    def cli(self, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "galamedia.distributed", *arguments],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip

    def status(self) -> dict[str, Any]:
        shown = self.cli("status", "--json")
        assert shown.returncode == 0, shown.stderr
        return dict(json.loads(shown.stdout))

    def query(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.state_url) as db:
            return db.execute(sql, parameters).fetchall()  # type: ignore[arg-type]

    def exported(self, *, since: float = 0) -> list[tuple[str, str, int]]:
        """(`site`, `article_id`, `revision`) of every line of every published feed written
        after `since` (a timestamp), duplicates kept."""
        lines = []
        for feed in sorted(self.feeds.rglob("*.jsonl")):
            if feed.stat().st_mtime >= since:
                lines += feed.read_text(encoding="utf-8").splitlines()
        return sorted(
            (item["site"], item["article_id"], item["revision"]) for item in map(json.loads, lines)
        )


@pytest.fixture
def cluster(postgres: PostgresServer, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    broker = f"{redis_url.rsplit('/', 1)[0]}/{next(_REDIS_DATABASES) % 16}"
    state_url = postgres.create_database("distributed")
    env = {
        **os.environ,
        "GALAMEDIA_BROKER_URL": broker,
        "GALAMEDIA_STATE_URL": state_url,
        "GALAMEDIA_FEED_URI": f"{tmp_path}/feeds/%(site)s/%(since)s_%(until)s_%(time)s.jsonl",
        "GALAMEDIA_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    running = Cluster(env, state_url, tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sites() -> Iterator[list[TestSite]]:
    """Three copies of the standard site, each on its own port: three sites."""
    with ExitStack() as stack:
        yield [stack.enter_context(standard_site()) for _ in range(3)]


def single_machine_crawls(
    sites: list[TestSite], since: str, until: str, folder: Path
) -> list[tuple[str, str, int]]:
    """What one machine writes for each site, its own state file each: the reference."""
    folder.mkdir()
    crawls = [
        subprocess.Popen(
            [
                SCRAPY,
                "crawl",
                "articles",
                "-a",
                f"base_url={site.origin}",
                "-a",
                f"since={since}",
                "-a",
                f"until={until}",
                "-O",
                str(folder / f"{number}.jsonl"),
                "-s",
                f"STATE_PATH={folder / f'{number}.sqlite'}",
                *(option for setting in SETTINGS for option in ("-s", setting)),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number, site in enumerate(sites)
    ]
    assert [crawl.wait(120) for crawl in crawls] == [0] * len(sites)
    lines = [line for feed in folder.glob("*.jsonl") for line in feed.read_text().splitlines()]
    return sorted((i["site"], i["article_id"], i["revision"]) for i in map(json.loads, lines))


def crawl_attempts(cluster: Cluster) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """Per site, the time of each attempt that crawled (not one refused for a busy site)."""
    rows = cluster.query(
        "SELECT c.site, a.started_at, a.ended_at FROM galamedia_attempts AS a"
        " JOIN galamedia_chunks AS c ON c.id = a.chunk_id"
        " WHERE a.outcome IS DISTINCT FROM 'waiting' ORDER BY c.site, a.started_at"
    )
    found: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for site, started, ended in rows:
        found.setdefault(site, []).append((started, ended))
    return found


def test_a_backfill_on_three_workers_loses_nothing_when_one_dies(
    cluster: Cluster, sites: list[TestSite], tmp_path: Path
) -> None:
    since, until = "2023-02-01", "2023-02-04"
    cluster.start_workers("w1", "w2", "w3")
    origins = ",".join(site.origin for site in sites)
    submitted = cluster.cli(
        "backfill", "--sites", origins, "--since", since, "--until", until, "--chunk", "day", *SET
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "3 sites × 4 day chunks" in submitted.stdout

    # Kill w1 (its pool process and its crawl too) once its crawl has fetched something.
    by_site = {site_of(site.origin): site for site in sites}

    def crawling_on_w1() -> tuple[int, str, int] | None:
        rows = cluster.query(
            "SELECT a.chunk_id, c.site FROM galamedia_attempts AS a JOIN galamedia_chunks AS c"
            " ON c.id = a.chunk_id WHERE a.worker LIKE 'w1@%%' AND a.ended_at IS NULL"
        )
        if not rows:
            return None
        chunk_id, site = rows[0]
        return chunk_id, site, len(by_site[site].requests)

    chunk_id, site, fetched = wait_until(crawling_on_w1, timeout=60, what="w1 crawling")
    wait_until(
        lambda: len(by_site[site].requests) > fetched + 1, timeout=30, what="w1's crawl fetching"
    )
    cluster.kill("w1")
    killed_at = datetime.now(UTC)

    waited = cluster.cli("wait", "--timeout", "100")
    assert waited.returncode == 0, waited.stdout + cluster.cli("status", "--json").stdout
    assert "12 of 12 chunks done, 0 failed" in waited.stdout

    # Its chunk was redone elsewhere, and status says so.
    status = cluster.status()
    chunk = next(c for c in status["sites"][site]["chunks"] if c["id"] == chunk_id)
    assert [attempt["outcome"] for attempt in chunk["attempts"]] == ["lost", "done"]
    assert chunk["attempts"][0]["worker"].startswith("w1@")
    assert not chunk["attempts"][1]["worker"].startswith("w1@")
    assert status["sites"][site]["redone"] == 1
    assert all(entry["done"] == 4 and entry["failed"] == 0 for entry in status["sites"].values())
    shown = cluster.cli("status")
    assert f"redone: {chunk['since']}..{chunk['until']} on w1@" in shown.stdout

    # One crawl of a site at a time: its attempts follow one another (the lost one ended
    # when its worker was killed, before the chunk came back).
    for name, attempts in crawl_attempts(cluster).items():
        ends = [ended or killed_at for _, ended in attempts]
        starts = [started for started, _ in attempts]
        assert all(start >= end for start, end in zip(starts[1:], ends, strict=False)), name

    # Politeness per site, whichever worker sent the requests, read from the server's log:
    # each crawl starts with robots.txt, and no crawl follows another closer than
    # DOWNLOAD_DELAY; inside a crawl, Scrapy keeps it (as the server clocks arrivals, to
    # within the scheduling jitter of a loaded two-core machine).
    for test_site in sites:
        arrivals = list(zip(test_site.requests, test_site.times, strict=True))
        crawls = sum(path == "/robots.txt" for path, _ in arrivals)
        assert crawls == 4 + (test_site is by_site[site]), test_site.origin
        for (_, earlier), (path, later) in itertools.pairwise(arrivals):
            if path == "/robots.txt":
                assert later - earlier >= DELAY, test_site.origin
            else:
                assert later - earlier >= DELAY - JITTER, (test_site.origin, path)

    # Every article exported once, as one machine exports it, site by site (last: the
    # reference crawls request the sites too).
    exported = cluster.exported()
    assert len(exported) == len(set(exported))
    assert exported == single_machine_crawls(sites, since, until, tmp_path / "reference")
    assert sum(entry["articles"] for entry in status["sites"].values()) == len(exported)


def edit(site: TestSite, article_id: str, paragraph: str) -> None:
    article = site.generated[article_id]
    changed = dataclasses.replace(article, paragraphs=(*article.paragraphs, paragraph))
    site.generated[article_id] = changed
    site.routes[article.path] = Route(body=render_article(changed))


def test_a_second_backfill_exports_only_the_edit_and_waits_for_a_busy_site(
    cluster: Cluster, sites: list[TestSite]
) -> None:
    first_site, second_site = sites[:2]
    origins = f"{first_site.origin},{second_site.origin}"
    backfill = ("backfill", "--sites", origins, "--since", "2023-02-01", "--until", "2023-02-02")
    cluster.start_workers("w1", "w2")
    assert cluster.cli(*backfill, "--chunk", "day", *SET).returncode == 0
    assert cluster.cli("wait", "--timeout", "60").returncode == 0
    first = cluster.exported()
    assert {revision for _, _, revision in first} == {1}
    assert (site_of(second_site.origin), "900000010", 1) in first

    # An editor updates an article of the second site; another run holds the first site.
    edit(second_site, "900000010", "Pembaruan: jalan sudah dibuka kembali.")
    before = datetime.now(UTC).timestamp()
    with psycopg.connect(cluster.state_url, autocommit=True) as other_run:
        other_run.execute("SELECT pg_advisory_lock(%s)", (lock_key(site_of(first_site.origin)),))
        assert cluster.cli(*backfill, "--chunk", "day", *SET).returncode == 0

        def first_site_waits() -> bool:
            entry = cluster.status()["sites"][site_of(first_site.origin)]
            return "in use by another run" in (entry["last_error"] or "")

        wait_until(first_site_waits, timeout=60, what="the busy site's chunk waiting")
    # the other run is over: the chunk is tried again, and goes through
    waited = cluster.cli("wait", "--timeout", "60")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert cluster.exported(since=before) == [(site_of(second_site.origin), "900000010", 2)]


def test_bad_input_is_one_line_and_submits_nothing(
    cluster: Cluster, sites: list[TestSite]
) -> None:
    good = ("--since", "2023-02-01", "--until", "2023-02-02", "--chunk", "day")
    cases = [
        (("backfill", "--sites", "nowhere", *good), "--sites: 'nowhere' is neither"),
        (("backfill", "--sites", sites[0].origin, "--since", "2023-02-30", "--until",
          "2023-03-01", "--chunk", "day"), "--since: 2023-02-30 is not a real date"),
        (("backfill", "--sites", sites[0].origin, *good[:4], "--chunk", "year"), "invalid choice"),
        (("backfill", "--sites", sites[0].origin, *good, "--set", "DOWNLOAD_DELAY=-1"),
         "DOWNLOAD_DELAY=-1 must be at least 0"),
        (("backfill", "--sites", sites[0].origin, *good, "--set", "STATE_URL=x"),
         "set by the distributed runner"),
        (("status", "--batch", "7"), "no batch 7"),
    ]  # fmt: skip
    for arguments, problem in cases:
        refused = cluster.cli(*arguments)
        assert refused.returncode == 2, arguments
        assert refused.stderr.startswith("error: "), refused.stderr
        assert problem in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1, refused.stderr
    no_feed = {key: value for key, value in cluster.env.items() if key != "GALAMEDIA_FEED_URI"}
    refused = subprocess.run(
        [sys.executable, "-m", "galamedia.distributed", "backfill", "--sites", sites[0].origin,
         *good], env=no_feed, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: GALAMEDIA_FEED_URI is not set")
    assert cluster.status()["sites"] == {}


def test_an_hourly_run_skips_a_site_whose_previous_run_is_still_going(
    cluster: Cluster, sites: list[TestSite]
) -> None:
    # no worker yet: the first hourly run of the site stays queued
    first = cluster.cli("hourly", "--once", "--sites", sites[0].origin, *SET)
    assert first.returncode == 0, first.stderr
    second = cluster.cli("hourly", "--once", "--sites", f"{sites[0].origin},{sites[1].origin}")
    assert second.returncode == 0, second.stderr
    status = cluster.status()["sites"]
    assert status[site_of(sites[0].origin)]["queued"] == 1
    assert status[site_of(sites[0].origin)]["skipped"] == 1
    assert status[site_of(sites[1].origin)]["queued"] == 1
    cluster.start_workers("w1", concurrency=2)
    assert cluster.cli("wait", "--timeout", "60").returncode == 0
    status = cluster.status()["sites"]
    assert status[site_of(sites[0].origin)]["done"] == 1
    assert status[site_of(sites[1].origin)]["done"] == 1
