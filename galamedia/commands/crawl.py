"""`scrapy crawl`, checking the spider's arguments before anything starts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiderloader import get_spider_loader

from galamedia.accounting.verdict import RunVerdict
from galamedia.incremental.store import StateBusyError, ensure_free
from galamedia.rules.arguments import ArgumentError, ChecksArguments

EXIT_FAILED_RUN = 1
EXIT_BAD_ARGUMENTS = 2


class Command(ScrapyCrawlCommand):
    """Scrapy's `crawl` with honest exit codes: 0 the run succeeded, 1 it failed (see
    `RunVerdict`), 2 a bad spider argument or a state file in use (one line, before any
    request).

    Stock `scrapy crawl` exits 0 even when the crawl was blocked or lost its articles.
    """

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or not _succeeded(crawler):
            self.exitcode = EXIT_FAILED_RUN

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the spider's arguments before Scrapy builds its crawler process: no log
        preamble, no traceback, no request; only `error: since: 2023-13-01 is not a real date`.
        """
        super().process_options(args, opts)
        if len(args) != 1:
            return  # Scrapy's own usage error follows
        assert self.settings is not None
        spider_class = get_spider_loader(self.settings).load(args[0])
        try:
            if issubclass(spider_class, ChecksArguments):
                spider_class.check_arguments(opts.spargs)
            if state_path := self.settings.get("STATE_PATH"):
                ensure_free(Path(state_path))  # refuse now if another run holds it
        except (ArgumentError, StateBusyError) as error:
            sys.stderr.write(f"error: {error}\n")
            raise SystemExit(EXIT_BAD_ARGUMENTS) from None


def _succeeded(crawler: Crawler) -> bool:
    """Whether the crawl was judged, and judged a success (a crawl that never closed was not)."""
    owner = RunVerdict.of(crawler)
    return owner.is_judged and owner.verdict.ok
