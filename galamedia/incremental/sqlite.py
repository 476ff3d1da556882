"""The state in one SQLite file (`STATE_PATH`): the embedded default, one machine."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from galamedia import locks
from galamedia.incremental.store import StateBusyError, StateStore

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    url TEXT NOT NULL,
    published_at TEXT,
    first_seen TEXT NOT NULL,
    last_fetched TEXT NOT NULL,
    content_hash TEXT NOT NULL,   -- of the last fetch
    exported_hash TEXT,           -- of the last export; NULL: never exported
    revision INTEGER NOT NULL DEFAULT 0,
    exported_at TEXT,
    removed_at TEXT,              -- the last export was its tombstone: gone since then
    PRIMARY KEY (site, article_id)
);
CREATE TABLE IF NOT EXISTS pending (  -- emitted by a run, exported once its feed is written
    run_id INTEGER NOT NULL,
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,   -- a tombstone: that of the export it withdraws
    revision INTEGER NOT NULL,
    removed_at TEXT,              -- NULL: the article; set: its tombstone
    PRIMARY KEY (run_id, site, article_id)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    window_start TEXT,
    window_end TEXT,
    finish_reason TEXT,
    exit_status INTEGER,
    duration_seconds REAL,
    summary TEXT                  -- JSON: counts by outcome, rates, field coverage
);
"""

# Our own database, recognised before anything is written to it: SQLite's application id (the
# bytes `GALM`) and a schema version, with the steps from each older version to this one.
APPLICATION_ID = 0x47414C4D
SCHEMA_VERSION = 2
TABLES = frozenset({"articles", "pending", "runs"})
MIGRATIONS: dict[int, str] = {
    # 0 → 1: a state file of the first release (our tables, no application id yet): stamped.
    0: "SELECT 1",
    # 1 → 2: removed articles, their tombstones pending and exported.
    1: "ALTER TABLE articles ADD COLUMN removed_at TEXT;"
    " ALTER TABLE pending ADD COLUMN removed_at TEXT",
}
_SQLITE_HEADER = b"SQLite format 3\x00"


class StateFileError(ValueError):
    """A `STATE_PATH` that cannot hold this crawler's state: `str()` is one line naming the
    file and what to do."""


def check_state_file(path: Path, *, thorough: bool = True) -> None:
    """Raise `StateFileError` unless `path` is, or can become, this crawler's state file.

    Creates and writes nothing. A database of another program is never ours to write into;
    an empty file that exists was a state file once (truncated?), never a new one; `thorough`
    also reads every page of the database (SQLite's quick check) for damage.
    """
    if path.is_dir():
        raise StateFileError(f"{path} is a directory: give a file, e.g. {path / 'state.sqlite'}")
    if not path.exists():
        ancestor = next(parent for parent in path.parents if parent.exists())
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise StateFileError(f"cannot create {path}: {ancestor} is not writable")
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise StateFileError(f"{path} is not writable: give a file this user may write")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StateFileError(
            f"{path.parent} is not writable: SQLite writes its journal beside {path.name}"
        )
    if path.stat().st_size == 0:
        raise StateFileError(
            f"{path} is empty: a state file is never 0 bytes, so it was probably truncated;"
            " restore it from a backup, or delete it to start afresh (every article in the"
            " window is then exported again)"
        )
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise StateFileError(
                f"{path} is not a SQLite database, so not a state file: give another path"
            )
    application_id, version, tables = _identify(path, thorough=thorough)
    if application_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise StateFileError(
                f"{path} was written by a newer version of the crawler (schema {version},"
                f" this one knows {SCHEMA_VERSION}): upgrade the crawler"
            )
        return
    if application_id == 0 and (not tables or tables >= TABLES):
        return  # an empty database, or ours from before the application id: adopted
    kind = f"application id {application_id:#x}" if application_id else "no application id"
    raise StateFileError(
        f"{path} is another program's SQLite database ({kind}; tables:"
        f" {', '.join(sorted(tables)) or 'none'}): it is left untouched; give another path"
    )


