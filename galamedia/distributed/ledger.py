"""The chunks' book in PostgreSQL: what was submitted, what runs where, what is done.

It lives in the state's database (`GALAMEDIA_STATE_URL`), so `status` and `wait` answer the
same on every machine. The broker only carries chunk ids; every decision (is it done, may it
start, which chunk comes next) is taken here, in a transaction, so a message delivered twice
changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import psycopg
from psycopg.rows import dict_row

from galamedia.incremental import postgres

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS galamedia_batches (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,                      -- backfill, hourly
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    command JSONB NOT NULL                   -- what was asked, as given
);
CREATE TABLE IF NOT EXISTS galamedia_chunks (
    id BIGSERIAL PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES galamedia_batches (id),
    site TEXT NOT NULL,                      -- host, and port if any: 127.0.0.1:8001
    origin TEXT NOT NULL,                    -- the crawl's base_url
    position INTEGER NOT NULL,               -- order among the site's chunks of the batch
    since TEXT NOT NULL,                     -- the spider's since and until arguments
    until TEXT NOT NULL,
    feed_template TEXT NOT NULL,
    settings JSONB NOT NULL,                 -- NAME -> VALUE, given to every crawl
    state TEXT NOT NULL,                     -- see `STATES`
    attempts INTEGER NOT NULL DEFAULT 0,     -- crawls started (a dead worker's is redone)
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    feed TEXT,                               -- where the last attempt wrote its items
    articles INTEGER,                        -- items written (new or changed; tombstones)
    error TEXT,                              -- why it failed, or why it waits
    report JSONB,                            -- the crawl's run report
    UNIQUE (batch_id, site, position)
);
CREATE TABLE IF NOT EXISTS galamedia_attempts (
    chunk_id BIGINT NOT NULL REFERENCES galamedia_chunks (id),
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    ended_at TIMESTAMPTZ,                    -- NULL: running, or lost with its worker
    outcome TEXT,                            -- done, failed, or waiting (its site was busy)
    PRIMARY KEY (chunk_id, attempt)
);
CREATE INDEX IF NOT EXISTS galamedia_chunks_open ON galamedia_chunks (site)
    WHERE state IN ('waiting', 'queued', 'running');
"""

STATES = ("waiting", "queued", "running", "done", "failed", "skipped")
"""waiting: behind an earlier chunk of its site; queued: its message is with the broker;
running: a worker crawls it; done: crawled and its feed stored; failed: the crawl failed;
skipped: an hourly run of a site whose previous one was still going."""
OPEN = ("waiting", "queued", "running")
FINISHED = ("done", "failed", "skipped")

# Advisory lock keys (the two-int form: apart from the crawler's own one-bigint site locks).
_SCHEMA_LOCK = (0x47414C44, 0)
_CHUNK_LOCK = 0x47414C43
_SUBMIT_LOCK = (0x47414C44, 1)


class LedgerError(RuntimeError):
    """The database cannot be reached or used: `str()` is one line."""


