"""Articles in the "drifted" template, generated from a seed with their known truth.

The drifted template is a redesign that keeps none of PRMN's `read__*`, `photo__*`,
`paging__*`, `tag__*` or `breadcrumb__*` classes: only plain semantic HTML5 (`<article>`,
`<header>`, `<time>`, `<figure>`, `<nav>`, `<footer>`) and schema.org (JSON-LD, `itemprop`).
Each article shows every field in at least one generic layer, and which layers are present
varies from article to article (`DriftedArticle.shown_in` names them), so a crawl of a few
hundred of them exercises every layer. No network, no clock: the same seed gives the same
articles and the same bytes.

    articles = generate(200, seed=SEED)
    pages = routes(articles[0], "http://127.0.0.1:8000")   # path (with its query) -> HTML
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from galamedia.rules.dates import WIB
from tests.helpers import WINDOW_END, WINDOW_START

SEED = 20230222
DATELINE = "GALAMEDIANEWS"

KANALS = (
    ("nasional", "Nasional"),
    ("internasional", "Internasional"),
    ("bandung-raya", "Bandung Raya"),
    ("jabar", "Jabar"),
    ("gaya-hidup", "Gaya Hidup"),
    ("olahraga", "Olahraga"),
    ("pariwisata", "Pariwisata"),
    ("citizen-report", "Citizen Report"),
)
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

# What the articles are made of: Indonesian-looking copy, names and credits.
_SUBJECTS = (
    "Pemkot Bandung", "Dinas Perhubungan", "Polda Jabar", "Persib Bandung", "BMKG",
    "Gubernur Jawa Barat", "DPRD Kota Bandung", "Disdik Jabar", "Kemenkes", "PT KAI",
    "Timnas Indonesia", "Pedagang Pasar Caringin", "Mahasiswa ITB", "Warga Dayeuhkolot",
    "Pemkab Garut",
)  # fmt: skip
_VERBS = (
    "Siapkan", "Umumkan", "Tegaskan", "Tinjau", "Resmikan", "Tunda", "Perluas", "Evaluasi",
    "Luncurkan", "Bahas",
)  # fmt: skip
_OBJECTS = (
    "Program Sekolah Gratis", "Jalur Alternatif Mudik", "Jadwal Car Free Day",
    "Bantuan Sosial Tahap 2", "Layanan Bus Listrik", "Pembangunan Jalan Tol",
    "Festival Kuliner Braga", "Vaksinasi Lanjutan", "Revitalisasi Pasar",
    "Uji Coba Ganjil Genap", "Seleksi Pemain Muda", "Normalisasi Sungai Citarum",
)  # fmt: skip
_TAILS = (
    "Ini Jadwalnya", "Warga Diminta Waspada", "Simak Rinciannya", "Begini Kata Pengamat",
    "Ribuan Warga Antusias", "Target Rampung Tahun Ini", "Cek Syaratnya",
)  # fmt: skip
_WORDS = (
    "warga", "pemerintah", "kota", "kabupaten", "program", "layanan", "jalan", "pasar",
    "sekolah", "petugas", "kegiatan", "masyarakat", "wilayah", "kawasan", "daerah", "bantuan",
    "rencana", "kebijakan", "tahun", "bulan", "pekan", "hari", "pagi", "sore", "malam",
    "dinas", "kepala", "anggota", "tim", "pihak", "lokasi", "kondisi", "jumlah", "data",
    "hasil", "proses", "pembangunan", "perbaikan", "pengawasan", "pelaksanaan", "kendaraan",
    "penumpang", "pedagang", "siswa", "guru", "pemain", "pelatih", "laga", "stadion",
    "banjir", "hujan", "cuaca", "sungai", "jembatan", "terminal", "halte", "rumah", "harga",
    "beras", "minyak", "anggaran", "biaya", "gratis", "baru", "lama", "besar", "kecil",
    "cepat", "lambat", "ramai", "sepi", "sejumlah", "beberapa", "seluruh", "para", "akan",
    "telah", "sudah", "masih", "belum", "sedang", "dapat", "harus", "bisa", "ingin", "terus",
    "kembali", "mulai", "hingga", "sejak", "sekitar", "lebih", "kurang", "setiap", "dengan",
    "untuk", "dari", "pada", "dalam", "oleh", "bagi", "tentang", "terhadap", "menurut",
    "menjadi", "memiliki", "melakukan", "memberikan", "menyebutkan", "mengatakan",
    "menjelaskan", "meminta", "menyiapkan", "meninjau", "mengimbau", "menambahkan",
    "berharap", "berencana", "berlangsung", "diperkirakan", "dilaksanakan", "disiapkan",
    "negara-negara", "sehari-hari", "kota-kota", "12", "20", "2023", "Rp5", "juta", "persen",
)  # fmt: skip
_PLACES = (
    "Kota Bandung", "Jawa Barat", "Dayeuhkolot", "Gedebage", "Soreang", "Cimahi", "Lembang",
    "Kabupaten Garut", "Jalan Soekarno-Hatta", "Alun-alun Bandung",
)  # fmt: skip
_TERMS = ("smart city", "online", "flyover", "car free day", "e-ticket", "check point")
_PEOPLE = (
    "Hendra Gunawan", "Siti Rahmawati", "Fikri Ramadhan", "Dewi Kurniasih", "Ryan Pratama",
    "Rizki Fauzan", "Nurul Hidayah", "Agus Setiawan", "Lina Marlina", "Yusuf Maulana",
    "Tri Wahyuni", "Bayu Saputra", "Anisa Putri", "Dedi Supriadi",
)  # fmt: skip
_SOURCES = ("Antara", "DW", "Humas Pemkot Bandung", "Berbagai Sumber", "PMJ News", "Kemenkes")
_TAGS = (
    "Kota Bandung", "Persib", "Jawa Barat", "Bansos", "Cuaca Ekstrem", "Mudik Lebaran",
    "Kuliner", "Pendidikan", "Transportasi", "Kesehatan", "Wisata Bandung", "Timnas",
)  # fmt: skip
_CAPTIONS = (
    "Suasana {place} pada pagi hari", "Petugas memeriksa kendaraan di {place}",
    "Ilustrasi warga beraktivitas di {place}", "Warga mengantre bantuan di {place}",
    "Pemandangan {place} dari udara",
)  # fmt: skip
_CREDITS = (
    "Foto: Dok. Humas", "Galamedia/{person}", "Antara/Raisan Al Farisi", "Dok. Pemkot Bandung",
    "Instagram @humas_bdg", "Freepik",
)  # fmt: skip
RELATED_LABELS = ("Baca Juga:", "Baca juga:", "BACA JUGA :")
ALL_PAGES_LABELS = ("Lihat Semua", "Tampilkan semua")
_TRACKING = "?utm_source=related&utm_medium=baca_juga"
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


# The truth -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph: its text as the item's body holds it, and its inner HTML."""

    text: str
    html: str


