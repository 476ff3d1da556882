"""The state in a PostgreSQL database (`STATE_URL`): crawls of many sites on many machines."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

from galamedia.incremental.store import StateBusyError, StateStore

if TYPE_CHECKING:
    import psycopg

# The tables of `SqliteStateStore` with the same columns and meanings (times as ISO 8601 text,
# summaries as JSON text), and two differences: a run is recorded once per site it crawls (its
# `id` shared), and the schema's version is a table of its own, PostgreSQL having no place for
# it such as SQLite's `user_version`.
SCHEMA = """
CREATE TABLE galamedia_schema (version integer NOT NULL);  -- one row: the schema's version
CREATE TABLE articles (
    site text NOT NULL,
    article_id text NOT NULL,
    url text NOT NULL,
    published_at text,
    first_seen text NOT NULL,
    last_fetched text NOT NULL,
    content_hash text NOT NULL,   -- of the last fetch
    exported_hash text,           -- of the last export; NULL: never exported
    revision integer NOT NULL DEFAULT 0,
    exported_at text,
    removed_at text,              -- the last export was its tombstone: gone since then
    PRIMARY KEY (site, article_id)
);
CREATE TABLE pending (            -- emitted by a run, exported once its feed is written
    run_id bigint NOT NULL,
    site text NOT NULL,
    article_id text NOT NULL,
    content_hash text NOT NULL,   -- a tombstone: that of the export it withdraws
    revision integer NOT NULL,
    removed_at text,              -- NULL: the article; set: its tombstone
    PRIMARY KEY (run_id, site, article_id)
);
CREATE SEQUENCE run_ids;
CREATE TABLE runs (               -- one row per run and site it crawled
    id bigint NOT NULL,
    site text NOT NULL,
    started_at text NOT NULL,
    finished_at text,
    window_start text,
    window_end text,
    finish_reason text,
    exit_status integer,
    duration_seconds double precision,
    summary text,                 -- JSON: counts by outcome, rates, field coverage
    PRIMARY KEY (id, site)
);
CREATE INDEX runs_by_site ON runs (site, id);
"""
SCHEMA_VERSION = 1
TABLES = ("articles", "pending", "runs", "run_ids")
MIGRATIONS: dict[int, str] = {}
"""The step from each older version to the next, run in one transaction by the first run
that opens the database (none yet: version 1 is the first)."""

CONNECT_TIMEOUT = 5
"""Seconds to wait for the server before giving up (libpq's `connect_timeout`)."""
SCHEMES = ("postgresql", "postgres")


class Keepalives(TypedDict):
    """libpq's keepalive options, typed for `psycopg.connect(**…)`."""

    keepalives: int
    keepalives_idle: int
    keepalives_interval: int
    keepalives_count: int


# A machine that dies without closing its connection must not hold its locks for the kernel's
# two hours: idle connections are probed after 10 s, by the client (libpq's options) and by the
# server, where the locks are held (so a silent client is dropped in about 30 s).
KEEPALIVES = Keepalives(
    keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3
)
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)
APPLICATION_NAME = "galamedia-crawler"
"""How a crawl's connection names itself (`pg_stat_activity`), with its pid and host: a crawl
refused for a busy site is told who holds it."""


class StateUrlError(ValueError):
    """A `STATE_URL` that cannot hold this crawler's state: `str()` is one line naming the
    database (without its password) and what to do."""


