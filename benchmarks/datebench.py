"""Dates: our normaliser against `dateparser.parse(text, languages=['id'])` on the site's forms.

Every string of the corpus has a known truth: the instant it names, or None (junk, a date without
a time of day, an impossible date). Each contender parses each string in a quiet loop; the
contenders alternate, and the median time per call over the repeats is kept.

dateparser returns naive datetimes unless the text names a zone it knows; a naive result is
read as WIB, the site's zone, which is the most favourable reading for it. Relative forms are
resolved against the same fetch time for both (`RELATIVE_BASE` for dateparser).
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import dateparser
from dateparser.date import DateDataParser

from benchmarks.clock import rotations
from benchmarks.pages import MONTH_VARIANTS, MONTHS, WEEKDAYS, ZONES, Writer
from galamedia.rules.dates import WIB, parse_date

NOW = datetime(2023, 2, 22, 14, 30, tzinfo=UTC)
"""The fetch time: Wednesday 22 February 2023, 21:30 WIB."""
NOW_WIB = NOW.astimezone(WIB)
_DATEPARSER_SETTINGS = {"RELATIVE_BASE": NOW_WIB.replace(tzinfo=None)}
_REUSED = DateDataParser(languages=["id"], settings=_DATEPARSER_SETTINGS)
KNOWN_KINDS = ("visible", "iso")


@dataclass(frozen=True)
class DateCase:
    text: str
    kind: str
    """`visible`, `iso`, `labelled`, `relative`, `no_time`, `impossible` or `junk`."""
    truth: datetime | None


def _zoned(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(timezone(timedelta(hours=ZONES[zone])))


def _visible(rng: random.Random, moment: datetime) -> DateCase:
    """One of the template's visible forms, at a random zone, spelling and separator."""
    zone = rng.choices(("WIB", "WITA", "WIT", ""), weights=(6, 2, 2, 1))[0]
    local = _zoned(moment, zone or "WIB")
    month = rng.choice((MONTHS[local.month - 1], *MONTH_VARIANTS[local.month]))
    clock = rng.choice((f"{local:%H:%M}", f"{local:%H.%M}", f"pukul {local:%H.%M}"))
    day = f"{local.day} {month} {local.year}"
    form = rng.randrange(4)
    if form == 0:
        text = f"- {day}, {clock}"
    elif form == 1:
        text = f"{day}, {clock}"  # AMP copies and listings: no dash
    elif form == 2:
        text = f"- {WEEKDAYS[local.weekday()]}, {day} | {clock}"
    else:
        text = f"{day} {clock}"
    return DateCase(f"{text} {zone}".strip(), "visible", local)


def corpus(visible: int, seed: int = 11) -> list[DateCase]:
    rng = random.Random(seed)
    first = datetime(2019, 1, 1, tzinfo=WIB)
    cases = [
        _visible(rng, first + timedelta(minutes=rng.randrange(3_600_000))) for _ in range(visible)
    ]
    specials = (
        ("- 22 Februari 2023, 20:08 WIB", datetime(2023, 2, 22, 20, 8, tzinfo=WIB)),
        ("- Rabu, 22 Februari 2023 | 20:08 WIB", datetime(2023, 2, 22, 20, 8, tzinfo=WIB)),
        ("17 Agt 2024 10:00", datetime(2024, 8, 17, 10, tzinfo=WIB)),
        ("5 Nopember 2023, pukul 20.08 WIT", datetime(2023, 11, 5, 20, 8, tzinfo=_tz("WIT"))),
        ("3 Okt 2023, 07:15 WITA", datetime(2023, 10, 3, 7, 15, tzinfo=_tz("WITA"))),
        ("24 Des 2023, 23.59 WIB", datetime(2023, 12, 24, 23, 59, tzinfo=WIB)),
    )
    cases += [DateCase(text, "visible", truth) for text, truth in specials]
    iso = [
        ("2023-02-22T20:08:00+07:00", datetime(2023, 2, 22, 20, 8, tzinfo=WIB)),
        ("2023-02-22T13:08:00+00:00", datetime(2023, 2, 22, 13, 8, tzinfo=UTC)),
        ("2023-02-22T13:08:00Z", datetime(2023, 2, 22, 13, 8, tzinfo=UTC)),
        ("2023-02-22T20:08:00", datetime(2023, 2, 22, 20, 8, tzinfo=WIB)),
        ("2023-02-22 20:08:00", datetime(2023, 2, 22, 20, 8, tzinfo=WIB)),
        ("2024-08-17T10:00:00.000+07:00", datetime(2024, 8, 17, 10, tzinfo=WIB)),
        ("2026-02-02T05:34:00+07:00", datetime(2026, 2, 2, 5, 34, tzinfo=WIB)),
        ("2023-11-05T20:08:00+09:00", datetime(2023, 11, 5, 20, 8, tzinfo=_tz("WIT"))),
    ]
    cases += [DateCase(text, "iso", truth) for text, truth in iso]
    at = datetime(2023, 2, 22, 20, 8, tzinfo=WIB)
    cases += [
        DateCase("Diperbarui: 22 Februari 2023, 20:08 WIB", "labelled", at),
        DateCase("Update: Rabu, 22 Februari 2023 | 20:08 WIB", "labelled", at),
        DateCase("Terbit: 22 Feb 2023 20.08", "labelled", at),
        DateCase("Dipublikasikan: 22 Februari 2023, pukul 20.08 WIB", "labelled", at),
    ]
    today = NOW_WIB.replace(second=0, microsecond=0)
    cases += [
        DateCase(text, "relative", truth)
        for text, truth in (
            ("2 jam yang lalu", today - timedelta(hours=2)),
            ("30 menit yang lalu", today - timedelta(minutes=30)),
            ("5 menit lalu", today - timedelta(minutes=5)),
            ("3 hari yang lalu", today - timedelta(days=3)),
            ("baru saja", today),
            ("kemarin, 13.45 WIB", today.replace(hour=13, minute=45) - timedelta(days=1)),
            ("kemarin 08:15", today.replace(hour=8, minute=15) - timedelta(days=1)),
            ("hari ini, 09:30 WIB", today.replace(hour=9, minute=30)),
            ("Senin (20/2/2023) pukul 10.00", datetime(2023, 2, 20, 10, tzinfo=WIB)),
            ("Selasa, 21/02/2023 19:30 WIB", datetime(2023, 2, 21, 19, 30, tzinfo=WIB)),
            ("21/02/2023 19:30 WITA", datetime(2023, 2, 21, 19, 30, tzinfo=_tz("WITA"))),
        )
    ]
    cases += [
        DateCase(text, "no_time", None)
        for text in ("22 Februari 2023", "Rabu, 22 Februari 2023", "Februari 2023", "22/02/2023")
    ]
    cases += [
        DateCase(text, "impossible", None)
        for text in (
            "30 Februari 2023, 10:00 WIB",
            "31 April 2023, 08:00 WIB",
            "22 Februari 2023, 25:10 WIB",
            "2023-13-01T10:00:00+07:00",
        )
    ]
    return cases + [DateCase(text, "junk", None) for text in _junk(rng)]


