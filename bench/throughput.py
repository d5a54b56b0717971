"""Benchmark the whole first crawl against the trafilatura command line, on two unlike generated sites.

    .venv/bin/python bench/throughput.py                 # both sites, 3 rounds over 3,000 articles each
    .venv/bin/python bench/throughput.py --site press --rounds 1 --articles 300    # a smoke run, ~1 min
    .venv/bin/python bench/throughput.py --site own --only ours
    .venv/bin/python bench/throughput.py --servers       # the site's server alone: asyncio vs threaded

The sites: `own`, bench/site_generator.py's town (bigram German, whole-article copies, one
template) and `press`, bench/press_site.py's press room (real sentence shapes, stock closing
paragraphs and sentences, joint releases, archive copies under a second path, a third of the pages
on real-world templates from the extraction-bench dev split, `?page=N` listings). Each is generated
once per seed and size into --site-dir (about 10 s per 1,000 articles) and served from memory by
bench/static_server.py in a process of its own on 127.0.0.1. Each round visits every site and
runs, one after the other, in an order that alternates between rounds and sites:

* ours: `scrapy crawl municipal` with the site's own sources entry (listings, articles,
  extraction in the worker pool, language, duplicates, versions) into a fresh archive, with no
  delays, no AutoThrottle and 16 requests per host in flight;
* trafilatura: `trafilatura -i urls.txt --parallel 2` on the article URLs, with SLEEP_TIME = 0
  (its default of 5 s between requests to one host would measure the sleep) and SSRF_PROTECTION
  off (it refuses loopback addresses).

Prints first the provenance (commit, +dirty when the tree differs from it, load, versions), then
per run: article pages/s (pages / process wall time), the 1-minute load average before and after,
CPU per page of the process tree (crawl process + workers), peak memory (sum of VmHWM over the
tree, and the peak of their summed PSS, which counts pages shared after fork once), how busy the
crawl process's children were (archive writer and extraction workers: their CPU seconds / wall seconds), and how well our archive's clusters
match the site's stories (bench/stories.py); per round and site our ratio to trafilatura; then
medians per site and the goal (>= 1.2x trafilatura on every site).
"""


from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import press_site
import site_generator
from proctree import Measured, conditions, measure
from stories import StoryScore, score_stories

CRAWL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CRAWLER_SOURCE_DELAYS_ENABLED": False,
                  "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "INFO"}
TRAFILATURA = Path(sys.executable).with_name("trafilatura")
GENERATORS = {"own": site_generator.generate_site, "press": press_site.generate_site}
GENERATOR_CODE = {"own": ("site_generator.py",),  # a site is generated again when these change
                  "press": ("site_generator.py", "press_site.py", "press_text.py", "press_render.py",
                            "real_templates.py")}
GOAL_RATIO = 1.2  # issue 17: first crawl at least 1.2x the trafilatura CLI, on every site
DEFAULT_SITE_DIR = Path(tempfile.gettempdir()) / "partnerwatch-bench"


@dataclass
class Run:
    tool: str
    site: str
    pages: int
    measured: Measured
    stories: StoryScore | None = None  # ours: the archive's clusters against the site's stories

    @property
    def wall_s(self) -> float:
        return self.measured.wall_s

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    @property
    def hwm_mb(self) -> float:
        return sum(self.measured.usage.hwm_kb.values()) / 1024

    @property
    def pss_mb(self) -> float:
        return self.measured.usage.peak_pss_kb / 1024

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.measured.usage.tree_cpu_s / self.pages

    @property
    def main_cpu_ms_per_page(self) -> float:
        """The root process's share (sampled, so it misses its last 200 ms at most)."""
        return 1000 * self.measured.usage.cpu_s.get(self.measured.root_pid, 0.0) / self.pages

    @property
    def workers_busy(self) -> float:
        usage = self.measured.usage
        return sum(cpu for pid, cpu in usage.cpu_s.items() if pid != self.measured.root_pid) / self.wall_s


