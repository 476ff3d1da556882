"""`scrapy crawl`, checking the spider's arguments before anything starts."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from galamedia.arguments import ArgumentError

EXIT_BAD_ARGUMENTS = 2


class Command(ScrapyCrawlCommand):
    """Scrapy's `crawl`; a bad spider argument ends it with one line and exit code 2.

    Checking here, before Scrapy builds its crawler process, means no log preamble, no
    traceback and no request: only `error: since: 2023-13-01 is not a real date`.
    """

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
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
        except ArgumentError as error:
            sys.stderr.write(f"error: {error}\n")
            raise SystemExit(EXIT_BAD_ARGUMENTS) from None
