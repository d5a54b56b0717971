"""The crawl process's garbage collector: start-up frozen out, a full pass whenever memory grew.

Python collects its youngest generation every 700 new container objects, and every tenth and
hundredth pass walks older objects too, up to the whole heap: at start-up that heap is Scrapy,
trafilatura, lxml and the language profiles, and walking it again and again took 1.8 s of the
crawl process's 40 s on the 3,000-article benchmark. Those objects live to the end, so they are
frozen out of the collector (`gc.freeze`) when the spider opens; the passes then walk only what
the crawl made. The extraction workers are forked afterwards and inherit the frozen objects.

The thresholds count objects, not bytes. A response caught in a reference cycle is a handful of
objects holding megabytes (its body, its lxml tree); raised to 10,000 (the old way to a cheap
collector), such cycles reached the oldest generation and stayed there for millions of
allocations: listings of 10,000 links each drove a crawl to 1.2 GB in 500 pages (issue 13). So
the process also watches its resident memory and runs a full collection each time it has grown
CRAWLER_GC_MEMORY_STEP MB since the last one: garbage is then bounded by memory whatever holds it.
"""

from __future__ import annotations

import gc
import logging
import os
import resource
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from twisted.internet.task import LoopingCall

from crawler.memory import heap_trimmer
from crawler.setting_values import parse_list

logger = logging.getLogger(__name__)

MEMORY_CHECK_S = 0.25  # between reads of the resident size: garbage grows by at most this long's worth past the step
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_TRIM_HEAP = heap_trimmer()  # glibc's malloc_trim; None elsewhere


class GarbageCollectorTuning:
    """Set CRAWLER_GC_THRESHOLD at start; a full collection per CRAWLER_GC_MEMORY_STEP MB of growth."""

    def __init__(self, thresholds: tuple[int, ...], memory_step_mb: int, stats: StatsCollector | None = None) -> None:
        self.thresholds = thresholds
        self.memory_step = memory_step_mb * 1024 * 1024
        self.stats = stats
        self.baseline = 0  # resident bytes after the last full collection
        self.watch = LoopingCall(self.collect_if_grown)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        thresholds = tuple(int(value) for value in parse_list(crawler.settings.get("CRAWLER_GC_THRESHOLD")))
        if thresholds and (len(thresholds) != 3 or thresholds[0] <= 0):
            raise ValueError(f"CRAWLER_GC_THRESHOLD needs three numbers, the first > 0, not {thresholds}")
        step = crawler.settings.getint("CRAWLER_GC_MEMORY_STEP")
        if not thresholds and not step:
            raise NotConfigured("CRAWLER_GC_THRESHOLD is empty and CRAWLER_GC_MEMORY_STEP 0: Python's own collector")
        if thresholds:
            gc.set_threshold(*thresholds)
            logger.debug("garbage collector thresholds %s", thresholds)
        extension = cls(thresholds, step, crawler.stats)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        freeze_start_up()
        if self.memory_step:
            self.baseline = resident_bytes()
            self.watch.start(MEMORY_CHECK_S, now=False)

    def spider_closed(self) -> None:
        if self.watch.running:
            self.watch.stop()

    def collect_if_grown(self) -> None:
        if resident_bytes() - self.baseline < self.memory_step:
            return
        gc.collect()
        # glibc keeps freed memory mapped: without the trim the floor would rise by each step's garbage
        release_free_memory()
        self.baseline = resident_bytes()
        if self.stats is not None:
            self.stats.inc_value("crawler/gc/memory_collections")


def freeze_start_up() -> None:
    """Collect, then move every live object out of the collector's reach: start-up objects live to
    the end, so no full collection need walk them, nor, in a process forked now, copy their pages."""
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    """Hand the C allocator's free pages back to the system (glibc's malloc_trim; elsewhere nothing)."""
    if _TRIM_HEAP is not None:
        _TRIM_HEAP()


def resident_bytes() -> int:
    """The process's resident set size now (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
