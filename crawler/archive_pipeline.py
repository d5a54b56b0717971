"""StoragePipeline: each item handed to the archive writer (crawler/archive_writer.py), in batches.

The writer runs in a process of its own (CRAWLER_STORAGE_PROCESS) or a thread of the crawl
process. In a thread it shared one interpreter lock with the event loop: on a first crawl the crawl
process was the narrowest point, busy 0.85 of the time while the extraction workers waited
(bench/throughput.py, docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector

from crawler.archive_writer import ArchiveFull, ArchiveWriter, WriterConfig, Written
from crawler.gc_tuning import freeze_start_up
from crawler.items import ArticleItem, PageItem
from crawler.lifeline import die_with_crawl
from crawler.memory import trim_every
from crawler.run_recorder import RunEnd
from crawler.tally import SourceTally
from crawler.template_learning import TemplateSettings, blocks_learned
from storage.near_duplicates import DedupThresholds

logger = logging.getLogger(__name__)

BATCH_ITEMS = 64  # most items the archive writer stores under one commit
LINGER_S = 0.02  # how long a lone queued item waits for more to share its commit
DISK_FULL = "disk_full"  # the spider's close reason when the archive cannot be written
WRITER_DIED = "archive_writer_died"  # the close reason when the writer's process is gone


class StoragePipeline:
    """Hand each item to the archive writer; the items queued while it writes go as the next batch.

    One batch is written at a time, under one commit, each item in it all-or-nothing. One commit
    for the items that queued up while the last batch was written took the writer from about 3.6
    to 2.5 ms an article (docs/benchmarks.md). A lone item waits LINGER_S for company first: most
    commits of a first crawl held one item, and a commit costs about the same for one article as
    for a few (the duplicate index's random keys dirty ~60 pages an article).
    """

    def __init__(self, config: WriterConfig, stats: StatsCollector, crawler: Crawler, in_process: bool = True,
                 trim_interval: float = 0.0) -> None:
        self.config = config
        self.trim_interval = trim_interval  # the writer's process returns its free heap this often
        self.stats = stats
        self.crawler = crawler
        self.in_process = in_process
        self.linger = LINGER_S
        self.executor: Executor | None = None
        self.queued: deque[tuple[PageItem | ArticleItem, asyncio.Future]] = deque()
        self.writing = False  # a batch is with the writer, or about to go
        self.stopped: str | None = None  # why nothing more can be stored (disk full, writer gone)
        self.closing: asyncio.Future | None = None  # the spider's close, once storing stopped

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("CRAWLER_STORAGE_ENABLED is off")
        pipeline = cls(writer_config(s), crawler.stats, crawler, s.getbool("CRAWLER_STORAGE_PROCESS"),
                       s.getfloat("CRAWLER_MEMORY_TRIM_INTERVAL"))
        # the run is closed on spider_closed: only that signal carries the finish reason
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        assert spider is not None  # spider_opened: the crawl's spider exists
        sources = getattr(spider, "sources", [])
        # the real site's home page, also when a replica serves it (as articles' identities)
        config = replace(self.config, spider=spider.name, sources=tuple(
            (source.name, source.title, source.url_identity().of(source.home_url)) for source in sources))
        if self.in_process:
            # forked now, before the crawl starts its threads; it inherits the imports, not the load.
            # Frozen first: either process's collector would otherwise walk, and so copy, every
            # page of the objects they share (own site, 1,000 articles: private memory of the
            # writer 60 -> 37 MB, of the crawl process 141 -> 93 MB).
            freeze_start_up()
            self.executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                                initializer=_start_writer_process,
                                                initargs=(os.getpid(), self.trim_interval))
        else:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")
        self.executor.submit(_open_writer, config).result()  # a failure to open stops the crawl here
        self.tally = SourceTally.connect(self.crawler, [source.name for source in sources])

    def spider_closed(self, reason: str) -> None:
        if self.executor is None:
            return
        try:
            # Scrapy closes the spider once every item is through: no batch is still being written
            end = RunEnd(reason, tuple(self.tally.sources), dict(self.tally.requests), dict(self.tally.responses_ok),
                         {name: dict(counts) for name, counts in self.tally.exceptions.items()},
                         self.stats.get_stats(), dict(getattr(self.crawler.spider, "linked_articles", {})))
            self._count(self.executor.submit(_close_writer, end).result())
        except BrokenExecutor as error:
            # its run stays open, owned by a dead process: the next job records it as aborted
            logger.error("the archive writer is gone (%r): run not closed", error)
        finally:
            self.executor.shutdown()
            self.executor = None

    async def process_item(self, item: PageItem | ArticleItem) -> PageItem | ArticleItem:
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self.queued.append((for_writer(item), stored))
        if isinstance(item, ArticleItem):
            item.body = b""  # the writer's copy carries it; this one is done with it
        if not self.writing:
            self.writing = True
            if len(self.queued) == 1 and self.linger > 0:
                loop.call_later(self.linger, self._write_next)
            else:
                self._write_next()
        await stored
        return item

    def _write_next(self) -> None:
        """Hand the writer every item queued so far, up to BATCH_ITEMS, as one batch."""
        batch = [self.queued.popleft() for _ in range(min(len(self.queued), BATCH_ITEMS))]
        if not batch:
            self.writing = False
            return
        if self.stopped is not None:  # the crawl is closing: nothing queued can be stored
            batch += self.queued
            self.queued.clear()
            self.writing = False
            lost = DropItem(f"the archive cannot be written ({self.stopped})", log_level="DEBUG")
            _settle(batch, [lost] * len(batch))
            return
        assert self.executor is not None  # open_spider ran
        try:
            future = asyncio.wrap_future(self.executor.submit(_write, [item for item, _ in batch]))
        except BrokenExecutor as error:  # it died between two batches
            self._writer_failed(batch, error)
            self._write_next()
            return
        future.add_done_callback(lambda done: self._written(batch, done))

    def _writer_failed(self, batch: list[tuple[PageItem | ArticleItem, asyncio.Future]], error: BaseException) -> None:
        logger.error("the archive writer failed (%r): stopping the crawl", error)
        self._stop(WRITER_DIED)
        _settle(batch, [error] * len(batch))

    def _written(self, batch: list[tuple[PageItem | ArticleItem, asyncio.Future]], done: asyncio.Future) -> None:
        try:
            written: Written = done.result()
        except Exception as error:  # noqa: BLE001 (the writer's process died: OOM-killed, a crash)
            self._writer_failed(batch, error)
        else:
            self._count(written.stats)
            for source, blocks in written.learned.items():
                self.crawler.signals.send_catch_log(blocks_learned, source=source, blocks=blocks)
            if written.disk_full is not None:
                self.crawler.stats.set_value("crawler/storage/disk_full", 1)
                self._stop(DISK_FULL)
            _settle(batch, [DropItem(str(error), log_level="DEBUG") if isinstance(error, ArchiveFull) else error
                            for error in written.errors])
        self._write_next()

    def _stop(self, reason: str) -> None:
        """Stop fetching: every further page would be lost too. Said once, not once an item."""
        if self.stopped is not None:
            return
        self.stopped = reason
        self.closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    def _count(self, counts: dict[str, int]) -> None:
        for key, count in counts.items():
            self.stats.inc_value(key, count)


def for_writer(item: PageItem | ArticleItem) -> PageItem | ArticleItem:
    """The writer's copy of `item`: a fetch filed under its identity, without the rules that give it
    (they learn as they go and would be pickled with every item)."""
    if isinstance(item, PageItem):
        return replace(item, identity=None, canonical_url=item.identity.of(item.url) if item.identity else None)
    return replace(item)


def _settle(batch: list[tuple[PageItem | ArticleItem, asyncio.Future]], errors: list[BaseException | None]) -> None:
    for (_, stored), error in zip(batch, errors, strict=True):
        if stored.cancelled():
            continue
        if error is None:
            stored.set_result(None)
        else:
            stored.set_exception(error)


# The writer's side: one ArchiveWriter in the writer's process (or thread), called in order.
_writer: ArchiveWriter | None = None


def _start_writer_process(crawl_pid: int, trim_interval: float) -> None:
    # the crawl process decides when to stop (Ctrl-C, a job's SIGTERM reach the whole process
    # group): the writer must live to close the run; it dies with the crawl process, not before
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_crawl(crawl_pid)
    trim_every(trim_interval)


def _open_writer(config: WriterConfig) -> None:
    global _writer
    _writer = ArchiveWriter(config)


def _write(items: list[PageItem | ArticleItem]) -> Written:
    assert _writer is not None  # _open_writer ran first
    return _writer.write(items)


def _close_writer(end: RunEnd) -> dict[str, int]:
    global _writer
    assert _writer is not None  # _open_writer ran first
    try:
        return _writer.close(end)
    finally:
        _writer = None


def writer_config(settings: Settings) -> WriterConfig:
    """The archive writer's configuration as the crawl's settings give it (spider and sources come at open)."""
    run_id = settings.get("CRAWLER_RUN_ID")
    return WriterConfig(Path(settings["CRAWLER_STORAGE_PATH"]), spider="",
                        max_mb=settings.getfloat("CRAWLER_STORAGE_MAX_MB"), dedup=dedup_thresholds(settings),
                        job_run_id=int(run_id) if run_id else None,
                        gone_after=settings.getint("CRAWLER_GONE_AFTER_RUNS"), templates=_template_settings(settings),
                        keep_raw=settings.getbool("CRAWLER_RAW_PAGES_ENABLED"),
                        min_chars=settings.getint("CRAWLER_EXTRACT_MIN_CHARS"),
                        shrink_ratio=settings.getfloat("CRAWLER_SHRINK_QUARANTINE_RATIO"))


def _template_settings(settings: Settings) -> TemplateSettings | None:
    if not settings.getbool("CRAWLER_TEMPLATE_ENABLED"):
        return None
    return TemplateSettings(min_pages=settings.getint("CRAWLER_TEMPLATE_MIN_PAGES"),
                            min_block_pages=settings.getint("CRAWLER_TEMPLATE_MIN_BLOCK_PAGES"),
                            hold=settings.getint("CRAWLER_TEMPLATE_HOLD_PAGES"))


def dedup_thresholds(settings: Settings) -> DedupThresholds | None:
    if not settings.getbool("CRAWLER_DEDUP_ENABLED"):
        return None
    return DedupThresholds(jaccard=settings.getfloat("CRAWLER_DEDUP_JACCARD"),
                           shared_words=settings.getint("CRAWLER_DEDUP_SHARED_WORDS"),
                           boilerplate_articles=settings.getint("CRAWLER_DEDUP_BOILERPLATE_ARTICLES"),
                           shared_share=settings.getfloat("CRAWLER_DEDUP_SHARED_SHARE"),
                           topic_overlap=settings.getfloat("CRAWLER_DEDUP_TOPIC_OVERLAP"))
