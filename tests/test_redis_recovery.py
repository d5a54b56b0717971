"""A worker and the writer killed with SIGKILL mid-night and restarted: nothing lost, nothing stored twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

from conftest import FAST, replica_netlocs, run_crawl
from redis_night import SPIDER, archive_dump, command, enqueue, finish, start, workers, writer

from crawler.redis_night import Keys, connect
from crawler.replica import Replica


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def articles_in(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_a_worker_and_the_writer_killed_mid_night_and_restarted_lose_nothing_and_store_nothing_twice(
        own_replica: Replica, redis_url: str, tmp_path: Path) -> None:
    # slower than FAST, so that both kills land while pages are still being fetched and stored
    settings = {"CRAWLER_ORIGIN_MAP": own_replica.origin_map(),
                "CRAWLER_NETGUARD_ALLOWED_PRIVATE": replica_netlocs(own_replica),
                **FAST, "DOWNLOAD_DELAY": 0.1, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
    one = tmp_path / "one.db"
    run_crawl(SPIDER, one, own_replica, timeout=120)
    many, logs = tmp_path / "many.db", tmp_path / "logs"
    logs.mkdir()
    enqueue(redis_url, many, SPIDER, 2, settings)
    client, keys = connect(redis_url), Keys()
    crawling = workers(redis_url, 2, settings, logs)
    storing = writer(redis_url, many, logs)
    # the worker with requests in its downloader right now
    wait_for(lambda: client.xlen(keys.stream) > 5 and any(client.hlen(keys.in_flight(SPIDER, n)) for n in (0, 1)))
    victim = next(shard for shard in (0, 1) if client.hlen(keys.in_flight(SPIDER, shard)))
    os.killpg(crawling[victim].pid, signal.SIGKILL)
    crawling[victim].wait()
    assert client.hlen(keys.in_flight(SPIDER, victim)) > 0  # what a plain scrapy-redis queue would have lost
    # delivered to the writer but not acknowledged: held back for template learning, or mid-batch
    wait_for(lambda: client.xpending(keys.stream, "writer")["pending"] > 3)
    os.killpg(storing.pid, signal.SIGKILL)
    storing.wait()
    stored_before = articles_in(many)
    crawling[victim] = start(command("worker", redis_url, "--shard", str(victim), settings=settings),
                             logs / f"worker{victim}.log")
    finish([*crawling, writer(redis_url, many, logs)], logs)
    expected, got = archive_dump(one), archive_dump(many)
    assert stored_before < len(expected["articles"])
    assert got["articles"] == expected["articles"]  # nothing lost
    assert got["versions"] == expected["versions"]  # one version each: nothing stored twice
    with sqlite3.connect(many) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        reasons = {row[0] for row in db.execute("SELECT finish_reason FROM run_sources")}
    assert reasons <= {"finished", "worker_restarted"}
    assert client.xpending(keys.stream, "writer")["pending"] == 0
    assert client.xlen(keys.stream) == 0  # every entry stored is deleted: the stream does not keep the night
