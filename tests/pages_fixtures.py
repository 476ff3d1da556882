"""The stored pages under `tests/pages/`: one directory per page variant, with its truth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

PAGES = Path(__file__).parent / "pages"


@dataclass(frozen=True)
class PageCase:
    """One stored case: its pages, the URL they are served at, and the expected outcome."""

    name: str
    directory: Path
    spec: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.spec["url"])

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.spec["fetched_at"])

    @property
    def is_multipage(self) -> bool:
        return (self.directory / "page-1.html").exists()

    @property
    def page_files(self) -> list[Path]:
        """The pages in order (one for a single page, `page-1.html`… for a split article)."""
        if not self.is_multipage:
            return [self.directory / "page.html"]
        return sorted(self.directory.glob("page-[0-9]*.html"), key=lambda p: int(p.stem[5:]))

    def response(self, path: Path, url: str | None = None) -> HtmlResponse:
        return HtmlResponse(url=url or self.url, body=path.read_bytes())


def load_cases() -> list[PageCase]:
    return [
        PageCase(directory.name, directory, json.loads((directory / "case.json").read_text()))
        for directory in sorted(PAGES.iterdir())
        if (directory / "case.json").exists()
    ]
