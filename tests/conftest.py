"""Shared fixtures: the replica on 127.0.0.1, crawls in real subprocesses, an archive, a town site."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from change_site import Site, serving

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from spiders.sources import SPIDERS
from storage.articles import ensure_source
from storage.db import open_db

if TYPE_CHECKING:
    from crawler.replica import Replica

# Fast but still polite to the replica: no delays (the replica's rate limit is off), no throttling.
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CRAWLER_SOURCE_DELAYS_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    """The replica in state v1, shared by tests that only read it."""
    from crawler.replica import Replica

    with Replica(state="v1", rate_limit=False) as served:
        yield served


@pytest.fixture
def db(tmp_path: Path):
    """An archive with the source skew; a module needing other sources defines its own `db`."""
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "skew", "SKEW", "https://skew.example/")
    yield db
    db.close()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server of this test's own on a free loopback port (tests/redis_night.py)."""
    from redis_night import redis_server

    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def site() -> Iterator[Site]:
    """A town site of six articles on 127.0.0.1; a module needing another site defines its own."""
    served = Site()
    served.publish(6)
    with serving(served):
        yield served


@pytest.fixture
def own_replica() -> Iterator[Replica]:
    """A replica of this test's own, for tests that switch states or count hits."""
    from crawler.replica import Replica

    with Replica(state="v1", rate_limit=False) as served:
        yield served


def replica_netlocs(replica: Replica) -> list[str]:
    """The replica's 127.0.0.1 ports: the only private addresses a test crawl may reach."""
    return [urlsplit(url).netloc for url in replica.urls.values()]


def run_crawl(spider: str, db_path: Path, replica: Replica, args: dict[str, str] | None = None,
              timeout: float = 240, check: bool = True, **settings) -> subprocess.CompletedProcess:
    """`scrapy crawl SPIDER` against the replica, in a subprocess, into `db_path`."""
    settings = {"CRAWLER_STORAGE_PATH": db_path, "CRAWLER_ORIGIN_MAP": replica.origin_map(),
                "CRAWLER_NETGUARD_ALLOWED_PRIVATE": replica_netlocs(replica), **FAST, **settings}
    result = subprocess.run(crawl_command(spider, args, **settings), env=crawl_env(), cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"crawl {spider} exited {result.returncode}:\n{result.stderr[-4000:]}")
    return result


def crawl_all(replica: Replica, db_path: Path) -> None:
    """Every spider at once, as three processes writing one archive (BEGIN IMMEDIATE, no lock errors)."""
    settings = {"CRAWLER_STORAGE_PATH": db_path, "CRAWLER_ORIGIN_MAP": replica.origin_map(),
                "CRAWLER_NETGUARD_ALLOWED_PRIVATE": replica_netlocs(replica), **FAST}
    processes = [subprocess.Popen(crawl_command(spider, **settings), env=crawl_env(), cwd=PROJECT_ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for spider in SPIDERS]
    for process in processes:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr[-4000:]
        assert "database is locked" not in stderr
