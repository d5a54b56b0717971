"""Full-text search over the current version of every article (FTS5 table `versions_fts`).

`versions_fts` is an external-content index over `versions` that holds only each article's
current version; a trigger (migration m002) swaps the old head for the new one inside the
same transaction as the version insert, so search is always in step with the archive.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

# also Datasette's canned query "search" (crawler/datasette.yml), which matches `fts_query(:q)`
SEARCH_SQL = (
    "SELECT v.title, a.source, snippet(versions_fts, 1, '[', ']', '…', 12) AS snippet,\n"
    "  v.published_at, v.version, s.status, a.canonical_url, a.id AS article_id, a.gone_at\n"
    "FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid JOIN articles a ON a.id = v.article_id\n"
    "JOIN article_status s ON s.article_id = a.id\n"
    "WHERE versions_fts MATCH {match} ORDER BY rank LIMIT 100"
)
PREFIX_MIN_CHARS = 4  # shorter words match whole: "EU*" would find every "europa"
_QUOTED_OR_SPACE = re.compile(r'\s+|(".*?")')


def fts_query(words: str) -> str:
    """User input as a safe FTS5 query: every word must occur, as a word or a word's start.

    A German compound's inflections share its start, so `Klimapartnerschaft` also finds
    `Klimapartnerschaften`; punctuation is taken literally (`Treptow-Köpenick` is the phrase
    "treptow köpenick", not a column filter); a "quoted phrase" is matched exactly.
    """
    if words.count('"') % 2:
        words += '"'
    terms = []
    for bit in _QUOTED_OR_SPACE.split(words):
        if not bit or bit == '""':
            continue
        if bit.startswith('"'):
            terms.append('"' + bit[1:-1].replace('"', '""') + '"')
            continue
        word = bit.rstrip("*")  # a typed `term*` asks for the prefix match anyway
        prefix = bit != word or (len(word) >= PREFIX_MIN_CHARS and word[-1].isalnum())
        if word:
            terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms) or '""'  # nothing to look for: an empty phrase, which matches nothing


def search(db: Database, words: str) -> list[dict]:
    """Current articles matching `words` as Datasette's search box matches them (`fts_query`)."""
    return list(db.query(SEARCH_SQL.format(match=":q"), {"q": fts_query(words)}))


def indexed_version_ids(db: Database) -> set[int]:
    """The version ids the index holds, read from the index itself (not its content table)."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.versions_fts_docs "
               "USING fts5vocab(main, versions_fts, instance)")
    return {row[0] for row in db.execute("SELECT DISTINCT doc FROM temp.versions_fts_docs")}


def head_version_ids(db: Database) -> set[int]:
    """The version ids that are some article's current version: what the index should hold."""
    return {row[0] for row in db.execute(
        "SELECT v.id FROM versions v JOIN articles a ON a.id = v.article_id AND v.version = a.current_version"
    )}
