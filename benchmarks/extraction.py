"""Page to item: our page object against trafilatura on the same pages, for speed and accuracy.

The corpus: generated classic-layout pages with their known truth (`benchmarks/pages.py`) and
the stored single-page articles under `tests/pages/` with their expected items. Each contender
gets the page's bytes and URL and returns a title, a date and a body; the CPU time of a pass over
the whole corpus is measured, the contenders alternating, and the median pass reported per page.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura
from scrapy.http import HtmlResponse
from trafilatura.settings import set_date_params

from benchmarks.clock import alternate, spread, summary
from benchmarks.pages import generate
from galamedia.accounting.outcomes import Rejection
from galamedia.pages.article import ArticlePage, build_article
from galamedia.pages.dom import Document, parse_html
from tests.helpers import load_cases

# Generated pages are "fetched" after their publication: relative dates never arise on them.
FETCHED_AT = datetime(2024, 6, 1, tzinfo=UTC)
# trafilatura's date search (htmldate) gives `%Y-%m-%d` by default; ask for the time and offset
# too, so it has a fair chance at the minute.
TRAFILATURA_DATES = {**set_date_params(True), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
_TEASER_LINK = re.compile(
    r"baca\s+juga\s*:?\s*(?:</strong>\s*)?<a\b[^>]*>(?P<title>.*?)</a>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class CorpusPage:
    name: str
    source: str
    """`generated` or `fixture`."""
    url: str
    html: bytes
    fetched_at: datetime
    title: str
    published_at: datetime
    body: str
    teasers: tuple[str, ...]
    captions: tuple[str, ...]
    menu_titles: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    date_form: str = ""


@dataclass(frozen=True)
class Extracted:
    title: str | None
    date: str | None
    body: str


def generated_pages(count: int) -> list[CorpusPage]:
    pages = []
    for seed in range(count):
        page = generate(seed)
        truth = page.truth
        pages.append(
            CorpusPage(
                name=f"generated-{seed}",
                source="generated",
                url=truth.url,
                html=page.html,
                fetched_at=FETCHED_AT,
                title=truth.title,
                published_at=truth.published_at,
                body=truth.body,
                teasers=truth.teasers,
                captions=truth.captions,
                menu_titles=truth.menu_titles,
                date_form=truth.date_form,
            )
        )
    return pages


def fixture_pages() -> list[CorpusPage]:
    """The stored single-page articles (pages that are not articles, and split ones, left out)."""
    pages = []
    for case in load_cases():
        expected = case.spec.get("expected")
        if expected is None or case.is_multipage:
            continue
        raw = (case.directory / "page.html").read_bytes()
        text = raw.decode("utf-8", "replace")
        teasers = tuple(
            " ".join(_TAG.sub("", match["title"]).split()) for match in _TEASER_LINK.finditer(text)
        )
        caption = expected.get("image_caption")
        pages.append(
            CorpusPage(
                name=case.name,
                source="fixture",
                url=case.url,
                html=raw,
                fetched_at=case.fetched_at,
                title=expected["title"],
                published_at=datetime.fromisoformat(expected["published_at"]),
                body=expected["body"],
                teasers=teasers,
                captions=(caption,) if caption else (),
                must_not_contain=tuple(case.spec.get("must_not_contain", ())),
            )
        )
    return pages


def ours(page: CorpusPage) -> Extracted:
    response = HtmlResponse(url=page.url, body=page.html)
    try:
        part = ArticlePage(response, fetched_at=page.fetched_at).parse()
    except Rejection:
        return Extracted(None, None, "")
    item = build_article([part], page_count=part.page_count)
    return Extracted(item.title, item.published_at, item.body)


def _trafilatura(page: CorpusPage, *, fast: bool) -> Extracted:
    output = trafilatura.extract(
        page.html,
        url=page.url,
        output_format="json",
        with_metadata=True,
        date_extraction_params=TRAFILATURA_DATES,
        fast=fast,
    )
    if output is None:
        return Extracted(None, None, "")
    data = json.loads(output)
    return Extracted(data.get("title"), data.get("date"), data.get("text") or "")


def trafilatura_default(page: CorpusPage) -> Extracted:
    return _trafilatura(page, fast=False)


def trafilatura_fast(page: CorpusPage) -> Extracted:
    return _trafilatura(page, fast=True)


def tree_only(page: CorpusPage) -> Extracted:
    """The floor of any lxml-based extractor: the response's text and its tree, nothing read."""
    parse_html(HtmlResponse(url=page.url, body=page.html).text)
    return Extracted(None, None, "")


