"""Benchmark: first crawl vs a re-crawl of the same unchanged pages, and the re-crawl vs bare Scrapy.

    .venv/bin/python bench/recrawl.py [--rounds 3]                 # both generated sites, 3,000 articles each
    .venv/bin/python bench/recrawl.py --site press --articles 300 --rounds 1     # a smoke run
    .venv/bin/python bench/recrawl.py --replica [--rounds 3]       # the small replica

Each round crawls the pages (no delays) into a fresh archive, then again into the same
archive: the second crawl sends conditional requests and gets 304s, so it skips extraction.
The default targets are the seeded sites of bench/throughput.py (`own`, the town, and `press`,
the press room; 3,000 articles each, served from memory with ETags). On them each round also
runs the floor (bench/bare_recrawl.py): bare Scrapy, outside the project, sending the same
requests (listings plain, articles with their ETag) and doing nothing with the answers; before
the crawls in odd rounds, after them in even ones. `--replica` uses the replica (state v1, every
spider), where process start-up and listings dominate because it has only ~80 articles.

Prints first the provenance (commit, load, versions); per round the crawl time inside Scrapy
(spider open to close, `elapsed_time_seconds`, summed over the spiders), the whole process time
(interpreter and Scrapy start-up included), the CPU of the process tree (the kernel's accounting of
reaped children, start-up included), the ratios first / re-crawl and re-crawl / floor, and the
load before and after; then medians per site, with the goal of issue 14 (re-crawl at most 1.3x the
floor in time inside Scrapy, in wall time and in CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bare_recrawl import run_floor
from proctree import conditions
from throughput import CRAWL_SETTINGS, DEFAULT_SITE_DIR, crawl_site_command, ensure_site, start_server

from crawler.replica import Replica
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from spiders.sources import SPIDERS
from storage.db import open_db

GOAL_FLOOR_RATIO = 1.3  # issue 14: a re-crawl at most 1.3x what bare Scrapy needs for the same requests
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CRAWLER_SOURCE_DELAYS_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING"}


def crawl(replica: Replica, db_path: Path) -> tuple[float, float, int, float]:
    """All spiders one after another: (seconds inside Scrapy, wall seconds, pages fetched, CPU seconds)."""
    started, cpu = time.perf_counter(), children_cpu()
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
    return inside, wall, sum(pages for _, pages in last), children_cpu() - cpu


def crawl_generated(origin: str, site: Path, work: Path, db_path: Path) -> tuple[float, float, int, float]:
    """One crawl of the generated site: (seconds inside Scrapy, wall seconds, pages fetched, CPU seconds)."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(crawl_site_command(origin, site, work, db_path), env=crawl_env(), cwd=PROJECT_ROOT,
                   check=True, capture_output=True)
    wall = time.perf_counter() - started
    db = open_db(db_path)
    stats, pages = db.execute("SELECT stats, pages_fetched FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    return json.loads(stats).get("elapsed_time_seconds", 0.0), wall, pages, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replica", action="store_true", help="crawl the replica instead of the generated sites")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--site", choices=("own", "press", "both"), default="both", help="which generated site")
    options = parser.parse_args()
    print(conditions(PROJECT_ROOT), flush=True)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if options.replica:
            replica = stack.enter_context(Replica(state="v1", rate_limit=False))
            rounds = []
            for n in range(options.rounds):
                rounds.append(measure_round(partial(crawl, replica), scratch / f"round{n}.db", n, None))
                print_round("replica", n, rounds[-1])
            report("replica", rounds)
            return
        kinds = ("own", "press") if options.site == "both" else (options.site,)
        sites = {kind: ensure_site(DEFAULT_SITE_DIR, options.articles, seed=1, kind=kind) for kind in kinds}
        runs: dict[str, list[Round]] = {kind: [] for kind in kinds}
        for n in range(options.rounds):
            for kind, site in sites.items():
                server, origin = start_server(site)
                try:
                    floor = partial(run_floor, origin, site, scratch, CRAWL_SETTINGS["CONCURRENT_REQUESTS"])
                    crawl_once = partial(crawl_generated, origin, site, scratch)
                    runs[kind].append(measure_round(crawl_once, scratch / f"{kind}{n}.db", n, floor))
                finally:
                    server.terminate()
                    server.wait()
                print_round(kind, n, runs[kind][-1])
        for kind in kinds:
            report(kind, runs[kind])


