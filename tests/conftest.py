"""Shared fixtures: the local test site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.testsite import TestSite


@pytest.fixture
def site() -> Iterator[TestSite]:
    with TestSite() as running:
        yield running
