"""Fewer garbage-collector passes in the crawl process and its extraction workers.

Python collects its youngest generation every 700 new container objects; a crawl makes that many
per page or two (requests, responses, items, Deferreds), and every tenth pass walks older objects
too. On the 3,000-article benchmark the collector took 1.8 s of the crawl process's 40 s, all
under the one interpreter lock the event loop and the archive writer share; at a first threshold
of 10,000 it took 0.24 s (bench/throughput.py, docs/benchmarks.md). The extraction workers are
forked afterwards and inherit the thresholds.
"""

from __future__ import annotations

import gc
import logging
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.settings_check import parse_list

logger = logging.getLogger(__name__)


class GarbageCollectorTuning:
    """Set CRAWLER_GC_THRESHOLD (gc.set_threshold's three numbers) when the crawler starts."""

    def __init__(self, thresholds: tuple[int, ...]) -> None:
        self.thresholds = thresholds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        thresholds = tuple(int(value) for value in parse_list(crawler.settings.get("CRAWLER_GC_THRESHOLD")))
        if not thresholds:
            raise NotConfigured("CRAWLER_GC_THRESHOLD is empty: Python's own thresholds")
        if len(thresholds) != 3 or thresholds[0] <= 0:
            raise ValueError(f"CRAWLER_GC_THRESHOLD needs three numbers, the first > 0, not {thresholds}")
        gc.set_threshold(*thresholds)
        logger.debug("garbage collector thresholds %s", thresholds)
        return cls(thresholds)