@dataclass(frozen=True)
class Teaser:
    """A "Baca Juga" paragraph between body paragraphs."""

    path: str
    title: str
    label: str
    """`Baca Juga:`, `Baca juga:` or `BACA JUGA :`."""
    href: str
    """`absolute`, `relative` or `tracked` (absolute with utm parameters)."""
    bold_link: bool
    """The link inside the `<strong>` with its label, or after it."""


@dataclass(frozen=True)
class Ad:
    """An ad slot between paragraphs (`div.iklan`), with a visible label or only a script."""

    labelled: bool


Block = Paragraph | Teaser | Ad


@dataclass(frozen=True)
class Layers:
    """Where one article's pages show its fields: the generic layers the generator chose."""

    og_title: bool
    og_image: bool
    meta_published: bool
    meta_modified: bool
    meta_author: bool
    meta_tags: bool
    jsonld: bool
    """A JSON-LD `NewsArticle`; the `jsonld_*` fields say what it holds."""
    jsonld_headline: bool
    jsonld_published: bool
    jsonld_modified: bool
    jsonld_author: str | None
    """`object`, `list` (of Person objects) or None."""
    jsonld_section: bool
    jsonld_keywords: str | None
    """`list`, `string` (`"A, B"`) or None."""
    jsonld_image: str | None
    """`object` (ImageObject), `string` or None."""
    jsonld_breadcrumb: bool
    nav_breadcrumb: bool
    byline: bool
    time_datetime: bool
    """The visible `<time>` has a `datetime` attribute (it always has its text)."""
    weekday_date: bool
    """`Rabu, 22 Februari 2023 | 20:08 WIB` rather than `22 Februari 2023, 20:08 WIB`."""
    updated_line: bool
    figure: bool
    lazy_img: bool
    """`loading="lazy"` on the lead `<img>` (the real URL stays in `src`)."""
    article_body_div: bool
    """The paragraphs sit in `div[itemprop=articleBody]`, else directly in the `<article>`."""
    footer_tags: bool
    editor_source_one_line: bool
    """`<p>Editor: X<br>Sumber: Y</p>` rather than one `<p>` each."""
    dateline_dash_in_bold: bool
    """`<strong>GALAMEDIANEWS -</strong> …` rather than `<strong>GALAMEDIANEWS</strong> - …`."""
    end_mark: str
    """`***` attached to the last paragraph, ` ***` spaced, or `` none."""
    absolute_page_links: bool
    all_pages_label: str
    all_view_is_page_one: bool
    """A split article whose server ignores `?page=all` and answers page 1."""
    all_view_nav: bool
    """The `?page=all` view keeps a page nav (numbers only, no next page)."""