def lock_key(name: str) -> int:
    """The advisory-lock key of a site: 64 bits of its name's BLAKE2b, the same on every
    machine and every PostgreSQL version (unlike `hashtext`)."""
    digest = hashlib.blake2b(f"galamedia-crawler:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_SCHEMA_LOCK = lock_key(" schema")
"""Held while a run creates or migrates the tables: two crawls starting on a new database
at once would otherwise both create them. No site name starts with a space."""


def display_url(url: str) -> str:
    """`url` fit for a log line: no password, no query (which may hold one)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.netloc.rpartition('@')[2]}{parts.path}"


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection in autocommit mode (each transaction explicit), named after this crawl;
    `StateUrlError` if there is none to be had within `CONNECT_TIMEOUT` seconds."""
    if urlsplit(url).scheme not in SCHEMES:
        raise StateUrlError(
            f"{url!r} is not a postgresql:// URL (e.g. postgresql://crawler@db.example/galamedia)"
        )
    try:
        import psycopg  # noqa: PLC0415 (optional: the `dist` extra)
    except ModuleNotFoundError:
        raise StateUrlError(
            "the PostgreSQL state needs psycopg: pip install 'galamedia-crawler[dist]'"
        ) from None
    name = f"{APPLICATION_NAME} pid {os.getpid()} on {socket.gethostname()}"
    try:
        db = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=name[:63],
            **KEEPALIVES,
        )
    except psycopg.Error as error:
        reason = connection_error(error)
        raise StateUrlError(f"cannot connect to {display_url(url)}: {reason}") from None
    for setting in SERVER_KEEPALIVES:
        db.execute(setting)
    return db


def check_state_url(url: str, sites: Sequence[str]) -> None:
    """Raise `StateUrlError` unless `url` reaches a database that is, or can become, this
    crawler's state, and `StateBusyError` if another run holds one of `sites` there. Creates
    and writes nothing."""
    db = connect(url)
    try:
        _version(db, display_url(url))
        for site in sites:
            if not _try_lock(db, site):
                raise StateBusyError(_busy(db, site, display_url(url)))
            db.execute("SELECT pg_advisory_unlock(%s)", (lock_key(site),))
    finally:
        db.close()


def _version(db: psycopg.Connection[tuple[Any, ...]], location: str) -> int | None:
    """The version of our schema in the database, None if it has none of our tables;
    `StateUrlError` for another program's tables of our names, or a newer schema."""
    if _exists(db, "galamedia_schema"):
        row = db.execute("SELECT version FROM galamedia_schema").fetchone()
        if row is None:
            raise StateUrlError(
                f"{location}: galamedia_schema has lost its row: restore the database from a"
                " backup, or drop our tables to start afresh"
            )
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise StateUrlError(
                f"{location} was written by a newer version of the crawler (schema {version},"
                f" this one knows {SCHEMA_VERSION}): upgrade the crawler"
            )
        return version
    if clashing := [name for name in TABLES if _exists(db, name)]:
        raise StateUrlError(
            f"{location} holds another program's {', '.join(clashing)}: they are left"
            " untouched; give the crawler a database of its own"
        )
    return None


def _exists(db: psycopg.Connection[tuple[Any, ...]], name: str) -> bool:
    """Whether `name` is a table or sequence on the connection's search path."""
    row = db.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def _try_lock(db: psycopg.Connection[tuple[Any, ...]], site: str) -> bool:
    row = db.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(site),)).fetchone()
    return bool(row and row[0])


