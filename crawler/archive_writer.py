"""The archive writer: extracted items in, versions and fetch rows out, one commit a batch.

It knows nothing of Scrapy. A crawl runs it in a process of its own (crawler/archive_pipeline.py),
so that storing, the crawl's largest single cost, no longer shares the event loop's interpreter
lock (docs/benchmarks.md); any other feed of items (a queue shared by crawl workers) calls the
same three steps: `ArchiveWriter(config)`, `write(items)` for each batch, `close(end)` once.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from crawler.items import ArticleItem, PageItem, now_iso
from crawler.pending_stats import PendingStats
from crawler.run_recorder import RunEnd, RunRecorder
from crawler.site_page_watch import SitePageWatch
from crawler.template_learning import Held, TemplateLearning, TemplateSettings
from storage.articles import record_article, record_fetch
from storage.db import is_disk_full, open_db, write_batch
from storage.near_duplicates import DedupThresholds
from storage.raw_pages import pack_raw_page

logger = logging.getLogger(__name__)


class ArchiveFull(Exception):
    """An item was not stored: the archive's disk (or its size cap) is full."""


@dataclass(frozen=True)
class WriterConfig:
    """Everything the writer needs to open the archive and a run (plain data: it crosses processes)."""

    db_path: Path
    spider: str
    sources: tuple[tuple[str, str, str], ...] = ()  # (name, title, identity of its home page)
    max_mb: float = 0  # CRAWLER_STORAGE_MAX_MB: past it, writes fail as on a full disk
    dedup: DedupThresholds | None = None
    job_run_id: int | None = None  # set: a crawl job owns the run; this writer adds its sources to it
    gone_after: int = 3
    templates: TemplateSettings | None = None  # None: no template learning
    keep_raw: bool = True
    min_chars: int = 200
    shrink_ratio: float = 0.0  # a text below this share of the current one's words waits a run


@dataclass(frozen=True)
class Written:
    """What one batch did: per item None (stored, or its fetch logged) or the error it raised."""

    errors: tuple[BaseException | None, ...]
    stats: dict[str, int]  # counters of what the batch committed
    learned: dict[str, frozenset[str]] = field(default_factory=dict)  # source: all its blocks, when new ones came
    disk_full: str | None = None  # the archive filled up during this batch: the crawl must stop


