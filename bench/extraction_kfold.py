"""The k-fold run of bench/extraction.py: extract each dev page, score per fold, give a verdict."""

from __future__ import annotations

import argparse
import ast
import importlib
import itertools
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from extraction import BENCH_DIR, HERE
from extraction_folds import SETS, Page, Scorer, assign_folds, choose_out_of_fold, spread

Extractor = Callable[[bytes, str | None], str | None]
TUNABLE_MODULES = ("crawler.fallback", "crawler.lead", "crawler.extract")
OURS, DEFAULTS, NO_COMMENTS = "ours", "trafilatura defaults", "trafilatura include_comments=False"


def load_dev(harness) -> tuple[list, list[Page], list[bytes]]:
    split = json.loads((BENCH_DIR / "split.json").read_text(encoding="utf8"))
    langs = json.loads((BENCH_DIR / "languages.json").read_text(encoding="utf8"))
    german = {(ds, k) for ds, keys in langs["subsets"]["german"].items() for k in keys}
    docs = []
    for dataset in harness.DATASETS:
        dev = set(split[dataset]["dev"])
        docs += [d for d in harness.LOADERS[dataset](BENCH_DIR / "data") if d.key in dev]
    pages = [Page(d.dataset, d.key, (d.dataset, d.key) in german) for d in docs]
    return docs, pages, [d.raw() for d in docs]


class FallbackCounter:
    """Counts trafilatura's full (non-fast) extractions that crawler.extract starts."""

    def __init__(self, module) -> None:
        self.calls = 0
        real = module.bare_extraction

        def counting(*args, **kwargs):
            # crawler.extract passes an Extractor (options=), whose .fast tells the passes apart
            options = kwargs.get("options")
            if not (options.fast if options is not None else kwargs.get("fast")):
                self.calls += 1
            return real(*args, **kwargs)

        module.bare_extraction = counting


def our_extractor(module) -> Extractor:
    def extract(body: bytes, url: str | None) -> str | None:
        article = module.extract_article(body, url)
        return article.text if article else None

    return extract


def run_pages(
    extractors: dict[str, Extractor], docs: list, bodies: list[bytes], repeat: int,
    counter: FallbackCounter | None = None,
) -> tuple[dict[str, list], dict[str, float], list[bool]]:
    """Texts of each extractor (first pass), CPU seconds per page (median pass), fallback flags."""
    texts: dict[str, list] = {name: [] for name in extractors}
    passes: dict[str, list[float]] = {name: [] for name in extractors}
    fell_back: list[bool] = []
    for extract in extractors.values():
        extract(bodies[0], None)  # warm up: imports, language profiles
    for n in range(max(1, repeat)):
        spent = dict.fromkeys(extractors, 0.0)
        for doc, body in zip(docs, bodies):
            for name, extract in extractors.items():
                before = counter.calls if counter else 0
                started = time.process_time()
                text = extract(body, doc.url)
                spent[name] += time.process_time() - started
                if n == 0:
                    texts[name].append(text)
                    if name == OURS and counter:
                        fell_back.append(counter.calls > before)
        for name in extractors:
            passes[name].append(spent[name] / len(docs))
    return texts, {name: statistics.median(p) for name, p in passes.items()}, fell_back


def print_folds(title: str, rows: dict[str, list[float]], folds: int) -> None:
    print(f"\n{title}\n")
    print("| | " + " | ".join(f"fold {k + 1}" for k in range(folds)) + " | mean (min–max) |")
    print("|---" * (folds + 2) + "|")
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {spread(values)} |")


def fallback_shares(pages: list[Page], flags: list[bool], folds: int) -> list[float]:
    return [
        statistics.mean(f for p, f in zip(pages, flags) if p.fold == k) for k in range(folds)
    ]


