"""Shared fixtures: the local test site."""

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
