"""Article pages: one response of an article (one of its pages) to its parsed fields."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain
from typing import Any, TypeVar

from lxml import etree
from scrapy.http import TextResponse

from galamedia.accounting.outcomes import Rejection
from galamedia.items import Article
from galamedia.pages.body import Body, extract_body
from galamedia.pages.dom import Document, Element, evaluate, parse_html, select_in
from galamedia.rules.blocks import weak_marker
from galamedia.rules.dates import find_date_text, parse_date, parse_iso, to_iso
from galamedia.rules.text import (
    chrome_reason,
    is_home_label,
    label_value,
    normalize_space,
    split_caption,
    split_keywords,
    strip_end_mark,
    word_count,
)
from galamedia.rules.urls import ArticleUrl, page_number, parse_article_url

# Each field is read in layers, tried in order, specific to generic; the first that yields a
# value wins, and its label (the selector without `::attr`, or the source it names) is recorded
# in the item's `field_layers`. The known PRMN templates are the classic layout and the 2026
# layout; "drifted" is a redesign with none of their classes, read from semantic HTML5 and
# schema.org (JSON-LD), as most news CMSs mark up today.

TITLE = (
    "h1.read__title",  # classic layout
    "div.read__title h1",  # 2026 layout: the class moved to a wrapper
    ".read__title",  # either, markup unknown
)
# … then JSON-LD `headline` …
TITLE_GENERIC = ("article h1",)  # drifted layout: the article's own heading
TITLE_META = (
    'meta[property="og:title"]::attr(content)',  # every PRMN page
    'meta[name="twitter:title"]::attr(content)',  # a template without Open Graph
)
TITLE_LAST = ("h1",)  # any page: its first heading
DATE_META = (
    'meta[name="pubdate"]::attr(content)',  # PRMN template
    'meta[property="article:published_time"]::attr(content)',  # both layouts, drifted too
    'meta[itemprop="datePublished"]::attr(content)',  # microdata, never seen on PRMN
)
# … then JSON-LD `datePublished` …
# Drifted layout: the article's own `<time datetime>`; not one in a sidebar, a menu or the
# footer (other articles' times), nor the one on a `Diperbarui:` line (the update's).
DATE_ATTRIBUTE = "article time[datetime]"
_DATE_ATTRIBUTE_XPATH = (
    "//article//time[@datetime][not(ancestor::aside or ancestor::nav or ancestor::footer)]"
    "[not(contains(.., 'iperbarui') or contains(.., 'iupdate'))]/@datetime"
)
VISIBLE_DATE = (
    "div.read__info__date",  # classic layout: `- 22 Februari 2023, 20:08 WIB`
    "span.date_detail",  # 2026 layout: `2 Februari 2026, 05:34 WIB`
    ".read__info time",  # a drifted layout with a `<time>` in the info bar
    ".read__date",  # a drifted layout with the date outside the info bar
    "article header time",  # drifted layout: a `<time>` without `datetime`
)
# … then the first text on the page in one of the site's date forms.
UPDATED_META = (
    'meta[property="article:modified_time"]::attr(content)',  # Open Graph, drifted layout
    'meta[itemprop="dateModified"]::attr(content)',  # microdata
)
# … then JSON-LD `dateModified`, then a `Diperbarui:` line (`UPDATE_LABELS`) wherever it is.
UPDATE_LABELS = ("diperbarui", "diperbaharui", "diupdate", "update:")
# In every update label as it is written (`Diperbarui`, `Diperbaharui`, `Diupdate`, `Update:`).
UPDATE_WORDS = ("iperba", "pdate")
AUTHOR = ('div.read__info__author a[href*="/author/"]',)  # both layouts
# … then JSON-LD `author.name` …
AUTHOR_GENERIC = (
    'a[rel="author"]',  # drifted layout: the byline link
    'a[href*="/author/"]',  # an author link outside the known wrapper
)
AUTHOR_META = ('meta[name="author"]::attr(content)',)  # PRMN template; the site's name at times
SITE_NAME = ('meta[property="og:site_name"]::attr(content)',)  # what AUTHOR_META must not be
EDITOR = ("div.read__info__author span.read_contributor",)  # 2026 layout, by the writer
# Elsewhere (the classic layout, drifted ones) the footer lines' markup is unknown: their text
# is found instead, whatever element holds it (`LINE_WORDS`).
FOOTER_LABELS = ("Editor", "Sumber")
# The texts that may open a footer or an update line: one pass over the page's text finds both.
LINE_WORDS = (*FOOTER_LABELS, *UPDATE_WORDS)
BREADCRUMB_LINKS = ("ul.breadcrumb__wrap li.breadcrumb__item a",)  # both layouts: Home › Kanal
# … then JSON-LD `articleSection`, a JSON-LD `BreadcrumbList` …
BREADCRUMB_GENERIC = (
    'nav[aria-label="breadcrumb" i] a',  # drifted layout (ARIA breadcrumb pattern)
    ".breadcrumb a",  # a breadcrumb without the list classes
)
SECTION_META = ('meta[property="article:section"]::attr(content)',)  # a page without breadcrumb
TAGS = (
    "ul.tag__list li h4 a",  # classic layout
    "ul.tag__list li a",  # classic layout without the `h4`
    "section.read__tagging div.tag a",  # 2026 layout
    "section.read__tagging a",  # 2026 layout without the `div.tag`
    'a[rel="tag"]',  # drifted layout (microformats rel-tag)
)
# … then JSON-LD `keywords` …
TAG_META = ('meta[property="article:tag"]::attr(content)',)  # a page without a tag list
PHOTO = "div.photo"  # the lead photo block, both layouts
LEAD_IMAGE = (  # inside PHOTO
    "div.photo__img img",  # both layouts
    "img",  # a photo block without the `photo__img` wrapper
    "amp-img",  # AMP copy
)
LEAD_FIGURE = (
    "article figure",  # drifted layout: the figure that opens the article
    "main figure",  # an article without an `<article>` element
)
IMAGE_META = (
    'meta[property="og:image"]::attr(content)',  # every PRMN page
    'meta[name="twitter:image"]::attr(content)',  # a template without Open Graph
)
# `src` last: lazy loading keeps the real URL in a data attribute and a placeholder in `src`.
IMAGE_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original", "src")
CAPTION = (  # inside PHOTO
    "div.photo__caption",  # both layouts
    "figcaption",  # a photo block marked up as a `<figure>`
)
BODY_CONTAINER = (
    "article.read__content",  # both layouts (`read__content clearfix`)
    "div.read__content",  # 2026 layout wrapper
    '[itemprop="articleBody"]',  # drifted layout, schema.org microdata
    "div.amp-article-body, div.read__article",  # AMP copies
)
LONE_ARTICLE = "article"  # drifted layout without microdata: the page's only `<article>`
# What makes a body container without text a video or gallery page, not an empty article.
MEDIA = "iframe, video, embed, object, figure, img, amp-iframe, amp-youtube, amp-img, amp-video"
VIDEO_TYPE = ('meta[property="og:type"][content^="video"]::attr(content)',)
# libxml2 reads HTML at most this deep, even with `huge_tree` (parsel's default): a tree whose
# last element sits there was cut short.
PARSER_MAX_DEPTH = 2048
LAST_ELEMENT_DEPTH = "count((//*)[last()]/ancestor::*)"
ARTICLE_PAGING = (
    "div.paging--article a.paging__link",  # classic layout
    "div.read__paging a",  # classic layout: the paging's outer wrapper
    "div.paging a",  # a paging block without the `--article` modifier
)
PAGE_LINKS = 'a[href*="page="]'  # drifted layout: any link to a page of the same article
CANONICAL = (
    'link[rel="canonical"]::attr(href)',  # every PRMN page, AMP copies included
    'meta[property="og:url"]::attr(content)',  # a template without a canonical link
)
JSON_LD = 'script[type="application/ld+json"]::text'  # never seen on PRMN; used when there
JSON_LD_ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}
)

# Layer labels of the sources that are not selectors.
JSONLD_HEADLINE = "JSON-LD headline"
JSONLD_PUBLISHED = "JSON-LD datePublished"
JSONLD_MODIFIED = "JSON-LD dateModified"
JSONLD_AUTHOR = "JSON-LD author"
JSONLD_SECTION = "JSON-LD articleSection"
JSONLD_BREADCRUMB = "JSON-LD BreadcrumbList"
JSONLD_KEYWORDS = "JSON-LD keywords"
JSONLD_IMAGE = "JSON-LD image"
DATE_TEXT = "date text on the page"
BODY_TEXTS = "//body//text()[not(ancestor::script or ancestor::style)]"
UPDATE_LINE = "Diperbarui: line"
GENERIC_PAGE_LINKS = "links to ?page=N"


def _label(query: str) -> str:
    return query.split("::", 1)[0]


# The layers the known PRMN templates (classic, 2026) serve each field from. A field served by
# any other layer came from a fallback: its share of the items is what the drift canary
# watches, since a template change shows there before the data goes wrong.
TEMPLATE_LAYERS = frozenset(
    {
        *TITLE[:2],
        *map(_label, DATE_META[:2]),
        *VISIBLE_DATE[:2],
        *AUTHOR,
        *EDITOR,
        *(f"{name}: line" for name in FOOTER_LABELS),
        *BREADCRUMB_LINKS,
        TAGS[0],
        TAGS[2],
        f"{PHOTO} {LEAD_IMAGE[0]}",
        f"{PHOTO} {CAPTION[0]}",
        *BODY_CONTAINER[:2],
        ARTICLE_PAGING[0],
    }
)

NOT_FOUND_MARKERS = ("404", "tidak ditemukan", "not found", "tidak tersedia")
IMAGE_PLACEHOLDERS = ("data:", "about:", "javascript:")
IMAGE_PLACEHOLDER_NAMES = ("blank.", "lazy", "placeholder", "loading.", "spacer.")
# Inline elements inside a footer line; any other element (`<br>`, `<p>`, `<div>` …) ends it.
_INLINE = frozenset({"a", "b", "strong", "em", "i", "span", "small", "u", "font", "time"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ArticlePart:
    """The fields of one page of an article (or of its `?page=all` view)."""

    url: ArticleUrl
    title: str | None
    published_at: datetime | None
    published_at_raw: str | None
    updated_at: datetime | None
    updated_at_raw: str | None
    author: str | None
    editor: str | None
    source: str | None
    category: str | None
    tags: tuple[str, ...]
    image_url: str | None
    image_caption: str | None
    image_credit: str | None
    body: Body
    page_count: int
    """The highest page number the article paging links to (1 when not split)."""
    next_page_url: str | None
    """The next page of the article, on a page of a split article that is not the last."""
    problems: tuple[str, ...]
    """Non-fatal findings to count and log, e.g. `date_mismatch: …`."""
    fetched_at: datetime
    layers: Mapping[str, str] = field(default_factory=dict)
    """Field name → the layer that supplied it on this page."""


def covers(first: ArticlePart, view: ArticlePart) -> bool:
    """True when `view` (a `?page=all` response) holds the whole article that `first` opens.

    A server that ignores `page=all` answers with page 1 again; a truncated view lacks the
    later pages' paragraphs. Either way the article must be walked page by page instead.
    """
    opening = first.body.paragraphs
    return (
        view.next_page_url is None
        and len(view.body.paragraphs) > len(opening)
        and view.body.paragraphs[: len(opening)] == opening
    )


class ArticlePage:
    """One article page response, parsed field by field in layers."""

    def __init__(self, response: TextResponse, *, fetched_at: datetime) -> None:
        self.response = response
        self.fetched_at = fetched_at
        self._problems: list[str] = []
        self._layers: dict[str, str] = {}
        self._url: ArticleUrl | None = None

    def parse(self) -> ArticlePart:
        """The page's fields; raises `Rejection` with the reason it is not an article page.

        Block pages never get here: the downloader's `BlockDetectionMiddleware` turns them
        away. Only a sign that counts on a page without body text is looked for here.
        """
        status = self.response.status
        if status >= 400:
            raise Rejection(f"http_{status}", "error page")
        url = self._article_url()
        if url is None:
            raise Rejection("not_article_url", f"no article URL for {self.response.url}")
        self._url = url
        body = self._body()
        if not body.paragraphs:
            self._reject_bodyless()
        if reason := chrome_reason(body.paragraphs, body.linked):
            raise Rejection("chrome_only", f"the body is site chrome, not an article: {reason}")
        jsonld = self._jsonld_article
        published_at, published_at_raw = self._published(jsonld) or (None, None)
        updated_at, updated_at_raw = self._updated(jsonld) or (None, None)
        caption, credit = self._caption() or (None, None)
        return ArticlePart(
            url=url,
            title=self._title(jsonld),
            published_at=published_at,
            published_at_raw=published_at_raw,
            updated_at=updated_at,
            updated_at_raw=updated_at_raw,
            author=self._author(jsonld),
            editor=self._first(
                "editor",
                chain(self._texts(EDITOR, label="Editor"), self._footer_line("Editor")),
            ),
            source=self._first("source", self._footer_line("Sumber")),
            category=self._category(url, jsonld),
            tags=self._tags(jsonld) or (),
            image_url=self._image_url(jsonld),
            image_caption=caption,
            image_credit=credit,
            body=body,
            page_count=self._page_count(),
            next_page_url=self._next_page_url(url),
            problems=tuple(self._problems),
            fetched_at=self.fetched_at,
            layers=dict(self._layers),
        )

    @cached_property
    def _doc(self) -> Document:
        return Document(parse_html(self.response.text))

    def _first(self, name: str, layers: Iterable[tuple[str, T | None]]) -> T | None:
        """The first value the layers yield (they are tried lazily), recording its layer."""
        for layer, value in layers:
            if value:
                self._layers[name] = layer
                return value
        return None

    def _article_url(self) -> ArticleUrl | None:
        # The response URL (after redirects) first; a legacy URL that was not redirected may
        # still name its article in the canonical link.
        if url := parse_article_url(self.response.url):
            return url
        for candidate in self._values(CANONICAL):
            if url := parse_article_url(self.response.urljoin(candidate)):
                return url
        return None

    # Body ----------------------------------------------------------------------------------

    @cached_property
    def _body_container(self) -> tuple[str, Element] | None:
        """The article body container: the first query that finds one decides, and nothing
        wider (`<body>`, an element holding the page's menus and footer) is ever taken."""
        for query in BODY_CONTAINER:
            if found := self._doc.select(query):
                return query, found[0]
        articles = self._doc.select(LONE_ARTICLE)
        if len(articles) == 1:
            return LONE_ARTICLE, articles[0]
        return None

    def _body(self) -> Body:
        if self._body_container is None:
            return Body((), (), None)
        query, container = self._body_container
        body = extract_body(container, self.response.url)
        if body.paragraphs:
            self._layers["body"] = query
        return body

    def _reject_bodyless(self) -> None:
        """No article text where articles keep it. Only a positive finding is not a failure:
        a block or not-found page, a video or gallery page (media where the text would be).
        A page the parser could not read to its end, one without a body container, or with
        an empty one is a lost article: the template may have changed, or the page is broken.
        """
        if marker := weak_marker(self.response.text):
            raise Rejection("blocked", f"block page ({marker!r})")
        heading = normalize_space(" ".join(self._doc.values("title::text, h1 ::text")))
        if any(word in heading.lower() for word in NOT_FOUND_MARKERS):
            raise Rejection("soft_404", f"not-found page ({heading[:80]!r})")
        if (depth := evaluate(self._doc.root, LAST_ELEMENT_DEPTH)) >= PARSER_MAX_DEPTH - 1:
            raise Rejection(
                "unparseable",
                f"markup nested deeper than the parser reads ({int(depth)} levels): the rest of"
                " the page, its body with it, is out of reach",
            )
        if self._body_container is None:
            raise Rejection("no_body_container", "no article body container: unknown markup")
        _, container = self._body_container
        if select_in(container, MEDIA) or self._values(VIDEO_TYPE):
            raise Rejection("no_body", "no body text: a video or gallery page")
        raise Rejection("empty_body", "its body container holds no text")

    # Title and dates -----------------------------------------------------------------------

    def _title(self, jsonld: Mapping[str, Any]) -> str | None:
        return self._first(
            "title",
            chain(
                self._texts(TITLE),
                [(JSONLD_HEADLINE, _string(jsonld.get("headline")))],
                self._texts(TITLE_GENERIC),
                self._meta_values(TITLE_META),
                self._texts(TITLE_LAST),
            ),
        )

    def _published(self, jsonld: Mapping[str, Any]) -> tuple[datetime, str] | None:
        shown = self._visible_date()
        declared = chain(
            self._meta_values(DATE_META),
            [(JSONLD_PUBLISHED, _string(jsonld.get("datePublished")))],
            self._time_attribute(),
        )
        for layer, raw in declared:
            if raw and (moment := parse_iso(raw)):
                if shown and _to_minute(shown[1][0]) != _to_minute(moment):
                    self._problems.append(
                        f"date_mismatch: meta {to_iso(moment)} vs page {to_iso(shown[1][0])}"
                    )
                return self._first("published_at", [(_label(layer), (moment, raw))])
        return self._first("published_at", self._shown_dates(shown))

    def _shown_dates(
        self, shown: tuple[str, tuple[datetime, str]] | None
    ) -> Iterator[tuple[str, tuple[datetime, str] | None]]:
        if shown:
            yield shown
        yield DATE_TEXT, self._text_pattern_date()  # only when the template shows no date

    def _time_attribute(self) -> Iterator[tuple[str, str | None]]:
        found = evaluate(self._doc.root, _DATE_ATTRIBUTE_XPATH)
        yield DATE_ATTRIBUTE, _string(str(found[0])) if found else None

    def _visible_date(self) -> tuple[str, tuple[datetime, str]] | None:
        """The date line where a template prints it, and its layer."""
        for query in VISIBLE_DATE:
            for node in self._doc.select(query):
                raw = _text_of(node)
                if raw and (moment := parse_date(raw, now=self.fetched_at)):
                    return query, (moment, raw)
        return None

    def _text_pattern_date(self) -> tuple[datetime, str] | None:
        """Unknown markup: the first text on the page in one of the site's date forms.

        Only a last resort, never a witness against a meta date: bodies quote dates too.
        """
        for node in _text_nodes(evaluate(self._doc.root, BODY_TEXTS)):
            raw = normalize_space(node)
            if (found := find_date_text(raw)) and (
                moment := parse_date(found, now=self.fetched_at)
            ):
                return moment, raw
        return None

    def _updated(self, jsonld: Mapping[str, Any]) -> tuple[datetime, str] | None:
        declared = chain(
            self._meta_values(UPDATED_META),
            [(JSONLD_MODIFIED, _string(jsonld.get("dateModified")))],
        )
        for layer, raw in declared:
            if raw and (moment := parse_iso(raw)):
                return self._first("updated_at", [(_label(layer), (moment, raw))])
        return self._first("updated_at", self._update_lines())

    def _update_lines(self) -> Iterator[tuple[str, tuple[datetime, str] | None]]:
        yield UPDATE_LINE, self._update_line()

    def _update_line(self) -> tuple[datetime, str] | None:
        """A visible `Diperbarui: 23 Februari 2023, 09:15 WIB` line, whatever holds it."""
        for text, element in self._doc.texts_with(LINE_WORDS):
            if not any(word in text for word in UPDATE_WORDS):
                continue  # a footer line's text
            for line in _lines(element):
                if (
                    line.lower().startswith(UPDATE_LABELS)
                    and len(line) <= 80
                    and (moment := parse_date(line, now=self.fetched_at))
                ):
                    return moment, line
        return None

    # People --------------------------------------------------------------------------------

    def _author(self, jsonld: Mapping[str, Any]) -> str | None:
        return self._first(
            "author",
            chain(
                self._texts(AUTHOR),
                [(JSONLD_AUTHOR, _jsonld_name(jsonld.get("author")))],
                self._texts(AUTHOR_GENERIC),
                self._author_meta(),
            ),
        )

    def _author_meta(self) -> Iterator[tuple[str, str | None]]:
        """`meta[name=author]`, unless it holds the site's name rather than a person's."""
        site_name = normalize_space(next(iter(self._values(SITE_NAME)), "")).lower()
        for layer, value in self._meta_values(AUTHOR_META):
            yield layer, value if value and value.lower() != site_name else None

    def _footer_line(self, label: str) -> Iterator[tuple[str, str | None]]:
        yield f"{label}: line", self._footer.get(label)

    @cached_property
    def _footer(self) -> dict[str, str]:
        """The footer lines `Editor: …` and `Sumber: …`, wherever the template puts them.

        One pass over the page's text; the last line of each wins, since the footer follows
        the body, which may quote such a line. The value may sit in a sibling element
        (`<b>Editor:</b> <a>…</a>`), so up to two enclosing elements are read too; a line ends
        at a `<br>` or a block (`Editor: X<br>Sumber: Y`).
        """
        found: dict[str, str] = {}
        for text, holder in self._doc.texts_with(LINE_WORDS):
            label = next((name for name in FOOTER_LABELS if text.lstrip().startswith(name)), None)
            if label is None:
                continue
            element: Element | None = holder
            for _ in range(3):
                if element is None:
                    break
                values = (label_value(line, label) for line in _lines(element))
                if value := next((value for value in values if value), None):
                    found[label] = value
                    break
                element = element.getparent()
        return found

    # Category and tags ---------------------------------------------------------------------

    def _category(self, url: ArticleUrl, jsonld: Mapping[str, Any]) -> str | None:
        return self._first(
            "category",
            chain(
                (
                    (query, self._breadcrumb(query, url, template=True))
                    for query in BREADCRUMB_LINKS
                ),
                [(JSONLD_SECTION, _first_string(jsonld.get("articleSection")))],
                [(JSONLD_BREADCRUMB, self._jsonld_breadcrumb(url))],
                (
                    (query, self._breadcrumb(query, url, template=False))
                    for query in BREADCRUMB_GENERIC
                ),
                self._meta_values(SECTION_META),
            ),
        )

    def _breadcrumb(self, query: str, url: ArticleUrl, *, template: bool) -> str | None:
        """The kanal's name in a breadcrumb: its link to the kanal, else (PRMN: Home › Kanal)
        the second link, or (elsewhere) the last link that is not Home."""
        links = self._doc.select(query)
        hrefs = [self.response.urljoin(link.get("href", "")) for link in links]
        for href, link in zip(hrefs, links, strict=True):
            if href.rstrip("/").endswith(f"/{url.kanal}") and (name := _text_of(link)):
                return name
        if template:
            return (_text_of(links[1]) or None) if len(links) >= 2 else None
        for href, link in reversed(list(zip(hrefs, links, strict=True))):
            if (name := _text_of(link)) and not _is_home(href, name):
                return name
        return None

    def _jsonld_breadcrumb(self, url: ArticleUrl) -> str | None:
        items = [
            item
            for node in self._jsonld_nodes
            if "BreadcrumbList" in _types(node)
            for item in _list(node.get("itemListElement"))
            if isinstance(item, dict)
        ]
        named = []
        for item in sorted(items, key=lambda item: _position(item.get("position"))):
            target = item.get("item")
            href = target.get("@id") if isinstance(target, dict) else target
            name = _string(item.get("name")) or (
                _string(target.get("name")) if isinstance(target, dict) else None
            )
            if name:
                named.append((self.response.urljoin(href) if isinstance(href, str) else "", name))
        for href, name in named:
            if href.rstrip("/").endswith(f"/{url.kanal}"):
                return name
        others = [
            name
            for href, name in named
            if not _is_home(href, name) and parse_article_url(href) is None
        ]
        return others[-1] if others else None

    def _tags(self, jsonld: Mapping[str, Any]) -> tuple[str, ...] | None:
        return self._first(
            "tags",
            chain(
                ((query, self._tag_names(query)) for query in TAGS),
                [(JSONLD_KEYWORDS, tuple(dict.fromkeys(split_keywords(jsonld.get("keywords")))))],
                self._tag_metas(),
            ),
        )

    def _tag_metas(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        yield _label(TAG_META[0]), tuple(dict.fromkeys(self._values(TAG_META)))

    def _tag_names(self, query: str) -> tuple[str, ...]:
        names = (_text_of(node).lstrip("#").strip() for node in self._doc.select(query))
        return tuple(dict.fromkeys(name for name in names if name))

    # Lead image ----------------------------------------------------------------------------

    @cached_property
    def _photo(self) -> tuple[str, Element] | None:
        """The lead photo block and its label: the template's, else the figure that opens the
        article (not one inside the body)."""
        if found := self._doc.select(PHOTO):
            return PHOTO, found[0]
        for query in LEAD_FIGURE:
            for figure in self._doc.select(query):
                if not evaluate(figure, "ancestor::*[@itemprop='articleBody']") and select_in(
                    figure, "img, amp-img"
                ):
                    return query, figure
        return None

    def _image_url(self, jsonld: Mapping[str, Any]) -> str | None:
        found = self._first(
            "image_url",
            chain(
                self._photo_images(),
                [(JSONLD_IMAGE, _jsonld_image(jsonld.get("image")))],
                self._meta_images(),
            ),
        )
        return self.response.urljoin(found) if found else None

    def _photo_images(self) -> Iterator[tuple[str, str | None]]:
        if self._photo is None:
            return
        label, photo = self._photo
        for query in LEAD_IMAGE:
            for node in select_in(photo, query):
                for attribute in IMAGE_ATTRIBUTES:
                    src = node.get(attribute, "").strip()
                    if src and _is_real_image(src):
                        yield f"{label} {query}", self.response.urljoin(src)

    def _meta_images(self) -> Iterator[tuple[str, str | None]]:
        for layer, value in self._meta_values(IMAGE_META):
            yield layer, value if value and _is_real_image(value) else None

    def _caption(self) -> tuple[str | None, str | None] | None:
        if self._photo is None:
            return None
        label, photo = self._photo
        for query in CAPTION:
            for node in select_in(photo, query):
                if text := _text_of(node):
                    caption, credit = split_caption(text)
                    for name, value in (("image_caption", caption), ("image_credit", credit)):
                        if value:
                            self._layers[name] = f"{label} {query}"
                    return caption, credit
        return None

    # Paging --------------------------------------------------------------------------------

    @cached_property
    def _page_numbers(self) -> list[int]:
        for query in ARTICLE_PAGING:
            hrefs = _hrefs(self._doc.select(query))
            if numbers := [n for href in hrefs if (n := page_number(href)) is not None]:
                self._layers["page_count"] = query
                return numbers
        if "page=" not in self.response.text:  # no link to any page of anything
            return []
        # Any link to a page of this same article, relative or absolute, wherever it is.
        article = self._url
        numbers = [
            number
            for href in _hrefs(self._doc.select(PAGE_LINKS))
            if (number := page_number(href)) is not None
            and article is not None
            and (linked := parse_article_url(self.response.urljoin(href))) is not None
            and linked.canonical == article.canonical
        ]
        if numbers:
            self._layers["page_count"] = GENERIC_PAGE_LINKS
        return numbers

    def _page_count(self) -> int:
        return max([1, *self._page_numbers])

    def _next_page_url(self, url: ArticleUrl) -> str | None:
        numbers = self._page_numbers
        current = page_number(self.response.url) or 1
        if "page=all" in self.response.url or current + 1 not in numbers:
            return None
        return url.page(current + 1)

    # JSON-LD -------------------------------------------------------------------------------

    @cached_property
    def _jsonld_nodes(self) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for raw in self._doc.values(JSON_LD):
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as error:
                self._problems.append(f"invalid_jsonld: {error}")
                continue
            nodes.extend(_walk_jsonld(data))
        return nodes

    @cached_property
    def _jsonld_article(self) -> Mapping[str, Any]:
        return next(
            (node for node in self._jsonld_nodes if JSON_LD_ARTICLE_TYPES & _types(node)), {}
        )

    # Selector helpers ----------------------------------------------------------------------

    def _texts(
        self, queries: Sequence[str], *, label: str | None = None
    ) -> Iterator[tuple[str, str | None]]:
        """Per query, lazily: the first non-empty text it finds (the value after `label:`)."""
        for query in queries:
            yield query, self._first_text(query, label=label)

    def _first_text(self, query: str, *, label: str | None = None) -> str | None:
        """The first non-empty text `query` finds (the value after `label:`)."""
        for node in self._doc.select(query):
            text = _text_of(node)
            if label is not None:
                text = label_value(text, label) or ""
            if text:
                return text
        return None

    def _meta_values(self, queries: Sequence[str]) -> Iterator[tuple[str, str | None]]:
        for query in queries:
            values = self._values((query,))
            yield _label(query), values[0] if values else None

    def _values(self, queries: Sequence[str]) -> list[str]:
        return [
            normalize_space(value)
            for query in queries
            for value in self._doc.values(query)
            if value.strip()
        ]


def published_at(parts: Sequence[ArticlePart]) -> datetime | None:
    """When the article was published: the date of the first part that has one."""
    return next((part.published_at for part in parts if part.published_at), None)


def build_article(
    parts: Sequence[ArticlePart], *, page_count: int, paging: ArticlePart | None = None
) -> Article:
    """One item from the parts of an article: its pages in order, or its `?page=all` view.

    Metadata comes from the first part that has it; body and related links from all parts.
    `paging` is the page whose paging links told `page_count` (the first page, when the parts
    are a `?page=all` view).
    The end mark (`***`) is removed wherever it ends a paragraph: editors append updates after
    it.
    """
    first = parts[0]
    ends_marked = (strip_end_mark(p) for part in parts for p in part.body.paragraphs)
    body = "\n\n".join(paragraph for paragraph in ends_marked if paragraph)
    layers: dict[str, str] = {}

    def supplier(*names: str) -> ArticlePart:
        """The first part with the first of these fields; its layers are the item's."""
        part = next((part for part in parts if getattr(part, names[0])), first)
        for name in names:
            if getattr(part, name) and name in part.layers:
                layers[name] = part.layers[name]
        return part

    def first_of(name: str) -> Any:
        return getattr(supplier(name), name) or None

    published = supplier("published_at")
    updated = supplier("updated_at")
    pictured = supplier("image_url", "image_caption", "image_credit")
    article = Article(
        url=first.url.canonical,
        article_id=first.url.article_id,
        site=first.url.site,
        title=first_of("title"),
        published_at=to_iso(published.published_at) if published.published_at else None,
        published_at_raw=published.published_at_raw if published.published_at else None,
        updated_at=to_iso(updated.updated_at) if updated.updated_at else None,
        updated_at_raw=updated.updated_at_raw if updated.updated_at else None,
        author=first_of("author"),
        editor=first_of("editor"),
        source=first_of("source"),
        category=first_of("category"),
        category_slug=first.url.kanal,
        tags=list(first_of("tags") or ()),
        image_url=pictured.image_url,
        image_caption=pictured.image_caption,
        image_credit=pictured.image_credit,
        dateline=first.body.dateline,
        body=body,
        related_urls=list(dict.fromkeys(url for part in parts for url in part.body.related_urls)),
        page_count=page_count,
        word_count=word_count(body),
        crawled_at=first.fetched_at.astimezone(UTC).replace(microsecond=0).isoformat(),
    )
    if body and "body" in first.layers:
        layers["body"] = first.layers["body"]
    if page_count > 1 and "page_count" in (paged := paging or first).layers:
        layers["page_count"] = paged.layers["page_count"]
    article.field_layers = dict(sorted(layers.items()))
    return article


def _text_of(element: Element) -> str:
    """The element's text as XPath `string()` gives it, spaces normalised."""
    return normalize_space("".join(text for text in element.itertext() if isinstance(text, str)))


def _hrefs(links: list[Element]) -> list[str]:
    return [href for link in links if (href := link.get("href")) is not None]


def _text_nodes(found: Any) -> Iterator[etree._ElementUnicodeResult]:
    for text in found if isinstance(found, list) else []:
        if isinstance(text, etree._ElementUnicodeResult):
            yield text


def _lines(element: Element) -> list[str]:
    """The element's text split where a line ends: at a `<br>` or any non-inline element."""
    pieces: list[str] = []

    def walk(node: Element) -> None:
        pieces.append(node.text or "")
        for child in node:
            inline = isinstance(child.tag, str) and child.tag in _INLINE
            pieces.append("" if inline else "\n")
            if isinstance(child.tag, str) and child.tag not in ("script", "style"):
                walk(child)
            pieces.append("" if inline else "\n")
            pieces.append(child.tail or "")

    walk(element)
    return [line for line in map(normalize_space, "".join(pieces).split("\n")) if line]


def _is_home(href: str, name: str) -> bool:
    path = href.split("://", 1)[-1].partition("/")[2]
    return is_home_label(name) or path.strip("/") == ""


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _is_real_image(src: str) -> bool:
    if not src or src.lower().startswith(IMAGE_PLACEHOLDERS):
        return False
    name = src.rsplit("/", 1)[-1].lower()
    return not any(marker in name for marker in IMAGE_PLACEHOLDER_NAMES)


def _walk_jsonld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_jsonld(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk_jsonld(data.get("@graph"))


def _types(node: Mapping[str, Any]) -> set[str]:
    kinds = node.get("@type")
    return {kind for kind in _list(kinds) if isinstance(kind, str)}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _position(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")


def _string(value: Any) -> str | None:
    return (normalize_space(value) or None) if isinstance(value, str) else None


def _first_string(value: Any) -> str | None:
    return next((text for item in _list(value) if (text := _string(item))), None)


def _jsonld_name(value: Any) -> str | None:
    """A schema.org person (or a list of them, or a plain name): the first name."""
    first = next(iter(_list(value)), None)
    return _string(first.get("name")) if isinstance(first, dict) else _string(first)


def _jsonld_image(value: Any) -> str | None:
    first = next(iter(_list(value)), None)
    url = first.get("url") if isinstance(first, dict) else first
    return url.strip() if isinstance(url, str) and _is_real_image(url.strip()) else None
