"""The export feed for downstream indexing: one JSON object per article, latest version only.

The format is stable and versioned (docs/export.md): fields are only ever added,
and a change that breaks readers raises FORMAT_VERSION. `article_row` is the one place a
line is built, so a new field (e.g. the duplicate cluster) is one line there.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

from sqlite_utils import Database

from storage.changes import Cutoff

FORMAT_VERSION = 2  # 2: `status`, `missing_since`; lines for articles missing or back since the cut-off

_SELECT = (
    "SELECT a.url, a.canonical_url, a.source, a.first_seen_at, a.last_seen_at, a.gone_at, "
    "s.status, s.missing_since, story.cluster_id, COALESCE(story.is_cluster_origin, 0) AS is_cluster_origin, "
    "origin.canonical_url AS duplicate_of, "
    "v.title, t.text, v.published_at, v.language, v.version, v.change_kind, v.run_id, v.fetched_at "
    "FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
    "JOIN article_status s ON s.article_id = a.id "
    "JOIN version_texts t ON t.version_id = v.id "  # an exact duplicate's text is stored once
    # the story (root cluster) and its origin, resolved through merged clusters
    "LEFT JOIN article_clusters story ON story.article_id = a.id "
    "LEFT JOIN articles origin ON origin.id = story.duplicate_of"
)
# when an article last changed: its current version, or its status since (missing, gone, back)
_CHANGED_AT = ("max(v.fetched_at, coalesce(s.missing_since, ''), coalesce(s.gone_at, ''), "
               "coalesce(s.returned_at, ''))")


def export_rows(db: Database, cutoff: Cutoff) -> Iterator[dict[str, Any]]:
    """Articles whose latest version or status is newer than `cutoff`, oldest change first."""
    where, params = cutoff.versions_sql()
    if cutoff.at is not None:
        # a status is news for an index too: it may hide a missing article, must drop a gone one
        # and show one that is back
        for column in ("s.missing_since", "s.gone_at", "s.returned_at"):
            since, bound = cutoff.status_sql(column)
            where, params = f"{where} OR {since}", [*params, *bound]
        where = f"({where})"
    for row in db.query(f"{_SELECT} WHERE {where} ORDER BY {_CHANGED_AT}, a.id", params):
        yield article_row(row)


def article_row(row: dict[str, Any]) -> dict[str, Any]:
    """One export line from a joined article + current-version row."""
    return {
        "format": FORMAT_VERSION,
        "url": row["url"],
        "canonical_url": row["canonical_url"],
        "source": row["source"],
        "title": row["title"],
        "text": row["text"],
        "published": row["published_at"],
        "language": row["language"],
        "version": row["version"],
        "change_kind": row["change_kind"],
        "changed_at": row["fetched_at"],
        "first_seen": row["first_seen_at"],
        "last_seen": row["last_seen_at"],
        "gone": row["gone_at"] is not None,
        "gone_at": row["gone_at"],
        "status": row["status"],
        "missing_since": row["missing_since"],
        "cluster_id": row["cluster_id"],
        "is_cluster_origin": bool(row["is_cluster_origin"]),
        "duplicate_of": row["duplicate_of"],
    }


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write `rows` as JSON Lines (UTF-8, not ASCII-escaped); returns how many."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
        count += 1
    return count


# the export line's fields in order, read off `article_row` so CSV cannot fall behind it
FIELDS = tuple(article_row(defaultdict(lambda: None)))


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write `rows` as CSV with a header line (the export line's fields; texts keep their newlines)."""
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
