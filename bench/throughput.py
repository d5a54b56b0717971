"""Benchmark the whole first crawl against the trafilatura command line on the same generated site.

    .venv/bin/python bench/throughput.py                 # 3 rounds over 3,000 articles (~10 min)
    .venv/bin/python bench/throughput.py --rounds 1 --articles 500 --only ours
    .venv/bin/python bench/throughput.py --servers       # the site's server alone: asyncio vs threaded

A site from `bench/site_generator.py` (generated once per seed and size, kept in --site-dir) is
served from memory by `bench/static_server.py` in a separate process on 127.0.0.1. Each round runs,
one after the other in alternating order:

* ours: `scrapy crawl municipal -a sources=… -a source=bench` (listings, articles, extraction in
  the worker pool, language, duplicates, versions) into a fresh archive, with no delays, no
  AutoThrottle and 16 requests per host in flight;
* trafilatura: `trafilatura -i urls.txt --parallel 2` on the article URLs, with SLEEP_TIME = 0
  (its default of 5 s between requests to one host would measure the sleep) and SSRF_PROTECTION
  off (it refuses loopback addresses).

Prints per round and as medians: article pages/s of each (pages / process wall time), our ratio,
our peak memory (sum over the crawl process and its workers of VmHWM, and the peak of their summed
PSS, which counts pages shared after fork once), and how busy the extraction workers were (their CPU
seconds / crawl wall seconds; 2.0 means both cores extracted all the time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from site_generator import generate_site

CRAWL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CRAWLER_SOURCE_DELAYS_ENABLED": False,
                  "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "INFO"}
TRAFILATURA = Path(sys.executable).with_name("trafilatura")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """What a process tree used: peak memory per process, CPU seconds per process."""

    hwm_kb: dict[int, int] = field(default_factory=dict)
    pss_kb: dict[int, int] = field(default_factory=dict)  # peak per process
    cpu_s: dict[int, float] = field(default_factory=dict)
    peak_pss_kb: int = 0  # peak of the sum over the tree

    def sample(self, root: int) -> None:
        pss = 0
        for pid in [root, *descendants(root)]:
            status = _read(f"/proc/{pid}/status")
            stat = _read(f"/proc/{pid}/stat")
            if not status or not stat:
                continue  # exited between listing and reading
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), _kb(status, "VmHWM:"))
            ticks = stat.rsplit(")", 1)[1].split()
            self.cpu_s[pid] = (int(ticks[11]) + int(ticks[12])) / CLOCK_TICKS
            own = _kb(_read(f"/proc/{pid}/smaps_rollup"), "Pss:")
            self.pss_kb[pid] = max(self.pss_kb.get(pid, 0), own)
            pss += own
        self.peak_pss_kb = max(self.peak_pss_kb, pss)


@dataclass
class Run:
    tool: str
    pages: int
    wall_s: float
    usage: Usage
    root_pid: int

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    @property
    def hwm_mb(self) -> float:
        return sum(self.usage.hwm_kb.values()) / 1024

    @property
    def cpu_ms_per_page(self) -> tuple[float, float]:
        """CPU milliseconds per page of the root process, and of all its children."""
        root = self.usage.cpu_s.get(self.root_pid, 0.0)
        return 1000 * root / self.pages, 1000 * (sum(self.usage.cpu_s.values()) - root) / self.pages

    @property
    def workers_busy(self) -> float:
        workers = sum(cpu for pid, cpu in self.usage.cpu_s.items() if pid != self.root_pid)
        return workers / self.wall_s


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = _read(str(task / "children")).split()
            found += map(int, children)
            todo += map(int, children)
    return found


def measure(tool: str, command: list[str], pages: int, log: Path, env: dict[str, str] | None = None) -> Run:
    """Run `command` to its end, sampling its process tree every 200 ms (reading smaps stalls it)."""
    usage = Usage()
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT)
        done = threading.Event()
        threading.Thread(target=lambda: (process.wait(), done.set()), daemon=True).start()
        while not done.wait(0.2):
            usage.sample(process.pid)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{tool} exited {process.returncode}; log {log}:\n{tail}")
    return Run(tool, pages, wall, usage, process.pid)


def crawl_site_command(origin: str, site: Path, work: Path, db: Path) -> list[str]:
    """`scrapy crawl municipal` of the generated site (its own sources entry) into `db`."""
    sources = work / "sources.toml"
    sources.write_text((site / "source.toml").read_text().replace("{origin}", origin))
    return crawl_command("municipal", {"sources": str(sources), "source": "bench"}, CRAWLER_STORAGE_PATH=db,
                         CRAWLER_NETGUARD_ALLOWED_PRIVATE=[origin.removeprefix("http://")], **CRAWL_SETTINGS)


def run_ours(origin: str, site: Path, work: Path, round_no: int) -> Run:
    db = work / f"archive-{round_no}.db"
    command = crawl_site_command(origin, site, work, db)
    run = measure("ours", command, 0, work / f"ours-{round_no}.log", env=crawl_env())
    with sqlite3.connect(db) as conn:
        outcomes = dict(conn.execute("SELECT outcome, count(*) FROM fetches GROUP BY outcome").fetchall())
    run.pages = sum(outcomes.values())
    print(f"    ours stored: {outcomes}", flush=True)
    return run


def run_trafilatura(origin: str, site: Path, work: Path, round_no: int) -> Run:
    urls = [origin + line for line in (site / "urls.txt").read_text().split()]
    (work / "urls.txt").write_text("\n".join(urls) + "\n")
    config = work / "trafilatura.cfg"
    defaults = (Path(__import__("trafilatura").__file__).parent / "settings.cfg").read_text()
    # the site is on loopback, which trafilatura's SSRF protection refuses to fetch
    config.write_text(defaults.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0").replace(
        "SSRF_PROTECTION = on", "SSRF_PROTECTION = off"))
    command = [str(TRAFILATURA), "-i", str(work / "urls.txt"), "--parallel", "2", "--config-file", str(config)]
    return measure("trafilatura", command, len(urls), work / f"trafilatura-{round_no}.log")


def start_server(site: Path, threaded: bool = False) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, str(BENCH / "static_server.py"), str(site)] + (["--threaded"] if threaded else [])
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    return server, server.stdout.readline().strip()


async def fetch_all(origin: str, paths: list[str], connections: int) -> None:
    """Fetch every path over `connections` keep-alive connections (a minimal HTTP/1.1 client)."""
    host, port = origin.removeprefix("http://").split(":")
    queue = list(reversed(paths))

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue:
            writer.write(f"GET {queue.pop()} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))


def compare_servers(site: Path, paths: list[str]) -> None:
    for threaded in (False, True):
        server, origin = start_server(site, threaded)
        try:
            for connections in (1, 16):
                started = time.perf_counter()
                asyncio.run(fetch_all(origin, paths, connections))
                rate = len(paths) / (time.perf_counter() - started)
                print(f"{'threaded' if threaded else 'asyncio':9s} c={connections:<3d} {rate:7.0f} pages/s")
        finally:
            server.terminate()
            server.wait()


def ensure_site(site_dir: Path, articles: int, seed: int) -> Path:
    site = site_dir / f"site-{articles}-{seed}"
    if not (site / "source.toml").exists():
        print(f"generating {articles} articles into {site} …", flush=True)
        generate_site(site, articles, seed)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("ours", "trafilatura"))
    parser.add_argument("--servers", action="store_true", help="measure the site's server alone and stop")
    parser.add_argument("--site-dir", type=Path, default=Path(tempfile.gettempdir()) / "partnerwatch-bench")
    options = parser.parse_args()
    site = ensure_site(options.site_dir, options.articles, options.seed)
    paths = (site / "urls.txt").read_text().split()
    if options.servers:
        compare_servers(site, paths)
        return
    runners = [r for r in (run_ours, run_trafilatura) if options.only in (None, r.__name__.removeprefix("run_"))]
    server, origin = start_server(site)
    work = Path(tempfile.mkdtemp(prefix="throughput-"))
    rounds: list[dict[str, Run]] = []
    try:
        for round_no in range(options.rounds):
            order = runners if round_no % 2 == 0 else runners[::-1]  # alternate: noise hits both alike
            rounds.append({run.tool: run for run in (runner(origin, site, work, round_no) for runner in order)})
            print_round(round_no, rounds[-1])
    finally:
        server.terminate()
        server.wait()
    print_summary(rounds)
    shutil.rmtree(work)


def print_round(round_no: int, runs: dict[str, Run]) -> None:
    for run in runs.values():
        extra = f", peak {run.hwm_mb:.0f} MB (sum of VmHWM), {run.usage.peak_pss_kb / 1024:.0f} MB PSS"
        main_ms, children_ms = run.cpu_ms_per_page
        extra += f"; CPU/page {main_ms:.1f} ms main + {children_ms:.1f} ms children"
        if run.tool == "ours":
            peaks = ", ".join(f"{kb / 1024:.0f}" for kb in run.usage.pss_kb.values())
            extra += f", workers busy {run.workers_busy:.2f} cores, PSS peaks per process {peaks} MB"
        print(f"round {round_no + 1}: {run.tool:11s} {run.pages} pages in {run.wall_s:.1f} s = "
              f"{run.pages_per_s:.1f} pages/s{extra}", flush=True)


def print_summary(rounds: list[dict[str, Run]]) -> None:
    print(f"\nmedians of {len(rounds)} round(s):")
    for tool in rounds[0]:
        runs = [r[tool] for r in rounds]
        print(f"  {tool:11s} {statistics.median(r.pages_per_s for r in runs):6.1f} pages/s, "
              f"peak {statistics.median(r.hwm_mb for r in runs):.0f} MB VmHWM "
              f"/ {statistics.median(r.usage.peak_pss_kb for r in runs) / 1024:.0f} MB PSS")
    if len(rounds[0]) == 2:
        ratio = statistics.median(r["ours"].pages_per_s / r["trafilatura"].pages_per_s for r in rounds)
        print(f"  ratio ours / trafilatura: {ratio:.2f} (median of per-round ratios)")


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _kb(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
