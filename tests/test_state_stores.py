"""Both state stores, SQLite and PostgreSQL, held to one suite; then what only PostgreSQL does:
a lock per site across machines, run history per site, and `scrapy crawl` with `STATE_URL`."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_twisted
from scrapy.settings import Settings

from galamedia.commands.preflight import PreflightError, check_state
from galamedia.incremental import postgres
from galamedia.incremental.postgres import PostgresStateStore, StateUrlError, lock_key
from galamedia.incremental.sqlite import SqliteStateStore
from galamedia.incremental.store import StateBusyError, StateStore
from tests.helpers import (
    NOW,
    REMOVAL,
    ROOT,
    SCRAPY,
    SINCE,
    UNTIL,
    WINDOW_END,
    setting_options,
    wait_until,
)
from tests.helpers import (
    STORED_ARTICLE as ARTICLE,
)
from tests.helpers import crawl as crawl_in_process
from tests.servers import PostgresServer, free_port
from tests.testsite import Route, TestSite, render_article, synthetic

SITE, ARTICLE_ID = ARTICLE["site"], ARTICLE["article_id"]
REPORT = {"finished_at": NOW.isoformat(), "counts": {"items_written": 3}, "rates": {}}

Opener = Callable[[], StateStore]


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens a store on this test's own state: a new SQLite file, or a new database."""
    if request.param == "sqlite":
        path = tmp_path / "state.sqlite"
        return lambda: SqliteStateStore(path)
    url = request.getfixturevalue("postgres").create_database()
    return lambda: PostgresStateStore(url)


@pytest.fixture
def store(opener: Opener) -> Iterator[StateStore]:
    opened = opener()
    yield opened
    opened.close()


def begin(store: StateStore, *sites: str, at: datetime = NOW) -> int:
    """A run of `sites` (or of `SITE`), begun as `IncrementalState` begins one: at the open,
    its sites claimed as the spider starts."""
    run = store.begin_run(started_at=at)
    store.claim(sites or (SITE,))
    return run


def export(store: StateStore, fields: dict[str, Any] = ARTICLE) -> None:
    run = begin(store)
    store.fetched(run_id=run, fields=fields, at=NOW)
    store.confirm_exports(run, at=NOW)


# Articles -----------------------------------------------------------------------------------


def test_a_new_article_is_revision_1_and_exported_once_confirmed(store: StateStore) -> None:
    run = begin(store)
    assert store.fetched(run_id=run, fields=ARTICLE, at=NOW) == 1
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert not known.is_exported  # emitted, but its feed is not written yet
    assert store.confirm_exports(run, at=NOW) == 1
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert known.is_exported
    assert (known.revision, known.published_at) == (1, ARTICLE["published_at"])


def test_unchanged_after_export_is_not_emitted_changed_is_revision_2(store: StateStore) -> None:
    export(store)
    second = begin(store)
    assert store.fetched(run_id=second, fields=ARTICLE, at=NOW) is None
    edited = {**ARTICLE, "title": "Judul yang diperbaiki"}
    assert store.fetched(run_id=second, fields=edited, at=NOW) == 2
    store.confirm_exports(second, at=NOW)
    third = begin(store)
    assert store.fetched(run_id=third, fields=edited, at=NOW) is None


def test_an_edited_date_is_a_new_revision(store: StateStore) -> None:
    export(store)
    second = begin(store)
    redated = {**ARTICLE, "published_at": "2023-02-20T20:08:00+07:00"}  # 22 → 20 Feb, same text
    assert store.fetched(run_id=second, fields=redated, at=NOW) == 2


def test_an_export_never_confirmed_is_emitted_again(store: StateStore) -> None:
    crashed = begin(store)
    assert store.fetched(run_id=crashed, fields=ARTICLE, at=NOW) == 1
    # the run dies before its feed is written: nothing is confirmed
    rerun = begin(store)
    assert store.fetched(run_id=rerun, fields=ARTICLE, at=NOW) == 1
    assert store.confirm_exports(crashed, at=NOW) == 0  # its pending exports were dropped


