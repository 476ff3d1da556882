"""Peak memory of a crawl that meets decompression bombs: it must stay flat however many come.

    python -m benchmarks.bombs 10 40

Each bomb is 40 MiB of zeros gzipped (~40 KiB), stopped at `DOWNLOAD_MAXSIZE` (10 MiB). Each
count runs in a process of its own and prints how much its peak RSS grew during the crawl.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import zlib
from collections.abc import Generator
from typing import Any

from twisted.internet import defer


def bomb() -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip, built in 1 MiB steps
    return b"".join(squeeze.compress(b"\0" * (1 << 20)) for _ in range(40)) + squeeze.flush()


def measure(count: int) -> None:
    """In this process: crawl `count` bombs, print the peak RSS growth and the outcomes."""
    from twisted.internet import asyncioreactor  # noqa: PLC0415

    asyncioreactor.install()
    from twisted.internet import reactor  # noqa: PLC0415

    from tests.helpers import crawl  # noqa: PLC0415
    from tests.testsite import Route, TestSite  # noqa: PLC0415

    body = bomb()
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}

    @defer.inlineCallbacks
    def run() -> Generator[defer.Deferred[Any], Any, None]:
        with TestSite() as site:
            urls = []
            for number in range(count):
                path = f"/nasional/pr-{900100000 + number}/bom"
                site.routes[path] = Route(body=body, headers=headers)
                urls.append(site.origin + path)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            result = yield crawl(
                {"RETRY_ENABLED": False, "CONCURRENT_REQUESTS": 2, "LOG_LEVEL": "ERROR"},
                url=",".join(urls),
            )
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            stopped = result.stat("articles/not_written/too_large")
            sys.stdout.write(f"{count} bombs: peak RSS +{grown:.1f} MiB, {stopped} too_large\n")
        reactor.stop()

    reactor.callWhenRunning(run)
    reactor.run()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        measure(int(sys.argv[2]))
    else:
        for count in map(int, sys.argv[1:] or ["10", "40"]):
            subprocess.run(
                [sys.executable, "-m", "benchmarks.bombs", "--one", str(count)], check=True
            )
