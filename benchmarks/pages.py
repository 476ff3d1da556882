"""Generated article pages in the classic PRMN layout, each with its known truth.

The pages follow SITE.md §2 and the stored pages under `tests/pages/`: the head with its metas,
inline critical CSS and ad scripts, the header menus, the breadcrumb, the title, author and date
line, the lead photo with caption and credit, the body with its dateline, "Baca Juga" teasers in
several spellings, ads, `<!--imgN-->` placeholders and inline figures, the footer lines, tags,
the section menus (Artikel Pilihan, Terkait, Terkini, Terpopuler, Kabar Daerah) and the network
footer. Sizes fall between about 50 and 150 KiB, like a real PRMN article page.

Everything is drawn from a seeded `random.Random`: the same seed gives the same page.
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from galamedia.rules.dates import WIB
from tests.testsite import MONTHS

ORIGIN = "https://galamedia.pikiran-rakyat.com"
ASSETS = "https://assets.pikiran-rakyat.com"
ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}
# Abbreviations and old spellings seen on Indonesian sites (SITE.md §4).
MONTH_VARIANTS = {
    1: ("Jan",),
    2: ("Feb", "Pebruari"),
    3: ("Mar",),
    4: ("Apr",),
    5: ("Mei",),
    6: ("Jun",),
    7: ("Jul",),
    8: ("Agu", "Agt", "Agus"),
    9: ("Sep", "Sept"),
    10: ("Okt",),
    11: ("Nov", "Nopember"),
    12: ("Des",),
}
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
KANALS = {
    "bandung-raya": "Bandung Raya",
    "jabar": "Jabar",
    "nasional": "Nasional",
    "internasional": "Internasional",
    "olahraga": "Olahraga",
    "gaya-hidup": "Gaya Hidup",
    "pariwisata": "Pariwisata",
    "humaniora": "Humaniora",
    "citizen-report": "Citizen Report",
    "ekonomi": "Ekonomi",
}

_PLACES = [
    "Bandung",
    "Cimahi",
    "Garut",
    "Tasikmalaya",
    "Sumedang",
    "Lembang",
    "Cianjur",
    "Sukabumi",
    "Bogor",
    "Bekasi",
    "Karawang",
    "Purwakarta",
    "Subang",
    "Majalengka",
    "Kuningan",
    "Cirebon",
    "Indramayu",
    "Pangandaran",
    "Ciamis",
    "Banjar",
    "Soreang",
    "Ciwidey",
    "Pangalengan",
    "Cibiru",
    "Gedebage",
    "Dago",
    "Cicadas",
    "Tegallega",
    "Jakarta",
    "Surabaya",
    "Semarang",
    "Makassar",
    "Denpasar",
    "Medan",
    "Palembang",
    "Jayapura",
    "Balikpapan",
]
_PERSONS = (
    "Ujang Saepudin",
    "Dadan Hermawan",
    "Rina Marlina",
    "Asep Sunandar",
    "Yayat Hidayat",
    "Dedi Supriadi",
    "Neng Siti Aisyah",
    "Bambang Wibowo",
    "Hendra Gunawan",
    "Ryan Pratama",
    "Gilang Permana",
    "Fikri Ramadhan",
    "Euis Komalasari",
    "Agus Salim",
    "Teguh Santoso",
    "Lilis Suryani",
    "Irfan Maulana",
    "Siti Nurhaliza",
    "Wawan Setiawan",
    "Deni Rusmana",
)
_ROLES = (
    "Kepala Dinas Perhubungan Kota Bandung",
    "Ketua RW setempat",
    "Wali Kota Bandung",
    "Gubernur Jawa Barat",
    "Kapolrestabes Bandung",
    "Kepala BPBD Jawa Barat",
    "pelatih Persib Bandung",
    "Ketua DPRD Kota Cimahi",
    "pengamat kebijakan publik",
    "Kepala Dinas Kesehatan",
    "Sekretaris Daerah",
    "warga setempat",
    "pengelola objek wisata",
    "Kepala Sekolah",
)
_SUBJECTS = (
    "Pemerintah Kota Bandung",
    "Pemerintah Provinsi Jawa Barat",
    "Dinas Perhubungan",
    "Polrestabes Bandung",
    "BMKG",
    "Persib Bandung",
    "Ratusan warga",
    "Para pedagang pasar",
    "DPRD Kota Bandung",
    "Dinas Kesehatan",
    "PT KAI Daop 2 Bandung",
    "Sejumlah mahasiswa",
    "Petugas gabungan",
    "Tim SAR gabungan",
    "Bank Indonesia",
    "Pengelola objek wisata",
    "Kementerian Pendidikan",
    "PLN UID Jawa Barat",
)
_COMMON_SUBJECTS = ("Ratusan", "Para", "Sejumlah", "Petugas", "Tim")
# Headlines capitalise every word but these (`7 Kedai Kopi di Lembang dengan Pemandangan …`).
_TITLE_LOWER = frozenset({"di", "ke", "dan", "yang", "untuk", "dari", "dengan", "pada", "soal"})
_VERBS = (
    "menyiapkan",
    "mengumumkan",
    "meninjau",
    "menargetkan",
    "meminta",
    "menegaskan",
    "mengevaluasi",
    "menambah",
    "menutup sementara",
    "membuka kembali",
    "memperpanjang",
    "mengimbau",
    "menggelar",
    "membagikan",
    "memperketat",
    "mempercepat",
)
_OBJECTS = (
    "program bantuan sosial",
    "jalur alternatif",
    "harga beras di pasar tradisional",
    "jadwal pertandingan",
    "penanganan sampah",
    "operasi pasar murah",
    "perbaikan jalan rusak",
    "vaksinasi lanjutan",
    "pengamanan arus mudik",
    "rekayasa lalu lintas",
    "normalisasi sungai",
    "pelatihan UMKM",
    "penerimaan peserta didik baru",
    "pembangunan jembatan",
    "pasokan listrik",
    "layanan kesehatan gratis",
    "penataan pedagang kaki lima",
    "pengawasan distribusi minyak goreng",
)
_ADJECTIVES = (
    "yang lebih tertib",
    "secara bertahap",
    "hingga akhir bulan",
    "di sejumlah titik",
    "bagi warga kurang mampu",
    "mulai pekan depan",
    "selama musim hujan",
    "tanpa dipungut biaya",
    "sesuai jadwal",
    "bersama instansi terkait",
)
_WHEN = (
    "pada Senin pagi",
    "pada Selasa siang",
    "pada Rabu malam",
    "pada Kamis sore",
    "pada Jumat pagi",
    "pada Sabtu malam",
    "pada Minggu pagi",
    "pekan lalu",
    "sejak pagi",
    "kemarin sore",
    "pada awal bulan ini",
)
_CONNECTORS = (
    "Selain itu",
    "Sementara itu",
    "Di sisi lain",
    "Menurutnya",
    "Meski demikian",
    "Oleh karena itu",
    "Sebelumnya",
    "Dengan begitu",
    "Adapun",
    "Tidak hanya itu",
)
_NOUNS = (
    "personel",
    "kendaraan",
    "warga",
    "pedagang",
    "siswa",
    "relawan",
    "titik",
    "unit armada",
    "keluarga",
    "ton beras",
)
_TAILS = (
    "Begini Caranya",
    "Simak Jadwalnya",
    "Warga Diminta Waspada",
    "Ini Penjelasannya",
    "Cek Lokasinya",
    "Berikut Daftarnya",
    "Ini Kata Pengamat",
    "Jangan Sampai Salah",
)
_CREDITS = (
    "Galamedia/{person}",
    "ANTARA/{person}",
    "Dok. Humas Pemkot Bandung",
    "Instagram/@infobandung",
    "Pexels",
    "Alexander Shcherbak/TASS /IMAGO/DW",
    "Dok. Disparbud Jabar",
    "PRFM/{person}",
)
_SISTER_SITES = (
    "portaljember Portal Jember",
    "mantrasukabumi Mantra Sukabumi",
    "wartabulukumba Warta Bulukumba",
    "prfmnews PRFM News",
    "zonajakarta Zona Jakarta",
    "portalpapua Portal Papua",
    "kabarlumajang Kabar Lumajang",
    "ringtimesbali Ringtimes Bali",
    "pikiranrakyat-depok Pikiran Rakyat Depok",
    "portalbandungtimur Portal Bandung Timur",
)
_CITIES = [
    "Jember",
    "Sukabumi",
    "Bulukumba",
    "Jakarta",
    "Papua",
    "Lumajang",
    "Bali",
    "Depok",
    "Bekasi",
    "Cirebon",
    "Tasik",
    "Garut",
    "Kuningan",
    "Bogor",
    "Banyuwangi",
    "Malang",
    "Kediri",
    "Madiun",
    "Solo",
    "Jogja",
    "Semarang",
    "Purwokerto",
    "Tegal",
    "Kudus",
    "Lampung",
    "Palembang",
    "Jambi",
    "Pekanbaru",
    "Padang",
    "Medan",
    "Aceh",
    "Pontianak",
    "Banjarmasin",
    "Samarinda",
    "Manado",
    "Palu",
    "Kendari",
    "Ambon",
    "Kupang",
    "Mataram",
]
_NETWORK_PREFIXES = ("Portal", "Warta", "Zona", "Kabar", "Mantra", "Info", "Berita", "Pedoman")


@dataclass(frozen=True)
class DateForm:
    """How one page shows and declares its publication time."""

    name: str
    meta: str
    """`pubdate` (pubdate and article:published_time metas), `published_time`, `jsonld`, `none`."""
    visible: Callable[[datetime], str]
    """The visible date line for a moment (aware)."""
    zone: str = "WIB"


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(timezone(timedelta(hours=ZONES[zone])))


def _classic(zone: str = "WIB", *, dotted: bool = False, month: str = "full") -> DateForm:
    def visible(moment: datetime) -> str:
        local = _local(moment, zone)
        name = MONTHS[local.month - 1]
        if month != "full":
            name = MONTH_VARIANTS[local.month][-1 if month == "old" else 0]
        clock = f"{local:%H.%M}" if dotted else f"{local:%H:%M}"
        return f"- {local.day} {name} {local.year}, {clock} {zone}"

    return DateForm(f"classic {zone}{' dotted' if dotted else ''} {month}", "none", visible, zone)


def _weekday(moment: datetime) -> str:
    local = _local(moment, "WIB")
    day = WEEKDAYS[local.weekday()]
    return f"- {day}, {local.day} {MONTHS[local.month - 1]} {local.year} | {local:%H:%M} WIB"


def _standard(moment: datetime) -> str:
    local = _local(moment, "WIB")
    return f"- {local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} WIB"


# (weight, form): most pages declare the time in metas, as PRMN does; the rest show it only.
DATE_FORMS: tuple[tuple[int, DateForm], ...] = (
    (50, DateForm("pubdate meta", "pubdate", _standard)),
    (10, DateForm("article:published_time meta", "published_time", _standard)),
    (8, DateForm("JSON-LD only", "jsonld", _weekday)),
    (8, DateForm("visible only", "none", _standard)),
    (6, DateForm("visible only, weekday", "none", _weekday)),
    (4, _classic(dotted=True)),
    (4, _classic(month="abbr")),
    (3, _classic(month="old")),
    (4, _classic("WITA")),
    (3, _classic("WIT", dotted=True)),
)


@dataclass(frozen=True)
class Truth:
    """What a correct extraction of the page gives."""

    url: str
    title: str
    published_at: datetime
    paragraphs: tuple[str, ...]
    teasers: tuple[str, ...]
    """The "Baca Juga" teaser titles: never body text."""
    captions: tuple[str, ...]
    """The lead photo's caption and inline figure captions (credits removed): never body text."""
    menu_titles: tuple[str, ...]
    """Titles in the section menus: never body text."""
    date_form: str

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class GeneratedPage:
    html: bytes
    truth: Truth