def _identify(path: Path, *, thorough: bool) -> tuple[int, int, frozenset[str]]:
    """The database's application id, schema version and tables, read without writing."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        application_id = int(db.execute("PRAGMA application_id").fetchone()[0])
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        problems = [row[0] for row in db.execute("PRAGMA quick_check")] if thorough else ["ok"]
    except sqlite3.DatabaseError as error:
        raise StateFileError(
            f"{path} is damaged ({error}): restore it from a backup, or delete it to start afresh"
        ) from None
    finally:
        db.close()
    if problems != ["ok"]:
        raise StateFileError(
            f"{path} is damaged ({problems[0]}): restore it from a backup, or delete it to"
            " start afresh"
        )
    tables = frozenset(row[0] for row in rows if not row[0].startswith("sqlite_"))
    return application_id, version, tables


class SqliteStateStore(StateStore):
    """The state file of one crawler: articles, pending exports and run history.

    One run at a time: the store holds an exclusive lock on `<path>.lock` while open, so a
    second run on the same file is refused with `StateBusyError` instead of corrupting it.
    That lock covers every site, so `claim` has nothing to add, and the run history is the
    file's, whatever sites each run crawled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        check_state_file(path, thorough=False)  # `crawl` made the thorough check already
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = locks.Lock.acquire(path, StateBusyError)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit txns
            self._open = True
            # While a run holds it: a write-ahead log, synced at checkpoints, not at each of
            # the article's commits (which cost 1 ms of CPU and more of wall time an article).
            # A killed run loses nothing (the log is replayed at the next open); a power cut
            # may lose the last commits, never the file: emitted articles then count as not
            # exported, and are emitted again.
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except BaseException:
            self._lock.release()
            raise

    def _migrate(self) -> None:
        """Create the schema in a new file, or bring an older one of ours up to date, in one
        transaction."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone():
            version = SCHEMA_VERSION  # a new file: `SCHEMA` is already the latest
        steps = "".join(f"{MIGRATIONS[step]};\n" for step in range(version, SCHEMA_VERSION))
        self._db.executescript(
            f"BEGIN IMMEDIATE;\n{steps}{SCHEMA}\n"
            f"PRAGMA application_id = {APPLICATION_ID};\n"
            f"PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )

    def close(self) -> None:
        if self._open:
            self._open = False
            self._leave_wal()
            self._db.close()
        self._lock.release()

    def _leave_wal(self) -> None:
        """Back to one self-contained file between runs (the log checkpointed into it and
        removed): safe to copy for a backup, and read-only checks create nothing beside it."""
        try:
            self._db.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.OperationalError as error:
            # Another program has the file open (a reader): the log stays beside it, complete,
            # and the next run reads it.
            logger.info("state %s keeps its write-ahead log for now: %s", self.path, error)

    # Runs --------------------------------------------------------------------------------

    def begin_run(self, *, started_at: datetime) -> int:
        with self._transaction():
            # what earlier runs emitted but never delivered is simply emitted again
            self._db.execute("DELETE FROM pending")
            cursor = self._db.execute(
                "INSERT INTO runs (started_at) VALUES (?)",
                (started_at.isoformat(timespec="seconds"),),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def claim(self, sites: Sequence[str]) -> None:
        """Nothing to add: the file's lock, held since it was opened, covers every site."""

    def last_successful_start(self) -> datetime | None:
        rows = self._query(
            "SELECT max(started_at) FROM runs WHERE exit_status = 0 AND finished_at IS NOT NULL"
        )
        return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT summary FROM runs WHERE exit_status = 0 AND summary IS NOT NULL"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [json.loads(row[0]) for row in rows]

    # The connection ------------------------------------------------------------------------

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._db.execute(sql, parameters).fetchall()]

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, parameters).rowcount

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def ensure_free(path: Path) -> None:
    """Raise `StateBusyError` if another run holds the state file at `path`; creates nothing."""
    locks.ensure_free(path, StateBusyError)