@dataclass(frozen=True)
class Recent:
    """A link in the page's "Terkini" sidebar: another article, with its own date."""

    path: str
    title: str
    published_at: datetime


@dataclass(frozen=True)
class DriftedArticle:
    """One generated article: its truth, and how its pages show it."""

    article_id: str
    kanal: str
    kanal_name: str
    slug: str
    title: str
    published_at: datetime
    updated_at: datetime | None
    author: str
    author_number: int
    editor: str
    source: str | None
    tags: tuple[str, ...]
    image_url: str
    image_caption: str | None
    image_credit: str | None
    dateline: str
    paragraphs: tuple[str, ...]
    related_paths: tuple[str, ...]
    """The "Baca Juga" targets, as paths on the site's origin, in page order."""
    pages: tuple[tuple[Block, ...], ...]
    """Each page's body, in order: paragraphs, teasers and ads."""
    layers: Layers
    recent: tuple[Recent, ...]

    @property
    def path(self) -> str:
        return f"/{self.kanal}/pr-{self.article_id}/{self.slug}"

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(1 for token in self.body.split() if _LETTER_OR_DIGIT.search(token))

    def expected(self, origin: str) -> dict[str, Any]:
        """The item fields the crawl must produce when the site is served at `origin`
        (`galamedia/items.py`); the raw-text fields and `crawled_at` are left out."""
        return {
            "url": origin + self.path,
            "article_id": self.article_id,
            "site": urlsplit(origin).netloc,  # a local copy: host and port
            "title": self.title,
            "published_at": self.published_at.isoformat(),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "author": self.author,
            "editor": self.editor,
            "source": self.source,
            "category": self.kanal_name,
            "category_slug": self.kanal,
            "tags": list(self.tags),
            "image_url": self.image_url,
            "image_caption": self.image_caption,
            "image_credit": self.image_credit,
            "dateline": self.dateline,
            "body": self.body,
            "related_urls": [origin + path for path in self.related_paths],
            "page_count": self.page_count,
            "word_count": self.word_count,
            "language": "id",
        }

    def shown_in(self) -> dict[str, tuple[str, ...]]:
        """For each field with a value, the layers of the page that show it (never empty);
        a field without a value (no update, no source, no caption) shows in none."""
        lay = self.layers
        return {
            "title": _named(
                ("h1", True), ("og:title", lay.og_title), ("JSON-LD headline", lay.jsonld_headline)
            ),
            "published_at": _named(
                ("<time> text", True),
                ("<time datetime>", lay.time_datetime),
                ("article:published_time", lay.meta_published),
                ("JSON-LD datePublished", lay.jsonld_published),
            ),
            "updated_at": _named(
                ("Diperbarui line", lay.updated_line),
                ("article:modified_time", lay.meta_modified),
                ("JSON-LD dateModified", lay.jsonld_modified),
            ),
            "author": _named(
                ("byline a[rel=author]", lay.byline),
                ("meta author", lay.meta_author),
                (f"JSON-LD author ({lay.jsonld_author})", bool(lay.jsonld_author)),
            ),
            "editor": _named(("footer Editor: line", True)),
            "source": _named(("footer Sumber: line", self.source is not None)),
            "category": _named(
                ("nav[aria-label=breadcrumb]", lay.nav_breadcrumb),
                ("JSON-LD BreadcrumbList", lay.jsonld_breadcrumb),
                ("JSON-LD articleSection", lay.jsonld_section),
            ),
            "tags": _named(
                ("footer a[rel=tag]", lay.footer_tags),
                ("article:tag", lay.meta_tags),
                (f"JSON-LD keywords ({lay.jsonld_keywords})", bool(lay.jsonld_keywords)),
            )
            if self.tags
            else (),
            "image_url": _named(
                ("<figure> img", lay.figure),
                ("og:image", lay.og_image),
                (f"JSON-LD image ({lay.jsonld_image})", bool(lay.jsonld_image)),
            ),
            "image_caption": _named(("<figcaption>", self.image_caption is not None)),
            "image_credit": _named(("<figcaption> after /", self.image_credit is not None)),
            "body": _named(
                ("div[itemprop=articleBody]", lay.article_body_div),
                ("<article> itself", not lay.article_body_div),
            ),
            "page_count": ("nav[aria-label=Halaman]",) if self.page_count > 1 else ("no nav",),
            "dateline": ("<strong> before a dash",),
        }