@pytest.mark.parametrize("other", ["prfmnews.pikiran-rakyat.com", "127.0.0.1:8001"])
def test_articles_are_keyed_by_site_and_id(store: StateStore, other: str) -> None:
    export(store)
    run = begin(store, other)
    # the same id on another site (a sibling site, or a local copy on its own port) is new
    assert store.known(other, ARTICLE_ID) is None
    assert store.fetched(run_id=run, fields={**ARTICLE, "site": other}, at=NOW) == 1
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert known.revision == 1


# Removals ------------------------------------------------------------------------------------


def test_a_removal_is_the_next_revision_and_counts_once_confirmed(store: StateStore) -> None:
    export(store)
    run = begin(store)
    assert store.removed(run_id=run, fields=REMOVAL) == 2
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert not known.is_removed  # emitted, but its feed is not written yet
    store.confirm_exports(run, at=NOW)
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert known.is_removed
    assert (known.revision, known.removed_at) == (2, REMOVAL["removed_at"])
    later = begin(store)
    assert store.removed(run_id=later, fields=REMOVAL) is None  # told once


def test_a_removal_never_confirmed_is_emitted_again(store: StateStore) -> None:
    export(store)
    crashed = begin(store)
    assert store.removed(run_id=crashed, fields=REMOVAL) == 2
    rerun = begin(store)
    assert store.removed(run_id=rerun, fields=REMOVAL) == 2


def test_only_an_exported_article_has_a_removal(store: StateStore) -> None:
    run = begin(store)
    assert store.removed(run_id=run, fields=REMOVAL) is None  # never seen
    store.fetched(run_id=run, fields=ARTICLE, at=NOW)
    assert store.removed(run_id=run, fields=REMOVAL) is None  # emitted, never exported


def test_an_article_back_after_its_removal_is_a_new_revision(store: StateStore) -> None:
    export(store)
    gone = begin(store)
    store.removed(run_id=gone, fields=REMOVAL)
    store.confirm_exports(gone, at=NOW)
    back = begin(store)
    assert store.fetched(run_id=back, fields=ARTICLE, at=NOW) == 3  # the same content, back
    store.confirm_exports(back, at=NOW)
    known = store.known(SITE, ARTICLE_ID)
    assert known is not None
    assert (known.revision, known.is_removed) == (3, False)
    again = begin(store)
    assert store.fetched(run_id=again, fields=ARTICLE, at=NOW) is None  # exported as it is


# Runs ----------------------------------------------------------------------------------------


def test_run_history(store: StateStore) -> None:
    assert store.last_successful_start() is None
    ok = begin(store)
    store.finish_run(ok, report=REPORT, exit_status=0)
    failed = begin(store, at=NOW + timedelta(hours=1))
    store.finish_run(failed, report={**REPORT, "counts": {"items_written": 0}}, exit_status=1)
    unfinished = begin(store, at=NOW + timedelta(hours=2))  # killed: never finished
    assert unfinished > failed > ok
    assert store.last_successful_start() == NOW
    assert [run["counts"] for run in store.recent_runs(10)] == [{"items_written": 3}]


def test_the_state_survives_closing_and_reopening(opener: Opener) -> None:
    first = opener()
    try:
        export(first)
        first.finish_run(begin(first), report=REPORT, exit_status=0)
    finally:
        first.close()
    reopened = opener()  # the tables are there: nothing is created or migrated twice
    try:
        run = begin(reopened)
        assert reopened.fetched(run_id=run, fields=ARTICLE, at=NOW) is None
        assert reopened.last_successful_start() == NOW
    finally:
        reopened.close()


def test_closing_twice_is_harmless(store: StateStore) -> None:
    store.close()
    store.close()


# PostgreSQL only: the schema ---------------------------------------------------------------


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    """A new, empty database of the session's server."""
    return postgres.create_database()


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind IN ('r', 'S')"
        ).fetchall()
    return {row[0] for row in rows}


