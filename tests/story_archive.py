"""Storing a story's text as an article, deduplicated with the thresholds the duplicate tests use."""

from __future__ import annotations

from dataclasses import dataclass

from stories import text

from storage.articles import record_article
from storage.near_duplicates import DedupThresholds

THRESHOLDS = DedupThresholds(jaccard=0.5, shared_words=30, boilerplate_articles=50)


@dataclass(frozen=True)
class Art:
    url: str
    text: str
    published_at: str | None = None
    canonical_url: str | None = None
    title: str | None = "Netzwerktreffen in Siegburg"
    published_raw: str | None = None
    author: str | None = None
    language: str = "de"
    language_probability: float = 0.99


def store(db, source: str, url: str, paragraphs: list[str], published_at: str | None = None,
          fetched_at: str = "2026-01-01T00:00:00+00:00") -> int:
    article = Art(url=url, text=text(paragraphs), published_at=published_at)
    return record_article(db, article, source=source, run_id=None, fetched_at=fetched_at,
                          dedup=THRESHOLDS).article_id
