"""`python -m galamedia.distributed`: submit a backfill or the hourly runs, watch, wait."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from galamedia.distributed.config import ConfigError, Environment, environment
from galamedia.distributed.ledger import OPEN, Attempt, ChunkRow, Ledger, LedgerError
from galamedia.distributed.plans import (
    PlanError,
    backfill_chunks,
    parse_settings,
    resolve_sites,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
POLL_SECONDS = 1.0


class _Parser(argparse.ArgumentParser):
    """Bad input is one line and exit code 2, like `scrapy crawl`'s."""

    def error(self, message: str) -> NoReturn:
        _refuse(message)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m galamedia.distributed",
        description="Per-site crawl jobs on Celery workers, booked in PostgreSQL. Reads"
        " GALAMEDIA_BROKER_URL, GALAMEDIA_STATE_URL, GALAMEDIA_FEED_URI and"
        " GALAMEDIA_VISIBILITY_TIMEOUT (see the README's 'Beyond one machine').",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sites_help = "all (the PRMN sites the crawler knows), or names and origins, comma-separated"
    set_help = "a Scrapy setting for every crawl, e.g. DOWNLOAD_DELAY=2 (repeatable)"

    backfill = commands.add_parser("backfill", help="crawl a window of dates, in chunks")
    backfill.add_argument("--sites", required=True, help=sites_help)
    backfill.add_argument("--since", required=True, help="first day, YYYY-MM-DD (WIB)")
    backfill.add_argument("--until", required=True, help="last day, YYYY-MM-DD, inclusive")
    backfill.add_argument("--chunk", required=True, choices=("day", "week", "month"))
    backfill.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help=set_help
    )

    hourly = commands.add_parser(
        "hourly", help="run celery beat: every hour, one crawl per site (--once: now, once)"
    )
    hourly.add_argument("--sites", required=True, help=sites_help)
    hourly.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=set_help)
    hourly.add_argument("--minute", type=int, default=7, help="past each hour (default 7)")
    hourly.add_argument("--once", action="store_true", help="submit one run now and exit")

    status = commands.add_parser("status", help="per site: chunks done, running, failed …")
    status.add_argument("--batch", type=int, action="append", help="only this batch")
    status.add_argument("--json", action="store_true", help="as JSON, with every chunk")

    wait = commands.add_parser("wait", help="block until the submitted chunks are finished")
    wait.add_argument("--batch", type=int, action="append", help="only this batch")
    wait.add_argument("--timeout", type=float, help="give up after this many seconds (exit 1)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        if arguments.command == "backfill":
            return _backfill(arguments)
        if arguments.command == "hourly":
            return _hourly(arguments)
        env = environment()
        with Ledger.open(env.state_url) as ledger:
            if arguments.command == "status":
                return _status(ledger, arguments)
            return _wait(ledger, arguments)
    except (PlanError, ConfigError, LedgerError) as error:
        _refuse(str(error))


def _backfill(arguments: argparse.Namespace) -> int:
    sites = resolve_sites(arguments.sites)
    settings = parse_settings(arguments.set)
    planned = backfill_chunks(
        sites, arguments.since, arguments.until, arguments.chunk, now=datetime.now(UTC)
    )
    env = _submitting_environment()
    command = {
        "command": "backfill",
        "sites": [site.origin for site in sites],
        "since": arguments.since,
        "until": arguments.until,
        "chunk": arguments.chunk,
        "settings": settings,
    }
    from galamedia.distributed import tasks  # noqa: PLC0415  (the app: only once input is good)

    with Ledger.open(env.state_url) as ledger:
        _check_broker()
        assert env.feed_uri is not None
        batch = ledger.submit(
            "backfill", command, planned, feed_template=env.feed_uri, settings=settings,
            send=tasks.send,
        )  # fmt: skip
    per_site = _count(len(planned) // len(sites), f"{arguments.chunk} chunk")
    _say(
        f"batch {batch}: {_count(len(sites), 'site')} × {per_site} submitted"
        f" ({len(planned)} crawls); watch: python -m galamedia.distributed status --batch"
        f" {batch}; wait: python -m galamedia.distributed wait --batch {batch}"
    )
    return EXIT_OK


def _hourly(arguments: argparse.Namespace) -> int:
    sites = resolve_sites(arguments.sites)
    settings = parse_settings(arguments.set)
    if not 0 <= arguments.minute <= 59:
        raise PlanError(f"--minute: {arguments.minute} is not a minute (0-59)")
    env = _submitting_environment()
    from galamedia.distributed import tasks  # noqa: PLC0415  (the app: only once input is good)

    with Ledger.open(env.state_url):
        _check_broker()
    assert env.feed_uri is not None
    pairs = [(site.key, site.origin) for site in sites]
    if arguments.once:
        batch = tasks.book_hourly(pairs, env.feed_uri, settings)
        _say(f"batch {batch}: hourly run of {_count(len(sites), 'site')} submitted")
        return EXIT_OK
    from celery.schedules import crontab  # noqa: PLC0415

    from galamedia.distributed.celery import app  # noqa: PLC0415

    app.conf.beat_schedule = {
        "galamedia-hourly": {
            "task": tasks.submit_hourly.name,
            "schedule": crontab(minute=str(arguments.minute)),
            "args": (pairs, env.feed_uri, settings),
        }
    }
    _say(f"celery beat: {_count(len(sites), 'site')} every hour at minute {arguments.minute}")
    app.Beat(scheduler="celery.beat:Scheduler", loglevel="INFO").run()
    return EXIT_OK


def _submitting_environment() -> Environment:
    env = environment()
    if env.feed_uri is None:
        raise ConfigError(
            "GALAMEDIA_FEED_URI is not set: give where each chunk's items go, e.g."
            " /srv/feeds/%(site)s/%(since)s_%(time)s.jsonl or s3://bucket/%(site)s/%(time)s.jsonl"
        )
    return env


def _check_broker() -> None:
    from galamedia.distributed.celery import app  # noqa: PLC0415

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as error:  # Kombu raises each transport's own errors
        raise ConfigError(f"GALAMEDIA_BROKER_URL {app.conf.broker_url}: {error}") from None


# Watching ------------------------------------------------------------------------------


def site_summaries(
    rows: Sequence[ChunkRow], attempts: Mapping[int, Sequence[Attempt]]
) -> dict[str, dict[str, Any]]:
    """Per site: how many chunks are in each state, articles exported, the chunks redone
    after a worker died (`redone`), the last error, and every chunk with its attempts (an
    attempt that never ended under a chunk that went on is `lost`: its worker died)."""
    sites: dict[str, dict[str, Any]] = {}
    for row in rows:
        site = sites.setdefault(
            row.site,
            {
                "done": 0,
                "running": 0,
                "queued": 0,
                "failed": 0,
                "skipped": 0,
                "articles": 0,
                "redone": 0,
                "last_error": None,
                "chunks": [],
            },
        )
        site["queued" if row.state == "waiting" else row.state] += 1
        site["articles"] += row.articles or 0
        if row.error and row.state in ("failed", "queued"):
            site["last_error"] = row.error
        history = [attempt.to_json() for attempt in attempts.get(row.id, ())]
        for number, attempt in enumerate(history, start=1):
            if attempt["ended_at"] is None and (number < len(history) or row.is_finished):
                attempt["outcome"] = "lost"
        site["redone"] += any(attempt["outcome"] == "lost" for attempt in history)
        site["chunks"].append({**row.to_json(), "attempts": history})
    return sites


def _status(ledger: Ledger, arguments: argparse.Namespace) -> int:
    rows = ledger.chunks(_batches(ledger, arguments.batch))
    sites = site_summaries(rows, ledger.attempts(row.id for row in rows))
    if arguments.json:
        batches = sorted({row.batch_id for row in rows})
        _say(json.dumps({"batches": batches, "sites": sites}, indent=2))
        return EXIT_OK
    columns = ("done", "running", "queued", "failed", "skipped", "articles", "redone")
    width = max((len(site) for site in sites), default=4)
    lines = [f"{'site':<{width}}  " + "  ".join(f"{c:>8}" for c in columns) + "  last error"]
    for name, site in sites.items():
        counts = "  ".join(f"{site[column]:>8}" for column in columns)
        lines.append(f"{name:<{width}}  {counts}  {site['last_error'] or ''}".rstrip())
        for chunk in site["chunks"]:
            history = chunk["attempts"]
            if any(attempt["outcome"] == "lost" for attempt in history):
                tried = ", then ".join(
                    f"{a['worker']} ({a['outcome'] or 'running'})" for a in history
                )
                lines.append(f"  redone: {chunk['since']}..{chunk['until']} on {tried}")
    if not sites:
        lines.append("(nothing submitted)")
    _say("\n".join(lines))
    return EXIT_OK


def _wait(ledger: Ledger, arguments: argparse.Namespace) -> int:
    """Until every chunk of the batches is finished: 0 if none failed."""
    latest = ledger.latest_batch()
    batches = (
        _batches(ledger, arguments.batch)
        or ledger.open_batches()
        or ([latest] if latest is not None else [])
    )
    deadline = None if arguments.timeout is None else time.monotonic() + arguments.timeout
    ticker = threading.Event()  # never set: its wait is the pause between two looks
    while True:
        rows = ledger.chunks(batches)
        still = [row for row in rows if row.state in OPEN]
        if not still:
            break
        if deadline is not None and time.monotonic() >= deadline:
            _say(f"{len(still)} of {len(rows)} chunks still open after {arguments.timeout:g} s")
            return EXIT_FAILED
        ticker.wait(POLL_SECONDS)
    failed = [row for row in rows if row.state == "failed"]
    done = sum(row.state == "done" for row in rows)
    _say(
        f"batch {', '.join(map(str, batches)) or '–'}: {done} of {len(rows)} chunks done,"
        f" {len(failed)} failed"
        + "".join(f"\n  failed: {r.site} {r.since}..{r.until}: {r.error}" for r in failed)
    )
    return EXIT_FAILED if failed else EXIT_OK


def _batches(ledger: Ledger, asked: list[int] | None) -> list[int] | None:
    """The batches asked for, each checked to exist; None (all) when none was."""
    if not asked:
        return None
    found = ledger.batches_exist(asked)
    if missing := sorted(set(asked) - set(found)):
        raise PlanError(f"--batch: no batch {missing[0]}")
    return sorted(found)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _refuse(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    sys.exit(main())
