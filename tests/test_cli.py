"""`scrapy crawl articles … -O out.jsonl` exactly as the README runs it, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.testsite import TestSite

ROOT = Path(__file__).parent.parent
SCRAPY = str(Path(sys.executable).parent / "scrapy")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def test_crawl_command_writes_one_article_per_line(site: TestSite, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    urls = ",".join(site.case_url(name) for name in ("wang-yi-classic", "multipage", "video-page"))
    completed = subprocess.run(
        [SCRAPY, "crawl", "articles", "-a", f"url={urls}", "-O", str(out), *FAST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    items = {item["article_id"]: item for item in map(json.loads, lines)}
    assert len(lines) == len(items) == 2
    wang_yi = items["016338423"]
    assert wang_yi["url"] == site.case_url("wang-yi-classic")
    assert wang_yi["published_at"] == "2023-02-22T20:08:00+07:00"
    assert wang_yi["editor"] == "Ryan Pratama"
    assert wang_yi["source"] == "DW"
    assert wang_yi["dateline"] == "GALAMEDIANEWS"
    assert len(wang_yi["related_urls"]) == 2
    assert wang_yi["body"].startswith("Wang Yi , seorang diplomat tinggi China")
    assert wang_yi["body"].endswith("di Majelis Umum.")
    # the exporter writes real UTF-8, not \u escapes
    assert "\\u" not in out.read_text(encoding="utf-8")
    assert "articles/rejected/no_body" in completed.stderr