class ArchiveWriter:
    """Store each ArticleItem as a version when its text changed; log every fetch's outcome.

    Each item is all-or-nothing (a savepoint of its batch's transaction); a kill loses at most the
    batch being written, which the next run fetches again.
    """

    def __init__(self, config: WriterConfig) -> None:
        self.config = config
        self.stats = PendingStats()
        self.disk_full = False
        self.db = open_db(config.db_path, config.max_mb)
        # each item's savepoint journals the original of every page it dirties (~100 an article);
        # in a temp file that was ~190 write() calls an article, a tenth of the writer's CPU
        # (bench/writer_cost.py). In memory it holds one item's pages: RELEASE empties it.
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.run = RunRecorder(self.db, config.spider, config.sources, config.job_run_id)
        self.run_id = self.run.run_id
        self.templates = TemplateLearning(self.db, config.templates, self.run_id) if config.templates else None
        self.site_pages = SitePageWatch(self.db, self.run_id, self.stats, config.dedup)
        self.learned: dict[str, frozenset[str]] = {}  # this batch's sources with new template blocks

    def write(self, items: list[PageItem | ArticleItem]) -> Written:
        """Store `items` under one commit, each as a savepoint of its own."""
        if self.disk_full:  # the crawl is closing: nothing more can be stored
            return Written((ArchiveFull("the archive's disk is full"),) * len(items), {})
        self.learned = {}
        errors: list[BaseException | None] = [None] * len(items)
        try:
            with write_batch(self.db):
                for number, item in enumerate(items):
                    try:
                        self._process(item)
                    except Exception as error:  # the item's own failure, handed back with it
                        errors[number] = error
                        if is_disk_full(error):
                            raise
            self.stats.commit()
        except Exception as error:  # noqa: BLE001 (the commit failed: no item of the batch is stored)
            self.stats.discard()
            errors = [error] * len(items)
        # judged here: the error's chain, which tells a full disk, does not survive pickling
        full = next((error for error in errors if is_disk_full(error)), None)
        if full is not None:
            self.disk_full = True
            logger.error("the archive %s cannot be written (%s): stopping the crawl", self.config.db_path, full)
            errors = [ArchiveFull("the archive's disk is full") if error else None for error in errors]
        return Written(tuple(map(_picklable, errors)), self.stats.take(), self.learned, str(full) if full else None)

    def close(self, end: RunEnd) -> dict[str, int]:
        """Store what is held back, record each source's crawl, close the run; the last counters."""
        try:
            self._conclude(end)
        except Exception as error:
            if not is_disk_full(error):
                raise
            logger.error("the archive %s is full: the end of run %s could not be recorded",
                         self.config.db_path, self.run_id)
        finally:
            self.db.close()
        return self.stats.take()

    def _conclude(self, end: RunEnd) -> None:
        """Store what is held back (template learning, site-page watch), then record the run's end."""
        reason = end.reason
        if self.disk_full:
            # nothing held back can be stored; without a fetch row its page is fetched next run
            reason = "disk_full"
        else:
            for held in self.site_pages.drain():  # no further sighting comes: store them as articles
                self._admit(held)
            if self.templates is not None:  # held-back articles were fetched and extracted: store them
                for held in self.templates.drain():
                    self._store(held)
                self.templates.save(now_iso())
            self.stats.commit()
        stats = dict(end.stats)
        for key, count in self.stats.committed.items():  # the held-back articles stored just now
            stats[key] = stats.get(key, 0) + count
        self.run.close(end, reason, stats, self.config.gone_after)

    def _process(self, item: PageItem | ArticleItem) -> None:
        """Compress, screen for site pages, learn templates, record (held-back articles later)."""
        if isinstance(item, ArticleItem):
            raw = (pack_raw_page(item.body, item.content_type, item.body_hash)
                   if self.config.keep_raw and item.body else None)
            item.body = b""  # compressed in `raw`: a held-back article keeps only that
            for admitted in self.site_pages.screen(Held(item, raw)):  # a site page is logged, never learned from
                self._admit(admitted)
        else:
            outcome = record_fetch(self.db, run_id=self.run_id, source=item.source, url=item.url,
                                   fetched_at=item.fetched_at, outcome=item.outcome or "error",
                                   http_status=item.http_status, detail=item.detail,
                                   etag=item.etag, last_modified=item.last_modified,
                                   canonical_url=item.canonical_url)
            self.stats.inc_value(f"crawler/storage/fetch_{outcome}")

    def _admit(self, held: Held) -> None:
        """Learn templates from an article and hold it back; store the articles that are due."""
        if self.templates is None:
            self._store(held)
            return
        due, learned = self.templates.admit(held.item, held.raw)
        self.stats.inc_value("crawler/templates/blocks_learned", len(learned))
        if learned:
            self.learned[held.item.source] = self.templates.blocks(held.item.source)
        for released in due:
            self._store(released)

    def _store(self, held: Held) -> None:
        """Record an article with its source's template taken out of its text."""
        item, raw = held.item, held.raw
        if self.site_pages.is_site_page(item):  # proven one while the article was held back
            return
        if self.templates is not None:
            article, blocks = self.templates.prepare(item, self.config.min_chars, held.lines)
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
        whole = article is item.article
        if not whole:
            self.stats.inc_value("crawler/templates/stripped")
        try:
            recorded = record_article(self.db, article, source=item.source, run_id=self.run_id,
                                      fetched_at=item.fetched_at, http_status=item.http_status,
                                      etag=item.etag, last_modified=item.last_modified, dedup=self.config.dedup,
                                      body_hash=item.body_hash, raw=raw, template_blocks=blocks,
                                      fingerprint=item.fingerprint if whole else None,
                                      shrink_ratio=self.config.shrink_ratio,
                                      digest=held.digest if whole else None,
                                      bands=held.bands if whole else None,
                                      extracted=(item.article.text, item.fingerprint)
                                      if not whole and item.fingerprint is not None else None)
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


def _picklable(error: BaseException | None) -> BaseException | None:
    """`error`, or a RuntimeError naming it when it cannot cross to the crawl process."""
    if error is None:
        return None
    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 (any exception that will not pickle)
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