@dataclass(frozen=True)
class Identity:
    """What makes one article itself: its URL parts, title and time."""

    article_id: str
    kanal: str
    title: str
    published_at: datetime

    @property
    def path(self) -> str:
        return f"/{self.kanal}/pr-{self.article_id}/{slugify(self.title)}"


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class Writer:
    """Indonesian-looking news copy from word pools."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, pool: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(pool)

    def clause(self, *, inside: bool = False) -> str:
        """Subject, verb, object…; `inside` a sentence, a common-noun subject is lower case."""
        r = self.rng
        subject = self.pick(_SUBJECTS)
        if inside and subject.startswith(_COMMON_SUBJECTS):
            subject = subject[0].lower() + subject[1:]
        clause = f"{subject} {self.pick(_VERBS)} {self.pick(_OBJECTS)}"
        if r.random() < 0.6:
            clause += f" di {self.pick(_PLACES)}"
        if r.random() < 0.5:
            clause += f" {self.pick(_ADJECTIVES)}"
        return clause

    def sentence(self) -> str:
        r = self.rng
        kind = r.randrange(7)
        if kind == 0:
            return f'"{self.clause()}," kata {self.pick(_PERSONS)}, {self.pick(_ROLES)}.'
        if kind == 1:
            return f"Menurut {self.pick(_PERSONS)}, {self.clause(inside=True)}."
        if kind == 2:
            return f"{self.pick(_CONNECTORS)}, {self.clause(inside=True)} {self.pick(_WHEN)}."
        if kind == 3:
            number = r.choice(("12", "25", "40", "150", "1.200", "3", "7", "60", "500"))
            return (
                f"Sebanyak {number} {self.pick(_NOUNS)} dikerahkan di {self.pick(_PLACES)} "
                f"untuk mendukung {self.pick(_OBJECTS)}."
            )
        if kind == 4:
            return (
                f"Hal itu disampaikan {self.pick(_PERSONS)} saat ditemui di "
                f"{self.pick(_PLACES)}, {self.pick(_WHEN)}."
            )
        if kind == 5:
            price = r.randrange(5, 95) * 1000
            return f"Harga {self.pick(_OBJECTS)} kini mencapai Rp{price:,}".replace(",", ".") + "."
        return f"{self.clause()} {self.pick(_WHEN)}."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(1, 4)))

    def title(self, *, plain: bool = False) -> str:
        """A headline; `plain` ones hold no character that HTML or JSON would escape."""
        r = self.rng
        kind = r.randrange(4)
        if kind == 0:
            words = f"{self.pick(_SUBJECTS)} {self.pick(_VERBS)} {self.pick(_OBJECTS)}"
            text = f"{words} di {self.pick(_PLACES)}"
        elif kind == 1:
            text = f"{r.randint(3, 12)} {self.pick(_OBJECTS)} di {self.pick(_PLACES)}"
            text += f", {self.pick(_TAILS)}"
        elif kind == 2:
            text = f"{self.pick(_OBJECTS)} di {self.pick(_PLACES)} Mulai {self.pick(WEEKDAYS)}"
        else:
            text = f"{self.pick(_PERSONS)} Soal {self.pick(_OBJECTS)}: {self.pick(_TAILS)}"
        words = text.split()
        text = " ".join(
            word if number and word in _TITLE_LOWER else word[:1].upper() + word[1:]
            for number, word in enumerate(words)
        )
        if not plain and r.random() < 0.25:
            text = r.choice((f'"{text}"', f"{text}!", f"{text} & Warga", f"{text}?"))
        return text

    def caption(self) -> tuple[str, str]:
        credit = self.pick(_CREDITS).format(person=self.pick(_PERSONS))
        text = f"{self.pick(_SUBJECTS)} {self.pick(_VERBS)} {self.pick(_OBJECTS)} di "
        return text + f"{self.pick(_PLACES)}.", credit


def article_url(rng: random.Random, writer: Writer, origin: str = ORIGIN) -> tuple[str, str]:
    """A link to another article and its title."""
    title = writer.title()
    kanal = rng.choice(list(KANALS))
    return f"{origin}/{kanal}/pr-0{rng.randrange(10**7, 10**8)}/{slugify(title)}", title


def _image(rng: random.Random, size: str = "720x480") -> str:
    day = f"{rng.randint(2019, 2024)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"
    return f"{ASSETS}/crop/0x0:0x0/{size}/photo/{day}/{rng.randrange(10**9, 10**10)}.jpg"


def _css(rng: random.Random, kib: int) -> str:
    rules: list[str] = []
    size = 0
    while size < kib * 1024:
        name = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(4, 14))
        )
        rule = (
            f".{name},.{name}__item>a:hover{{margin:{rng.randint(0, 40)}px "
            f"{rng.randint(0, 40)}px;color:#{rng.randrange(16**6):06x};font-size:"
            f"{rng.randint(10, 28)}px;display:{rng.choice(('block', 'flex', 'inline-block'))}}}"
        )
        rules.append(rule)
        size += len(rule)
    return "".join(rules)


def _script(rng: random.Random, kib: int) -> str:
    parts: list[str] = []
    size = 0
    while size < kib * 1024:
        fn = "".join(rng.choice("abcdefghijklmnop") for _ in range(6))
        part = (
            f"function {fn}(e,t){{var n=e.querySelectorAll('.{fn}');for(var r=0;r<n.length;"
            f"r++){{n[r].setAttribute('data-{fn}',t+r*{rng.randint(2, 99)})}}return n.length}}"
        )
        parts.append(part)
        size += len(part)
    return ";".join(parts)


def _network_sites(rng: random.Random, count: int) -> list[tuple[str, str]]:
    sites = [(host, name) for host, _, name in (e.partition(" ") for e in _SISTER_SITES)]
    while len(sites) < count:
        prefix, city = rng.choice(_NETWORK_PREFIXES), rng.choice(_CITIES)
        sites.append((f"{prefix}{city}".lower(), f"{prefix} {city}"))
    return sites[:count]


def _menu_items(
    rng: random.Random, writer: Writer, count: int, *, with_image: bool, origin: str
) -> tuple[str, list[str]]:
    items: list[str] = []
    titles: list[str] = []
    for _ in range(count):
        url, title = article_url(rng, writer, origin)
        titles.append(title)
        kanal = url.split("/")[3]
        image = (
            f'<div class="latest__img"><a href="{url}"><img src="{_image(rng, "170x113")}" '
            f'alt="{html.escape(title)}"></a></div>'
            if with_image
            else ""
        )
        moment = datetime(2023, 1, 1, tzinfo=WIB) + timedelta(minutes=rng.randrange(10**5))
        items.append(
            f"""<div class="latest__item">{image}<div class="latest__right">
