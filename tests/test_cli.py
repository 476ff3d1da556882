"""`scrapy crawl articles …` exactly as the README runs it, in a subprocess."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers import SINCE, UNTIL, in_window, scrapy_crawl, setting_options
from tests.testsite import TestSite

TAG_PAGE = "https://galamedia.pikiran-rakyat.com/tag/Rusia"


def test_readme_command_writes_the_window_one_article_per_line(
    standard: TestSite, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    window = ["-a", f"base_url={standard.origin}", "-a", f"since={SINCE}", "-a", f"until={UNTIL}"]
    completed = scrapy_crawl(*window, "-O", str(out), *setting_options())
    assert completed.returncode == 0, completed.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert sorted(item["article_id"] for item in items) == sorted(in_window(standard))
    wang_yi = next(item for item in items if item["article_id"] == "016338423")
    assert wang_yi["published_at"] == "2023-02-22T20:08:00+07:00"
    assert wang_yi["body"].endswith("di Majelis Umum.")
    # real UTF-8 in the file, not \u escapes
    assert "\\u" not in out.read_text(encoding="utf-8")
    # the summary at the end of the log
    summary = completed.stderr[completed.stderr.index("Crawl finished: OK.") :]
    assert f"items written:        {len(items)}" in summary
    assert "out_of_window 1" in summary


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["since=2023-13-01"], "error: since: 2023-13-01 is not a real date"),
        (["since=2023-02-10", "until=2023-02-01"], "error: until: 2023-02-01 is not after since"),
        (["base_url=notaurl"], "error: base_url: 'notaurl' is not an http(s) URL"),
        (
            ["since=2999-01-01"],
            "error: since: 2999-01-01 is in the future: nothing is published yet",
        ),
        (
            [f"url={TAG_PAGE}"],
            f"error: url: {TAG_PAGE!r} is not an article URL (…/kanal/pr-id/slug)",
        ),
        (
            ["until=22-02-2023"],
            "error: until: '22-02-2023' is neither a date (YYYY-MM-DD) nor an ISO datetime",
        ),
    ],
)
def test_bad_arguments_end_with_one_line_before_any_request(
    standard: TestSite, tmp_path: Path, arguments: list[str], message: str
) -> None:
    out = tmp_path / "out.jsonl"
    options = [option for argument in arguments for option in ("-a", argument)]
    if not any(argument.startswith(("base_url=", "url=")) for argument in arguments):
        options += ["-a", f"base_url={standard.origin}"]
    completed = scrapy_crawl(*options, "-O", str(out))
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [message]
    assert standard.requests == []
    assert not out.exists()


def test_other_feed_formats(standard: TestSite, tmp_path: Path) -> None:
    urls = ",".join(standard.case_url(name) for name in ("wang-yi-classic", "listicle"))
    outputs = [tmp_path / f"out.{suffix}" for suffix in ("csv", "json", "xml")]
    feeds = [option for out in outputs for option in ("-O", str(out))]
    completed = scrapy_crawl("-a", f"url={urls}", *feeds, *setting_options())
    assert completed.returncode == 0, completed.stderr
    csv_out, json_out, xml_out = outputs
    with csv_out.open(encoding="utf-8", newline="") as csv_file:
        rows = {row["article_id"]: row for row in csv.DictReader(csv_file)}
    items = {item["article_id"]: item for item in json.loads(json_out.read_text(encoding="utf-8"))}
    xml_items = ElementTree.parse(xml_out).getroot().findall("item")
    assert (
        set(rows)
        == set(items)
        == {"016338423", standard.cases["listicle"].spec["expected"]["article_id"]}
    )
    assert len(xml_items) == 2
    # list fields read back from CSV exactly
    for article_id, item in items.items():
        assert json.loads(rows[article_id]["tags"]) == item["tags"]
        assert json.loads(rows[article_id]["related_urls"]) == item["related_urls"]
        assert json.loads(rows[article_id]["field_layers"]) == item["field_layers"]
        assert rows[article_id]["body"] == item["body"]
