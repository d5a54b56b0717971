"""Articles and their versions: one row per canonical URL, one version per real change.

Item in, rows out: this module takes any object with the fields of `ArticleLike`
(the crawler's extracted article) and knows nothing of Scrapy.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from storage.cut_fingerprint import fingerprint_after_cut
from storage.db import write_transaction
from storage.fingerprint import Fingerprint
from storage.lifecycle import SEEN_SQL, note_missing, seen_params
from storage.near_duplicates import DedupThresholds, link_duplicates
from storage.quarantine import hold_shrunk_text
from storage.raw_pages import RawPage, store_raw_page
from storage.template_blocks import strip_blocks
from storage.volatile import drop_lines
from storage.volatile_lines import DETAIL as VOLATILE_ONLY
from storage.volatile_lines import Verdict, judge_text


class ArticleLike(Protocol):
    # read-only, so frozen dataclasses (crawler.extract.Article) match
    @property
    def url(self) -> str: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def published_at(self) -> str | None: ...
    @property
    def published_raw(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def language_probability(self) -> float: ...


@dataclass(frozen=True)
class Recorded:
    outcome: str  # new | changed | metadata | unchanged | revived | quarantined
    article_id: int
    version: int
    previous: dict | None = None  # the article's head before this fetch (HEAD_COLUMNS); None if it is new


# what a fetch rewrites of an article's head, kept so a retracted fetch can put it back (storage.site_pages)
HEAD_COLUMNS = ("url", "last_seen_at", "etag", "last_modified", "body_hash", "gone_streak", "gone_at")


def text_hash(text: str) -> str:
    """SHA-256 of the text with whitespace folded, so re-wrapping is not a change."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def ensure_source(db: Database, name: str, title: str | None = None, home_url: str | None = None) -> None:
    db.execute(
        "INSERT INTO sources (name, title, home_url) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET title = excluded.title, home_url = excluded.home_url",
        [name, title, home_url],
    )