<h4 class="latest__subtitle"><a href="{origin}/{kanal}">{KANALS[kanal]}</a></h4>
<h2 class="latest__title"><a class="latest__link" href="{url}">{html.escape(title)}</a></h2>
<date class="latest__date">{_standard(moment)[2:]}</date></div></div>"""
        )
    return "\n".join(items), titles


def _most_items(
    rng: random.Random, writer: Writer, count: int, origin: str
) -> tuple[str, list[str]]:
    items: list[str] = []
    titles: list[str] = []
    for number in range(1, count + 1):
        url, title = article_url(rng, writer, origin)
        titles.append(title)
        items.append(
            f'<div class="most__item"><div class="most__number">{number}</div>'
            f'<div class="most__right"><a class="most__link" href="{url}">'
            f'<h2 class="most__title">{html.escape(title)}</h2></a></div></div>'
        )
    return "\n".join(items), titles


def _section(css_class: str, heading: str, wrap: str, items: str) -> str:
    return f"""<section class="{css_class} mt3 clearfix">
<div class="title title--line"><h3 class="title__text">{heading}</h3></div>
<div class="{wrap}">
{items}
</div></section>"""


def _ad_slot(rng: random.Random) -> str:
    slot = f"div-gpt-ad-{rng.randrange(10**12, 10**13)}-{rng.randint(0, 9)}"
    if rng.random() < 0.5:
        return f"""<div class="ads ads--inarticle">
  <div id="{slot}" style="min-width:300px;min-height:250px;">
    <script>googletag.cmd.push(function() {{ googletag.display('{slot}'); }});</script>
  </div>
