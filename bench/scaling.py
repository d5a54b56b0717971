"""Benchmark how the first crawl scales with the archive: CPU, speed and memory at growing site sizes.

    .venv/bin/python bench/scaling.py                                   # both sites, 1k/3k/10k, 3 rounds
    .venv/bin/python bench/scaling.py --site press --sizes 200,600 --rounds 1    # a smoke run, ~1 min

For each site (`own`: bench/site_generator.py's town, `press`: bench/press_site.py's press room;
generated once per size and seed into --site-dir, about 10 s per 1,000 articles) and each size,
one crawl as bench/throughput.py runs ours (`scrapy crawl municipal`, no delays, 16 in flight)
into a fresh archive, while the site is served from memory by its own process. The crawl may follow
as many listing hops as the site has pages (CRAWLER_DISCOVERY_DEPTH_LIMIT on its command line): the
generated pagers are deeper than the default 50 at 10,000 articles (7,960 and 5,635 reached), and a
row must measure the size it names; each crawl line says how many articles were stored of those
served. Rounds interleave the sizes, smallest first in odd rounds and largest first in even ones.
Per crawl it prints:

* CPU milliseconds per article of the whole process tree (crawl process and extraction workers,
  from the kernel's accounting, start-up included), and the CPU per article after the first 500
  were stored (the tree's CPU sampled then; start-up excluded, so growth with the archive shows
  alone: start-up costs a few CPU seconds, a large share at 1,000 articles, a small one at 10,000);
* articles/s in each band of 500 stored (the archive's article count, polled every second):
  a per-page cost that grows with the archive shows as falling bands;
* peak PSS of the process tree (pages shared after fork counted once) and the archive's size;
* how well the archive's clusters match the site's stories (bench/stories.py).

Then medians over rounds per size, and the goals of issue 17 for the largest against the smallest
size: CPU per article at most 1.15x, peak PSS at most 300 MB. The first line says the commit
(+dirty when the tree differs from it), the load and the versions; every crawl line its load.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import tomllib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from throughput import DEFAULT_SITE_DIR, crawl_site_command, ensure_site, start_server

from crawler.runner import PROJECT_ROOT, crawl_env
from proctree import Measured, Usage, conditions, measure
from stories import StoryScore, score_stories

BAND = 500  # articles per progress band
POLL_S = 1.0
GOAL_CPU_GROWTH, GOAL_PSS_MB = 1.15, 300


@dataclass
class Progress:
    """(seconds since start, articles stored, tree CPU seconds sampled) along one crawl."""

    db: Path
    points: list[tuple[float, int, float]] = field(default_factory=list)

    def poll(self, elapsed: float, usage: Usage) -> None:
        if self.points and elapsed - self.points[-1][0] < POLL_S:
            return
        try:
            with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=0.2)) as conn:
                stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.Error:
            return  # not created or not migrated yet
        self.points.append((elapsed, stored, sum(usage.cpu_s.values())))

    def crossing(self, stored: int) -> tuple[float, float] | None:
        """(seconds, CPU seconds) when the count reached `stored`, interpolated between polls."""
        for (t0, n0, c0), (t1, n1, c1) in zip(self.points, self.points[1:]):
            if n0 <= stored <= n1 and n1 > n0:
                share = (stored - n0) / (n1 - n0)
                return t0 + share * (t1 - t0), c0 + share * (c1 - c0)
        return None

    def band_rates(self) -> list[float]:
        """Articles/s within each full band of BAND stored articles."""
        rates = []
        for start in range(0, self.points[-1][1] - BAND + 1, BAND) if self.points else ():
            a, b = self.crossing(start), self.crossing(start + BAND)
            if a and b and b[0] > a[0]:
                rates.append(BAND / (b[0] - a[0]))
        return rates


@dataclass
class Crawl:
    site: str
    size: int
    articles: int  # stored
    served: int  # article pages the site serves
    measured: Measured
    progress: Progress
    db_mb: float
    stories: StoryScore | None

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.measured.usage.tree_cpu_s / self.articles

    @property
    def steady_cpu_ms_per_article(self) -> float | None:
        """CPU per article after the first band was stored (sampled; start-up excluded)."""
        start = self.progress.crossing(BAND)
        last = self.progress.points[-1] if self.progress.points else None
        if start is None or last is None or last[1] <= BAND:
            return None
        return 1000 * (last[2] - start[1]) / (last[1] - BAND)

    @property
    def pss_mb(self) -> float:
        return self.measured.usage.peak_pss_kb / 1024


def crawl_once(kind: str, site: Path, size: int, work: Path, tag: str) -> Crawl:
    server, origin = start_server(site)
    db = work / f"archive-{tag}.db"
    progress = Progress(db)
    command = [*crawl_site_command(origin, site, work, db),
               "-s", f"CRAWLER_DISCOVERY_DEPTH_LIMIT={site_pages(site)}"]
    try:
        measured = measure(command, work / f"crawl-{tag}.log",
                           env=crawl_env(), cwd=PROJECT_ROOT, on_sample=progress.poll)
    finally:
        server.terminate()
        server.wait()
    with closing(sqlite3.connect(db)) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    # the end point takes the kernel's exact CPU figure: the last sample misses the crawl's close
    progress.points.append((measured.wall_s, articles, measured.usage.tree_cpu_s))
    db_mb = sum(p.stat().st_size for p in work.glob(f"{db.name}*")) / 1e6
    stories = score_stories(db, site)
    for path in work.glob(f"{db.name}*"):
        path.unlink()
    return Crawl(kind, size, articles, served_articles(site), measured, progress, db_mb, stories)


def site_pages(site: Path) -> int:
    """The generated site's page budget (every page it serves): no walk of its listings is longer."""
    return next(iter(tomllib.loads((site / "source.toml").read_text()).values()))["page_budget"]


