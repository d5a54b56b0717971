"""Check an archive's story clusters against a generated site's `stories.json`: a speed figure
that breaks duplicate detection is not a result.

    .venv/bin/python bench/stories.py ARCHIVE.db SITE_DIR

Scored over pairs of articles: recall is the share of the site's same-story pairs that share a
cluster, precision the share of clustered pairs that are one story. Counted per cluster, so a
cluster that swallowed thousands of articles costs no more than its size.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class StoryScore:
    true_pairs: int  # same-story pairs on the site
    found_pairs: int  # pairs sharing a cluster in the archive
    correct_pairs: int  # both
    largest_cluster: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def describe(self) -> str:
        return (f"story pairs: precision {self.precision:.3f}, recall {self.recall:.3f} "
                f"({self.correct_pairs} of {self.true_pairs} found, {self.found_pairs} clustered; "
                f"largest cluster {self.largest_cluster} articles)")


def score_stories(db: Path, site: Path) -> StoryScore | None:
    """None when the site has no stories.json."""
    truth_file = site / "stories.json"
    if not truth_file.exists():
        return None
    story_of = {path: index for index, group in enumerate(json.loads(truth_file.read_text())) for path in group}
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT url, cluster_id FROM articles WHERE cluster_id IS NOT NULL").fetchall()
    clusters: dict[int, Counter[object]] = {}
    for url, cluster in rows:
        path = urlsplit(url)._replace(scheme="", netloc="").geturl()
        clusters.setdefault(cluster, Counter())[story_of.get(path, path)] += 1
    found = sum(_pairs(sum(members.values())) for members in clusters.values())
    correct = sum(_pairs(n) for members in clusters.values() for n in members.values())
    true = sum(_pairs(len(group)) for group in json.loads(truth_file.read_text()))
    largest = max((sum(m.values()) for m in clusters.values()), default=0)
    return StoryScore(true, found, correct, largest)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path)
    parser.add_argument("site", type=Path)
    options = parser.parse_args()
    score = score_stories(options.archive, options.site)
    print(score.describe() if score else f"{options.site} has no stories.json")


if __name__ == "__main__":
    main()
