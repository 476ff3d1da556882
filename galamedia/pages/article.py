"""Article pages: one response of an article (one of its pages) to its parsed fields."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector
from scrapy.http import TextResponse

from galamedia.accounting.outcomes import Rejection
from galamedia.items import Article
from galamedia.pages.body import Body, extract_body
from galamedia.rules.blocks import weak_marker
from galamedia.rules.dates import find_date_text, parse_date, parse_iso, to_iso
from galamedia.rules.text import (
    label_value,
    normalize_space,
    split_caption,
    strip_end_mark,
    word_count,
)
from galamedia.rules.urls import ArticleUrl, page_number, parse_article_url

# Each tuple is tried in order, specific to generic; the first that yields a value wins.

TITLE = (
    "h1.read__title",  # classic layout
    "div.read__title h1",  # 2026 layout: the class moved to a wrapper
    ".read__title",  # either, markup unknown
)
TITLE_META = (
    'meta[property="og:title"]::attr(content)',  # every PRMN page
    'meta[name="twitter:title"]::attr(content)',  # a template without Open Graph
)
DATE_META = (
    'meta[name="pubdate"]::attr(content)',  # PRMN template
    'meta[property="article:published_time"]::attr(content)',  # both layouts
    'meta[itemprop="datePublished"]::attr(content)',  # microdata, never seen on PRMN
)
VISIBLE_DATE = (
    "div.read__info__date",  # classic layout: `- 22 Februari 2023, 20:08 WIB`
    "span.date_detail",  # 2026 layout: `2 Februari 2026, 05:34 WIB`
    ".read__info time",  # a drifted layout with a `<time>` in the info bar
    ".read__date",  # a drifted layout with the date outside the info bar
)
AUTHOR = (
    'div.read__info__author a[href*="/author/"]',  # both layouts
    'a[href*="/author/"]',  # author link outside the known wrapper
)
AUTHOR_META = ('meta[name="author"]::attr(content)',)  # PRMN template; the site's name at times
EDITOR = ("div.read__info__author span.read_contributor",)  # 2026 layout, by the writer
# Elsewhere the footer lines' markup is unknown: their text is found instead (`FOOTER_LINES`).
FOOTER_LABELS = ("Editor", "Sumber")
FOOTER_LINES = "//body//text()[contains(., 'Editor') or contains(., 'Sumber')]"
BREADCRUMB_LINKS = (
    "ul.breadcrumb__wrap li.breadcrumb__item a",  # both layouts
    ".breadcrumb a",  # a breadcrumb without the list classes
)
SECTION_META = ('meta[property="article:section"]::attr(content)',)  # a page without breadcrumb
TAGS = (
    "ul.tag__list li h4 a",  # classic layout
    "ul.tag__list li a",  # classic layout without the `h4`
    "section.read__tagging div.tag a",  # 2026 layout
    "section.read__tagging a",  # 2026 layout without the `div.tag`
)
TAG_META = ('meta[property="article:tag"]::attr(content)',)  # a page without a tag list
PHOTO = "div.photo"  # the lead photo block, both layouts
LEAD_IMAGE = (  # inside PHOTO
    "div.photo__img img",  # both layouts
    "img",  # a photo block without the `photo__img` wrapper
    "amp-img",  # AMP copy
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
    '[itemprop="articleBody"]',  # a template with schema.org microdata
    "div.amp-article-body, div.read__article",  # AMP copies
    "article",  # a drifted layout that keeps an `<article>`
)
ARTICLE_PAGING = (
    "div.paging--article a.paging__link",  # classic layout
    "div.read__paging a",  # classic layout: the paging's outer wrapper
    "div.paging a",  # a paging block without the `--article` modifier
)
CANONICAL = (
    'link[rel="canonical"]::attr(href)',  # every PRMN page, AMP copies included
    'meta[property="og:url"]::attr(content)',  # a template without a canonical link
)
JSON_LD = 'script[type="application/ld+json"]::text'  # never seen on PRMN; used when there
JSON_LD_ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}
)

NOT_FOUND_MARKERS = ("404", "tidak ditemukan", "not found", "tidak tersedia")
IMAGE_PLACEHOLDERS = ("data:", "about:", "javascript:")
IMAGE_PLACEHOLDER_NAMES = ("blank.", "lazy", "placeholder", "loading.", "spacer.")


@dataclass(frozen=True, slots=True)
class ArticlePart:
    """The fields of one page of an article (or of its `?page=all` view)."""

    url: ArticleUrl
    title: str | None
    published_at: datetime | None
    published_at_raw: str | None
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
        body = self._known_body()
        if body is None:
            # No text where articles keep it: a block or not-found page, else unknown markup.
            if marker := weak_marker(self.response.text):
                raise Rejection("blocked", f"block page ({marker!r})")
            heading = normalize_space(" ".join(self._sel.css("title::text, h1 ::text").getall()))
            if any(word in heading.lower() for word in NOT_FOUND_MARKERS):
                raise Rejection("soft_404", f"not-found page ({heading[:80]!r})")
            body = self._fallback_body()
        if not body.paragraphs:
            raise Rejection("no_body", "no body text (video, gallery or empty article)")
        jsonld = self._jsonld_article()
        caption, credit = self._caption()
        published_at, published_at_raw = self._published(jsonld)
        return ArticlePart(
            url=url,
            title=self._title(jsonld),
            published_at=published_at,
            published_at_raw=published_at_raw,
            author=self._author(jsonld),
            editor=self._first_text(EDITOR, label="Editor") or self._footer.get("Editor"),
            source=self._footer.get("Sumber"),
            category=self._category(url),
            tags=self._tags(),
            image_url=self._image_url(jsonld),
            image_caption=caption,
            image_credit=credit,
            body=body,
            page_count=self._page_count(),
            next_page_url=self._next_page_url(url),
            problems=tuple(self._problems),
            fetched_at=self.fetched_at,
        )

    @property
    def _sel(self) -> Selector:
        return self.response.selector

    def _article_url(self) -> ArticleUrl | None:
        # The response URL (after redirects) first; a legacy URL that was not redirected may
        # still name its article in the canonical link.
        if url := parse_article_url(self.response.url):
            return url
        for candidate in self._values(CANONICAL):
            if url := parse_article_url(self.response.urljoin(candidate)):
                return url
        return None

    def _known_body(self) -> Body | None:
        for query in BODY_CONTAINER:
            for container in self._sel.css(query):
                body = extract_body(container.root, self.response.url)
                if body.paragraphs:
                    return body
        return None

    def _fallback_body(self) -> Body:
        """Unknown markup: the element holding the most paragraph text is the body."""
        densest = _densest_paragraph_parent(self._sel.root)
        if densest is None:
            return Body((), (), None)
        self._problems.append("body_fallback: no known body container")
        return extract_body(densest, self.response.url)

    def _title(self, jsonld: dict[str, Any]) -> str | None:
        headline = jsonld.get("headline")
        return (
            self._first_text(TITLE)
            or self._first_value(TITLE_META)
            or (normalize_space(headline) if isinstance(headline, str) else None)
            or self._first_text(("h1",))
        )

    def _published(self, jsonld: dict[str, Any]) -> tuple[datetime | None, str | None]:
        shown = self._template_date()
        declared = [*self._values(DATE_META), jsonld.get("datePublished")]
        for raw in declared:
            if isinstance(raw, str) and (moment := parse_iso(normalize_space(raw))):
                if shown[0] and _to_minute(shown[0]) != _to_minute(moment):
                    self._problems.append(
                        f"date_mismatch: meta {to_iso(moment)} vs page {to_iso(shown[0])}"
                    )
                return moment, normalize_space(raw)
        return shown if shown[0] else self._text_pattern_date()

    def _template_date(self) -> tuple[datetime | None, str | None]:
        """The date line where the template prints it."""
        for query in VISIBLE_DATE:
            for node in self._sel.css(query):
                raw = normalize_space(node.xpath("string()").get(""))
                if raw and (moment := parse_date(raw, now=self.fetched_at)):
                    return moment, raw
        return None, None

    def _text_pattern_date(self) -> tuple[datetime | None, str | None]:
        """Unknown markup: the first text on the page in one of the site's date forms.

        Only a last resort, never a witness against a meta date: bodies quote dates too.
        """
        for node in self._sel.xpath("//body//text()[not(ancestor::script or ancestor::style)]"):
            raw = normalize_space(node.get())
            if (found := find_date_text(raw)) and (
                moment := parse_date(found, now=self.fetched_at)
            ):
                return moment, raw
        return None, None

    def _author(self, jsonld: dict[str, Any]) -> str | None:
        author = self._first_text(AUTHOR)
        if author:
            return author
        meta = self._first_value(AUTHOR_META)
        site_name = self._sel.css('meta[property="og:site_name"]::attr(content)').get("")
        if meta and meta.lower() != normalize_space(site_name).lower():
            return meta
        authors = jsonld.get("author")
        first = authors[0] if isinstance(authors, list) and authors else authors
        name = first.get("name") if isinstance(first, dict) else first
        return (normalize_space(name) or None) if isinstance(name, str) else None

    @cached_property
    def _footer(self) -> dict[str, str]:
        """The footer lines `Editor: …` and `Sumber: …`, wherever the template puts them.

        One pass over the page's text; the last line of each wins, since the footer follows
        the body, which may quote such a line. The value may sit in a sibling element
        (`<b>Editor:</b> <a>…</a>`), so up to two enclosing elements are read too.
        """
        found: dict[str, str] = {}
        texts = self._sel.root.xpath(FOOTER_LINES)
        for text in texts if isinstance(texts, list) else []:
            if not isinstance(text, etree._ElementUnicodeResult):
                continue
            label = next((name for name in FOOTER_LABELS if text.lstrip().startswith(name)), None)
            element = text.getparent()
            if label is None or element is None:
                continue
            if text.is_tail:
                element = element.getparent()
            for _ in range(3):
                if element is None:
                    break
                if value := label_value("".join(map(str, element.itertext())), label):
                    found[label] = value
                    break
                element = element.getparent()
        return found

    def _category(self, url: ArticleUrl) -> str | None:
        for query in BREADCRUMB_LINKS:
            links = self._sel.css(query)
            for link in links:
                href = self.response.urljoin(link.attrib.get("href", ""))
                if href.rstrip("/").endswith(f"/{url.kanal}"):
                    return normalize_space(link.xpath("string()").get("")) or None
            if len(links) >= 2:  # Home › Kanal
                return normalize_space(links[1].xpath("string()").get("")) or None
        return self._first_value(SECTION_META)

    def _tags(self) -> tuple[str, ...]:
        for query in TAGS:
            names = [
                normalize_space(node.xpath("string()").get("")) for node in self._sel.css(query)
            ]
            if tags := [name.lstrip("#").strip() for name in names if name.lstrip("#").strip()]:
                return tuple(dict.fromkeys(tags))
        return tuple(dict.fromkeys(self._values(TAG_META)))

    @cached_property
    def _photo(self) -> Selector | None:
        found = self._sel.css(PHOTO)
        return found[0] if found else None

    def _image_url(self, jsonld: dict[str, Any]) -> str | None:
        for query in LEAD_IMAGE if self._photo is not None else ():
            assert self._photo is not None
            for node in self._photo.css(query):
                for attribute in IMAGE_ATTRIBUTES:
                    if (src := node.attrib.get(attribute, "").strip()) and _is_real_image(src):
                        return self.response.urljoin(src)
        image = jsonld.get("image")
        if isinstance(image, list) and image:
            image = image[0]
        if isinstance(image, dict):
            image = image.get("url")
        for candidate in [*self._values(IMAGE_META), image]:
            if isinstance(candidate, str) and _is_real_image(candidate.strip()):
                return self.response.urljoin(candidate.strip())
        return None

    def _caption(self) -> tuple[str | None, str | None]:
        if self._photo is None:
            return None, None
        caption = _first_text_in(self._photo, CAPTION)
        return split_caption(caption) if caption else (None, None)

    @cached_property
    def _page_numbers(self) -> list[int]:
        if "page=" not in self.response.text:  # no link to any page of anything
            return []
        for query in ARTICLE_PAGING:
            hrefs = self._sel.css(query).xpath("@href").getall()
            if numbers := [n for href in hrefs if (n := page_number(href)) is not None]:
                return numbers
        return []

    def _page_count(self) -> int:
        return max([1, *self._page_numbers])

    def _next_page_url(self, url: ArticleUrl) -> str | None:
        numbers = self._page_numbers
        current = page_number(self.response.url) or 1
        if "page=all" in self.response.url or current + 1 not in numbers:
            return None
        return url.page(current + 1)

    def _jsonld_article(self) -> dict[str, Any]:
        for raw in self._sel.css(JSON_LD).getall():
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as error:
                self._problems.append(f"invalid_jsonld: {error}")
                continue
            for node in _jsonld_nodes(data):
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if JSON_LD_ARTICLE_TYPES.intersection(k for k in kinds if isinstance(k, str)):
                    return node
        return {}

    def _first_text(self, queries: Sequence[str], *, label: str | None = None) -> str | None:
        return _first_text_in(self._sel, queries, label=label)

    def _values(self, queries: Sequence[str]) -> list[str]:
        return [
            normalize_space(value)
            for query in queries
            for value in self._sel.css(query).getall()
            if value.strip()
        ]

    def _first_value(self, queries: Sequence[str]) -> str | None:
        values = self._values(queries)
        return values[0] if values else None


def published_at(parts: Sequence[ArticlePart]) -> datetime | None:
    """When the article was published: the date of the first part that has one."""
    return next((part.published_at for part in parts if part.published_at), None)


def build_article(parts: Sequence[ArticlePart], *, page_count: int) -> Article:
    """One item from the parts of an article: its pages in order, or its `?page=all` view.

    Metadata comes from the first part that has it; body and related links from all parts.
    """
    first = parts[0]
    paragraphs = [paragraph for part in parts for paragraph in part.body.paragraphs]
    if paragraphs:
        paragraphs[-1] = strip_end_mark(paragraphs[-1])
        if not paragraphs[-1]:
            paragraphs.pop()
    body = "\n\n".join(paragraphs)
    published = next((part for part in parts if part.published_at), None)
    pictured = next((part for part in parts if part.image_url), first)

    def first_of(name: str) -> Any:
        return next((value for part in parts if (value := getattr(part, name))), None)

    return Article(
        url=first.url.canonical,
        article_id=first.url.article_id,
        site=first.url.origin.split("://", 1)[1].split(":", 1)[0],
        title=first_of("title"),
        published_at=to_iso(published.published_at)
        if published and published.published_at
        else None,
        published_at_raw=published.published_at_raw if published else None,
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


def _first_text_in(
    scope: Selector, queries: Sequence[str], *, label: str | None = None
) -> str | None:
    """The first non-empty text the queries find in `scope` (the value after `label:`)."""
    for query in queries:
        for node in scope.css(query):
            text = normalize_space(node.xpath("string()").get(""))
            if label is not None:
                text = label_value(text, label) or ""
            if text:
                return text
    return None


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _is_real_image(src: str) -> bool:
    if not src or src.lower().startswith(IMAGE_PLACEHOLDERS):
        return False
    name = src.rsplit("/", 1)[-1].lower()
    return not any(marker in name for marker in IMAGE_PLACEHOLDER_NAMES)


def _jsonld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _jsonld_nodes(data.get("@graph"))


def _densest_paragraph_parent(root: HtmlElement) -> HtmlElement | None:
    weights: dict[HtmlElement, int] = {}
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            weights[parent] = weights.get(parent, 0) + len(paragraph.text_content().strip())
    return max(weights, key=weights.__getitem__) if weights else None
