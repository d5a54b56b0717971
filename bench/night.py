"""Benchmark: a night's crawl processes side by side (issue 14) against the same ones one after another.

    .venv/bin/python bench/night.py [--rounds 1] [--sites 14] [--parallel 0]

The sources: the replica's (state v1, its rate limits on) plus `--sites` generated town sites
(bench/site_generator.py, 12 to 32 articles each, seeded), each on a port of its own and answering
after a latency of its own (50 to 400 ms, seeded): about 20 sources on 20 hosts. Politeness is on
(the project's DOWNLOAD_DELAY, AutoThrottle, the sources' own delays), so each site's crawl is
bound by the crawler's throttling, not by the machine, as a real night is.

A first `partnerwatch crawl` fills an archive (timed, but it is a first crawl: it extracts every
page). Each round then re-crawls two copies of it, the night an archive really has (conditional
requests, 304s): once as the job runs now (CRAWLER_JOB_PARALLEL, `--parallel`; 0: one process per
core) and once with CRAWLER_JOB_PARALLEL=1, today's behaviour, where each process runs alone; the
run report of that one gives each process's time alone. In odd rounds the sequential night runs
first, so a drift in load does not favour one side.

Prints the provenance (commit, load, versions), per round both nights' wall times and each
process's time alone, then the ratios: the night against the slowest process run alone (goal at
most 1.3x) and against the processes' sum one after another. `--named` keeps every bundled source in the sources file and names the served
ones on the command line (`partnerwatch crawl skew lag21 …`, as the issue's 161 s re-crawl did):
the named sources of one spider share its process, as in the night plan.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from proctree import conditions
from site_generator import SOURCE_ENTRY, generate_site
from static_server import handle, load_files

from crawler.replica import Replica
from crawler.runner import PROJECT_ROOT
from spiders.sources import BUNDLED_SOURCES

GOAL = 1.3  # issue 14: a night at most 1.3x its slowest crawl process run alone
ARTICLES = (12, 32)  # the generator shows 12 teasers a page: never fewer articles
LATENCY = (0.05, 0.4)
PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")


def serve_sites(roots: list[Path], latencies: list[float], stack: contextlib.ExitStack) -> list[str]:
    """Serve each generated site on a port of its own from one event loop thread; their origins."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True, name="sites").start()

    async def open_site(root: Path, latency: float) -> asyncio.Server:
        return await asyncio.start_server(partial(handle, load_files(root), delay=latency), "127.0.0.1", 0,
                                          backlog=256)

    servers = [asyncio.run_coroutine_threadsafe(open_site(root, latency), loop).result()
               for root, latency in zip(roots, latencies, strict=True)]
    stack.callback(loop.call_soon_threadsafe, loop.stop)
    return [f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}" for server in servers]


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)  # strings, numbers, booleans: JSON's spelling is TOML's too


