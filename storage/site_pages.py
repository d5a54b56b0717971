"""Site-level pages in the archive: their fetches, the texts known as such, and taking back a stored one.

A site page (maintenance, login or cookie wall, soft 404) is never an article version: its
fetch is logged with outcome `site_page` (detail: `soft_404`, `maintenance`, `login` or
`repeated`) and nothing else is written, so the article keeps its last real version, its
validators and its place on the way to a tombstone (`site_page` is not in lifecycle.REACHED).

The text of a page served under many article URLs is remembered per source in `site_pages`
(by crawler.site_pages.site_key), so the next run knows it at once, even on a single URL.

A page may be found to be a site page only after it was stored (its first sightings of a run,
crawler.site_page_watch): `retract_fetch` takes that fetch back. It deletes the version it
added and puts the article's head back as it was (current version, text hash, validators,
sightings, tombstone), deletes an article that this fetch created, keeps the full-text index
on each article's current version, re-indexes the previous text for duplicates, and rewrites
the fetch's outcome to `site_page`. It is item in, rows out like the rest of storage.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.articles import HEAD_COLUMNS, Recorded, record_fetch
from storage.db import write_transaction
from storage.near_duplicates import DedupThresholds, forget_article, link_duplicates

SITE_PAGE = "site_page"
VERSIONED = ("new", "changed", "metadata")  # record_article outcomes that added a version
EXCERPT_CHARS = 200


class RetractError(RuntimeError):
    """A stored fetch could not be taken back (its version is no longer the current one)."""


def known_site_keys(db: Database, source: str) -> set[str]:
    """The text keys earlier runs found to be site pages of `source`."""
    return {row[0] for row in db.execute("SELECT key FROM site_pages WHERE source = ?", [source])}


def remember_site_page(db: Database, source: str, key: str, *, urls: int, run_id: int | None, at: str,
                       title: str | None, text: str) -> None:
    """Record (or refresh) that the text `key` is a site page of `source`."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO site_pages (source, key, urls, first_run_id, first_seen_at, last_seen_at, title, excerpt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source, key) DO UPDATE SET "
            "urls = max(urls, excluded.urls), last_seen_at = excluded.last_seen_at",
            [source, key, urls, run_id, at, at, title, text[:EXCERPT_CHARS]],
        )


def record_site_page(db: Database, *, run_id: int | None, source: str, url: str, fetched_at: str,
                     http_status: int | None, detail: str) -> str:
    """Log a fetch that found a site page instead of the article; nothing else is written."""
    return record_fetch(db, run_id=run_id, source=source, url=url, fetched_at=fetched_at, outcome=SITE_PAGE,
                        http_status=http_status, detail=detail)


def retract_fetch(db: Database, recorded: Recorded, *, run_id: int | None, url: str, detail: str,
                  dedup: DedupThresholds | None) -> None:
    """Take back what record_article stored for the fetch of `url` in run `run_id`; log it as a site page."""
    article_id = recorded.article_id
    with write_transaction(db):
        db.execute(
            "UPDATE fetches SET outcome = ?, detail = ? WHERE id = (SELECT max(id) FROM fetches "
            "WHERE run_id IS ? AND article_id = ? AND url = ? AND outcome = ?)",
            [SITE_PAGE, detail, run_id, article_id, url, recorded.outcome],
        )
        if recorded.outcome == "new" or recorded.previous is None:
            _delete_article(db, article_id)
            return
        if recorded.outcome in VERSIONED:
            _drop_head_version(db, article_id, recorded.version)
            if dedup is not None:
                text = db.execute("SELECT text FROM version_texts WHERE article_id = ? AND version = ?",
                                  [article_id, recorded.version - 1]).fetchone()[0]
                link_duplicates(db, article_id, text, version=recorded.version - 1, thresholds=dedup)
        assignments = ", ".join(f"{column} = ?" for column in HEAD_COLUMNS)
        db.execute(f"UPDATE articles SET {assignments} WHERE id = ?",  # noqa: S608 (fixed column names)
                   [*(recorded.previous[column] for column in HEAD_COLUMNS), article_id])


def _drop_head_version(db: Database, article_id: int, version: int) -> None:
    """Delete the article's current version `version`; the one before becomes current (and searchable)."""
    head = db.execute("SELECT current_version FROM articles WHERE id = ?", [article_id]).fetchone()
    if head is None or head[0] != version:
        raise RetractError(f"article {article_id}: version {version} is not its current version")
    version_id = _unindex(db, article_id, version)
    db.execute(
        "UPDATE articles SET current_version = ?, text_hash = "
        "(SELECT text_hash FROM versions WHERE article_id = ? AND version = ?) WHERE id = ?",
        [version - 1, article_id, version - 1, article_id],
    )
    db.execute("INSERT INTO versions_fts (rowid, title, text) SELECT id, title, text FROM versions "
               "WHERE article_id = ? AND version = ?", [article_id, version - 1])
    db.execute("DELETE FROM versions WHERE id = ?", [version_id])


def _delete_article(db: Database, article_id: int) -> None:
    """Delete an article whose only versions this run stored, with its index entries."""
    forget_article(db, article_id)
    current = db.execute("SELECT current_version FROM articles WHERE id = ?", [article_id]).fetchone()[0]
    _unindex(db, article_id, current)
    for version_id, digest in db.execute("SELECT id, text_hash FROM versions WHERE article_id = ? AND version != ?",
                                         [article_id, current]).fetchall():
        _hand_on_text(db, version_id, digest)
    db.execute("UPDATE fetches SET article_id = NULL WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM versions WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM articles WHERE id = ?", [article_id])


def _unindex(db: Database, article_id: int, version: int) -> int:
    """Take a current version out of the full-text index and hand its text on to the versions sharing it."""
    version_id, title, text, digest = db.execute(
        "SELECT id, title, text, text_hash FROM versions WHERE article_id = ? AND version = ?",
        [article_id, version],
    ).fetchone()
    # the index holds exactly the row's values: the insert and rewrite triggers keep it so
    db.execute("INSERT INTO versions_fts (versions_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
               [version_id, title, text])
    _hand_on_text(db, version_id, digest)
    return int(version_id)


def _hand_on_text(db: Database, version_id: int, digest: str) -> None:
    """Versions storing their text as a pointer to `version_id` get it back before it is deleted."""
    heirs = [row[0] for row in db.execute(
        "SELECT id FROM versions WHERE text_hash = ? AND text_version_id = ? ORDER BY id", [digest, version_id])]
    if not heirs:
        return
    db.execute("UPDATE versions SET text = (SELECT text FROM versions WHERE id = ?), text_version_id = NULL "
               "WHERE id = ?", [version_id, heirs[0]])
    db.execute("UPDATE versions SET text_version_id = ? WHERE text_version_id = ?", [heirs[0], version_id])
