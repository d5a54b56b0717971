"""A night on two workers and one writer through a real redis-server archives what one machine does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import FAST, replica_netlocs, run_crawl
from redis_night import SPIDER, archive_dump, enqueue, finish, workers, writer

from crawler.replica import Replica


def replica_settings(replica: Replica) -> dict:
    return {"CRAWLER_ORIGIN_MAP": replica.origin_map(), "CRAWLER_NETGUARD_ALLOWED_PRIVATE": replica_netlocs(replica),
            **FAST}


def night(redis_url: str, db_path: Path, replica: Replica, logs: Path, shards: int = 2) -> None:
    logs.mkdir(exist_ok=True)
    settings = replica_settings(replica)
    enqueue(redis_url, db_path, SPIDER, shards, settings)
    finish([*workers(redis_url, shards, settings, logs), writer(redis_url, db_path, logs)], logs)


def test_two_workers_and_one_writer_archive_the_same_articles_versions_and_clusters_as_one_machine(
        own_replica: Replica, redis_url: str, tmp_path: Path) -> None:
    one, many = tmp_path / "one.db", tmp_path / "many.db"
    for state in ("v1", "v2"):  # v2: new, changed and removed articles
        own_replica.set_state(state)
        run_crawl(SPIDER, one, own_replica, timeout=120)
        night(redis_url, many, own_replica, tmp_path / f"logs-{state}")
    expected, got = archive_dump(one), archive_dump(many)
    assert len(expected["articles"]) > 40 and any(v[1] > 1 for v in expected["versions"]) and expected["clusters"]
    assert any(not is_alive for *_, is_alive in expected["articles"])  # gone: found by revisiting unlinked ones
    assert got == expected
    db = sqlite3.connect(many)
    runs = db.execute("SELECT id, finished_at IS NOT NULL FROM runs ORDER BY id").fetchall()
    per_source = db.execute("SELECT count(DISTINCT source), min(requests), min(finish_reason) FROM run_sources "
                            "WHERE run_id = ?", [runs[-1][0]]).fetchone()
    assert [closed for _, closed in runs] == [1, 1]
    assert per_source[0] == 4 and per_source[1] > 0 and per_source[2] == "finished"
    assert run_counts(many) == run_counts(one)  # per source and run: requests, good responses, fetch outcomes


def run_counts(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        sources = db.execute("SELECT run_id, source, requests, responses_ok, outcome FROM run_sources").fetchall()
        fetches = db.execute("SELECT run_id, source, outcome, count(*) FROM fetches GROUP BY 1, 2, 3").fetchall()
    return sorted(sources) + sorted(fetches)
