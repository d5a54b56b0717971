"""The raw archive: each fetched article page's bytes, compressed, stored once, linked to its version."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from archive_items import Art
from change_site import article_page, crawl_site

from storage.articles import record_article
from storage.db import open_db
from storage.raw_pages import load_raw_page, pack_raw_page
from storage.runs import start_run

PAGE = b"<html><body><article><h1>Meldung</h1><p>" + "Ein Absatz über die Partnerschaft. ".encode() * 40 + b"</p>"


def test_identical_bytes_are_stored_once_compressed_and_linked_to_each_version_and_fetch(db):
    run = start_run(db, "skew", "2026-01-01T00:00:00+00:00")
    for url in ("https://skew.example/a", "https://mirror.example/b"):
        record_article(db, Art(url=url), source="skew", run_id=run, fetched_at="t1",
                       raw=pack_raw_page(PAGE, "text/html; charset=utf-8"))
    (raw_id, size, stored), = db.execute("SELECT id, size, length(zstd) FROM raw_pages").fetchall()
    assert size == len(PAGE) and stored < len(PAGE) / 4
    assert db.execute("SELECT raw_page_id FROM versions").fetchall() == [(raw_id,), (raw_id,)]
    assert db.execute("SELECT raw_page_id FROM fetches").fetchall() == [(raw_id,), (raw_id,)]
    raw = load_raw_page(db, raw_id)
    assert raw.body() == PAGE
    assert (raw.sha256, raw.content_type) == (hashlib.sha256(PAGE).hexdigest(), "text/html; charset=utf-8")


def test_a_failed_record_leaves_no_raw_page_behind(db):
    with pytest.raises(sqlite3.IntegrityError):  # run 99 does not exist: the version's foreign key fails
        record_article(db, Art(), source="skew", run_id=99, fetched_at="t1", raw=pack_raw_page(PAGE, None))
    assert db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def raw_rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT f.run_id, f.url, f.outcome, f.raw_page_id, v.raw_page_id FROM fetches f "
            "LEFT JOIN versions v ON v.article_id = f.article_id AND v.run_id = f.run_id ORDER BY f.id"
        ).fetchall()


def test_crawl_keeps_the_bytes_of_extracted_pages_and_none_again_for_304s(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    first = raw_rows(db_path)
    assert len(first) == 6 and all(raw is not None and raw == version_raw for *_, raw, version_raw in first)
    db = open_db(db_path)
    for _, url, _, raw_id, _ in first:
        assert load_raw_page(db, raw_id).body() == site.pages[url.removeprefix(site.origin)]
    db.close()

    site.pages["/news/2.html"] = article_page(2, edition=2)
    crawl_site(site, tmp_path, db_path)
    second = [row for row in raw_rows(db_path) if row[0] == 2]
    assert sorted((url.rsplit("/", 1)[1], outcome, raw is not None) for _, url, outcome, raw, _ in second) == [
        ("0.html", "not_modified", False), ("1.html", "not_modified", False), ("2.html", "changed", True),
        ("3.html", "not_modified", False), ("4.html", "not_modified", False), ("5.html", "not_modified", False)]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 7
