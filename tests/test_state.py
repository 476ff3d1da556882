"""The state store on its own: revisions, removals, exports, run history, the lock, migrations."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from galamedia.incremental.store import (
    APPLICATION_ID,
    HASHED_FIELDS,
    SCHEMA_VERSION,
    TABLES,
    StateBusyError,
    StateStore,
    content_hash,
    ensure_free,
)
from tests.helpers import old_state_file

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


# Removals ---------------------------------------------------------------------------------

SITE, ARTICLE_ID = ARTICLE["site"], ARTICLE["article_id"]
REMOVAL = {
    "site": SITE,
    "article_id": ARTICLE_ID,
    "url": ARTICLE["url"],
    "removed_at": "2026-11-28T06:00:00+00:00",
}


def export(store: StateStore) -> None:
    run = store.begin_run(started_at=NOW)
    store.fetched(run_id=run, fields=ARTICLE, at=NOW)
    store.confirm_exports(run, at=NOW)


def test_a_removal_is_the_next_revision_and_counts_once_confirmed(store: StateStore) -> None:
    export(store)
    run = store.begin_run(started_at=NOW)
    assert store.removed(run_id=run, fields=REMOVAL) == 2
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert not known.is_removed  # emitted, but its feed is not written yet
    store.confirm_exports(run, at=NOW)
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert known.is_removed
    assert (known.revision, known.removed_at) == (2, REMOVAL["removed_at"])
    later = store.begin_run(started_at=NOW)
    assert store.removed(run_id=later, fields=REMOVAL) is None  # told once


def test_a_removal_never_confirmed_is_emitted_again(store: StateStore) -> None:
    export(store)
    crashed = store.begin_run(started_at=NOW)
    assert store.removed(run_id=crashed, fields=REMOVAL) == 2
    rerun = store.begin_run(started_at=NOW)
    assert store.removed(run_id=rerun, fields=REMOVAL) == 2


def test_only_an_exported_article_has_a_removal(store: StateStore) -> None:
    run = store.begin_run(started_at=NOW)
    assert store.removed(run_id=run, fields=REMOVAL) is None  # never seen
    store.fetched(run_id=run, fields=ARTICLE, at=NOW)
    assert store.removed(run_id=run, fields=REMOVAL) is None  # emitted, never exported


def test_an_article_back_after_its_removal_is_a_new_revision(store: StateStore) -> None:
    export(store)
    gone = store.begin_run(started_at=NOW)
    store.removed(run_id=gone, fields=REMOVAL)
    store.confirm_exports(gone, at=NOW)
    back = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=back, fields=ARTICLE, at=NOW) == 3  # the same content, back
    store.confirm_exports(back, at=NOW)
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert (known.revision, known.is_removed) == (3, False)
    again = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=again, fields=ARTICLE, at=NOW) is None  # exported as it is


# Older state files --------------------------------------------------------------------------


def columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as db:
        return {
            table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            for table in sorted(TABLES)
        }


@pytest.mark.parametrize("version", [0, 1])
def test_an_older_state_file_is_migrated_keeping_its_exports(tmp_path: Path, version: int) -> None:
    path = old_state_file(tmp_path / "state.sqlite", version=version)
    digest = content_hash(ARTICLE)
    with sqlite3.connect(path) as db:  # an article it exported as revision 1
        db.execute(
            "INSERT INTO articles (site, article_id, url, published_at, first_seen, last_fetched,"
            " content_hash, exported_hash, revision, exported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (SITE, ARTICLE_ID, ARTICLE["url"], ARTICLE["published_at"], *[NOW.isoformat()] * 2,
             digest, digest, NOW.isoformat()),
        )  # fmt: skip
    migrated = StateStore(path)
    try:
        run = migrated.begin_run(started_at=NOW)
        assert migrated.fetched(run_id=run, fields=ARTICLE, at=NOW) is None  # still exported
        assert migrated.removed(run_id=run, fields=REMOVAL) == 2
    finally:
        migrated.close()
    StateStore(tmp_path / "new.sqlite").close()
    assert columns(path) == columns(tmp_path / "new.sqlite")  # the schema of a new file
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
