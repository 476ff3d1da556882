"""Real PostgreSQL and Redis servers for tests: each on a free loopback port, in a folder of its
own, stopped and removed whatever happens to the test."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import wait_until

STARTUP_SECONDS = 30
# A test server keeps nothing worth a sync: fast, and still a real PostgreSQL.
POSTGRES_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ServerMissingError(RuntimeError):
    """A server program is not installed: `str()` says which and how to install it."""


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_program(name: str) -> str:
    """`initdb` or `pg_ctl`: on PATH, else Debian's `/usr/lib/postgresql/<version>/bin`."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise ServerMissingError(
            f"{name} not found on PATH nor in /usr/lib/postgresql/*/bin: install PostgreSQL"
            " (apt-get install -y postgresql; .ci/run does it as root)"
        )
    return found


@dataclass
class PostgresServer:
    """A running PostgreSQL: superuser `postgres`, trusted on 127.0.0.1 without a password."""

    port: int
    folder: Path
    _databases: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new, empty database; its URL."""
        import psycopg  # noqa: PLC0415 (the `dist` extra: only tests that use the server need it)

        name = f"{prefix}_{next(self._databases)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')  # a name of ours, no user input
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """`initdb` and `pg_ctl start` in a temporary folder (as the `postgres` user when run as
    root, which PostgreSQL refuses to run as), listening on 127.0.0.1 only."""
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="galamedia-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerMissingError(
                "no postgres user to run PostgreSQL as: install PostgreSQL"
                " (apt-get install -y postgresql)"
            ) from None
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    started = False
    try:
        _run([*as_user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--no-sync"], folder)  # fmt: skip
        port = free_port()
        options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 {POSTGRES_OPTIONS}"
        _run([*as_user, pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-w",
              "-t", str(STARTUP_SECONDS), "-o", options, "start"], folder)  # fmt: skip
        started = True
        yield PostgresServer(port, folder)
    finally:
        if started:
            _run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], folder)
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], folder: Path) -> None:
    completed = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=60, check=False
    )
    if completed.returncode != 0:
        log = folder / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):"
            f" {completed.stdout}{completed.stderr}{tail}"
        )


@contextmanager
def redis_server() -> Iterator[str]:
    """`redis-server` on 127.0.0.1, persisting nothing; its URL (`redis://127.0.0.1:<port>/0`)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerMissingError(
            "redis-server not found on PATH: install it"
            " (apt-get install -y redis-server; .ci/run does it as root)"
        )
    folder = Path(tempfile.mkdtemp(prefix="galamedia-redis-"))
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--daemonize", "no"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(
            lambda: process.poll() is not None or _answers_ping(port),
            timeout=STARTUP_SECONDS,
            what=f"redis-server on port {port} answering PING",
        )
        if process.poll() is not None:
            raise RuntimeError(
                f"redis-server exited ({process.returncode}):"
                f" {(folder / 'server.log').read_text(errors='replace')[-2000:]}"
            )
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False