def _named(*layers: tuple[str, bool]) -> tuple[str, ...]:
    return tuple(name for name, present in layers if present)


# Generation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """What other articles need to know of an article: to link to it."""

    article_id: str
    kanal: str
    kanal_name: str
    title: str
    slug: str
    published_at: datetime

    @property
    def path(self) -> str:
        return f"/{self.kanal}/pr-{self.article_id}/{self.slug}"


def generate(count: int = 200, seed: int = SEED) -> list[DriftedArticle]:
    """`count` articles published inside the standard window (February 2023, WIB), each at
    its own minute, with their truth and their pages' markup choices."""
    rng = random.Random(seed)
    heads = _heads(rng, count)
    return [_article(rng, head, heads) for head in heads]


def _heads(rng: random.Random, count: int) -> list[_Head]:
    minutes = int((WINDOW_END - WINDOW_START).total_seconds() // 60)
    ids: list[str] = []
    titles: list[str] = []
    while len(ids) < count:
        first = "0" if rng.random() < 0.3 else str(rng.randint(1, 9))
        article_id = first + f"{rng.randrange(10**8):08d}"
        title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        if rng.random() < 0.7:
            title += f", {rng.choice(_TAILS)}"
        if article_id not in ids and title not in titles:
            ids.append(article_id)
            titles.append(title)
    heads = []
    for article_id, title, minute in zip(
        ids, titles, rng.sample(range(minutes), count), strict=True
    ):
        kanal, kanal_name = rng.choice(KANALS)
        heads.append(
            _Head(
                article_id=article_id,
                kanal=kanal,
                kanal_name=kanal_name,
                title=title,
                slug=slugify(title),
                published_at=WINDOW_START + timedelta(minutes=minute),
            )
        )
    return heads


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _article(rng: random.Random, head: _Head, heads: Sequence[_Head]) -> DriftedArticle:
    others = [other for other in heads if other.article_id != head.article_id]
    updated_at = (
        head.published_at + timedelta(minutes=rng.randint(15, 3 * 24 * 60))
        if rng.random() < 0.5
        else None
    )
    source = rng.choice(_SOURCES) if rng.random() < 0.7 else None
    tags = tuple(rng.sample(_TAGS, rng.randint(0, 4)))
    layers = _layers(rng, updated=updated_at is not None, tagged=bool(tags))
    captioned = layers.figure and rng.random() < 0.94
    place = rng.choice(_PLACES)
    author = rng.choice(_PEOPLE)
    local = head.published_at.astimezone(WIB)
    size = rng.choice(("x", "720x480"))
    image_url = (
        f"https://assets.pikiran-rakyat.com/crop/0x0:0x0/{size}/photo/"
        f"{local:%Y/%m/%d}/{rng.randrange(10**9, 10**10)}.jpg"
    )
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(3, 9))]
    page_count = 1 if rng.random() < 0.8 else rng.choice((2, 3))
    cuts = [0, *sorted(rng.sample(range(1, len(paragraphs)), page_count - 1)), len(paragraphs)]
    targets = iter(rng.sample(others, 6))
    pages = []
    for number in range(page_count):
        chunk = paragraphs[cuts[number] : cuts[number + 1]]
        last = number == page_count - 1
        pages.append(_page_blocks(rng, chunk, targets, last=last))
    related = tuple(block.path for page in pages for block in page if isinstance(block, Teaser))
    return DriftedArticle(
        article_id=head.article_id,
        kanal=head.kanal,
        kanal_name=head.kanal_name,
        slug=head.slug,
        title=head.title,
        published_at=head.published_at,
        updated_at=updated_at,
        author=author,
        author_number=rng.randint(10, 40000),
        editor=rng.choice([person for person in _PEOPLE if person != author]),
        source=source,
        tags=tags,
        image_url=image_url,
        image_caption=rng.choice(_CAPTIONS).format(place=place) if captioned else None,
        image_credit=rng.choice(_CREDITS).format(person=author) if captioned else None,
        dateline=DATELINE,
        paragraphs=tuple(paragraph.text for paragraph in paragraphs),
        related_paths=related,
        pages=tuple(pages),
        layers=layers,
        recent=tuple(
            Recent(other.path, other.title, other.published_at) for other in rng.sample(others, 4)
        ),
    )


