"""What the archive knows before a run, what a fetch shows (seen, missing) and what a completed
run concludes (gone, unlinked).

A 404/410 is shown at once: the article is `missing` from that fetch on, and any later answer
with its text makes it `live` again (view `article_status`). But a single 404 is no proof that
an article is gone (a CMS hiccup, a site move), and an article missing from the listings may
only have slid off the last listing page. So the tombstone and the unlinked flag are judged
once per *completed* run, per source, and only for sources whose discovery found links
(reliability.md H4, H21): a crashed, failed or blind run concludes nothing. A 410 says
"deleted for good": a completed run that got one tombstones the article at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from storage.db import write_transaction

# fetch outcomes that prove the article's page was reachable this run (and showed its text)
REACHED = ("new", "changed", "metadata", "unchanged", "not_modified", "revived", "quarantined")
REACHED_SQL = "(" + ", ".join(f"'{outcome}'" for outcome in REACHED) + ")"

# the article columns a fetch that reached the article's text sets (parameters: `seen_params`):
# seen now, neither missing nor on its way to a tombstone, and a comeback dated for `changes`
SEEN_SQL = ("last_seen_at = ?, gone_streak = 0, gone_at = NULL, missing_since = NULL, "
            "returned_at = CASE WHEN missing_since IS NULL AND gone_at IS NULL THEN returned_at ELSE ? END")


def seen_params(at: str) -> list[str]:
    """The parameters of SEEN_SQL for a fetch at `at`."""
    return [at, at]


def note_missing(db: Database, article_id: int, run_id: int | None, at: str) -> None:
    """A 404/410 for a known article: missing since `at` (or since its streak began).

    A run that already reached the article's text (another URL of it) keeps it live, as the
    run's conclusion does not count this miss either.
    """
    db.execute(
        "UPDATE articles SET missing_since = coalesce(missing_since, ?) WHERE id = ? AND NOT EXISTS "  # noqa: S608 (fixed REACHED_SQL)
        f"(SELECT 1 FROM fetches WHERE article_id = ? AND run_id = ? AND outcome IN {REACHED_SQL})",
        [at, article_id, article_id, run_id],
    )


@dataclass(frozen=True)
class Known:
    """An archived article as the crawler needs it: where it is, and how to ask if it changed."""

    url: str
    canonical_url: str
    source: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    is_gone: bool


def load_known(db: Database, sources: Iterable[str] | None = None) -> list[Known]:
    """Every archived article (of `sources`, when given), read once at the start of a crawl."""
    sql = "SELECT url, canonical_url, source, etag, last_modified, body_hash, gone_at IS NOT NULL FROM articles"
    params: list[str] = []
    if sources is not None:
        params = sorted(set(sources))
        sql += f" WHERE source IN ({', '.join('?' * len(params))})"
    rows = db.execute(sql, params).fetchall()
    return [Known(url, canonical_url, source, etag, last_modified, body_hash, bool(is_gone))
            for url, canonical_url, source, etag, last_modified, body_hash, is_gone in rows]


def conclude_run(
    db: Database, run_id: int, linked: Mapping[str, Iterable[str]], *, gone_after: int, at: str
) -> dict[str, int]:
    """Count 404/410 streaks, write tombstones and unlinked flags for each source in `linked`.

    `linked` maps a source to the article URLs its listings, feeds and sitemaps linked this
    run; a source that linked nothing is skipped (its discovery failed). Call this only for a
    run that completed normally. Returns how many articles became gone and unlinked.
    """
    counts = {"gone": 0, "unlinked": 0}
    with write_transaction(db):
        db.execute("CREATE TEMP TABLE IF NOT EXISTS linked_urls (url TEXT PRIMARY KEY)")
        for source, urls in linked.items():
            db.execute("DELETE FROM temp.linked_urls")
            db.conn.executemany("INSERT OR IGNORE INTO temp.linked_urls VALUES (?)", ((u,) for u in urls))
            if db.execute("SELECT count(*) FROM temp.linked_urls").fetchone()[0] == 0:
                continue
            counts["gone"] += _count_gone(db, run_id, source, gone_after, at)
            counts["unlinked"] += _flag_unlinked(db, run_id, source, at)
    return counts


def _count_gone(db: Database, run_id: int, source: str, gone_after: int, at: str) -> int:
    # answered 404/410 this run, and never with its text (a 200 or 304 of another URL of it)
    missed = ("SELECT article_id FROM fetches WHERE run_id = ? AND outcome = 'gone' AND article_id IS NOT NULL "  # noqa: S608 (fixed REACHED_SQL)
              f"EXCEPT SELECT article_id FROM fetches WHERE run_id = ? AND outcome IN {REACHED_SQL}")
    db.execute(f"UPDATE articles SET gone_streak = gone_streak + 1 WHERE source = ? AND id IN ({missed})",  # noqa: S608 (fixed subquery)
               [source, run_id, run_id])
    cursor = db.execute(
        "UPDATE articles SET gone_at = ? WHERE source = ? AND gone_at IS NULL AND (gone_streak >= ? OR id IN "  # noqa: S608 (fixed subquery)
        f"(SELECT article_id FROM fetches WHERE run_id = ? AND http_status = 410 AND article_id IN ({missed})))",
        [at, source, gone_after, run_id, run_id, run_id],
    )
    return cursor.rowcount


def _flag_unlinked(db: Database, run_id: int, source: str, at: str) -> int:
    is_linked = "(url IN (SELECT url FROM temp.linked_urls) OR canonical_url IN (SELECT url FROM temp.linked_urls))"
    db.execute(f"UPDATE articles SET unlinked_at = NULL WHERE source = ? AND {is_linked}", [source])  # noqa: S608 (fixed condition)
    cursor = db.execute(
        f"UPDATE articles SET unlinked_at = ? WHERE source = ? AND unlinked_at IS NULL AND gone_at IS NULL "  # noqa: S608 (fixed condition)
        f"AND NOT {is_linked} AND id IN (SELECT article_id FROM fetches WHERE run_id = ? AND outcome IN {REACHED_SQL})",
        [at, source, run_id],
    )
    return cursor.rowcount
