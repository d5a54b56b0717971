"""`partnerwatch reextract`: extract every stored article again from its raw page, fetching nothing.

After an upgrade of trafilatura or of our rules (crawler/extract.py, newly learned template
blocks, CRAWLER_EXTRACT_MIN_CHARS) the archive's texts may no longer be what the crawler
would store today. This re-runs extraction, exactly as the crawl does (the source's template
blocks passed to the extractor and stripped from the text), over the latest raw page of each
article, in a pool of worker processes. Results go through record_article like a crawl's, in
a run of their own (spider and trigger `reextract`): a version is added only where the text,
title or date changed; the article's sightings, validators and tombstone are left alone. A
page that no longer yields an article (among them a page of only the source's recurring page
blocks, crawler.page_blocks) keeps its stored versions and is only counted.

A crawl never reports a text as changed when only newly learned template blocks differ; a
re-extraction does: it is the way to clean texts stored before a block was learned.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields, replace
from pathlib import Path

import click
from scrapy.settings import Settings
from sqlite_utils import Database

from crawler.boilerplate import TemplateLearner
from crawler.extract import Article, extract_article
from crawler.items import now_iso
from crawler.sniff import NotHtml, sniff_body
from crawler.template_learning import apply_blocks, cut_template
from storage.articles import record_article, record_fetch
from storage.db import open_db
from storage.near_duplicates import DedupThresholds
from storage.raw_pages import RawPage, StoredPage, latest_raw_pages, load_raw_page
from storage.runs import finish_run, start_run
from storage.template_blocks import load_blocks, load_learner_state

IN_FLIGHT_PER_WORKER = 4  # raw pages loaded ahead of the workers: bounds memory on a large archive


@dataclass
class SourceReport:
    pages: int = 0  # raw pages extracted again
    changed: int = 0  # a new version: the text changed
    metadata: int = 0  # a new version: only title or date changed
    no_article: int = 0  # the page no longer yields an article, or is no text page (its versions stay)
    errors: int = 0  # extraction raised or timed out


@dataclass(frozen=True)
class Task:
    page: StoredPage
    raw: RawPage
    blocks: frozenset[str]


def reextract(db: Database, *, source: str | None = None, min_chars: int = 200, workers: int = 2,
              timeout: float = 20, dedup: DedupThresholds | None = None) -> tuple[int, dict[str, SourceReport]]:
    """Re-extract the archive (or one source); return the run id and a report per source."""
    blocks = load_blocks(db, source)
    pages = list(latest_raw_pages(db, source))
    run_id = start_run(db, "reextract", now_iso(), trigger="reextract")
    reports: dict[str, SourceReport] = {}
    learners: dict[str, TemplateLearner | None] = {}
    tasks = (Task(page, load_raw_page(db, page.raw_page_id), blocks.get(page.source, frozenset())) for page in pages)
    for task, result in extract_all(tasks, min_chars, workers, timeout):
        report = reports.setdefault(task.page.source, SourceReport())
        report.pages += 1
        if isinstance(result, Article) and (learner := _learner(db, learners, task.page.source)) is not None:
            # as a crawl stores it: recurring page blocks cut from the edges, a text of only them no article
            result = cut_template(result, learner, min_chars)[0]
        _record(db, run_id, task, result, report, dedup)
    finish_run(db, run_id, finished_at=now_iso(), outcome="ok", finish_reason="finished")
    return run_id, reports


def _learner(db: Database, learners: dict[str, TemplateLearner | None], source: str) -> TemplateLearner | None:
    """The source's template learner as the last crawl saved it (loaded once per source)."""
    if source not in learners:
        state = load_learner_state(db, source)
        learners[source] = TemplateLearner.from_json(state) if state else None
    return learners[source]


def _record(db: Database, run_id: int, task: Task, result: Article | BaseException | None, report: SourceReport,
            dedup: DedupThresholds | None) -> None:
    page = task.page
    if not isinstance(result, Article):
        if isinstance(result, NotHtml):  # a PDF or an image stored before bodies were sniffed
            outcome, detail = "not_html", f"reextract: {result.kind}"
        elif result is None:
            outcome, detail = "no_article", "reextract"
        else:
            outcome, detail = "error", f"reextract: {type(result).__name__}"
        record_fetch(db, run_id=run_id, source=page.source, url=page.url, fetched_at=now_iso(), outcome=outcome,
                     detail=detail)
        report.no_article += outcome != "error"
        report.errors += outcome == "error"
        return
    # the article stays the one it was stored as, whatever canonical link its page now yields
    article = replace(result, url=page.url, canonical_url=page.canonical_url)
    # Unlike a crawl, no template_blocks: a block learned after a text was stored is exactly what
    # re-extraction is asked to take out of it, as a version of this (trigger `reextract`) run.
    recorded = record_article(db, article, source=page.source, run_id=run_id, fetched_at=now_iso(),
                              dedup=dedup, raw=task.raw, is_fetch=False)
    report.changed += recorded.outcome == "changed"
    report.metadata += recorded.outcome == "metadata"


