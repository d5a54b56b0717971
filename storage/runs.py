"""Crawl runs: one row per run, one per source it crawled, every count derived from `fetches`.

A run is a crawl job (the nightly job or `partnerwatch crawl`): it may start several spider
processes, which all write their fetches under the run's id. A plain `scrapy crawl` is a run
of its own. Counts are never kept twice: they are a grouping of the fetch log by outcome
and detail, whatever outcomes the crawler writes.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction
from storage.lock import is_process_alive, process_identity

# fetch outcomes that stored or confirmed an article: a source that had articles must yield one
ARTICLE_OUTCOMES = frozenset({"new", "changed", "metadata", "unchanged", "not_modified"})

# fetch outcome -> runs column it is counted in (the totals columns of m001_initial)
_COUNTED = {
    "new": "articles_new",
    "changed": "articles_changed",
    "metadata": "articles_changed",
    "unchanged": "articles_unchanged",
    "not_modified": "articles_unchanged",
    "revived": "articles_unchanged",
    "gone": "articles_gone",
    "no_article": "no_article",
    "not_html": "no_article",  # a PDF, an image, random bytes: no article either (source counts tell them apart)
    "site_page": "no_article",  # maintenance, login wall, soft 404: no article either
    "error": "errors",
}


def start_run(db: Database, spider: str, started_at: str, *, trigger: str = "scrapy",
              run_date: str | None = None) -> int:
    with write_transaction(db):
        cursor = db.execute("INSERT INTO runs (spider, started_at, trigger, run_date, owner) VALUES (?, ?, ?, ?, ?)",
                            [spider, started_at, trigger, run_date, process_identity(os.getpid())])
    assert cursor.lastrowid is not None  # an INSERT into a rowid table sets it
    return int(cursor.lastrowid)


def finish_run(
    db: Database,
    run_id: int,
    *,
    finished_at: str,
    outcome: str,
    finish_reason: str | None = None,
    stats: dict[str, Any] | None = None,
    failures: list[str] | None = None,
) -> dict[str, int]:
    """Close run `run_id` and return its counts, taken from the `fetches` rows it wrote."""
    counts = dict.fromkeys(set(_COUNTED.values()), 0)
    pages = 0
    for fetch_outcome, n in _outcome_totals(db, run_id).items():
        pages += n
        if fetch_outcome in _COUNTED:
            counts[_COUNTED[fetch_outcome]] += n
    assignments = ", ".join(f"{column} = ?" for column in counts)
    with write_transaction(db):
        db.execute(
            f"UPDATE runs SET finished_at = ?, outcome = ?, finish_reason = ?, pages_fetched = ?, "  # noqa: S608 (fixed column names)
            f"stats = ?, failures = ?, {assignments} WHERE id = ?",
            [finished_at, outcome, finish_reason, pages,
             json.dumps(stats or {}, default=str, sort_keys=True),
             json.dumps(failures) if failures else None, *counts.values(), run_id],
        )
    return {"pages_fetched": pages, **counts}


def record_run_source(db: Database, run_id: int, *, source: str, spider: str, started_at: str | None,
                      finished_at: str | None, finish_reason: str | None, requests: int,
                      responses_ok: int, exceptions: dict[str, int]) -> None:
    """What a spider process saw of one source: its close reason, requests and exceptions."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO run_sources (run_id, source, spider, started_at, finished_at, finish_reason, "
            "requests, responses_ok, exceptions) VALUES (?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(run_id, source) DO UPDATE SET spider = excluded.spider, "
            "started_at = excluded.started_at, finished_at = excluded.finished_at, "
            "finish_reason = excluded.finish_reason, requests = excluded.requests, "
            "responses_ok = excluded.responses_ok, exceptions = excluded.exceptions",
            [run_id, source, spider, started_at, finished_at, finish_reason, requests, responses_ok,
             json.dumps(exceptions, sort_keys=True) if exceptions else None],
        )


def record_exit(db: Database, run_id: int, *, spider: str, sources: list[str], exit_code: int) -> None:
    """The exit status of the process that crawled `sources`; a source it never reported gets a row."""
    with write_transaction(db):
        for source in sources:
            db.execute(
                "INSERT INTO run_sources (run_id, source, spider, exit_code) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(run_id, source) DO UPDATE SET exit_code = excluded.exit_code",
                [run_id, source, spider, exit_code],
            )


