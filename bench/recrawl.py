"""Benchmark: first crawl vs a re-crawl of the same unchanged pages.

    .venv/bin/python bench/recrawl.py [--rounds 3]                       # the generated 3,000-article site
    .venv/bin/python bench/recrawl.py --site press                       # the press room site of press_site.py
    .venv/bin/python bench/recrawl.py --replica [--rounds 3]             # the small replica

Each round crawls the pages (no delays) into a fresh archive, then again into the same
archive: the second crawl sends conditional requests and gets 304s, so it skips extraction.
The default target is the seeded town site of bench/throughput.py (3,000 articles, 150
listings, served from memory with ETags); `--replica` uses the replica (state v1, every
spider), where process start-up and listings dominate because it has only ~80 articles. Prints, per round and as medians: the crawl time inside
Scrapy (spider open to close, `elapsed_time_seconds`, summed over the spiders), the whole
process time (interpreter and Scrapy start-up included), and the ratios first / re-crawl.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from throughput import DEFAULT_SITE_DIR, crawl_site_command, ensure_site, start_server

from crawler.replica import Replica
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from spiders.sources import SPIDERS
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


def crawl_generated(origin: str, site: Path, work: Path, db_path: Path) -> tuple[float, float, int]:
    """One crawl of the generated site: (seconds inside Scrapy, wall seconds, pages fetched)."""
    started = time.perf_counter()
    subprocess.run(crawl_site_command(origin, site, work, db_path), env=crawl_env(), cwd=PROJECT_ROOT,
                   check=True, capture_output=True)
    wall = time.perf_counter() - started
    db = open_db(db_path)
    stats, pages = db.execute("SELECT stats, pages_fetched FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    return json.loads(stats).get("elapsed_time_seconds", 0.0), wall, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replica", action="store_true", help="crawl the replica instead of the generated site")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--site", choices=("own", "press"), default="own", help="which generated site")
    options = parser.parse_args()
    results = []
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if options.replica:
            replica = stack.enter_context(Replica(state="v1", rate_limit=False))
            run = partial(crawl, replica)
        else:
            site = ensure_site(DEFAULT_SITE_DIR, options.articles, seed=1, kind=options.site)
            server, origin = start_server(site)
            stack.callback(server.terminate)
            run = partial(crawl_generated, origin, site, scratch)
        for round_number in range(options.rounds):
            db_path = scratch / f"round{round_number}.db"
            first, again = run(db_path), run(db_path)
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
