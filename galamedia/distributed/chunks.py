"""A backfill's window cut into chunks: calendar days, weeks (Monday to Sunday) or months."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

SIZES = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Chunk:
    """Publication dates `since` to `until`, both inclusive (WIB calendar days), as the
    spider's `since` and `until` arguments take them."""

    since: date
    until: date


def split(since: date, until: date, size: str) -> list[Chunk]:
    """The window `since`…`until` (inclusive) in calendar-aligned chunks, oldest first; the
    first and last are cut at the window's ends (a week from Wednesday is a short week)."""
    if size not in SIZES:
        raise ValueError(f"chunk size {size!r} is not one of {', '.join(SIZES)}")
    return [Chunk(start, min(end, until)) for start, end in _periods(since, until, size)]


def _periods(since: date, until: date, size: str) -> Iterator[tuple[date, date]]:
    start = since
    while start <= until:
        if size == "day":
            end = start
        elif size == "week":
            end = start + timedelta(days=6 - start.weekday())
        else:
            following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = following - timedelta(days=1)
        yield start, end
        start = end + timedelta(days=1)
