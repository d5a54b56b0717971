"""The archive writer on its own: items in, versions, fetch rows and a closed run out; no Scrapy, no crawl.

The same three calls a crawl makes from its writer process, and a writer fed by another queue would.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from change_site import article_page
from scrapy.settings import Settings

from crawler.archive_pipeline import dedup_thresholds
from crawler.archive_writer import ArchiveFull, ArchiveWriter, WriterConfig
from crawler.items import ArticleItem, PageItem
from crawler.pipelines import extract_for_archive
from crawler.run_recorder import RunEnd

ORIGIN = "https://www.musterstadt.de"
CRAWL_SETTINGS = Settings()
CRAWL_SETTINGS.setmodule("crawler.settings")


def article_item(number: int, edition: int = 1, fetched: int = 0) -> ArticleItem:
    body = article_page(number, edition)
    url = f"{ORIGIN}/news/a{number}"
    extracted = extract_for_archive(body, url, with_fingerprint=True, content_type="text/html; charset=utf-8")
    assert extracted.article is not None
    return ArticleItem(source="town", fetched_at=f"2026-12-0{1 + fetched}T02:00:00.{number:06d}+00:00", http_status=200,
                       article=replace(extracted.article, canonical_url=url), body=body,
                       content_type="text/html; charset=utf-8", fingerprint=extracted.fingerprint,
                       site_key=extracted.site_key)


def config(db_path: Path, **changes) -> WriterConfig:
    town = ("town", "Musterstadt", f"{ORIGIN}/")
    return replace(WriterConfig(db_path, "municipal", (town,), dedup=dedup_thresholds(CRAWL_SETTINGS)), **changes)


def end(linked: set[str], reason: str = "finished") -> RunEnd:
    return RunEnd(reason, ("town",), {"town": len(linked) + 1}, {"town": len(linked) + 1}, {"town": {}}, {},
                  {"town": linked})


def rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql).fetchall()


def test_a_writer_stores_a_batch_reports_committed_counts_and_closes_an_ok_run(tmp_path):
    db_path = tmp_path / "archive.db"
    writer = ArchiveWriter(config(db_path))
    written = writer.write([article_item(1), article_item(2),
                            PageItem(url=f"{ORIGIN}/news/a3", source="town", fetched_at="2026-12-01T02:00:01+00:00",
                                     http_status=500, outcome="error", detail="HTTP 500",
                                     canonical_url=f"{ORIGIN}/news/a3")])
    assert written.errors == (None, None, None) and written.disk_full is None
    assert written.stats == {"crawler/storage/version_new": 2, "crawler/storage/fetch_error": 1}
    writer.close(end({f"{ORIGIN}/news/a1", f"{ORIGIN}/news/a2", f"{ORIGIN}/news/a3"}))
    assert rows(db_path, "SELECT url, outcome FROM fetches ORDER BY url") == [
        (f"{ORIGIN}/news/a1", "new"), (f"{ORIGIN}/news/a2", "new"), (f"{ORIGIN}/news/a3", "error")]
    assert rows(db_path, "SELECT outcome FROM runs") == [("ok",)]
    assert rows(db_path, "SELECT source, finish_reason, requests FROM run_sources") == [("town", "finished", 4)]


def test_a_second_writer_stores_only_what_changed_as_a_new_version(tmp_path):
    db_path = tmp_path / "archive.db"
    first = ArchiveWriter(config(db_path))
    first.write([article_item(1), article_item(2)])
    first.close(end({f"{ORIGIN}/news/a1", f"{ORIGIN}/news/a2"}))
    second = ArchiveWriter(config(db_path))
    written = second.write([article_item(1, fetched=1), article_item(2, edition=2, fetched=1)])
    second.close(end({f"{ORIGIN}/news/a1", f"{ORIGIN}/news/a2"}))
    assert written.stats == {"crawler/storage/version_unchanged": 1, "crawler/storage/version_changed": 1}
    assert rows(db_path, "SELECT count(*) FROM versions") == [(3,)]


def test_a_full_archive_stops_the_writer_and_loses_no_half_written_article(tmp_path):
    db_path = tmp_path / "archive.db"
    writer = ArchiveWriter(config(db_path, max_mb=1.0))  # a size cap: a write past it fails as on a full disk
    batches = [[article_item(number)] for number in range(1, 400)]
    written = [writer.write(batch) for batch in batches]
    full = next(number for number, result in enumerate(written) if result.disk_full)
    assert isinstance(written[full].errors[0], ArchiveFull)
    assert all(isinstance(result.errors[0], ArchiveFull) for result in written[full + 1:])  # nothing more tried
    writer.close(end(set()))
    stored = sum(result.stats.get("crawler/storage/version_new", 0) for result in written)
    assert rows(db_path, "SELECT count(*) FROM versions") == [(stored,)] == [(full,)]
    assert rows(db_path, "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM versions)") == [(0,)]
