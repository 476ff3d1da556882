"""Text rules for Indonesian news copy: whitespace, datelines, captions, labels, end marks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# "Baca Juga" teasers between paragraphs: `Baca Juga:`, `Baca juga:`, `BACA JUGA :`; the
# `Simak/Lihat juga:` variants need their colon, since both also open ordinary sentences.
_RELATED_MARKER = re.compile(r"^(?:baca\s+juga\b\s*:?|(?:simak|lihat)\s+juga\s*:)", re.IGNORECASE)

# Lines of the article footer that some templates put inside the body container.
_LABELS = r"(?:editor|sumber|penulis|reporter|pewarta|halaman|tags?)"
_LABEL_LINE = re.compile(rf"^{_LABELS}\s*:", re.IGNORECASE)
_MAX_LABEL_LINE = 80

# A value ends where the next footer label starts: `Editor: Ryan Pratama Sumber: DW`.
_NEXT_LABEL = re.compile(rf"\s+{_LABELS}\s*:.*$", re.IGNORECASE)

# `GALAMEDIANEWS - `, `PIKIRAN RAKYAT – `: a short upper-case name and a dash opening the body.
# Without bold markup only upper-case names count, so `Jakarta - ...` prose is left alone.
_DASH = "-\u2013\u2014"
_CAPS_DATELINE = re.compile(rf"^(?P<name>[A-Z][A-Z0-9.,' ]{{1,40}}?)\s*[{_DASH}]\s+")
_MAX_DATELINE = 48

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")

# The end mark `***` (also `(***)`) closing the last paragraph, attached or spaced.
_END_MARK = re.compile(r"\s*\(?\*{3,}\)?$")

# Site chrome that is never article text: footer and menu labels, section menus, share buttons.
_CHROME_LABELS = frozenset(
    {
        "tentang kami", "redaksi", "pedoman media siber", "kontak", "kontak kami", "disclaimer",
        "kebijakan privasi", "privacy policy", "syarat dan ketentuan", "karir", "info iklan",
        "beranda", "home", "indeks", "indeks berita", "terkini", "terpopuler", "terkait",
        "berita terkait", "artikel pilihan", "kabar daerah", "rekomendasi", "populer",
        "trending", "video", "foto", "galeri", "menu", "cari", "search", "tags", "tag",
    }
)  # fmt: skip
_CHROME_WORDS = frozenset(
    {
        "facebook", "twitter", "instagram", "youtube", "tiktok", "whatsapp", "telegram",
        "linkedin", "line", "pinterest", "email", "x", "bagikan", "share", "salin", "copy",
        "link", "tautan", "ikuti", "kami", "di", "follow", "us", "google", "news",
    }
)  # fmt: skip
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\bhak cipta\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
# Chrome lines are short: a menu label, a row of share buttons, a copyright line.
_MAX_CHROME_LINE = 160
# A paragraph of prose: a sentence at least this long that is neither chrome nor a link list.
_MIN_PROSE_WORDS = 8


def normalize_space(text: str) -> str:
    """NFC, every Unicode space (NBSP included) to one plain space, trimmed."""
    # `str.split()` splits where `\s` matches (`str.isspace()`), and faster than a regex.
    return " ".join(unicodedata.normalize("NFC", text).split())


def is_related_marker(paragraph: str) -> bool:
    """True for a "Baca Juga" teaser paragraph (any spelling)."""
    return _RELATED_MARKER.match(paragraph) is not None


def is_label_line(paragraph: str) -> bool:
    """True for a short footer line such as `Editor: …`, `Sumber: …` or `Halaman: 1 2`."""
    return len(paragraph) <= _MAX_LABEL_LINE and _LABEL_LINE.match(paragraph) is not None


def label_value(text: str, label: str) -> str | None:
    """The value after `label:` in a footer line (`Editor: Ryan Pratama` → `Ryan Pratama`)."""
    match = re.match(rf"^\s*{re.escape(label)}\s*:\s*(.*)$", text, re.IGNORECASE | re.DOTALL)
    if match is None:
        return None
    value = normalize_space(_NEXT_LABEL.sub("", normalize_space(match[1])))
    return value or None


def split_dateline(paragraph: str, bold: str | None) -> tuple[str | None, str]:
    """Split the opening dateline off the first paragraph: `(dateline, rest)`.

    `bold` is the text of a bold element that opens the paragraph, if any: the CMS prints
    `<strong>GALAMEDIANEWS</strong> - …` and sometimes `<strong>PIKIRAN RAKYAT -</strong> …`;
    sibling sites use mixed-case names (`WartaBulukumba.Com`). Without bold markup, only an
    upper-case name followed by a dash is taken.
    """
    if bold:
        name = bold.rstrip(_DASH + " ")
        if name and len(name) <= _MAX_DATELINE and paragraph.startswith(name):
            rest = paragraph[len(name) :].lstrip()
            if rest[:1] and rest[0] in _DASH:
                return name, rest[1:].lstrip()
    match = _CAPS_DATELINE.match(paragraph)
    if match:
        return match["name"].strip(), paragraph[match.end() :]
    return None, paragraph


def split_caption(caption: str) -> tuple[str | None, str | None]:
    """Split an image caption into `(caption, credit)` at its first `/`.

    `… seperti batu/Alexander Shcherbak/TASS /IMAGO/DW /` gives
    `("… seperti batu", "Alexander Shcherbak/TASS /IMAGO/DW")`.
    """
    text, slash, credit = normalize_space(caption).partition("/")
    if not slash:
        return text or None, None
    return text.strip() or None, credit.rstrip("/ ").strip() or None


def strip_end_mark(paragraph: str) -> str:
    """Remove the `***` end mark closing a paragraph (the article's text, or the text before
    an update the editor appended after it)."""
    if not paragraph.rstrip().endswith(("*", "*)")):
        return paragraph  # most paragraphs: not worth the regex, which tries every position
    return _END_MARK.sub("", paragraph)


def word_count(text: str) -> int:
    """Words in `text`: space-separated tokens holding at least one letter or digit.

    Reduplicated words (`negara-negara`) count once; a lone `-` or `,` is not a word.
    """
    return sum(1 for token in text.split() if token.isalnum() or _LETTER_OR_DIGIT.search(token))


def is_chrome_line(paragraph: str) -> bool:
    """True for a line of the site's chrome: a menu or footer label (`Tentang Kami`), share
    buttons (`Facebook Twitter Instagram`) or a copyright line."""
    if len(paragraph) > _MAX_CHROME_LINE:  # prose: no need to look closer
        return False
    if _COPYRIGHT.search(paragraph):
        return True
    text = paragraph.lower().strip(" .:|-•·»›")
    if text in _CHROME_LABELS:
        return True
    words = _WORD.findall(text)
    return bool(words) and all(word in _CHROME_WORDS for word in words)


def chrome_reason(paragraphs: Sequence[str], linked: Sequence[bool]) -> str | None:
    """Why a body is the site's chrome rather than an article's text, or None.

    `linked` says per paragraph whether it is mostly link text. Chrome: no paragraph of prose
    (`_MIN_PROSE_WORDS` words, not a chrome line, not a link list), or less than half of the
    text in prose.
    """
    if not paragraphs:
        return None
    flags = list(linked) or [False] * len(paragraphs)
    prose = [
        paragraph
        for paragraph, is_linked in zip(paragraphs, flags, strict=True)
        if not is_linked and not is_chrome_line(paragraph)
    ]
    if not any(word_count(paragraph) >= _MIN_PROSE_WORDS for paragraph in prose):
        return f"no prose: {len(paragraphs) - len(prose)} of {len(paragraphs)} lines are chrome"
    if 2 * sum(map(len, prose)) < sum(map(len, paragraphs)):
        return "less than half of its text is prose: menus, link lists or footer lines"
    return None


def is_home_label(name: str) -> bool:
    """True for a breadcrumb's first link (`Home`, `Beranda`)."""
    return name.strip().lower() in ("home", "beranda", "halaman utama")


def split_keywords(value: object) -> list[str]:
    """schema.org `keywords`: a list of names or one comma-separated string."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list):
        parts = [item for item in value if isinstance(item, str)]
    else:
        parts = []
    return [name for name in map(normalize_space, parts) if name]
