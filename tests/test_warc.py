"""Raw pages kept: a crawl captured in WARC files, and the same crawl replayed from them with
no server at all."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from itemadapter import ItemAdapter
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from galamedia.archive.reader import ArchiveIndex
from galamedia.commands.preflight import PreflightError, check_warc_dir
from galamedia.rules.arguments import ArgumentError, parse_arguments
from tests.helpers import (
    ROOT,
    SCRAPY,
    SINCE,
    UNTIL,
    crawl,
    scrapy_crawl,
    setting_options,
    wait_until,
)
from tests.testsite import TestSite, standard_site

WINDOW = {"since": SINCE, "until": UNTIL}
NAME = re.compile(r"galamedia-\d{8}T\d{6}Z-\d+-\d{5}\.warc\.gz")


@dataclass(frozen=True)
class Capture:
    """A live crawl of the standard site with `WARC_DIR`, the site stopped since."""

    origin: str
    warc: Path
    items: dict[str, dict[str, Any]]
    """The live crawl's items by `article_id`."""
    report: dict[str, Any]
    legacy_path: str
    """The `/read/{id}` link that answers 301."""


@dataclass(frozen=True)
class Record:
    file: Path
    type: str
    uri: str
    date: str
    status: int | None
    headers: dict[str, str]
    payload: bytes
    fields: dict[str, str]


def read_records(*files: Path) -> list[Record]:
    """Every record of `files`, read whole by warcio with its digests checked (a mismatch
    raises)."""
    found = []
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                http = record.http_headers
                payload = record.content_stream().read()
                fields = {}
                if record.rec_type == "warcinfo":
                    text = payload.decode()
                    fields = dict(line.split(": ", 1) for line in text.splitlines() if line)
                found.append(
                    Record(
                        file=path,
                        type=record.rec_type,
                        uri=record.rec_headers.get_header("WARC-Target-URI") or "",
                        date=record.rec_headers.get_header("WARC-Date"),
                        status=int(http.get_statuscode())
                        if http and record.rec_type == "response"
                        else None,
                        headers=dict(http.headers) if http else {},
                        payload=payload,
                        fields=fields,
                    )
                )
    return found


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def without_crawled_at(item: Any) -> dict[str, Any]:
    fields = ItemAdapter(item).asdict()
    fields.pop("crawled_at")
    return fields


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    directory = tmp_path_factory.mktemp("capture")
    out = directory / "live.jsonl"
    with standard_site() as site:
        legacy = next(path for path in site.routes if path.startswith("/read/"))
        done = scrapy_crawl(
            *("-a", f"base_url={site.origin}", "-a", f"since={SINCE}", "-a", f"until={UNTIL}"),
            *("-O", str(out), *setting_options(), "-s", f"WARC_DIR={directory / 'warc'}"),
        )
    assert done.returncode == 0, done.stderr[-3000:]
    items = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        items[item["article_id"]] = item
    report = json.loads(Path(f"{out}.report.json").read_text(encoding="utf-8"))
    return Capture(site.origin, directory / "warc", items, report, legacy)


@pytest_twisted.inlineCallbacks
def test_replay_without_the_site_gives_the_live_items(capture: Capture) -> None:
    replayed = yield crawl(base_url=capture.origin, warc=str(capture.warc), **WINDOW)
    live = {
        key: {k: v for k, v in item.items() if k != "crawled_at"}
        for key, item in capture.items.items()
    }
    assert {item.article_id: without_crawled_at(item) for item in replayed.items} == live
    # every request answered from the archive: none went to the (stopped) site
    assert replayed.stat("warc/responses_served") == replayed.stat("downloader/request_count")
    assert replayed.stat("articles/not_written/not_in_archive") is None
    assert replayed.stat("downloader/exception_count") is None


@pytest_twisted.inlineCallbacks
def test_replayed_items_were_crawled_when_their_pages_were_captured(capture: Capture) -> None:
    replayed = yield crawl(base_url=capture.origin, warc=str(capture.warc), **WINDOW)
    captured = {
        record.uri: datetime.fromisoformat(record.date).replace(microsecond=0).isoformat()
        for record in read_records(*warc_files(capture.warc))
        if record.type == "response"
    }
    assert replayed.items
    for item in replayed.items:
        assert item.crawled_at == captured[item.url]


