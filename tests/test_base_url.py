"""`scrapy crawl SPIDER -a source=NAME -a base_url=http://127.0.0.1:PORT`, as the README documents,
crawls a locally served copy in one flag: the net guard lets that loopback endpoint, and only it, through."""

from __future__ import annotations

import sqlite3
import subprocess

from conftest import FAST

from crawler.replica.catalog import REAL_ORIGINS
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env


def test_a_local_copy_named_by_base_url_is_crawled_without_a_netguard_setting(own_replica, tmp_path):
    db_path = tmp_path / "archive.db"
    command = crawl_command("skew", {"source": "skew", "base_url": own_replica.urls["skew"]},
                            CRAWLER_STORAGE_PATH=db_path, **FAST)
    result = subprocess.run(command, env=crawl_env(), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(db_path)
    urls = [row[0] for row in db.execute("SELECT canonical_url FROM articles")]
    assert len(urls) >= 10 and all(url.startswith(REAL_ORIGINS["skew"]) for url in urls)
    # the allowance is that one endpoint: the replica's other sites were never asked
    assert {hit.site for hit in own_replica.hits} == {"skew"}
