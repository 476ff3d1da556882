"""The SQLite state file on its own: its lock, first-release hashes, migrations of older files.
What every store does (revisions, removals, exports, run history) is `test_state_stores.py`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from galamedia.incremental.sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    TABLES,
    SqliteStateStore,
    ensure_free,
)
from galamedia.incremental.store import HASHED_FIELDS, StateBusyError, content_hash
from tests.helpers import NOW, REMOVAL, old_state_file
from tests.helpers import STORED_ARTICLE as ARTICLE

SITE, ARTICLE_ID = ARTICLE["site"], ARTICLE["article_id"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    opened = SqliteStateStore(tmp_path / "state.sqlite")
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "field",
    ["title", "body", "editor", "source", "tags", "image_url", "published_at", "updated_at"],
)
def test_the_hash_follows_the_fields_users_care_about(field: str) -> None:
    assert content_hash({**ARTICLE, field: "lain"}) != content_hash(ARTICLE)


def test_the_hash_ignores_the_fetch_time() -> None:
    assert content_hash({**ARTICLE, "crawled_at": "later"}) == content_hash(ARTICLE)


def test_a_second_run_on_the_same_file_is_refused(store: SqliteStateStore) -> None:
    with pytest.raises(
        StateBusyError, match=r"state\.sqlite is in use by another run \(pid \d+\)"
    ):
        SqliteStateStore(store.path)


def test_checking_the_lock_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.sqlite"
    ensure_free(path)  # nobody holds it, and nothing is made
    assert not (tmp_path / "state").exists()


def test_checking_the_lock_sees_a_running_run(store: SqliteStateStore) -> None:
    with pytest.raises(StateBusyError, match=r"in use by another run \(pid \d+\)"):
        ensure_free(store.path)
    store.close()
    ensure_free(store.path)  # released with the store


def first_release_export(store: SqliteStateStore) -> None:
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
    store: SqliteStateStore,
) -> None:
    first_release_export(store)
    run = store.begin_run(started_at=NOW)
    assert store.fetched(run_id=run, fields=ARTICLE, at=NOW) is None  # not exported again
    with sqlite3.connect(store.path) as db:
        (stored,) = db.execute("SELECT exported_hash FROM articles").fetchone()
    assert stored == content_hash(ARTICLE)


def test_an_export_of_the_first_release_with_an_edited_date_is_a_new_revision(
    store: SqliteStateStore,
) -> None:
    first_release_export(store)
    run = store.begin_run(started_at=NOW)
    redated = {**ARTICLE, "published_at": "2023-02-20T20:08:00+07:00"}
    assert store.fetched(run_id=run, fields=redated, at=NOW) == 2


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
    migrated = SqliteStateStore(path)
    try:
        run = migrated.begin_run(started_at=NOW)
        assert migrated.fetched(run_id=run, fields=ARTICLE, at=NOW) is None  # still exported
        assert migrated.removed(run_id=run, fields=REMOVAL) == 2
    finally:
        migrated.close()
    SqliteStateStore(tmp_path / "new.sqlite").close()
    assert columns(path) == columns(tmp_path / "new.sqlite")  # the schema of a new file
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
