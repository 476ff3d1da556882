"""Bad settings, feeds, state files and JOBDIRs: one `error:` line, exit 2, before any request."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from galamedia import locks
from galamedia.incremental.sqlite import SCHEMA_VERSION, SqliteStateStore
from tests.helpers import ROOT, SCRAPY, old_state_file

ARTICLE = "http://127.0.0.1:9/internasional/pr-016338423/slug"  # never requested


def crawl(*options: str) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl articles -a url=… <options>`: refused before any request, or not."""
    command = [SCRAPY, "crawl", "articles", "-a", f"url={ARTICLE}", *options]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def refused(completed: subprocess.CompletedProcess[str], start: str) -> None:
    """Exit 2 and exactly one line on stderr, starting `error: <start>`."""
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.count("\n") == 1, completed.stderr
    assert completed.stderr.startswith(f"error: {start}"), completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("RETRY_TIMES=abc", "RETRY_TIMES='abc' is not a whole number"),
        ("PROGRESS_INTERVAL=x", "PROGRESS_INTERVAL='x' is not a number"),
        ("DOWNLOAD_DELAY=-1", "DOWNLOAD_DELAY=-1 must be at least 0"),
        ("REFRESH_HOURS=-5", "REFRESH_HOURS=-5 must be above 0"),
        ("FAILED_ARTICLES_MAX_RATIO=2", "FAILED_ARTICLES_MAX_RATIO=2 must be at most 1"),
        (
            "CONCURRENT_REQUESTS_PER_DOMAIN=0",
            "CONCURRENT_REQUESTS_PER_DOMAIN=0 must be at least 1",
        ),
    ],
)
def test_a_bad_setting_is_one_line(setting: str, message: str) -> None:
    refused(crawl("-s", setting), message)


def test_a_misspelled_spider_is_one_line_naming_the_spiders() -> None:
    completed = subprocess.run(
        [SCRAPY, "crawl", "article"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    refused(completed, "no spider named 'article' (the spiders here: articles)")


# State files ------------------------------------------------------------------------------


def a_state_file(path: Path) -> Path:
    SqliteStateStore(path).close()
    return path


def another_program(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id INTEGER, note TEXT)")
    return path


def newer_schema(path: Path) -> Path:
    a_state_file(path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return path


def truncated(path: Path) -> Path:
    store = SqliteStateStore(path)
    for number in range(2000):  # enough pages that half of the file cuts through them
        store.begin_run(started_at=datetime(2023, 1, 1, number % 24, tzinfo=UTC))
    store.close()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    return path


STATE_CASES = {
    "a directory": (lambda path: path.mkdir() or path, "STATE_PATH: {path} is a directory"),
    "not SQLite": (
        lambda path: path.write_text("kata sandi\n") and path,
        "STATE_PATH: {path} is not a SQLite database",
    ),
    "another program's database": (
        another_program,
        "STATE_PATH: {path} is another program's SQLite database",
    ),
    "a newer schema": (
        newer_schema,
        "STATE_PATH: {path} was written by a newer version of the crawler",
    ),
    "truncated": (truncated, "STATE_PATH: {path} is damaged"),
    "0 bytes": (lambda path: path.touch() or path, "STATE_PATH: {path} is empty"),
}


@pytest.mark.parametrize("case", list(STATE_CASES))
def test_a_state_file_that_is_not_ours_or_not_whole_is_refused(tmp_path: Path, case: str) -> None:
    make, message = STATE_CASES[case]
    path = make(tmp_path / "state.sqlite")
    before = sorted(tmp_path.rglob("*"))
    checksum = path.read_bytes() if path.is_file() else None
    refused(crawl("-s", f"STATE_PATH={path}"), message.format(path=path))
    # nothing written, nothing left beside it (no lock file, no table added)
    assert sorted(tmp_path.rglob("*")) == before
    assert (path.read_bytes() if path.is_file() else None) == checksum


def test_a_state_file_of_the_first_release_is_adopted(tmp_path: Path) -> None:
    path = old_state_file(tmp_path / "state.sqlite", version=0)  # no application id
    SqliteStateStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47414C4D
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_state_file_in_use_names_the_other_run(tmp_path: Path) -> None:
    path = a_state_file(tmp_path / "state.sqlite")
    store = SqliteStateStore(path)
    try:
        refused(crawl("-s", f"STATE_PATH={path}"), f"{path} is in use by another run (pid ")
    finally:
        store.close()


# Feeds and JOBDIR -------------------------------------------------------------------------


def test_a_feed_whose_folder_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "here").write_text("a file")
    out = tmp_path / "here" / "out.jsonl"
    refused(crawl("-O", str(out)), f"feed {out}: {tmp_path / 'here'} is a file, not a folder")


def test_a_feed_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    refused(crawl("-O", f"{tmp_path}:jsonl"), f"feed {tmp_path} is a directory")


def test_a_feed_another_run_writes_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    held = locks.Lock.acquire(out)
    try:
        refused(crawl("-O", str(out)), f"{out} is in use by another run (pid {os.getpid()})")
    finally:
        held.release()
    assert list(tmp_path.iterdir()) == []  # no partial, and the lock gone with its holder


def test_a_jobdir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "job").write_text("a file")
    refused(crawl("-s", f"JOBDIR={tmp_path / 'job'}"), f"JOBDIR {tmp_path / 'job'} is a file")


# `/proc/sys` cannot be written even by root (the tests run as root in CI, and root may write
# any ordinary folder whatever its mode), nor its files.
UNWRITABLE = Path("/proc/sys")
READ_ONLY_FILE = Path("/proc/sys/kernel/osrelease")


@pytest.mark.skipif(
    not UNWRITABLE.is_dir() or os.access(UNWRITABLE, os.W_OK), reason="needs Linux's /proc/sys"
)
@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("-O", "/proc/sys/out.jsonl"), "feed /proc/sys/out.jsonl: cannot write in /proc/sys"),
        (
            ("-O", "/proc/sys/new/out.jsonl"),
            "feed /proc/sys/new/out.jsonl: cannot create /proc/sys/new in /proc/sys",
        ),
        (("-s", "STATE_PATH=/proc/sys/state.sqlite"), "STATE_PATH: cannot create /proc/sys/st"),
        (("-s", f"STATE_PATH={READ_ONLY_FILE}"), f"STATE_PATH: {READ_ONLY_FILE} is not writable"),
        (("-s", "JOBDIR=/proc/sys/job"), "JOBDIR /proc/sys/job: cannot create /proc/sys/job"),
    ],
)
def test_what_cannot_be_written_is_refused(option: tuple[str, str], message: str) -> None:
    refused(crawl(*option), message)


def test_state_with_a_fixed_feed_is_warned_about(tmp_path: Path) -> None:
    quick = ("-s", "RETRY_TIMES=0")  # these runs do start: their one request is refused at once
    fixed = crawl(
        "-O", str(tmp_path / "out.jsonl"), "-s", f"STATE_PATH={tmp_path / 's.sqlite'}", *quick
    )
    warnings = [line for line in fixed.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: STATE_PATH with a fixed feed {tmp_path / 'out.jsonl'}: each run writes only"
        " what is new and replaces the file, so what a consumer has not read yet is lost; give"
        " each run its own file, e.g. -O 'out/articles-%(time)s.jsonl'"
    ]
    dated = crawl(
        "-O",
        str(tmp_path / "out-%(time)s.jsonl"),
        "-s",
        f"STATE_PATH={tmp_path / 't.sqlite'}",
        *quick,
    )
    assert "warning:" not in dated.stderr
