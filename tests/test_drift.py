"""The drift canary's rules, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from galamedia.monitoring.drift import Thresholds, find_drift


def run(listed: float = 100.0, failed: float = 0.02, **coverage: float) -> dict[str, Any]:
    filled = {"items": 50, "author": 0.9, "image_url": 0.95, "published_at": 1.0}
    return {
        "rates": {"listed_per_day": listed, "failed_ratio": failed},
        "coverage": {**filled, **coverage},
    }


USUAL = [run(), run(listed=90), run(listed=110)]


@pytest.mark.parametrize(
    ("current", "recent", "expected"),
    [
        (run(), USUAL, []),
        (run(listed=60), USUAL, []),  # lower, not sharply
        (run(listed=30), USUAL, ["articles listed per day fell to 30.0 from a usual 100.0"]),
        (run(author=0.0), USUAL, ["`author` is filled on 0% of items, usually 90%"]),
        (run(image_url=0.1), USUAL, ["`image_url` is filled on 10% of items, usually 95%"]),
        (run(published_at=0.2), USUAL, ["`published_at` is filled on 20% of items, usually 100%"]),
        (run(author=0.0, items=2), USUAL, []),  # too few items to judge
        (run(failed=0.3), USUAL, ["30% of articles failed, usually 2%"]),
        (run(failed=0.1), USUAL, []),
        (run(listed=0, author=0.0), USUAL[:2], []),  # not enough history yet
    ],
)
def test_drift_warnings(
    current: dict[str, Any], recent: list[dict[str, Any]], expected: list[str]
) -> None:
    found = find_drift(current, recent, Thresholds())
    assert len(found) == len(expected)
    for warning, start in zip(found, expected, strict=True):
        assert warning.startswith(start)


def layered(parsed: int = 50, **fallbacks: float) -> dict[str, Any]:
    """A run summary with the share of articles each field got from a fallback layer."""
    shares = {"title": 0.0, "body": 0.0, "published_at": 0.0, **fallbacks}
    return {**run(), "counts": {"articles_parsed": parsed}, "fallbacks": shares}


TEMPLATE_AS_USUAL = [layered(), layered(), layered(title=0.02)]


@pytest.mark.parametrize(
    ("current", "recent", "expected"),
    [
        (layered(), TEMPLATE_AS_USUAL, []),
        (layered(title=0.3), TEMPLATE_AS_USUAL, []),  # some pages differ: not a redesign
        (
            layered(title=1.0, body=1.0),
            TEMPLATE_AS_USUAL,
            ["fields served by fallbacks: title 100% (usual 0%), body 100% (usual 0%)"],
        ),
        (layered(parsed=2, title=1.0), TEMPLATE_AS_USUAL, []),  # too few articles to judge
        (layered(title=1.0), TEMPLATE_AS_USUAL[:2], []),  # not enough history yet
        # the site has been on another template for a while: that is its usual now
        (layered(title=1.0), [layered(title=1.0)] * 3, []),
        # runs from before the layers were recorded count as the template's own
        (layered(title=1.0), [run()] * 3, ["fields served by fallbacks: title 100% (usual 0%)"]),
    ],
)
def test_drift_warns_when_fields_move_to_fallback_layers(
    current: dict[str, Any], recent: list[dict[str, Any]], expected: list[str]
) -> None:
    found = find_drift(current, recent, Thresholds())
    assert len(found) == len(expected), found
    for warning, start in zip(found, expected, strict=True):
        assert warning.startswith(start)