def _layers(rng: random.Random, *, updated: bool, tagged: bool) -> Layers:
    """Which generic layers show each field: varied, but at least one per field."""

    def chance(share: float) -> bool:
        return rng.random() < share

    jsonld = chance(0.6)
    time_datetime = chance(0.7)
    meta_published = chance(0.6)
    jsonld_published = jsonld and chance(0.8)
    meta_modified = updated and chance(0.5)
    jsonld_modified = updated and jsonld and chance(0.7)
    updated_line = updated and (chance(0.75) or not (meta_modified or jsonld_modified))
    meta_author = chance(0.5)
    jsonld_author = rng.choice(("object", "object", "list")) if jsonld and chance(0.8) else None
    byline = chance(0.7) or not (meta_author or jsonld_author)
    jsonld_section = jsonld and chance(0.7)
    jsonld_breadcrumb = chance(0.4)
    nav_breadcrumb = chance(0.7) or not (jsonld_section or jsonld_breadcrumb)
    meta_tags = chance(0.5)
    jsonld_keywords = rng.choice(("list", "string")) if jsonld and chance(0.7) else None
    footer_tags = chance(0.7) or (tagged and not (meta_tags or jsonld_keywords))
    figure = chance(0.85)
    jsonld_image = rng.choice(("object", "string")) if jsonld and chance(0.7) else None
    og_image = chance(0.85) or not (figure or jsonld_image)
    return Layers(
        og_title=chance(0.9),
        og_image=og_image,
        meta_published=meta_published,
        meta_modified=meta_modified,
        meta_author=meta_author,
        meta_tags=meta_tags,
        jsonld=jsonld,
        jsonld_headline=jsonld and chance(0.9),
        jsonld_published=jsonld_published,
        jsonld_modified=jsonld_modified,
        jsonld_author=jsonld_author,
        jsonld_section=jsonld_section,
        jsonld_keywords=jsonld_keywords,
        jsonld_image=jsonld_image,
        jsonld_breadcrumb=jsonld_breadcrumb,
        nav_breadcrumb=nav_breadcrumb,
        byline=byline,
        time_datetime=time_datetime,
        weekday_date=chance(0.5),
        updated_line=updated_line,
        figure=figure,
        lazy_img=chance(0.3),
        article_body_div=chance(0.7),
        footer_tags=footer_tags,
        editor_source_one_line=chance(0.4),
        dateline_dash_in_bold=chance(0.2),
        end_mark=rng.choice(("***", "***", " ***", " ***", "")),
        absolute_page_links=chance(0.5),
        all_pages_label=rng.choice(ALL_PAGES_LABELS),
        all_view_is_page_one=chance(0.3),
        all_view_nav=chance(0.3),
    )


def _paragraph(rng: random.Random) -> Paragraph:
    """20 to 80 words in sentences; some with an inline tag link or an `<em>` term."""
    target = rng.randint(20, 80)
    texts: list[str] = []
    markups: list[str] = []
    words = 0
    while words < target:
        length = min(rng.randint(8, 16), max(target - words, 4))
        text, markup = _sentence(rng, length)
        texts.append(text)
        markups.append(markup)
        words += len(text.split())
    return Paragraph(" ".join(texts), " ".join(markups))


