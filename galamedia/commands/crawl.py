"""`scrapy crawl`, checking the spider's arguments before anything starts."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiderloader import get_spider_loader

from galamedia.accounting.verdict import RunVerdict
from galamedia.commands import preflight
from galamedia.rules.arguments import ArgumentError, ChecksArguments

EXIT_FAILED_RUN = 1
EXIT_BAD_ARGUMENTS = 2


class Command(ScrapyCrawlCommand):
    """Scrapy's `crawl` with honest exit codes: 0 the run succeeded, 1 it failed (see
    `RunVerdict`), 2 a bad argument, setting, feed path, state file or JOBDIR, or a feed or
    state file in use by another run (one line, before any request).

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
        """Check everything the run would trip over before Scrapy builds its crawler process:
        no log preamble, no traceback, no request; only one line such as
        `error: since: 2023-13-01 is not a real date`.
        """
        super().process_options(args, opts)
        if len(args) != 1:
            return  # Scrapy's own usage error follows
        assert self.settings is not None
        loader = get_spider_loader(self.settings)
        try:
            spider_class = loader.load(args[0])
            sites: tuple[str, ...] = ()
            if issubclass(spider_class, ChecksArguments):
                sites = spider_class.check_arguments(opts.spargs).sites
            preflight.check_all(self.settings, sites)
            for line in preflight.advice(self.settings):
                sys.stderr.write(f"warning: {line}\n")
        except KeyError:
            spiders = ", ".join(loader.list()) or "none"
            _refuse(f"no spider named {args[0]!r} (the spiders here: {spiders})")
        except (ArgumentError, preflight.PreflightError) as error:
            _refuse(str(error))


def _refuse(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(EXIT_BAD_ARGUMENTS)


def _succeeded(crawler: Crawler) -> bool:
    """Whether the crawl was judged, and judged a success (a crawl that never closed was not)."""
    owner = RunVerdict.of(crawler)
    return owner.is_judged and owner.verdict.ok
