"""Benchmark: what the raw archive and site-template learning cost per page, next to extraction.

    .venv/bin/python bench/archive.py [--rounds 3] [--copies 20]

Fetches every article page of the replica (state v1) once over loopback, then, on one core and
`--copies` times over (each copy a page of its own to the learner), times per page: extraction
(`extract_article`), zstd compression of the raw bytes (`pack_raw_page`), counting the page's
paragraphs in its source's learner plus stripping the learned blocks (`SourceTemplate.learn`,
`strip_blocks`), and the JSON of the learners saved at the end of a crawl. Prints medians over
the rounds and each cost as a share of extraction; also the compression ratio, and the pages/s
of `reextract` (2 worker processes) against a first crawl's extraction alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.error
import urllib.request

from crawler.extract import extract_article
from crawler.reextract import Task, extract_all
from crawler.replica import Replica, load_golden
from crawler.settings import USER_AGENT
from crawler.template_learning import SourceTemplate
from crawler.boilerplate import TemplateLearner
from storage.raw_pages import StoredPage, pack_raw_page
from storage.template_blocks import strip_blocks


def fetch_pages() -> list[tuple[str, str, bytes, str]]:
    """(site, url, body, content type) of every article page of the replica."""
    pages = []
    with Replica(state="v1", rate_limit=False) as replica:
        for article in load_golden("v1").articles:
            url = replica.urls[article.site] + article.path
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                with urllib.request.urlopen(request) as response:
                    pages.append((article.site, url, response.read(), response.headers.get("Content-Type")))
            except urllib.error.HTTPError:
                continue  # robots-disallowed or gone in this state: the crawler never stores it either
    return pages


def one_round(pages: list[tuple[str, str, bytes, str]], copies: int) -> dict[str, float]:
    """Milliseconds per page of each stage, and the learners' JSON size per page."""
    timings = dict.fromkeys(("extract", "zstd", "learn+strip", "save"), 0.0)
    texts = []
    for site, url, body, content_type in pages:
        started = time.perf_counter()
        article = extract_article(body, url, content_type=content_type)
        timings["extract"] += time.perf_counter() - started
        texts.append((site, article.text if article else ""))
        started = time.perf_counter()
        pack_raw_page(body, content_type)
        timings["zstd"] += time.perf_counter() - started
    templates: dict[str, SourceTemplate] = {}
    started = time.perf_counter()
    for copy in range(copies):
        for number, (site, text) in enumerate(texts):
            template = templates.setdefault(site, SourceTemplate(TemplateLearner(3, 8), frozenset()))
            template.learn(f"{copy}/{number}", text)
            strip_blocks(text, template.blocks)
    timings["learn+strip"] = (time.perf_counter() - started) / copies
    started = time.perf_counter()
    for template in templates.values():
        template.learner.to_json()
    timings["save"] = (time.perf_counter() - started) / copies
    return {stage: 1000 * seconds / len(pages) for stage, seconds in timings.items()}


def reextract_rate(pages: list[tuple[str, str, bytes, str]]) -> float:
    """Pages per second of reextract's worker pool (2 processes) over the same pages."""
    tasks = [Task(StoredPage(i, site, url, url, i), pack_raw_page(body, content_type), frozenset())
             for i, (site, url, body, content_type) in enumerate(pages)]
    started = time.perf_counter()
    done = sum(1 for _ in extract_all(tasks, 200, workers=2, timeout=60))
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    pages = fetch_pages()
    raw = sum(len(body) for _, _, body, _ in pages)
    packed = sum(len(pack_raw_page(body, ctype).zstd) for _, _, body, ctype in pages)
    rounds = [one_round(pages, args.copies) for _ in range(args.rounds)]
    median = {stage: statistics.median(r[stage] for r in rounds) for stage in rounds[0]}
    print(f"{len(pages)} replica article pages, {raw / len(pages) / 1024:.1f} KiB each; {args.rounds} rounds")
    for stage, ms in median.items():
        print(f"  {stage:<12} {ms:8.3f} ms/page  {ms / median['extract']:7.2%} of extraction")
    print(f"  zstd-3 stores {packed / raw:.3f} of the raw bytes")
    rate = reextract_rate(pages * 4)
    print(f"  reextract (2 workers): {rate:.0f} pages/s = {rate * median['extract'] / 1000:.2f}x one core's extraction")


if __name__ == "__main__":
    main()
