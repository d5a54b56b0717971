"""A crawl's run in the archive: opened when its writer starts, closed with what the crawl saw."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from crawler.items import now_iso
from storage.articles import ensure_source
from storage.lifecycle import conclude_run
from storage.runs import close_run, record_run_source, start_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunEnd:
    """What the crawl knows at its end and the run's record needs (plain data: it crosses processes)."""

    reason: str  # the spider's close reason
    sources: tuple[str, ...]  # the spider's sources, in their order
    requests: dict[str, int]  # per source (crawler.tally.SourceTally)
    responses_ok: dict[str, int]
    exceptions: dict[str, dict[str, int]]
    stats: dict[str, Any]  # the crawl's counters, for the run's row
    linked_articles: dict[str, set[str]]  # per source: what listings, feeds and sitemaps linked


class RunRecorder:
    """Start a run (or join a job's), then record each source's crawl, the verdict, gone and unlinked."""

    def __init__(self, db: Database, spider: str, sources: tuple[tuple[str, str, str], ...] = (),
                 job_run_id: int | None = None) -> None:
        self.db = db
        self.spider = spider
        for name, title, home in sources:  # (name, title, identity of its home page)
            ensure_source(db, name, title, home)
        self.started_at = now_iso()
        self.job_run_id = job_run_id  # set: a crawl job owns the run and closes it; this adds its sources
        self.run_id = job_run_id or start_run(db, spider, self.started_at)

    def close(self, end: RunEnd, reason: str, stats: dict[str, Any], gone_after: int) -> None:
        """Record the crawl's end; `reason` and `stats` are the end's, as the archive saw them last."""
        finished_at = now_iso()
        for source in end.sources:
            record_run_source(self.db, self.run_id, source=source, spider=self.spider, started_at=self.started_at,
                              finished_at=finished_at, finish_reason=reason, requests=end.requests.get(source, 0),
                              responses_ok=end.responses_ok.get(source, 0), exceptions=end.exceptions.get(source, {}))
        if self.job_run_id is None:
            outcome = close_run(self.db, self.run_id, finished_at=finished_at, finish_reason=reason, stats=stats)
            logger.info("run %d: %s", self.run_id, outcome)
        if reason == "finished" and not stats.get("spider_exceptions/count"):
            # only a complete crawl may judge: a failed or partial one proves nothing about gone or unlinked
            concluded = conclude_run(self.db, self.run_id, end.linked_articles, gone_after=gone_after, at=finished_at)
            logger.info("run %d: %d articles now gone, %d unlinked", self.run_id, *concluded.values())
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # Datasette readers must not grow the WAL forever