</div>"""
    return (
        '<p><ins class="adsbygoogle" style="display:block; text-align:center;" '
        'data-ad-layout="in-article" data-ad-format="fluid" '
        f'data-ad-client="ca-pub-7261094533412098" data-ad-slot="{rng.randrange(10**10)}"></ins>'
        "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></p>"
    )


def _decorate(rng: random.Random, text: str, origin: str) -> str:
    """The paragraph's HTML: inline tag links, emphasis, doubled NBSPs; same words as `text`."""
    tokens = [html.escape(token, quote=False) for token in text.split(" ")]
    for _ in range(rng.randint(0, 3)):
        index = rng.randrange(1, len(tokens)) if len(tokens) > 1 else 0
        token = tokens[index]
        if not token[:1].isalpha() or "<" in token:
            continue
        word = token.rstrip(".,:;\"'")
        rest = token[len(word) :]
        kind = rng.randrange(3)
        if kind == 0:
            tokens[index] = f'<a href="{origin}/tag/{word}">{word}</a>{rest}'
        elif kind == 1:
            tokens[index] = f"<em>{word}</em>{rest}"
        else:
            tokens[index] = f"<strong>{word}</strong>{rest}"
    separators = [" " if rng.random() < 0.93 else "&nbsp; " for _ in tokens[1:]]
    return tokens[0] + "".join(
        sep + token for sep, token in zip(separators, tokens[1:], strict=True)
    )


