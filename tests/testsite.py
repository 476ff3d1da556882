"""A local copy of the site, built from the stored pages and generated articles, on 127.0.0.1.

Tests start it through a fixture; a person can run it to watch the crawler work offline. One
command serves the sample site (`sample_site`) on a free port, runs `scrapy crawl` on it into a
JSONL, stops the site and exits with the crawl's exit code:

    python -m tests.testsite --crawl sample.jsonl

(`python -m` from the repository root; from anywhere, `python path/to/tests/testsite.py …`)
or serves a site until Ctrl-C, for crawls of your own (the standard site the tests walk, or
`--site sample`):

    python -m tests.testsite --port 8000

It serves every stored page at its own path (`?page=N` and `?page=all` for split articles),
generated articles, an `/indeks-berita` index newest first with the template's paging quirks
(relative and absolute next links; from page 4 on two `paging__link--next` anchors, the real
one reading `Next`), AMP and legacy `/read/{id}` links in the index, a 404 and a robots.txt.

`drifted_site` builds another site: articles in the drifted template (`tests/drifted.py`),
with their truth, behind the same classic index:

    python -m tests.testsite --port 8000 --drifted 200
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a file (`python tests/testsite.py`): import from the repository
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import errno
import html
import os
import random
import shlex
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import quote, urlsplit

from galamedia.rules.dates import WIB
from tests import drifted
from tests.drifted import DriftedArticle
from tests.helpers import (
    ROOT,
    SINCE,
    UNTIL,
    WINDOW_END,
    WINDOW_START,
    PageCase,
    load_cases,
)

ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
HTML = {"Content-Type": "text/html; charset=utf-8"}
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
PER_PAGE = 10
NEWS_ITEMS = 20
XML = {"Content-Type": "application/xml"}
RSS = {"Content-Type": "application/rss+xml"}


@dataclass
class Route:
    """What the server answers for one path (with its query), faults included."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(HTML))
    delay: float = 0.0
    """Seconds before answering (a slow server)."""
    hold: threading.Event | None = None
    """Answer only once this is set (a test decides when)."""
    reset: bool = False
    """Drop the connection without answering."""
    cut_at: int | None = None
    """Announce the whole body, send this many bytes of it, and close (data loss)."""


@dataclass(frozen=True)
class GeneratedArticle:
    """An article the site builder writes from a template, with its known truth."""

    article_id: str
    kanal: str
    published_at: datetime
    title: str
    paragraphs: tuple[str, ...]
    listed_at: datetime | None = None
    """The date the index shows, when it differs from the page's own."""

    @property
    def path(self) -> str:
        return f"/{self.kanal}/pr-{self.article_id}/{self.title.lower().replace(' ', '-')}"

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class IndexEntry:
    """One teaser on the index: where it links and the date it shows."""

    href: str
    title: str
    listed_at: datetime


def date_text(moment: datetime) -> str:
    """The template's visible date form: `22 Februari 2023, 20:08 WIB`."""
    local = moment.astimezone(WIB)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} WIB"


