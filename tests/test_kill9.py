"""kill -9 a real crawl (with extraction workers) mid-run: the archive stays consistent, and the
next run completes the work (reliability.md 5.3, rows S1, S2)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from change_site import Site, article_page, crawl_site, serve, site_crawl_command

from crawler.runner import PROJECT_ROOT, crawl_env
from storage.db import open_db
from storage.fts import head_version_ids, indexed_version_ids

ARTICLES = 60
KILLS = 4
SEED = 20261121


def query_one(db_path: Path, sql: str, params: tuple = ()) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def crawl_and_kill(command: list[str], db_path: Path, after_fetches: int) -> int:
    """Start a crawl, SIGKILL its whole process group once its run logged `after_fetches` outcomes."""
    last_run = query_one(db_path, "SELECT max(id) FROM runs")
    process = subprocess.Popen(command, env=crawl_env(), cwd=PROJECT_ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if query_one(db_path, "SELECT count(*) FROM fetches WHERE run_id > ?", (last_run,)) >= after_fetches:
            break
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)  # the crawl and its extraction workers, mid-write
    process.wait(10)
    return process.returncode


def assert_consistent(db_path: Path) -> None:
    db = open_db(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        bad_heads = db.execute(
            "SELECT a.id FROM articles a LEFT JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
            "WHERE v.id IS NULL OR v.text_hash != a.text_hash "
            "OR a.current_version != (SELECT max(version) FROM versions WHERE article_id = a.id)"
        ).fetchall()
        assert bad_heads == []
        gaps = db.execute(
            "SELECT article_id FROM versions GROUP BY article_id HAVING count(*) != max(version) OR min(version) != 1"
        ).fetchall()
        assert gaps == []
        repeats = db.execute(
            "SELECT a.article_id FROM versions a JOIN versions b ON b.article_id = a.article_id "
            "AND b.version = a.version + 1 WHERE a.text_hash = b.text_hash AND a.title IS b.title "
            "AND a.published_at IS b.published_at"
        ).fetchall()
        assert repeats == []
        orphans = db.execute(
            "SELECT count(*) FROM versions WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0] + db.execute(
            "SELECT count(*) FROM fetches WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT id FROM runs)"
        ).fetchone()[0]
        assert orphans == 0
        assert indexed_version_ids(db) == head_version_ids(db)
        db.execute("INSERT INTO versions_fts (versions_fts) VALUES ('integrity-check')")
    finally:
        db.close()


def test_crawl_killed_at_random_points_leaves_a_consistent_archive_that_the_next_run_completes(tmp_path):
    rng = random.Random(SEED)
    site = Site(delay=0.01)
    site.publish(ARTICLES)
    server = serve(site)
    db_path = tmp_path / "archive.db"
    settings = {"CRAWLER_EXTRACT_WORKERS": 2}
    try:
        crawl_site(site, tmp_path, db_path, **settings)
        site.publish(ARTICLES, edition=2)
        for number in range(1, ARTICLES, 2):  # odd articles stay as they were
            site.pages[f"/news/{number}.html"] = article_page(number)
        command = site_crawl_command(site, tmp_path, db_path, **settings)
        for _ in range(KILLS):
            # still running when killed: the kill landed mid-run, not after it
            assert crawl_and_kill(command, db_path, rng.randint(1, ARTICLES - 5)) == -signal.SIGKILL
            assert_consistent(db_path)
        crawl_site(site, tmp_path, db_path, **settings)
    finally:
        server.shutdown()
    assert_consistent(db_path)
    db = open_db(db_path)
    versions = dict(db.execute("SELECT a.url, count(v.id) FROM articles a JOIN versions v ON v.article_id = a.id "
                               "GROUP BY a.id").fetchall())
    last_run = db.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    assert len(versions) == ARTICLES
    assert versions == {
        f"{site.origin}/news/{number}.html": 2 if number % 2 == 0 else 1 for number in range(ARTICLES)}
    assert last_run == ("ok",)