def _teaser(rng: random.Random, url: str, title: str) -> str:
    escaped = html.escape(title, quote=False)
    kind = rng.choices(range(4), weights=(70, 12, 10, 8))[0]
    if kind == 0:
        return (
            f'<p><strong class="read__others">Baca Juga: <a href="{url}">{escaped}</a>'
            "</strong></p>"
        )
    if kind == 1:
        tracked = f"{url}?utm_source=internal&amp;utm_medium=bacajuga"
        return f'<p><strong>Baca juga: <a href="{tracked}">{escaped}</a></strong></p>'
    if kind == 2:
        return f'<p>BACA JUGA : <a href="{url}#komentar">{escaped}</a></p>'
    return f'<p><strong class="read__others">Baca Juga: <a href="{url}">{escaped}</a></strong></p>'


@dataclass
class _Body:
    html: str
    paragraphs: list[str]
    teasers: list[str]
    figure_captions: list[str]


def _body(rng: random.Random, writer: Writer, origin: str) -> _Body:
    count = rng.randint(6, 18)
    listicle = rng.random() < 0.15
    divs = rng.random() < 0.1
    texts: list[str] = []
    for number in range(count):
        if listicle and number >= 2 and number % 2 == 0:
            texts.append(f"{number // 2}. {writer.pick(_OBJECTS).title()}")
        else:
            texts.append(writer.paragraph())
    dateline = rng.choices(("GALAMEDIANEWS", "PIKIRAN RAKYAT", "PRFMNEWS"), weights=(8, 1, 1))[0]
    blocks: list[str] = []
    teasers: list[str] = []
    captions: list[str] = []
    teaser_slots = set(rng.sample(range(1, count), k=min(count - 1, rng.choice((0, 1, 2, 2, 3)))))
    ad_slots = set(rng.sample(range(1, count), k=min(count - 1, rng.randint(1, 3))))
    figure_slot = rng.randrange(2, count) if rng.random() < 0.25 else -1
    for number, text in enumerate(texts):
        if number in teaser_slots:
            url, title = article_url(rng, writer, origin)
            teasers.append(title)
            blocks.append(_teaser(rng, url, title))
        if number in ad_slots:
            blocks.append(_ad_slot(rng))
        if number == figure_slot:
            caption, credit = writer.caption()
            captions.append(caption)
            blocks.append(
                f'<figure class="image"><img src="{_image(rng)}" alt="{html.escape(caption)}" '
                f'width="720" height="480"><figcaption>{html.escape(caption)}/{credit}'
                "</figcaption></figure>"
            )
        inner = _decorate(rng, text, origin)
        if listicle and number >= 2 and number % 2 == 0:
            inner = f"<strong>{html.escape(text)}</strong>"
        if number == 0:
            if rng.random() < 0.8:
                inner = f"<strong>{dateline}</strong> - {inner}"
            else:
                inner = f"<strong>{dateline} -</strong> {inner}"
        if number == count - 1:
            inner += rng.choice(("***", "***", " ***", "(***)"))
        if rng.random() < 0.1:
            inner = f"<!--img{number}-->{inner}"
        tag = "div" if divs and number and rng.random() < 0.5 else "p"
        blocks.append(f"<{tag}>{inner}</{tag}>")
    return _Body("\n".join(blocks), texts, teasers, captions)


