"""Feed exporters: Scrapy's, with list fields kept readable where a format flattens them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from io import BytesIO
from typing import Any

from scrapy import Field
from scrapy.exporters import CsvItemExporter as ScrapyCsvItemExporter

from galamedia.items import Article, Removal

CSV_FIELDS = tuple(
    dict.fromkeys(field.name for kind in (Article, Removal) for field in fields(kind))
)
"""The CSV columns: every `Article` field, then what only a tombstone has (`removed_at`)."""


class CsvItemExporter(ScrapyCsvItemExporter):
    """CSV with list and mapping fields (`tags`, `related_urls`, `field_layers`) as JSON, and
    one header for articles and tombstones alike.

    Scrapy joins lists with commas, which tag names and URLs may contain themselves, and writes
    a mapping as a Python repr; JSON reads back unambiguously (`json.loads(row["tags"])`).
    Scrapy also takes the columns from the first item, so a tombstone among articles would lose
    its `removed_at` (or, first, every article field): without `FEED_EXPORT_FIELDS` the columns
    are `CSV_FIELDS`, each row leaving empty what its kind lacks.
    """

    def __init__(self, file: BytesIO, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        if not self.fields_to_export:
            self.fields_to_export = list(CSV_FIELDS)

    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)
