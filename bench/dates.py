"""Publication-date accuracy: ours next to htmldate and trafilatura, on hand-labelled pages.

Gold: bench/dates_gold.json (dev-split pages of shared/extraction-bench, each date checked by
hand against the page, with its kind) plus every primary article of the replica (v1), whose
golden date is the one the page shows. A date is right when it equals the gold ISO day; a page
without a date of its own is right only when the answer is None.

    .venv/bin/python bench/dates.py [--folds 5] [--show-misses ours]

Round 1 of the gold was labelled while the rules were written, round 2 after them: its row is
a held-out check. Prints accuracy overall, per kind, on German pages and on 'no date -> null',
for each method, then the per-fold spread (5 folds in a fixed shuffled order, each scored on
its own: a rule that only helps the pages it was written for shows up as a wide spread).
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


def htmldate_base(body: bytes, url: str | None) -> str | None:
    """The other way round: htmldate (original_date) as the base, our strong rules on top."""
    from htmldate import find_date

    from crawler.dates import find_dateline
    from crawler.extract import decode_html, extract_article, parse_html
    from crawler.page_date import read_page_dates

    article = extract_article(body, url)
    tree = parse_html(decode_html(body, None))
    page = read_page_dates(tree) if tree is not None else None
    head = article.text.split("\n", 4)[:4] if article else []
    strong = page and (page.labelled or find_dateline(head))
    return strong[1] if strong else find_date(body, url=url, original_date=True)


def date_rules_only(body: bytes, url: str | None) -> str | None:
    """Our date choice without the rest of extraction, to time it (text: the first lines only)."""
    from crawler.extract import decode_html, parse_html
    from crawler.page_date import read_page_dates

    tree = parse_html(decode_html(body, None))
    found = read_page_dates(tree).choose("") if tree is not None else None
    return found[1] if found else None


def trafilatura_date(body: bytes, url: str | None) -> str | None:
    from trafilatura import extract_metadata

    document = extract_metadata(body, default_url=url)
    return document.date if document else None


METHODS: dict[str, Callable[[bytes, str | None], str | None]] = {
    "ours": ours,
    "htmldate": htmldate_default,
    "htmldate_orig": htmldate_original,
    "trafilatura": trafilatura_date,
    "htmldate_base": htmldate_base,
    "rules_no_text": date_rules_only,
}


RULES = ("labelled", "structured", "dateline", "time", "near_title", "element", "generic", "update")


def rule_answers(row: dict) -> dict[str, str | None]:
    """Our answer with each rule of the chain left out in turn ("all": none left out)."""
    from dataclasses import replace

    from crawler.extract import decode_html, extract_article, parse_html
    from crawler.page_date import read_page_dates

    article = extract_article(row["body"], row["url"])
    tree = parse_html(decode_html(row["body"], None))
    if article is None or tree is None:
        return {rule: None for rule in ("all", *RULES)}
    page = read_page_dates(tree)
    answers = {}
    for rule in ("all", *RULES):
        masked = replace(page, **{rule: None}) if rule not in ("all", "dateline") else page
        found = masked.choose("" if rule == "dateline" else article.text)
        answers[rule] = found[1] if found else None
    return answers


def print_ablation(rows: list[dict], folds: list[list[dict]]) -> None:
    """Per fold, accuracy lost without each rule: a rule earns its place on every fold."""
    for row in rows:
        row["rules"] = rule_answers(row)
    print("\nrule ablation: accuracy lost per fold without the rule (+ = the rule helps)")
    for rule in RULES:
        deltas = [
            sum((r["rules"]["all"] == r["published"]) - (r["rules"][rule] == r["published"])
                for r in fold) / len(fold)
            for fold in folds
        ]  # fmt: skip
        print(f"  {rule:<12}" + " ".join(f"{d:+.3f}" for d in deltas))


def score(rows: list[dict], name: str) -> float:
    return sum(r[name] == r["published"] for r in rows) / len(rows) if rows else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show-misses", choices=METHODS, default=None)
    parser.add_argument("--ablate", action="store_true", help="per-fold gain of each date rule")
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
    groups["held out (r2)"] = [r for r in rows if r.get("round") == 2]
    for kind in KINDS:
        label = kind if kind != "none" else "no date -> null"
        groups[label] = [r for r in rows if r["kind"] == kind]
    print(f"{'pages':<18}{'n':>5}" + "".join(f"{name:>15}" for name in METHODS))
    for label, group in groups.items():
        scores = "".join(f"{score(group, m):>15.3f}" for m in METHODS)
        print(f"{label:<18}{len(group):>5}{scores}")
    costs = "".join(f"{1000 * seconds[m] / len(rows):>15.1f}" for m in METHODS)
    print(f"{'ms/page (CPU)':<23}{costs}")
    order = list(range(len(rows)))
    random.Random(12).shuffle(order)
    folds = [[rows[i] for i in order[k :: args.folds]] for k in range(args.folds)]
    print(f"\n{args.folds} folds (accuracy per fold; min / mean / max)")
    for name in METHODS:
        values = [score(fold, name) for fold in folds]
        spread = f"{min(values):.3f} / {statistics.mean(values):.3f} / {max(values):.3f}"
        print(f"  {name:<14}" + " ".join(f"{v:.3f}" for v in values) + f"   {spread}")
    if args.ablate:
        print_ablation(rows, folds)
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
