"""Feed exporters: Scrapy's, with list fields kept readable where a format flattens them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scrapy import Field
from scrapy.exporters import CsvItemExporter as ScrapyCsvItemExporter


class CsvItemExporter(ScrapyCsvItemExporter):
    """CSV with list fields (`tags`, `related_urls`) as JSON arrays.

    Scrapy joins lists with commas, which tag names and URLs may contain themselves; a JSON
    array reads back unambiguously (`json.loads(row["tags"])`).
    """

    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)
