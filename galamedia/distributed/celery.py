"""The Celery app (`celery -A galamedia.distributed worker`): broker, and delivery settings
that lose no chunk when a worker dies."""

from __future__ import annotations

import sys
from typing import Any

from celery import Celery, signals

from galamedia.distributed.config import (
    DEFAULT_BROKER_URL,
    DEFAULT_VISIBILITY_TIMEOUT,
    ConfigError,
    Environment,
    environment,
)

QUEUE = "galamedia"


def delivery_settings(env: Environment | None) -> dict[str, Any]:
    """Celery's settings for chunks that take minutes to hours and must survive a dead worker.

    * `task_acks_late`: a chunk's message is acknowledged when its crawl has ended, not when
      a worker takes it, so a worker that dies leaves it unacknowledged;
    * `task_reject_on_worker_lost`: a pool process killed under a chunk (OOM, SIGKILL) puts
      it back in the queue at once;
    * `worker_prefetch_multiplier` 1: a worker holds no more chunks than it has processes,
      so none waits behind a long crawl while another worker is idle;
    * `visibility_timeout`: a whole worker that dies (its machine) cannot give its chunks
      back; Redis hands them out again once they are this old. The sweep that does it runs
      every `unacked_restore_interval` seconds (Kombu's default, 10 × a throttle of 10,
      adds up to 100 s on top of the timeout).
    """
    timeout = env.visibility_timeout if env else DEFAULT_VISIBILITY_TIMEOUT
    return {
        "broker_url": env.broker_url if env else DEFAULT_BROKER_URL,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": timeout,
            "unacked_restore_interval": max(1, min(10, round(timeout / 30))),
            "unacked_restore_throttle": 1,
        },
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
    }


def _environment_or_none() -> Environment | None:
    try:
        return environment()
    except ConfigError:
        return None  # said in one line when a worker starts (`check_worker_environment`)


app = Celery("galamedia", include=["galamedia.distributed.tasks"])
app.conf.update(delivery_settings(_environment_or_none()))


@signals.worker_init.connect
def check_worker_environment(**_: Any) -> None:
    """A worker that could not book its chunks refuses to start, in one line."""
    try:
        environment()
    except ConfigError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(2) from None