@dataclass
class Round:
    """(seconds inside Scrapy, wall seconds, pages, CPU seconds) of each crawl, and the load around the round."""

    first: tuple[float, float, int, float]
    again: tuple[float, float, int, float]
    floor: tuple[float, float, int, float] | None
    load: tuple[float, float]


def measure_round(run: Callable[[Path], tuple[float, float, int, float]], db_path: Path, number: int,
                  floor: Callable[[], tuple[float, float, int, float]] | None) -> Round:
    """A first crawl, its re-crawl, and the bare-Scrapy floor before them in odd rounds, after in even."""
    load_before = os.getloadavg()[0]
    floor_first = floor() if floor and number % 2 else None
    first, again = run(db_path), run(db_path)
    floor_last = floor() if floor and not number % 2 else None
    return Round(first, again, floor_first or floor_last, (load_before, os.getloadavg()[0]))


def print_round(kind: str, number: int, r: Round) -> None:
    text = (f"round {number + 1} {kind}: first {r.first[0]:.2f} s in Scrapy / {r.first[1]:.2f} s wall "
            f"({r.first[2]} pages); re-crawl {r.again[0]:.2f} s / {r.again[1]:.2f} s ({r.again[2]} pages)")
    if r.floor:
        text += (f"; bare-Scrapy floor {r.floor[0]:.2f} s / {r.floor[1]:.2f} s ({r.floor[2]} requests): "
                 f"re-crawl {r.again[0] / r.floor[0]:.2f}x the floor in Scrapy, {r.again[1] / r.floor[1]:.2f}x wall, "
                 f"{r.again[3] / r.floor[3]:.2f}x CPU ({r.again[3]:.2f} / {r.floor[3]:.2f} s)")
    print(f"{text}; load {r.load[0]:.2f}→{r.load[1]:.2f}", flush=True)


def report(kind: str, rounds: list[Round]) -> None:
    print(f"{kind}, medians of {len(rounds)} round(s):")
    print(f"  first crawl: {statistics.median(r.first[0] for r in rounds):.2f} s in Scrapy, "
          f"{statistics.median(r.first[1] for r in rounds):.2f} s wall")
    print(f"  re-crawl:    {statistics.median(r.again[0] for r in rounds):.2f} s in Scrapy, "
          f"{statistics.median(r.again[1] for r in rounds):.2f} s wall")
    print(f"  ratio first / re-crawl: {statistics.median(r.first[0] / r.again[0] for r in rounds):.1f}x in Scrapy, "
          f"{statistics.median(r.first[1] / r.again[1] for r in rounds):.1f}x wall")
    if all(r.floor for r in rounds):
        inside = statistics.median(r.again[0] / r.floor[0] for r in rounds)
        wall = statistics.median(r.again[1] / r.floor[1] for r in rounds)
        cpu = statistics.median(r.again[3] / r.floor[3] for r in rounds)
        verdict = {name: "met" if ratio <= GOAL_FLOOR_RATIO else "NOT met"
                   for name, ratio in (("in Scrapy", inside), ("wall", wall), ("CPU", cpu))}
        print(f"  re-crawl / bare-Scrapy 304 floor: {inside:.2f}x in Scrapy, {wall:.2f}x wall, {cpu:.2f}x CPU "
              f"(goal <= {GOAL_FLOOR_RATIO}: " + ", ".join(f"{name} {v}" for name, v in verdict.items()) + ")")


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (a crawl and every process it forked)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
