"""Publication-date accuracy: ours next to htmldate and trafilatura, on hand-labelled pages.

Gold: bench/dates_gold.json (dev-split pages of shared/extraction-bench, each date checked by
hand against the page, with its kind) plus every primary article of the replica (v1), whose
golden date is the one the page shows. A date is right when it equals the gold ISO day; a page
without a date of its own is right only when the answer is None.

    .venv/bin/python bench/dates.py [--folds 5] [--show-misses ours]

Prints accuracy overall, per kind, on German pages and on 'no date -> null', for each method,
then the per-fold spread (5 folds in a fixed shuffled order: each fold is scored on its own,
so a rule that only helps the pages it was written for shows up as a wide spread).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
BENCH_DIR = REPO.parent / "shared" / "extraction-bench"
GOLD = HERE / "dates_gold.json"
KINDS = ("dateline", "label", "time", "jsonld", "meta", "replica", "none")


def load_gold() -> list[dict]:
    """Labelled bench pages (with bytes and URL) and the replica's golden articles."""
    pages = json.loads(GOLD.read_text(encoding="utf-8"))["pages"]
    urls = {
        v["file"]: url
        for url, v in json.loads(
            (BENCH_DIR / "data/trafilatura/evaldata.json").read_text(encoding="utf-8")
        ).items()
    }
    for page in pages:
        path = BENCH_DIR / "data" / page["source"] / page["page"]
        page["body"] = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        page["url"] = urls.get(path.name)
        page["id"] = f"{page['source']}:{page['page']}"
    return pages + replica_gold()


def replica_gold() -> list[dict]:
    from crawler.replica.catalog import render_state
    from crawler.replica.golden import load_golden
    from crawler.replica.pages import request_key

    sites = render_state("v1")
    rows = []
    for article in load_golden("v1").primary_articles():
        page = sites[article.site][request_key(article.path)]
        rows.append({
            "id": f"replica:{article.site}{article.path}", "body": page.body.encode(page.charset),
            "url": f"https://{article.site}.example{article.path}", "published": article.published,
            "kind": "replica" if article.published else "none", "language": article.language,
        })  # fmt: skip
    return rows


def ours(body: bytes, url: str | None) -> str | None:
    from crawler.extract import extract_article

    article = extract_article(body, url)
    return article.published_at if article else None


def htmldate_default(body: bytes, url: str | None) -> str | None:
    from htmldate import find_date

    return find_date(body, url=url)


def htmldate_original(body: bytes, url: str | None) -> str | None:
    from htmldate import find_date

    return find_date(body, url=url, original_date=True)


def trafilatura_date(body: bytes, url: str | None) -> str | None:
    from trafilatura import extract_metadata

    document = extract_metadata(body, default_url=url)
    return document.date if document else None


METHODS: dict[str, Callable[[bytes, str | None], str | None]] = {
    "ours": ours,
    "htmldate": htmldate_default,
    "htmldate_orig": htmldate_original,
    "trafilatura": trafilatura_date,
}


def score(rows: list[dict], name: str) -> float:
    return sum(r[name] == r["published"] for r in rows) / len(rows) if rows else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show-misses", choices=METHODS, default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = load_gold()
    seconds = dict.fromkeys(METHODS, 0.0)
    for row in rows:
        for name, method in METHODS.items():
            start = time.process_time()
            try:
                row[name] = method(row["body"], row["url"])
            except Exception as error:  # a crash is a wrong answer, shown, not the end of the run
                row[name] = f"error: {error!r}"[:60]
            seconds[name] += time.process_time() - start
    groups: dict[str, list[dict]] = {"overall": rows}
    groups["German"] = [r for r in rows if r["language"] == "de"]
    for kind in KINDS:
        groups[kind if kind != "none" else "no date -> null"] = [r for r in rows if r["kind"] == kind]
    print(f"{'pages':<18}{'n':>5}" + "".join(f"{name:>15}" for name in METHODS))
    for label, group in groups.items():
        print(f"{label:<18}{len(group):>5}" + "".join(f"{score(group, m):>15.3f}" for m in METHODS))
    print(f"{'ms/page (CPU)':<23}" + "".join(f"{1000 * seconds[m] / len(rows):>15.1f}" for m in METHODS))
    order = list(range(len(rows)))
    random.Random(12).shuffle(order)
    folds = [[rows[i] for i in order[k :: args.folds]] for k in range(args.folds)]
    print(f"\n{args.folds} folds (accuracy per fold; min / mean / max)")
    for name in METHODS:
        values = [score(fold, name) for fold in folds]
        print(f"  {name:<14}" + " ".join(f"{v:.3f}" for v in values)
              + f"   {min(values):.3f} / {statistics.mean(values):.3f} / {max(values):.3f}")  # fmt: skip
    if args.show_misses:
        wins = defaultdict(int)
        for row in rows:
            if row[args.show_misses] != row["published"]:
                others = {m: row[m] for m in METHODS if m != args.show_misses}
                print(f"MISS {row['id'][:70]:<70} gold={row['published']} "
                      f"{args.show_misses}={row[args.show_misses]} {others}")  # fmt: skip
            for m in METHODS:
                wins[m] += row[m] == row["published"] and row[args.show_misses] != row["published"]
        print(dict(wins))


if __name__ == "__main__":
    main()