def test_a_new_database_gets_the_schema_stamped_with_its_version(database: str) -> None:
    PostgresStateStore(database).close()
    assert tables(database) == {"galamedia_schema", "articles", "pending", "runs", "run_ids"}
    with psycopg.connect(database) as db:
        assert db.execute("SELECT version FROM galamedia_schema").fetchall() == [
            (postgres.SCHEMA_VERSION,)
        ]


def test_checking_a_database_creates_nothing(database: str) -> None:
    postgres.check_state_url(database, [SITE])
    assert tables(database) == set()


def test_a_database_of_a_newer_crawler_is_refused(database: str) -> None:
    PostgresStateStore(database).close()
    with psycopg.connect(database) as db:
        db.execute("UPDATE galamedia_schema SET version = version + 1")
    newer = f"schema {postgres.SCHEMA_VERSION + 1}, this one knows {postgres.SCHEMA_VERSION}"
    with pytest.raises(StateUrlError, match=rf"newer version of the crawler \({newer}\)"):
        postgres.check_state_url(database, [SITE])
    with pytest.raises(StateUrlError, match="upgrade the crawler"):
        PostgresStateStore(database)


def test_another_programs_tables_are_left_alone(database: str) -> None:
    with psycopg.connect(database) as db:
        db.execute("CREATE TABLE articles (id serial PRIMARY KEY, body text)")
    with pytest.raises(
        StateUrlError, match=r"another program's articles: they are left untouched"
    ):
        PostgresStateStore(database)
    assert tables(database) == {"articles", "articles_id_seq"}


# PostgreSQL only: one run of a site at a time ---------------------------------------------


def claimed(url: str, *sites: str) -> PostgresStateStore:
    """A store whose run holds `sites`, as a crawl of them does."""
    store = PostgresStateStore(url)
    try:
        begin(store, *sites)
    except StateBusyError:
        store.close()
        raise
    return store


# the refusal names the site, the run holding it (its pid and host) and the database
BUSY = (
    r"{site} is in use by another run \(pid {pid} on [^)]+\)"
    r" in postgresql://postgres@127\.0\.0\.1:\d+/test_\d+$"
)


def test_a_site_is_held_by_one_run_until_it_closes(database: str) -> None:
    holder = claimed(database, SITE)
    second = PostgresStateStore(database)
    try:
        second.begin_run(started_at=NOW)
        with pytest.raises(StateBusyError, match=BUSY.format(site=SITE, pid=os.getpid())):
            second.claim([SITE])
        with pytest.raises(StateBusyError, match=r"is in use by another run"):
            postgres.check_state_url(database, [SITE])
        holder.close()
        second.claim([SITE])  # released with the holder's store
    finally:
        holder.close()
        second.close()


def test_runs_of_other_sites_go_on_side_by_side(database: str) -> None:
    galamedia = claimed(database, SITE, "127.0.0.1:8001")
    try:
        other = claimed(database, "127.0.0.1:8002")  # another local copy: another site
        other.close()
        with pytest.raises(StateBusyError, match=r"^127\.0\.0\.1:8001 is in use"):
            claimed(database, "127.0.0.1:8002", "127.0.0.1:8001")
        # refused as a whole: the site it could take was given back
        claimed(database, "127.0.0.1:8002").close()
    finally:
        galamedia.close()


def test_a_site_is_released_when_its_holders_connection_is_killed(database: str) -> None:
    holder = claimed(database, SITE)
    with psycopg.connect(database, autocommit=True) as admin:
        row = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid::text::bigint = %s",
            ((lock_key(SITE) & 0xFFFFFFFFFFFFFFFF) >> 32,),
        ).fetchone()
        assert row is not None
        admin.execute("SELECT pg_terminate_backend(%s)", row)
    try:
        wait_until(lambda: try_claim(database), timeout=10, what=f"{SITE} free again")
    finally:
        holder.close()  # its connection is gone already


def try_claim(url: str) -> bool:
    try:
        claimed(url, SITE).close()
    except StateBusyError:
        return False
    return True


