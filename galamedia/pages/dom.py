"""A page's lxml tree, with the CSS queries of the page objects answered from one pass over it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree
from parsel.csstranslator import HTMLTranslator

# Why not `response.selector`: every CSS query parsel runs is an XPath walk over the whole tree
# (about 770 elements and twice as many text nodes on an article page), and an article page asks
# some twenty of them. Here one pass indexes the elements of the tags the page objects' queries
# start with, by class and by tag; a query whose first step names one of those is answered from
# the index, its remaining steps run as compiled XPath inside the anchors found. Any other query
# runs as parsel would run it, compiled once. And the tree is lxml's plain `etree` one, not
# `lxml.html`'s: that one looks up a Python element class every time Python touches an element,
# which doubles the cost of walking the body. Measured in benchmarks/RESULTS.md.

# Tags whose elements are indexed by class: those the templates' class selectors start with.
CLASSED_TAGS = ("div", "span", "ul", "section", "h1", "article", "nav", "aside")
# Tags whose elements are indexed whatever their class: those generic layers start with.
INDEXED_TAGS = frozenset({"meta", "script", "link", "article", "time", "h1", "figure", "title"})
_PASS_TAGS = tuple(dict.fromkeys([*CLASSED_TAGS, *sorted(INDEXED_TAGS)]))
_TRANSLATOR = HTMLTranslator()
# The first step of a query: a tag and classes (`div.read__info__author`), or a tag and simple
# attribute tests (`meta[name="pubdate"]`).
_CLASS_STEP = re.compile(r"(?P<tag>[a-z][a-z0-9-]*)(?P<classes>(?:\.[A-Za-z_][\w-]*)+)")
_ATTRIBUTE_STEP = re.compile(r"(?P<tag>[a-z][a-z0-9-]*)(?P<tests>(?:\[[^\]]+\])+)")
_ATTRIBUTE_TEST = re.compile(r'\[(?P<name>[a-z][\w:-]*)(?:(?P<op>[*^]?=)"(?P<value>[^"]*)")?\]')
_PSEUDO = re.compile(r"::(?:text|attr\((?P<attribute>[\w:-]+)\))$")
_INVISIBLE = frozenset({"script", "style"})
_ASCII_SPACE = re.compile(r"[ \t\n\r\f]+")

Element = etree._Element


def parse_html(text: str) -> Element:
    """The tree parsel would build of `text` (Scrapy's `response.selector`), as plain `etree`."""
    body = text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body, parser=parser)
    if root is None:  # markup with no element at all, e.g. only a comment
        root = etree.fromstring(b"<html/>", parser=parser)
    return root


def classes_of(value: str) -> list[str]:
    """The class names in a `class` attribute, split at ASCII whitespace as HTML does.

    `str.split()` also splits at other spaces (no-break, ideographic …): only where the value
    holds none of them, which `isprintable()` tells, is it used.
    """
    if value.isprintable():
        return value.split()
    return [name for name in _ASCII_SPACE.split(value) if name]


@dataclass(frozen=True, slots=True)
class _Query:
    """A CSS query compiled once: how to find its first step, and XPath for the rest."""

    anchor_class: str | None
    """A class the first step requires: its elements come from the index."""
    anchor_tag: str | None
    """The first step's tag, `None` for any."""
    anchor_classes: frozenset[str]
    anchor_tests: tuple[tuple[str, str | None, str], ...]
    """(attribute, operator, value) tests of the first step."""
    rest: etree.XPath | None
    """The steps after the first, from each anchor; None when the first step is the query."""
    whole: etree.XPath
    """The whole query as parsel runs it: for a query the index cannot answer."""
    attribute: str | None
    """`::attr(name)`: the query yields that attribute's values."""
    text: bool
    """`::text`: the query yields the text nodes."""

    @property
    def is_indexed(self) -> bool:
        if self.anchor_class is not None:
            return self.anchor_tag in CLASSED_TAGS
        return self.anchor_tag in INDEXED_TAGS


@lru_cache(maxsize=512)
def compile_query(query: str) -> _Query:
    whole = etree.XPath(_TRANSLATOR.css_to_xpath(query))
    pseudo = _PSEUDO.search(query)
    selector = query[: pseudo.start()] if pseudo else query
    attribute = pseudo["attribute"] if pseudo else None
    is_text = bool(pseudo) and attribute is None
    first, _, rest = selector.strip().partition(" ")
    # A union, or a first step followed by a combinator (`div > p`), goes to the whole XPath.
    indexable = "," not in selector and not rest.lstrip().startswith((">", "+", "~"))
    if indexable and (step := _CLASS_STEP.fullmatch(first)):
        names = step["classes"].split(".")[1:]
        return _Query(
            anchor_class=names[0],
            anchor_tag=step["tag"],
            anchor_classes=frozenset(names),
            anchor_tests=(),
            rest=_rest(rest),
            whole=whole,
            attribute=attribute,
            text=is_text,
        )
    if indexable and (step := _ATTRIBUTE_STEP.fullmatch(first)) and step["tag"] in INDEXED_TAGS:
        tests = list(_ATTRIBUTE_TEST.finditer(step["tests"]))
        if "".join(test[0] for test in tests) == step["tests"]:  # only tests we can run
            return _Query(
                anchor_class=None,
                anchor_tag=step["tag"],
                anchor_classes=frozenset(),
                anchor_tests=tuple((test["name"], test["op"], test["value"]) for test in tests),
                rest=_rest(rest),
                whole=whole,
                attribute=attribute,
                text=is_text,
            )
    return _Query(None, None, frozenset(), (), None, whole, attribute, is_text)