def extract_stored(raw: RawPage, url: str, min_chars: int, blocks: frozenset[str]) -> Article | None:
    """What the crawl would store from this raw page today (its text without template blocks).

    Raises NotHtml, as the crawl would skip it, for a body that is no text page.
    """
    body = raw.body()
    if (kind := sniff_body(body, raw.content_type)) is not None:
        raise NotHtml(kind)
    article = extract_article(body, url, content_type=raw.content_type, min_chars=min_chars, boilerplate=blocks)
    return apply_blocks(article, blocks, min_chars) if article is not None else None


def extract_all(tasks: Iterable[Task], min_chars: int, workers: int,
                timeout: float) -> Iterator[tuple[Task, Article | BaseException | None]]:
    """Each task with its result, in order; an extraction that raised or timed out yields the exception."""
    if workers <= 0:
        for task in tasks:
            yield task, _attempt(task, min_chars)
        return
    pool = _new_pool(workers)
    pending: deque[tuple[Task, Future]] = deque()
    todo = iter(tasks)
    try:
        while True:
            while len(pending) < workers * IN_FLIGHT_PER_WORKER and (queued := next(todo, None)) is not None:
                pending.append((queued, _submit(pool, queued, min_chars)))
            if not pending:
                return
            task, future = pending.popleft()
            try:
                yield task, future.result(timeout)
            except (TimeoutError, BrokenProcessPool) as error:
                yield task, error
                # a stuck worker cannot be interrupted, a dead one breaks the pool: start a new one
                pool = _replace_pool(pool, workers)
                pending = deque((waiting, _submit(pool, waiting, min_chars)) for waiting, _ in pending)
            except Exception as error:  # noqa: BLE001 (a broken page must not stop the others: reported as error)
                yield task, error
    finally:
        pool.shutdown(cancel_futures=True)


def _attempt(task: Task, min_chars: int) -> Article | BaseException | None:
    try:
        return extract_stored(task.raw, task.page.url, min_chars, task.blocks)
    except Exception as error:  # noqa: BLE001 (as in extract_all: reported per page)
        return error


def _submit(pool: ProcessPoolExecutor, task: Task, min_chars: int) -> Future:
    return pool.submit(extract_stored, task.raw, task.page.url, min_chars, task.blocks)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # fork: workers start at once with trafilatura already imported
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _replace_pool(pool: ProcessPoolExecutor, workers: int) -> ProcessPoolExecutor:
    for process in list(pool._processes.values()):  # noqa: SLF001 (no public way to kill a pool's workers)
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    return _new_pool(workers)


def reextract_archive(db_path: Path, source: str | None, settings: Settings) -> tuple[int, dict[str, SourceReport]]:
    from crawler.archive_pipeline import dedup_thresholds  # the crawl's own reading of CRAWLER_DEDUP_*

    db = open_db(db_path)
    try:
        if source is not None and not db.execute("SELECT 1 FROM sources WHERE name = ?", [source]).fetchone():
            raise click.UsageError(f"no source {source!r} in {db_path}")
        return reextract(db, source=source, min_chars=settings.getint("CRAWLER_EXTRACT_MIN_CHARS"),
                         workers=settings.getint("CRAWLER_EXTRACT_WORKERS"),
                         timeout=settings.getfloat("CRAWLER_EXTRACT_TIMEOUT"), dedup=dedup_thresholds(settings))
    finally:
        db.close()


def print_report(reports: dict[str, SourceReport], echo: Callable[[str], object]) -> None:
    """One line per source and a total: pages processed, texts changed, no longer an article."""
    echo(f"{'source':<28} {'pages':>6} {'texts changed':>14} {'title/date':>11} {'no article':>11} {'errors':>7}")
    total = SourceReport()
    for name in sorted(reports):
        echo(_line(name, reports[name]))
        for field in fields(SourceReport):
            setattr(total, field.name, getattr(total, field.name) + getattr(reports[name], field.name))
    echo(_line("total", total))


def _line(name: str, r: SourceReport) -> str:
    return f"{name:<28} {r.pages:>6} {r.changed:>14} {r.metadata:>11} {r.no_article:>11} {r.errors:>7}"
