"""Two workers of one night against one slow host: never faster than the per-host delay."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path

from hostile_server import HostileServer, write_sources
from redis_night import enqueue, finish, workers, writer

from crawler.redis_night import shard_of

DELAY = 0.4  # DOWNLOAD_DELAY, not randomised: the floor of every gap between two requests to one host
ARTICLES = 8


def test_two_workers_never_hit_one_slow_host_faster_than_its_delay(tmp_path: Path, redis_url: str) -> None:
    with HostileServer() as slow, ExitStack() as servers:
        other = servers.enter_context(HostileServer())
        while shard_of(other.origin, 2) == shard_of(slow.origin, 2):  # both workers crawl: another port
            other = servers.enter_context(HostileServer())
        paths = [f"/a{n}" for n in range(ARTICLES)]
        # both hosts' listings link every article of the slow host: both workers find them
        slow.page("/news/", links=paths)
        other.page("/news/", links=[f"{slow.origin}{path}" for path in paths])
        for path in paths:
            slow.article(path, title=f"Partnerschaft mit Stadt {path[2:]} vertieft")
            slow.routes[path].delay = 0.15  # slow answers: a second worker would overlap them
        sources = write_sources(tmp_path, {"town": {
            "start_urls": [f"{slow.origin}/news/", f"{other.origin}/news/"],
            "allowed_hosts": [slow.netloc, other.netloc],
            "listing_patterns": ["^/news/"], "article_patterns": ["^/a\\d"]}})
        settings = {"CRAWLER_SOURCES_PATH": str(sources),
                    "CRAWLER_NETGUARD_ALLOWED_PRIVATE": [slow.netloc, other.netloc],
                    "DOWNLOAD_DELAY": DELAY, "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
                    "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "CRAWLER_SOURCE_DELAYS_ENABLED": False}
        db_path, logs = tmp_path / "archive.db", tmp_path / "logs"
        logs.mkdir()
        enqueue(redis_url, db_path, "municipal", 2, settings)
        finish([*workers(redis_url, 2, settings, logs), writer(redis_url, db_path, logs)], logs)
        # robots.txt goes through Scrapy's slot for the host name without the port, one machine or many
        hits = sorted(hit.at for hit in slow.hits if hit.path != "/robots.txt")
        assert set(paths) <= {hit.path for hit in slow.hits}
        assert {hit.path for hit in other.hits} >= {"/news/"}
        assert [hit.path for hit in slow.hits].count("/robots.txt") == 1  # one worker asked it: one robots rule
    gaps = [later - earlier for earlier, later in pairwise(hits)]
    assert len(gaps) >= ARTICLES and min(gaps) >= DELAY * 0.95, gaps  # timer slack, never a second worker
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES
