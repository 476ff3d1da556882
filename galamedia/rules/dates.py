"""Indonesian news timestamps (WIB/WITA/WIT) to timezone-aware datetimes in WIB."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from dateparser.date import DateDataParser

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesia Time (Asia/Jakarta), the zone every normalised timestamp is given in."""

_ZONE_HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}
_ZONE_NAMES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "jan", "january"),
            ("februari", "feb", "pebruari", "peb", "february"),
            ("maret", "mar", "march"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("agustus", "agu", "agt", "agus", "ags", "aug", "august"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov", "nopember", "nop"),
            ("desember", "des", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}

# Labels that may precede a date; dateparser would choke on them and the fast path skips them.
_LABEL = re.compile(
    r"^(?:diperbarui|diperbaharui|diupdate|update[d]?|dipublikasikan|diterbitkan|terbit|"
    r"published|tanggal)\b\s*:?\s*",
    re.IGNORECASE,
)
# Punctuation around the site's date lines: `- 22 Februari 2023, 20:08 WIB`, `| 20:08`.
_EDGE_PUNCTUATION = " \t\r\n\u00a0-\u2013\u2014|:,"

# Every form the PRMN template prints, e.g. `22 Februari 2023, 20:08 WIB`,
# `Rabu, 22 Februari 2023 | 20:08 WIB`, `5 Nopember 2023, pukul 20.08 WIT`, `17 Agt 2024 10:00`.
_KNOWN_FORM = re.compile(
    r"""
    (?:(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad)\s*,?\s*)?
    (?P<day>\d{1,2})\s+(?P<month>[a-z]{3,9})\.?\s+(?P<year>\d{4})
    \s*[,|/\u2013\u2014-]?\s*(?:pukul\s+|jam\s+)?
    (?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?
    (?:\s*(?P<zone>WITA|WIB|WIT))?
    """,
    re.IGNORECASE | re.VERBOSE,
)

_ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]|$)")

# dateparser is only worth calling on short text that names a moment: a date with a time of day
# (`Senin (20/2/2023) pukul 10.00`, `kemarin, 13.45`) or a relative time (`2 jam yang lalu`).
# Anything else (a caption, `Halaman 2`, a bare `22 Februari 2023` or `20.08`) is rejected here
# at no cost rather than completed with an invented day or time.
_MAX_FALLBACK_LENGTH = 64
_RELATIVE = re.compile(r"\blalu\b|\bbaru saja\b", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_DAY = re.compile(
    r"\d{4}|\b\d{1,2}[/-]\d{1,2}\b|\bkemarin\b|\bhari ini\b|\b(?:"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
_ZONE = re.compile(r"\b(WITA|WIB|WIT)\b", re.IGNORECASE)
# `13.45` means 13:45 in Indonesian, but dateparser reads it as a number and drops the time.
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?![.\d])")

_DATEPARSER_SETTINGS: dict[str, Any] = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "past",
    "DATE_ORDER": "DMY",
}


def parse_date(text: str, *, now: datetime) -> datetime | None:
    """Parse one date text of the site into an aware datetime in WIB.

    Tries the ISO form of meta tags, then the site's known visible forms (a compiled pattern),
    then dateparser for anything else, including relative forms such as `2 jam yang lalu`,
    which are resolved against `now` (the fetch time). Returns None for text that is not a
    date, for impossible dates (`30 Februari`) and for dates without a time of day.
    """
    text = _LABEL.sub("", text.strip(_EDGE_PUNCTUATION)).strip(_EDGE_PUNCTUATION)
    if not text:
        return None
    # A text in a known form is parsed by its rule alone: an impossible `30 Februari` or
    # `2023-13-01` must give no date, not dateparser's guess at another reading.
    if known := _KNOWN_FORM.fullmatch(text):
        return _from_known_form(known)
    if _ISO_PREFIX.match(text):
        return parse_iso(text)
    return _parse_fallback(text, now=now)


def find_date_text(text: str) -> str | None:
    """The first date of the site's known visible forms inside a longer text, or None."""
    match = _KNOWN_FORM.search(text)
    return match[0] if match else None


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO 8601 date-time (meta tags, JSON-LD); a missing offset means WIB."""
    if not _ISO_PREFIX.match(text) or len(text) < 16:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=WIB)
    return parsed.astimezone(WIB)


def parse_period(text: str) -> tuple[datetime, datetime] | None:
    """A W3C datetime of a sitemap or feed as the span it names: `[start, end)` in WIB.

    `2023-02-22T20:08:00+07:00` is an instant (start == end); `2023-02-22` is that whole day
    in WIB; `2023-02` that month. None for anything else.
    """
    text = text.strip()
    if moment := parse_iso(text):
        return moment, moment
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if match is None:
        return None
    return day_span(int(match[1]), int(match[2]), int(match[3]) if match[3] else None)


def day_span(year: int, month: int, day: int | None) -> tuple[datetime, datetime] | None:
    """The WIB span of a day, or of a month when `day` is None; None if it is no real date."""
    try:
        start = datetime(year, month, day or 1, tzinfo=WIB)
    except ValueError:
        return None
    if day is not None:
        return start, start + timedelta(days=1)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=WIB)
    return start, following


def parse_rfc822(text: str) -> datetime | None:
    """An RSS `pubDate` (`Wed, 22 Feb 2023 20:08:00 +0700`) as an aware datetime in WIB."""
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    return moment.astimezone(WIB)


def to_iso(moment: datetime) -> str:
    """The contract's format: ISO 8601 in WIB, to the second (`2023-02-22T20:08:00+07:00`)."""
    return moment.astimezone(WIB).replace(microsecond=0).isoformat()


def _from_known_form(match: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    zone = timezone(timedelta(hours=_ZONE_HOURS[(match["zone"] or "WIB").upper()]))
    try:
        local = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:  # 30 Februari, 25:00: no date rather than a wrong one
        return None
    return local.astimezone(WIB)


def _parse_fallback(text: str, *, now: datetime) -> datetime | None:
    if len(text) > _MAX_FALLBACK_LENGTH or not (
        _RELATIVE.search(text) or (_TIME.search(text) and _DAY.search(text))
    ):
        return None
    zone_match = _ZONE.search(text)
    zone = zone_match[1].upper() if zone_match else "WIB"
    cleaned = _DOTTED_TIME.sub(r"\1:\2", _ZONE.sub(" ", text)).replace("|", " ")
    # Relative forms are resolved against the fetch time, seen as a wall clock in the text's zone.
    base = now.astimezone(timezone(timedelta(hours=_ZONE_HOURS[zone]))).replace(
        tzinfo=None, second=0, microsecond=0
    )
    parsed = _dateparser(zone, base).get_date_data(cleaned).date_obj
    if not isinstance(parsed, datetime):
        return None
    return parsed.astimezone(WIB)


@lru_cache(maxsize=64)
def _dateparser(zone: str, relative_base: datetime) -> DateDataParser:
    """The configured dateparser for one zone and fetch minute.

    dateparser fixes the time zone and the base of relative dates when a parser is built, so
    one parser serves every page fetched in the same minute.
    """
    return DateDataParser(
        languages=["id"],
        settings={
            **_DATEPARSER_SETTINGS,
            "TIMEZONE": _ZONE_NAMES[zone],
            "RELATIVE_BASE": relative_base,
        },
    )
