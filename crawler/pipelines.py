"""ExtractPipeline: each PageItem's article, extracted in worker processes so both cores work."""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Self, TypedDict, Unpack

import trafilatura.external as trafilatura_external
from justext.core import define_stoplist
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector

from crawler.extract import Article, extract_article
from crawler.items import ArticleItem, PageItem
from crawler.lifeline import die_with_crawl
from crawler.memory import trim_every
from crawler.site_pages import site_key, site_page_kind, site_page_kind_of_html
from crawler.sniff import OCTET_STREAM, NotHtml, sniff_body
from crawler.template_learning import blocks_learned
from storage.fingerprint import Fingerprint, fingerprint
from storage.template_blocks import read_blocks
from storage.urls import canonical_url

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Turn each PageItem into an ArticleItem, in worker processes so both cores extract."""

    def __init__(self, stats: StatsCollector, workers: int, timeout: float, max_bytes: int,
                 min_chars: int, templates_path: Path | None = None, fingerprints: bool = False,
                 trim_interval: float = 0.0) -> None:
        self.stats = stats
        self.fingerprints = fingerprints  # duplicate detection is on: fingerprint in the worker too
        self.workers = workers
        self.trim_interval = trim_interval  # each worker returns its free heap this often (crawler/memory.py)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.min_chars = min_chars
        self.pool: ProcessPoolExecutor | None = None
        self.slots = asyncio.Semaphore(1)  # replaced in open_spider, sized to the pool
        self.templates_path = templates_path  # the archive holding each source's learned template blocks
        self.boilerplate: dict[str, frozenset[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        pipeline = cls(crawler.stats, s.getint("CRAWLER_EXTRACT_WORKERS"), s.getfloat("CRAWLER_EXTRACT_TIMEOUT"),
                       s.getint("CRAWLER_EXTRACT_MAX_BYTES"), s.getint("CRAWLER_EXTRACT_MIN_CHARS"),
                       _templates_path(s), s.getbool("CRAWLER_DEDUP_ENABLED"),
                       s.getfloat("CRAWLER_MEMORY_TRIM_INTERVAL"))
        crawler.signals.connect(pipeline.blocks_learned, signal=blocks_learned)
        return pipeline

    def blocks_learned(self, source: str, blocks: frozenset[str]) -> None:
        # sent from the archive writer's thread: replacing one dict value is atomic
        self.boilerplate[source] = blocks

    def open_spider(self) -> None:
        if self.templates_path is not None and self.templates_path.exists():
            self.boilerplate = read_blocks(self.templates_path)  # learned by earlier crawls
        if self.workers > 0:
            # Two pages a worker in the pool (one extracting, one ready); the rest wait here. So the
            # timeout counts a page's own extraction (and at most one page's before it), not the
            # backlog a fast download builds up, and a timeout's killed workers take few pages along.
            self.slots = asyncio.Semaphore(2 * self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    async def process_item(self, item: PageItem | ArticleItem) -> PageItem | ArticleItem:
        if not isinstance(item, PageItem) or item.outcome is not None:
            return item
        if len(item.body) > self.max_bytes:
            return self._skip(item, "too_large", f"{len(item.body)} bytes")
        if not item.body.strip():
            return self._skip(item, "no_article", "empty body")
        if (kind := sniff_body(item.body, item.content_type)) is not None:
            return self._not_html(item, kind)
        if (item.content_type or "").split(";")[0].strip().lower() == OCTET_STREAM:
            # a text page under a download's type (reliability.md C3): read as a page, but say so
            self.stats.inc_value("crawler/extract/octet_stream_page")
            logger.info("%s: a text page served as %s, read as a page", item.url, OCTET_STREAM)
        extract = partial(extract_for_archive, item.body, item.url, content_type=item.content_type,
                          min_chars=self.min_chars, boilerplate=self.boilerplate.get(item.source, frozenset()),
                          with_fingerprint=self.fingerprints, with_page_blocks=self.templates_path is not None)
        try:
            extracted = await self._run(extract)
        except TimeoutError:
            return self._skip(item, "error", "extract_timeout")
        except BrokenProcessPool:
            return self._skip(item, "error", "extract_worker_died")
        except NotHtml as not_html:  # bytes that decoded to no text: the extractor's own check
            return self._not_html(item, not_html.kind)
        if extracted.site_page is not None:
            return self._skip(item, "site_page", extracted.site_page)
        if extracted.article is None:
            return self._skip(item, "no_article", "extractor found no article")
        article = extracted.article
        self.stats.inc_value("crawler/extract/article")
        declared = article.canonical_url
        identity = item.identity.of_article(item.url, declared) if item.identity else canonical_url(item.url)
        article = replace(article, canonical_url=identity)
        return ArticleItem(source=item.source, fetched_at=item.fetched_at, http_status=item.http_status or 200,
                           article=article, etag=item.etag, last_modified=item.last_modified,
                           body_hash=item.body_hash, body=item.body, content_type=item.content_type,
                           fingerprint=extracted.fingerprint, site_key=extracted.site_key)

    async def _run(self, extract: partial) -> Extracted:
        if self.workers == 0:
            return extract()
        if self.pool is None:
            # forked at the first page to extract, not at spider open: a re-crawl of 304s needs
            # no pool, and starting one (langdetect's profiles loaded, then fork) costs ~0.5 s
            self.pool = _new_pool(self.workers, self.trim_interval)
        async with self.slots:
            try:
                return await self._extract_in(self.pool, extract)
            except BrokenProcessPool:
                # another page's timeout killed this page's worker, or a worker died: once more
                self.stats.inc_value("crawler/extract/retried")
                return await self._extract_in(self.pool, extract)

    async def _extract_in(self, pool: ProcessPoolExecutor, extract: partial) -> Extracted:
        future = asyncio.get_running_loop().run_in_executor(pool, extract)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, BrokenProcessPool):
            self._replace_pool(pool)
            raise

    def _replace_pool(self, pool: ProcessPoolExecutor) -> None:
        """A stuck worker cannot be interrupted: kill the pool's processes and start a new pool.

        Its other pages fail with BrokenProcessPool and are extracted again in the new pool.
        """
        if pool is not self.pool:
            return  # replaced already, by another page of the same pool
        self.pool = _new_pool(self.workers, self.trim_interval)
        for process in list(pool._processes.values()):  # noqa: SLF001 (no public way to kill one)
            process.kill()
        pool.shutdown(wait=False)

    def _not_html(self, item: PageItem, kind: str) -> PageItem:
        """A PDF, an image or random bytes where a page was expected: no version, the current one stays."""
        self.stats.inc_value(f"crawler/extract/not_html/{kind}")
        return self._skip(item, "not_html", kind)

    def _skip(self, item: PageItem, outcome: str, detail: str) -> PageItem:
        self.stats.inc_value(f"crawler/extract/{outcome}")
        logger.debug("%s: %s (%s)", item.url, outcome, detail)
        item.body, item.outcome, item.detail = b"", outcome, detail
        return item


@dataclass(frozen=True)
class Extracted:
    """What a worker found in one page: an article, or none, or a site's own page (then no article)."""

    article: Article | None
    fingerprint: Fingerprint | None = None  # of the article's text, for the duplicate index
    site_key: str | None = None  # crawler.site_pages.site_key of the article's text
    site_page: str | None = None  # soft_404 | maintenance | login: the page says it is no article


