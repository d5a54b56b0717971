"""Benchmark one worker + the writer of a Redis night against the one-machine crawl, on one generated site.

    .venv/bin/python bench/scale.py                       # 2 rounds over 1,000 articles of the own site
    .venv/bin/python bench/scale.py --articles 300 --rounds 1    # a smoke run

Both crawl the same site (bench/site_generator.py's town, served by bench/static_server.py) with the
same settings as bench/throughput.py (no delays, 16 requests per host) into fresh archives:

* one machine: `scrapy crawl municipal` with the site's sources entry;
* the night: a real redis-server (Debian package) on a free loopback port, then
  `partnerwatch enqueue --shards 1`, `partnerwatch worker --shard 0` and `partnerwatch writer` side by
  side, timed from enqueue's start to the writer's exit (the night's whole wall time).

Prints per run article pages/s (pages / wall time) and, for the night, the writer's busy share (its CPU
seconds / the night's wall seconds) and the worker's; then the median ratio of the night to one
machine and the goal (issue 15: the night within 15 % of one machine, and the writer not the
bottleneck). The order alternates between rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.runner import PROJECT_ROOT, crawl_env

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from proctree import conditions, measure
from throughput import CRAWL_SETTINGS, crawl_site_command, ensure_site, start_server, stored_outcomes

GOAL_RATIO = 0.85  # issue 15: one worker + writer within 15 % of the one-machine crawl's pages/s
PARTNERWATCH = [sys.executable, "-c", "from partnerwatch.cli import main; main()"]


def run_one_machine(origin: str, site: Path, work: Path, round_no: int) -> tuple[float, int]:
    db = work / f"one-{round_no}.db"
    measured = measure(crawl_site_command(origin, site, work, db), work / f"one-{round_no}.log",
                       env=crawl_env(), cwd=PROJECT_ROOT)
    return sum(stored_outcomes(db).values()) / measured.wall_s, sum(stored_outcomes(db).values())


def run_night(origin: str, site: Path, work: Path, round_no: int, redis_url: str) -> tuple[float, int, float, float]:
    """(pages/s, pages, writer busy share, worker busy share) of one night with one worker."""
    db = work / f"night-{round_no}.db"
    sources = work / f"sources-{site.name}.toml"
    sources.write_text((site / "source.toml").read_text().replace("{origin}", origin))
    settings = {**CRAWL_SETTINGS, "CRAWLER_NETGUARD_ALLOWED_PRIVATE": [origin.removeprefix("http://")]}
    args = ["--sources", str(sources)]
    for name, value in settings.items():
        args += ["-s", f"{name}={json.dumps(value) if isinstance(value, list) else value}"]
    log = (work / f"night-{round_no}.log").open("w")
    started = time.perf_counter()
    subprocess.run([*PARTNERWATCH, "enqueue", "--redis", redis_url, "--db", str(db), "--shards", "1", "municipal",
                    *args], env=crawl_env(), cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    worker = subprocess.Popen([*PARTNERWATCH, "worker", "--redis", redis_url, "--shard", "0", *args],
                              env=crawl_env(), cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    writer = subprocess.Popen([*PARTNERWATCH, "writer", "--redis", redis_url, "--db", str(db)],
                              env=crawl_env(), cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    # wait4: each one's CPU with that of the processes it waited for (the worker's crawl and extraction)
    _, worker_status, worker_use = os.wait4(worker.pid, 0)
    _, writer_status, writer_use = os.wait4(writer.pid, 0)
    wall = time.perf_counter() - started
    worker.returncode, writer.returncode = worker_status, writer_status  # reaped here, not by Popen
    if worker_status or writer_status:
        raise SystemExit(f"the night failed (worker {worker_status}, writer {writer_status}); log {log.name}")
    pages = sum(stored_outcomes(db).values())
    return (pages / wall, pages, (writer_use.ru_utime + writer_use.ru_stime) / wall,
            (worker_use.ru_utime + worker_use.ru_stime) / wall)


def start_redis(work: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian package redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-dir", type=Path, default=Path(tempfile.gettempdir()) / "partnerwatch-bench")
    options = parser.parse_args()
    print(conditions(PROJECT_ROOT), flush=True)
    site = ensure_site(options.site_dir, options.articles, options.seed)
    work = Path(tempfile.mkdtemp(prefix="scale-"))
    server, origin = start_server(site)
    redis, redis_url = start_redis(work)
    ratios, writer_shares = [], []
    try:
        for round_no in range(1, options.rounds + 1):
            order = ["one", "night"] if round_no % 2 else ["night", "one"]
            results: dict[str, float] = {}
            for which in order:
                if which == "one":
                    results["one"], pages = run_one_machine(origin, site, work, round_no)
                    print(f"round {round_no} one machine: {pages} pages, {results['one']:.1f} pages/s", flush=True)
                else:
                    results["night"], pages, writer_busy, worker_busy = run_night(origin, site, work, round_no,
                                                                                  redis_url)
                    writer_shares.append(writer_busy)
                    print(f"round {round_no} night (1 worker + writer): {pages} pages, {results['night']:.1f} pages/s;"
                          f" writer busy {writer_busy:.2f}, worker tree busy {worker_busy:.2f}", flush=True)
            ratios.append(results["night"] / results["one"])
            print(f"round {round_no}: night / one machine = {ratios[-1]:.2f}", flush=True)
    finally:
        server.terminate()
        redis.terminate()
        server.wait()
        redis.wait()
    median = statistics.median(ratios)
    verdict = "met" if median >= GOAL_RATIO else "not met"
    print(f"median night / one machine {median:.2f} (goal >= {GOAL_RATIO}: {verdict}); "
          f"writer busy share median {statistics.median(writer_shares):.2f}; work dir {work}")


if __name__ == "__main__":
    main()