def write_sources(path: Path, origin_map: dict[str, str], generated: dict[str, str], *, every: bool = False
                  ) -> list[str]:
    """The bundled sources the replica serves (`every`: all of them), plus one entry per generated
    site; the names of those that are served."""
    entries, served = {}, []
    for name, entry in tomllib.loads(BUNDLED_SOURCES.read_text("utf-8")).items():
        is_served = any(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" in origin_map for u in entry["start_urls"])
        if is_served or every:
            entries[name] = f"[{json.dumps(name)}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items())
        served += [name] if is_served else []
    for name, origin in generated.items():
        entry = SOURCE_ENTRY.format(town=name, budget=500).replace("[bench]", f"[{name}]")
        entries[name] = entry.replace("{origin}", origin)
    path.write_text("\n".join(entries.values()), "utf-8")
    return served + list(generated)


def run_night(db_path: Path, sources: Path, settings: dict[str, object], named: list[str] = ()) -> tuple[float, dict]:
    """One `partnerwatch crawl` of every source (`named`: naming them): its wall seconds and its run report."""
    command = [str(PARTNERWATCH), "crawl", "--db", str(db_path), "--sources", str(sources),
               *[part for name, value in settings.items() for part in ("-s", f"{name}={value}")], *named]
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    reports = sorted(db_path.parent.glob(f"reports/{db_path.stem}-run-*.json"),
                     key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return wall, json.loads(reports[-1].read_text("utf-8"))


def copy_archive(source: Path, target: Path) -> Path:
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def summary(report: dict) -> str:
    failed = [name for name, source in report["sources"].items() if source["outcome"] != "ok"]
    return (f"{len(report['sources'])} sources, {report['pages_fetched']} pages, "
            f"{len(report['processes'])} processes" + (f", failed: {', '.join(failed)}" if failed else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--sites", type=int, default=14, help="generated sites besides the replica's")
    parser.add_argument("--parallel", type=int, default=0, help="CRAWLER_JOB_PARALLEL of the night (0: cores)")
    parser.add_argument("--named", action="store_true",
                        help="name every source on the command line: one crawl process per source")
    options = parser.parse_args()
    print(conditions(PROJECT_ROOT), flush=True)
    rng = random.Random(14)
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        replica = stack.enter_context(Replica(state="v1"))
        names = [f"stadt-{n:02d}" for n in range(1, options.sites + 1)]
        roots = [work / "sites" / name for name in names]
        for number, root in enumerate(roots):
            generate_site(root, rng.randint(*ARTICLES), seed=number + 1)
        latencies = [round(rng.uniform(*LATENCY), 2) for _ in roots]
        served = serve_sites(roots, latencies, stack)
        generated = {name: f"https://www.{name}.example" for name in names}
        origin_map = {**replica.origin_map(), **dict(zip(generated.values(), served, strict=True))}
        sources = write_sources(work / "sources.toml", origin_map, generated, every=options.named)
        print(f"{len(sources)} sources: the replica's {len(sources) - len(names)} and {len(names)} generated "
              f"(latency {min(latencies)}-{max(latencies)} s); politeness on", flush=True)
        named = sources if options.named else []  # else the sources file holds the served ones only
        settings = {"CRAWLER_ORIGIN_MAP": json.dumps(origin_map), "LOG_LEVEL": "INFO",
                    "CRAWLER_NETGUARD_ALLOWED_PRIVATE": ",".join(urlsplit(u).netloc for u in origin_map.values())}
        first, report = run_night(work / "first.db", work / "sources.toml",
                                  {**settings, "CRAWLER_JOB_PARALLEL": options.parallel}, named)
        print(f"first crawl (side by side): {first:.1f} s; {summary(report)}", flush=True)
        ratios = []
        for n in range(options.rounds):
            kinds = ("sequential", "night") if n % 2 else ("night", "sequential")
            results = {}
            for kind in kinds:
                parallel = options.parallel if kind == "night" else 1
                db_path = copy_archive(work / "first.db", work / f"{kind}{n}.db")
                results[kind] = run_night(db_path, work / "sources.toml", {**settings, "CRAWLER_JOB_PARALLEL": parallel},
                                          named)
            (night, night_report), (sequential, alone_report) = results["night"], results["sequential"]
            alone = {p["label"]: p["seconds"] for p in alone_report["processes"]}
            slowest = max(alone.values())
            ratios.append((night / slowest, night / sum(alone.values())))
            print(f"round {n + 1}: night {night:.1f} s ({summary(night_report)}); one after another "
                  f"{sequential:.1f} s; alone: {', '.join(f'{k} {v:.1f} s' for k, v in alone.items())}")
            print(f"  night / slowest alone {ratios[-1][0]:.2f}x (goal <= {GOAL}x); night / sum one after "
                  f"another {ratios[-1][1]:.2f}x ({sum(alone.values()):.1f} s)", flush=True)
        worst = max(r[0] for r in ratios)
        print(f"worst round: night / slowest alone {worst:.2f}x: {'met' if worst <= GOAL else 'MISSED'}; "
              f"best night / sum {min(r[1] for r in ratios):.2f}x")


if __name__ == "__main__":
    main()