def _tz(zone: str) -> timezone:
    return timezone(timedelta(hours=ZONES[zone]))


def _junk(rng: random.Random) -> list[str]:
    writer = Writer(rng)
    paragraphs = [" ".join(writer.paragraph() for _ in range(n)) for n in (1, 2, 4, 8)]
    return [
        *paragraphs,
        "Wang Yi , seorang diplomat tinggi China bertemu dengan kepala keamanan Rusia Nikolai "
        "Patrushev dalam kunjungannya ke Moskow pada hari Selasa 21 Februari 2023.",
        "Kunjungan diplomat tinggi China Wang Yi ke Rusia bertemu dengan Kepala Keamanan Rusia "
        "Nikolai Patrushev/Alexander Shcherbak/TASS /IMAGO/DW /",
        "Curug Cimahi buka setiap hari mulai pukul 08.00 hingga 16.00 WIB.",
        "Harga tiket masuk Rp20.000 per orang",
        "Persib menang 2-1, laga dimulai pukul 19.30",
        "Skor 2-1 pada menit 45.30",
        "Baca Juga: 6 Cara Merawat Kucing Himalaya dengan Benar, Jangan Sampai Salah!",
        "Editor: Ryan Pratama",
        "Sumber: DW",
        "Halaman 2",
        "Halaman: 1 2 3 Selanjutnya",
        "GALAMEDIANEWS",
        "Tags",
        "Artikel Pilihan",
        "20.08",
        "1.200 personel",
        "",
        "   ",
        "-",
    ]


def ours(text: str) -> datetime | None:
    return parse_date(text, now=NOW)


def dateparser_parse(text: str) -> datetime | None:
    result = dateparser.parse(text, languages=["id"], settings=_DATEPARSER_SETTINGS)
    return _as_wib(result)


def dateparser_reused(text: str) -> datetime | None:
    """dateparser at its quickest: one `DateDataParser` built once and reused."""
    return _as_wib(_REUSED.get_date_data(text).date_obj)


def _as_wib(result: datetime | None) -> datetime | None:
    if result is None:
        return None
    return result.replace(tzinfo=WIB) if result.tzinfo is None else result


CONTENDERS: dict[str, Callable[[str], datetime | None]] = {
    "ours": ours,
    "dateparser.parse": dateparser_parse,
    "dateparser reused": dateparser_reused,
}


def _loops(name: str, kind: str) -> int:
    if name == "ours":
        return 40 if kind == "relative" else 300
    return 5


