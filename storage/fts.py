"""Full-text search over the current version of every article (FTS5 table `versions_fts`).

`versions_fts` is an external-content index over `versions` that holds only each article's
current version; a trigger (migration m002) swaps the old head for the new one inside the
same transaction as the version insert, so search is always in step with the archive.
"""

from __future__ import annotations

from sqlite_utils import Database

# also Datasette's canned query "search" (crawler/datasette.yml), where :q is FTS5 syntax
SEARCH_SQL = (
    "SELECT a.source, v.title, a.canonical_url, v.published_at, v.version, a.gone_at,\n"
    "  snippet(versions_fts, 1, '[', ']', '…', 12) AS snippet\n"
    "FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid JOIN articles a ON a.id = v.article_id\n"
    "WHERE versions_fts MATCH :q ORDER BY rank LIMIT 100"
)


def search(db: Database, words: str) -> list[dict]:
    """Current articles containing every word of `words` (taken literally, not FTS syntax)."""
    query = " ".join('"' + word.replace('"', '""') + '"' for word in words.split())
    if not query:
        return []
    return list(db.query(SEARCH_SQL, {"q": query}))


def indexed_version_ids(db: Database) -> set[int]:
    """The version ids the index holds, read from the index itself (not its content table)."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.versions_fts_docs USING fts5vocab(main, versions_fts, instance)")
    return {row[0] for row in db.execute("SELECT DISTINCT doc FROM temp.versions_fts_docs")}


def head_version_ids(db: Database) -> set[int]:
    """The version ids that are some article's current version: what the index should hold."""
    return {row[0] for row in db.execute(
        "SELECT v.id FROM versions v JOIN articles a ON a.id = v.article_id AND v.version = a.current_version"
    )}
