"""The text rules: whitespace, datelines, captions, "Baca Juga", labels, end marks, words."""

from __future__ import annotations

import pytest

from galamedia.rules.text import (
    chrome_reason,
    is_chrome_line,
    is_label_line,
    is_related_marker,
    label_value,
    normalize_space,
    split_caption,
    split_dateline,
    split_keywords,
    strip_end_mark,
    word_count,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wang Yi  ke Moskow", "Wang Yi ke Moskow"),
        ("  trimmed\n\t ", "trimmed"),
        ("a\u00a0b", "a b"),  # NBSP
        ("a\u2009b\u202fc\u3000d", "a b c d"),  # thin, narrow no-break and ideographic spaces
        ("a\r\nb", "a b"),
        ("Wang Yi , seorang", "Wang Yi , seorang"),  # a space before a comma stays
        ("Cafe\u0301", "Caf\u00e9"),  # NFC
        ("", ""),
    ],
)
def test_normalize_space(raw: str, expected: str) -> None:
    assert normalize_space(raw) == expected


@pytest.mark.parametrize(
    ("paragraph", "bold", "expected"),
    [
        (
            "GALAMEDIANEWS - Wang Yi , seorang diplomat",
            "GALAMEDIANEWS",
            ("GALAMEDIANEWS", "Wang Yi , seorang diplomat"),
        ),
        # the dash inside the bold
        ("PIKIRAN RAKYAT - Harga naik", "PIKIRAN RAKYAT -", ("PIKIRAN RAKYAT", "Harga naik")),
        ("PRFMNEWS – Jalan ditutup", "PRFMNEWS", ("PRFMNEWS", "Jalan ditutup")),
        # mixed-case names of sibling sites need their bold
        (
            "WartaBulukumba.Com - Warga berkumpul",
            "WartaBulukumba.Com",
            ("WartaBulukumba.Com", "Warga berkumpul"),
        ),
        (
            "WartaBulukumba.Com - Warga berkumpul",
            None,
            (None, "WartaBulukumba.Com - Warga berkumpul"),
        ),
        # an upper-case name without bold markup
        ("GALAMEDIANEWS - Wang Yi datang", None, ("GALAMEDIANEWS", "Wang Yi datang")),
        # prose is not a dateline
        ("Jakarta - kota yang ramai", None, (None, "Jakarta - kota yang ramai")),
        ("Wang Yi datang ke Moskow", None, (None, "Wang Yi datang ke Moskow")),
        # a bold listicle heading without a dash is not a dateline
        ("1. Kawah Putih", "1. Kawah Putih", (None, "1. Kawah Putih")),
        ("Menurut dia, harga naik", "Menurut dia", (None, "Menurut dia, harga naik")),
    ],
)
def test_split_dateline(
    paragraph: str, bold: str | None, expected: tuple[str | None, str]
) -> None:
    assert split_dateline(paragraph, bold) == expected


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (
            "Kunjungan diplomat tinggi China seperti batu/Alexander Shcherbak/TASS /IMAGO/DW /",
            ("Kunjungan diplomat tinggi China seperti batu", "Alexander Shcherbak/TASS /IMAGO/DW"),
        ),
        (
            "Kunjungan diplomat tinggi China seperti batu/Alexander Shcherbak/TASS /IMAGO/DW",
            ("Kunjungan diplomat tinggi China seperti batu", "Alexander Shcherbak/TASS /IMAGO/DW"),
        ),
        ("Ilustrasi kucing / Pixabay", ("Ilustrasi kucing", "Pixabay")),
        ("Ilustrasi tanpa kredit", ("Ilustrasi tanpa kredit", None)),
        ("/Pixabay", (None, "Pixabay")),
        ("Ilustrasi//", ("Ilustrasi", None)),
        ("  ", (None, None)),
    ],
)
def test_split_caption(caption: str, expected: tuple[str | None, str | None]) -> None:
    assert split_caption(caption) == expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Baca Juga: 6 Cara Merawat Kucing", True),
        ("Baca juga: Harga emas", True),
        ("BACA JUGA : Harga emas", True),
        ("Baca Juga Harga emas", True),
        ("baca juga:Harga emas", True),
        ("Simak Juga: Video banjir", True),
        ("Lihat juga: Foto banjir", True),
        ("Lihat juga bagaimana warga bertahan", False),  # prose
        ("Warga diminta membaca juga aturan baru", False),
        ("Bacaan juga penting", False),
    ],
)
def test_is_related_marker(paragraph: str, expected: bool) -> None:
    assert is_related_marker(paragraph) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Editor: Ryan Pratama", True),
        ("Sumber: DW", True),
        ("Halaman: 1 2 3", True),
        ("Tags: China", True),
        ("Penulis : Tim Galamedia", True),
        ("Sumber: " + "kata " * 30, False),  # too long for a footer line
        ("Editor majalah itu datang", False),
        ("Kata sumber: harga naik", False),
    ],
)
def test_is_label_line(line: str, expected: bool) -> None:
    assert is_label_line(line) is expected


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("Editor: Ryan Pratama", "Editor", "Ryan Pratama"),
        ("Editor : Ryan  Pratama ", "Editor", "Ryan Pratama"),
        ("Editor: Ryan Pratama Sumber: DW", "Editor", "Ryan Pratama"),
        ("Sumber: DW", "Sumber", "DW"),
        ("Sumber: DW, Reuters", "Sumber", "DW, Reuters"),
        ("Editor:", "Editor", None),
        ("Sumber: DW", "Editor", None),
    ],
)
def test_label_value(text: str, label: str, expected: str | None) -> None:
    assert label_value(text, label) == expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("di Majelis Umum.***", "di Majelis Umum."),
        ("di Majelis Umum. ***", "di Majelis Umum."),
        ("di Majelis Umum. (***)", "di Majelis Umum."),
        ("***", ""),
        ("di Majelis Umum.", "di Majelis Umum."),
        ("bintang ** dua", "bintang ** dua"),
    ],
)
def test_strip_end_mark(paragraph: str, expected: str) -> None:
    assert strip_end_mark(paragraph) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wang Yi , seorang diplomat", 4),  # a lone comma is not a word
        ("negara-negara berkembang", 2),  # reduplication counts once
        ("Rp 2.000 - harga naik", 4),
        ("satu\n\ndua", 2),
        ("", 0),
    ],
)
def test_word_count(text: str, expected: int) -> None:
    assert word_count(text) == expected


