"""The article body: clean paragraphs and "Baca Juga" links out of the body container's DOM."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urldefrag, urljoin

from galamedia.pages.dom import Element
from galamedia.rules.text import (
    is_label_line,
    is_related_marker,
    normalize_space,
    split_dateline,
)
from galamedia.rules.urls import canonical_article_url

# Never article text, wherever they sit in the body: scripts and ads, embeds, inline figures
# with their captions, and the title/date/photo blocks the 2026 layout nests in the container.
_SKIPPED_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed", "video",
        "audio", "canvas", "svg", "map", "img", "picture", "source", "figure", "figcaption",
        "form", "button", "input", "select", "textarea", "nav", "aside", "header", "footer",
        "h1", "head", "title", "link", "meta", "amp-ad", "amp-embed", "amp-iframe", "amp-img",
        "amp-video", "amp-youtube", "amp-analytics", "amp-social-share",
    }
)  # fmt: skip
_SKIPPED_CLASSES = frozenset(
    {
        # 2026 layout: header blocks inside `article.read__content` (SITE.md §2.1)
        "read__info", "read__info__author", "read__info__date", "read_contributor",
        "date_detail", "read__title", "read__header", "read__tagging",
        # lead photo and inline images with their captions
        "photo", "photo__img", "photo__caption", "caption", "wp-caption", "image-caption",
        # article paging (`Halaman:`), tags, breadcrumb and share bars
        "read__paging", "paging", "paging--article", "tag__list", "breadcrumb", "share",
        # ad slots
        "ad", "ads", "advertisement", "adsbygoogle", "iklan",
    }
)  # fmt: skip
_AD_PREFIXES = ("ads", "adv", "gpt", "div-gpt-ad", "google_ads", "iklan", "banner")
# Boxes holding a "Baca Juga" teaser: their links are related URLs, their text is not body.
_RELATED_CLASSES = frozenset({"read__others", "baca-juga", "bacajuga", "baca__juga"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "blockquote", "pre", "center",
        "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tfoot", "tr", "hr",
    }
)  # fmt: skip
_BOLD_TAGS = frozenset({"strong", "b"})
_CELL_TAGS = frozenset({"td", "th"})


@dataclass(frozen=True, slots=True)
class Body:
    """What one page's body container holds."""

    paragraphs: tuple[str, ...]
    related_urls: tuple[str, ...]
    dateline: str | None
    linked: tuple[bool, ...] = ()
    """Per paragraph: whether it is mostly link text (a menu or a list of links)."""


@dataclass(slots=True)
class _Run:
    """Text between two block boundaries: one paragraph in the making."""

    pieces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    link_chars: int = 0
    is_related: bool = False
    opening_bold: str | None = None

    def has_text(self) -> bool:
        return any(not piece.isspace() for piece in self.pieces if piece)

    def text(self) -> str:
        return normalize_space("".join(self.pieces))


def extract_body(container: Element, base_url: str) -> Body:
    """Paragraphs and related links of a body container, in document order."""
    walker = _Walker()
    walker.walk_block(container)
    walker.flush()
    return _assemble(walker.runs, base_url)


class _Walker:
    """Splits a container into runs of inline text at block boundaries and `<br>`."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []
        self.run = _Run()

    def flush(self) -> None:
        if self.run.has_text() or self.run.links:
            self.runs.append(self.run)
        self.run = _Run()

    def add(self, text: str | None) -> None:
        if text:
            self.run.pieces.append(text)

    def walk_block(self, element: Element) -> None:
        self.add(element.text)
        for child in element:
            self.visit(child, inline=False)
            self.add(child.tail)

    def walk_inline(self, element: Element) -> None:
        start = len(self.run.pieces)
        opens_bold = element.tag in _BOLD_TAGS and not self.run.has_text()
        self.add(element.text)
        for child in element:
            self.visit(child, inline=True)
            self.add(child.tail)
        if element.tag in _CELL_TAGS:
            self.add(" ")
        if element.tag == "a" and (href := element.get("href")):
            self.run.links.append(href)
            self.run.link_chars += len(normalize_space("".join(self.run.pieces[start:])))
        if opens_bold:
            self.run.opening_bold = normalize_space("".join(self.run.pieces[start:]))

    def visit(self, element: Element, *, inline: bool) -> None:
        tag = element.tag
        if not isinstance(tag, str) or _is_skipped(element):
            return  # comments such as the CMS's `<!--img1-->` placeholders, and non-text
        if _has_class(element, _RELATED_CLASSES):
            self.flush()
            self.run.is_related = True
            self.walk_inline(element)
            self.flush()
        elif tag == "br":
            if inline:
                self.add(" ")
            else:
                self.flush()
        elif not inline and tag in _BLOCK_TAGS:
            self.flush()
            self.walk_block(element)
            self.flush()
        else:
            self.walk_inline(element)


def _assemble(runs: list[_Run], base_url: str) -> Body:
    paragraphs: list[str] = []
    linked: list[bool] = []
    related: list[str] = []
    dateline: str | None = None
    teaser_without_link = False
    for run in runs:
        text = run.text()
        is_link_only = bool(run.links) and run.link_chars >= len(text)
        if run.is_related or is_related_marker(text) or (teaser_without_link and is_link_only):
            # `Baca Juga:` alone in one paragraph with its link in the next one
            teaser_without_link = not run.links
            related.extend(_related_url(href, base_url) for href in run.links)
            continue
        teaser_without_link = False
        if not text or is_label_line(text):
            continue
        is_linked = run.link_chars * 2 >= len(text)
        if not paragraphs:
            dateline, text = split_dateline(text, run.opening_bold)
            if not text:
                continue
        paragraphs.append(text)
        linked.append(is_linked)
    return Body(tuple(paragraphs), tuple(dict.fromkeys(related)), dateline, tuple(linked))


def _related_url(href: str, base_url: str) -> str:
    absolute = urldefrag(urljoin(base_url, href.strip())).url
    return canonical_article_url(absolute) or absolute


def _has_class(element: Element, names: frozenset[str]) -> bool:
    return not names.isdisjoint(element.get("class", "").split())


def _is_skipped(element: Element) -> bool:
    if element.tag in _SKIPPED_TAGS:
        return True
    if _skipped_by_attributes(element.get("class", ""), element.get("id", "")):
        return True
    return any(str(attribute).startswith("data-ad-") for attribute in element.attrib)


@lru_cache(maxsize=4096)
def _skipped_by_attributes(class_attribute: str, element_id: str) -> bool:
    """Ad slots and non-body blocks by class or id; pages repeat the same few, so cached."""
    classes = class_attribute.split()
    if not _SKIPPED_CLASSES.isdisjoint(classes):
        return True
    if any(name.lower().startswith(_AD_PREFIXES) for name in classes):
        return True
    return element_id.lower().startswith(_AD_PREFIXES)
