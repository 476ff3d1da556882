"""A feed that cannot be written fails the run loudly, and no scheduled run loses an article."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, SCRAPY, SINCE, UNTIL, in_window, setting_options
from tests.testsite import TestSite

PROJECT = str(ROOT)

FULL = Path("/dev/full")  # every write fails: "No space left on device"

pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


def crawl(site: TestSite, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            SCRAPY, "crawl", "articles", "-a", f"base_url={site.origin}",
            "-a", f"since={SINCE}", "-a", f"until={UNTIL}",
            "-O", str(out), *setting_options(), *options,
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def disk_full(out: Path) -> None:
    """The run's partial file lands on a full disk."""
    Path(f"{out}.partial").symlink_to(FULL)


def test_a_feed_that_cannot_be_written_fails_the_run_in_one_line(
    standard: TestSite, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("the last good export\n")
    disk_full(out)
    completed = crawl(standard, out)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.splitlines()
    failures = [line for line in lines if "[galamedia.export.storage] ERROR: feed" in line]
    assert len(failures) == 1, failures  # once, not once per item
    assert "No space left on device" in failures[0]
    assert "Crawl finished: FAILED." in completed.stderr
    assert "Stored jsonl feed" not in completed.stderr  # nothing contradicts the failure
    assert "Not stored jsonl feed" in completed.stderr
    assert out.read_text() == "the last good export\n"
    assert not Path(f"{out}.lock").exists()  # released, and removed, at the end
    report = json.loads(Path(f"{out}.partial.report.json").read_text())
    assert report["ok"] is False
    assert any("feed" in problem and "No space left" in problem for problem in report["problems"])


def test_items_of_a_failed_export_are_delivered_by_the_next_run(
    standard: TestSite, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    disk_full(out)
    failed = crawl(standard, out, "-s", f"STATE_PATH={state}")
    assert failed.returncode == 1, failed.stderr
    with sqlite3.connect(state) as db:
        # the run is recorded as failed: no later run's window starts after it
        assert db.execute("SELECT exit_status FROM runs").fetchall() == [(1,)]
    os.unlink(f"{out}.partial")

    again = crawl(standard, out, "-s", f"STATE_PATH={state}")
    assert again.returncode == 0, again.stderr
    items = [json.loads(line) for line in out.read_text().splitlines()]
    assert {item["article_id"] for item in items} == in_window(standard)
    assert {item["revision"] for item in items} == {1}  # never exported before


def test_items_to_stdout_leave_no_report_file(standard: TestSite, tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            SCRAPY, "crawl", "articles", "-a", f"base_url={standard.origin}",
            "-a", f"since={SINCE}", "-a", f"until={UNTIL}", "-O", "-:jsonl", *setting_options(),
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "galamedia.settings", "PYTHONPATH": PROJECT},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    ids = {json.loads(line)["article_id"] for line in completed.stdout.splitlines()}
    assert ids == in_window(standard)
    assert list(tmp_path.iterdir()) == []  # no `stdout:.report.json`, nothing at all