PROSE = (
    "Wang Yi, seorang diplomat tinggi China, bertemu dengan kepala keamanan Rusia Nikolai "
    "Patrushev dalam kunjungannya ke Moskow."
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Tentang Kami", True),
        ("Pedoman Media Siber", True),
        ("Facebook Twitter Instagram", True),
        ("Bagikan: WhatsApp | Telegram", True),
        ("© 2023 Galamedia News - Pikiran Rakyat Media Network", True),
        ("Copyright 2023 PRMN", True),
        ("Terkini", True),
        (PROSE, False),
        ("Redaksi Galamedia menerima tulisan dari pembaca setiap hari kerja.", False),
        ("Kontak tembak terjadi di perbatasan", False),
        ("1. Nasi Goreng Kambing", False),  # a listicle heading
    ],
)
def test_chrome_lines(line: str, expected: bool) -> None:
    assert is_chrome_line(line) is expected


FOOTER = (
    "Tentang Kami",
    "Redaksi",
    "Pedoman Media Siber",
    "Kontak",
    "Disclaimer",
    "Facebook Twitter Instagram",
    "© 2023 Galamedia News - Pikiran Rakyat Media Network",
)


@pytest.mark.parametrize(
    ("paragraphs", "linked", "is_chrome"),
    [
        (FOOTER, (), True),  # the video page's footer, as it once became a body
        (("Nasional", "Internasional", "Bandung Raya", "Gaya Hidup"), (True,) * 4, True),
        (("Berita ini dan itu", "Judul lain di sini"), (True, True), True),  # teaser links
        ((PROSE, PROSE), (), False),
        ((PROSE, "Editor siap", "1. Sate Maranggi"), (), False),
        ((PROSE, *FOOTER, *FOOTER), (), True),  # less than half of it prose
        (("Singkat saja.",), (), True),  # not a sentence of prose anywhere
        ((), (), False),  # no body at all is another outcome (`no_body`)
    ],
)
def test_chrome_bodies(
    paragraphs: tuple[str, ...], linked: tuple[bool, ...], is_chrome: bool
) -> None:
    assert (chrome_reason(paragraphs, linked) is not None) is is_chrome


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Rusia", "China"], ["Rusia", "China"]),
        ("Rusia, China , Wang Yi", ["Rusia", "China", "Wang Yi"]),
        (["Rusia, China"], ["Rusia, China"]),  # a list keeps its names whole
        ("", []),
        (None, []),
        (7, []),
    ],
)
def test_keywords(value: object, expected: list[str]) -> None:
    assert split_keywords(value) == expected
