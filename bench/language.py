"""Language identification: the shipped rule against the one before it, on labelled real pages.

    .venv/bin/python bench/language.py [--repeat 3]

Extracts the text of every page of the shared extraction benchmark that has a reference language
(shared/extraction-bench/languages.json, 351 pages; another copy via EXTRACTION_BENCH_DIR), then
prints for `detect_language` now and before (langdetect alone on the first 600 characters, 3
trials) the share of pages whose language matches the reference, overall and on the German
pages, the share decided by function words alone (no langdetect), and the CPU milliseconds per
text (time.process_time, both rules timed in turn in each round, median over the rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crawler.extract import extract_article
from crawler.language import (
    SAMPLE_CHARS,
    detect_language,
    guess_from_function_words,
    guess_with_langdetect,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = REPO.parent / "shared" / "extraction-bench"
BENCH_DIR = Path(os.environ.get("EXTRACTION_BENCH_DIR", DEFAULT_BENCH))

Page = tuple[str, str, str | None, bool]  # text, reference language, declared language, German?


def detect_language_before(text: str, declared: str | None = None) -> tuple[str, float]:
    """The rule before function words: langdetect on the first 600 characters, 3 trials."""
    return guess_with_langdetect(text[:SAMPLE_CHARS], declared)


def load_pages(bench_dir: Path) -> list[Page]:
    """Extracted text, reference and declared language of every labelled page of the benchmark."""
    sys.path.insert(0, str(bench_dir))
    import evaluate  # the harness's own page loaders (shared/extraction-bench/evaluate.py)

    languages = json.loads((bench_dir / "languages.json").read_text(encoding="utf-8"))
    subset = languages["subsets"]["german"]
    german = {(dataset, key) for dataset, keys in subset.items() for key in keys}
    pages = []
    for dataset, labels in languages["labels"].items():
        for doc in evaluate.LOADERS[dataset](bench_dir / "data"):
            reference = labels.get(doc.key)
            article = extract_article(doc.raw(), doc.url or "https://example.org/page.html")
            if reference and article is not None:
                is_german = (dataset, doc.key) in german
                pages.append((article.text, reference, article.declared_language, is_german))
    return pages


Rule = Callable[[str, str | None], tuple[str, float]]


def agreement(rule: Rule, pages: list[Page]) -> tuple[float, float]:
    """Share of all pages, and of the German ones, whose detected language is the reference."""
    right = [rule(text, declared)[0] == reference for text, reference, declared, _ in pages]
    german = [ok for ok, page in zip(right, pages, strict=True) if page[3]]
    return sum(right) / len(right), sum(german) / max(len(german), 1)


def cpu_ms_per_text(rules: dict[str, Rule], pages: list[Page], repeat: int) -> dict[str, float]:
    """Median over `repeat` rounds of each rule's CPU milliseconds per text, timed in turn."""
    for rule in rules.values():
        rule("Warm-up: load what the rule loads once per process.", None)
    rounds: dict[str, list[float]] = {name: [] for name in rules}
    for _ in range(repeat):
        for name, rule in rules.items():
            started = time.process_time()
            for text, _, declared, _ in pages:
                rule(text, declared)
            rounds[name].append((time.process_time() - started) * 1000 / len(pages))
    return {name: statistics.median(times) for name, times in rounds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    args = parser.parse_args()
    pages = load_pages(args.bench_dir)
    rules = {"before": detect_language_before, "now": detect_language}
    costs = cpu_ms_per_text(rules, pages, args.repeat)
    skipped = sum(guess_from_function_words(text, declared) is not None
                  for text, _, declared, _ in pages)
    german = sum(page[3] for page in pages)
    print(f"{len(pages)} labelled pages ({german} German); langdetect skipped on "
          f"{skipped} ({skipped / len(pages):.1%})")
    print("rule    agree  agree(German)  CPU ms/text")
    for name, rule in rules.items():
        overall, on_german = agreement(rule, pages)
        print(f"{name:<7} {overall:6.1%}  {on_german:12.1%}  {costs[name]:10.3f}")
    print(f"CPU now / before: {costs['now'] / costs['before']:.2f}")


if __name__ == "__main__":
    main()