def _sentence(rng: random.Random, length: int) -> tuple[str, str]:
    """A sentence of about `length` words: (its text, its HTML)."""
    words = [rng.choice(_WORDS) for _ in range(length)]
    words[0] = words[0][:1].upper() + words[0][1:]
    markup = [html.escape(word) for word in words]
    if length >= 6 and rng.random() < 0.15:
        place = rng.choice(_PLACES)
        at = rng.randint(2, length - 2)
        words.insert(at, place)
        markup.insert(at, f'<a href="/tag/{quote(place)}">{html.escape(place)}</a>')
    if length >= 6 and rng.random() < 0.1:
        term = rng.choice(_TERMS)
        at = rng.randint(2, length - 2)
        words.insert(at, term)
        markup.insert(at, f"<em>{html.escape(term)}</em>")
    if length >= 8 and rng.random() < 0.3:  # a clause
        at = rng.randint(3, length - 3)
        words[at] += ","
        markup[at] += ","
    text, marked = " ".join(words) + ".", " ".join(markup) + "."
    if rng.random() < 0.12:  # a quote
        person = rng.choice(_PEOPLE)
        text = f'"{text[:-1]}," kata {person}.'
        marked = f"&quot;{marked[:-1]},&quot; kata {html.escape(person)}."
    return text, marked


def _page_blocks(
    rng: random.Random, paragraphs: list[Paragraph], targets: Iterator[_Head], *, last: bool
) -> tuple[Block, ...]:
    """One page's paragraphs with 0–2 teasers and 0–2 ads between them (after the last one
    too, except on the article's last page)."""
    slots = list(range(1, len(paragraphs) + (0 if last else 1)))
    extras: dict[int, list[Block]] = {slot: [] for slot in slots}
    for slot in rng.sample(slots, min(len(slots), rng.choice((0, 0, 1, 1, 2)))):
        target = next(targets)
        extras[slot].append(
            Teaser(
                path=target.path,
                title=target.title,
                label=rng.choice(RELATED_LABELS),
                href=rng.choice(("absolute", "relative", "tracked")),
                bold_link=rng.random() < 0.3,
            )
        )
    for _ in range(rng.choice((0, 1, 1, 2)) if slots else 0):
        at = rng.choice(slots)
        extras[at].insert(rng.randint(0, len(extras[at])), Ad(labelled=rng.random() < 0.5))
    blocks: list[Block] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        blocks.append(paragraph)
        blocks.extend(extras.get(number, ()))
    return tuple(blocks)


# Rendering --------------------------------------------------------------------------------


def shown_date(moment: datetime, *, weekday: bool) -> str:
    """`Rabu, 22 Februari 2023 | 20:08 WIB` or `22 Februari 2023, 20:08 WIB`."""
    local = moment.astimezone(WIB)
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    if weekday:
        return f"{WEEKDAYS[local.weekday()]}, {day} | {local:%H:%M} WIB"
    return f"{day}, {local:%H:%M} WIB"


def routes(article: DriftedArticle, origin: str) -> dict[str, bytes]:
    """Every URL of the article (path and query) and what it answers: the article at its
    path, each page at `?page=N`, the whole article at `?page=all` (page 1 when the server
    ignores it)."""
    pages = {article.path: render(article, origin, 1 if article.page_count > 1 else None)}
    for number in range(1, article.page_count + 1):
        pages[f"{article.path}?page={number}"] = render(article, origin, number)
    whole = render(article, origin, None)
    if article.page_count > 1 and article.layers.all_view_is_page_one:
        whole = pages[article.path]
    pages[f"{article.path}?page=all"] = whole if article.page_count > 1 else pages[article.path]
    return pages


