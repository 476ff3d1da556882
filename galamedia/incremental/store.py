"""The incremental state's store: one interface, kept in a SQLite file or a PostgreSQL database."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from galamedia import locks

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
    """Another run holds the state file, or one of the crawl's sites in a shared state."""


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


class StateStore(ABC):
    """Articles (keyed by `site` and `article_id`), pending exports and run history.

    Two stores keep the same tables and answer the same way: `SqliteStateStore`, one file
    for one machine, and `PostgresStateStore`, one database for crawls on many machines. What
    articles do (revisions, tombstones, pending until their feed is written) is decided here,
    once, in SQL both databases run; each store opens, locks and keeps its runs its own way.
    """

    location: str
    """Where the state is, as the log and the summary name it (no password)."""

    # Opening, locking, runs: each store's own ----------------------------------------------

    @abstractmethod
    def begin_run(self, *, started_at: datetime) -> int:
        """A new run's id."""

    @abstractmethod
    def claim(self, sites: Sequence[str]) -> None:
        """The run crawls these sites (`site_of`): one run of a site at a time. Raises
        `StateBusyError`, naming the site and the holder, if another run has one of them."""

    @abstractmethod
    def last_successful_start(self) -> datetime | None:
        """When the last successful run (of the claimed sites) started."""

    @abstractmethod
    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        """Summaries of the last successful runs (of the claimed sites), newest first."""

    @abstractmethod
    def close(self) -> None:
        """Release the lock and the connection; idempotent."""

    @abstractmethod
    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows `sql` selects; `?` marks a parameter."""

    @abstractmethod
    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run `sql` (`?` marks a parameter); the number of rows it changed."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """One transaction, committed on leaving, rolled back on an exception."""

    # Articles: the same for every store ------------------------------------------------------

    def known(self, site: str, article_id: str) -> KnownArticle | None:
        rows = self._query(
            "SELECT article_id, published_at, exported_hash, revision, removed_at FROM articles"
            " WHERE site = ? AND article_id = ?",
            (site, article_id),
        )
        return KnownArticle(*rows[0]) if rows else None

    def fetched(self, *, run_id: int, fields: Mapping[str, Any], at: datetime) -> int | None:
        """Record a fetched article; the revision to export it as, or None if unchanged."""
        site, article_id = str(fields["site"]), str(fields["article_id"])
        digest = content_hash(fields)
        now = at.isoformat(timespec="seconds")
        known = self.known(site, article_id)
        with self._transaction():
            self._execute(
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
                    self._execute(
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
        self._execute(
            "INSERT INTO pending (run_id, site, article_id, content_hash, revision, removed_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, site, article_id) DO UPDATE SET"
            " content_hash = excluded.content_hash, revision = excluded.revision,"
            " removed_at = excluded.removed_at",
            (run_id, site, article_id, digest, revision, removed_at),
        )

    def confirm_exports(self, run_id: int, *, at: datetime) -> int:
        """The run's feed is written: its emitted articles and tombstones now count as
        exported (an article exported again is no longer removed)."""
        with self._transaction():
            count = self._execute(
                "UPDATE articles SET exported_hash = p.content_hash, revision = p.revision,"
                " exported_at = ?, removed_at = p.removed_at FROM pending AS p"
                " WHERE p.run_id = ? AND p.site = articles.site"
                " AND p.article_id = articles.article_id",
                (at.isoformat(timespec="seconds"), run_id),
            )
            self._execute("DELETE FROM pending WHERE run_id = ?", (run_id,))
        return count

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
            self._execute(
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