def record_article(
    db: Database,
    article: ArticleLike,
    *,
    source: str,
    run_id: int | None,
    fetched_at: str,
    http_status: int = 200,
    etag: str | None = None,
    last_modified: str | None = None,
    dedup: DedupThresholds | None = None,
    body_hash: str | None = None,
    raw: RawPage | None = None,
    template_blocks: frozenset[str] = frozenset(),
    is_fetch: bool = True,
    fingerprint: Fingerprint | None = None,
    shrink_ratio: float = 0.0,
    digest: str | None = None,
    extracted: tuple[str, Fingerprint] | None = None,
    bands: list[tuple[int, int]] | None = None,
) -> Recorded:
    """Store `article`; add a version only when its text, title or date changed.

    One transaction holds the raw page, the version, the article head (validators, body hash,
    revival of a tombstoned article) and the fetch's outcome row, so a crash never leaves half
    of them. The stored text is compared with `template_blocks` (the source's learned
    boilerplate, already stripped from `article.text`) taken out of it too: learning a block is
    no change. `is_fetch=False` (a re-extraction of a stored page) leaves the article's
    sightings, validators and tombstone alone. `fingerprint`, when given, is that of
    `article.text`, computed where there was CPU to spare (the extraction workers). A fetched
    text with fewer than `shrink_ratio` times the current version's words (0: no limit) is only
    logged as `quarantined` until a later run sees it again (storage/quarantine.py); the page
    still answered with a text, so the article is seen (not missing, not on its way to a tombstone).
    A text that differs only in volatile lines (clocks, counters: storage/volatile_lines.py) is no change.
    `digest`, when given, is `text_hash(article.text)`, computed by the caller already.
    `extracted`, when given, is the text as extracted and its fingerprint, `article.text` being it
    with lines taken out (learned template blocks): the fingerprint is derived from it if needed.
    `bands`, when given, are `fingerprint.bands()`.
    """
    canonical_url = article.canonical_url or article.url
    digest = digest or text_hash(article.text)
    verdict = Verdict(is_edit=True)  # the text's hash decides, unless it differs from the version's
    with write_transaction(db):
        current = _current_version(db, canonical_url)
        if current is None:
            kind, number = "new", 1
            article_id = _insert_article(db, article, canonical_url, source, fetched_at, digest,
                                         (etag, last_modified, body_hash) if is_fetch else (None, None, None))
            added, removed = len(article.text.split()), 0
        else:
            article_id, number = current["article_id"], current["version"]
            kind = _change_kind(current, article, _is_same_text(current, digest, template_blocks))
            if kind == "changed":
                # blocks learned since the current version was stored are not in the new text: no change
                stored = strip_blocks(current["text"], template_blocks) if template_blocks else current["text"]
                verdict = judge_text(db, source=source, old=stored, new=article.text, seen_at=fetched_at,
                                     is_fetch=is_fetch)
                kind = _change_kind(current, article, not verdict.is_edit)
            if kind == "changed" and is_fetch and shrink_ratio > 0:
                held = hold_shrunk_text(db, article_id, run_id, stored, article.text, digest, shrink_ratio)
                if held is not None:
                    # the fetch row and the sighting only: the head keeps its validators and body
                    # hash, so the next run fetches and extracts the page again
                    db.execute(f"UPDATE articles SET {SEEN_SQL} WHERE id = ?", [*seen_params(fetched_at), article_id])  # noqa: S608 (fixed SEEN_SQL)
                    _insert_fetch(db, run_id, source, article.url, article_id, fetched_at, http_status,
                                  "quarantined", held)
                    return Recorded("quarantined", article_id, number, _head(current))
            if kind != "unchanged":
                number += 1
            else:
                digest = current["text_hash"]  # the head keeps its text, even if a learned block differs
            added, removed = (_word_delta(drop_lines(current["text"], verdict.volatile),
                                          drop_lines(article.text, verdict.volatile))
                              if kind == "changed" else (0, 0))
        raw_page_id = store_raw_page(db, raw, fetched_at) if raw is not None else None
        published_at, published_raw = article.published_at, article.published_raw
        if current is not None and kind == "changed" and _is_date_from_new_text(current, article):
            published_at, published_raw = current["published_at"], current["published_raw"]
        if kind != "unchanged":
            db.conn.execute(
                "INSERT INTO versions (article_id, version, run_id, fetched_at, change_kind, title, "
                "text, published_at, published_raw, author, language, language_probability, "
                "text_hash, words_added, words_removed, raw_page_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [article_id, number, run_id, fetched_at, kind, article.title, article.text,
                 published_at, published_raw, article.author, article.language,
                 article.language_probability, digest, added, removed, raw_page_id],
            )
        # a new article's row was inserted with its head as this fetch leaves it: no second statement
        if current is not None and is_fetch:
            db.conn.execute(
                "UPDATE articles SET url = ?, current_version = ?, text_hash = ?, etag = ?, last_modified = ?, "  # noqa: S608 (fixed SEEN_SQL)
                f"body_hash = ?, {SEEN_SQL} WHERE id = ?",
                [article.url, number, digest, etag, last_modified, body_hash, *seen_params(fetched_at), article_id],
            )
        elif current is not None:
            db.execute("UPDATE articles SET current_version = ?, text_hash = ? WHERE id = ?",
                       [number, digest, article_id])
        if dedup is not None and kind in ("new", "changed"):
            if fingerprint is None and extracted is not None:
                fingerprint = fingerprint_after_cut(article.text, *extracted)
            link_duplicates(db, article_id, article.text, version=number, thresholds=dedup,
                            fingerprint=fingerprint, source=source if current is None else current["source"],
                            is_new=current is None, bands=bands)
        was_gone = is_fetch and current is not None and current["gone_at"] is not None
        outcome = "revived" if was_gone and kind == "unchanged" else kind
        detail = "revived" if was_gone and kind != "unchanged" else None if is_fetch else "reextract"
        if detail is None and not verdict.is_edit:
            detail = VOLATILE_ONLY
        _insert_fetch(db, run_id, source, article.url, article_id, fetched_at, http_status, outcome, detail,
                      raw_page_id)
    return Recorded(outcome, article_id, number, _head(current))


SEEN = ("not_modified", "unchanged")  # fetch outcomes that reached the article without extracting it


