"""The distributed crawler's environment: broker, state database, feeds, visibility timeout."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from galamedia.incremental import postgres

DEFAULT_BROKER_URL = "redis://localhost:6379/0"
DEFAULT_VISIBILITY_TIMEOUT = 900.0
"""Seconds before the broker hands a dead worker's chunk to another: a dead machine costs
about this long. A chunk that runs longer is still crawled once (the chunk lock)."""

FEED_PARAMETERS = ("site", "since", "until", "time")
_PARAMETER = re.compile(r"%\((\w+)\)s")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class ConfigError(ValueError):
    """A bad `GALAMEDIA_*` variable: `str()` is one line naming it and what to do."""


@dataclass(frozen=True, slots=True)
class Environment:
    """What every part (submitter, worker, `status`) reads from `GALAMEDIA_*`."""

    broker_url: str
    state_url: str
    visibility_timeout: float
    feed_uri: str | None

    @property
    def retry_after(self) -> float:
        """Seconds before a chunk that must wait (its site or itself busy elsewhere) is tried
        again: well under the visibility timeout, since a waiting message held longer than
        that would be handed out again."""
        return max(1.0, min(60.0, self.visibility_timeout / 3))


def environment(variables: Mapping[str, str] | None = None) -> Environment:
    """Read and check `GALAMEDIA_*`; raise `ConfigError` naming the first bad one. The feed
    template is checked only when given (a worker or `status` needs none)."""
    env = os.environ if variables is None else variables
    broker = env.get("GALAMEDIA_BROKER_URL", "").strip() or DEFAULT_BROKER_URL
    if urlsplit(broker).scheme not in ("redis", "rediss"):
        raise ConfigError(f"GALAMEDIA_BROKER_URL={broker!r} is not a redis:// URL")
    state = env.get("GALAMEDIA_STATE_URL", "").strip()
    if not state:
        raise ConfigError(
            "GALAMEDIA_STATE_URL is not set: give the PostgreSQL database of the state and the"
            " chunks, e.g. postgresql://galamedia@db-host/galamedia"
        )
    if urlsplit(state).scheme not in postgres.SCHEMES:
        raise ConfigError(
            f"GALAMEDIA_STATE_URL={postgres.display_url(state)!r} is not a postgresql:// URL"
        )
    raw_timeout = env.get("GALAMEDIA_VISIBILITY_TIMEOUT", "").strip()
    try:
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_VISIBILITY_TIMEOUT
    except ValueError:
        raise ConfigError(
            f"GALAMEDIA_VISIBILITY_TIMEOUT={raw_timeout!r} is not a number of seconds"
        ) from None
    if not timeout >= 3:
        raise ConfigError(f"GALAMEDIA_VISIBILITY_TIMEOUT={raw_timeout} must be at least 3 s")
    feed = env.get("GALAMEDIA_FEED_URI", "").strip() or None
    if feed is not None:
        check_feed_uri(feed)
    return Environment(broker, state, timeout, feed)


def check_feed_uri(template: str) -> None:
    """A feed template every chunk can share: `%(site)s` and `%(time)s` make each chunk's feed
    its own file (a rerun of a window must not replace what the first run exported), and a
    local path must be absolute, since workers run on other machines in other folders."""
    name = "GALAMEDIA_FEED_URI"
    missing = [key for key in ("site", "time") if f"%({key})s" not in template]
    if missing:
        raise ConfigError(
            f"{name}={template!r} lacks {' and '.join(f'%({key})s' for key in missing)}: each"
            " chunk needs its own feed, e.g. /srv/feeds/%(site)s/%(since)s_%(time)s.jsonl"
        )
    if not _SCHEME.match(template) and not template.startswith("/"):
        raise ConfigError(
            f"{name}={template!r} is a relative path: workers run elsewhere, give an absolute"
            " path or a URI (file:///…, s3://…)"
        )


def feed_uri(template: str, values: Mapping[str, str]) -> str:
    """The template with `site`, `since`, `until` and `time` filled (their `:` as `-`, as
    Scrapy writes `%(time)s`); other parameters are left to Scrapy (`%(name)s`)."""

    def fill(match: re.Match[str]) -> str:
        key = match[1]
        return values[key].replace(":", "-") if key in FEED_PARAMETERS else match[0]

    return _PARAMETER.sub(fill, template)
