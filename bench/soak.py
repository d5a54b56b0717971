"""Soak: a first crawl and a re-crawl of one large generated site, and the memory they need.

    .venv/bin/python bench/soak.py                          # 100,000 articles (hours; ~6 GB of site in /tmp)
    .venv/bin/python bench/soak.py --articles 5000          # a development run, a few minutes
    .venv/bin/python bench/soak.py --site press --articles 10000

The site is bench/throughput.py's (`own`: the town, `press`: the press room), generated once per
size and seed into --site-dir and served from memory by bench/static_server.py on 127.0.0.1. The
crawl is `scrapy crawl municipal` with the site's sources entry and no delays, into a fresh
archive, then again into the same archive (conditional requests, 304s). Its pager is walked to the
end: the listing-hop limit (CRAWLER_DISCOVERY_DEPTH_LIMIT, 50 by default, which reaches ~8,000
articles of a 10,000 one) is raised to the number of listing pages, so every article is linked.

Prints the provenance line, then per crawl: wall time, pages/s, CPU per page of the process tree,
peak RSS of the crawl process (the kernel's VmHWM) and of the tree (the highest sum of the
processes' resident sizes at one sample, which counts pages shared after fork once per process),
peak PSS of the tree (shared pages split between their sharers), the slope of the tree's RSS over
the second half of the crawl in MB per 10,000 articles stored, and the articles stored against
those served. The goal (reliability.md §6, issue 13): <= 400 MB (the crawl process's RSS and the
tree's PSS) and a second-half slope <= 5 MB per 10k pages, judged once the second half spans
10,000 articles (over fewer it is noise).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sqlite3
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from proctree import Measured, Usage, _kb, conditions, descendants, measure, read_proc
from throughput import DEFAULT_SITE_DIR, crawl_site_command, ensure_site, start_server

from crawler.runner import PROJECT_ROOT, crawl_env

GOAL_PEAK_MB = 400  # the crawl process's RSS, and the tree's PSS (the sum of RSS counts pages shared after fork twice)
GOAL_SLOPE_MB = 5.0  # per 10,000 pages over the second half
SLOPE_MIN_SPAN = 10_000  # articles the second half must span before its slope is held to the goal
COUNT_EVERY_S = 5.0  # reading the archive's count costs a query: not at every 200 ms sample
PER_LISTING = 20  # teasers per listing page on both generated sites


@dataclass
class Timeline:
    """The tree's summed RSS at each sample, and the articles stored every few seconds."""

    db: Path
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB)
    stored: list[tuple[float, int]] = field(default_factory=list)  # (seconds, articles)

    def sample(self, seconds: float, usage: Usage) -> None:
        root = next(iter(usage.hwm_kb), None)  # the root is sampled first
        if root is None:
            return
        rss = sum(_kb(read_proc(f"/proc/{pid}/status"), "VmRSS:") for pid in [root, *descendants(root)])
        self.rss_mb.append((seconds, rss / 1024))
        if not self.stored or seconds - self.stored[-1][0] >= COUNT_EVERY_S:
            self.stored.append((seconds, count_articles(self.db)))

    @property
    def peak_rss_mb(self) -> float:
        return max((mb for _, mb in self.rss_mb), default=0.0)

    def second_half_slope(self) -> tuple[float, int] | None:
        """(MB of tree RSS per 10,000 articles stored, articles spanned), fitted over the crawl's second half."""
        if len(self.stored) < 4:
            return None
        half = self.stored[len(self.stored) // 2:]
        points = [(articles, _rss_at(self.rss_mb, seconds)) for seconds, articles in half]
        span = points[-1][0] - points[0][0]
        if span < 100:
            return None  # a re-crawl stores nothing new: no slope per article to speak of
        return 10_000 * statistics.linear_regression(*zip(*points)).slope, span


def count_articles(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:  # not created yet, or busy
        return 0


def crawl(origin: str, site: Path, work: Path, db: Path, label: str, depth_limit: int) -> tuple[Measured, Timeline]:
    command = crawl_site_command(origin, site, work, db) + ["-s", f"CRAWLER_DISCOVERY_DEPTH_LIMIT={depth_limit}"]
    timeline = Timeline(db)
    measured = measure(command, work / f"{label}.log", env=crawl_env(), cwd=PROJECT_ROOT, on_sample=timeline.sample)
    return measured, timeline


def report(label: str, measured: Measured, timeline: Timeline, served: int, pages: int) -> bool:
    stored = count_articles(timeline.db)
    fitted = timeline.second_half_slope()
    cpu_ms = 1000 * measured.usage.tree_cpu_s / max(pages, 1)
    crawl_rss = measured.usage.hwm_kb.get(measured.root_pid, 0) / 1024
    tree_pss = measured.usage.peak_pss_kb / 1024
    print(f"{label}: {measured.wall_s:.0f} s wall, {pages / measured.wall_s:.1f} pages/s, CPU {cpu_ms:.1f} ms/page; "
          f"peak RSS {crawl_rss:.0f} MB (crawl process), {timeline.peak_rss_mb:.0f} MB (tree, summed), "
          f"peak PSS {tree_pss:.0f} MB (tree); RSS slope of the tree over the second half "
          f"{'n/a' if fitted is None else f'{fitted[0]:+.1f} MB per 10k articles (over {fitted[1]})'}; "
          f"articles stored {stored} of {served} served; load {measured.load_before:.2f}→{measured.load_after:.2f}",
          flush=True)
    # over a short span the slope is noise (a worker's arena, a burst of in-flight pages): not judged
    slope_ok = fitted is None or fitted[1] < SLOPE_MIN_SPAN or fitted[0] <= GOAL_SLOPE_MB
    return max(crawl_rss, tree_pss) <= GOAL_PEAK_MB and slope_ok


def pages_fetched(db: Path) -> int:
    """Responses of the archive's last run (listings and articles)."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT pages_fetched FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--site", choices=("own", "press"), default="own")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-dir", type=Path, default=DEFAULT_SITE_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the archive and logs (their folder is printed)")
    options = parser.parse_args()
    site = ensure_site(options.site_dir, options.articles, options.seed, options.site)
    served = len((site / "urls.txt").read_text().split())
    depth_limit = math.ceil(served / PER_LISTING) + 10  # every listing page, whatever its pager skips
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    db = work / "archive.db"
    print(conditions(PROJECT_ROOT), flush=True)
    print(f"site {site} ({served} articles), archive {db}", flush=True)
    server, origin = start_server(site)
    try:
        passed = []
        for label in ("first crawl", "re-crawl"):
            measured, timeline = crawl(origin, site, work, db, label.replace(" ", "-"), depth_limit)
            passed.append(report(label, measured, timeline, served, pages_fetched(db)))
    finally:
        server.terminate()
        server.wait()
    print(f"goal (peak RSS of the crawl process and PSS of the tree <= {GOAL_PEAK_MB} MB, slope <= {GOAL_SLOPE_MB} MB "
          f"per 10k articles): "
          f"{'met' if all(passed) else 'NOT met'}")
    if not options.keep:
        shutil.rmtree(work)


def _rss_at(samples: list[tuple[float, float]], seconds: float) -> float:
    """The RSS sample nearest before `seconds`."""
    before = [mb for at, mb in samples if at <= seconds]
    return before[-1] if before else samples[0][1]


if __name__ == "__main__":
    main()