def close_run(db: Database, run_id: int, *, finished_at: str, outcome: str | None = None,
              failures: list[str] | None = None, finish_reason: str | None = None,
              stats: dict[str, Any] | None = None) -> str:
    """Judge every source of the run, then the run; return its outcome (ok, failed or `outcome`)."""
    started_at = db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()[0]
    counts = source_counts(db, run_id)
    reasons = list(failures or [])
    for row in db.query("SELECT * FROM run_sources WHERE run_id = ? ORDER BY source", [run_id]):
        had_articles = db.execute("SELECT count(*) FROM articles WHERE source = ? AND first_seen_at < ?",
                                  [row["source"], started_at]).fetchone()[0] > 0
        source_failures = judge_source(row, counts.get(row["source"], {}), had_articles)
        with write_transaction(db):
            db.execute("UPDATE run_sources SET outcome = ?, failures = ? WHERE run_id = ? AND source = ?",
                       ["failed" if source_failures else "ok",
                        json.dumps(source_failures) if source_failures else None, run_id, row["source"]])
        reasons += [f"{row['source']}: {why}" for why in source_failures]
    final = outcome or ("failed" if reasons else "ok")
    finish_run(db, run_id, finished_at=finished_at, outcome=final, finish_reason=finish_reason, stats=stats,
               failures=reasons)
    return final


def judge_source(row: dict[str, Any], counts: dict[str, int], had_articles: bool) -> list[str]:
    """Why one source's crawl failed (empty: it did not). Scrapy's "finished" alone proves nothing."""
    reasons = []
    if row["exit_code"] not in (None, 0):
        reasons.append(f"crawl process exited with status {row['exit_code']}")
    if row["finish_reason"] is None:
        reasons.append("the crawl process never reported on this source")
    elif row["finish_reason"] == "disk_full":
        reasons.append("disk full: the archive could not be written, the crawl stopped early")
    elif row["finish_reason"] != "finished":
        reasons.append(f"spider closed with reason {row['finish_reason']!r}")
    exceptions = json.loads(row["exceptions"] or "{}")
    if exceptions:
        listed = ", ".join(f"{name} ×{n}" for name, n in sorted(exceptions.items()))
        reasons.append(f"{sum(exceptions.values())} exception(s) raised: {listed}")
    if row["requests"] and not row["responses_ok"]:
        reasons.append(f"every request failed ({row['requests']} requests)")
    fetched, failed = sum(counts.values()), counts.get("error", 0)
    if failed * 2 > fetched and row["responses_ok"]:  # reliability.md H21: most of the site is broken tonight
        reasons.append(f"{failed} of {fetched} article fetches failed")
    yielded = sum(n for outcome, n in counts.items() if outcome in ARTICLE_OUTCOMES)
    if had_articles and not yielded and row["finish_reason"] is not None:
        why = "the source had articles but this run found none"
        if counts.get("not_html"):  # every page a download or an image tonight: say so
            why += f" ({counts['not_html']} answered with a body that is no text page: not_html)"
        if counts.get("site_page"):  # a maintenance night or a login wall: say so
            why += f" ({counts['site_page']} answered with the site's own page: site_page)"
        reasons.append(why)
    return reasons


