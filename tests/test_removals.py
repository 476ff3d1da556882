"""Removed articles: an exported article that answers 404 or 410 becomes one tombstone line."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, SCRAPY, SINCE, UNTIL, WINDOW_END, setting_options
from tests.testsite import Route, TestSite, render_article, synthetic

TOMBSTONE_FIELDS = {"url", "article_id", "site", "removed_at", "revision"}
# Exported, then gone; and one that stays. Both within REFRESH_HOURS of the window's end, so
# every run fetches them again, as a scheduled run does with recent articles.
GONE = synthetic(1, WINDOW_END - timedelta(hours=2))
KEPT = synthetic(2, WINDOW_END - timedelta(hours=5))
NOT_FOUND = b"<html><title>404 Not Found</title></html>"
# Any lost article fails the run: a tombstone counted as a failure would show in the exit code.
STRICT = ("-s", "FAILED_ARTICLES_ALLOWED=0")


def run(
    site: TestSite, *feeds: Path, state: Path | None, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl` of February 2023 on `site` into `feeds`, with the state at `state`."""
    command = [
        SCRAPY, "crawl", "articles", "-a", f"base_url={site.origin}",
        "-a", f"since={SINCE}", "-a", f"until={UNTIL}",
        *(option for feed in feeds for option in ("-O", str(feed))),
        *(("-s", f"STATE_PATH={state}") if state else ()), *setting_options(), *options,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def report(path: Path) -> dict[str, Any]:
    return json.loads(Path(f"{path}.report.json").read_text(encoding="utf-8"))


@pytest.fixture
def exported(site: TestSite, tmp_path: Path) -> Path:
    """`GONE` and `KEPT` exported by a first run: the state file that remembers it."""
    for article in (GONE, KEPT):
        site.add_article(article)
    site.publish_index()
    state = tmp_path / "state.sqlite"
    first = run(site, tmp_path / "first.jsonl", state=state)
    assert first.returncode == 0, first.stderr
    assert {line["article_id"]: line["revision"] for line in lines(tmp_path / "first.jsonl")} == {
        GONE.article_id: 1,
        KEPT.article_id: 1,
    }
    return state


def answers(site: TestSite, status: int) -> None:
    """`GONE`'s page now answers `status`; it stays listed, as sitemaps and feeds lag."""
    site.routes[GONE.path] = Route(status, NOT_FOUND)


@pytest.mark.parametrize("status", [404, 410])
def test_an_exported_article_that_is_gone_is_one_tombstone_line_once(
    site: TestSite, exported: Path, tmp_path: Path, status: int
) -> None:
    answers(site, status)
    out, as_json, as_csv = (tmp_path / f"gone.{suffix}" for suffix in ("jsonl", "json", "csv"))
    before = datetime.now(UTC).replace(microsecond=0)
    gone = run(site, out, as_json, as_csv, state=exported, options=STRICT)
    assert gone.returncode == 0, gone.stderr

    (tombstone,) = lines(out)
    assert set(tombstone) == TOMBSTONE_FIELDS  # no `title`: not an article
    assert tombstone["url"] == site.url(GONE.path)
    assert tombstone["article_id"] == GONE.article_id
    assert tombstone["site"] == site.origin.removeprefix("http://")  # host and port
    assert tombstone["revision"] == 2  # the next revision after its export, 1
    removed_at = datetime.fromisoformat(tombstone["removed_at"])
    assert removed_at.utcoffset() == timedelta(0)
    assert before <= removed_at <= datetime.now(UTC)
    # every feed format writes it, the same
    assert json.loads(as_json.read_text(encoding="utf-8")) == [tombstone]
    with as_csv.open(encoding="utf-8", newline="") as csv_file:
        (row,) = csv.DictReader(csv_file)
    assert {name: row[name] for name in TOMBSTONE_FIELDS} == {
        **tombstone,
        "revision": "2",
    }
    assert row["title"] == row["body"] == ""

    counts = report(out)["counts"]
    assert counts["removed"] == 1
    assert counts["items_written"] == 1
    assert counts["failed"] == 0  # the URL's complete answer, not a loss
    assert counts["not_written"] == {"unchanged": 1}
    assert "removed:              1 (tombstones" in gone.stderr

    # Later runs fetch it again, still gone: the consumer knows already, nothing is written.
    fetched_before = len(site.requests)
    again = run(site, tmp_path / "again.jsonl", state=exported, options=STRICT)
    assert again.returncode == 0, again.stderr
    assert lines(tmp_path / "again.jsonl") == []
    assert GONE.path in site.requests[fetched_before:]
    counts = report(tmp_path / "again.jsonl")["counts"]
    assert counts["not_written"] == {"already_removed": 1, "unchanged": 1}
    assert counts["removed"] == counts["failed"] == 0


def test_a_tombstone_whose_feed_was_not_written_is_written_by_the_next_run(
    site: TestSite, exported: Path, tmp_path: Path
) -> None:
    full = Path("/dev/full")  # every write fails: "No space left on device"
    if not full.exists():
        pytest.skip("needs /dev/full (Linux)")
    answers(site, 404)
    out = tmp_path / "out.jsonl"
    Path(f"{out}.partial").symlink_to(full)
    failed = run(site, out, state=exported)
    assert failed.returncode == 1, failed.stderr
    assert report(Path(f"{out}.partial"))["counts"]["removed"] == 1  # emitted, never delivered
    Path(f"{out}.partial").unlink()

    again = run(site, out, state=exported)
    assert again.returncode == 0, again.stderr
    assert [(line["article_id"], line["revision"]) for line in lines(out)] == [
        (GONE.article_id, 2)
    ]
    assert "removed_at" in lines(out)[0]


def test_an_article_back_after_its_tombstone_is_exported_again_as_a_new_revision(
    site: TestSite, exported: Path, tmp_path: Path
) -> None:
    answers(site, 404)
    gone = run(site, tmp_path / "gone.jsonl", state=exported)
    assert gone.returncode == 0, gone.stderr
    assert [line["revision"] for line in lines(tmp_path / "gone.jsonl")] == [2]

    site.routes[GONE.path] = Route(body=render_article(GONE))  # the same article, back
    back = run(site, tmp_path / "back.jsonl", state=exported)
    assert back.returncode == 0, back.stderr
    (article,) = lines(tmp_path / "back.jsonl")
    assert article["article_id"] == GONE.article_id
    assert article["revision"] == 3
    assert article["title"] == GONE.title
    assert "removed_at" not in article
    with sqlite3.connect(exported) as db:
        row = db.execute(
            "SELECT revision, removed_at FROM articles WHERE article_id = ?", (GONE.article_id,)
        ).fetchone()
    assert row == (3, None)  # exported again: no longer removed


def test_a_404_for_an_article_never_exported_is_a_lost_article(
    site: TestSite, tmp_path: Path
) -> None:
    site.add_article(KEPT)
    site.list(GONE.path, GONE.title, GONE.published_at)  # listed, never there
    site.publish_index()
    out = tmp_path / "out.jsonl"
    completed = run(site, out, state=tmp_path / "state.sqlite")
    assert completed.returncode == 0, completed.stderr
    assert [line["article_id"] for line in lines(out)] == [KEPT.article_id]
    counts = report(out)["counts"]
    assert counts["not_written"] == {"http_404": 1}
    assert counts["failed"] == 1
    assert counts["removed"] == 0


def test_without_the_state_a_gone_article_is_a_lost_article(
    site: TestSite, exported: Path, tmp_path: Path
) -> None:
    answers(site, 410)
    out = tmp_path / "out.jsonl"
    completed = run(site, out, state=None)
    assert completed.returncode == 0, completed.stderr
    assert [line["article_id"] for line in lines(out)] == [KEPT.article_id]
    counts = report(out)["counts"]
    assert counts["not_written"] == {"http_410": 1}
    assert counts["failed"] == 1
    assert counts["removed"] == 0
