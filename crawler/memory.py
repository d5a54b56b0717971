"""Hand the crawl process's free heap back to the system while it crawls.

Memory Python frees (requests of a drained frontier, items written, listing pages parsed) stays in
glibc's heap, free for reuse but still counted in the process's memory: on a 10,000-article first
crawl about 30 MB of the crawl process, a tenth of the process tree's PSS. malloc_trim returns
every whole free page of it to the kernel (bench/scaling.py, docs/benchmarks.md). It runs in a
thread, the event loop goes on meanwhile: a call takes a few to ~50 ms on a heap of ~100 MB.
Each extraction worker trims its own heap the same way (5-10 MB a worker: lxml's trees of large
pages leave theirs behind), from a thread the pool starts in it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from twisted.internet import task, threads
from twisted.internet.defer import Deferred


def heap_trimmer() -> Callable[[], bool] | None:
    """glibc's malloc_trim(0) (True when it released memory), or None for a C library without it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        malloc_trim = libc.malloc_trim  # glibc only (musl, macOS have none)
    except (OSError, AttributeError):
        return None
    malloc_trim.argtypes, malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: bool(malloc_trim(0))


def trim_every(interval: float) -> None:
    """In this process, from a daemon thread: trim the heap every `interval` seconds (an extraction worker)."""
    trim = heap_trimmer()
    if interval <= 0 or trim is None:
        return

    def trim_forever() -> None:
        while True:
            time.sleep(interval)
            trim()

    threading.Thread(target=trim_forever, daemon=True, name="heap-trim").start()


class MemoryTrim:
    """Every CRAWLER_MEMORY_TRIM_INTERVAL seconds of a crawl, return glibc's free heap pages."""

    def __init__(self, interval: float, trim: Callable[[], bool], stats: StatsCollector) -> None:
        self.interval = interval
        self.trim = trim
        self.stats = stats
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("CRAWLER_MEMORY_TRIM_INTERVAL")
        if interval <= 0:
            raise NotConfigured("CRAWLER_MEMORY_TRIM_INTERVAL is 0")
        trim = heap_trimmer()
        if trim is None:
            raise NotConfigured("this C library has no malloc_trim")
        extension = cls(interval, trim, crawler.stats)
        crawler.signals.connect(extension.start, signal=signals.spider_opened)
        crawler.signals.connect(extension.stop, signal=signals.spider_closed)
        return extension

    def start(self) -> None:
        self.loop = task.LoopingCall(self.trim_in_thread)
        self.loop.start(self.interval, now=False)

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def trim_in_thread(self) -> Deferred:
        # the loop waits for the Deferred before it schedules the next round
        return threads.deferToThread(self.trim).addCallback(self._count)

    def _count(self, released: bool) -> None:
        self.stats.inc_value("crawler/memory/trim")
        if released:
            self.stats.inc_value("crawler/memory/trim_released")
