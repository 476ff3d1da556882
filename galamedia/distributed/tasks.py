"""The tasks: one chunk's crawl, and the hourly submission celery beat sends."""

from __future__ import annotations

import logging
import socket
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from celery import Task

from galamedia.distributed import crawl
from galamedia.distributed.celery import app
from galamedia.distributed.config import environment
from galamedia.distributed.ledger import ChunkRow, Ledger, LedgerError
from galamedia.distributed.plans import hourly_chunks

logger = logging.getLogger(__name__)


# The database unreachable for a while (a restart, a network cut), or this machine unable to
# start the crawl (a full disk): the chunk is asked again, a little later each time, never
# dropped.
@app.task(
    bind=True,
    name="galamedia.crawl_chunk",
    max_retries=None,
    autoretry_for=(psycopg.OperationalError, LedgerError, OSError),
    retry_backoff=2,
    retry_backoff_max=60,
)
def crawl_chunk(self: Task[Any, Any], chunk_id: int) -> str:
    """Crawl one chunk, once, whoever delivers it and however often.

    The chunk's lock (held by this process's database connection) admits one runner: a copy
    delivered while the first still runs comes back later, and takes over if the first died
    (its connection, so its lock, went with it). A finished chunk is not crawled again; its
    site's next chunk is then released, once.
    """
    env = environment()
    with Ledger.open(env.state_url) as ledger:
        if not ledger.hold(chunk_id):
            logger.info("chunk %d: running elsewhere; asking again later", chunk_id)
            raise self.retry(countdown=env.retry_after)
        chunk = ledger.chunk(chunk_id)
        if not chunk.is_finished:
            worker = self.request.hostname or socket.gethostname()
            chunk = ledger.start(chunk_id, worker)
            logger.info("chunk %d: %s %s..%s", chunk_id, chunk.site, chunk.since, chunk.until)
            with tempfile.TemporaryDirectory(prefix=f"galamedia-chunk-{chunk_id}-") as folder:
                outcome = crawl.run(
                    _job(chunk),
                    state_url=env.state_url,
                    workdir=Path(folder),
                    started=datetime.now(UTC),
                )
            if outcome.site_busy:
                ledger.wait_again(chunk_id, f"waiting: {outcome.error}")
                raise self.retry(countdown=env.retry_after)
            ledger.finish(
                chunk_id,
                ok=outcome.ok,
                feed=outcome.feed,
                articles=outcome.articles,
                error=outcome.error,
                report=outcome.report,
            )
            chunk = ledger.chunk(chunk_id)
            logger.info("chunk %d: %s (%s)", chunk_id, chunk.state, outcome.error or outcome.feed)
        ledger.release_next(chunk, send)
        return chunk.state


@app.task(name="galamedia.submit_hourly")
def submit_hourly(
    sites: Sequence[Sequence[str]], feed_template: str, settings: dict[str, str]
) -> int:
    """What celery beat sends every hour (`python -m galamedia.distributed hourly`)."""
    return book_hourly([(site, origin) for site, origin in sites], feed_template, settings)


def book_hourly(
    sites: Sequence[tuple[str, str]], feed_template: str, settings: Mapping[str, str]
) -> int:
    """Book and queue one chunk per site (`site`, `origin`), from where its last hourly run
    started (less the overlap) to now; a site whose previous hourly run is still going is
    skipped, not doubled. The batch's id."""
    env = environment()
    with Ledger.open(env.state_url) as ledger:
        chunks = hourly_chunks(sites, ledger, now=datetime.now(UTC), settings=settings)
        batch, skipped = ledger.submit_hourly(
            {"command": "hourly", "sites": [origin for _, origin in sites]},
            chunks,
            feed_template=feed_template,
            settings=settings,
            send=send,
        )
    for site in skipped:
        logger.warning("hourly run %d: %s skipped, its previous run is still going", batch, site)
    return batch


def send(chunk_id: int) -> None:
    crawl_chunk.apply_async((chunk_id,))


def _job(chunk: ChunkRow) -> crawl.Job:
    return crawl.Job(
        origin=chunk.origin,
        site=chunk.site,
        since=chunk.since,
        until=chunk.until,
        feed_template=chunk.feed_template,
        settings=chunk.settings,
    )
