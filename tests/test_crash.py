"""Crash safety, end to end: `scrapy crawl` killed, stopped and failed, in a subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

from tests.helpers import ROOT, SCRAPY, SINCE, UNTIL, in_window, setting_options
from tests.testsite import Route, TestSite

PREVIOUS = '{"article_id": "from the previous run"}\n'
HELD = "wang-yi-classic"  # an article in the window whose answer the test holds back


def start_crawl(site: TestSite, out: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    window = ["-a", f"base_url={site.origin}", "-a", f"since={SINCE}", "-a", f"until={UNTIL}"]
    with log.open("ab") as stream:
        return subprocess.Popen(
            [SCRAPY, "crawl", "articles", *window, "-O", str(out), *setting_options(), *extra],
            cwd=ROOT,
            stdout=stream,
            stderr=stream,
        )


def hold_back(site: TestSite, name: str = HELD) -> threading.Event:
    release = threading.Event()
    site.article_route(name).hold = release
    return release


def article_ids(out: Path) -> list[str]:
    return [
        json.loads(line)["article_id"] for line in out.read_text(encoding="utf-8").splitlines()
    ]


def test_sigkill_keeps_the_last_good_export_and_a_rerun_completes_it(
    standard: TestSite, tmp_path: Path
) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    out.write_text(PREVIOUS)
    release = hold_back(standard)
    crawl = start_crawl(standard, out, log)
    assert standard.wait_for(standard.case_path(HELD))  # mid-run, items already exported
    crawl.kill()
    crawl.wait(30)
    release.set()
    assert out.read_text() == PREVIOUS  # untouched: the new export never replaced it
    assert Path(f"{out}.partial").exists()

    rerun = start_crawl(standard, out, log)
    assert rerun.wait(120) == 0, log.read_text()
    ids = article_ids(out)
    assert sorted(ids) == sorted(in_window(standard))
    assert not Path(f"{out}.partial").exists()


def test_jobdir_killed_run_starts_afresh_and_loses_nothing(
    standard: TestSite, tmp_path: Path
) -> None:
    out, log, job = tmp_path / "out.jsonl", tmp_path / "crawl.log", tmp_path / "job"
    release = hold_back(standard)
    crawl = start_crawl(standard, out, log, "-s", f"JOBDIR={job}")
    assert standard.wait_for(standard.case_path(HELD))
    crawl.kill()
    crawl.wait(30)
    release.set()
    assert (job / "requests.seen").exists()  # what stock Scrapy would resume from

    rerun = start_crawl(standard, out, log, "-s", f"JOBDIR={job}")
    assert rerun.wait(120) == 0, log.read_text()
    assert sorted(article_ids(out)) == sorted(in_window(standard))
    assert "was left by a run that did not close: starting afresh" in log.read_text()


def test_jobdir_stopped_run_resumes_where_it_stopped(standard: TestSite, tmp_path: Path) -> None:
    out, log, job = tmp_path / "out.jsonl", tmp_path / "crawl.log", tmp_path / "job"
    out.write_text(PREVIOUS)
    release = hold_back(standard)
    crawl = start_crawl(standard, out, log, "-s", f"JOBDIR={job}")
    assert standard.wait_for(standard.case_path(HELD))
    crawl.send_signal(signal.SIGINT)  # a graceful stop: Scrapy finishes what is in flight
    release.set()
    assert crawl.wait(60) == 1  # stopped before the end: not a successful run
    assert out.read_text() == PREVIOUS
    first_run = article_ids(Path(f"{out}.partial"))
    assert first_run  # some articles were exported before the stop
    fetched_before = len(standard.requests)

    resumed = start_crawl(standard, out, log, "-s", f"JOBDIR={job}")
    assert resumed.wait(120) == 0, log.read_text()
    ids = article_ids(out)
    assert sorted(ids) == sorted(in_window(standard))  # both runs' articles, each once
    assert ids[: len(first_run)] == first_run
    # articles exported by the first run were not fetched again
    again = standard.requests[fetched_before:]
    assert standard.case_path(HELD) not in again
    assert "resuming the job in" in log.read_text()


def test_failed_run_exits_1_and_keeps_the_previous_export(
    standard: TestSite, tmp_path: Path
) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    out.write_text(PREVIOUS)
    previous_report = Path(f"{out}.report.json")
    previous_report.write_text('{"ok": true}\n')
    standard.routes["/robots.txt"] = Route(503)
    assert start_crawl(standard, out, log).wait(120) == 1
    assert out.read_text() == PREVIOUS
    # the report beside out.jsonl still describes out.jsonl; this run's is beside its partial
    assert previous_report.read_text() == '{"ok": true}\n'
    report = json.loads(Path(f"{out}.partial.report.json").read_text())
    assert report["ok"] is False
    assert report["finish_reason"] == "robots_unavailable"
    assert "Crawl robots_unavailable: FAILED." in log.read_text()


def test_run_report_accounts_for_every_url(standard: TestSite, tmp_path: Path) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    assert start_crawl(standard, out, log).wait(120) == 0, log.read_text()
    report = json.loads(Path(f"{out}.report.json").read_text())
    assert report["ok"] is True
    assert report["window"] == {
        "start": "2023-02-01T00:00:00+07:00",
        "end": "2023-03-01T00:00:00+07:00",
    }
    counts = report["counts"]
    assert counts["items_written"] == len(article_ids(out))
    assert sum(counts["not_written"].values()) == len(report["not_written"])
    reasons = {
        entry["url"].removeprefix(standard.origin): entry["reason"]
        for entry in report["not_written"]
    }
    assert reasons[standard.case_path("challenge-403")] == "blocked"
    assert reasons["/nasional/pr-099999999/dihapus"] == "http_404"
    assert reasons[standard.case_path("video-page")] == "no_body"
    assert report["duration_seconds"] > 0
