"""StoragePipeline: each ArticleItem into the versioned archive, from a writer thread of its own."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Self, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector

from crawler.items import ArticleItem, PageItem, now_iso
from crawler.pending_stats import PendingStats
from crawler.site_page_watch import SitePageWatch
from crawler.tally import SourceTally
from crawler.template_learning import Held, TemplateLearning, TemplateSettings, blocks_learned
from storage.articles import ensure_source, record_article, record_fetch
from storage.db import is_disk_full, open_db, write_batch
from storage.lifecycle import conclude_run
from storage.near_duplicates import DedupThresholds
from storage.raw_pages import pack_raw_page
from storage.runs import close_run, record_run_source, start_run

logger = logging.getLogger(__name__)

T = TypeVar("T")
BATCH_ITEMS = 64  # most items the archive writer stores under one commit
LINGER_S = 0.02  # how long a lone queued item waits for more to share its commit
DISK_FULL = "disk_full"  # the spider's close reason when the archive cannot be written


class StoragePipeline:
    """Store each ArticleItem as a version when its text changed; log every fetch's outcome.

    The archive is written by one thread of its own, one item after the other, each item
    all-or-nothing (a savepoint of the batch `_write_queued` commits). SQLite releases the GIL
    while it works (FTS indexing, B-tree pages, WAL writes and checkpoint syncs), so the event
    loop keeps downloading and feeding the extraction workers meanwhile; on the event loop,
    storage took about half of the crawl process's time, and every page waited for it
    (bench/throughput.py, docs/benchmarks.md).
    The connection, and the template learner that reads and writes through it, are used only in
    that thread.
    """

    def __init__(self, db_path: Path, stats: StatsCollector, crawler: Crawler,
                 dedup: DedupThresholds | None = None, run_id: int | None = None, gone_after: int = 3,
                 templates: TemplateSettings | None = None, keep_raw: bool = True, min_chars: int = 200,
                 shrink_ratio: float = 0.0, max_mb: float = 0) -> None:
        self.db_path = db_path
        self.max_mb = max_mb  # CRAWLER_STORAGE_MAX_MB: past it, writes fail as on a full disk
        self.stats = PendingStats(stats)  # storage counters count what was committed
        self.crawler = crawler
        self.disk_full = False
        self.dedup = dedup
        self.job_run_id = run_id  # set: a crawl job owns the run; this process adds its sources to it
        self.gone_after = gone_after
        self.template_settings = templates  # None: no template learning (CRAWLER_TEMPLATE_ENABLED off)
        self.templates: TemplateLearning | None = None
        self.keep_raw = keep_raw
        self.min_chars = min_chars
        self.shrink_ratio = shrink_ratio  # a text below this share of the current one's words waits a run
        self.linger = LINGER_S
        self.writer: ThreadPoolExecutor | None = None
        self.queued: deque[tuple[PageItem | ArticleItem, asyncio.Future]] = deque()  # for the writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("CRAWLER_STORAGE_ENABLED is off")
        run_id = crawler.settings.get("CRAWLER_RUN_ID")
        s = crawler.settings
        pipeline = cls(Path(s["CRAWLER_STORAGE_PATH"]), crawler.stats, crawler,
                       dedup_thresholds(s), int(run_id) if run_id else None, s.getint("CRAWLER_GONE_AFTER_RUNS"),
                       _template_settings(s), s.getbool("CRAWLER_RAW_PAGES_ENABLED"),
                       s.getint("CRAWLER_EXTRACT_MIN_CHARS"), s.getfloat("CRAWLER_SHRINK_QUARANTINE_RATIO"),
                       s.getfloat("CRAWLER_STORAGE_MAX_MB"))
        # the run is closed on spider_closed: only that signal carries the finish reason
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")
        self._in_writer(self._open)
        self.tally = SourceTally.connect(self.crawler, [s.name for s in getattr(self.crawler.spider, "sources", [])])

    def _open(self) -> None:
        spider = self.crawler.spider
        assert spider is not None  # spider_opened: the crawl's spider exists
        self.db = open_db(self.db_path, self.max_mb)
        # each item's savepoint journals the original of every page it dirties (~100 an article);
        # in a temp file that was ~190 write() calls an article, a tenth of the writer's CPU
        # (bench/writer_cost.py). In memory it holds one item's pages: RELEASE empties it.
        self.db.execute("PRAGMA temp_store=MEMORY")
        for source in getattr(spider, "sources", []):
            # the real site's home page, also when a replica serves it (as articles' identities)
            ensure_source(self.db, source.name, source.title, source.url_identity().of(source.home_url))
        self.started_at = now_iso()
        self.run_id = self.job_run_id or start_run(self.db, spider.name, self.started_at)
        if self.template_settings is not None:
            self.templates = TemplateLearning(self.db, self.template_settings, self.run_id)
        self.site_pages = SitePageWatch(self.db, self.run_id, self.stats, self.dedup)

    def spider_closed(self, reason: str) -> None:
        if self.writer is None:
            return
        try:
            # queued behind every write still running: the run is closed after the last item
            self._in_writer(partial(self._close, reason))
        finally:
            self.writer.shutdown()
            self.writer = None

    def _close(self, reason: str) -> None:
        try:
            self._conclude(reason)
        except Exception as error:
            if not is_disk_full(error):
                raise
            logger.error("the archive %s is full: the end of run %s could not be recorded", self.db_path, self.run_id)
        finally:
            self.db.close()

    def _conclude(self, reason: str) -> None:
        """Store what is held back, record each source's crawl, close the run, judge gone/unlinked."""
        if self.disk_full:
            # nothing held back can be stored; without a fetch row its page is fetched next run
            reason = DISK_FULL
        else:
            for held in self.site_pages.drain():  # no further sighting comes: store them as articles
                self._admit(held)
            if self.templates is not None:  # held-back articles were fetched and extracted: store them
                for held in self.templates.drain():
                    self._store(held)
                self.templates.save(now_iso())
            self.stats.commit()
        finished_at = now_iso()
        spider = self.crawler.spider
        assert spider is not None  # spider_closed: the crawl's spider still exists
        for source in self.tally.sources:
            record_run_source(self.db, self.run_id, source=source, spider=spider.name,
                              started_at=self.started_at, finished_at=finished_at, finish_reason=reason,
                              requests=self.tally.requests[source], responses_ok=self.tally.responses_ok[source],
                              exceptions=dict(self.tally.exceptions[source]))
        if self.job_run_id is None:
            outcome = close_run(self.db, self.run_id, finished_at=finished_at, finish_reason=reason,
                                stats=self.stats.get_stats())
            logger.info("run %d: %s", self.run_id, outcome)
        if reason == "finished" and not self.stats.get_value("spider_exceptions/count"):
            # only a complete crawl may judge: a failed or partial one proves nothing about gone or unlinked
            concluded = conclude_run(self.db, self.run_id, getattr(self.crawler.spider, "linked_articles", {}),
                                     gone_after=self.gone_after, at=finished_at)
            logger.info("run %d: %d articles now gone, %d unlinked", self.run_id, *concluded.values())
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # Datasette readers must not grow the WAL forever

    def _in_writer(self, work: Callable[[], T]) -> T:
        """Run `work` in the writer thread and wait for it (opening and closing only: they block the crawl)."""
        assert self.writer is not None
        return self.writer.submit(work).result()

    async def process_item(self, item: PageItem | ArticleItem) -> PageItem | ArticleItem:
        assert self.writer is not None
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self.queued.append((item, stored))
        self.writer.submit(self._write_queued, loop)  # finds the queue empty when a batch took this item
        await stored
        return item

    def _write_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the writer thread: store every item queued so far, up to BATCH_ITEMS, with one commit.

        Each item is still a transaction of its own (a savepoint of the batch), so it is stored
        whole or not at all; a kill loses at most one batch, which the next run fetches again.
        One commit for the items that queued up while the last batch was written took the
        writer, the crawl's narrowest point, from about 3.6 to 2.5 ms an article (docs/benchmarks.md).
        A lone item waits LINGER_S for company first: most commits of a first crawl held one item,
        and a commit costs about the same for one article as for a few (the duplicate index's
        random keys dirty ~60 pages an article); a busy writer finds several queued and never waits.
        """
        if len(self.queued) == 1 and self.linger > 0:
            time.sleep(self.linger)  # sleeping, the writer thread holds neither the GIL nor the archive
        batch: list[tuple[PageItem | ArticleItem, asyncio.Future]] = []
        while self.queued and len(batch) < BATCH_ITEMS:
            batch.append(self.queued.popleft())
        if not batch:
            return
        if self.disk_full:  # the crawl is closing: nothing more can be stored
            full = DropItem("the archive's disk is full", log_level="DEBUG")
            loop.call_soon_threadsafe(_settle_all, [(stored, full) for _, stored in batch])
            return
        failures: dict[int, BaseException] = {}
        try:
            with write_batch(self.db):
                for number, (item, _) in enumerate(batch):
                    try:
                        self._process(item)
                    except Exception as error:  # handed to the item's own coroutine
                        failures[number] = error
                        if is_disk_full(error):
                            raise
            self.stats.commit()
        except Exception as error:  # noqa: BLE001 (the commit failed: no item of the batch is stored)
            self.stats.discard()
            failures = dict.fromkeys(range(len(batch)), error)
        if any(is_disk_full(error) for error in failures.values()):
            self._stop_for_disk_full(loop, next(iter(failures.values())))
            failures = dict.fromkeys(failures, DropItem("the archive's disk is full", log_level="DEBUG"))
        # one wake-up of the event loop for the whole batch: each call_soon_threadsafe writes to its self-pipe
        loop.call_soon_threadsafe(_settle_all, [(stored, failures.get(number))
                                                for number, (_, stored) in enumerate(batch)])

    def _stop_for_disk_full(self, loop: asyncio.AbstractEventLoop, error: BaseException) -> None:
        """Stop fetching: every further page would be lost too. Said once, not once an item."""
        if self.disk_full:
            return
        self.disk_full = True
        logger.error("the archive %s cannot be written (%s): stopping the crawl", self.db_path, error)
        self.crawler.stats.set_value("crawler/storage/disk_full", 1)
        loop.call_soon_threadsafe(
            lambda: asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=DISK_FULL)))

    def _process(self, item: PageItem | ArticleItem) -> None:
        """In the writer thread: compress, screen for site pages, learn templates, record (held-back ones later)."""
        if isinstance(item, ArticleItem):
            raw = pack_raw_page(item.body, item.content_type, item.body_hash) if self.keep_raw and item.body else None
            item.body = b""  # compressed in `raw`: a held-back article keeps only that
            for admitted in self.site_pages.screen(Held(item, raw)):  # a site page is logged, never learned from
                self._admit(admitted)
        else:
            outcome = record_fetch(self.db, run_id=self.run_id, source=item.source, url=item.url,
                                   fetched_at=item.fetched_at, outcome=item.outcome or "error",
                                   http_status=item.http_status, detail=item.detail,
                                   etag=item.etag, last_modified=item.last_modified,
                                   canonical_url=item.identity.of(item.url) if item.identity else None)
            self.stats.inc_value(f"crawler/storage/fetch_{outcome}")

    def _admit(self, held: Held) -> None:
        """Learn templates from an article and hold it back; store the articles that are due."""
        if self.templates is None:
            self._store(held)
            return
        due, learned = self.templates.admit(held.item, held.raw)
        self.stats.inc_value("crawler/templates/blocks_learned", len(learned))
        if learned:
            self.crawler.signals.send_catch_log(blocks_learned, source=held.item.source,
                                                blocks=self.templates.blocks(held.item.source))
        for released in due:
            self._store(released)

    def _store(self, held: Held) -> None:
        """Record an article with its source's template taken out of its text."""
        item, raw = held.item, held.raw
        if self.site_pages.is_site_page(item):  # proven one while the article was held back
            return
        if self.templates is not None:
            article, blocks = self.templates.prepare(item, self.min_chars, held.lines)
        else:
            article, blocks = item.article, frozenset()
        if article is None:
            outcome = record_fetch(self.db, run_id=self.run_id, source=item.source, url=item.article.url,
                                   fetched_at=item.fetched_at, outcome="no_article", http_status=item.http_status,
                                   detail="only template blocks", etag=item.etag, last_modified=item.last_modified,
                                   canonical_url=item.article.canonical_url)
            self.stats.inc_value(f"crawler/storage/fetch_{outcome}")
            self.stats.inc_value("crawler/templates/only_template")
            return
        if article is not item.article:
            self.stats.inc_value("crawler/templates/stripped")
        try:
            recorded = record_article(self.db, article, source=item.source, run_id=self.run_id,
                                      fetched_at=item.fetched_at, http_status=item.http_status,
                                      etag=item.etag, last_modified=item.last_modified, dedup=self.dedup,
                                      body_hash=item.body_hash, raw=raw, template_blocks=blocks,
                                      fingerprint=item.fingerprint if article is item.article else None,
                                      shrink_ratio=self.shrink_ratio,
                                      digest=held.digest if article is item.article else None,
                                      bands=held.bands if article is item.article else None,
                                      extracted=(item.article.text, item.fingerprint)
                                      if article is not item.article and item.fingerprint is not None else None)
        except Exception as error:
            if is_disk_full(error):
                raise
            # its savepoint is rolled back; the articles released with it are still stored, and
            # the head keeps its validators, so the next run fetches this page again
            logger.exception("could not store %s", item.article.url)
            outcome = record_fetch(self.db, run_id=self.run_id, source=item.source, url=item.article.url,
                                   fetched_at=item.fetched_at, outcome="error", http_status=item.http_status,
                                   detail=f"store_failed: {type(error).__name__}")
            self.stats.inc_value(f"crawler/storage/fetch_{outcome}")
            return
        self.stats.inc_value(f"crawler/storage/version_{recorded.outcome}")
        self.site_pages.note_stored(item, recorded)


def _settle_all(outcomes: Sequence[tuple[asyncio.Future, BaseException | None]]) -> None:
    for stored, error in outcomes:
        if stored.cancelled():
            continue
        if error is None:
            stored.set_result(None)
        else:
            stored.set_exception(error)


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