def record_fetch(
    db: Database,
    *,
    run_id: int | None,
    source: str | None,
    url: str,
    fetched_at: str,
    outcome: str,
    http_status: int | None = None,
    detail: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    canonical_url: str | None = None,
) -> str:
    """Record a fetch that stored no version (not_modified, no_article, error, gone, refused…).

    The article is the one filed under `canonical_url` (the fetched URL's identity), or else the
    one last fetched from `url`. A `not_modified` (304) or `unchanged` (same bytes) fetch reached
    the article: it is seen now, no longer missing or on its way to a tombstone, and revived if it
    had one (outcome `revived`). A `gone` (404/410) fetch of a known article makes it missing
    (storage/lifecycle.py). Returns the outcome written.
    """
    with write_transaction(db):
        row = db.execute(
            "SELECT id, gone_at FROM articles WHERE canonical_url = ? OR url = ? "
            "ORDER BY canonical_url = ? DESC LIMIT 1", [canonical_url or url, url, canonical_url or url]
        ).fetchone()
        if row is not None and outcome in SEEN:
            # a 304 need not repeat the validators: keep the stored ones unless new ones came
            db.execute(
                f"UPDATE articles SET {SEEN_SQL}, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified) "  # noqa: S608 (fixed SEEN_SQL)
                "WHERE id = ?",
                [*seen_params(fetched_at), etag, last_modified, row[0]],
            )
            if row[1] is not None:
                outcome, detail = "revived", outcome
        elif row is not None and outcome == "gone":
            note_missing(db, row[0], run_id, fetched_at)
        _insert_fetch(db, run_id, source, url, row[0] if row else None, fetched_at, http_status, outcome, detail)
    return outcome


def _current_version(db: Database, canonical_url: str) -> dict | None:
    cursor = db.conn.execute(
        "SELECT a.id AS article_id, a.source, a.url, a.last_seen_at, a.etag, a.last_modified, a.body_hash, "
        "a.gone_streak, a.gone_at, v.version, v.title, coalesce(src.text, v.text) AS text, "
        "v.published_at, v.published_raw, v.text_hash "
        "FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
        "LEFT JOIN versions src ON src.id = v.text_version_id "  # an exact duplicate's text lives there
        "WHERE a.canonical_url = ?",
        [canonical_url],
    )
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None


def _head(current: dict | None) -> dict | None:
    return {column: current[column] for column in HEAD_COLUMNS} if current is not None else None


def _insert_article(
    db: Database, article: ArticleLike, canonical_url: str, source: str, fetched_at: str, digest: str,
    validators: tuple[str | None, str | None, str | None],
) -> int:
    """A new article's row, with its first fetch's (etag, last_modified, body_hash) `validators`."""
    cursor = db.conn.execute(
        "INSERT INTO articles (canonical_url, source, url, first_seen_at, last_seen_at, "
        "current_version, text_hash, etag, last_modified, body_hash) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        [canonical_url, source, article.url, fetched_at, fetched_at, digest, *validators],
    )
    assert cursor.lastrowid is not None  # an INSERT into a rowid table sets it
    return int(cursor.lastrowid)


def _is_same_text(current: dict, digest: str, template_blocks: frozenset[str]) -> bool:
    """The stored text is the new one, or becomes it once blocks learned since are taken out."""
    if current["text_hash"] == digest:
        return True
    return bool(template_blocks) and text_hash(strip_blocks(current["text"], template_blocks)) == digest


def _is_date_from_new_text(current: dict, article: ArticleLike) -> bool:
    """The new version's later date is printed only in text it added ("Ergänzung vom ..."):
    a version's publication date does not move because its text mentions a later day."""
    new, raw = article.published_at, article.published_raw
    return bool(
        current["published_at"] and new and raw and new > current["published_at"]
        and raw in article.text and raw not in (current["text"] or "")
    )  # fmt: skip


def _change_kind(current: dict, article: ArticleLike, is_same_text: bool) -> str:
    if not is_same_text:
        return "changed"
    if (current["title"], current["published_at"]) != (article.title, article.published_at):
        return "metadata"
    return "unchanged"


def _word_delta(old: str, new: str) -> tuple[int, int]:
    """Words added and removed between two texts (a word-level diff)."""
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def _insert_fetch(
    db: Database,
    run_id: int | None,
    source: str | None,
    url: str,
    article_id: int | None,
    fetched_at: str,
    http_status: int | None,
    outcome: str,
    detail: str | None,
    raw_page_id: int | None = None,
) -> None:
    db.conn.execute(
        "INSERT INTO fetches (run_id, source, url, article_id, fetched_at, http_status, outcome, detail, "
        "raw_page_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, source, url, article_id, fetched_at, http_status, outcome, detail, raw_page_id],
    )