def texts_of_checkout(path: str) -> dict[str, str | None]:
    """Ours' texts per page from a --save file or by running this bench in another checkout."""
    if Path(path).is_file():
        return json.loads(Path(path).read_text(encoding="utf8"))["texts"]
    with tempfile.TemporaryDirectory(prefix="extraction-against-") as tmp:
        out = Path(tmp) / "texts.json"
        command = [sys.executable, str(HERE / "extraction.py"), "--ours-only", "--repeat", "1"]
        command += ["--repo", str(Path(path).resolve()), "--save", str(out)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf8"))["texts"]


def print_against(args, docs, pages, texts, scorer: Scorer, harness) -> bool:
    """Per-fold deltas of ours vs another checkout; False if any fold of any set got worse."""
    theirs = texts_of_checkout(args.against)
    their_texts = [theirs.get(f"{d.dataset}/{d.key}") for d in docs]
    their_scores = [harness.SCORERS[d.dataset](d, t) for d, t in zip(docs, their_texts)]
    our_scores = [harness.SCORERS[d.dataset](d, t) for d, t in zip(docs, texts)]
    rows = {}
    for name in SETS:
        ours = scorer.per_fold(pages, our_scores, name, args.folds)
        base = scorer.per_fold(pages, their_scores, name, args.folds)
        rows[f"{name} Δ vs {args.against}"] = [a - b for a, b in zip(ours, base)]
    print_folds("Change against the other checkout (F1 delta per fold)", rows, args.folds)
    changed = sum(a != b for a, b in zip(texts, their_texts))
    worse = [v for values in rows.values() for v in values if v < -1e-9]
    better = [v for values in rows.values() for v in values if v > 1e-9]
    print(f"\n{changed} of {len(docs)} page texts differ")
    if worse:
        print(f"CHANGE REFUSED: worse in {len(worse)} fold(s) of a set (helped {len(better)})")
    else:
        print(f"change accepted: no fold worse, {len(better)} fold(s) of a set better")
    return not worse


def tune(args, module, docs, pages, bodies, scorer: Scorer, harness, counter) -> None:
    """Choose constants on k-1 folds, score them on the held-out fold, rotate."""
    names, grids = [], []
    for spec in args.tune:
        name, _, values = spec.partition("=")
        names.append(name)
        grids.append([ast.literal_eval(v) for v in values.split(",")])
    homes = [_home_of(name) for name in names]
    defaults = tuple(getattr(home, name) for home, name in zip(homes, names))
    combos = list(itertools.product(*grids))
    if defaults not in combos:
        combos.insert(0, defaults)
    scores, flags = {}, {}
    for combo in combos:
        for home, name, value in zip(homes, names, combo):
            setattr(home, name, value)
        texts, _, fell_back = run_pages({OURS: our_extractor(module)}, docs, bodies, 1, counter)
        label = ", ".join(f"{n}={v}" for n, v in zip(names, combo))
        scores[label] = [harness.SCORERS[d.dataset](d, t) for d, t in zip(docs, texts[OURS])]
        flags[label] = fell_back
        per_set = [scorer.per_fold(pages, scores[label], s, args.folds) for s in SETS]
        print(f"{label}: " + "; ".join(f"{s} {spread(v)}" for s, v in zip(SETS, per_set))
              + f"; fallback {statistics.mean(fell_back):.2f}")  # fmt: skip
    for home, name, value in zip(homes, names, defaults):
        setattr(home, name, value)

    def admissible(label: str, indices: set[int]) -> bool:
        return share(label, indices) <= args.max_fallback

    def share(label: str, indices: set[int]) -> float:
        return statistics.mean(flags[label][i] for i in indices)

    chosen = choose_out_of_fold(pages, scores, scorer, args.folds, admissible, share)
    current = ", ".join(f"{n}={v}" for n, v in zip(names, defaults))
    print(f"\nChosen on the other {args.folds - 1} folds, scored on the held-out one "
          f"(fallback share <= {args.max_fallback:.2f} on the tuning folds):\n")  # fmt: skip
    header = " | ".join(f"{s} F1 (Δ vs {current})" for s in SETS)
    print(f"| held-out fold | chosen | {header} |")
    print("|---|---|" + "---|" * len(SETS))
    for k, (label, result) in enumerate(chosen):
        held = {i for i, p in enumerate(pages) if p.fold == k}
        cells = []
        for s in SETS:
            members = [i for i in sorted(held) if _in_set(pages[i], s)]
            base = scorer.f1(pages, scores[current], members)
            cells.append(f"{result[s]:.3f} ({result[s] - base:+.3f})")
        print(f"| {k + 1} | {label} | " + " | ".join(cells) + " |")


def _home_of(name: str):
    """The crawler module whose constant `name` is (the extractor reads it from there)."""
    for module_name in TUNABLE_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return module
    raise SystemExit(f"--tune: no constant {name} in {', '.join(TUNABLE_MODULES)}")


def _in_set(page: Page, name: str) -> bool:
    return page.dataset == "scrapinghub" if name == "ScrapingHub" else (
        page.dataset == "trafilatura" and page.is_german
    )


def site_share(site: Path, limit: int, module, counter: FallbackCounter) -> None:
    """Fallback share and CPU per page of ours and trafilatura's defaults on a generated site."""
    import trafilatura

    paths = (site / "urls.txt").read_text(encoding="utf8").split()[:limit]
    files = [site / p.strip("/") / ("index.html" if p.endswith("/") else "") for p in paths]
    bodies = [f.read_bytes() for f in files]
    docs = [argparse.Namespace(url=f"http://127.0.0.1{p}") for p in paths]
    extractors = {OURS: our_extractor(module), DEFAULTS: lambda b, u: trafilatura.extract(b, url=u)}
    _, cpu, fell_back = run_pages(extractors, docs, bodies, 1, counter)
    print(f"{site.name}: {len(bodies)} pages, fallback share {statistics.mean(fell_back):.2f}, CPU per "
          f"page ours {cpu[OURS] * 1000:.1f} ms, trafilatura defaults {cpu[DEFAULTS] * 1000:.1f} ms")  # fmt: skip


def run_kfold(args: argparse.Namespace) -> int:
    logging.disable(logging.CRITICAL)  # trafilatura logs every page it discards
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    sys.path.insert(0, args.repo)
    sys.path.insert(0, str(BENCH_DIR))
    harness = importlib.import_module("evaluate")
    module = importlib.import_module("crawler.extract")
    counter = FallbackCounter(module)
    scorer = Scorer(harness)
    if args.site:
        for site in args.site:
            site_share(Path(site), args.site_pages, module, counter)
        return 0
    docs, pages, bodies = load_dev(harness)
    pages = assign_folds(pages, args.folds)
    if args.tune:
        tune(args, module, docs, pages, bodies, scorer, harness, counter)
        return 0
    import trafilatura

    extractors: dict[str, Extractor] = {OURS: our_extractor(module)}
    if not args.ours_only:
        extractors[DEFAULTS] = lambda body, url: trafilatura.extract(body, url=url)
        extractors[NO_COMMENTS] = lambda body, url: trafilatura.extract(
            body, url=url, include_comments=False
        )
    texts, cpu, fell_back = run_pages(extractors, docs, bodies, args.repeat, counter)
    if args.save:
        saved = {f"{d.dataset}/{d.key}": t for d, t in zip(docs, texts[OURS])}
        Path(args.save).write_text(json.dumps({"texts": saved}), encoding="utf8")
    if args.ours_only:
        return 0
    scores = {
        name: [harness.SCORERS[d.dataset](d, t) for d, t in zip(docs, texts[name])]
        for name in texts
    }
    counts = {
        s: [sum(_in_set(p, s) and p.fold == k for p in pages) for k in range(args.folds)]
        for s in SETS
    }
    print(f"{args.folds} folds over {len(docs)} dev pages; pages per fold: "
          + "; ".join(f"{s} {counts[s]}" for s in SETS))  # fmt: skip
    per_fold = {}
    for s in SETS:
        rows = {name: scorer.per_fold(pages, scores[name], s, args.folds) for name in extractors}
        print_folds(f"{s} F1 per fold", rows, args.folds)
        per_fold[s] = rows
    shares = fallback_shares(pages, fell_back, args.folds)
    print(f"\nfallback comparison run by ours on {statistics.mean(fell_back):.2f} of pages "
          f"(per fold {spread(shares)})")  # fmt: skip
    print(f"CPU per page (median of {args.repeat} passes, same run): ours {cpu[OURS] * 1000:.1f} ms, "
          f"trafilatura defaults {cpu[DEFAULTS] * 1000:.1f} ms, include_comments=False "
          f"{cpu[NO_COMMENTS] * 1000:.1f} ms; ours/defaults speed {cpu[DEFAULTS] / cpu[OURS]:.2f}x")  # fmt: skip
    beats = all(
        o > n for s in SETS for o, n in zip(per_fold[s][OURS], per_fold[s][NO_COMMENTS])
    )
    fast = cpu[OURS] <= cpu[DEFAULTS]
    ok = beats and fast and statistics.mean(fell_back) <= args.max_fallback
    print(f"\nVERDICT: {'PASS' if ok else 'FAIL'}: ours beats include_comments=False in every fold "
          f"of both sets: {'yes' if beats else 'NO'}; per-core speed >= trafilatura defaults: "
          f"{'yes' if fast else 'NO'}; fallback share <= {args.max_fallback:.2f}: "
          f"{'yes' if statistics.mean(fell_back) <= args.max_fallback else 'NO'}")  # fmt: skip
    if args.against:
        ok = print_against(args, docs, pages, texts[OURS], scorer, harness) and ok
    return 0 if ok else 1