def choose_date_form(rng: random.Random) -> DateForm:
    weights = [weight for weight, _ in DATE_FORMS]
    return rng.choices([form for _, form in DATE_FORMS], weights=weights)[0]


@dataclass(frozen=True)
class Rendered:
    """A page's HTML with its identity written in, and the truth of its content."""

    html: str
    paragraphs: tuple[str, ...]
    teasers: tuple[str, ...]
    captions: tuple[str, ...]
    menu_titles: tuple[str, ...]


def render(
    rng: random.Random,
    *,
    title: str,
    url: str,
    article_id: str,
    kanal: str,
    iso: str,
    visible: str,
    form: DateForm,
    origin: str = ORIGIN,
) -> Rendered:
    """One classic-layout article page; `iso` and `visible` are its declared and shown dates.

    The identity strings are written in as they are (escaped where HTML or JSON needs it), so a
    caller may pass placeholders and fill them in later (see `benchmarks/site.py`).
    """
    writer = Writer(rng)
    author = writer.pick(_PERSONS)
    editor = writer.pick(_PERSONS)
    caption, credit = writer.caption()
    body = _body(rng, writer, origin)
    esc_title = html.escape(title)
    tags = rng.sample((*_PLACES, *_SUBJECTS), k=rng.randint(2, 5))
    image = _image(rng)
    lazy = rng.random() < 0.3
    description = html.escape(body.paragraphs[0][:160])
    metas = [
        f'<meta name="description" content="{description}">',
        f'<meta name="keywords" content="{html.escape(", ".join(tags))}">',
        '<meta name="robots" content="index, follow, max-image-preview:large">',
        f'<meta name="author" content="{author}">',
    ]
    if form.meta == "pubdate":
        metas.append(f'<meta name="pubdate" content="{iso}">')
    if form.meta in ("pubdate", "published_time"):
        metas.append(f'<meta property="article:published_time" content="{iso}">')
    metas += [f'<meta property="article:tag" content="{html.escape(tag)}">' for tag in tags]
    jsonld = ""
    if form.meta == "jsonld":
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": iso,
            "author": {"@type": "Person", "name": author},
            "image": [image],
            "publisher": {"@type": "Organization", "name": "Galamedia"},
        }
        jsonld = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    slots = "\n".join(
        f"googletag.defineSlot('/21622890900/ID_galamedia_desktop_article_{n}', [300, 250], "
        f"'div-gpt-ad-{n}').addService(googletag.pubads());"
        for n in range(rng.randint(8, 14))
    )
    data_layer = json.dumps(
        {
            "articleId": article_id,
            "title": title,
            "kanal": kanal,
            "author": author,
            "editor": editor,
            "tags": tags,
            "published": iso,
        }
    )
    kanal_links = "\n".join(
        f'<li class="nav__item"><a class="desktop_kanal" href="{origin}/{slug}">{name}</a></li>'
        for slug, name in KANALS.items()
    )
    trending = "\n".join(
        f'<li><a href="{origin}/tag/{html.escape(place)}">#{html.escape(place)}</a></li>'
        for place in rng.sample(_PLACES, k=10)
    )
    img_attrs = (
        f'class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{image}"'
        if lazy
        else f'src="{image}"'
    )
    alt = html.escape(f"{caption}/{credit}")
    menus: list[str] = []
    menu_titles: list[str] = []
    for css_class, heading, wrap, count, kind in (
        ("pilihan", "Artikel Pilihan", "most__wrap", rng.randint(4, 8), "most"),
        ("terkait", "Terkait", "latest__wrap", rng.randint(4, 8), "image"),
        ("terkini", "Terkini", "latest__wrap", rng.randint(8, 20), "image"),
        ("terpopuler", "Terpopuler", "most__wrap", rng.randint(5, 10), "most"),
        ("kabar-daerah", "Kabar Daerah", "latest__wrap", rng.randint(6, 12), "text"),
    ):
        if kind == "most":
            items, titles = _most_items(rng, writer, count, origin)
        else:
            items, titles = _menu_items(
                rng, writer, count, with_image=kind == "image", origin=origin
            )
        menus.append(_section(css_class, heading, wrap, items))
        menu_titles += titles
    network = "\n".join(
        f'<li><a href="https://{host}.pikiran-rakyat.com/">{name}</a></li>'
        for host, name in _network_sites(rng, rng.randint(60, 160))
    )
    tag_items = "\n".join(
        f'<li class="tag__list__item"><h4><a href="{origin}/tag/{html.escape(tag)}">'
        f"{html.escape(tag)}</a></h4></li>"
        for tag in tags
    )
    source = (
        f'<div class="read__credit__item">Sumber: {writer.pick(("DW", "ANTARA", "PRFM"))}</div>'
        if rng.random() < 0.5
        else ""
    )
    share = "\n".join(
        f'<a class="social__link social__link--{net}" href="https://{host}{url}" target="_blank" '
        f'rel="noopener">{net.title()}</a>'
        for net, host in (
            ("facebook", "www.facebook.com/sharer/sharer.php?u="),
            ("twitter", "twitter.com/intent/tweet?url="),
            ("whatsapp", "api.whatsapp.com/send?text="),
        )
    )
    page = f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc_title} - Galamedia</title>
{chr(10).join(metas)}
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Galamedia">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{esc_title}">
<meta property="og:description" content="{description}">
<meta property="og:image" content="{image}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="{esc_title}">
<link rel="stylesheet" href="{ASSETS}/galamedia/desktop/css/galamedia.min.css?v=2.3.41">
<style>{_css(rng, rng.randint(8, 40))}</style>
{jsonld}
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({data_layer});</script>
<script async src="https://securepubads.g.doubleclick.net/tag/js/gpt.js"></script>
<script>
  window.googletag = window.googletag || {{cmd: []}};
  googletag.cmd.push(function() {{
{slots}
    googletag.pubads().enableSingleRequest();
    googletag.enableServices();
  }});
