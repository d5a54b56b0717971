"""Clusters on issue 17's first crawl: the generated site's articles stored with dedup, newest first.

    .venv/bin/python bench/cluster_scale.py [--articles 3000] [--sources 1]

The articles of bench/site_generator.py (a bigram chain over the replica's German text, so
unrelated articles share stock sentences; 10 % near and 5 % exact copies of earlier ones) go
through `record_article` in listing order into a fresh archive, on one source or spread over
`--sources` sources (then sentences shared across sites are in play). A copy and its original
are one story (they end with the same paragraph). Prints the largest cluster against the largest
story, pairwise precision and recall, and the writer's CPU ms per article over each 1,000.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

from duplicates import Item, default_thresholds  # isort: skip (bench/ is the script's own path)
from site_generator import Chain, build_pages  # isort: skip

from storage.articles import ensure_source, record_article
from storage.db import open_db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--sources", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(1)
    pages = build_pages(args.articles, rng, Chain(rng))
    sources = [f"site{n}" for n in range(args.sources)]
    with tempfile.TemporaryDirectory(prefix="bench-clusters-") as tmp:
        db = open_db(Path(tmp) / "archive.db")
        for source in sources:
            ensure_source(db, source)
        ids, story, cpu = [], [], []
        for number, page in enumerate(pages):
            source = sources[number % len(sources)]
            item = Item(page.path, page.paragraphs[-1], source, f"https://{source}.example{page.path}",
                        "\n".join(page.paragraphs), page.published.isoformat(), page.title)
            start = time.process_time()
            ids.append(record_article(db, item, source=source, run_id=None, fetched_at="2026-01-01T00:00:00",
                                      dedup=default_thresholds()).article_id)
            cpu.append(time.process_time() - start)
            story.append(item.story)
        cluster = dict(db.execute("SELECT article_id, cluster_id FROM article_clusters").fetchall())
        db.close()
    labels = [cluster.get(article_id) for article_id in ids]
    sizes = Counter(label for label in labels if label is not None)
    stories = Counter(story)
    same = linked = both = 0
    for a, b in combinations(range(len(ids)), 2):
        is_same, is_linked = story[a] == story[b], labels[a] is not None and labels[a] == labels[b]
        same += is_same
        linked += is_linked
        both += is_same and is_linked
    print(f"{len(ids)} articles on {len(sources)} source(s): {len(sizes)} clusters, largest "
          f"{max(sizes.values(), default=0)}; largest real story {max(stories.values())}")
    print(f"pairwise precision {both / linked if linked else 1.0:.3f}, recall {both / same if same else 1.0:.3f}")
    for start in range(0, len(cpu), 1000):
        chunk = cpu[start : start + 1000]
        print(f"  articles {start + 1:>5}-{start + len(chunk):>5}: {1000 * sum(chunk) / len(chunk):.2f} ms CPU each")


if __name__ == "__main__":
    main()
