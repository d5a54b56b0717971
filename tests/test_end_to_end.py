"""The whole path: `scrapy crawl` in a real subprocess against the replica, checked against golden data."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_crawl

from crawler.replica import load_golden

# The boilerplate issue 2 names: cookie banner, share widget, navigation heading, photo credits.
NAMED_BOILERPLATE = ("Diese Website verwendet Cookies", "Diese Seite teilen", "Hauptnavigation", "Foto: ")


def stored(db_path: Path) -> dict[str, dict]:
    """Current version of every stored article, keyed by canonical path (ports differ per run)."""
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    rows = db.execute(
        "SELECT a.canonical_url, a.current_version, v.title, v.published_at, v.language, t.text "
        "FROM articles a JOIN version_texts t ON t.article_id = a.id AND t.version = a.current_version "
        "JOIN versions v ON v.id = t.version_id"
    ).fetchall()
    db.close()
    return {_path(r["canonical_url"]): dict(r) for r in rows}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def golden_articles(site: str, state: str = "v1") -> list:
    return [a for a in load_golden(state).primary_articles() if a.site == site]


def golden_boilerplate_in(articles: dict[str, dict]) -> list[tuple[str, str]]:
    """(path, phrase) for every template phrase of any replica site found in a stored text."""
    phrases = {p for state in ("v1", "v2") for site in load_golden(state).boilerplate_phrases.values() for p in site}
    return [(path, phrase) for path, row in articles.items() for phrase in sorted(phrases) if phrase in row["text"]]


def version_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT count(*) FROM versions").fetchone()[0]


@pytest.mark.parametrize("writer_process", [True, False], ids=["writer_process", "writer_thread"])
def test_skew_crawl_stores_every_golden_article_with_its_title_date_and_language(replica, tmp_path, writer_process):
    db_path = tmp_path / "archive.db"
    run_crawl("skew", db_path, replica, {"base_url": replica.urls["skew"]}, CRAWLER_STORAGE_PROCESS=writer_process)
    articles = stored(db_path)
    expected = golden_articles("skew")
    assert len(expected) == 16 and len(articles) == len(expected)
    for golden in expected:
        got = articles.get(golden.canonical_path)
        assert got is not None, f"not found: {golden.path}"
        assert (got["title"], got["published_at"], got["language"]) == (golden.title, golden.published,
                                                                         golden.language), golden.path
        text = " ".join(got["text"].split())
        for paragraph in golden.paragraphs:
            assert " ".join(paragraph.split()) in text, f"{golden.path}: lost {paragraph[:60]!r}"


def test_no_stored_text_carries_the_named_boilerplate_or_any_sites_template_phrase(replica, tmp_path):
    db_path = tmp_path / "archive.db"
    for spider in ("skew", "lag21", "municipal"):
        run_crawl(spider, db_path, replica)
    articles = stored(db_path)
    assert len(articles) >= 50
    for path, row in articles.items():
        for phrase in NAMED_BOILERPLATE:
            assert phrase not in row["text"], f"{path}: {phrase!r} in stored text"
    assert golden_boilerplate_in(articles) == []


def test_crawling_the_same_state_twice_adds_no_version(replica, tmp_path):
    db_path = tmp_path / "archive.db"
    run_crawl("lag21", db_path, replica)
    first = version_count(db_path)
    assert first >= 12
    run_crawl("lag21", db_path, replica)
    assert version_count(db_path) == first
    with sqlite3.connect(db_path) as db:
        runs = db.execute("SELECT outcome, articles_new, articles_unchanged FROM runs ORDER BY id").fetchall()
    assert runs == [("ok", first, 0), ("ok", 0, first)]


def test_v2_after_v1_adds_exactly_the_golden_new_and_changed_versions(own_replica, tmp_path):
    db_path = tmp_path / "archive.db"
    for spider in ("skew", "lag21", "municipal"):
        run_crawl(spider, db_path, own_replica)
    before = stored(db_path)
    own_replica.set_state("v2")
    for spider in ("skew", "lag21", "municipal"):
        run_crawl(spider, db_path, own_replica)
    after = stored(db_path)
    changes = load_golden("v2").changes
    canonical = {(a.site, a.path): a.canonical_path for a in load_golden("v2").articles}
    canonical.update({(a.site, a.path): a.canonical_path for a in load_golden("v1").articles})

    def discovered(keys) -> set[str]:
        return {canonical[k] for k in keys} & (set(before) | set(after))

    new = discovered(changes["new"])
    assert new and new <= set(after) and not new & set(before)
    bumped = {p for p, row in after.items() if p in before and row["current_version"] > before[p]["current_version"]}
    assert bumped == discovered(changes["changed"])
    assert not bumped & discovered(changes["boilerplate_only"])
    # the sidebars and tickers that change from v1 to v2 (LAG 21's Termin-Tipp, Wolfsburg's ticker) stay out
    assert golden_boilerplate_in(after) == []


@pytest.mark.parametrize("spider", ["skew", "lag21", "municipal"])
def test_every_spider_finishes_with_an_ok_run(replica, tmp_path, spider):
    db_path = tmp_path / "archive.db"
    run_crawl(spider, db_path, replica)
    with sqlite3.connect(db_path) as db:
        outcome, new, errors = db.execute("SELECT outcome, articles_new, errors FROM runs").fetchone()
    assert (outcome, errors) == ("ok", 0) and new > 0


def test_the_replica_on_new_ports_adds_nothing_and_then_v2_shows_exactly_the_golden_changes(tmp_path):
    """`make demo` twice, then `demo --state v2`: each run a replica of its own on other ports."""
    from crawler.replica import Replica
    from crawler.replica.catalog import REAL_ORIGINS
    from storage.changes import changes_since, parse_since
    from storage.db import open_db

    db_path = tmp_path / "archive.db"

    def crawl_every_spider(state: str) -> tuple[int, list]:
        """The first run id of this crawl, and the replica's hits."""
        first_run = _last_run(db_path) + 1
        with Replica(state=state, rate_limit=False) as served:
            for spider in ("skew", "lag21", "municipal"):
                run_crawl(spider, db_path, served)
        return first_run, served.hits

    def identities() -> list[str]:
        with sqlite3.connect(db_path) as db:
            return sorted(row[0] for row in db.execute("SELECT canonical_url FROM articles"))

    crawl_every_spider("v1")
    before, versions = identities(), version_count(db_path)
    _, hits = crawl_every_spider("v1")
    assert identities() == before and version_count(db_path) == versions
    # last night's validators found by identity, though every URL has another port tonight
    article_paths = {a.path for a in load_golden("v1").articles}
    article_hits = [hit for hit in hits if hit.path in article_paths]
    conditional = [hit for hit in article_hits if "If-None-Match" in hit.request_headers]
    assert len(conditional) >= 0.9 * len(article_hits)
    assert all(url.startswith(tuple(REAL_ORIGINS.values())) for url in before)  # no replica port in an identity

    v2_run, _ = crawl_every_spider("v2")
    golden = load_golden("v2")

    def real(kind: str) -> set[str]:
        primary = {(a.site, a.path) for state in ("v1", "v2") for a in load_golden(state).primary_articles()}
        return {REAL_ORIGINS[site] + path for site, path in golden.changes[kind] if (site, path) in primary}

    db = open_db(db_path)
    report = changes_since(db, parse_since(db, str(v2_run)))
    listed = {kind: {row["canonical_url"] for kinds in report.values() for row in kinds.get(kind, [])}
              for kind in ("new", "changed")}
    removed = {row[0]: row[1] for row in db.execute(
        "SELECT a.canonical_url, f.http_status FROM fetches f JOIN articles a ON a.id = f.article_id "
        "WHERE f.run_id >= ? AND f.outcome = 'gone'", [v2_run])}
    db.close()
    assert listed == {"new": real("new"), "changed": real("changed")}
    # every article removed in v2 was asked for again and answered 404 or 410
    assert set(removed) == real("removed") and set(removed.values()) <= {404, 410}


def _last_run(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