class ExtractOptions(TypedDict, total=False):
    """extract_article's keyword arguments, as extract_for_archive passes them on."""

    content_type: str | None
    min_chars: int
    boilerplate: frozenset[str]
    with_page_blocks: bool


def extract_for_archive(body: bytes, url: str, *, with_fingerprint: bool,
                        **options: Unpack[ExtractOptions]) -> Extracted:
    """In a worker: the article, its text's fingerprint and site key, or the kind of site page it is.

    Fingerprinting here, not in the archive writer, moves ~1 ms a page off the crawl process,
    whose one interpreter lock is the crawl's narrowest point (docs/benchmarks.md).
    """
    article = extract_article(body, url, **options)
    if article is None:
        return Extracted(None, site_page=site_page_kind_of_html(body))
    kind = site_page_kind(article.title, article.text)
    if kind is not None:
        return Extracted(None, site_page=kind)
    return Extracted(article, fingerprint(article.text) if with_fingerprint else None, site_key(article.text, url))


_WARM_UP_TEXT = ("Die Stadt hat am Montag ein neues Programm für kommunale Partnerschaften vorgestellt. "
                 "Mit Partnern in Afrika und Lateinamerika sollen Projekte für den Klimaschutz entstehen. ")
_WARM_UP_PAGE = (f"<html lang='de'><head><title>Programm</title></head><body><article><h1>Programm</h1>"
                 f"<p>{_WARM_UP_TEXT * 3}</p><p>{_WARM_UP_TEXT * 2}</p></article></body></html>").encode()


def _new_pool(workers: int, trim_interval: float) -> ProcessPoolExecutor:
    # fork: workers start at once with trafilatura already imported; they only run extract_article
    _warm_up()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(os.getpid(), trim_interval))


def _start_worker(crawl_pid: int, trim_interval: float) -> None:
    die_with_crawl(crawl_pid)
    trim_every(trim_interval)


def _warm_up() -> None:
    """Load what extraction loads lazily (langdetect's 21 MB of profiles, stoplists) before forking.

    The workers then share these pages with the crawl process instead of each loading its own
    copy, and start extracting at once. gc.freeze() keeps the collector from writing to the
    inherited objects, which would copy their pages into every worker (bench/throughput.py).
    """
    extract_for_archive(_WARM_UP_PAGE, "http://127.0.0.1/warm-up.html", with_fingerprint=True)
    _load_justext_stoplists()
    gc.freeze()


def _load_justext_stoplists() -> None:
    """trafilatura's jusText rescue of a page of unknown language reads every stoplist at once
    (154,000 words, ~30 MB with jusText's lower-cased copy). Loaded lazily, each worker held its
    own copy from the first such page on; loaded here, one copy is shared."""
    stoplist = trafilatura_external.JT_STOPLIST or trafilatura_external.jt_stoplist_init()
    define_stoplist(stoplist)  # lru-cached: classify_paragraphs finds this set


def _templates_path(settings: Settings) -> Path | None:
    """The archive the extractor reads learned template blocks from, when learning is on."""
    if settings.getbool("CRAWLER_STORAGE_ENABLED") and settings.getbool("CRAWLER_TEMPLATE_ENABLED"):
        return Path(settings["CRAWLER_STORAGE_PATH"])
    return None
