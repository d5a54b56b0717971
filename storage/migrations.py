"""Schema of the archive. Shipped migrations are never edited: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("partnerwatch")


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            title TEXT,
            home_url TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            spider TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'running',
            finish_reason TEXT,
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_changed INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            no_article INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            stats TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            canonical_url TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL REFERENCES sources(name),
            url TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            current_version INTEGER NOT NULL,
            text_hash TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT
        )"""
    )
    db.execute("CREATE INDEX articles_source ON articles(source)")
    db.execute(
        """
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            fetched_at TEXT NOT NULL,
            change_kind TEXT NOT NULL,
            title TEXT,
            text TEXT NOT NULL,
            published_at TEXT,
            published_raw TEXT,
            author TEXT,
            language TEXT,
            language_probability REAL,
            text_hash TEXT NOT NULL,
            words_added INTEGER NOT NULL DEFAULT 0,
            words_removed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (article_id, version)
        )"""
    )
    db.execute(
        """
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            source TEXT,
            url TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id),
            fetched_at TEXT NOT NULL,
            http_status INTEGER,
            outcome TEXT NOT NULL,
            detail TEXT
        )"""
    )
    db.execute("CREATE INDEX fetches_run ON fetches(run_id)")