def render(article: DriftedArticle, origin: str, page: int | None) -> bytes:
    """One page of the article (1, 2 …), or with `None` the whole of it (a single-page
    article, or the `?page=all` view of a split one)."""
    lay = article.layers
    blocks = article.pages[page - 1] if page else [b for part in article.pages for b in part]
    first_page = page in (None, 1)
    last_page = page in (None, article.page_count)
    last_paragraph = max(i for i, block in enumerate(blocks) if isinstance(block, Paragraph))
    body = []
    for number, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            dateline = _dateline(lay) if first_page and number == 0 else ""
            end = lay.end_mark if last_page and number == last_paragraph else ""
            body.append(f"<p>{dateline}{block.html}{end}</p>")
        elif isinstance(block, Teaser):
            body.append(_teaser(block, origin))
        else:
            label = "<span>ADVERTISEMENT</span>" if block.labelled else ""
            body.append(
                f'<div class="iklan">{label}<div id="div-gpt-ad-inarticle">'
                "<script>googletag.cmd.push(function(){googletag.display('div-gpt-ad-"
                "inarticle');});</script></div></div>"
            )
    text = "\n".join(body)
    if lay.article_body_div:
        text = f'<div itemprop="articleBody">\n{text}\n</div>'
    return f"""<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{_head(article, origin)}
</head><body>
<header class="site-header"><a class="logo" href="/">Galamedia</a>
<nav aria-label="Menu utama"><a href="/">Beranda</a> {_menu()}</nav></header>
{_breadcrumb(article) if lay.nav_breadcrumb else ""}
<main>
<article>
{_article_header(article)}
{_figure(article) if lay.figure and first_page else ""}
{text}
{_page_nav(article, origin, page)}
{_article_footer(article)}
</article>
{_aside(article)}
</main>
<footer class="site-footer"><p>Tentang Kami</p><p>Redaksi</p><p>Pedoman Media Siber</p>\
<p>Kontak</p><p>© 2023 Galamedia News - Pikiran Rakyat Media Network</p></footer>
</body></html>""".encode()


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _head(article: DriftedArticle, origin: str) -> str:
    lay = article.layers
    title = _attr(article.title)
    lines = [
        f"<title>{title} | Galamedia</title>",
        f'<link rel="canonical" href="{origin}{article.path}">',
        '<meta property="og:type" content="article">',
        '<meta property="og:site_name" content="Galamedia">',
    ]
    if lay.og_title:
        lines.append(f'<meta property="og:title" content="{title}">')
    if lay.og_image:
        lines.append(f'<meta property="og:image" content="{article.image_url}">')
    if lay.meta_published:
        published = article.published_at.isoformat()
        lines.append(f'<meta property="article:published_time" content="{published}">')
    if lay.meta_modified and article.updated_at:
        modified = article.updated_at.isoformat()
        lines.append(f'<meta property="article:modified_time" content="{modified}">')
    if lay.meta_author:
        lines.append(f'<meta name="author" content="{_attr(article.author)}">')
    if lay.meta_tags:
        lines.extend(f'<meta property="article:tag" content="{_attr(t)}">' for t in article.tags)
    if lay.jsonld:
        lines.append(_json_ld(_news_article(article, origin)))
    if lay.jsonld_breadcrumb:
        crumbs = [("Home", f"{origin}/"), (article.kanal_name, f"{origin}/{article.kanal}")]
        lines.append(
            _json_ld(
                {
                    "@context": "https://schema.org",
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": number, "name": name, "item": item}
                        for number, (name, item) in enumerate(crumbs, start=1)
                    ],
                }
            )
        )
    return "\n".join(lines)


def _news_article(article: DriftedArticle, origin: str) -> dict[str, Any]:
    lay = article.layers
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": origin + article.path},
    }
    if lay.jsonld_headline:
        data["headline"] = article.title
    if lay.jsonld_published:
        data["datePublished"] = article.published_at.isoformat()
    if lay.jsonld_modified and article.updated_at:
        data["dateModified"] = article.updated_at.isoformat()
    person = {"@type": "Person", "name": article.author}
    if lay.jsonld_author == "object":
        data["author"] = person
    elif lay.jsonld_author == "list":
        data["author"] = [person]
    if lay.jsonld_section:
        data["articleSection"] = article.kanal_name
    if lay.jsonld_keywords == "list" and article.tags:
        data["keywords"] = list(article.tags)
    elif lay.jsonld_keywords == "string" and article.tags:
        data["keywords"] = ", ".join(article.tags)
    if lay.jsonld_image == "object":
        data["image"] = {"@type": "ImageObject", "url": article.image_url}
    elif lay.jsonld_image == "string":
        data["image"] = article.image_url
    data["publisher"] = {"@type": "Organization", "name": "Galamedia"}
    return data


