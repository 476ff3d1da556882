"""Alternating timers: contenders measured in turns, in the same run, medians reported."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One timed call: CPU seconds of this process and wall seconds."""

    cpu: float
    wall: float


def rotations(names: list[str], repeats: int) -> list[list[str]]:
    """The order of each repeat: every contender goes first in turn."""
    return [names[r % len(names) :] + names[: r % len(names)] for r in range(repeats)]


def alternate(
    contenders: Mapping[str, Callable[[], Any]], repeats: int
) -> tuple[dict[str, list[Sample]], dict[str, Any]]:
    """Time each contender `repeats` times, alternating; returns samples and first results."""
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    first: dict[str, Any] = {}
    for order in rotations(list(contenders), repeats):
        for name in order:
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            result = contenders[name]()
            samples[name].append(Sample(time.process_time() - cpu, time.perf_counter() - wall))
            first.setdefault(name, result)
    return samples, first


def summary(values: list[float], scale: float = 1.0) -> dict[str, float]:
    """Median, min and max of `values` times `scale`, rounded for the report."""
    return {
        "median": round(statistics.median(values) * scale, 4),
        "min": round(min(values) * scale, 4),
        "max": round(max(values) * scale, 4),
        "n": len(values),
    }


def spread(values: list[float]) -> float:
    """(max - min) / median: the run-to-run noise of a measurement."""
    middle = statistics.median(values)
    return round((max(values) - min(values)) / middle, 3) if middle else 0.0
