"""The indexed document answers every query of the page objects exactly as parsel does."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from parsel import Selector

from galamedia.pages import article
from galamedia.pages.dom import Document, classes_of, compile_query, parse_html
from tests.drifted import generate, render
from tests.helpers import PAGES

# Every CSS query `ArticlePage` runs on a whole page, generic layers included.
QUERIES = sorted(
    {
        query
        for name in dir(article)
        if name.isupper()
        for value in [getattr(article, name)]
        for query in (value if isinstance(value, tuple) else (value,))
        if isinstance(query, str)
        and query
        and not query.startswith(("/", "count("))
        and name not in {"UPDATE_LABELS", "UPDATE_WORDS", "LINE_WORDS", "FOOTER_LABELS"}
        and name not in {"NOT_FOUND_MARKERS", "IMAGE_PLACEHOLDERS", "IMAGE_PLACEHOLDER_NAMES"}
        and name not in {"IMAGE_ATTRIBUTES", "BODY_TEXTS"}
        and not name.startswith(("JSONLD_", "DATE_TEXT", "UPDATE_LINE", "GENERIC_"))
    }
)
STORED = sorted(PAGES.glob("*/page*.html"))
DRIFTED = generate(count=12)


def _parsel(html: str) -> Selector:
    return Selector(text=html)


def _paths(found: list[etree._Element]) -> list[str]:
    return [found_element.getroottree().getpath(found_element) for found_element in found]


def _check(html: str) -> None:
    document = Document(parse_html(html))
    reference = _parsel(html)
    for query in QUERIES:
        compiled = compile_query(query)
        if compiled.attribute is not None or compiled.text:
            assert document.values(query) == reference.css(query).getall(), query
        else:
            expected = [node.root for node in reference.css(query)]
            assert _paths(document.select(query)) == _paths(expected), query


def test_the_queries_cover_the_template_and_its_fallbacks() -> None:
    assert {
        "h1.read__title",
        "article.read__content",
        'meta[name="pubdate"]::attr(content)',
    } <= set(QUERIES)
    assert len(QUERIES) > 40
    # both ways of answering are exercised: from the index, and by parsel's XPath
    indexed = {query for query in QUERIES if compile_query(query).is_indexed}
    assert "ul.breadcrumb__wrap li.breadcrumb__item a" in indexed
    assert 'nav[aria-label="breadcrumb" i] a' not in indexed


@pytest.mark.parametrize("page", STORED, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_stored_page_answers_as_parsel(page: Path) -> None:
    _check(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("number", range(len(DRIFTED)))
def test_a_drifted_page_answers_as_parsel(number: int) -> None:
    _check(render(DRIFTED[number], "https://galamedia.pikiran-rakyat.com", None).decode("utf-8"))


def test_nested_anchors_give_each_element_once_in_page_order() -> None:
    html = (
        '<html><body><div class="box"><a id="1"></a><div class="box"><a id="2"></a></div>'
        '<a id="3"></a></div><div class="box"><a id="4"></a></div></body></html>'
    )
    found = Document(parse_html(html)).select("div.box a")
    assert [element.get("id") for element in found] == ["1", "2", "3", "4"]
    assert _paths(found) == _paths([node.root for node in _parsel(html).css("div.box a")])


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("read__content clearfix", ["read__content", "clearfix"]),
        ("  photo  ", ["photo"]),
        ("a\tb\nc\rd", ["a", "b", "c", "d"]),
        ("a\u00a0b c", ["a\u00a0b", "c"]),  # a no-break space is part of a class name
        ("", []),
    ],
)
def test_class_names_split_at_ascii_whitespace_only(value: str, names: list[str]) -> None:
    assert classes_of(value) == names


def test_texts_with_finds_text_and_tails_in_page_order_but_not_scripts() -> None:
    html = (
        "<html><body><p>Editor: <b>A</b> Sumber: B</p>"
        "<script>var Editor = 1;</script><!-- Editor: hidden -->"
        "<div><span>x</span>Editor: C<i>Editor: D</i></div></body></html>"
    )
    found = Document(parse_html(html)).texts_with(("Editor", "Sumber"))
    assert [(text.strip(), holder.tag) for text, holder in found] == [
        ("Editor:", "p"),
        ("Sumber: B", "p"),  # the tail of <b>: held by <p>
        ("Editor: C", "div"),  # the tail of <span>, before <i>'s text
        ("Editor: D", "i"),
    ]