HOLD = """
import sys
from datetime import UTC, datetime
from galamedia.incremental.postgres import PostgresStateStore
store = PostgresStateStore(sys.argv[1])
store.begin_run(started_at=datetime.now(UTC))
store.claim([sys.argv[2]])
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_site_is_released_when_its_holder_is_killed(database: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, database, SITE],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as holder:  # fmt: skip
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "holding\n"
            assert not try_claim(database)
            holder.send_signal(signal.SIGKILL)  # no close, no goodbye: the socket just drops
            holder.wait(timeout=10)
            wait_until(lambda: try_claim(database), timeout=10, what=f"{SITE} free again")
        finally:
            holder.kill()


# PostgreSQL only: run history per site ----------------------------------------------------


def finished(url: str, *sites: str, at: datetime, exit_status: int = 0) -> None:
    store = PostgresStateStore(url)
    try:
        run = begin(store, *sites, at=at)
        store.finish_run(
            run, report={**REPORT, "counts": {"sites": list(sites)}}, exit_status=exit_status
        )
    finally:
        store.close()


def history(url: str, *sites: str) -> tuple[datetime | None, list[dict[str, Any]]]:
    store = claimed(url, *sites)
    try:
        return store.last_successful_start(), store.recent_runs(10)
    finally:
        store.close()


def test_each_site_has_its_own_run_history(database: str) -> None:
    a, b = "127.0.0.1:8001", "127.0.0.1:8002"
    finished(database, a, at=NOW)
    finished(database, b, at=NOW + timedelta(hours=1))
    finished(database, b, at=NOW + timedelta(hours=2), exit_status=1)
    start, runs = history(database, a)
    assert start == NOW
    assert [run["counts"]["sites"] for run in runs] == [[a]]
    start, runs = history(database, b)
    assert start == NOW + timedelta(hours=1)  # its failed run does not count
    assert [run["counts"]["sites"] for run in runs] == [[b]]
    # a run of both starts where the one further behind left off, and sees both histories,
    # a run of both once
    finished(database, a, b, at=NOW + timedelta(hours=3))
    start, runs = history(database, a, b)
    assert start == NOW + timedelta(hours=3)
    assert [run["counts"]["sites"] for run in runs] == [[a, b], [b], [a]]
    # a site never crawled successfully: its first run, the default window
    assert history(database, a, "127.0.0.1:8003")[0] is None


def test_a_run_drops_only_its_own_sites_undelivered_exports(database: str) -> None:
    first = PostgresStateStore(database)
    try:
        run = begin(first)
        assert first.fetched(run_id=run, fields=ARTICLE, at=NOW) == 1
        # meanwhile another machine starts a run of another site
        claimed(database, "prfmnews.pikiran-rakyat.com").close()
        assert first.confirm_exports(run, at=NOW) == 1  # still pending, still confirmed
    finally:
        first.close()


# Preflight ---------------------------------------------------------------------------------


def preflight(**settings: str) -> str:
    with pytest.raises(PreflightError) as refused:
        check_state(Settings(settings), [SITE])
    return str(refused.value)


def test_a_url_that_is_not_postgresql_is_refused() -> None:
    assert preflight(STATE_URL="mysql://crawler@db/galamedia") == (
        "STATE_URL: 'mysql://crawler@db/galamedia' is not a postgresql:// URL"
        " (e.g. postgresql://crawler@db.example/galamedia)"
    )


def test_an_unreachable_server_is_refused_without_its_password() -> None:
    port = free_port()  # nobody listens there
    url = f"postgresql://crawler:secret@127.0.0.1:{port}/galamedia"
    message = preflight(STATE_URL=url)
    assert message.startswith(
        f"STATE_URL: cannot connect to postgresql://crawler@127.0.0.1:{port}/galamedia: "
    )
    assert "Connection refused" in message
    assert "secret" not in message
    assert "\n" not in message


def test_without_psycopg_the_line_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    assert preflight(STATE_URL="postgresql://crawler@db/galamedia") == (
        "STATE_URL: the PostgreSQL state needs psycopg: pip install 'galamedia-crawler[dist]'"
    )


def test_both_state_settings_are_refused(tmp_path: Path) -> None:
    message = preflight(STATE_PATH=str(tmp_path / "state.sqlite"), STATE_URL="postgresql://db/x")
    assert message == (
        "give STATE_PATH (a SQLite file) or STATE_URL (a PostgreSQL database), not both"
    )


# `scrapy crawl` with STATE_URL ------------------------------------------------------------

# Within REFRESH_HOURS of the window's end: every run fetches them again, as a scheduled run
# does with recent articles.
EDITED = synthetic(1, WINDOW_END - timedelta(hours=2))
KEPT = synthetic(2, WINDOW_END - timedelta(hours=5))


def crawl(site: TestSite, out: Path, url: str) -> subprocess.CompletedProcess[str]:
    command = [
        SCRAPY, "crawl", "articles", "-a", f"base_url={site.origin}",
        "-a", f"since={SINCE}", "-a", f"until={UNTIL}", "-O", str(out),
        "-s", f"STATE_URL={url}", *setting_options(),
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def revisions(out: Path) -> dict[str, int]:
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {line["article_id"]: line["revision"] for line in lines}


def test_scheduled_runs_with_the_state_in_postgresql(
    site: TestSite, database: str, tmp_path: Path
) -> None:
    for article in (EDITED, KEPT):
        site.add_article(article)
    site.publish_index()
    key = site.origin.removeprefix("http://")  # the local copy's site: host and port

    first = crawl(site, tmp_path / "first.jsonl", database)
    assert first.returncode == 0, first.stderr
    assert revisions(tmp_path / "first.jsonl") == {EDITED.article_id: 1, KEPT.article_id: 1}

    second = crawl(site, tmp_path / "second.jsonl", database)
    assert second.returncode == 0, second.stderr
    assert revisions(tmp_path / "second.jsonl") == {}  # nothing new, nothing changed

    edited = dataclasses.replace(EDITED, paragraphs=(*EDITED.paragraphs, "Pembaruan: ralat."))
    site.routes[EDITED.path] = Route(body=render_article(edited))
    third = crawl(site, tmp_path / "third.jsonl", database)
    assert third.returncode == 0, third.stderr
    assert revisions(tmp_path / "third.jsonl") == {EDITED.article_id: 2}

    with psycopg.connect(database) as db:
        articles = db.execute("SELECT site, article_id, revision FROM articles").fetchall()
        runs = db.execute("SELECT site, exit_status FROM runs ORDER BY id").fetchall()
    assert sorted(articles) == [(key, EDITED.article_id, 2), (key, KEPT.article_id, 1)]
    assert runs == [(key, 0)] * 3


def test_a_second_crawl_of_a_site_in_use_is_one_line_before_any_request(
    site: TestSite, database: str, tmp_path: Path
) -> None:
    site.add_article(KEPT)
    site.publish_index()
    key = site.origin.removeprefix("http://")
    running = claimed(database, key)  # a crawl of the site, on this machine or another
    try:
        refused = crawl(site, tmp_path / "out.jsonl", database)
    finally:
        running.close()
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    pattern = BUSY.format(site=key.replace(".", r"\."), pid=os.getpid())
    assert refused.stderr.startswith(f"error: {key} is in use by another run")
    assert re.match(f"error: {pattern}", refused.stderr.strip()), refused.stderr
    assert site.requests == []  # not even robots.txt
    assert not (tmp_path / "out.jsonl").exists()


@pytest_twisted.inlineCallbacks
def test_a_crawl_whose_site_is_taken_after_the_check_closes_before_any_request(
    site: TestSite, database: str
) -> None:
    site.add_article(KEPT)
    site.publish_index()
    # `scrapy crawl` found the site free; another run took it before this one started
    running = claimed(database, site.origin.removeprefix("http://"))
    try:
        result = yield crawl_in_process(
            {"STATE_URL": database}, base_url=site.origin, since=SINCE, until=UNTIL
        )
    finally:
        running.close()
    assert result.stat("finish_reason") == "state_busy"
    assert result.stat("run/verdict") == "failed"
    assert site.requests == []
