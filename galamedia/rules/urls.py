"""Article URL rules of the PRMN CMS: recognition, canonical form and page variants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

# `/{kanal}/pr-{id}/{slug}`; AMP copies put `amp/` before `pr-` (sibling sites) and some
# templates put it first. Kanal slugs may contain hyphens (`bandung-raya`, `citizen-report`).
_ARTICLE_PATH = re.compile(
    r"""
    ^/(?:amp/)?
    (?P<kanal>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)
    /(?P<amp>amp/)?
    pr-(?P<id>\d{6,12})
    (?:/(?P<slug>[^/]+))?
    /?$
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class ArticleUrl:
    """The parts of an article URL that identify the article."""

    origin: str
    kanal: str
    article_id: str
    slug: str
    is_amp: bool

    @property
    def site(self) -> str:
        """The `site` of the article's items and its key in the state (`site_of`)."""
        return site_of(self.origin)

    @property
    def canonical(self) -> str:
        """`{origin}/{kanal}/pr-{id}/{slug}`: no AMP segment, no query, no fragment."""
        base = f"{self.origin}/{self.kanal}/pr-{self.article_id}"
        return f"{base}/{self.slug}" if self.slug else base

    @property
    def amp(self) -> str:
        """The AMP copy's URL, `{origin}/{kanal}/amp/pr-{id}/{slug}`."""
        return self.canonical.replace(f"/{self.kanal}/pr-", f"/{self.kanal}/amp/pr-", 1)

    def page(self, page: int | str) -> str:
        """The canonical URL of one page (`2`) or of all pages at once (`all`)."""
        return f"{self.canonical}?page={page}"


def parse_article_url(url: str) -> ArticleUrl | None:
    """Split an article URL into its parts, or None when `url` is not an article URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    match = _ARTICLE_PATH.match(parts.path)
    if match is None:
        return None
    is_amp = parts.path.startswith("/amp/") or match["amp"] is not None
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    return ArticleUrl(
        origin=urlunsplit((parts.scheme.lower(), netloc, "", "", "")),
        kanal=match["kanal"].lower(),
        article_id=match["id"],
        slug=match["slug"] or "",
        is_amp=is_amp,
    )


def canonical_article_url(url: str) -> str | None:
    """The canonical form of an article URL, or None when `url` is not an article URL."""
    article = parse_article_url(url)
    return article.canonical if article else None


# Old article links, `/read/{id}`, that the site redirects to the article's current URL.
_LEGACY_PATH = re.compile(r"^/read/\d{4,12}(?:/[^/]*)?/?$")


def is_legacy_article_url(url: str) -> bool:
    """True for an old-style article link that redirects to the article."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and _LEGACY_PATH.match(parts.path) is not None


# A date in a sitemap's name: `sitemap-2023-02.xml`, `/2023/02/sitemap.xml`, `2023-02-22.xml`.
_DATE_IN_NAME = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})[-/_]?(?P<month>0[1-9]|1[0-2])"
    r"(?:[-/_]?(?P<day>0[1-9]|[12]\d|3[01]))?(?!\d)"
)


def date_in_name(url: str) -> tuple[int, int, int | None] | None:
    """The year, month and (perhaps) day a sitemap's URL path names, or None."""
    match = _DATE_IN_NAME.search(urlsplit(url).path)
    if match is None:
        return None
    return int(match["year"]), int(match["month"]), int(match["day"]) if match["day"] else None


INDEX_PATH = "/indeks-berita"
FEED_PATH = "/feed"
ROBOTS_PATH = "/robots.txt"
SITEMAP_PATH = "/sitemap.xml"
"""Where a site's sitemaps are when its robots.txt names none."""


def source_path(kind: str, name: str = "") -> str:
    """Where a way into a site starts: the index, a kanal (`bandung-raya`) or a tag listing,
    the feed, or, for the sitemaps, robots.txt (which names them)."""
    paths = {"index": INDEX_PATH, "feed": FEED_PATH, "sitemap": ROBOTS_PATH}
    if kind == "kanal":
        return f"/{name}"
    if kind == "tag":
        return f"/tag/{quote(name)}"
    return paths[kind]


def page_number(url: str) -> int | None:
    """The `?page=N` number of an article page URL (None for `page=all` or no page)."""
    match = re.search(r"[?&]page=(\d+)(?:&|#|$)", url)
    return int(match[1]) if match else None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """A URL's origin, `scheme://host[:port]`, the port only when it is not the default: a
    site is its origin, so `http://127.0.0.1:8001` is not the site at `http://127.0.0.1:8000`."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        port = None
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{(parts.hostname or '').lower()}{shown}"


def site_of(url: str) -> str:
    """The site a URL belongs to: its host, with the port when one is given that is not the
    scheme's default. A real site is its host (`galamedia.pikiran-rakyat.com`); local copies
    on one host are told apart by their ports (`127.0.0.1:8001`)."""
    return origin_of(url).split("://", 1)[1]
