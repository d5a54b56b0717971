"""`scrapy crawl` that refuses bad spider arguments in one line with exit status 2.

Scrapy builds the spider inside its event loop, so an argument the spider refuses (an unknown
`-a source=`, a sources file that is not TOML) ends as a traceback and exit status 1. A spider
with `check_arguments(settings, arguments)` is asked first.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spidercls = None  # Scrapy's own message follows
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(self.settings, dict(opts.spargs))
                except ValueError as error:
                    print(f"scrapy crawl {args[0]}: error: {error}", file=sys.stderr)  # noqa: T201 (as Scrapy's usage errors)
                    self.exitcode = 2
                    return
        super().run(args, opts)