def crawl_site_command(origin: str, site: Path, work: Path, db: Path) -> list[str]:
    """`scrapy crawl municipal` of the generated site (its own sources entry) into `db`."""
    sources = work / f"sources-{site.name}.toml"
    sources.write_text((site / "source.toml").read_text().replace("{origin}", origin))
    name = next(iter(tomllib.loads(sources.read_text())))
    return crawl_command("municipal", {"sources": str(sources), "source": name}, CRAWLER_STORAGE_PATH=db,
                         CRAWLER_NETGUARD_ALLOWED_PRIVATE=[origin.removeprefix("http://")], **CRAWL_SETTINGS)


def stored_outcomes(db: Path) -> dict[str, int]:
    """{outcome: article fetches} of the archive's one run (listings are not recorded as fetches)."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT outcome, count(*) FROM fetches GROUP BY outcome").fetchall())


def run_ours(site_name: str, origin: str, site: Path, work: Path, round_no: int) -> Run:
    db = work / f"archive-{site_name}-{round_no}.db"
    command = crawl_site_command(origin, site, work, db)
    measured = measure(command, work / f"ours-{site_name}-{round_no}.log", env=crawl_env(), cwd=PROJECT_ROOT)
    outcomes = stored_outcomes(db)
    stories = score_stories(db, site)
    print(f"    {site_name} ours stored: {outcomes}; {stories.describe() if stories else 'no stories.json'}",
          flush=True)
    return Run("ours", site_name, sum(outcomes.values()), measured, stories)


def run_trafilatura(site_name: str, origin: str, site: Path, work: Path, round_no: int) -> Run:
    urls = [origin + line for line in (site / "urls.txt").read_text().split()]
    (work / f"urls-{site_name}.txt").write_text("\n".join(urls) + "\n")
    config = work / "trafilatura.cfg"
    defaults = (Path(__import__("trafilatura").__file__).parent / "settings.cfg").read_text()
    # the site is on loopback, which trafilatura's SSRF protection refuses to fetch
    config.write_text(defaults.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0").replace(
        "SSRF_PROTECTION = on", "SSRF_PROTECTION = off"))
    command = [str(TRAFILATURA), "-i", str(work / f"urls-{site_name}.txt"), "--parallel", "2",
               "--config-file", str(config)]
    measured = measure(command, work / f"trafilatura-{site_name}-{round_no}.log")
    return Run("trafilatura", site_name, len(urls), measured)


def start_server(site: Path, threaded: bool = False) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, str(BENCH / "static_server.py"), str(site)] + (["--threaded"] if threaded else [])
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    origin = server.stdout.readline().strip()
    if not origin.startswith("http://"):
        server.kill()
        server.wait()
        raise SystemExit(f"the static server for {site} did not start (exit status {server.returncode})")
    return server, origin


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


def ensure_site(site_dir: Path, articles: int, seed: int, kind: str = "own") -> Path:
    """The generated site of `kind`, size and seed; generated again when its generator's code changed."""
    site = site_dir / (f"site-{articles}-{seed}" if kind == "own" else f"{kind}-{articles}-{seed}")
    stamp = site / "generator.sha1"  # written last: a half-generated site is generated again
    code = hashlib.sha1(b"".join((BENCH / name).read_bytes() for name in GENERATOR_CODE[kind]))
    if not stamp.exists() or stamp.read_text() != code.hexdigest():
        print(f"generating the {kind} site, {articles} articles, into {site} …", end=" ", flush=True)
        started = time.perf_counter()
        GENERATORS[kind](site, articles, seed)
        stamp.write_text(code.hexdigest())
        print(f"{time.perf_counter() - started:.0f} s", flush=True)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", choices=("own", "press", "both"), default="both")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("ours", "trafilatura"))
    parser.add_argument("--servers", action="store_true", help="measure the site's server alone and stop")
    parser.add_argument("--site-dir", type=Path, default=DEFAULT_SITE_DIR)
    options = parser.parse_args()
    kinds = ("own", "press") if options.site == "both" else (options.site,)
    sites = {kind: ensure_site(options.site_dir, options.articles, options.seed, kind) for kind in kinds}
    if options.servers:
        for kind, site in sites.items():
            print(f"{kind} site:")
            compare_servers(site, (site / "urls.txt").read_text().split())
        return
    runners = [r for r in (run_ours, run_trafilatura) if options.only in (None, r.__name__.removeprefix("run_"))]
    work = Path(tempfile.mkdtemp(prefix="throughput-"))
    servers = {}
    rounds: list[dict[str, dict[str, Run]]] = []
    print(conditions(PROJECT_ROOT), flush=True)
    try:
        for kind, site in sites.items():
            servers[kind] = start_server(site)
        for round_no in range(options.rounds):
            rounds.append({})
            for index, (kind, site) in enumerate(sites.items()):
                # alternate who goes first, by round and by site: noise and warm caches hit both alike
                order = runners if (round_no + index) % 2 == 0 else runners[::-1]
                origin = servers[kind][1]
                runs = {run.tool: run for run in (runner(kind, origin, site, work, round_no) for runner in order)}
                rounds[-1][kind] = runs
                print_round(round_no, kind, runs)
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait()
    print_summary(rounds, options.rounds)
    shutil.rmtree(work)


