"""K-fold scoring for bench/extraction.py: fold assignment, per-fold F1, out-of-fold choice.

Folds are dealt by page id, never by order or by score: within each stratum (ScrapingHub,
German, other trafilatura pages) pages are sorted by the SHA-256 of "dataset/key" and dealt
round-robin, so every fold holds pages of each set and a page keeps its fold across runs.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SETS = ("ScrapingHub", "German")


@dataclass(frozen=True)
class Page:
    dataset: str  # scrapinghub | trafilatura
    key: str
    is_german: bool
    fold: int = -1


def page_hash(dataset: str, key: str) -> str:
    return hashlib.sha256(f"{dataset}/{key}".encode()).hexdigest()


def assign_folds(pages: Sequence[Page], folds: int) -> list[Page]:
    """The same pages, each with its fold: stratified by set, dealt in hash order."""
    strata: dict[str, list[int]] = {}
    for i, page in enumerate(pages):
        stratum = "sh" if page.dataset == "scrapinghub" else "de" if page.is_german else "tf"
        strata.setdefault(stratum, []).append(i)
    fold_of: dict[int, int] = {}
    offset = 0  # strata start at different folds so small strata do not pile on fold 0
    for stratum in sorted(strata):
        ordered = sorted(strata[stratum], key=lambda i: page_hash(pages[i].dataset, pages[i].key))
        for n, i in enumerate(ordered):
            fold_of[i] = (offset + n) % folds
        offset += len(ordered)
    return [
        Page(p.dataset, p.key, p.is_german, fold_of[i]) for i, p in enumerate(pages)
    ]


def set_members(pages: Sequence[Page], name: str) -> list[int]:
    """Indices of the pages scored for one set: all ScrapingHub pages, German trafilatura pages."""
    if name == "ScrapingHub":
        return [i for i, p in enumerate(pages) if p.dataset == "scrapinghub"]
    return [i for i, p in enumerate(pages) if p.dataset == "trafilatura" and p.is_german]


class Scorer:
    """F1 of a set of pages from per-page scores, the harness's own aggregation."""

    def __init__(self, harness) -> None:
        self.harness = harness

    def f1(self, pages: Sequence[Page], scores: Sequence, indices: Sequence[int]) -> float:
        rows = [scores[i] for i in indices]
        if not rows:
            return float("nan")
        if pages[indices[0]].dataset == "scrapinghub":
            return self.harness.sh_metrics([row[0] for row in rows])["f1"]
        return self.harness.tf_aggregate(rows)["f1"]

    def per_fold(
        self, pages: Sequence[Page], scores: Sequence, name: str, folds: int
    ) -> list[float]:
        members = set_members(pages, name)
        return [
            self.f1(pages, scores, [i for i in members if pages[i].fold == k]) for k in range(folds)
        ]


def spread(values: Sequence[float]) -> str:
    return f"{statistics.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def choose_out_of_fold(
    pages: Sequence[Page],
    scores_by_value: dict[str, Sequence],
    scorer: Scorer,
    folds: int,
    admissible: Callable[[str, set[int]], bool] = lambda value, indices: True,
    cost: Callable[[str, set[int]], float] = lambda value, indices: 0.0,
) -> list[tuple[str, dict[str, float]]]:
    """Per fold: the value best on the other folds (mean of both sets' F1), scored on this one.

    `admissible(value, indices)` may refuse a value on the tuning pages (e.g. too slow there);
    among equally good values the one of least `cost` there wins.
    """

    def quality(value: str, indices: set[int]) -> dict[str, float]:
        return {
            name: scorer.f1(
                pages, scores_by_value[value], [i for i in set_members(pages, name) if i in indices]
            )
            for name in SETS
        }

    chosen = []
    for held in range(folds):
        tuning = {i for i, p in enumerate(pages) if p.fold != held}
        candidates = [v for v in scores_by_value if admissible(v, tuning)] or list(scores_by_value)
        best = max(
            candidates,
            key=lambda v: (statistics.mean(quality(v, tuning).values()), -cost(v, tuning)),
        )
        chosen.append((best, quality(best, {i for i, p in enumerate(pages) if p.fold == held})))
    return chosen