def _busy(db: psycopg.Connection[tuple[Any, ...]], site: str, location: str) -> str:
    """The line refusing a run whose site another run holds, naming that run."""
    # pg_locks shows a bigint key as its high and low 32 bits
    key = lock_key(site) & 0xFFFFFFFFFFFFFFFF
    row = db.execute(
        "SELECT l.pid, a.application_name FROM pg_locks AS l"
        " LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND l.classid::text::bigint = %s AND l.objid::text::bigint = %s",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone()
    if row is None:  # released in between: say so rather than guess
        holder = "which has just finished"
    elif str(row[1] or "").startswith(f"{APPLICATION_NAME} "):
        holder = str(row[1]).removeprefix(f"{APPLICATION_NAME} ")
    else:
        holder = f"PostgreSQL backend pid {row[0]}"
    return f"{site} is in use by another run ({holder}) in {location}"


def connection_error(error: Exception) -> str:
    """What went wrong, in one line, from a psycopg error."""
    lines = str(error).strip().splitlines()
    return lines[0].removeprefix("connection failed: ") if lines else type(error).__name__


class PostgresStateStore(StateStore):
    """The state of crawls on many machines, in one PostgreSQL database.

    Each site is held by one run at a time: `claim` takes the site's session-level advisory
    lock, which PostgreSQL releases when the run closes the store or its connection dies (a
    killed process, a lost machine), so nothing is left to clean up by hand. Runs are
    recorded per site, and a run's window and drift history come from its own sites' runs.
    """

    def __init__(self, url: str) -> None:
        self.location = display_url(url)
        self._db = connect(url)
        self._run: tuple[int, datetime] | None = None
        self._sites: tuple[str, ...] = ()
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _migrate(self) -> None:
        """Create the tables in a new database, or bring older ones of ours up to date, in
        one transaction that no other run does at the same time."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            version = _version(self._db, self.location)
            if version is None:
                self._db.execute(SCHEMA)  # already the latest
                self._db.execute(
                    "INSERT INTO galamedia_schema (version) VALUES (%s)", (SCHEMA_VERSION,)
                )
                return
            for step in range(version, SCHEMA_VERSION):
                self._db.execute(MIGRATIONS[step])
            self._db.execute("UPDATE galamedia_schema SET version = %s", (SCHEMA_VERSION,))

    def close(self) -> None:
        from psycopg import OperationalError  # noqa: PLC0415 (imported with the store's connection)

        if not self._db.closed:
            # Released now, not once the server has noticed the session is over: the next run
            # of the site may start the moment this one has closed. A lost connection has
            # lost its locks already.
            with suppress(OperationalError):
                self._db.execute("SELECT pg_advisory_unlock_all()")
        self._db.close()

    # Runs --------------------------------------------------------------------------------

    def begin_run(self, *, started_at: datetime) -> int:
        """The run's id; its rows are written once it claims its sites."""
        row = self._db.execute("SELECT nextval('run_ids')").fetchone()
        assert row is not None
        self._run = (int(row[0]), started_at)
        return self._run[0]

    def claim(self, sites: Sequence[str]) -> None:
        assert self._run is not None, "begin_run first"
        run_id, started_at = self._run
        taken: list[str] = []
        for site in sites:
            if not _try_lock(self._db, site):
                busy = _busy(self._db, site, self.location)
                for held in taken:
                    self._db.execute("SELECT pg_advisory_unlock(%s)", (lock_key(held),))
                raise StateBusyError(busy)
            taken.append(site)
        self._sites = tuple(sites)
        with self._transaction():
            # what earlier runs of these sites emitted but never delivered is emitted again
            self._execute(
                "DELETE FROM pending WHERE site = ANY(?) AND run_id <> ?", (list(sites), run_id)
            )
            self._execute(
                "INSERT INTO runs (id, site, started_at) SELECT ?, unnest(?::text[]), ?",
                (run_id, list(sites), started_at.isoformat(timespec="seconds")),
            )

    def last_successful_start(self) -> datetime | None:
        """The earliest of the claimed sites' last successful starts: None while one of
        them has none (its first run)."""
        rows = self._query(
            "SELECT site, max(started_at) FROM runs WHERE site = ANY(?)"
            " AND exit_status = 0 AND finished_at IS NOT NULL GROUP BY site",
            (list(self._sites),),
        )
        if not self._sites or len(rows) < len(self._sites):
            return None
        return min(datetime.fromisoformat(row[1]) for row in rows)

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        """Summaries of the last successful runs that crawled any of the claimed sites."""
        rows = self._query(
            "SELECT DISTINCT ON (id) id, summary FROM runs WHERE site = ANY(?)"
            " AND exit_status = 0 AND summary IS NOT NULL ORDER BY id DESC LIMIT ?",
            (list(self._sites), limit),
        )
        return [json.loads(row[1]) for row in rows]

    # The connection ------------------------------------------------------------------------

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql.replace("?", "%s"), parameters).fetchall()

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        return self._db.execute(sql.replace("?", "%s"), parameters).rowcount

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._db.transaction():
            yield
