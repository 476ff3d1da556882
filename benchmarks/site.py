"""A large generated copy of the site on 127.0.0.1, for the end-to-end crawl benchmark.

Article pages are realistic (`benchmarks/pages.py`, ~60-120 KiB each) but only `TEMPLATES` of
them are generated: each article is one template with its own id, URL, title and dates written
into it at request time, which costs microseconds, so the server keeps up with the crawler and
20,000 articles take no memory. The index is `tests.testsite.render_index`, newest first, with
the template's paging quirks; every article is inside the crawl window.

The server speaks HTTP/1.1 with keep-alive (as a real site does), one thread per connection.
`SitemapSite` serves the same with sitemaps too (`benchmarks/scale.py`).
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from benchmarks.pages import DateForm, Identity, Writer, choose_date_form, render
from galamedia.rules.dates import WIB
from tests.testsite import (
    PER_PAGE,
    ROBOTS_TXT,
    IndexEntry,
    render_index,
    render_sitemap_index,
    render_urlset,
)

TEMPLATES = 48
FIRST = datetime(2023, 1, 1, tzinfo=WIB)
STEP = timedelta(minutes=3)
SINCE, UNTIL = "2023-01-01", "2023-12-31"
_HTML = "text/html; charset=utf-8"
_SLOTS = {
    "title": "QQTITLEQQ",
    "url": "QQURLQQ",
    "id": "QQIDQQ",
    "iso": "QQISOQQ",
    "vis": "QQVISQQ",
}
_SLOT_NAMES = {value: key for key, value in _SLOTS.items()}
_SLOT_PATTERN = re.compile("(" + "|".join(_SLOTS.values()) + ")")


@dataclass(frozen=True)
class _Template:
    kanal: str
    form: DateForm
    chunks: tuple[bytes | str, ...]
    """Literal bytes, and slot names (`title`, `url` …) where the identity goes."""

    def fill(self, values: dict[str, bytes]) -> bytes:
        return b"".join(
            values[chunk] if isinstance(chunk, str) else chunk for chunk in self.chunks
        )


def _template(seed: int, origin: str) -> _Template:
    rng = random.Random(seed)
    form = choose_date_form(rng)
    kanal = rng.choice(("bandung-raya", "jabar", "nasional", "olahraga", "gaya-hidup"))
    page = render(
        rng,
        title=_SLOTS["title"],
        url=_SLOTS["url"],
        article_id=_SLOTS["id"],
        kanal=kanal,
        iso=_SLOTS["iso"],
        visible=_SLOTS["vis"],
        form=form,
        origin=origin,
    ).html
    chunks = tuple(
        _SLOT_NAMES[piece] if index % 2 else piece.encode()
        for index, piece in enumerate(_SLOT_PATTERN.split(page))
    )
    return _Template(kanal, form, chunks)


class BenchSite:
    """`articles` generated articles behind `/indeks-berita`, served on 127.0.0.1."""

    def __init__(self, articles: int, *, seed: int = 7) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.requests: list[str] = []
        self._templates = [_template(seed * 1000 + n, self.origin) for n in range(TEMPLATES)]
        writer = Writer(random.Random(seed))
        self.articles: list[Identity] = []
        self._by_path: dict[str, int] = {}
        for number in range(articles):
            template = self._templates[number % TEMPLATES]
            identity = Identity(
                article_id=f"0{17_000_000 + number:08d}",
                kanal=template.kanal,
                title=writer.title(plain=True),
                published_at=FIRST + number * STEP,
            )
            self.articles.append(identity)
            self._by_path[identity.path] = number
        self._index = self._build_index()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def index_pages(self) -> int:
        return max(1, -(-len(self.articles) // PER_PAGE))

    def expected_paths(self) -> list[str]:
        """Every path a full crawl of the window requests (robots.txt aside), in index order.

        The walk reads the index to the empty page past its end, and each article once.
        """
        paths: list[str] = []
        newest_first = self.articles[::-1]
        for page in range(1, self.index_pages + 2):
            paths.append("/indeks-berita" if page == 1 else f"/indeks-berita?page={page}")
            chunk = newest_first[(page - 1) * PER_PAGE : page * PER_PAGE]
            paths.extend(article.path for article in chunk)
        return paths

    def article_page(self, number: int) -> bytes:
        article = self.articles[number]
        template = self._templates[number % TEMPLATES]
        return template.fill(
            {
                "title": article.title.encode(),
                "url": (self.origin + article.path).encode(),
                "id": article.article_id.encode(),
                "iso": article.published_at.isoformat().encode(),
                "vis": template.form.visible(article.published_at).encode(),
            }
        )

    def _build_index(self) -> dict[str, bytes]:
        entries = [
            IndexEntry(article.path, article.title, article.published_at)
            for article in reversed(self.articles)
        ]
        pages = self.index_pages
        index = {
            f"/indeks-berita?page={page}": render_index(
                entries[(page - 1) * PER_PAGE : page * PER_PAGE], page, pages, self.origin
            )
            for page in range(1, pages + 2)
        }
        index["/indeks-berita"] = index["/indeks-berita?page=1"]
        return index

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if (number := self._by_path.get(path)) is not None:
            return 200, _HTML, self.article_page(number)
        if (page := self._index.get(path)) is not None:
            return 200, _HTML, page
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS_TXT
        return 404, _HTML, b"<html><title>404</title></html>"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real server
            disable_nagle_algorithm = True  # headers and body are two writes

            def do_GET(self) -> None:
                site.requests.append(self.path)
                status, content_type, body = site.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: a log line per request would cost more than the answer."""

        return Handler


# Sitemaps, for `benchmarks/scale.py` ---------------------------------------------------------

SITEMAP_CHILD_URLS = 50_000
"""The sitemap protocol's limit per file: a larger sitemap is an index of child sitemaps."""


class SitemapSite(BenchSite):
    """A `BenchSite` that also serves its articles as sitemaps, named in its robots.txt.

    `/sitemap.xml` is an index of child sitemaps of at most `SITEMAP_CHILD_URLS` article URLs
    each, newest first, every entry with its `lastmod` (the publication time). The children
    carry no `lastmod` and no date in their names, so a crawl cannot skip one: it reads and
    filters every entry.
    """

    def __init__(self, articles: int, *, seed: int = 7) -> None:
        super().__init__(articles, seed=seed)
        entries = [
            IndexEntry(article.path, article.title, article.published_at)
            for article in reversed(self.articles)
        ]
        self._sitemaps = {
            f"/sitemap-posts-{number}.xml": render_urlset(
                entries[start : start + SITEMAP_CHILD_URLS], self.origin
            )
            for number, start in enumerate(range(0, len(entries), SITEMAP_CHILD_URLS), start=1)
        }
        children: list[tuple[str, datetime | None]] = [(path, None) for path in self._sitemaps]
        self._sitemaps["/sitemap.xml"] = render_sitemap_index(children, self.origin)
        self._robots = ROBOTS_TXT + f"Sitemap: {self.origin}/sitemap.xml\n".encode()

    def sitemap_paths(self) -> list[str]:
        """The index first, then its children."""
        return ["/sitemap.xml", *(path for path in self._sitemaps if path != "/sitemap.xml")]

    def sitemap_bytes(self) -> int:
        return sum(len(body) for body in self._sitemaps.values())

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if (sitemap := self._sitemaps.get(path)) is not None:
            return 200, "application/xml", sitemap
        if path == "/robots.txt":
            return 200, "text/plain", self._robots
        return super().answer(path)
