"""The items: the crawler's output contract, one JSON object per article or removal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Article:
    """One news article, all of its pages, cleaned. Every value is JSON-native."""

    url: str
    """Canonical article URL on the crawled origin, `{origin}/{kanal}/pr-{id}/{slug}`:
    no `/amp/`, no query, no fragment."""

    article_id: str
    """The digits after `pr-`, as a string: ids may start with `0`."""

    site: str
    """The host the article was crawled from, e.g. `galamedia.pikiran-rakyat.com`, with its
    port when it has one other than the scheme's (a local copy: `127.0.0.1:8001`)."""

    title: str | None
    """The headline."""

    published_at: str | None
    """Publication time, ISO 8601 in WIB (`2023-02-22T20:08:00+07:00`); WITA and WIT times
    are converted to the same instant in WIB."""

    published_at_raw: str | None
    """The date text exactly as found (meta content or the visible date line), before
    normalising."""

    updated_at: str | None = None
    """When the article was last updated, as the page says (`article:modified_time`, JSON-LD
    `dateModified` or a visible `Diperbarui:` line): ISO 8601 in WIB, or null."""

    updated_at_raw: str | None = None
    """The update date text exactly as found, or null."""

    author: str | None
    """The writer's name, or null."""

    editor: str | None
    """The name on the `Editor:` line, or null."""

    source: str | None
    """The name on the `Sumber:` line, or null."""

    category: str | None
    """The kanal's display name from the breadcrumb (`Internasional`, `Bandung Raya`), or null
    when the page shows none."""

    category_slug: str
    """The kanal slug from the URL (`bandung-raya`)."""

    tags: list[str] = field(default_factory=list)
    """Tag names in page order, possibly empty."""

    image_url: str | None
    """Absolute URL of the lead image (never a lazy-load placeholder), or null."""

    image_caption: str | None
    """The lead image's caption without its credit, or null."""

    image_credit: str | None
    """The credit closing the caption (the text after its first `/`), or null."""

    dateline: str | None
    """The body's opening dateline (`GALAMEDIANEWS`, `PIKIRAN RAKYAT`), or null."""

    body: str
    """The article text: its paragraphs in page order across all pages, joined by one blank
    line (`\\n\\n`)."""

    related_urls: list[str] = field(default_factory=list)
    """Canonical URLs of the "Baca Juga" links, in page order, across all pages."""

    page_count: int
    """How many pages the article is split into (1 when not split)."""

    word_count: int
    """Words in `body`."""

    language: str = "id"
    """ISO 639-1 language of the text: always `id` (Indonesian)."""

    crawled_at: str
    """When the article was fetched: ISO 8601 in UTC (`2026-11-27T06:11:03+00:00`)."""

    field_layers: dict[str, str] = field(default_factory=dict)
    """Which layer supplied each extracted field: field name → the selector or source it came
    from (`"title": "h1.read__title"`, `"title": "JSON-LD headline"`). A field without a
    value is absent. The run's counts of these show when the site's template changed."""

    revision: int | None = None
    """With the incremental state on (`STATE_PATH`): 1 the first time the article is exported,
    then 2, 3 … each time it is exported again because its content changed. Null without it."""


@dataclass(kw_only=True)
class Removal:
    """A tombstone: an article an earlier run exported now answers 404 or 410, so the consumer
    should drop it. Written only with the incremental state on (`STATE_PATH`), which knows what
    was exported; told apart from an `Article` by its `removed_at` (and its lack of `title`)."""

    url: str
    """The article's canonical URL, as for `Article.url`."""

    article_id: str
    """The digits after `pr-`, as a string: the article's key with `site`."""

    site: str
    """The host the article was crawled from, e.g. `galamedia.pikiran-rakyat.com`, with its
    port when it has one other than the scheme's (a local copy: `127.0.0.1:8001`)."""

    removed_at: str
    """When the crawler found it gone: ISO 8601 in UTC (`2026-11-28T06:11:03+00:00`)."""

    revision: int | None = None
    """The article's next revision: a tombstone after revision 1 is revision 2. Set by the
    incremental pipeline, like `Article.revision`."""
