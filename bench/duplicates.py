"""Benchmark duplicate detection: cluster quality on labelled pairs, and cost per page vs index size.

    .venv/bin/python bench/duplicates.py                       # full run (builds a 1M index: ~3 min, ~2 GB)
    .venv/bin/python bench/duplicates.py --sizes 1000,100000   # quicker

Quality: every article of the replica (state v1) plus five perturbed copies of each (intro rewritten,
sentences dropped, another site template, other dates, all of these at once), plus the hard cases
of bench/duplicate_pairs.py (different stories quoting one press statement, sharing a credits line
or a long list; cross-posts with a new intro; a site whose releases share a stock closing
paragraph) go through the real storage path (`record_article` with dedup) into a fresh archive.
A pair is labelled "same story" when both come from one replica article, one golden cluster or
one hard-case story; everything else, including the replica's many articles on the same topic,
must stay apart. Prints pairwise precision and recall for a grid of `shared_share` (the share of
the shorter text a quote must make, overall and over the hard cases' pairs) and of the other
thresholds, the golden pairs that were missed, and the stock-paragraph site's cluster sizes.

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
from storage.fingerprint import BANDS, PERMUTATIONS
from crawler.replica.content import articles
from storage.articles import ensure_source, record_article
from storage.db import open_db, write_transaction
from storage.near_duplicates import DedupThresholds, link_duplicates

from duplicate_pairs import NEGATIVES, STOCK_SITE  # isort: skip (bench/ is the script's own path)

SEED = 6
FOOTER = ("Die Pressestelle der Stadtverwaltung ist montags bis freitags von acht bis sechzehn Uhr "
          "telefonisch erreichbar. Alle Pressemitteilungen finden Sie auch im Archiv auf unserer Internetseite.")
_QUOTES = re.compile(r'[„“”"«»]')
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


def hard_items() -> list[Item]:
    """The hand-written hard cases of bench/duplicate_pairs.py: shared quotes, credits, lists, stock text."""
    items = []
    for number, (story, source, paragraphs) in enumerate([*NEGATIVES, *STOCK_SITE]):
        lang = "en" if story in ("ghana", "ghana-schools", "climate", "lviv", "dakar") else "de"
        items.append(Item(f"hard-{number}-{story}", story, source, f"https://{source}.example/{number}",
                          "\n".join(paragraphs), None, story, language=lang))
    return items


def pairwise(items: list[Item], clusters: dict[str, int | None],
             among: set[str] | None = None) -> tuple[float, float, list[tuple[str, str]]]:
    """Pairwise precision and recall (over pairs with an item in `among`, when given)."""
    true_pos = false_pos = false_neg = 0
    missed_golden = []
    for a, b in combinations(items, 2):
        if among is not None and a.name not in among and b.name not in among:
            continue
        same = a.story == b.story
        linked = clusters[a.name] is not None and clusters[a.name] == clusters[b.name]
        true_pos += same and linked
        false_pos += linked and not same
        false_neg += same and not linked
        if same and not linked and "~" not in a.name + b.name:
            missed_golden.append((a.name, b.name))
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
    return precision, recall, missed_golden


SHARES = (0.0, 0.2, 0.25, 0.27, 0.3, 0.35)
OVERLAPS = (0.0, 0.05, 0.08, 0.1, 0.12)


def report_quality(workdir: Path) -> None:
    hard = hard_items()
    items = labelled_items(random.Random(SEED)) + hard
    among = {item.name for item in hard}
    positives = sum(a.story == b.story for a, b in combinations(items, 2))
    print(f"quality: {len(items)} texts ({len(hard)} hard cases), {positives} same-story pairs, "
          f"{len(items) * (len(items) - 1) // 2 - positives} different-story pairs")
    base = default_thresholds()
    clusters = cluster_items(items, base, workdir)
    print("hard cases as written, defaults: precision {:.3f}, recall {:.3f}".format(*pairwise(items, clusters, among)))
    # The grid runs on the hard cases with their statements printed without quotation marks: the
    # speech rule cannot help there, so the share and topic rules alone must keep stories apart.
    unquoted = [replace(item, text=_QUOTES.sub("", item.text)) if item.name in among else item for item in items]
    print("without quotation marks:")
    print("shared_share  topic_overlap  precision  recall  | hard cases: precision  recall  false pairs")
    grid = [(share, base.topic_overlap) for share in SHARES] + [
        (base.shared_share, overlap) for overlap in OVERLAPS if overlap != base.topic_overlap]
    for share, overlap in grid:
        clusters = cluster_items(unquoted, replace(base, shared_share=share, topic_overlap=overlap), workdir)
        precision, recall, _ = pairwise(unquoted, clusters)
        hard_precision, hard_recall, _ = pairwise(unquoted, clusters, among)
        false_pairs = sum(clusters[a.name] is not None and clusters[a.name] == clusters[b.name]
                          and a.story != b.story for a, b in combinations(unquoted, 2))
        print(f"{share:>12}  {overlap:>13}  {precision:>9.3f}  {recall:>6.3f}  | {hard_precision:>20.3f}  "
              f"{hard_recall:>6.3f}  {false_pairs:>11}")
    print("jaccard  shared_words  precision  recall")
    for jaccard in (0.4, 0.5, 0.6):  # each on its own line: the other thresholds at their defaults
        for shared_words in (20, 30, 40, 10**6):
            clusters = cluster_items(items, replace(base, jaccard=jaccard, shared_words=shared_words), workdir)
            precision, recall, _ = pairwise(items, clusters)
            words = "off" if shared_words == 10**6 else shared_words
            print(f"{jaccard:>7}  {words!s:>12}  {precision:>9.3f}  {recall:>6.3f}")
    clusters = cluster_items(items, base, workdir)
    precision, recall, missed = pairwise(items, clusters)
    print(f"defaults {base}: precision {precision:.3f}, recall {recall:.3f}")
    for kind in ("intro", "dropped", "template", "dates", "mixed"):
        pairs = [(i.name.split("~")[0], i.name) for i in items if i.name.endswith(f"~{kind}")]
        found = sum(clusters[a] is not None and clusters[a] == clusters[b] for a, b in pairs)
        print(f"  copy with {kind:<8} linked to its original: {found}/{len(pairs)}")
    print(f"golden pairs missed ({len(missed)}): {missed}")
    report_stock_site(hard, clusters)


def report_stock_site(hard: list[Item], clusters: dict[str, int | None]) -> None:
    """Cluster sizes on the site whose releases all close with one stock paragraph vs real story sizes."""
    stories = {item.story for item in hard if item.source == "wiesental"}
    print("stock-paragraph site: story  real size  cluster size (members of its cluster)")
    for story in sorted(stories):
        members = [item for item in hard if item.story == story]
        cluster = clusters[members[0].name]
        size = sum(cluster is not None and c == cluster for c in clusters.values()) or 1
        print(f"  {story:<12} {len(members):>9}  {size:>12}")


def default_thresholds() -> DedupThresholds:
    return DedupThresholds(settings.CRAWLER_DEDUP_JACCARD, settings.CRAWLER_DEDUP_SHARED_WORDS,
                           settings.CRAWLER_DEDUP_BOILERPLATE_ARTICLES, settings.CRAWLER_DEDUP_SHARED_SHARE,
                           settings.CRAWLER_DEDUP_TOPIC_OVERLAP)


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
            "INSERT INTO minhash_signatures VALUES (?, ?, 300, ?, 304)",
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