def _json_ld(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _menu() -> str:
    return " ".join(f'<a href="/{slug}">{name}</a>' for slug, name in KANALS)


def _breadcrumb(article: DriftedArticle) -> str:
    return (
        '<nav aria-label="breadcrumb"><ol><li><a href="/">Home</a></li>'
        f'<li><a href="/{article.kanal}">{article.kanal_name}</a></li></ol></nav>'
    )


def _article_header(article: DriftedArticle) -> str:
    lay = article.layers
    lines = [f"<header>\n<h1>{html.escape(article.title)}</h1>"]
    if lay.byline:
        slug = slugify(article.author)
        lines.append(
            f'<p class="byline">Penulis: <a rel="author" href="/penulis/{article.author_number}'
            f'/{slug}">{html.escape(article.author)}</a></p>'
        )
    shown = shown_date(article.published_at, weekday=lay.weekday_date)
    stamp = f' datetime="{article.published_at.isoformat()}"' if lay.time_datetime else ""
    lines.append(f"<time{stamp}>{shown}</time>")
    if lay.updated_line and article.updated_at:
        updated = shown_date(article.updated_at, weekday=lay.weekday_date)
        lines.append(f'<p class="updated">Diperbarui: {updated}</p>')
    lines.append("</header>")
    return "\n".join(lines)


def _figure(article: DriftedArticle) -> str:
    lay = article.layers
    lazy = ' loading="lazy"' if lay.lazy_img else ""
    alt = _attr(article.image_caption or "")
    caption = (
        f"<figcaption>{html.escape(article.image_caption)}/"
        f"{html.escape(article.image_credit or '')}</figcaption>"
        if article.image_caption
        else ""
    )
    return f'<figure><img src="{article.image_url}" alt="{alt}"{lazy}>{caption}</figure>'


def _dateline(lay: Layers) -> str:
    if lay.dateline_dash_in_bold:
        return f"<strong>{DATELINE} -</strong> "
    return f"<strong>{DATELINE}</strong> - "


def _teaser(teaser: Teaser, origin: str) -> str:
    href = {
        "absolute": origin + teaser.path,
        "relative": teaser.path,
        "tracked": origin + teaser.path + _TRACKING,
    }[teaser.href]
    link = f'<a href="{_attr(href)}">{html.escape(teaser.title)}</a>'
    if teaser.bold_link:
        return f"<p><strong>{teaser.label} {link}</strong></p>"
    return f"<p><strong>{teaser.label}</strong> {link}</p>"


def _page_nav(article: DriftedArticle, origin: str, page: int | None) -> str:
    """Page links on each page of a split article; on its `?page=all` view perhaps numbers
    only (no next page); nothing on a single-page article."""
    lay = article.layers
    if article.page_count == 1 or (page is None and not lay.all_view_nav):
        return ""

    def href(target: int | str) -> str:
        query = f"?page={target}"
        return f"{origin}{article.path}{query}" if lay.absolute_page_links else query

    current = ' aria-current="page"'
    links = [
        f'<a href="{_attr(href(number))}"{current if number == page else ""}>{number}</a>'
        for number in range(1, article.page_count + 1)
    ]
    if page is not None:
        links.append(f'<a href="{_attr(href("all"))}">{lay.all_pages_label}</a>')
    return f'<nav aria-label="Halaman"><span>Halaman:</span> {" ".join(links)}</nav>'


def _article_footer(article: DriftedArticle) -> str:
    lay = article.layers
    editor = f"Editor: {html.escape(article.editor)}"
    if article.source is None:
        lines = [f"<p>{editor}</p>"]
    elif lay.editor_source_one_line:
        lines = [f"<p>{editor}<br>Sumber: {html.escape(article.source)}</p>"]
    else:
        lines = [f"<p>{editor}</p>", f"<p>Sumber: {html.escape(article.source)}</p>"]
    if lay.footer_tags and article.tags:
        items = "".join(
            f'<li><a rel="tag" href="/tag/{quote(tag)}">{html.escape(tag)}</a></li>'
            for tag in article.tags
        )
        lines.append(f'<ul class="tags">{items}</ul>')
    return "<footer>" + "".join(lines) + "</footer>"


def _aside(article: DriftedArticle) -> str:
    items = "".join(
        f'<li><a href="{recent.path}">{html.escape(recent.title)}</a> '
        f'<time datetime="{recent.published_at.isoformat()}">'
        f"{shown_date(recent.published_at, weekday=False)}</time></li>"
        for recent in article.recent
    )
    return f"<aside><h2>Terkini</h2><ul>{items}</ul></aside>"
