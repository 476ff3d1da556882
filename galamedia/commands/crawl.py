"""`scrapy crawl`, checking the spider's arguments before anything starts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from galamedia.incremental.store import StateBusyError, StateStore
from galamedia.rules.arguments import ArgumentError

EXIT_FAILED_RUN = 1
EXIT_BAD_ARGUMENTS = 2


class Command(ScrapyCrawlCommand):
    """Scrapy's `crawl` with honest exit codes: 0 the run succeeded, 1 it failed (see
    `report.verdict`), 2 a bad spider argument (one line, before any request).

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
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value("run/verdict") != "ok":
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
        check = getattr(spider_class, "check_arguments", None)
        if check is None:
            return
        try:
            check(opts.spargs)
            if state_path := self.settings.get("STATE_PATH"):
                StateStore(Path(state_path)).close()  # refuse now if another run holds it
        except (ArgumentError, StateBusyError) as error:
            sys.stderr.write(f"error: {error}\n")
            raise SystemExit(EXIT_BAD_ARGUMENTS) from None
