"""The scrapyd recipe, for real: a scrapyd on 127.0.0.1, `scrapyd-deploy`, `schedule.json`."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from tests.helpers import ROOT, SINCE, UNTIL, in_window, setting_values, wait_until
from tests.testsite import TestSite

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"items_dir = {home / 'items'}\ndbs_dir = {home / 'dbs'}\n"
    )
    server = subprocess.Popen(
        [BIN / "scrapyd"], cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    ready = threading.Event()

    def watch(stream: Any) -> None:  # read its log until it says it listens
        for line in stream:
            if "web console available" in line:
                ready.set()

    threading.Thread(target=watch, args=(server.stdout,), daemon=True).start()
    try:
        assert ready.wait(60), "scrapyd did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)
        server.stdout.close()


def call(url: str, **fields: Any) -> dict[str, Any]:
    data = urlencode(fields, doseq=True).encode() if fields else None
    with urlopen(url, data=data, timeout=30) as response:  # loopback only
        return dict(json.load(response))


def test_deploy_and_schedule_on_scrapyd(standard: TestSite, scrapyd: str, tmp_path: Path) -> None:
    # scrapyd-deploy from a copy of the project, its [deploy] target pointed at this scrapyd
    project = tmp_path / "project"
    shutil.copytree(ROOT / "galamedia", project / "galamedia")
    config = (ROOT / "scrapy.cfg").read_text().replace("http://localhost:6800/", f"{scrapyd}/")
    (project / "scrapy.cfg").write_text(config)
    deployed = subprocess.run(
        [BIN / "scrapyd-deploy"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert call(f"{scrapyd}/listspiders.json?project=galamedia")["spiders"] == ["articles"]

    job = call(
        f"{scrapyd}/schedule.json",
        project="galamedia",
        spider="articles",
        base_url=standard.origin,
        since=SINCE,
        until=UNTIL,
        setting=setting_values(),
    )["jobid"]

    def finished() -> bool:
        jobs = call(f"{scrapyd}/listjobs.json?project=galamedia")
        return any(entry["id"] == job for entry in jobs["finished"])

    # scrapyd has no push notification: ask until it is done
    wait_until(finished, timeout=120, what=f"scrapyd job {job} finished")
    feed = tmp_path / "scrapyd" / "items" / "galamedia" / "articles" / f"{job}.jl"
    ids = {json.loads(line)["article_id"] for line in feed.read_text().splitlines()}
    assert ids == in_window(standard)
    report = json.loads(Path(f"{feed}.report.json").read_text())
    assert report["ok"] is True
