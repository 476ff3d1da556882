"""A local copy of the site, built from the stored pages and generated articles, on 127.0.0.1.

Tests start it through a fixture; a person can run it to watch the crawler work offline:

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

import argparse
import html
import socket
import struct
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
from tests.helpers import SINCE, UNTIL, WINDOW_END, WINDOW_START, PageCase, load_cases

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
    """A classic-layout article page (SITE.md §2) holding `article`'s fields."""
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
    """One listing page (SITE.md §3: the index, a kanal, a tag) with the template's quirks."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--drifted", type=int, default=0, metavar="N", help="serve N drifted-template articles"
    )
    arguments = parser.parse_args()
    if arguments.drifted:
        site = drifted_site(arguments.drifted, port=arguments.port)
    else:
        site = standard_site(arguments.port)
    with site:
        print(f"Serving the local test site on {site.origin}. Try:")  # noqa: T201
        print(  # noqa: T201
            f"  scrapy crawl articles -a base_url={site.origin} -a since={SINCE}"
            f" -a until={UNTIL} -O out.jsonl -s DOWNLOAD_DELAY=0"
        )
        site._thread.join()


if __name__ == "__main__":
    main()
