"""No log record built for a message that no handler would emit.

Scrapy sets the root logger to NOTSET and `scrapy` to DEBUG, and filters by LOG_LEVEL in its
handler, so each of its DEBUG messages ("Crawled (304) …" for every response, "Scraped from …"
for every item) builds a LogRecord (the time, the caller's frame, the thread and process names)
that the handler then drops: 3 % of a 304 re-crawl's event loop (docs/benchmarks.md). While the
spider runs, the root logger, and any logger set below it, takes the lowest level of any handler,
and gets its own back after: what is written stays the same, the records nobody hears are not made.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler


class LogThreshold:
    """Raise the root logger, and any logger set lower (Scrapy sets `scrapy` to DEBUG), to the
    lowest handler level while the spider runs."""

    def __init__(self) -> None:
        self.previous: dict[logging.Logger, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls()
        # at spider open, not here: Scrapy installs (and resets) its root handler until the crawl starts
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        lowest = lowest_handler_level()
        if lowest is None:
            return
        for logger in _all_loggers():
            if logger.level < lowest and (logger.level != logging.NOTSET or logger is logging.root):
                self.previous[logger] = logger.level
                logger.setLevel(lowest)

    def spider_closed(self) -> None:
        for logger, level in self.previous.items():
            logger.setLevel(level)
        self.previous.clear()


def _all_loggers() -> list[logging.Logger]:
    return [logging.root, *(logger for logger in logging.Logger.manager.loggerDict.values()
                            if isinstance(logger, logging.Logger))]


def lowest_handler_level() -> int | None:
    """The lowest level a handler of any logger takes (NOTSET: all), None when there is no handler.

    NullHandlers, which libraries add so that nothing is written without a handler, write nothing.
    """
    levels = [handler.level for logger in _all_loggers() for handler in logger.handlers
              if not isinstance(handler, logging.NullHandler)]
    return min(levels) if levels else None
