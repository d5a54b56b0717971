"""The archive: versions only on real change, outcomes per fetch, runs counted from them."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from archive_items import Art

from storage.articles import record_article, record_fetch, text_hash
from storage.db import open_db, write_transaction
from storage.runs import finish_run, start_run


def versions(db) -> list[tuple]:
    return db.execute("SELECT version, change_kind, words_added, words_removed FROM versions ORDER BY id").fetchall()


def test_first_sight_is_version_one_new(db):
    run = start_run(db, "skew", "2026-01-01T00:00:00+00:00")
    recorded = record_article(db, Art(), source="skew", run_id=run, fetched_at="t1")
    assert (recorded.outcome, recorded.version) == ("new", 1)
    assert versions(db) == [(1, "new", 9, 0)]


def test_same_text_again_adds_no_version_but_updates_last_seen(db):
    record_article(db, Art(), source="skew", run_id=None, fetched_at="t1")
    again = record_article(db, Art(text=Art.text.replace("\n", "  \n ")), source="skew", run_id=None, fetched_at="t2")
    assert again.outcome == "unchanged"
    assert len(versions(db)) == 1
    assert db.execute("SELECT first_seen_at, last_seen_at FROM articles").fetchone() == ("t1", "t2")


def test_edited_text_adds_changed_version_with_word_delta(db):
    record_article(db, Art(), source="skew", run_id=None, fetched_at="t1")
    edited = Art(text="Erster Absatz über die neue Kooperation.\nZweiter Absatz mit Details.")
    assert record_article(db, edited, source="skew", run_id=None, fetched_at="t2").outcome == "changed"
    assert versions(db)[-1] == (2, "changed", 2, 1)
    assert db.execute("SELECT current_version FROM articles").fetchone() == (2,)


def test_title_or_date_only_change_is_metadata(db):
    record_article(db, Art(), source="skew", run_id=None, fetched_at="t1")
    assert record_article(db, Art(title="Neuer Titel"), source="skew", run_id=None, fetched_at="t2").outcome == "metadata"
    assert record_article(db, Art(title="Neuer Titel", published_at="2024-02-25"), source="skew",
                          run_id=None, fetched_at="t3").outcome == "metadata"
    assert [v[1] for v in versions(db)] == ["new", "metadata", "metadata"]


def test_canonical_url_is_the_identity(db):
    record_article(db, Art(url="https://example.org/a?utm_source=x", canonical_url="https://example.org/a"),
                   source="skew", run_id=None, fetched_at="t1")
    record_article(db, Art(url="https://mirror.example.org/a", canonical_url="https://example.org/a"),
                   source="skew", run_id=None, fetched_at="t2")
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (1,)


def test_failed_write_leaves_no_half_version(db, monkeypatch):
    record_article(db, Art(), source="skew", run_id=None, fetched_at="t1")
    # a fetch row that violates the foreign key makes the last statement of the transaction fail
    with pytest.raises(sqlite3.IntegrityError):
        record_article(db, Art(text="Ganz neuer Text."), source="skew", run_id=999, fetched_at="t2")
    assert versions(db) == [(1, "new", 9, 0)]
    assert db.execute("SELECT current_version, text_hash FROM articles").fetchone() == (1, text_hash(Art.text))


def test_write_transaction_rolls_back_on_error(db):
    with pytest.raises(RuntimeError), write_transaction(db):
        db.execute("INSERT INTO sources (name) VALUES ('x')")
        raise RuntimeError
    assert db.execute("SELECT count(*) FROM sources WHERE name = 'x'").fetchone() == (0,)


def test_run_counts_come_from_fetch_outcomes(db):
    run = start_run(db, "skew", "t0")
    record_article(db, Art(), source="skew", run_id=run, fetched_at="t1")
    record_article(db, Art(url="https://example.org/b"), source="skew", run_id=run, fetched_at="t1")
    record_article(db, replace(Art(), text="anders"), source="skew", run_id=run, fetched_at="t1")
    record_fetch(db, run_id=run, source="skew", url="https://example.org/c", fetched_at="t1", outcome="no_article")
    record_fetch(db, run_id=run, source="skew", url="https://example.org/d", fetched_at="t1", outcome="error", detail="TimeoutError")
    counts = finish_run(db, run, finished_at="t2", outcome="ok", finish_reason="finished")
    assert counts == {"pages_fetched": 5, "articles_new": 2, "articles_changed": 1, "articles_unchanged": 0,
                      "no_article": 1, "errors": 1, "articles_gone": 0}
    row = db.execute("SELECT outcome, articles_new, errors FROM runs WHERE id = ?", [run]).fetchone()
    assert row == ("ok", 2, 1)


def test_reopening_applies_no_migration_twice(tmp_path):
    first = open_db(tmp_path / "a.db")
    applied = first.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()
    first.close()
    db = open_db(tmp_path / "a.db")
    assert db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone() == applied
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_edit_note_dated_later_does_not_move_the_versions_publication_date(db):
    record_article(db, Art(published_raw="24.02.2024"), source="skew", run_id=None, fetched_at="t1")
    noted = Art(text=Art.text + "\nErgänzung vom 17.03.2025: Die Reise findet im Mai statt.",
                published_at="2025-03-17", published_raw="17.03.2025")
    recorded = record_article(db, noted, source="skew", run_id=None, fetched_at="t2")
    assert recorded.outcome == "changed"
    # the page's own date moved, not printed in the added text: the new date is taken
    redated = Art(text=Art.text + "\nNeuer Absatz.", published_at="2024-02-26",
                  published_raw="26.02.2024")
    record_article(db, redated, source="skew", run_id=None, fetched_at="t3")
    rows = db.execute("SELECT version, published_at FROM versions ORDER BY version").fetchall()
    assert rows == [(1, "2024-02-24"), (2, "2024-02-24"), (3, "2024-02-26")]
