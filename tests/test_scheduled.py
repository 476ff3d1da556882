"""Scheduled runs end to end: `scrapy crawl` with the state on, run after run."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from galamedia.incremental.sqlite import SqliteStateStore
from tests.helpers import ROOT, SCRAPY, SINCE, UNTIL, in_window, setting_options
from tests.testsite import Route, TestSite, render_article, synthetic


def run(
    site: TestSite, out: Path, state: Path, *window: str, settings: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    command = [SCRAPY, "crawl", "articles", "-a", f"base_url={site.origin}"]
    for argument in window:
        command += ["-a", argument]
    command += ["-O", str(out), "-s", f"STATE_PATH={state}", *setting_options(), *settings]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def items(out: Path) -> dict[str, dict[str, Any]]:
    lines = out.read_text(encoding="utf-8").splitlines()
    return {item["article_id"]: item for item in map(json.loads, lines)}


def report(out: Path) -> dict[str, Any]:
    return json.loads(Path(f"{out}.report.json").read_text(encoding="utf-8"))


def edit(site: TestSite, article_id: str, paragraph: str) -> None:
    """An editor adds an update paragraph to a generated article."""
    article = site.generated[article_id]
    changed = dataclasses.replace(article, paragraphs=(*article.paragraphs, paragraph))
    site.generated[article_id] = changed
    site.routes[article.path] = Route(body=render_article(changed))


def test_second_run_emits_exactly_the_new_and_the_changed(
    standard: TestSite, tmp_path: Path
) -> None:
    state, window = tmp_path / "state.sqlite", (f"since={SINCE}", f"until={UNTIL}")
    first = run(standard, tmp_path / "1.jsonl", state, *window)
    assert first.returncode == 0, first.stderr
    assert set(items(tmp_path / "1.jsonl")) == in_window(standard)
    assert {item["revision"] for item in items(tmp_path / "1.jsonl").values()} == {1}

    # Between runs: a new article, an edit inside the refresh horizon (the window's last 48 h)
    # and an edit older than it, which is not looked at again.
    standard.add_article(synthetic(7, datetime(2023, 2, 20, 9, tzinfo=UTC)))
    standard.publish_index()
    edit(standard, "900000003", "Pembaruan: jalan sudah dibuka kembali.")  # 28 Feb 23:59
    edit(standard, "900000015", "Pembaruan yang tidak akan terlihat.")  # 6 Feb
    fetched_before = len(standard.requests)

    second = run(standard, tmp_path / "2.jsonl", state, *window)
    assert second.returncode == 0, second.stderr
    emitted = items(tmp_path / "2.jsonl")
    assert {key: item["revision"] for key, item in emitted.items()} == {
        "900000007": 1,
        "900000003": 2,
    }
    assert emitted["900000003"]["body"].endswith("jalan sudah dibuka kembali.")
    refetched = standard.requests[fetched_before:]
    assert standard.generated["900000015"].path not in refetched
    assert "already exported, unchanged;" in second.stderr
    assert f"state: {state}" in second.stderr

    third = run(standard, tmp_path / "3.jsonl", state, *window)
    assert third.returncode == 0, third.stderr
    assert items(tmp_path / "3.jsonl") == {}
    assert report(tmp_path / "3.jsonl")["ok"] is True


def test_without_dates_a_run_starts_where_the_last_successful_one_did(
    site: TestSite, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    for number, hours in enumerate((1, 30, 60), start=1):
        site.add_article(synthetic(number, (now - timedelta(hours=hours)).replace(microsecond=0)))
    site.publish_index()
    state, out = tmp_path / "state.sqlite", tmp_path / "out.jsonl"

    first = run(site, out, state)
    assert first.returncode == 0, first.stderr
    # with the state on, a run reaches back REFRESH_HOURS (48 h): the 60-hour-old one is out
    assert set(items(out)) == {"900000001", "900000002"}

    site.add_article(
        synthetic(4, (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0))
    )
    site.publish_index()
    second = run(site, out, state)
    assert second.returncode == 0, second.stderr
    assert set(items(out)) == {"900000004"}
    with sqlite3.connect(state) as db:
        starts = [
            datetime.fromisoformat(row[0]) for row in db.execute("SELECT started_at FROM runs")
        ]
    window_start = datetime.fromisoformat(report(out)["window"]["start"])
    assert window_start == starts[0] - timedelta(hours=2)  # the last success, less the overlap


def test_a_run_whose_export_failed_is_delivered_again(standard: TestSite, tmp_path: Path) -> None:
    state, window = tmp_path / "state.sqlite", (f"since={SINCE}", f"until={UNTIL}")
    # 3 of 35 articles fail on this site: with no failure allowed, the run fails, and its feed
    # is not published, so nothing it emitted counts as exported
    strict = ("-s", "FAILED_ARTICLES_MAX_RATIO=0", "-s", "FAILED_ARTICLES_ALLOWED=0")
    failed = run(standard, tmp_path / "1.jsonl", state, *window, settings=strict)
    assert failed.returncode == 1
    assert not (tmp_path / "1.jsonl").exists()
    again = run(standard, tmp_path / "2.jsonl", state, *window)
    assert again.returncode == 0, again.stderr
    assert set(items(tmp_path / "2.jsonl")) == in_window(standard)


def test_a_second_run_on_the_same_state_is_refused(standard: TestSite, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    holder = SqliteStateStore(state)  # another run in progress
    try:
        refused = run(standard, tmp_path / "out.jsonl", state, f"since={SINCE}", f"until={UNTIL}")
    finally:
        holder.close()
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"error: {state} is in use by another run (pid {__import__('os').getpid()})"
    ]
    assert standard.requests == []


def test_the_canary_warns_when_a_field_suddenly_goes_missing(
    standard: TestSite, tmp_path: Path
) -> None:
    state, out = tmp_path / "state.sqlite", tmp_path / "out.jsonl"
    usual = {
        "rates": {"listed_per_day": 1.5, "failed_ratio": 0.08},
        "coverage": {"items": 29, "author": 1.0, "image_url": 0.9, "published_at": 1.0},
    }
    history = SqliteStateStore(state)
    for _ in range(3):
        history.finish_run(
            history.begin_run(started_at=datetime.now(UTC)), report=usual, exit_status=0
        )
    history.close()
    # the site moves its author line: no writer link anywhere any more
    for name in standard.cases:
        route = standard.routes.get(standard.case_path(name))
        if isinstance(route, Route):
            route.body = route.body.replace(b"/author/", b"/penulis/")
    for article in standard.generated.values():
        route = standard.routes[article.path]
        assert isinstance(route, Route)
        route.body = route.body.replace(b"/author/", b"/penulis/")

    completed = run(standard, out, state, f"since={SINCE}", f"until={UNTIL}")
    assert completed.returncode == 0, completed.stderr
    drift = report(out)["drift"]
    assert any(warning.startswith("`author` is filled on") for warning in drift)
    assert "drift: `author` is filled on" in completed.stderr


def test_an_update_after_the_end_mark_is_revision_2_with_exactly_the_new_text(
    standard: TestSite, tmp_path: Path
) -> None:
    state, window = tmp_path / "state.sqlite", (f"since={SINCE}", f"until={UNTIL}")
    article = standard.generated["900000003"]
    closed = (*article.paragraphs[:-1], article.paragraphs[-1] + "***")
    marked = dataclasses.replace(article, paragraphs=closed)
    standard.generated[article.article_id] = marked
    standard.routes[article.path] = Route(body=render_article(marked))
    first = run(standard, tmp_path / "1.jsonl", state, *window)
    assert first.returncode == 0, first.stderr
    assert items(tmp_path / "1.jsonl")["900000003"]["body"] == "\n\n".join(article.paragraphs)

    update = "Pembaruan: Hingga Rabu (1/3/2023) pukul 09.00 WIB, jalan sudah dibuka kembali."
    edit(standard, "900000003", update)  # appended after the paragraph closed by `***`
    second = run(standard, tmp_path / "2.jsonl", state, *window)
    assert second.returncode == 0, second.stderr
    emitted = items(tmp_path / "2.jsonl")
    assert list(emitted) == ["900000003"]
    assert emitted["900000003"]["revision"] == 2
    assert emitted["900000003"]["body"] == "\n\n".join((*article.paragraphs, update))


def test_the_canary_warns_when_the_template_changes_between_runs(
    standard: TestSite, tmp_path: Path
) -> None:
    state, window = tmp_path / "state.sqlite", (f"since={SINCE}", f"until={UNTIL}")
    # every run looks at the whole window again, as a daily re-check would
    again = ("-s", "REFRESH_HOURS=1000")
    for number in range(3):  # the usual: the site as we know it
        usual = run(standard, tmp_path / f"{number}.jsonl", state, *window, settings=again)
        assert usual.returncode == 0, usual.stderr
        assert report(tmp_path / f"{number}.jsonl")["fallbacks"]["title"] == 0.0
    # the redesign: every `read__*` class of the article pages is gone
    for path, route in standard.routes.items():
        if "/pr-" in path and isinstance(route, Route):
            route.body = route.body.replace(b"read__", b"konten-")

    redesigned = run(standard, tmp_path / "new.jsonl", state, *window, settings=again)
    assert redesigned.returncode == 0, redesigned.stderr
    after = report(tmp_path / "new.jsonl")
    # the fallbacks read the very same articles: nothing changed, nothing exported again …
    assert after["counts"]["items_written"] == 0
    assert after["counts"]["not_written"]["unchanged"] == after["counts"]["articles_parsed"]
    # … and the canary says where they came from
    assert after["fallbacks"]["title"] == 1.0
    assert after["fallbacks"]["body"] == 1.0
    (warning,) = [w for w in after["drift"] if w.startswith("fields served by fallbacks:")]
    assert "title 100% (usual 0%)" in warning
    assert "body 100% (usual 0%)" in warning
    assert "drift: fields served by fallbacks:" in redesigned.stderr
    assert "from the template:    " in redesigned.stderr
