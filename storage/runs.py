"""Crawl runs: one row per spider run, counts derived from its fetch outcomes."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction

# fetch outcome -> runs column it is counted in
_COUNTED = {
    "new": "articles_new",
    "changed": "articles_changed",
    "metadata": "articles_changed",
    "unchanged": "articles_unchanged",
    "not_modified": "articles_unchanged",
    "revived": "articles_unchanged",
    "gone": "articles_gone",
    "no_article": "no_article",
    "error": "errors",
}


def start_run(db: Database, spider: str, started_at: str) -> int:
    with write_transaction(db):
        cursor = db.execute("INSERT INTO runs (spider, started_at) VALUES (?, ?)", [spider, started_at])
    return int(cursor.lastrowid)


def finish_run(
    db: Database,
    run_id: int,
    *,
    finished_at: str,
    outcome: str,
    finish_reason: str | None = None,
    stats: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Close run `run_id` and return its counts, taken from the `fetches` rows it wrote."""
    counts = {column: 0 for column in set(_COUNTED.values())}
    rows = db.execute("SELECT outcome, count(*) FROM fetches WHERE run_id = ? GROUP BY outcome", [run_id])
    pages = 0
    for fetch_outcome, n in rows.fetchall():
        pages += n
        if fetch_outcome in _COUNTED:
            counts[_COUNTED[fetch_outcome]] += n
    assignments = ", ".join(f"{column} = ?" for column in counts)
    with write_transaction(db):
        db.execute(
            f"UPDATE runs SET finished_at = ?, outcome = ?, finish_reason = ?, pages_fetched = ?, "
            f"stats = ?, {assignments} WHERE id = ?",
            [finished_at, outcome, finish_reason, pages,
             json.dumps(stats or {}, default=str, sort_keys=True), *counts.values(), run_id],
        )
    return {"pages_fetched": pages, **counts}