def served_articles(site: Path) -> int:
    return len((site / "urls.txt").read_text().split())


def print_crawl(round_no: int, crawl: Crawl) -> None:
    steady = crawl.steady_cpu_ms_per_article
    bands = " ".join(f"{r:.0f}" for r in crawl.progress.band_rates())
    print(f"round {round_no + 1} {crawl.site:5s} {crawl.size:6d}: {crawl.articles} articles stored of "
          f"{crawl.served} served, in "
          f"{crawl.measured.wall_s:.1f} s ({crawl.articles / crawl.measured.wall_s:.1f}/s), load "
          f"{crawl.measured.load_before:.2f}→{crawl.measured.load_after:.2f}; CPU/article "
          f"{crawl.cpu_ms_per_article:.1f} ms ({f'{steady:.1f}' if steady else '–'} ms after the first {BAND}); "
          f"peak {crawl.pss_mb:.0f} MB PSS; archive {crawl.db_mb:.1f} MB; articles/s per {BAND} stored: "
          f"{bands or '–'}" + (f"; {crawl.stories.describe()}" if crawl.stories else ""), flush=True)


def print_summary(crawls: list[Crawl], sizes: list[int], rounds: int) -> None:
    print(f"\nmedians of {rounds} round(s):")
    for kind in dict.fromkeys(c.site for c in crawls):
        by_size = {size: [c for c in crawls if c.site == kind and c.size == size] for size in sizes}
        for size, runs in by_size.items():
            steady = [s for c in runs if (s := c.steady_cpu_ms_per_article) is not None]
            print(f"  {kind:5s} {size:6d}: stored {min(c.articles for c in runs)}-{max(c.articles for c in runs)} "
                  f"of {runs[0].served} served, CPU/article {statistics.median(c.cpu_ms_per_article for c in runs):.1f} ms"
                  f" ({f'{statistics.median(steady):.1f}' if steady else '–'} after the first {BAND}), "
                  f"{statistics.median(c.articles / c.measured.wall_s for c in runs):.1f} articles/s, "
                  f"peak {statistics.median(c.pss_mb for c in runs):.0f} MB PSS, "
                  f"archive {statistics.median(c.db_mb for c in runs):.1f} MB")
        small, large = by_size[min(sizes)], by_size[max(sizes)]
        growth = statistics.median(b.cpu_ms_per_article / a.cpu_ms_per_article for a, b in zip(small, large))
        steady = [b.steady_cpu_ms_per_article / a.steady_cpu_ms_per_article for a, b in zip(small, large)
                  if a.steady_cpu_ms_per_article and b.steady_cpu_ms_per_article]
        pss = statistics.median(c.pss_mb for c in large)
        print(f"  {kind:5s} CPU/article at {max(sizes)} / at {min(sizes)}: {growth:.2f}x whole crawl "
              f"({verdict(growth <= GOAL_CPU_GROWTH)}: goal <= {GOAL_CPU_GROWTH}), "
              + (f"{statistics.median(steady):.2f}x after the first {BAND} articles, start-up excluded "
                 f"({verdict(statistics.median(steady) <= GOAL_CPU_GROWTH)})" if steady
                 else f"no figure after the first {BAND} articles (a size of {BAND} or less)")
              + f" (medians of per-round ratios); peak PSS at {max(sizes)}: {pss:.0f} MB "
              f"({verdict(pss <= GOAL_PSS_MB)}: goal <= {GOAL_PSS_MB} MB)")


def verdict(is_met: bool) -> str:
    return "met" if is_met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", choices=("own", "press", "both"), default="both")
    parser.add_argument("--sizes", default="1000,3000,10000", help="article counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-dir", type=Path, default=DEFAULT_SITE_DIR)
    options = parser.parse_args()
    sizes = sorted(int(s) for s in options.sizes.split(","))
    kinds = ("own", "press") if options.site == "both" else (options.site,)
    sites = {(k, n): ensure_site(options.site_dir, n, options.seed, k) for k in kinds for n in sizes}
    print(conditions(PROJECT_ROOT), flush=True)
    crawls = []
    with tempfile.TemporaryDirectory(prefix="scaling-") as work:
        for round_no in range(options.rounds):
            order = sizes if round_no % 2 == 0 else sizes[::-1]
            for kind in kinds:
                for size in order:
                    crawl = crawl_once(kind, sites[kind, size], size, Path(work), f"{kind}-{size}-{round_no}")
                    crawls.append(crawl)
                    print_crawl(round_no, crawl)
    print_summary(crawls, sizes, options.rounds)


if __name__ == "__main__":
    main()
