"""Benchmark duplicate detection: cluster quality on labelled pairs, and cost per page vs index size.

    .venv/bin/python bench/duplicates.py                       # full run (builds a 1M index: ~3 min, ~2 GB)
    .venv/bin/python bench/duplicates.py --sizes 1000,100000   # quicker

Quality: every article of the replica (state v1) plus five perturbed copies of each (intro rewritten,
sentences dropped, another site template, other dates, all of these at once) go through the real
storage path (`record_article` with dedup) into a fresh archive. A pair is labelled "same story"
when both come from one replica article or from one golden cluster; everything else, including the
replica's many articles on the same topic, must stay apart. Prints pairwise precision and recall
for a grid of thresholds, and the golden pairs that were missed.

Cost: an index of N synthetic fingerprints (random bands, sentences, signatures: real sizes) is
bulk-loaded, then fresh pages are fingerprinted, looked up, verified and indexed with
`link_duplicates`; prints ms per page at each N and the ratio to the smallest N.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import numpy as np

from crawler import settings
from crawler.fingerprint import BANDS, PERMUTATIONS
from crawler.replica.content import articles
from storage.articles import ensure_source, record_article
from storage.db import open_db, write_transaction
from storage.near_duplicates import DedupThresholds, link_duplicates

SEED = 6
FOOTER = ("Die Pressestelle der Stadtverwaltung ist montags bis freitags von acht bis sechzehn Uhr "
          "telefonisch erreichbar. Alle Pressemitteilungen finden Sie auch im Archiv auf unserer Internetseite.")
_DATE = re.compile(r"\b\d{1,2}\.(?: \w+ |\d{2}\.)\d{4}\b|\b(?:19|20)\d{2}\b")


@dataclass(frozen=True)
class Item:
    name: str
    story: str
    source: str
    url: str
    text: str
    published_at: str | None
    title: str
    canonical_url: str | None = None
    published_raw: str | None = None
    author: str | None = None
    language: str = "de"
    language_probability: float = 0.99


def labelled_items(rng: random.Random) -> list[Item]:
    """Replica articles and their perturbed copies, each labelled with its story."""
    items = []
    for article in articles("v1"):
        story = article.cluster or article.key
        published = article.date.isoformat() if article.date else None
        original = Item(article.key, story, article.site, f"https://{article.site}.example{article.path}",
                        "\n".join(article.paragraphs), published, article.title, language=article.lang)
        items.append(original)
        for kind, paragraphs in perturbations(article.title, list(article.paragraphs), rng).items():
            items.append(replace(original, name=f"{article.key}~{kind}", source=f"copy-{kind}",
                                 url=f"https://copy-{kind}.example{article.path}", text="\n".join(paragraphs)))
    return items


def perturbations(title: str, paragraphs: list[str], rng: random.Random) -> dict[str, list[str]]:
    # a new first paragraph of the copy's own: the title plus the original's opening words
    opening = " ".join(paragraphs[0].split()[:6])
    intro = [f"Wie die Redaktion berichtet, geht es um „{title}“: {opening} und mehr.", *paragraphs[1:]]
    dropped = drop_sentences(paragraphs, rng)
    template = ["Pressemitteilung", *(p.replace("„", '"').replace("“", '"').replace(" – ", " - ")
                                      for p in paragraphs), FOOTER]
    dates = [f"Musterhausen, {rng.randint(1, 28)}. Mai 2024. {shift_dates(paragraphs[0], rng)}",
             *(shift_dates(p, rng) for p in paragraphs[1:])]
    mixed = [intro[0], *(shift_dates(p, rng) for p in drop_sentences(paragraphs[1:], rng)), FOOTER]
    return {"intro": intro, "dropped": dropped, "template": template, "dates": dates, "mixed": mixed}


def drop_sentences(paragraphs: list[str], rng: random.Random, share: float = 0.3) -> list[str]:
    kept = []
    for paragraph in paragraphs:
        sentences = re.split(r"(?<=[.!?]) (?=[A-ZÄÖÜ])", paragraph)
        kept.append(" ".join(s for s in sentences if rng.random() >= share) or sentences[0])
    return kept


def shift_dates(text: str, rng: random.Random) -> str:
    return _DATE.sub(lambda m: f"{rng.randint(1, 28)}. Juni {rng.randint(2000, 2030)}", text)


def cluster_items(items: list[Item], thresholds: DedupThresholds, workdir: Path) -> dict[str, int | None]:
    """Store every item with dedup into a fresh archive; item name -> cluster id."""
    path = Path(tempfile.mkdtemp(dir=workdir)) / "quality.db"
    db = open_db(path)
    for source in {item.source for item in items}:
        ensure_source(db, source)
    ids = {item.name: record_article(db, item, source=item.source, run_id=None, fetched_at="2026-01-01T00:00:00",
                                     dedup=thresholds).article_id for item in items}
    clusters = dict(db.execute("SELECT id, cluster_id FROM articles").fetchall())
    db.close()
    return {name: clusters[article_id] for name, article_id in ids.items()}


def pairwise(items: list[Item], clusters: dict[str, int | None]) -> tuple[float, float, list[tuple[str, str]]]:
    true_pos = false_pos = false_neg = 0
    missed_golden = []
    for a, b in combinations(items, 2):
        same = a.story == b.story
        linked = clusters[a.name] is not None and clusters[a.name] == clusters[b.name]
        true_pos += same and linked
        false_pos += linked and not same
        false_neg += same and not linked
        if same and not linked and "~" not in a.name + b.name:
            missed_golden.append((a.name, b.name))
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    return precision, true_pos / (true_pos + false_neg), missed_golden


def report_quality(workdir: Path) -> None:
    items = labelled_items(random.Random(SEED))
    positives = sum(a.story == b.story for a, b in combinations(items, 2))
    print(f"quality: {len(items)} texts, {positives} same-story pairs, "
          f"{len(items) * (len(items) - 1) // 2 - positives} different-story pairs")
    print("jaccard  shared_words  precision  recall")
    for jaccard in (0.4, 0.5, 0.6, 0.7):
        for shared_words in (20, 30, 40, 10**6):
            thresholds = DedupThresholds(jaccard, shared_words, settings.CRAWLER_DEDUP_BOILERPLATE_ARTICLES)
            precision, recall, _ = pairwise(items, cluster_items(items, thresholds, workdir))
            words = "off" if shared_words == 10**6 else shared_words
            print(f"{jaccard:>7}  {words!s:>12}  {precision:>9.3f}  {recall:>6.3f}")
    defaults = default_thresholds()
    precision, recall, missed = pairwise(items, cluster_items(items, defaults, workdir))
    print(f"defaults {defaults}: precision {precision:.3f}, recall {recall:.3f}")
    clusters = cluster_items(items, defaults, workdir)
    for kind in ("intro", "dropped", "template", "dates", "mixed"):
        pairs = [(i.name.split("~")[0], i.name) for i in items if i.name.endswith(f"~{kind}")]
        found = sum(clusters[a] is not None and clusters[a] == clusters[b] for a, b in pairs)
        print(f"  copy with {kind:<8} linked to its original: {found}/{len(pairs)}")
    print(f"golden pairs missed ({len(missed)}): {missed}")


def default_thresholds() -> DedupThresholds:
    return DedupThresholds(settings.CRAWLER_DEDUP_JACCARD, settings.CRAWLER_DEDUP_SHARED_WORDS,
                           settings.CRAWLER_DEDUP_BOILERPLATE_ARTICLES)


def build_index(path: Path, size: int, rng: np.random.Generator) -> None:
    """Bulk-load `size` synthetic fingerprints, in key order as a B-tree likes it."""
    open_db(path).close()  # the schema
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    ids = np.arange(10_000_000, 10_000_000 + size, dtype=np.int64)
    with conn:
        for band in range(BANDS):
            keys = rng.integers(-(1 << 63), (1 << 63) - 1, size=size, dtype=np.int64)
            order = np.argsort(keys)
            conn.executemany("INSERT INTO minhash_bands VALUES (?, ?, ?)",
                             zip([band] * size, keys[order].tolist(), ids[order].tolist(), strict=True))
        sentences = rng.integers(-(1 << 63), (1 << 63) - 1, size=size * 6, dtype=np.int64)
        owners = np.repeat(ids, 6)
        order = np.argsort(sentences)
        conn.executemany("INSERT INTO passages VALUES (?, ?)",
                         zip(sentences[order].tolist(), owners[order].tolist(), strict=True))
        conn.executemany(
            "INSERT INTO minhash_signatures VALUES (?, ?, 300, ?)",
            ((int(i), rng.integers(0, 1 << 32, size=PERMUTATIONS, dtype=np.uint32).tobytes(), b"") for i in ids))
    conn.close()


def cost_per_page(path: Path, items: list[Item]) -> float:
    """Median ms of fingerprint + lookup + verify + index for each item, in its own transaction."""
    db = open_db(path)
    for source in {item.source for item in items}:
        ensure_source(db, source)
    times = []
    for item in items:
        article_id = record_article(db, item, source=item.source, run_id=None, fetched_at="t").article_id
        with write_transaction(db):
            start = time.perf_counter()
            link_duplicates(db, article_id, item.text, version=1, thresholds=default_thresholds())
            times.append((time.perf_counter() - start) * 1000)
    db.close()
    return statistics.median(times)


def report_cost(sizes: list[int], workdir: Path) -> None:
    items = labelled_items(random.Random(SEED + 1))
    base = None
    print("index size  build s  ms/page (median)  ratio to smallest")
    for size in sizes:
        path = workdir / f"index-{size}.db"
        start = time.perf_counter()
        build_index(path, size, np.random.default_rng(SEED))
        built = time.perf_counter() - start
        cost = cost_per_page(path, items)
        base = base or cost
        print(f"{size:>10}  {built:>7.1f}  {cost:>16.3f}  {cost / base:>17.2f}")
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dup-") as tmp:
        if not args.skip_quality:
            report_quality(Path(tmp))
        report_cost([int(s) for s in args.sizes.split(",")], Path(tmp))


if __name__ == "__main__":
    main()
