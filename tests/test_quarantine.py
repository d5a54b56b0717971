"""Shrink quarantine: a text that lost most of its words is stored only when a later run sees it again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from archive_items import Art
from change_site import Site, article_page, article_text, crawl_site, serving

from crawler.replica.golden import load_golden
from crawler.settings import CRAWLER_SHRINK_QUARANTINE_RATIO
from storage.articles import ensure_source, record_article, record_fetch, text_hash
from storage.db import open_db
from storage.quarantine import is_shrunk, quarantine_detail, quarantined_hash
from storage.runs import start_run

FULL = Art(text=article_text(1, paragraphs=8))  # 180 words
STUB = Art(text=article_text(1, paragraphs=2))  # 54 words: under half (the page's first two paragraphs)
TRIMMED = Art(text=article_text(1, paragraphs=5))  # 117 words: over half, an ordinary edit
FULL_WORDS, STUB_WORDS = len(FULL.text.split()), len(STUB.text.split())


@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "skew")
    yield db
    db.close()


def fetch(db, article: Art, ratio: float = 0.5, run: int | None = None) -> str:
    """Record `article` as fetched in run `run` (a new run when None); the fetch's outcome."""
    run = run or start_run(db, "skew", "2026-01-01T00:00:00+00:00")
    return record_article(db, article, source="skew", run_id=run, fetched_at="t", shrink_ratio=ratio).outcome


def texts(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT text FROM versions ORDER BY version")]


# --- the decision ---------------------------------------------------------------------------

def test_only_a_text_under_the_ratio_of_the_current_words_is_shrunk():
    assert is_shrunk(100, 49, 0.5)
    assert not is_shrunk(100, 50, 0.5)
    assert not is_shrunk(100, 1, 0.0)  # 0 disables the quarantine


def test_quarantine_detail_names_both_word_counts_and_carries_the_hash():
    digest = text_hash(STUB.text)
    detail = quarantine_detail(180, 54, digest)
    assert detail.startswith("54 of 180 words")
    assert quarantined_hash(detail) == digest
    assert quarantined_hash("HTTP 404") is None


# --- the archive ------------------------------------------------------------------------------

def test_shrunken_text_waits_one_run_then_is_stored_as_changed(db):
    assert fetch(db, FULL) == "new"
    assert fetch(db, STUB) == "quarantined"
    assert texts(db) == [FULL.text]
    head = db.execute("SELECT current_version, text_hash FROM articles").fetchone()
    assert head == (1, text_hash(FULL.text))
    assert fetch(db, STUB) == "changed"
    assert texts(db) == [FULL.text, STUB.text]


def test_the_same_shrunken_text_twice_in_one_run_is_no_confirmation(db):
    fetch(db, FULL)
    run = start_run(db, "skew", "t")
    assert fetch(db, STUB, run=run) == "quarantined"
    assert fetch(db, replace(STUB, url="https://example.org/a?print=1", canonical_url=FULL.url), run=run) == "quarantined"
    assert texts(db) == [FULL.text]


def test_full_text_in_between_resets_the_wait(db):
    fetch(db, FULL)
    assert fetch(db, STUB) == "quarantined"
    assert fetch(db, FULL) == "unchanged"
    assert fetch(db, STUB) == "quarantined"
    assert texts(db) == [FULL.text]


def test_another_shrunken_text_in_between_resets_the_wait(db):
    fetch(db, FULL)
    assert fetch(db, STUB) == "quarantined"
    assert fetch(db, Art(text=article_text(1, edition=2, paragraphs=2))) == "quarantined"
    assert fetch(db, STUB) == "quarantined"


def test_an_error_or_a_404_in_between_neither_confirms_nor_resets(db):
    fetch(db, FULL)
    assert fetch(db, STUB) == "quarantined"
    for outcome in ("error", "gone"):
        record_fetch(db, run_id=start_run(db, "skew", "t"), source="skew", url=FULL.url, fetched_at="t",
                     outcome=outcome)
    assert fetch(db, STUB) == "changed"


def test_ordinary_edits_and_a_zero_ratio_are_stored_at_once(db):
    fetch(db, FULL)
    assert fetch(db, TRIMMED) == "changed"
    assert fetch(db, STUB, ratio=0) == "changed"
    assert fetch(db, FULL) == "changed"  # growing is never held


def test_no_golden_change_of_the_replica_shrinks_into_quarantine():
    v1, v2 = load_golden("v1"), load_golden("v2")
    for site, path in v2.changes["changed"]:
        old, new = v1.article(site, path).text, v2.article(site, path).text
        assert not is_shrunk(len(old.split()), len(new.split()), CRAWLER_SHRINK_QUARANTINE_RATIO), (site, path)


# --- crawls --------------------------------------------------------------------------------------

PAGE = "/news/1.html"
QUICK = {"CRAWLER_EXTRACT_WORKERS": 0}


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.publish(3)
    served.pages[PAGE] = article_page(1, paragraphs=8)
    with serving(served):
        yield served


def article_fetches(db_path: Path) -> tuple[list[tuple[str, str | None]], list[int]]:
    """The page's fetch outcomes (with detail) and its versions' word counts, oldest first."""
    db = open_db(db_path)
    try:
        fetches = db.execute("SELECT outcome, detail FROM fetches WHERE url LIKE ? ORDER BY id", [f"%{PAGE}"]).fetchall()
        words = [len(row[0].split()) for row in db.execute(
            "SELECT v.text FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url LIKE ? ORDER BY v.version",
            [f"%{PAGE}"])]
    finally:
        db.close()
    return fetches, words


def test_crawl_quarantines_a_page_with_a_third_of_its_text_and_stores_it_when_it_stays(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, **QUICK)
    site.pages[PAGE] = article_page(1, paragraphs=2)
    crawl_site(site, tmp_path, db_path, **QUICK)
    fetches, words = article_fetches(db_path)
    assert [outcome for outcome, _ in fetches] == ["new", "quarantined"]
    assert fetches[1][1].startswith(f"{STUB_WORDS} of {FULL_WORDS} words")
    assert words == [FULL_WORDS]

    crawl_site(site, tmp_path, db_path, **QUICK)
    fetches, words = article_fetches(db_path)
    assert [outcome for outcome, _ in fetches] == ["new", "quarantined", "changed"]
    assert words == [FULL_WORDS, STUB_WORDS]


def test_crawl_of_a_page_shrunk_once_then_whole_again_stores_no_version(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, **QUICK)
    full = site.pages[PAGE]
    site.pages[PAGE] = article_page(1, paragraphs=2)
    crawl_site(site, tmp_path, db_path, **QUICK)
    site.pages[PAGE] = full
    crawl_site(site, tmp_path, db_path, **QUICK)
    fetches, words = article_fetches(db_path)
    # the whole page is the stored one: its ETag still matches, the site answers 304
    assert [outcome for outcome, _ in fetches] == ["new", "quarantined", "not_modified"]
    assert words == [FULL_WORDS]
