"""The incremental state: one SQLite file remembering articles, exports and runs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from galamedia import locks

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

# The fields whose change makes an article worth exporting again: an edited date is a change.
HASHED_FIELDS = (
    "title", "body", "editor", "source", "tags", "image_url", "published_at", "updated_at",
)  # fmt: skip
HASH_VERSION = "v2"
"""Prefixed to each hash; the first release's hashes (no prefix) covered `_V1_FIELDS`."""
_V1_FIELDS = HASHED_FIELDS[:6]


def content_hash(fields: Mapping[str, Any]) -> str:
    """A stable hash of what users care about in an article."""
    return f"{HASH_VERSION}:{_digest(fields, HASHED_FIELDS)}"


def _digest(fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
    subset = {name: fields.get(name) for name in names}
    payload = json.dumps(subset, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def _unchanged_since_v1(known: KnownArticle, fields: Mapping[str, Any]) -> bool:
    """An export recorded by the first release (its hash without the dates) is unchanged if
    those fields hash the same and the date is the one the state holds."""
    return (
        known.exported_hash is not None
        and ":" not in known.exported_hash
        and known.exported_hash == _digest(fields, _V1_FIELDS)
        and known.published_at == fields.get("published_at")
    )


class StateBusyError(locks.BusyError):
    """Another run holds the state file."""


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


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the state knows of an article."""

    article_id: str
    published_at: str | None
    exported_hash: str | None
    revision: int
    removed_at: str | None

    @property
    def is_exported(self) -> bool:
        """Exported once, as an article; perhaps removed since."""
        return self.exported_hash is not None

    @property
    def is_removed(self) -> bool:
        """Its last export was its tombstone."""
        return self.removed_at is not None


class StateStore:
    """The state file of one crawler: articles, pending exports and run history.

    One run at a time: the store holds an exclusive lock on `<path>.lock` while open, so a
    second run on the same file is refused with `StateBusyError` instead of corrupting it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        check_state_file(path, thorough=False)  # `crawl` made the thorough check already
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = locks.Lock.acquire(path, StateBusyError)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit txns
            self._open = True
            self._db.row_factory = sqlite3.Row
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

    # Articles ----------------------------------------------------------------------------

    def known(self, site: str, article_id: str) -> KnownArticle | None:
        row = self._db.execute(
            "SELECT article_id, published_at, exported_hash, revision, removed_at FROM articles"
            " WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        return KnownArticle(**dict(row)) if row else None

    def fetched(self, *, run_id: int, fields: Mapping[str, Any], at: datetime) -> int | None:
        """Record a fetched article; the revision to export it as, or None if unchanged."""
        site, article_id = str(fields["site"]), str(fields["article_id"])
        digest = content_hash(fields)
        now = at.isoformat(timespec="seconds")
        known = self.known(site, article_id)
        with self._transaction():
            self._db.execute(
                "INSERT INTO articles (site, article_id, url, published_at, first_seen,"
                " last_fetched, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (site, article_id) DO UPDATE SET"
                " url = excluded.url, published_at = excluded.published_at,"
                " last_fetched = excluded.last_fetched, content_hash = excluded.content_hash",
                (site, article_id, fields["url"], fields.get("published_at"), now, now, digest),
            )
            # an article back after its tombstone is exported again, changed or not
            if known is not None and not known.is_removed:
                if _unchanged_since_v1(known, fields):
                    # the same export, its hash recomputed with today's fields
                    self._db.execute(
                        "UPDATE articles SET exported_hash = ? WHERE site = ? AND article_id = ?",
                        (digest, site, article_id),
                    )
                    return None
                if known.exported_hash == digest:
                    return None
            revision = (known.revision if known else 0) + 1
            self._pend(run_id, site, article_id, digest=digest, revision=revision)
        return revision

    def removed(self, *, run_id: int, fields: Mapping[str, Any]) -> int | None:
        """Record the tombstone of an exported article found gone; its revision, or None if
        the article was never exported, or its tombstone was exported already."""
        site, article_id = str(fields["site"]), str(fields["article_id"])
        with self._transaction():
            known = self.known(site, article_id)
            if known is None or known.exported_hash is None or known.is_removed:
                return None
            revision = known.revision + 1
            self._pend(
                run_id,
                site,
                article_id,
                digest=known.exported_hash,
                revision=revision,
                removed_at=str(fields["removed_at"]),
            )
        return revision

    def _pend(
        self,
        run_id: int,
        site: str,
        article_id: str,
        *,
        digest: str,
        revision: int,
        removed_at: str | None = None,
    ) -> None:
        """Emitted by this run: exported once its feed is written (`confirm_exports`)."""
        self._db.execute(
            "INSERT OR REPLACE INTO pending"
            " (run_id, site, article_id, content_hash, revision, removed_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, site, article_id, digest, revision, removed_at),
        )

    def confirm_exports(self, run_id: int, *, at: datetime) -> int:
        """The run's feed is written: its emitted articles and tombstones now count as
        exported (an article exported again is no longer removed)."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE articles SET exported_hash = p.content_hash, revision = p.revision,"
                " exported_at = ?, removed_at = p.removed_at FROM pending AS p"
                " WHERE p.run_id = ? AND p.site = articles.site"
                " AND p.article_id = articles.article_id",
                (at.isoformat(timespec="seconds"), run_id),
            )
            self._db.execute("DELETE FROM pending WHERE run_id = ?", (run_id,))
        return cursor.rowcount

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

    def finish_run(
        self,
        run_id: int,
        *,
        report: Mapping[str, Any],
        exit_status: int,
    ) -> None:
        window = report.get("window") or {}
        summary = {
            key: report.get(key)
            for key in ("counts", "rates", "coverage", "fallbacks", "problems")
        }
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET finished_at = ?, window_start = ?, window_end = ?,"
                " finish_reason = ?, exit_status = ?, duration_seconds = ?, summary = ?"
                " WHERE id = ?",
                (
                    report.get("finished_at"),
                    window.get("start"),
                    window.get("end"),
                    report.get("finish_reason"),
                    exit_status,
                    report.get("duration_seconds"),
                    json.dumps(summary, ensure_ascii=False),
                    run_id,
                ),
            )

    def last_successful_start(self) -> datetime | None:
        row = self._db.execute(
            "SELECT max(started_at) FROM runs WHERE exit_status = 0 AND finished_at IS NOT NULL"
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        """Summaries of the last successful runs, newest first."""
        rows = self._db.execute(
            "SELECT summary FROM runs WHERE exit_status = 0 AND summary IS NOT NULL"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [json.loads(row["summary"]) for row in rows]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def ensure_free(path: Path) -> None:
    """Raise `StateBusyError` if another run holds the state file at `path`; creates nothing."""
    locks.ensure_free(path, StateBusyError)