def test_every_record_reads_back_with_its_digests(capture: Capture) -> None:
    records = read_records(*warc_files(capture.warc))
    assert capture.report["archive"]["records_written"] == len(records)
    assert capture.report["archive"]["bytes_written"] == sum(
        path.stat().st_size for path in warc_files(capture.warc)
    )
    info, *exchanges = records
    assert info.type == "warcinfo"
    assert info.fields["software"].startswith("galamedia-crawler/0.1.0 (Scrapy ")
    assert info.fields["format"] == "WARC File Format 1.1"
    assert info.fields["description"] == (
        f"scrapy crawl articles -a sites={capture.origin} -a since=2023-02-01T00:00:00+07:00"
        " -a until=2023-02-28T23:59:59+07:00 -a source=index"
    )
    # response, then its request, for each download
    assert [r.type for r in exchanges] == ["response", "request"] * (len(exchanges) // 2)
    for response, request in zip(exchanges[::2], exchanges[1::2], strict=True):
        assert (request.uri, request.date) == (response.uri, response.date)


def test_redirects_errors_and_robots_txt_are_recorded(capture: Capture) -> None:
    responses = {r.uri: r for r in read_records(*warc_files(capture.warc)) if r.type == "response"}
    assert responses[f"{capture.origin}/robots.txt"].status == 200
    redirect = responses[f"{capture.origin}{capture.legacy_path}"]
    assert redirect.status == 301
    assert redirect.headers["Location"].endswith("/berita-nomor-6")
    assert responses[f"{capture.origin}/nasional/pr-099999999/dihapus"].status == 404
    requests = [r for r in read_records(*warc_files(capture.warc)) if r.type == "request"]
    assert all(r.headers["User-Agent"].startswith("galamedia-crawler/") for r in requests)


@pytest_twisted.inlineCallbacks
def test_a_url_the_archive_lacks_is_not_in_archive(capture: Capture, tmp_path: Path) -> None:
    captured = next(iter(capture.items.values()))["url"]
    missing = f"{capture.origin}/nasional/pr-012345678/tidak-pernah-diambil"
    report = tmp_path / "report.json"
    replayed = yield crawl(
        settings={"RUN_REPORT": str(report)},
        url=f"{captured},{missing}",
        warc=str(capture.warc),
    )
    assert [item.url for item in replayed.items] == [captured]
    assert replayed.stat("articles/not_written/not_in_archive") == 1
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["counts"]["not_written"] == {"not_in_archive": 1}
    assert written["not_written"] == [
        {
            "url": missing,
            "reason": "not_in_archive",
            "detail": f"{missing} is not in the archive",
        }
    ]
    assert written["archive"]["responses_served"] == 2  # robots.txt and the article


@pytest_twisted.inlineCallbacks
def test_a_corrupt_record_is_reported_and_skipped(
    capture: Capture, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(capture.warc, damaged)
    (path,) = warc_files(damaged)
    index = ArchiveIndex.of([path])
    victim = next(iter(capture.items.values()))["url"]
    stored = index.find(victim)
    assert stored is not None
    data = bytearray(path.read_bytes())
    middle = stored.offset + stored.length // 2
    data[middle : middle + 8] = b"\x00" * 8  # a bad gzip member: its deflate data broken
    path.write_bytes(bytes(data[: len(data) - 20]))  # and the last record cut short
    caplog.set_level(logging.WARNING)
    replayed = yield crawl(base_url=capture.origin, warc=str(damaged), **WINDOW)
    assert replayed.stat("warc/corrupt_records") == 2
    skipped = [r.getMessage() for r in caplog.records if "record skipped" in r.getMessage()]
    assert len(skipped) == 2
    assert skipped[0].startswith(
        f"archive: record skipped: {path} at offset {stored.offset}: not a readable gzip member"
    )
    assert skipped[1] == (
        f"archive: record skipped: {path} at offset {member_offsets(capture.warc)[-1]}:"
        " the record is cut short (a killed capture?)"
    )
    # the damaged page is missing, every other article is replayed as captured
    assert replayed.stat("articles/not_written/not_in_archive") == 1
    assert sorted(item.article_id for item in replayed.items) == sorted(
        key for key, item in capture.items.items() if item["url"] != victim
    )


def member_offsets(directory: Path) -> list[int]:
    """Where each record (one gzip member each) of the one file in `directory` starts."""
    (path,) = warc_files(directory)
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return [records.get_record_offset() for _record in records]


@pytest_twisted.inlineCallbacks
def test_replay_with_the_state_writes_what_a_parser_fix_changed(
    capture: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = {"STATE_PATH": str(tmp_path / "state.sqlite")}
    replay = {"base_url": capture.origin, "warc": str(capture.warc), **WINDOW}
    first = yield crawl(settings=state, **replay)
    assert sorted(item.article_id for item in first.items) == sorted(capture.items)
    assert {item.revision for item in first.items} == {1}

    again = yield crawl(settings=state, **replay)
    assert again.items == []
    assert again.stat("articles/not_written/unchanged") == len(capture.items)

    # A parser fix: every title is read differently now.
    from galamedia.pages import article  # noqa: PLC0415
    from galamedia.spiders import articles  # noqa: PLC0415

    def fixed(*args: Any, **kwargs: Any) -> Any:
        built = article.build_article(*args, **kwargs)
        return dataclasses.replace(built, title=f"{built.title} (diperbaiki)")

    monkeypatch.setattr(articles, "build_article", fixed)
    fixed_run = yield crawl(settings=state, **replay)
    assert sorted(item.article_id for item in fixed_run.items) == sorted(capture.items)
    assert {item.revision for item in fixed_run.items} == {2}
    assert all(item.title.endswith(" (diperbaiki)") for item in fixed_run.items)
    # exported and older than REFRESH_HOURS, yet re-extracted: the archive costs no request
    assert fixed_run.stat("articles/not_written/already_exported") is None


@pytest_twisted.inlineCallbacks
def test_a_body_is_recorded_as_received_still_gzipped(site: TestSite, tmp_path: Path) -> None:
    name = "wang-yi-classic"
    route = site.article_route(name)
    page = route.body
    route.body = gzip.compress(page)
    route.headers = {**route.headers, "Content-Encoding": "gzip"}
    live = yield crawl(settings={"WARC_DIR": str(tmp_path)}, url=site.case_url(name))
    (response,) = [
        r
        for r in read_records(*warc_files(tmp_path))
        if r.type == "response" and r.uri == site.case_url(name)
    ]
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.payload == page  # warcio decodes it, as any WARC reader does
    with warc_files(tmp_path)[0].open("rb") as stream:
        raw = [r.raw_stream.read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert route.body in raw  # the bytes as they came

    replayed = yield crawl(url=site.case_url(name), warc=str(tmp_path))
    assert [without_crawled_at(i) for i in replayed.items] == [
        without_crawled_at(i) for i in live.items
    ]


@pytest_twisted.inlineCallbacks
def test_files_roll_over_and_each_is_complete(site: TestSite, tmp_path: Path) -> None:
    names = ["wang-yi-classic", "multipage", "date-mismatch", "video-page"]
    result = yield crawl(
        settings={"WARC_DIR": str(tmp_path), "WARC_MAX_SIZE": 8_000},
        url=",".join(site.case_url(name) for name in names),
    )
    files = warc_files(tmp_path)
    assert len(files) >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in files]  # no `.open`
    assert all(NAME.fullmatch(p.name) for p in files)
    assert all(p.stat().st_size >= 8_000 for p in files[:-1])
    for path in files:
        first, *rest = read_records(path)
        assert first.type == "warcinfo"
        assert rest
        assert {r.type for r in rest} == {"request", "response"}
    assert result.stat("warc/files_written") == len(files)


def test_a_killed_capture_leaves_readable_files(standard: TestSite, tmp_path: Path) -> None:
    held = standard.case_path("wang-yi-classic")
    release = threading.Event()
    standard.article_route("wang-yi-classic").hold = release
    warc, log = tmp_path / "warc", tmp_path / "crawl.log"
    with log.open("wb") as stream:
        capture = subprocess.Popen(
            [
                SCRAPY,
                "crawl",
                "articles",
                *("-a", f"base_url={standard.origin}", "-a", f"since={SINCE}"),
                *("-a", f"until={UNTIL}", "-O", str(tmp_path / "out.jsonl")),
                *setting_options(),
                *("-s", f"WARC_DIR={warc}", "-s", "WARC_MAX_SIZE=10000"),
            ],
            cwd=ROOT,
            stdout=stream,
            stderr=stream,
        )
    try:
        assert standard.wait_for(held), log.read_text()
        wait_until(lambda: len(warc_files(warc)) >= 2, timeout=30, what="two complete files")
        os.kill(capture.pid, signal.SIGKILL)
        capture.wait(30)
    finally:
        release.set()
    complete = warc_files(warc)
    partial = sorted(warc.glob("*.warc.gz.open"))
    assert len(partial) <= 1
    for record in read_records(*complete):  # every complete file reads back whole
        assert record.type in {"warcinfo", "request", "response"}
    for path in partial:  # what the kill left reads back up to the record being written
        index = ArchiveIndex.of([path])
        assert index.records >= 1
        assert len(index.corrupt) <= 1
        assert all("cut short" in c.problem for c in index.corrupt)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "warc: {tmp}/missing: no such file or folder"),
        ("empty-folder", "warc: {tmp}/empty-folder holds no WARC file (*.warc.gz, *.warc)"),
        ("glob", "warc: {tmp}/*.nothing matches no file"),
    ],
)
def test_warc_argument_names_files(tmp_path: Path, setup: str, message: str) -> None:
    (tmp_path / "empty-folder").mkdir()
    value = f"{tmp_path}/*.nothing" if setup == "glob" else str(tmp_path / setup)
    with pytest.raises(ArgumentError) as raised:
        parse_arguments({"warc": value}, now=datetime.now().astimezone())
    assert str(raised.value) == message.format(tmp=tmp_path)


def test_warc_argument_resolves_a_folder_in_name_order_without_the_open_file(
    tmp_path: Path,
) -> None:
    for name in ("b.warc.gz", "a.warc.gz", "c.warc", "d.warc.gz.open", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    arguments = parse_arguments({"warc": str(tmp_path)}, now=datetime.now().astimezone())
    assert arguments.archives == tuple(
        str(tmp_path / n) for n in ("a.warc.gz", "b.warc.gz", "c.warc")
    )


def test_a_file_that_is_not_a_warc_is_refused_before_any_request(tmp_path: Path) -> None:
    text = tmp_path / "notes.warc.gz"
    text.write_text("not an archive\n")
    done = scrapy_crawl("-a", f"warc={text}")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: warc: {text} is not a WARC file (it starts with b'not an archive\\n')\n"
    )


def test_warc_dir_must_be_a_folder(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    with pytest.raises(PreflightError, match=r"WARC_DIR .* is a file"):
        check_warc_dir(Settings({"WARC_DIR": str(afile)}))
