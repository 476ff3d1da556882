"""The state store on its own: revisions, at-least-once exports, run history, the lock."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from galamedia.incremental.store import (
    HASHED_FIELDS,
    StateBusyError,
    StateStore,
    content_hash,
    ensure_free,
)

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
ARTICLE = {
    "site": "galamedia.pikiran-rakyat.com",
    "article_id": "016338423",
    "url": "https://galamedia.pikiran-rakyat.com/internasional/pr-016338423/slug",
    "published_at": "2023-02-22T20:08:00+07:00",
    "title": "Judul",
    "body": "Isi.",
    "editor": "Ryan Pratama",
    "source": "DW",
    "tags": ["China"],
    "image_url": None,
    "crawled_at": "ignored by the hash",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore(tmp_path / "state.sqlite")
    yield opened
    opened.close()


def test_a_new_article_is_revision_1_and_exported_once_confirmed(store: StateStore) -> None:
    run = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=run, fields=ARTICLE, at=NOW) == 1
    known = store.known("galamedia.pikiran-rakyat.com", "016338423")
    assert known is not None
    assert not known.is_exported  # emitted, but its feed is not written yet
    assert store.confirm_exports(run, at=NOW) == 1
    known = store.known("galamedia.pikiran-rakyat.com", "016338423")
    assert known is not None
    assert known.is_exported
    assert known.revision == 1


def test_unchanged_after_export_is_not_emitted_changed_is_revision_2(store: StateStore) -> None:
    first = store.begin_run(started_at=NOW)
    store.fetched(run_id=first, fields=ARTICLE, at=NOW)
    store.confirm_exports(first, at=NOW)
    second = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=second, fields=ARTICLE, at=NOW) is None
    edited = {**ARTICLE, "title": "Judul yang diperbaiki"}
    assert store.fetched(run_id=second, fields=edited, at=NOW) == 2


def test_an_export_never_confirmed_is_emitted_again(store: StateStore) -> None:
    crashed = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=crashed, fields=ARTICLE, at=NOW) == 1
    # the run dies before its feed is written: nothing is confirmed
    rerun = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=rerun, fields=ARTICLE, at=NOW) == 1


@pytest.mark.parametrize(
    "field",
    ["title", "body", "editor", "source", "tags", "image_url", "published_at", "updated_at"],
)
def test_the_hash_follows_the_fields_users_care_about(field: str) -> None:
    assert content_hash({**ARTICLE, field: "lain"}) != content_hash(ARTICLE)


def test_the_hash_ignores_the_fetch_time() -> None:
    assert content_hash({**ARTICLE, "crawled_at": "later"}) == content_hash(ARTICLE)


def test_run_history(store: StateStore) -> None:
    assert store.last_successful_start() is None
    ok = store.begin_run(started_at=NOW)
    report = {"finished_at": NOW.isoformat(), "counts": {"items_written": 3}, "rates": {}}
    store.finish_run(ok, report=report, exit_status=0)
    failed = store.begin_run(started_at=datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    store.finish_run(failed, report=report, exit_status=1)
    assert store.last_successful_start() == NOW
    assert [run["counts"] for run in store.recent_runs(10)] == [{"items_written": 3}]


def test_a_second_run_on_the_same_file_is_refused(store: StateStore) -> None:
    with pytest.raises(
        StateBusyError, match=r"state\.sqlite is in use by another run \(pid \d+\)"
    ):
        StateStore(store.path)


def test_checking_the_lock_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.sqlite"
    ensure_free(path)  # nobody holds it, and nothing is made
    assert not (tmp_path / "state").exists()


def test_checking_the_lock_sees_a_running_run(store: StateStore) -> None:
    with pytest.raises(StateBusyError, match=r"in use by another run \(pid \d+\)"):
        ensure_free(store.path)
    store.close()
    ensure_free(store.path)  # released with the store


def test_an_edited_date_is_a_new_revision(store: StateStore) -> None:
    first = store.begin_run(started_at=NOW)
    store.fetched(run_id=first, fields=ARTICLE, at=NOW)
    store.confirm_exports(first, at=NOW)
    second = store.begin_run(started_at=NOW)
    redated = {**ARTICLE, "published_at": "2023-02-20T20:08:00+07:00"}  # 22 → 20 Feb, same text
    assert store.fetched(run_id=second, fields=redated, at=NOW) == 2


def first_release_export(store: StateStore) -> None:
    """The article as the first release exported it: a hash without the dates or a prefix."""
    first = store.begin_run(started_at=NOW)
    store.fetched(run_id=first, fields=ARTICLE, at=NOW)
    store.confirm_exports(first, at=NOW)
    subset = {name: ARTICLE.get(name) for name in HASHED_FIELDS[:6]}
    old = hashlib.sha256(
        json.dumps(subset, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE articles SET exported_hash = ?", (old,))


def test_an_export_of_the_first_release_stays_unchanged_and_is_rehashed(
    store: StateStore,
) -> None:
    first_release_export(store)
    run = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=run, fields=ARTICLE, at=NOW) is None  # not exported again
    with sqlite3.connect(store.path) as db:
        (stored,) = db.execute("SELECT exported_hash FROM articles").fetchone()
    assert stored == content_hash(ARTICLE)


def test_an_export_of_the_first_release_with_an_edited_date_is_a_new_revision(
    store: StateStore,
) -> None:
    first_release_export(store)
    run = store.begin_run(started_at=NOW)
    redated = {**ARTICLE, "published_at": "2023-02-20T20:08:00+07:00"}
    assert store.fetched(run_id=run, fields=redated, at=NOW) == 2