def lean(page: CorpusPage) -> Extracted:
    """The least an extractor of this template reads: the tree, the title and the paragraphs
    of `<article>` (with no dateline, teaser, caption or chrome removed, and no date)."""
    document = Document(parse_html(HtmlResponse(url=page.url, body=page.html).text))
    title = next(iter(document.values("h1::text")), None)
    paragraphs = [
        "".join(p.itertext()) for article in document.select("article") for p in article.iter("p")
    ]
    return Extracted(title, None, "\n\n".join(paragraphs))


# Floors for the page → item target, timed like the contenders but not scored.
FLOORS: dict[str, Callable[[CorpusPage], Extracted]] = {"tree": tree_only, "lean": lean}

CONTENDERS: dict[str, Callable[[CorpusPage], Extracted]] = {
    "ours": ours,
    "trafilatura": trafilatura_default,
    "trafilatura fast": trafilatura_fast,
}
"""`trafilatura` is `extract(output_format="json", with_metadata=True)`; `fast` adds `fast=True`
(no fallback extractors), its quickest mode."""


def token_f1(got: str, truth: str) -> float:
    """F1 of the whitespace-split words, compared as multisets."""
    got_tokens, truth_tokens = Counter(got.split()), Counter(truth.split())
    overlap = sum((got_tokens & truth_tokens).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(got_tokens.values())
    recall = overlap / sum(truth_tokens.values())
    return 2 * precision * recall / (precision + recall)


def date_to_minute(value: str | None, truth: datetime) -> str:
    """`match`, `wrong`, `no_offset` (a date, or a time without its zone) or `missing`."""
    if not value:
        return "missing"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "wrong"
    if parsed.tzinfo is None:
        return "no_offset"
    same = parsed.replace(second=0, microsecond=0) == truth.replace(second=0, microsecond=0)
    return "match" if same else "wrong"


def _leaks(texts: tuple[str, ...], got: str, truth: str) -> int:
    """How many of `texts` appear in the extracted body more often than in the true one."""
    got, truth = " ".join(got.split()), " ".join(truth.split())
    leaked = 0
    for text in texts:
        needle = " ".join(text.split())
        if needle and got.count(needle) > truth.count(needle):
            leaked += 1
    return leaked


def score(page: CorpusPage, got: Extracted) -> dict[str, Any]:
    body_words = " ".join(got.body.split())
    return {
        "title": got.title is not None and got.title.strip() == page.title,
        "date": date_to_minute(got.date, page.published_at),
        "body_f1": token_f1(got.body, page.body),
        "body_exact": body_words == " ".join(page.body.split()),
        "teaser_leaks": _leaks(page.teasers, got.body, page.body),
        "baca_juga_marker": "baca juga" in body_words.lower(),
        "caption_leaks": _leaks(page.captions, got.body, page.body),
        "menu_leaks": _leaks(page.menu_titles, got.body, page.body),
        "forbidden": sum(1 for text in page.must_not_contain if text in got.body),
    }


def accuracy(pages: list[CorpusPage], results: list[Extracted]) -> dict[str, Any]:
    scores = [score(page, got) for page, got in zip(pages, results, strict=True)]
    count = len(scores)
    dates = Counter(s["date"] for s in scores)
    teasers = sum(len(page.teasers) for page in pages)
    captions = sum(len(page.captions) for page in pages)
    return {
        "pages": count,
        "title_exact": round(sum(s["title"] for s in scores) / count, 4),
        "date_to_minute": round(dates["match"] / count, 4),
        "date_outcomes": dict(sorted(dates.items())),
        "body_f1_mean": round(statistics.fmean(s["body_f1"] for s in scores), 4),
        "body_f1_min": round(min(s["body_f1"] for s in scores), 4),
        "body_exact": round(sum(s["body_exact"] for s in scores) / count, 4),
        "teasers": teasers,
        "teaser_leaks": sum(s["teaser_leaks"] for s in scores),
        "pages_with_teaser_leak": sum(1 for s in scores if s["teaser_leaks"]),
        "pages_with_baca_juga_in_body": sum(1 for s in scores if s["baca_juga_marker"]),
        "captions": captions,
        "caption_leaks": sum(s["caption_leaks"] for s in scores),
        "pages_with_caption_leak": sum(1 for s in scores if s["caption_leaks"]),
        "menu_leaks": sum(s["menu_leaks"] for s in scores),
        "forbidden_strings": sum(s["forbidden"] for s in scores),
        "forbidden_checked": sum(len(page.must_not_contain) for page in pages),
    }


# Accuracy measures, and whether higher is better, for "more accurate on every measure".
MEASURES = {
    "title_exact": True,
    "date_to_minute": True,
    "body_f1_mean": True,
    "teaser_leaks": False,
    "caption_leaks": False,
}


def run(*, generated: int, repeats: int) -> dict[str, Any]:
    corpus = generated_pages(generated) + fixture_pages()
    sizes = [len(page.html) for page in corpus if page.source == "generated"]

    def contender(function: Callable[[CorpusPage], Extracted]) -> Callable[[], list[Extracted]]:
        return lambda: [function(page) for page in corpus]

    for function in CONTENDERS.values():  # warm-up: imports, caches, lazy tables
        for page in corpus[:10]:
            function(page)
    samples, results = alternate(
        {name: contender(function) for name, function in CONTENDERS.items()}, repeats
    )
    timing = {
        name: {
            "cpu_ms_per_page": summary([s.cpu / len(corpus) for s in runs], 1000),
            "wall_ms_per_page": summary([s.wall / len(corpus) for s in runs], 1000),
            "spread": spread([s.cpu for s in runs]),
        }
        for name, runs in samples.items()
    }
    floors, _ = alternate(
        {name: contender(function) for name, function in FLOORS.items()}, repeats
    )
    ours_cpu = timing["ours"]["cpu_ms_per_page"]["median"]
    for name in CONTENDERS:
        timing[name]["times_ours"] = round(timing[name]["cpu_ms_per_page"]["median"] / ours_cpu, 2)
    by_source: dict[str, dict[str, Any]] = {}
    for source in ("generated", "fixture", "all"):
        chosen = [i for i, page in enumerate(corpus) if source in ("all", page.source)]
        by_source[source] = {
            name: accuracy([corpus[i] for i in chosen], [results[name][i] for i in chosen])
            for name in CONTENDERS
        }
    return {
        "corpus": {
            "generated_pages": generated,
            "fixture_pages": len(corpus) - generated,
            "generated_kib": summary([size / 1024 for size in sizes]),
            "repeats": repeats,
        },
        "timing": timing,
        "floors": {
            name: summary([s.cpu / len(corpus) for s in runs], 1000)
            for name, runs in floors.items()
        },
        "accuracy": by_source,
        "date_forms": _date_forms(corpus, results),
    }


def _date_forms(corpus: list[CorpusPage], results: dict[str, list[Extracted]]) -> dict[str, Any]:
    """Dates to the minute per date form of the generated pages, for each contender."""
    forms: dict[str, dict[str, int]] = {}
    for index, page in enumerate(corpus):
        if page.source != "generated":
            continue
        row = forms.setdefault(page.date_form, {"pages": 0} | dict.fromkeys(CONTENDERS, 0))
        row["pages"] += 1
        for name in CONTENDERS:
            if date_to_minute(results[name][index].date, page.published_at) == "match":
                row[name] += 1
    return dict(sorted(forms.items(), key=lambda pair: -pair[1]["pages"]))