def source_counts(db: Database, run_id: int) -> dict[str, dict[str, int]]:
    """{source: {fetch outcome: count}} for run `run_id`."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in db.query("SELECT source, outcome, sum(fetches) AS n FROM run_source_counts "
                        "WHERE run_id = ? GROUP BY source, outcome", [run_id]):
        counts[row["source"]][row["outcome"]] = row["n"]
    return dict(counts)


def outcome_details(db: Database, run_id: int) -> dict[str, dict[str, dict[str, int]]]:
    """{source: {outcome: {detail: count}}} for outcomes that carry a detail (error class, reason)."""
    details: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in db.query("SELECT source, outcome, detail, fetches FROM run_source_counts "
                        "WHERE run_id = ? AND detail IS NOT NULL", [run_id]):
        details[row["source"]][row["outcome"]][row["detail"]] = row["fetches"]
    return {source: dict(outcomes) for source, outcomes in details.items()}


def run_for_date(db: Database, run_date: str) -> dict[str, Any] | None:
    """The scheduled run serving night `run_date` that ran or runs (an aborted one does not count)."""
    rows = list(db.query("SELECT * FROM runs WHERE run_date = ? AND outcome != 'aborted' "
                         "ORDER BY id LIMIT 1", [run_date]))
    return rows[0] if rows else None


def abort_unfinished_runs(db: Database, finished_at: str) -> list[int]:
    """Mark runs left `running` by a process that is gone as aborted; a live owner's run stays."""
    ids = [row[0] for row in db.execute("SELECT id, owner FROM runs WHERE outcome = 'running'").fetchall()
           if not is_process_alive(row[1])]
    with write_transaction(db):
        for run_id in ids:
            db.execute("UPDATE runs SET outcome = 'aborted', finished_at = ?, failures = ? WHERE id = ?",
                       [finished_at, json.dumps(["the run's process ended without closing it"]), run_id])
    return ids


def run_report(db: Database, run_id: int) -> dict[str, Any]:
    """Everything about one run, per source, as plain data (the run report file)."""
    run = next(db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
    counts, details = source_counts(db, run_id), outcome_details(db, run_id)
    sources = {}
    for row in db.query("SELECT * FROM run_sources WHERE run_id = ? ORDER BY source", [run_id]):
        name = row["source"]
        sources[name] = {
            "spider": row["spider"], "outcome": row["outcome"], "failures": json.loads(row["failures"] or "[]"),
            "exit_code": row["exit_code"], "finish_reason": row["finish_reason"],
            "pages_fetched": sum(counts.get(name, {}).values()), "counts": counts.get(name, {}),
            "details": details.get(name, {}), "exceptions": json.loads(row["exceptions"] or "{}"),
            "requests": row["requests"], "responses_ok": row["responses_ok"],
        }
    keys = ("id", "trigger", "run_date", "started_at", "finished_at", "outcome", "pages_fetched",
            "articles_new", "articles_changed", "articles_unchanged", "no_article", "errors")
    return {**{key: run[key] for key in keys}, "failures": json.loads(run["failures"] or "[]"),
            "sources": sources}


def _outcome_totals(db: Database, run_id: int) -> dict[str, int]:
    rows = db.execute("SELECT outcome, count(*) FROM fetches WHERE run_id = ? GROUP BY outcome", [run_id])
    return dict(rows.fetchall())


def recent_source_runs(db: Database, per_source: int = 3) -> list[dict[str, Any]]:
    """The last `per_source` runs of every source, newest first, with their fetch counts."""
    rows = list(db.query(
        "SELECT * FROM (SELECT rs.source, rs.run_id, rs.outcome, rs.failures, r.started_at, r.trigger, "
        "row_number() OVER (PARTITION BY rs.source ORDER BY r.started_at DESC, r.id DESC) AS nth "
        "FROM run_sources rs JOIN runs r ON r.id = rs.run_id) WHERE nth <= ? ORDER BY source, nth",
        [per_source],
    ))
    for row in rows:
        row["counts"] = source_counts(db, row["run_id"]).get(row["source"], {})
        row["failures"] = json.loads(row["failures"] or "[]")
    return rows


def last_crawl_seconds(db: Database) -> dict[str, float]:
    """{source: seconds the crawl process of its latest reported crawl took, spider open to close}."""
    # SQLite takes the bare columns from the row holding max(run_id): the latest run per source
    rows = db.execute("SELECT source, max(run_id), (julianday(finished_at) - julianday(started_at)) * 86400 "
                      "FROM run_sources WHERE started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY source")
    return {source: seconds for source, _, seconds in rows.fetchall()}


def last_success_per_source(db: Database) -> dict[str, str]:
    """{source: start of its newest successful run}."""
    rows = db.execute("SELECT rs.source, max(r.started_at) FROM run_sources rs JOIN runs r ON r.id = rs.run_id "
                      "WHERE rs.outcome = 'ok' GROUP BY rs.source")
    return dict(rows.fetchall())
