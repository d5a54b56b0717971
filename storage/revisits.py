"""What the adaptive revisit policy needs to know of each archived article, read once per crawl."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class RevisitState:
    source: str
    last_changed_at: str  # when its current version was fetched (its first sighting, for version 1)
    last_checked_at: str | None  # articles.last_seen_at: the last 200 with a text or 304
    is_missing: bool  # answering 404/410 since `missing_since`: checked every night until gone


def revisit_states(db: Database, sources: Iterable[str]) -> dict[str, RevisitState]:
    """canonical URL -> RevisitState for every article of `sources`; one query, an index on source."""
    names = sorted(set(sources))
    if not names:
        return {}
    rows = db.execute(
        f"""SELECT a.canonical_url, a.source, coalesce(v.fetched_at, a.first_seen_at), a.last_seen_at,
                   a.missing_since IS NOT NULL AND a.gone_at IS NULL
            FROM articles a LEFT JOIN versions v ON v.article_id = a.id AND v.version = a.current_version
            WHERE a.source IN ({', '.join('?' * len(names))})""",  # noqa: S608 (only placeholders)
        names,
    ).fetchall()
    return {url: RevisitState(source, changed, checked, bool(missing))
            for url, source, changed, checked, missing in rows}