</script>
<script>{_script(rng, rng.randint(4, 30))}</script>
</head>
<body class="read">
<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-K7GMPR2" height="0"
 width="0" style="display:none;visibility:hidden"></iframe></noscript>
<div class="ads ads--top"><div id="div-gpt-ad-desktopTopLeaderboard">
<script>googletag.cmd.push(function() {{
  googletag.display('div-gpt-ad-desktopTopLeaderboard'); }});
</script></div></div>
<header class="header clearfix">
<div class="header__top"><div class="container clearfix">
<a class="header__logo" href="{origin}/" title="Galamedia">
<img src="{ASSETS}/galamedia/images/logo-galamedia.png" alt="Galamedia"></a>
<form class="search" action="{origin}/search" method="get">
<input class="search__input" type="text" name="q" placeholder="Cari berita di Galamedia">
<button class="search__button" type="submit">Cari</button></form>
</div></div>
<nav class="nav"><div class="container"><ul class="nav__wrap">
{kanal_links}
</ul></div></nav>
<div class="trending"><span>Trending</span><ul class="trending__list">
{trending}
</ul></div>
</header>
<div class="main container clearfix">
<div class="col-offset-fluid clearfix">
<div class="col-bs10-7">
<div class="breadcrumb clearfix"><ul class="breadcrumb__wrap">
<li class="breadcrumb__item"><a class="breadcrumb__link" href="{origin}/">Home</a></li>
<li class="breadcrumb__item">
<a class="breadcrumb__link" href="{origin}/{kanal}">{KANALS[kanal]}</a></li>
</ul></div>
<div class="read__header mt2 clearfix">
<h1 class="read__title">{esc_title}</h1>
<div class="read__info">
<div class="read__info__author">
<a href="{origin}/author/{rng.randint(1000, 99999)}/{slugify(author)}">{author}</a></div>
<div class="read__info__date">{visible}</div>
</div>
<div class="social social--article clearfix">
{share}
</div>
<div class="photo">
<div class="photo__img">
<img {img_attrs} alt="{alt}" title="{alt}" width="720" height="480"></div>
<div class="photo__caption">{html.escape(caption)}/{html.escape(credit)} /</div>
</div>
</div>
<article class="read__content clearfix">
{body.html}
</article>
<div class="read__credit mt2 clearfix">
<div class="read__credit__item">Editor: {editor}</div>
{source}
</div>
<div class="read__tag mt2 clearfix"><div class="read__tag__title">Tags</div>
<ul class="tag__list">
{tag_items}
</ul></div>
{chr(10).join(menus[:2])}
<div class="ads ads--inread"><div id="div-gpt-ad-desktopRight1">
<script>googletag.cmd.push(function() {{
  googletag.display('div-gpt-ad-desktopRight1'); }});</script>
