"""Shared fixtures: the local test site, the retry waits recorded instead of waited, and real
PostgreSQL and Redis servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import PostgresServer, ServerMissingError, postgres_server, redis_server
from tests.testsite import TestSite, standard_site


@pytest.fixture
def site() -> Iterator[TestSite]:
    with TestSite() as running:
        yield running


@pytest.fixture
def standard() -> Iterator[TestSite]:
    """The site built around the February 2023 window (see `standard_site`)."""
    with standard_site() as running:
        yield running


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each retry asked to wait (back-off, `Retry-After`), in order; the waits
    themselves return at once, so a test asserts on what was asked, not on a clock."""
    asked: list[float] = []

    async def pause(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr("galamedia.downloader.retry.pause", pause)
    monkeypatch.setattr("galamedia.downloader.integrity.pause", pause)
    return asked


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (`create_database()` gives a fresh database). Not
    installed: the test fails, saying what to install; it is never skipped."""
    try:
        with postgres_server() as server:
            yield server
    except ServerMissingError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url(postgres: PostgresServer) -> str:
    """A database of the session's PostgreSQL server, created for the session."""
    return postgres.create_database("session")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server for the session, persisting nothing: `redis://127.0.0.1:<port>/0`."""
    try:
        with redis_server() as url:
            yield url
    except ServerMissingError as error:
        pytest.fail(str(error), pytrace=False)