def _rest(steps: str) -> etree.XPath | None:
    steps = steps.strip()
    if not steps:
        return None
    return etree.XPath(_TRANSLATOR.css_to_xpath(steps, prefix="descendant::"))


def _passes(element: Element, tests: tuple[tuple[str, str | None, str], ...]) -> bool:
    for name, op, value in tests:
        found = element.get(name)
        if found is None:
            return False
        if op == "=" and found != value:
            return False
        if op == "^=" and not (value and found.startswith(value)):
            return False
        if op == "*=" and not (value and value in found):
            return False
    return True


class Document:
    """A page's tree and its index: elements by class and by anchor tag, in page order."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self._by_class: dict[str, list[Element]] = {}
        self._by_tag: dict[str, list[Element]] = {tag: [] for tag in INDEXED_TAGS}
        self._texts: dict[tuple[str, ...], list[tuple[str, Element]]] = {}
        by_class, by_tag = self._by_class, self._by_tag
        for element in root.iter(*_PASS_TAGS):
            if (tag := element.tag) in by_tag:
                by_tag[tag].append(element)
            if (names := element.get("class")) and tag in CLASSED_TAGS:
                for name in classes_of(names):
                    if name in by_class:
                        by_class[name].append(element)
                    else:
                        by_class[name] = [element]

    def texts_with(self, words: tuple[str, ...]) -> list[tuple[str, Element]]:
        """The page's text nodes under `<body>` that hold one of `words`, each with the element
        holding it (for a tail, the parent), in page order: XPath's
        `//body//text()[contains(., w1) or …]` without copying every text node as it does, and
        without the text of scripts and style sheets."""
        if words not in self._texts:
            self._texts[words] = _texts_with(self.root, words)
        return self._texts[words]

    def select(self, query: str) -> list[Element]:
        """The elements the CSS `query` (without a pseudo-element) finds, in page order."""
        compiled = compile_query(query)
        if compiled.attribute is not None or compiled.text:
            raise ValueError(f"{query!r} selects values, not elements: use values()")
        if not compiled.is_indexed:
            return _elements(compiled.whole(self.root))
        return self._indexed(compiled)

    def values(self, query: str) -> list[str]:
        """The strings a CSS query with `::attr(name)` or `::text` yields, as parsel's getall()."""
        compiled = compile_query(query)
        if compiled.attribute is None and not compiled.text:
            raise ValueError(f"{query!r} selects elements, not values: use select()")
        if not compiled.is_indexed:
            return [str(value) for value in _list(compiled.whole(self.root))]
        found = self._indexed(compiled)
        if compiled.text:
            return [text for element in found for text in _own_texts(element)]
        name = compiled.attribute
        return [value for element in found if (value := element.get(name or "")) is not None]

    def _indexed(self, query: _Query) -> list[Element]:
        if query.anchor_class is not None:
            candidates = self._by_class.get(query.anchor_class, [])
        else:
            candidates = self._by_tag[query.anchor_tag or ""]
        anchors = [
            element
            for element in candidates
            if (query.anchor_tag is None or element.tag == query.anchor_tag)
            and (
                len(query.anchor_classes) < 2
                or query.anchor_classes.issubset(classes_of(element.get("class", "")))
            )
            and _passes(element, query.anchor_tests)
        ]
        if query.rest is None:
            return anchors
        if len(anchors) == 1:
            return _elements(query.rest(anchors[0]))
        # Nested anchors find some elements twice; the first finding keeps its place.
        found = (element for anchor in anchors for element in _elements(query.rest(anchor)))
        return list(dict.fromkeys(found))


def _texts_with(root: Element, words: tuple[str, ...]) -> list[tuple[str, Element]]:
    found: list[tuple[tuple[int, float], str, Element]] = []
    for number, body in enumerate(root.iter("body")):
        found.extend(
            ((number, key), text, holder) for key, text, holder in _matching_texts(body, words)
        )
    found.sort(key=lambda entry: entry[0])
    return [(text, element) for _, text, element in found]


def _matching_texts(body: Element, words: tuple[str, ...]) -> Iterator[tuple[float, str, Element]]:
    holds = _any_of(words)
    shortest = min(map(len, words))
    for position, element in enumerate(body.iter()):
        # Not the text of a script or a style sheet (no reader sees it; nor a comment's).
        if isinstance(tag := element.tag, str) and tag not in _INVISIBLE:
            text = element.text
            if text and len(text) >= shortest and holds(text):
                yield position, text, element
        tail = element.tail
        if tail and len(tail) >= shortest and element is not body and holds(tail):
            parent = element.getparent()
            if parent is not None:
                # A tail comes after the element's descendants: place it before the element
                # that follows them (only the few matching tails are counted so).
                end = position + sum(1 for _ in element.iter()) - 0.5
                yield end, tail, parent


@lru_cache(maxsize=16)
def _any_of(words: tuple[str, ...]) -> Callable[[str], re.Match[str] | None]:
    return re.compile("|".join(map(re.escape, words))).search


def select_in(scope: Element, query: str) -> list[Element]:
    """The elements `query` finds in `scope` (itself included), as parsel's `scope.css()`."""
    return _elements(compile_query(query).whole(scope))


def evaluate(scope: Element, xpath: str) -> Any:
    """An XPath expression on `scope`, compiled once."""
    return _xpath(xpath)(scope)


@lru_cache(maxsize=64)
def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def _own_texts(element: Element) -> list[str]:
    """The element's own text nodes (XPath `text()`): its text and its children's tails."""
    texts = [element.text] if element.text else []
    texts.extend(child.tail for child in element if child.tail)
    return texts


def _list(found: Any) -> list[Any]:
    return found if isinstance(found, list) else []


def _elements(found: Any) -> list[Element]:
    return [item for item in _list(found) if isinstance(item, etree._Element)]
