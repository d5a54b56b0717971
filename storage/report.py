"""Read-only views of the archive for people: what is in it, what is newest."""

from __future__ import annotations

from sqlite_utils import Database


def articles_per_source(db: Database) -> list[dict]:
    return list(db.query(
        "SELECT s.name AS source, s.title, count(a.id) AS articles, "
        "coalesce(sum(a.current_version > 1), 0) AS with_updates "
        "FROM sources s LEFT JOIN articles a ON a.source = s.name GROUP BY s.name ORDER BY s.name"
    ))


def newest_articles(db: Database, limit: int = 10) -> list[dict]:
    """Latest versions, newest publication date first (undated ones last)."""
    return list(db.query(
        "SELECT a.source, v.title, v.published_at, v.language, a.canonical_url "
        "FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
        "ORDER BY v.published_at IS NULL, v.published_at DESC, a.id DESC LIMIT ?",
        [limit],
    ))
