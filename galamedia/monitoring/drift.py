"""The drift canary: this run against the recent ones, to notice a site that changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any, Self

from scrapy.settings import BaseSettings

# Fields whose sudden absence on most items means the markup moved.
WATCHED_FIELDS = ("author", "image_url", "published_at")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a difference from the recent runs is worth a warning (settings `DRIFT_*`)."""

    history: int = 10
    """How many recent successful runs to compare with."""
    min_runs: int = 3
    """Fewer recent runs than this: no comparison yet."""
    rate_drop: float = 0.5
    """Warn when articles listed per day fall below this share of the usual."""
    field_min: float = 0.5
    """Warn when a field is filled on less than this share of items …"""
    field_drop: float = 0.3
    """… and that is this much less than usual."""
    min_items: int = 5
    """Field coverage is compared only on runs with at least this many items (field layers:
    this many articles parsed)."""
    failure_jump: float = 0.1
    """Warn when the share of failed articles rises this much above the usual."""
    fallback_rise: float = 0.5
    """Warn when the share of items whose field came from a fallback layer (not the known
    template's own) rises this much above the usual: the template has probably changed."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            history=settings.getint("DRIFT_HISTORY"),
            min_runs=settings.getint("DRIFT_MIN_RUNS"),
            rate_drop=settings.getfloat("DRIFT_RATE_DROP"),
            field_min=settings.getfloat("DRIFT_FIELD_MIN"),
            field_drop=settings.getfloat("DRIFT_FIELD_DROP"),
            min_items=settings.getint("DRIFT_MIN_ITEMS"),
            failure_jump=settings.getfloat("DRIFT_FAILURE_JUMP"),
            fallback_rise=settings.getfloat("DRIFT_FALLBACK_RISE"),
        )


def find_drift(
    current: Mapping[str, Any], recent: Sequence[Mapping[str, Any]], limits: Thresholds
) -> list[str]:
    """What in `current` departs from `recent` (run summaries with `rates` and `coverage`)."""
    usable = [run for run in recent if run.get("rates") and run.get("coverage") is not None]
    if len(usable) < limits.min_runs:
        return []
    found = []
    rates = current["rates"]
    usual_rate = median(run["rates"]["listed_per_day"] for run in usable)
    if usual_rate > 0 and rates["listed_per_day"] < limits.rate_drop * usual_rate:
        found.append(
            f"articles listed per day fell to {rates['listed_per_day']:.1f}"
            f" from a usual {usual_rate:.1f}: has the index changed?"
        )
    usual_failures = median(run["rates"]["failed_ratio"] for run in usable)
    if rates["failed_ratio"] > usual_failures + limits.failure_jump:
        found.append(
            f"{rates['failed_ratio']:.0%} of articles failed, usually {usual_failures:.0%}"
        )
    coverage = current["coverage"]
    parsed = (current.get("counts") or {}).get("articles_parsed", coverage.get("items", 0))
    if parsed >= limits.min_items and (
        risen := _fallbacks_risen(current.get("fallbacks") or {}, usable, limits)
    ):
        found.append(
            "fields served by fallbacks: "
            + ", ".join(f"{name} {share:.0%} (usual {usual:.0%})" for name, share, usual in risen)
            + ": has the article template changed?"
        )
    if coverage.get("items", 0) >= limits.min_items:
        for name in WATCHED_FIELDS:
            share = coverage.get(name, 0.0)
            history = [run["coverage"].get(name) for run in usable]
            usual = (
                median(value for value in history if value is not None)
                if any(value is not None for value in history)
                else None
            )
            if (
                usual is not None
                and share < limits.field_min
                and usual - share >= limits.field_drop
            ):
                found.append(
                    f"`{name}` is filled on {share:.0%} of items, usually {usual:.0%}:"
                    " has the article markup changed?"
                )
    return found


def _fallbacks_risen(
    shares: Mapping[str, float], recent: Sequence[Mapping[str, Any]], limits: Thresholds
) -> list[tuple[str, float, float]]:
    """The fields now served by fallbacks far more often than usual: (name, share, usual)."""
    risen = []
    for name, share in shares.items():
        history = [
            run["fallbacks"][name]
            for run in recent
            if isinstance(run.get("fallbacks"), dict) and name in run["fallbacks"]
        ]
        usual = median(history) if history else 0.0
        if share - usual >= limits.fallback_rise:
            risen.append((name, share, usual))
    return risen