</div></div>
{chr(10).join(menus[2:])}
</div>
<div class="col-bs10-3">
<div class="ads ads--sidebar">
<ins class="adsbygoogle" style="display:inline-block;width:300px;height:600px"
 data-ad-client="ca-pub-7261094533412098" data-ad-slot="5183920746"></ins>
<script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script></div>
</div>
</div>
</div>
<footer class="footer clearfix"><div class="container">
<ul class="footer__nav">
<li><a href="{origin}/redaksi">Redaksi</a></li>
<li><a href="{origin}/about-us">Tentang Kami</a></li>
<li><a href="{origin}/pedoman-media-siber">Pedoman Media Siber</a></li>
<li><a href="{origin}/kebijakan-privasi">Kebijakan Privasi</a></li>
</ul>
<div class="footer__network">Jaringan Media <ul class="network__list">
{network}
</ul></div>
<div class="footer__copyright">Copyright &copy; Galamedia. All Rights Reserved.</div>
</div></footer>
<script src="{ASSETS}/www/network/desktop/js/jquery.min.js"></script>
<script src="{ASSETS}/www/network/desktop/js/lazysizes.min.js" async></script>
<script>$(document).ready(function () {{
  $('.read__content iframe').wrap('<div class="embed-responsive"></div>'); }});</script>
</body>
</html>
"""
    return Rendered(
        page,
        tuple(body.paragraphs),
        tuple(body.teasers),
        (caption, *body.figure_captions),
        tuple(menu_titles),
    )


def generate(seed: int, *, origin: str = ORIGIN) -> GeneratedPage:
    """One article page with its truth, drawn from `seed`."""
    rng = random.Random(seed)
    writer = Writer(rng)
    title = writer.title()
    kanal = rng.choice(list(KANALS))
    published_at = datetime(2023, 1, 1, tzinfo=WIB) + timedelta(minutes=rng.randrange(525_000))
    identity = Identity(f"0{rng.randrange(10**7, 10**8)}", kanal, title, published_at)
    form = choose_date_form(rng)
    url = origin + identity.path
    rendered = render(
        rng,
        title=title,
        url=url,
        article_id=identity.article_id,
        kanal=kanal,
        iso=published_at.isoformat(),
        visible=form.visible(published_at),
        form=form,
        origin=origin,
    )
    truth = Truth(
        url=url,
        title=title,
        published_at=published_at,
        paragraphs=rendered.paragraphs,
        teasers=rendered.teasers,
        captions=rendered.captions,
        menu_titles=rendered.menu_titles,
        date_form=form.name,
    )
    return GeneratedPage(rendered.html.encode(), truth)
