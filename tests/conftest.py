"""Shared fixtures: the local test site, and the retry waits recorded instead of waited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
