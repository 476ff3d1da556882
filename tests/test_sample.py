"""The newcomer's one command: `python -m tests.testsite --crawl sample.jsonl` serves the sample
site, crawls it with `scrapy crawl` into a JSONL and stops it; and a port in use is one line."""

from __future__ import annotations

import itertools
import json
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers import ROOT

TESTSITE = ROOT / "tests" / "testsite.py"
DEADLINE = 180  # seconds for a whole run: the sample crawl takes a few


def run(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def crawl_command(stdout: str) -> list[str]:
    """The `scrapy crawl …` line the demo printed before running it, as arguments."""
    lines = [line.strip() for line in stdout.splitlines()]
    (command,) = [line for line in lines if line.startswith("scrapy crawl articles ")]
    return shlex.split(command)


def option(command: list[str], name: str) -> list[str]:
    """Every value given to an option (`-a`, `-O`, `-s`) in `command`."""
    return [value for flag, value in itertools.pairwise(command) if flag == name]


def items_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def is_listening(origin: str) -> bool:
    parts = urlsplit(origin)
    assert parts.hostname is not None
    assert parts.port is not None
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=5):
            return True
    except OSError:
        return False


def test_the_demo_crawls_the_sample_site_into_real_articles(tmp_path: Path) -> None:
    out = tmp_path / "sample.jsonl"
    completed = run("-m", "tests.testsite", "--crawl", str(out))
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr

    # the exact command, printed before it ran: the README's, on the local origin
    command = crawl_command(completed.stdout)
    assert command[:3] == ["scrapy", "crawl", "articles"]
    (base_url,) = [value for value in option(command, "-a") if value.startswith("base_url=")]
    origin = base_url.removeprefix("base_url=")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin)
    assert {"since=2023-02-01", "until=2023-03-31"} <= set(option(command, "-a"))
    assert option(command, "-O") == [str(out)]
    assert completed.stdout.index("scrapy crawl articles") < completed.stdout.index("exited")
    # its output streamed through, and the site is stopped once the command is over
    assert "Crawl finished: OK." in completed.stderr
    assert not is_listening(origin)

    items = items_of(out)
    assert len(items) >= 20
    assert not [item["title"] for item in items if re.search("Berita nomor", item["title"])]
    assert all(item["url"].startswith(origin + "/") for item in items)
    assert all("2023-02-01" <= item["published_at"][:10] <= "2023-03-31" for item in items)
    paragraphs = [len(item["body"].split("\n\n")) for item in items]
    assert min(paragraphs) >= 3
    assert sum(count >= 5 for count in paragraphs) >= 20
    assert all(item["editor"] for item in items)
    assert sum(bool(item["tags"]) for item in items) >= 20
    assert sum(bool(item["image_url"] and item["image_caption"]) for item in items) >= 20
    assert sum(bool(item["source"]) for item in items) >= 5
    assert sum(bool(item["related_urls"]) for item in items) >= 20
    assert any(item["page_count"] > 1 for item in items)
    assert len({item["article_id"] for item in items}) == len(items)

    # where to look, at the end
    report = tmp_path / "sample.jsonl.report.json"
    assert json.loads(report.read_text(encoding="utf-8"))["ok"] is True
    tail = completed.stdout[completed.stdout.index("exited with 0") :]
    assert f"items:   {out} ({len(items)} articles" in tail
    assert f"report:  {report}" in tail
    assert f"head -n 1 {out} | head -c " in tail


def test_the_demo_runs_from_another_directory_as_a_file(tmp_path: Path) -> None:
    """Run as `python path/to/tests/testsite.py` from elsewhere: the crawl still runs where
    scrapy.cfg is, and a relative output path means the reader's directory."""
    completed = run(
        str(TESTSITE),
        "--crawl",
        "week.jsonl",
        "--since",
        "2023-02-20",
        "--until",
        "2023-02-28",
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    command = crawl_command(completed.stdout)
    assert option(command, "-O") == [str(tmp_path / "week.jsonl")]
    assert f"from {ROOT}" in completed.stdout
    items = items_of(tmp_path / "week.jsonl")
    assert items
    assert all("2023-02-20" <= item["published_at"][:10] <= "2023-02-28" for item in items)
    assert "items:   week.jsonl (" in completed.stdout
    assert "head -n 1 week.jsonl | head -c " in completed.stdout


@pytest.mark.parametrize("extra", [[], ["--crawl", "never.jsonl"]], ids=["serve", "crawl"])
def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path, extra: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = run("-m", "tests.testsite", "--port", str(port), *extra)
    assert completed.returncode == 2
    assert completed.stderr == (
        f"error: port {port} on 127.0.0.1 is in use: choose another with --port\n"
    )
    assert completed.stdout == ""
    assert not (tmp_path / "never.jsonl").exists()