def render_article(article: GeneratedArticle) -> bytes:
    """A classic-layout article page, the stored pages' template reduced to what the fields
    need, holding `article`'s fields."""
    title = html.escape(article.title)
    paragraphs = "\n".join(
        f"<p>{'<strong>GALAMEDIANEWS</strong> - ' if number == 0 else ''}{html.escape(text)}</p>"
        for number, text in enumerate(article.paragraphs)
    )
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{title} - Galamedia</title>
<meta name="pubdate" content="{article.published_at.isoformat()}">
<meta property="og:type" content="article"><meta property="og:title" content="{title}">
</head><body>
<div class="breadcrumb clearfix"><ul class="breadcrumb__wrap">
<li class="breadcrumb__item"><a href="/">Home</a></li>
<li class="breadcrumb__item"><a href="/{article.kanal}">{article.kanal.title()}</a></li></ul></div>
<div class="read__header mt2 clearfix"><h1 class="read__title">{title}</h1>
<div class="read__info">
<div class="read__info__author"><a href="/author/1/redaksi">Redaksi</a></div>
<div class="read__info__date">- {date_text(article.published_at)}</div></div></div>
<article class="read__content clearfix">
{paragraphs}
<div class="ads"><script>googletag.display('div-gpt-ad-desktopInArticle')</script></div>
</article>
<div class="read__credit">Editor: Tim Redaksi</div>
</body></html>""".encode()


def render_index(
    entries: list[IndexEntry], page: int, pages: int, origin: str, path: str = "/indeks-berita"
) -> bytes:
    """One listing page (the index, a kanal, a tag) with the template's quirks."""
    items = "\n".join(
        f"""<div class="latest__item">
<div class="latest__img"><a href="{e.href}"><img src="/x.jpg"></a></div>
<div class="latest__right"><h4 class="latest__subtitle"><a href="/nasional">Nasional</a></h4>
<h2 class="latest__title">
<a class="latest__link" href="{e.href}">{html.escape(e.title)}</a></h2>
<date class="latest__date">{date_text(e.listed_at)}</date></div></div>"""
        for e in entries
    )
    paging = ""
    if page <= pages:  # the last page links on to an empty one, as the template does
        # Odd pages link onward relatively, even pages absolutely: both occur on the site.
        target = f"?page={page + 1}" if page % 2 else f"{origin}{path}?page={page + 1}"
        if page >= 4:  # a second `--next` anchor that is not the next page
            paging += '<a class="paging__link paging__link--next" href="?page=1">First</a>'
        paging += f'<a class="paging__link paging__link--next" href="{target}">Next</a>'
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Indeks Berita - Galamedia</title></head><body>
<div class="latest__wrap mail">
{items}
</div>
<div class="paging clearfix"><div class="paging__wrap clearfix">{paging}</div></div>
</body></html>""".encode()


def render_urlset(entries: list[IndexEntry], origin: str, *, news: bool = False) -> bytes:
    """A sitemap of article URLs: `lastmod`, or a Google News `publication_date`."""
    urls = []
    for entry in entries:
        stamp = entry.listed_at.astimezone(WIB).isoformat()
        dated = (
            f"<news:news><news:publication_date>{stamp}</news:publication_date></news:news>"
            if news
            else f"<lastmod>{stamp}</lastmod>"
        )
        urls.append(f"<url><loc>{origin}{html.escape(entry.href)}</loc>{dated}</url>")
    namespace = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{namespace}>'
        + "".join(urls)
        + "</urlset>"
    ).encode()


def render_sitemap_index(children: list[tuple[str, datetime | None]], origin: str) -> bytes:
    items = "".join(
        f"<sitemap><loc>{origin}{path}</loc>"
        + (f"<lastmod>{lastmod.astimezone(WIB).isoformat()}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for path, lastmod in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    ).encode()


def render_feed(entries: list[IndexEntry], origin: str) -> bytes:
    """An RSS 2.0 feed with `pubDate` in `+0700`."""
    items = "".join(
        f"<item><title>{html.escape(entry.title)}</title><link>{origin}{html.escape(entry.href)}"
        f"</link><pubDate>{format_datetime(entry.listed_at.astimezone(WIB))}</pubDate></item>"
        for entry in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Galamedia</title><link>{origin}/</link>{items}</channel></rss>"
    ).encode()


def _kanal(href: str) -> str | None:
    parts = href.split("/")
    return parts[1] if len(parts) > 3 and parts[2].startswith("pr-") else None


class TestSite:
    """The local site: stored pages at their own paths, generated articles, and an index."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route | list[Route]] = {
            "/robots.txt": Route(body=ROBOTS_TXT, headers={"Content-Type": "text/plain"})
        }
        self.requests: list[str] = []
        self.times: list[float] = []
        self.headers: list[dict[str, str]] = []
        self.arrived: dict[str, threading.Event] = {}
        self.cases = {case.name: case for case in load_cases()}
        self.generated: dict[str, GeneratedArticle] = {}
        self.drifted: dict[str, DriftedArticle] = {}
        """Articles in the drifted template, by `article_id`, with their truth."""
        self.index: list[IndexEntry] = []
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        for case in self.cases.values():
            self._add_case(case)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """A local URL for a path, or for the path of a stored case's URL."""
        return self.origin + (urlsplit(path).path if "://" in path else path)

    def case_url(self, name: str) -> str:
        return self.url(self.cases[name].url)

    def case_path(self, name: str) -> str:
        return urlsplit(self.cases[name].url).path

    def add_article(self, article: GeneratedArticle, *, href: str | None = None) -> None:
        """Serve a generated article and list it on the index (by `href`, default its path)."""
        self.generated[article.article_id] = article
        self.routes[article.path] = Route(body=render_article(article))
        self.list(href or article.path, article.title, article.listed_at or article.published_at)

    def add_drifted(self, article: DriftedArticle) -> None:
        """Serve a drifted-template article (every page, `?page=N`, `?page=all`) and list it
        on the index."""
        self.drifted[article.article_id] = article
        for path, body in drifted.routes(article, self.origin).items():
            self.routes[path] = Route(body=body)
        self.list(article.path, article.title, article.published_at)

    def list(self, href: str, title: str, listed_at: datetime) -> None:
        """Put a teaser on the index."""
        self.index.append(IndexEntry(href, title, listed_at))

    def publish_index(self, per_page: int = PER_PAGE) -> None:
        """Write every way into the site from the teasers: `/indeks-berita`, kanal and tag
        listings, monthly sitemaps behind a sitemap index (named in robots.txt), a news
        sitemap, and an RSS feed."""
        entries = sorted(self.index, key=lambda entry: entry.listed_at, reverse=True)
        self._publish_listing("/indeks-berita", entries, per_page)
        for kanal in {_kanal(entry.href) for entry in entries} - {None}:
            listed = [entry for entry in entries if _kanal(entry.href) == kanal]
            self._publish_listing(f"/{kanal}", listed, per_page)
        for tag, listed in self._tagged(entries).items():
            self._publish_listing(f"/tag/{quote(tag)}", listed, per_page)
        canonical = self._canonical(entries)
        self._publish_sitemaps(canonical)
        self.routes["/feed"] = Route(body=render_feed(canonical, self.origin), headers=dict(RSS))

    def _publish_listing(self, path: str, entries: list[IndexEntry], per_page: int) -> None:
        pages = max(1, -(-len(entries) // per_page))
        for page in range(1, pages + 1):
            chunk = entries[(page - 1) * per_page : page * per_page]
            self.routes[f"{path}?page={page}"] = Route(
                body=render_index(chunk, page, pages, self.origin, path)
            )
        self.routes[path] = self.routes[f"{path}?page=1"]
        # One page past the end, as the template answers it: no items, no next link.
        self.routes[f"{path}?page={pages + 1}"] = Route(
            body=render_index([], pages + 1, pages, self.origin, path)
        )

    def _tagged(self, entries: list[IndexEntry]) -> dict[str, list[IndexEntry]]:
        tags_by_path = {
            self.case_path(name): case.spec["expected"]["tags"]
            for name, case in self.cases.items()
            if case.spec["expected"]
        }
        tagged: dict[str, list[IndexEntry]] = {}
        for entry in entries:
            for tag in tags_by_path.get(entry.href, []):
                tagged.setdefault(tag, []).append(entry)
        return tagged

    def _canonical(self, entries: list[IndexEntry]) -> list[IndexEntry]:
        """Each listed page once, by its own URL: what sitemaps and feeds list."""
        found = {}
        for entry in entries:
            href = entry.href
            if href.startswith("/read/"):
                href = self.generated[href.removeprefix("/read/")].path
            if "/amp/" in href or "://" in href:
                continue
            found.setdefault(href, IndexEntry(href, entry.title, entry.listed_at))
        return list(found.values())

    def _publish_sitemaps(self, entries: list[IndexEntry]) -> None:
        months: dict[str, list[IndexEntry]] = {}
        for entry in entries:
            months.setdefault(f"{entry.listed_at.astimezone(WIB):%Y-%m}", []).append(entry)
        children = []
        for month, listed in sorted(months.items()):
            path = f"/sitemap-{month}.xml"
            self.routes[path] = Route(body=render_urlset(listed, self.origin), headers=dict(XML))
            children.append((path, max(entry.listed_at for entry in listed)))
        newest = entries[:NEWS_ITEMS]
        self.routes["/sitemap-news.xml"] = Route(
            body=render_urlset(newest, self.origin, news=True), headers=dict(XML)
        )
        children.append(("/sitemap-news.xml", None))
        self.routes["/sitemap.xml"] = Route(
            body=render_sitemap_index(children, self.origin), headers=dict(XML)
        )
        robots = ROBOTS_TXT + f"Sitemap: {self.origin}/sitemap.xml\n".encode()
        self.routes["/robots.txt"] = Route(body=robots, headers={"Content-Type": "text/plain"})

    def redirect(self, path: str, target: str, status: int = 301) -> None:
        self.routes[path] = Route(status, b"", {"Location": target})

    def article_route(self, name: str) -> Route:
        """The route of a stored single-page case."""
        route = self.routes[self.case_path(name)]
        assert isinstance(route, Route)
        return route

    def wait_for(self, path: str, timeout: float = 30.0) -> bool:
        """Block until `path` has been requested (no sleeping: the server signals it)."""
        return self.arrived.setdefault(path, threading.Event()).wait(timeout)

    def _route(self, path: str) -> Route:
        found = self.routes.get(path, Route(404, b"<html><title>404</title></html>"))
        if isinstance(found, list):  # a sequence of answers, the last one for good
            return found.pop(0) if len(found) > 1 else found[0]
        return found

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add_case(self, case: PageCase) -> None:
        path = urlsplit(case.url).path
        status = int(case.spec.get("status", 200))
        if not case.is_multipage:
            self.routes[path] = Route(status, (case.directory / "page.html").read_bytes())
            return
        for number, page in enumerate(case.page_files, start=1):
            self.routes[f"{path}?page={number}"] = Route(status, page.read_bytes())
        self.routes[path] = self.routes[f"{path}?page=1"]
        self.routes[f"{path}?page=all"] = Route(
            status, (case.directory / "page-all.html").read_bytes()
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                site.times.append(time.monotonic())
                site.headers.append(dict(self.headers.items()))
                site.arrived.setdefault(self.path, threading.Event()).set()
                route = site._route(self.path)
                if route.hold is not None:
                    route.hold.wait(60)
                if route.delay:
                    time.sleep(route.delay)  # the fault under test: a slow server
                if route.reset:
                    # RST instead of FIN: the client sees the connection reset
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.cut_at is not None:
                    self.wfile.write(route.body[: route.cut_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: the tests assert on `site.requests` instead."""

        return Handler


MINUTE = timedelta(minutes=1)


def synthetic(
    number: int, published_at: datetime, listed_at: datetime | None = None
) -> GeneratedArticle:
    return GeneratedArticle(
        article_id=f"{9_000_000_00 + number:09d}",
        kanal="nasional",
        published_at=published_at,
        title=f"Berita nomor {number}",
        paragraphs=(
            f"Isi berita nomor {number} yang terbit pada {date_text(published_at)}.",
            "Paragraf kedua berita ini.",
        ),
        listed_at=listed_at,
    )


def standard_site(port: int = 0, host: str = "127.0.0.1") -> TestSite:
    """The site the discovery tests walk: a window of February 2023 and everything around it.

    * in the window: the edges (first and last minute), generated articles, and the stored
      articles dated in it; one listed both canonically and by its AMP link, one only by a
      legacy `/read/{id}` link that redirects;
    * outside it: a minute before and after, newer articles above it (skipped by their listing
      date), older pages below it (never fetched), and an article whose listing date is inside
      but whose page says otherwise;
    * in the window but not articles: the challenge, video and soft-404 pages, and a link that
      answers 404.
    """
    site = TestSite(port, host)
    edges = [
        synthetic(1, WINDOW_START),  # first minute of since: in
        synthetic(2, WINDOW_START - MINUTE),  # a minute before: out
        synthetic(3, WINDOW_END - MINUTE),  # last minute of until: in
        synthetic(4, WINDOW_END),  # a minute after: out
        # listed inside the window, but the page itself says a minute before it
        synthetic(5, WINDOW_START - MINUTE, listed_at=WINDOW_START + 5 * MINUTE),
    ]
    for article in edges:
        site.add_article(article)
    for number in range(10, 30):  # inside, spread over the month
        site.add_article(synthetic(number, WINDOW_START + timedelta(days=number - 9, hours=3)))
    for number in range(30, 45):  # newer than the window
        site.add_article(synthetic(number, WINDOW_END + timedelta(days=number - 29)))
    for number in range(45, 90):  # older than the window, several index pages of them
        site.add_article(synthetic(number, WINDOW_START - timedelta(days=number - 44, hours=1)))
    # listed only by its legacy link, which redirects to the article
    legacy = synthetic(6, WINDOW_START + timedelta(days=6))
    site.routes[legacy.path] = Route(body=render_article(legacy))
    site.generated[legacy.article_id] = legacy
    site.redirect(f"/read/{legacy.article_id}", legacy.path)
    site.list(f"/read/{legacy.article_id}", legacy.title, legacy.published_at)
    for name, case in site.cases.items():
        expected = case.spec["expected"]
        if not case.spec.get("standard_site", True):  # a case for the page tests alone
            continue
        if expected is None:  # not an article: listed inside the window
            site.list(site.case_path(name), name, WINDOW_START + timedelta(days=12))
            continue
        published = datetime.fromisoformat(expected["published_at"])
        site.list(site.case_path(name), name, published)
        if name == "wang-yi-classic":  # listed a second time, by its AMP link, pages later
            amp = site.case_path(name).replace("/internasional/", "/internasional/amp/")
            site.list(amp, name, published - timedelta(days=10))
    site.list(
        "/nasional/pr-099999999/dihapus", "deleted article", WINDOW_START + timedelta(days=3)
    )
    site.publish_index()
    return site


def drifted_site(
    count: int = 200, seed: int = drifted.SEED, port: int = 0, host: str = "127.0.0.1"
) -> TestSite:
    """A site of `count` articles in the drifted template (`tests/drifted.py`), all published
    inside the standard window, behind the classic index (newest first), kanal listings,
    sitemaps and feed; their truth is in `site.drifted`. Split articles answer `?page=N` and
    `?page=all` (some servers ignore it and answer page 1, as the spider must notice)."""
    site = TestSite(port, host)
    for article in drifted.generate(count, seed):
        site.add_drifted(article)
    site.publish_index()
    return site


# The sample site: what `--crawl` shows a newcomer ---------------------------------------

SAMPLE_SINCE, SAMPLE_UNTIL = "2023-02-01", "2023-03-31"
SAMPLE_START = datetime(2023, 2, 1, tzinfo=WIB)
SAMPLE_END = datetime(2023, 4, 1, tzinfo=WIB)
SAMPLE_SEED = 20230301
SAMPLE_CLASSIC = 28
"""Classic-layout articles generated inside the sample window."""
SAMPLE_DRIFTED = 8
"""Drifted-template articles generated inside the sample window."""


def sample_site(port: int = 0, host: str = "127.0.0.1", seed: int = SAMPLE_SEED) -> TestSite:
    """The site to try the crawler on (`python -m tests.testsite --crawl sample.jsonl`): real
    looking articles only, none of the standard site's one-paragraph stubs, around a window of
    February and March 2023 (`SAMPLE_SINCE`, `SAMPLE_UNTIL`). The same seed, the same site.

    * the stored pages of `tests/pages/` that the standard site lists, at their own dates: 15
      articles inside the window (a split one, a listicle, WITA times, lazy images …), the
      others newer and skipped by their listing date; and, listed inside the window, the
      challenge, "Access Denied", video and soft-404 pages, which the crawler recognises and
      does not write;
    * classic-layout articles from `benchmarks/pages.py` (dateline, "Baca Juga" teasers, ads,
      lead photo with caption and credit, tags, editor, source, several date forms and zones):
      `SAMPLE_CLASSIC` inside the window, two newer, six older (below it, never fetched);
    * `SAMPLE_DRIFTED` articles in the drifted template (`tests/drifted.py`), in February;

    behind the index, kanal and tag listings, sitemaps and feed, as `standard_site` has.
    """
    # imported here: `benchmarks.pages` imports this module (for `MONTHS`)
    from benchmarks import pages  # noqa: PLC0415

    site = TestSite(port, host)
    rng = random.Random(seed)
    writer = pages.Writer(rng)
    minutes = (SAMPLE_END - SAMPLE_START) // MINUTE
    moments = [  # spread over the window, each at its own minute
        SAMPLE_START
        + MINUTE * (minutes * (2 * number + 1) // (2 * SAMPLE_CLASSIC))
        + MINUTE * rng.randrange(-300, 300)
        for number in range(SAMPLE_CLASSIC)
    ]
    moments += [SAMPLE_END + timedelta(days=days, hours=8) for days in (1, 3)]
    moments += [SAMPLE_START - timedelta(days=days, hours=5) for days in range(1, 13, 2)]
    for number, published_at in enumerate(moments):
        title = writer.title()
        kanal = rng.choice(list(pages.KANALS))
        article_id = f"0{17_000_000 + number * 1_117:08d}"
        identity = pages.Identity(article_id, kanal, title, published_at)
        form = pages.choose_date_form(rng)
        rendered = pages.render(
            rng,
            title=title,
            url=site.url(identity.path),
            article_id=article_id,
            kanal=kanal,
            iso=published_at.isoformat(),
            visible=form.visible(published_at),
            form=form,
            origin=site.origin,
        )
        site.routes[identity.path] = Route(body=rendered.html.encode())
        site.list(identity.path, title, published_at)
    for article in drifted.generate(SAMPLE_DRIFTED, seed):
        site.add_drifted(article)
    for name, case in site.cases.items():
        expected = case.spec["expected"]
        if not case.spec.get("standard_site", True):  # a case for the page tests alone
            continue
        if expected is None:  # not an article: listed inside the window
            site.list(site.case_path(name), name, SAMPLE_START + timedelta(days=12))
        else:
            published = datetime.fromisoformat(expected["published_at"])
            site.list(site.case_path(name), str(expected["title"]), published)
    site.publish_index()
    return site


# Running it ------------------------------------------------------------------------------

HOST = "127.0.0.1"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(text)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.testsite",
        description="Serve a local copy of the site on 127.0.0.1, or serve the sample site and "
        "crawl it into a file with `scrapy crawl` (--crawl), with no internet.",
    )
    parser.add_argument(
        "--crawl",
        metavar="FILE",
        help="serve the site on a free port, crawl it into FILE (`-O FILE`: .jsonl, .csv …), "
        "stop the site, and exit with the crawl's exit code",
    )
    parser.add_argument(
        "--port",
        type=_port,
        help="the port on 127.0.0.1 (default: 8000 when serving, a free one with --crawl)",
    )
    parser.add_argument(
        "--site",
        choices=("sample", "standard"),
        help="sample: real-looking articles around February and March 2023 (the default with "
        "--crawl); standard: the site the tests walk (the default when serving)",
    )
    parser.add_argument(
        "--drifted", type=int, default=0, metavar="N", help="serve N drifted-template articles"
    )
    parser.add_argument("--since", help="the crawl window's first day (default: the site's)")
    parser.add_argument("--until", help="the crawl window's last day (default: the site's)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    kind = "drifted" if arguments.drifted else arguments.site
    kind = kind or ("sample" if arguments.crawl else "standard")
    port = arguments.port if arguments.port is not None else 0 if arguments.crawl else 8000
    try:
        if kind == "drifted":
            site = drifted_site(arguments.drifted, port=port, host=HOST)
        elif kind == "sample":
            site = sample_site(port, HOST)
        else:
            site = standard_site(port, HOST)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            message = f"port {port} on {HOST} is in use: choose another with --port"
        else:
            message = f"port {port} on {HOST}: {error.strerror or error}"
        print(f"error: {message}", file=sys.stderr)  # noqa: T201
        return 2
    since, until = (SAMPLE_SINCE, SAMPLE_UNTIL) if kind == "sample" else (SINCE, UNTIL)
    since, until = arguments.since or since, arguments.until or until
    with site:
        if arguments.crawl:
            return _crawl(site, kind, Path(arguments.crawl), since, until)
        return _serve(site, kind, since, until)


def _crawl_arguments(site: TestSite, feed: str, since: str, until: str) -> list[str]:
    """`scrapy crawl` as the README runs it on Galamedia, on this site, with no delay between
    requests (the server is ours)."""
    return [
        "crawl",
        "articles",
        "-a",
        f"base_url={site.origin}",
        "-a",
        f"since={since}",
        "-a",
        f"until={until}",
        "-O",
        feed,
        "-s",
        "DOWNLOAD_DELAY=0",
    ]


def _serve(site: TestSite, kind: str, since: str, until: str) -> int:
    print(f"Serving the {kind} test site on {site.origin} (Ctrl-C stops it). Try:")  # noqa: T201
    command = shlex.join(["scrapy", *_crawl_arguments(site, "out.jsonl", since, until)])
    print(f"  {command}", flush=True)  # noqa: T201
    try:
        site._thread.join()
    except KeyboardInterrupt:
        return 130
    return 0


def _shown(path: Path) -> str:
    """A path as the reader can type it where they are: relative when it is below."""
    here = Path.cwd()
    return os.path.relpath(path, here) if path.is_relative_to(here) else str(path)


def _stamp(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


def _crawl(site: TestSite, kind: str, output: Path, since: str, until: str) -> int:
    out = output.expanduser().resolve()  # where the reader means, wherever they are
    report = out.with_name(out.name + ".report.json")
    before = _stamp(out), _stamp(report)
    # `scrapy crawl` runs where scrapy.cfg is: the repository root
    feed = str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out)
    arguments = _crawl_arguments(site, feed, since, until)
    where = "" if Path.cwd() == ROOT else f", from {ROOT} (where scrapy.cfg is),"
    print(  # noqa: T201
        f"Serving the {kind} site on {site.origin}: {len(site.index)} pages listed on "
        "/indeks-berita, stored (tests/pages/) and generated.\n"
        f"Crawling it{where} with the command you would run on Galamedia (there without "
        "base_url\nand without DOWNLOAD_DELAY=0: the real site gets a request a second at most):"
        f"\n\n  {shlex.join(['scrapy', *arguments])}\n",
        flush=True,
    )
    scrapy = Path(sys.executable).parent / "scrapy"
    program = [str(scrapy)] if scrapy.exists() else [sys.executable, "-m", "scrapy"]
    crawl = subprocess.Popen([*program, *arguments], cwd=ROOT)  # its output streams through
    while True:
        try:
            code = crawl.wait()
            break
        except KeyboardInterrupt:  # the crawl got the Ctrl-C too: it closes, and we wait
            continue
    written = (_stamp(out), _stamp(report))
    lines = [f"\nThe crawl exited with {code}; the {kind} site is stopped."]
    if written[0] not in (None, before[0]):
        count = len(out.read_bytes().splitlines())
        lines.append(f"  items:   {_shown(out)} ({count} articles, one JSON object per line)")
    else:
        lines.append(f"  items:   none written to {_shown(out)}: see the log above")
    if written[1] not in (None, before[1]):
        lines.append(f"  report:  {_shown(report)} (every page not written, and why)")
    if written[0] not in (None, before[0]):
        lines.append(f"  the first item:  head -n 1 {shlex.quote(_shown(out))} | head -c 800")
    lines.append('The summary is in the log above, from "Crawl finished".')
    if kind == "sample":
        lines[-1] += (
            ' Besides articles, the sample site serves\na challenge, an "Access Denied" page, '
            "a video and a soft 404 (stored in tests/pages/): the crawler\nrecognises them and "
            'counts them under "not written".'
        )
    print("\n".join(lines), flush=True)  # noqa: T201
    return code


if __name__ == "__main__":
    sys.exit(main())