def print_round(round_no: int, kind: str, runs: dict[str, Run]) -> None:
    for run in runs.values():
        load = f"load {run.measured.load_before:.2f}→{run.measured.load_after:.2f}"
        extra = (f"; CPU/page {run.cpu_ms_per_page:.1f} ms ({run.main_cpu_ms_per_page:.1f} main)"
                 f"; peak {run.pss_mb:.0f} MB PSS ({run.hwm_mb:.0f} MB summed VmHWM)")
        if run.tool == "ours":
            peaks = ", ".join(f"{kb / 1024:.0f}" for kb in run.measured.usage.pss_kb.values())
            extra += f", children busy {run.workers_busy:.2f} cores, PSS peaks per process {peaks} MB"
        print(f"round {round_no + 1} {kind:5s} {run.tool:11s} {run.pages} pages in {run.wall_s:.1f} s = "
              f"{run.pages_per_s:.1f} pages/s, {load}{extra}", flush=True)
    if len(runs) == 2:
        print(f"round {round_no + 1} {kind:5s} ratio ours / trafilatura {ratio(runs):.2f}", flush=True)


def ratio(runs: dict[str, Run]) -> float:
    return runs["ours"].pages_per_s / runs["trafilatura"].pages_per_s


def print_summary(rounds: list[dict[str, dict[str, Run]]], count: int) -> None:
    print(f"\nmedians of {count} round(s), per site:")
    verdicts = []
    for kind in rounds[0]:
        per_round = [r[kind] for r in rounds]
        for tool in per_round[0]:
            runs = [r[tool] for r in per_round]
            loads = ", ".join(f"{r.measured.load_before:.1f}→{r.measured.load_after:.1f}" for r in runs)
            print(f"  {kind:5s} {tool:11s} {statistics.median(r.pages_per_s for r in runs):6.1f} pages/s "
                  f"(rounds {', '.join(f'{r.pages_per_s:.1f}' for r in runs)}), "
                  f"CPU/page {statistics.median(r.cpu_ms_per_page for r in runs):.1f} ms, "
                  f"peak {statistics.median(r.pss_mb for r in runs):.0f} MB PSS "
                  f"/ {statistics.median(r.hwm_mb for r in runs):.0f} MB VmHWM; load {loads}")
            scores = [r.stories for r in runs if r.stories]
            if scores:
                print(f"  {kind:5s} {tool:11s} story pairs: precision "
                      f"{statistics.median(x.precision for x in scores):.3f}, recall "
                      f"{statistics.median(x.recall for x in scores):.3f} (medians)")
        if len(per_round[0]) == 2:
            ratios = [ratio(r) for r in per_round]
            median = statistics.median(ratios)
            verdicts.append(median >= GOAL_RATIO)
            rounds_text = ", ".join(f"{x:.2f}" for x in ratios)
            print(f"  {kind:5s} ratio ours / trafilatura {median:.2f} (rounds {rounds_text}); "
                  f"goal >= {GOAL_RATIO}: {'met' if median >= GOAL_RATIO else 'NOT met'}")
    if verdicts:
        sites = "every site" if len(verdicts) > 1 else "this one site only (run --site both for the goal)"
        print(f"first crawl >= {GOAL_RATIO}x trafilatura on {sites}: {'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