def _time_calls(function: Callable[[str], Any], text: str, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        function(text)
    return (time.perf_counter() - start) / loops


def _same(first: datetime | None, second: datetime | None) -> bool:
    return (
        first is not None
        and second is not None
        and first.replace(second=0, microsecond=0) == second.replace(second=0, microsecond=0)
    )


def _explain(case: DateCase, mine: datetime, theirs: datetime) -> str:
    gap = theirs - mine
    text = case.text
    if re.search(r"\bWITA?\b", text) and gap in (timedelta(hours=1), timedelta(hours=2)):
        return "dateparser ignored the WITA/WIT zone (read the time as WIB)"
    if re.search(r"\d[:.]\d\d", text) and (theirs.hour, theirs.minute) in (
        (0, 0),
        (NOW_WIB.hour, NOW_WIB.minute),
    ):
        return "dateparser dropped the time of day"
    if case.truth is not None and _same(mine, case.truth):
        return "dateparser is wrong"
    if case.truth is not None and _same(theirs, case.truth):
        return "ours is wrong"
    return "both differ from the truth"


def run(*, visible: int, repeats: int) -> dict[str, Any]:
    cases = corpus(visible)
    results = {
        name: [function(case.text) for case in cases] for name, function in CONTENDERS.items()
    }
    per_call: dict[str, list[list[float]]] = {name: [[] for _ in cases] for name in CONTENDERS}
    for order in rotations(list(CONTENDERS), repeats):
        for name in order:
            function = CONTENDERS[name]
            for index, case in enumerate(cases):
                per_call[name][index].append(
                    _time_calls(function, case.text, _loops(name, case.kind))
                )
    medians = {
        name: [statistics.median(times) for times in per_case]
        for name, per_case in per_call.items()
    }
    kinds = list(dict.fromkeys(case.kind for case in cases))
    by_kind = {kind: _kind_row(kind, cases, results, medians) for kind in kinds}
    known = [i for i, case in enumerate(cases) if case.kind in KNOWN_KINDS]
    ratios = [medians["dateparser.parse"][i] / medians["ours"][i] for i in known]
    junk = [medians["ours"][i] * 1e6 for i, case in enumerate(cases) if case.kind == "junk"]
    slowest_junk = max(
        (i for i, case in enumerate(cases) if case.kind == "junk"),
        key=lambda i: medians["ours"][i],
    )
    return {
        "strings": len(cases),
        "repeats": repeats,
        "now": NOW_WIB.isoformat(),
        "by_kind": by_kind,
        "known_forms": {
            "strings": len(known),
            "ours_us": round(statistics.median(medians["ours"][i] for i in known) * 1e6, 2),
            "dateparser_us": round(
                statistics.median(medians["dateparser.parse"][i] for i in known) * 1e6, 1
            ),
            "dateparser_reused_us": round(
                statistics.median(medians["dateparser reused"][i] for i in known) * 1e6, 1
            ),
            "times_faster_median": round(statistics.median(ratios), 1),
            "times_faster_min": round(min(ratios), 1),
            "times_faster_than_reused": round(
                statistics.median(
                    medians["dateparser reused"][i] / medians["ours"][i] for i in known
                ),
                1,
            ),
        },
        "junk": {
            "strings": len(junk),
            "ours_median_us": round(statistics.median(junk), 2),
            "ours_max_us": round(max(junk), 2),
            "slowest": cases[slowest_junk].text[:80],
            "slowest_chars": len(cases[slowest_junk].text),
            "longest_chars": max(len(case.text) for case in cases if case.kind == "junk"),
        },
        "agreement": _agreement(cases, results["ours"], results["dateparser.parse"]),
    }


def _kind_row(
    kind: str,
    cases: list[DateCase],
    results: dict[str, list[datetime | None]],
    medians: dict[str, list[float]],
) -> dict[str, Any]:
    chosen = [i for i, case in enumerate(cases) if case.kind == kind]
    row: dict[str, Any] = {"strings": len(chosen)}
    for name in ("ours", "dateparser.parse"):
        row[f"{name}_us"] = round(statistics.median(medians[name][i] for i in chosen) * 1e6, 2)
        right = sum(
            1
            for i in chosen
            if (cases[i].truth is None and results[name][i] is None)
            or _same(results[name][i], cases[i].truth)
        )
        row[f"{name}_right"] = right
    row["times_faster"] = round(row["dateparser.parse_us"] / row["ours_us"], 1)
    return row


def _agreement(
    cases: list[DateCase], mine: list[datetime | None], theirs: list[datetime | None]
) -> dict[str, Any]:
    both = [i for i in range(len(cases)) if mine[i] is not None and theirs[i] is not None]
    differ = [i for i in both if not _same(mine[i], theirs[i])]
    only_ours = [i for i in range(len(cases)) if mine[i] is not None and theirs[i] is None]
    only_theirs = [i for i in range(len(cases)) if mine[i] is None and theirs[i] is not None]

    def show(value: datetime | None) -> str | None:
        return value.astimezone(WIB).isoformat() if value else None

    def entry(i: int, why: str | None = None) -> dict[str, Any]:
        row = {
            "text": cases[i].text[:90],
            "kind": cases[i].kind,
            "truth": show(cases[i].truth),
            "ours": show(mine[i]),
            "dateparser": show(theirs[i]),
        }
        return row | ({"why": why} if why else {})

    return {
        "both_parse": len(both),
        "same_instant": len(both) - len(differ),
        "disagreements": [entry(i, _explain(cases[i], mine[i], theirs[i])) for i in differ],  # type: ignore[arg-type]
        "only_ours": [entry(i) for i in only_ours],
        "only_dateparser": [entry(i) for i in only_theirs],
    }
