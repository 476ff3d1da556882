"""The incremental state: one SQLite file remembering articles, exports and runs."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

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
    PRIMARY KEY (site, article_id)
);
CREATE TABLE IF NOT EXISTS pending (  -- emitted by a run, exported once its feed is written
    run_id INTEGER NOT NULL,
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
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

# The fields whose change makes an article worth exporting again.
HASHED_FIELDS = ("title", "body", "editor", "source", "tags", "image_url")


def content_hash(fields: Mapping[str, Any]) -> str:
    """A stable hash of what users care about in an article."""
    subset = {name: fields.get(name) for name in HASHED_FIELDS}
    payload = json.dumps(subset, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


class StateBusyError(RuntimeError):
    """Another run holds the state file."""


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the state knows of an article."""

    article_id: str
    published_at: str | None
    exported_hash: str | None
    revision: int

    @property
    def is_exported(self) -> bool:
        return self.exported_hash is not None


class StateStore:
    """The state file of one crawler: articles, pending exports and run history.

    One run at a time: the store holds an exclusive lock on `<path>.lock` while open, so a
    second run on the same file is refused with `StateBusyError` instead of corrupting it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _acquire_lock(_lock_path(path))
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit txns
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    # Articles ----------------------------------------------------------------------------

    def known(self, site: str, article_id: str) -> KnownArticle | None:
        row = self._db.execute(
            "SELECT article_id, published_at, exported_hash, revision FROM articles"
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
            if known is not None and known.exported_hash == digest:
                return None
            revision = (known.revision if known else 0) + 1
            self._db.execute(
                "INSERT OR REPLACE INTO pending (run_id, site, article_id, content_hash, revision)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, site, article_id, digest, revision),
            )
        return revision

    def confirm_exports(self, run_id: int, *, at: datetime) -> int:
        """The run's feed is written: its emitted articles now count as exported."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE articles SET exported_hash = p.content_hash, revision = p.revision,"
                " exported_at = ? FROM pending AS p"
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
    """Raise `StateBusyError` if another run holds the state file at `path`; touches nothing
    (no database, no lock file is created), so a bad command line leaves no trace."""
    lock = _lock_path(path)
    if lock.exists():
        _acquire_lock(lock, "r").close()


def _lock_path(path: Path) -> Path:
    return Path(f"{path}.lock")


def _acquire_lock(path: Path, mode: str = "a+") -> IO[str]:
    handle = path.open(mode, encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StateBusyError(
            f"{path.with_suffix('')} is in use by another run ({holder})"
        ) from None
    if mode == "r":
        return handle
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle
