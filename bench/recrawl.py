"""Benchmark: first crawl of the replica vs a re-crawl of the unchanged replica.

    .venv/bin/python bench/recrawl.py [--rounds 3]

Each round crawls the replica (state v1, rate limit off, no delays) with every spider into a
fresh archive, then again into the same archive: the second crawl sends conditional requests
and gets 304s, so it skips extraction. Prints, per round and as medians: the crawl time inside
Scrapy (spider open to close, `elapsed_time_seconds`, summed over the spiders), the whole
process time (interpreter and Scrapy start-up included), and the ratios first / re-crawl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from crawler.cli import SPIDERS
from crawler.replica import Replica
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from storage.db import open_db

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CRAWLER_SOURCE_DELAYS_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING"}


def crawl(replica: Replica, db_path: Path) -> tuple[float, float, int]:
    """All spiders one after another: (seconds inside Scrapy, wall seconds, pages fetched)."""
    started = time.perf_counter()
    for spider in SPIDERS:
        command = crawl_command(spider, CRAWLER_STORAGE_PATH=db_path, CRAWLER_ORIGIN_MAP=replica.origin_map(),
                                CRAWLER_NETGUARD_ALLOWED_PRIVATE=[urlsplit(u).netloc for u in replica.urls.values()],
                                **FAST)
        subprocess.run(command, env=crawl_env(), cwd=PROJECT_ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - started
    db = open_db(db_path)
    last = db.execute("SELECT stats, pages_fetched FROM runs ORDER BY id DESC LIMIT ?", [len(SPIDERS)]).fetchall()
    db.close()
    inside = sum(json.loads(stats).get("elapsed_time_seconds", 0.0) for stats, _ in last)
    return inside, wall, sum(pages for _, pages in last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    results = []
    with Replica(state="v1", rate_limit=False) as replica, tempfile.TemporaryDirectory() as scratch:
        for round_number in range(rounds):
            db_path = Path(scratch) / f"round{round_number}.db"
            first, again = crawl(replica, db_path), crawl(replica, db_path)
            results.append((first, again))
            print(f"round {round_number + 1}: first {first[0]:.2f} s in Scrapy / {first[1]:.2f} s wall "
                  f"({first[2]} pages); re-crawl {again[0]:.2f} s / {again[1]:.2f} s ({again[2]} pages); "
                  f"ratio {first[0] / again[0]:.1f}x in Scrapy, {first[1] / again[1]:.1f}x wall")
    inside = statistics.median(f[0] / a[0] for f, a in results)
    wall = statistics.median(f[1] / a[1] for f, a in results)
    print(f"median first crawl: {statistics.median(f[0] for f, _ in results):.2f} s in Scrapy, "
          f"{statistics.median(f[1] for f, _ in results):.2f} s wall")
    print(f"median re-crawl:    {statistics.median(a[0] for _, a in results):.2f} s in Scrapy, "
          f"{statistics.median(a[1] for _, a in results):.2f} s wall")
    print(f"median ratio first / re-crawl: {inside:.1f}x in Scrapy, {wall:.1f}x wall (goal: >= 10x)")


if __name__ == "__main__":
    main()
