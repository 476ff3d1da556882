"""Feed exporters: Scrapy's, with list fields kept readable where a format flattens them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scrapy import Field
from scrapy.exporters import CsvItemExporter as ScrapyCsvItemExporter


class CsvItemExporter(ScrapyCsvItemExporter):
    """CSV with list and mapping fields (`tags`, `related_urls`, `field_layers`) as JSON.

    Scrapy joins lists with commas, which tag names and URLs may contain themselves, and writes
    a mapping as a Python repr; JSON reads back unambiguously (`json.loads(row["tags"])`).
    """

    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)
