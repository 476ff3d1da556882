"""The date rules: every form the site prints, WITA/WIT, relative forms and junk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from galamedia.rules.dates import find_date_text, parse_date, parse_iso, to_iso

# The fetch time that relative forms resolve against: 2023-02-22 21:30 WIB.
NOW = datetime(2023, 2, 22, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # article date line, classic layout
        ("- 22 Februari 2023, 20:08 WIB", "2023-02-22T20:08:00+07:00"),
        # weekday form
        ("- Rabu, 22 Februari 2023 | 20:08 WIB", "2023-02-22T20:08:00+07:00"),
        ("- Selasa, 24 Februari 2026 | 08:50 WIB", "2026-02-24T08:50:00+07:00"),
        ("Jum'at, 3 Maret 2023 | 07:00 WIB", "2023-03-03T07:00:00+07:00"),
        # AMP and listing form: no dash
        ("24 Maret 2024, 20:42 WIB", "2024-03-24T20:42:00+07:00"),
        ("2 Februari 2026, 05:34 WIB", "2026-02-02T05:34:00+07:00"),
        # dotted time, `pukul`, old spellings and abbreviations
        ("22 Februari 2023, 20.08 WIB", "2023-02-22T20:08:00+07:00"),
        ("5 Nopember 2023, pukul 20.08 WIB", "2023-11-05T20:08:00+07:00"),
        ("17 Agt 2024, 10:00 WIB", "2024-08-17T10:00:00+07:00"),
        ("17 Agu 2024 10:00 WIB", "2024-08-17T10:00:00+07:00"),
        ("1 Okt 2024, 23:59 WIB", "2024-10-01T23:59:00+07:00"),
        ("31 Des 2024, 23:59 WIB", "2024-12-31T23:59:00+07:00"),
        ("9 Pebruari 2020, 09:05 WIB", "2020-02-09T09:05:00+07:00"),
        ("22 februari 2023, 20:08 wib", "2023-02-22T20:08:00+07:00"),
        ("22 Februari 2023, 20:08:35 WIB", "2023-02-22T20:08:35+07:00"),
        # no zone: the site's own zone
        ("22 Februari 2023, 20:08", "2023-02-22T20:08:00+07:00"),
        # WITA is UTC+8, WIT is UTC+9: the same instant in WIB
        ("- 22 Februari 2023, 20:08 WITA", "2023-02-22T19:08:00+07:00"),
        ("- 22 Februari 2023, 20:08 WIT", "2023-02-22T18:08:00+07:00"),
        ("1 Januari 2024, 00:30 WITA", "2023-12-31T23:30:00+07:00"),
        # labels before the date
        ("Diperbarui: 22 Februari 2023, 21:00 WIB", "2023-02-22T21:00:00+07:00"),
        ("Update: 22 Februari 2023, 21:00 WIB", "2023-02-22T21:00:00+07:00"),
        # ISO from meta tags and JSON-LD
        ("2023-02-22T20:08:00+07:00", "2023-02-22T20:08:00+07:00"),
        ("2023-02-22T13:08:00Z", "2023-02-22T20:08:00+07:00"),
        ("2023-02-22T21:08:00+08:00", "2023-02-22T20:08:00+07:00"),
        ("2023-02-22 20:08:00", "2023-02-22T20:08:00+07:00"),
        ("2023-02-22T20:08:00.123+07:00", "2023-02-22T20:08:00+07:00"),
        # other forms, through dateparser
        ("Senin (20/2/2023) pukul 10.00 WIB", "2023-02-20T10:00:00+07:00"),
        ("Update: 22/02/2023 10:00 WITA", "2023-02-22T09:00:00+07:00"),
        # relative forms, against the fetch time
        ("2 jam yang lalu", "2023-02-22T19:30:00+07:00"),
        ("15 menit lalu", "2023-02-22T21:15:00+07:00"),
        ("kemarin, 13.45 WIB", "2023-02-21T13:45:00+07:00"),
        ("hari ini, 10:00 WIB", "2023-02-22T10:00:00+07:00"),
    ],
)
def test_dates_parse_to_wib(text: str, expected: str) -> None:
    parsed = parse_date(text, now=NOW)
    assert parsed is not None
    assert to_iso(parsed) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "30 Februari 2023, 10:00 WIB",  # impossible day
        "31 April 2023, 10:00 WIB",
        "22 Februari 2023, 25:00 WIB",  # impossible hour
        "22 Foo 2023, 10:00 WIB",  # no such month
        "22 Februari 2023",  # no time of day: not a publication time
        "kemarin",  # no time of day
        "20.08",  # no day
        "Halaman 2",
        "Editor: Ryan Pratama",
        "Wang Yi, seorang diplomat tinggi China bertemu dengan kepala keamanan Rusia " * 5,
        "2023-02-22",  # ISO date without time
        "2023-13-01T10:00:00+07:00",
        "Rp 2.000",
    ],
)
def test_non_dates_give_no_date(text: str) -> None:
    assert parse_date(text, now=NOW) is None


def test_find_date_text_picks_the_date_out_of_a_longer_line() -> None:
    assert find_date_text("Diposting 22 Februari 2023, 20:08 WIB oleh Redaksi") == (
        "22 Februari 2023, 20:08 WIB"
    )
    assert find_date_text("Tidak ada tanggal di sini") is None


def test_parse_iso_rejects_non_iso_text() -> None:
    assert parse_iso("22 Februari 2023, 20:08 WIB") is None
    assert parse_iso("2023-02-22T20:08:00+07:00") == datetime(2023, 2, 22, 13, 8, tzinfo=UTC)


def test_to_iso_is_wib_to_the_second() -> None:
    assert to_iso(datetime(2023, 2, 22, 13, 8, 1, 999, tzinfo=UTC)) == "2023-02-22T20:08:01+07:00"