@dataclass(frozen=True, slots=True)
class PlannedChunk:
    """One chunk to submit: a site and a window, with where its items go."""

    site: str
    origin: str
    since: str
    until: str


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A chunk as the book holds it."""

    id: int
    batch_id: int
    site: str
    origin: str
    position: int
    since: str
    until: str
    feed_template: str
    settings: dict[str, str]
    state: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    feed: str | None
    articles: int | None
    error: str | None

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "batch": self.batch_id,
            "since": self.since,
            "until": self.until,
            "state": self.state,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "feed": self.feed,
            "articles": self.articles,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Attempt:
    """One crawl of a chunk, on one worker."""

    attempt: int
    worker: str
    started_at: datetime
    ended_at: datetime | None
    """None while it runs, and for ever once its worker died under it."""
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": self.outcome,
        }


_COLUMNS = ", ".join(
    (
        "id",
        "batch_id",
        "site",
        "origin",
        "position",
        "since",
        "until",
        "feed_template",
        "settings",
        "state",
        "attempts",
        "started_at",
        "finished_at",
        "feed",
        "articles",
        "error",
    )
)


class Ledger:
    """One connection to the book. Open with `Ledger.open(url)`; close it (or use `with`)."""

    def __init__(self, connection: psycopg.Connection[dict[str, Any]]) -> None:
        self._db = connection

    @classmethod
    def open(cls, url: str) -> Self:
        try:
            connection = psycopg.connect(
                url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=postgres.CONNECT_TIMEOUT,
                application_name="galamedia-distributed",
                **postgres.KEEPALIVES,  # a chunk's lock goes with a vanished machine
            )
        except psycopg.Error as error:
            reason = postgres.connection_error(error)
            raise LedgerError(f"cannot connect to {postgres.display_url(url)}: {reason}") from None
        ledger = cls(connection)
        try:
            for setting in postgres.SERVER_KEEPALIVES:
                connection.execute(setting)
            ledger._create()
        except BaseException:
            connection.close()
            raise
        return ledger

    def _create(self) -> None:
        """The tables, made once whoever comes first (concurrent `CREATE … IF NOT EXISTS`
        can collide, hence the lock)."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _SCHEMA_LOCK)
            self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Submitting ---------------------------------------------------------------------------

    def submit(
        self,
        kind: str,
        command: Mapping[str, Any],
        chunks: Sequence[PlannedChunk],
        *,
        feed_template: str,
        settings: Mapping[str, str],
        send: Callable[[int], None],
    ) -> int:
        """Book a batch: each site's chunks in order, the first of each queued (`send` gives
        its id to the broker) and the others waiting for it. All or nothing: if a message
        cannot be sent, nothing is booked. The batch's id."""
        with self._db.transaction():
            batch = self._one(
                "INSERT INTO galamedia_batches (kind, command) VALUES (%s, %s) RETURNING id",
                (kind, json.dumps(command)),
            )["id"]
            positions: dict[str, int] = {}
            first: list[int] = []
            for chunk in chunks:
                position = positions[chunk.site] = positions.get(chunk.site, -1) + 1
                row = self._one(
                    "INSERT INTO galamedia_chunks (batch_id, site, origin, position, since,"
                    " until, feed_template, settings, state)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (
                        batch,
                        chunk.site,
                        chunk.origin,
                        position,
                        chunk.since,
                        chunk.until,
                        feed_template,
                        json.dumps(dict(settings)),
                        "queued" if position == 0 else "waiting",
                    ),
                )
                if position == 0:
                    first.append(row["id"])
            for chunk_id in first:
                send(chunk_id)
        return int(batch)

    def submit_hourly(
        self,
        command: Mapping[str, Any],
        chunks: Sequence[PlannedChunk],
        *,
        feed_template: str,
        settings: Mapping[str, str],
        send: Callable[[int], None],
    ) -> tuple[int, list[str]]:
        """Book an hourly run: one chunk per site, queued, unless the site's previous hourly
        chunk is still open; then it is booked as skipped. The batch and the skipped sites."""
        skipped: list[str] = []
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _SUBMIT_LOCK)
            busy = {
                row["site"]
                for row in self._db.execute(
                    "SELECT DISTINCT c.site FROM galamedia_chunks AS c"
                    " JOIN galamedia_batches AS b ON b.id = c.batch_id"
                    " WHERE b.kind = 'hourly' AND c.state IN ('waiting', 'queued', 'running')"
                ).fetchall()
            }
            batch = self._one(
                "INSERT INTO galamedia_batches (kind, command) VALUES ('hourly', %s) RETURNING id",
                (json.dumps(command),),
            )["id"]
            for chunk in chunks:
                state = "skipped" if chunk.site in busy else "queued"
                row = self._one(
                    "INSERT INTO galamedia_chunks (batch_id, site, origin, position, since,"
                    " until, feed_template, settings, state, error, finished_at)"
                    " VALUES (%s, %s, %s, 0, %s, %s, %s, %s, %s, %s,"
                    " CASE WHEN %s THEN now() END) RETURNING id",
                    (
                        batch,
                        chunk.site,
                        chunk.origin,
                        chunk.since,
                        chunk.until,
                        feed_template,
                        json.dumps(dict(settings)),
                        state,
                        "its previous hourly run was still going" if state == "skipped" else None,
                        state == "skipped",
                    ),
                )
                if state == "skipped":
                    skipped.append(chunk.site)
                else:
                    send(row["id"])
        return int(batch), skipped

    def last_hourly_start(self, site: str) -> datetime | None:
        """When the site's last successful hourly crawl started."""
        row = self._one(
            "SELECT max(c.started_at) AS started FROM galamedia_chunks AS c"
            " JOIN galamedia_batches AS b ON b.id = c.batch_id"
            " WHERE b.kind = 'hourly' AND c.site = %s AND c.state = 'done'",
            (site,),
        )
        started = row["started"]
        return started if isinstance(started, datetime) else None

    # Running ------------------------------------------------------------------------------

    def hold(self, chunk_id: int) -> bool:
        """Take the chunk's lock for this connection's life: False while another live worker
        holds it (a copy of a message redelivered while its first delivery still runs). A
        worker that dies drops its connection, and its lock with it."""
        row = self._one("SELECT pg_try_advisory_lock(%s, %s) AS held", _chunk_key(chunk_id))
        return bool(row["held"])

    def chunk(self, chunk_id: int) -> ChunkRow:
        rows = self._rows(f"SELECT {_COLUMNS} FROM galamedia_chunks WHERE id = %s", (chunk_id,))
        if not rows:  # a message for another database: nothing to retry
            raise LookupError(f"no chunk {chunk_id} in the book")
        return rows[0]

    def start(self, chunk_id: int, worker: str) -> ChunkRow:
        """Running, on `worker`: a new attempt (an attempt never ended was lost with its
        worker)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE galamedia_chunks SET state = 'running', attempts = attempts + 1,"
                " started_at = clock_timestamp(), finished_at = NULL, error = NULL"
                " WHERE id = %s",
                (chunk_id,),
            )
            self._db.execute(
                "INSERT INTO galamedia_attempts (chunk_id, attempt, worker)"
                " SELECT id, attempts, %s FROM galamedia_chunks WHERE id = %s",
                (worker, chunk_id),
            )
        return self.chunk(chunk_id)

    def wait_again(self, chunk_id: int, reason: str) -> None:
        """Back in the queue: its site is being crawled by another run."""
        with self._db.transaction():
            self._end_attempt(chunk_id, "waiting")
            self._db.execute(
                "UPDATE galamedia_chunks SET state = 'queued', error = %s WHERE id = %s",
                (reason, chunk_id),
            )

    def finish(
        self,
        chunk_id: int,
        *,
        ok: bool,
        feed: str,
        articles: int | None,
        error: str | None,
        report: Mapping[str, Any] | None,
    ) -> None:
        state = "done" if ok else "failed"
        with self._db.transaction():
            self._end_attempt(chunk_id, state)
            self._db.execute(
                "UPDATE galamedia_chunks SET state = %s, finished_at = clock_timestamp(),"
                " feed = %s, articles = %s, error = %s, report = %s WHERE id = %s",
                (
                    state,
                    feed,
                    articles,
                    error,
                    json.dumps(report) if report is not None else None,
                    chunk_id,
                ),
            )

    def _end_attempt(self, chunk_id: int, outcome: str) -> None:
        self._db.execute(
            "UPDATE galamedia_attempts SET ended_at = clock_timestamp(), outcome = %s"
            " WHERE chunk_id = %s AND attempt ="
            " (SELECT attempts FROM galamedia_chunks WHERE id = %s)",
            (outcome, chunk_id, chunk_id),
        )

    def release_next(self, chunk: ChunkRow, send: Callable[[int], None]) -> int | None:
        """Queue the site's next chunk of the batch, once however often this is asked (a
        redelivered message asks again); its id, or None if there was nothing to release."""
        with self._db.transaction():
            row = self._db.execute(
                "UPDATE galamedia_chunks SET state = 'queued' WHERE batch_id = %s AND site = %s"
                " AND position = %s AND state = 'waiting' RETURNING id",
                (chunk.batch_id, chunk.site, chunk.position + 1),
            ).fetchone()
            if row is None:
                return None
            send(int(row["id"]))  # inside the transaction: if it fails, the chunk still waits
        return int(row["id"])

    # Reading ------------------------------------------------------------------------------

    def chunks(self, batches: Iterable[int] | None = None) -> list[ChunkRow]:
        """Every chunk (of these batches), by site, then batch and position."""
        order = " ORDER BY site, batch_id, position"
        if batches is None:
            return self._rows(f"SELECT {_COLUMNS} FROM galamedia_chunks{order}")
        return self._rows(
            f"SELECT {_COLUMNS} FROM galamedia_chunks WHERE batch_id = ANY(%s){order}",
            (list(batches),),
        )

    def attempts(self, chunk_ids: Iterable[int]) -> dict[int, list[Attempt]]:
        """Each chunk's attempts, in order."""
        found: dict[int, list[Attempt]] = {}
        rows = self._db.execute(
            "SELECT chunk_id, attempt, worker, started_at, ended_at, outcome"
            " FROM galamedia_attempts WHERE chunk_id = ANY(%s) ORDER BY chunk_id, attempt",
            (list(chunk_ids),),
        ).fetchall()
        for row in rows:
            found.setdefault(int(row.pop("chunk_id")), []).append(Attempt(**row))
        return found

    def open_batches(self) -> list[int]:
        """Batches with a chunk not finished yet."""
        rows = self._db.execute(
            "SELECT DISTINCT batch_id FROM galamedia_chunks"
            " WHERE state IN ('waiting', 'queued', 'running') ORDER BY batch_id"
        ).fetchall()
        return [int(row["batch_id"]) for row in rows]

    def latest_batch(self) -> int | None:
        row = self._one("SELECT max(id) AS id FROM galamedia_batches")
        return int(row["id"]) if row["id"] is not None else None

    def batches_exist(self, batches: Iterable[int]) -> list[int]:
        rows = self._db.execute(
            "SELECT id FROM galamedia_batches WHERE id = ANY(%s)", (list(batches),)
        ).fetchall()
        return [int(row["id"]) for row in rows]

    def _one(self, query: str, parameters: Sequence[Any] = ()) -> dict[str, Any]:
        row = self._db.execute(query, parameters).fetchone()
        assert row is not None
        return row

    def _rows(self, query: str, parameters: Sequence[Any] = ()) -> list[ChunkRow]:
        return [ChunkRow(**row) for row in self._db.execute(query, parameters).fetchall()]


def _chunk_key(chunk_id: int) -> tuple[int, int]:
    return _CHUNK_LOCK, chunk_id % 2**31
