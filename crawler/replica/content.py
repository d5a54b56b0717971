"""Article content of the replica, read from content/*.toml and resolved for one state.

The TOML files are the single source of truth: pages, feeds, sitemaps and the golden data are all
computed from the `Article` objects built here, never from a second hand-typed copy.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).with_name("content")
PRIMARY_SITES = ("skew", "eg", "lag21", "berlin", "linke", "wolfsburg")
STATES = ("v1", "v2")


class ContentError(ValueError):
    """The content files contradict themselves (unknown reference, bad state, duplicate key)."""


@dataclass(frozen=True)
class Article:
    """One article as it appears in one state."""

    key: str
    site: str
    path: str
    title: str
    paragraphs: tuple[str, ...]
    # datetime.date: inside the class, `date` names the field below
    date: datetime.date | None  # the date the article page itself shows; None when it shows none
    list_date: datetime.date  # the date listings and feeds show (falls back to `date`)
    modified: datetime.date  # drives Last-Modified; later in v2 when the article was edited
    lang: str
    declared_lang: str  # the <html lang> the page claims (one German page claims "en")
    on_topic: bool
    cluster: str | None
    translation_of: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)  # site-specific fields

    def get(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)


def check_state(state: str) -> str:
    if state not in STATES:
        raise ContentError(f"unknown state {state!r}; expected one of {STATES}")
    return state


@cache
def _raw() -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    shared = tomllib.loads((CONTENT_DIR / "shared.toml").read_text("utf-8"))
    entries = {
        site: tomllib.loads((CONTENT_DIR / f"{site}.toml").read_text("utf-8"))["articles"]
        for site in PRIMARY_SITES
    }
    return shared, entries


_KNOWN = {
    "key", "path", "title", "paragraphs", "date", "list_date", "lang", "declared_lang", "on_topic",
    "cluster", "translation_of", "since", "removed", "v2_title", "v2_edit", "v2_modified", "same_as",
}


def _is_live(entry: Mapping[str, Any], state: str) -> bool:
    if entry.get("since") == "v2" and state == "v1":
        return False
    return not (entry.get("removed") and state == "v2")


def _title_and_paragraphs(
    entry: Mapping[str, Any], state: str, shared: Mapping[str, str]
) -> tuple[str, list[str]]:
    title = entry["title"]
    paragraphs = [shared[p[1:]] if p.startswith("@") else p for p in entry["paragraphs"]]
    if state == "v2":
        title = entry.get("v2_title", title)
        if edit := entry.get("v2_edit"):
            paragraphs[edit["index"]] = edit["text"]
    return title, paragraphs


def _build(site: str, entry: Mapping[str, Any], state: str, by_key: Mapping[str, Any]) -> Article:
    shared, _ = _raw()
    source = entry
    if ref := entry.get("same_as"):  # a republication copies the words, not the metadata
        if ref not in by_key:
            raise ContentError(f"{entry['key']}: same_as {ref!r} is unknown")
        source = by_key[ref]
    title, paragraphs = _title_and_paragraphs(source, state, shared)
    shown: date | None = entry.get("date")
    list_date: date = shown or entry["list_date"]
    modified = entry.get("v2_modified", list_date) if state == "v2" else list_date
    lang = entry.get("lang", "de")
    return Article(
        key=entry["key"], site=site, path=entry["path"], title=title,
        paragraphs=tuple(paragraphs), date=shown, list_date=list_date, modified=modified,
        lang=lang, declared_lang=entry.get("declared_lang", lang), on_topic=entry["on_topic"],
        cluster=entry.get("cluster"), translation_of=entry.get("translation_of"),
        extra={k: v for k, v in entry.items() if k not in _KNOWN},
    )


@cache
def articles(state: str) -> tuple[Article, ...]:
    """Every article live in `state`, newest first per site (ties broken by key)."""
    check_state(state)
    _, entries = _raw()
    by_key = {e["key"]: e for site_entries in entries.values() for e in site_entries}
    if len(by_key) != sum(len(v) for v in entries.values()):
        raise ContentError("duplicate article key in content/")
    built = [
        _build(site, e, state, by_key)
        for site, site_entries in entries.items()
        for e in site_entries
        if _is_live(e, state)
    ]
    built.sort(key=lambda a: (PRIMARY_SITES.index(a.site), -a.list_date.toordinal(), a.key))
    return tuple(built)


def site_articles(state: str, site: str) -> list[Article]:
    return [a for a in articles(state) if a.site == site]


def removed_paths(state: str) -> dict[tuple[str, str], int]:
    """(site, path) -> status (404 or 410) for articles that were removed in `state`."""
    check_state(state)
    if state == "v1":
        return {}
    _, entries = _raw()
    return {(s, e["path"]): e["removed"] for s, es in entries.items() for e in es if e.get("removed")}
