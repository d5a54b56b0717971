"""The on-disk near-duplicate index: which stored articles a new text repeats.

Each article's current text is fingerprinted (`storage.fingerprint`) and stored as rows keyed by
hash: 32 LSH bands in `minhash_bands` and its long sentences in `passages`. Finding the pages a
new text duplicates is one indexed query per table over the new text's own keys (handed to
SQLite as one JSON array, so a text with thousands of sentences never meets the variable limit),
so the cost per page does not grow with the archive. Candidates are then verified: by the
Jaccard estimate of the stored signatures ("near"), or by the sentences both texts print
verbatim ("passage").

A passage link needs the shared sentences to be a substantial share of the *shorter* text
(`DedupThresholds.shared_share`, chosen with bench/duplicates.py): a cross-post with a new intro
shares most of it (COPY_SHARE or more: a copy), a report reprinting a release's paragraph 29-33 %.
Short of a copy, sentences the new text prints as direct speech do not count (two stories
quoting one statement are not one story), and the texts' other content words must overlap
(`topic_overlap`: two stories sharing only a credits line or a list of partner towns talk of
other places and events). Sentences that are boilerplate do not count at all: one found in `boilerplate_articles`
articles anywhere, or in STOCK_ARTICLES articles of one source (a site's stock closing
paragraph, "Weitere Informationen erhalten Sie ..."). Two articles of the same source are linked
by shared sentences only when these are most of both texts (a reprint under a new intro): short
of that, within a site they are its stock text far more often than a quote. What the links make of clusters is
`storage.clusters`' business.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import NamedTuple

import numpy as np
from sqlite_utils import Database

from storage.clusters import Link, join_story, leave_story
from storage.fingerprint import (
    Fingerprint,
    band_keys,
    estimate_jaccard,
    signature_from_bytes,
    signature_to_bytes,
    topic_overlap,
)
from storage.fingerprint import fingerprint as fingerprint_of

STOCK_ARTICLES = 3  # a sentence printed by this many articles of one source is that source's stock text
COPY_SHARE = 0.5  # sharing half the shorter text verbatim is repeating it, not quoting it


@dataclass(frozen=True)
class DedupThresholds:
    """When two texts are one story (plain values; the crawler fills them from CRAWLER_DEDUP_*)."""

    jaccard: float  # estimated Jaccard of the shingle sets at or above which texts are near-duplicates
    shared_words: int  # words in sentences two texts share verbatim at or above which they are one story
    boilerplate_articles: int  # a sentence already in this many articles is boilerplate: ignored
    shared_share: float = 0.27  # ... and at or above which share of the shorter text's words
    topic_overlap: float = 0.08  # a quote short of COPY_SHARE also needs this overlap of the other words


@dataclass(frozen=True)
class Linked:
    """What indexing one article's new text found."""

    cluster_id: int | None
    matches: dict[int, Link]  # article id -> why it is the same story
    text_version_id: int | None  # the version whose identical text this version now points to


def link_duplicates(db: Database, article_id: int, text: str, *, version: int,
                    thresholds: DedupThresholds, fingerprint: Fingerprint | None = None,
                    source: str | None = None, is_new: bool = False,
                    bands: list[tuple[int, int]] | None = None) -> Linked:
    """Index `text` as article `article_id`'s current text and link it to the stories it repeats.

    Call inside the write transaction that stored the version, after `articles` points at it.
    The article's own earlier text is dropped from the index first: an update is never its own duplicate.
    `source`: the article's source, when the caller knows it. `is_new`: the article was just
    inserted, so it has no earlier text to drop. `bands`: `fingerprint.bands()`, when computed already.
    """
    new = fingerprint or fingerprint_of(text)
    if not is_new:
        _drop_from_index(db, article_id)
    if source is None:
        source = db.execute("SELECT source FROM articles WHERE id = ?", [article_id]).fetchone()[0]
    if bands is None or fingerprint is None:
        bands = new.bands()  # looked up and indexed: computed once
    postings = _passage_postings(db, new)
    matches = _near_matches(db, article_id, new, bands, thresholds)
    for other, link in _passage_matches(db, article_id, source, text, new, postings, thresholds).items():
        matches.setdefault(other, link)
    text_version_id = _store_text_once(db, article_id, version)
    if text_version_id is not None:
        source_article = db.execute("SELECT article_id FROM versions WHERE id = ?", [text_version_id]).fetchone()[0]
        matches[source_article] = Link("exact", new.words)
    _add_to_index(db, article_id, new, bands, postings, thresholds.boilerplate_articles)
    cluster_id = join_story(db, article_id, matches, is_new=is_new)
    return Linked(cluster_id, matches, text_version_id)


def _drop_from_index(db: Database, article_id: int) -> None:
    row = db.conn.execute("SELECT signature, passages FROM minhash_signatures WHERE article_id = ?",
                     [article_id]).fetchone()
    if row is None:
        return
    db.conn.executemany("DELETE FROM minhash_bands WHERE band = ? AND hash = ? AND article_id = ?",
                        [(band, key, article_id) for band, key in band_keys(signature_from_bytes(row[0]))])
    db.conn.executemany("DELETE FROM passages WHERE hash = ? AND article_id = ?",
                        [(int(key), article_id) for key in np.frombuffer(row[1], dtype="<i8")])
    db.execute("DELETE FROM minhash_signatures WHERE article_id = ?", [article_id])


def _near_matches(db: Database, article_id: int, new: Fingerprint, bands: list[tuple[int, int]],
                  thresholds: DedupThresholds) -> dict[int, Link]:
    return {other: Link("near", 0) for other, signature in _band_candidates(db, article_id, bands)
            if estimate_jaccard(new.signature, signature) >= thresholds.jaccard}


def _band_candidates(db: Database, article_id: int, keys: list[tuple[int, int]]) -> list[tuple[int, np.ndarray]]:
    """Articles sharing at least one of the LSH band `keys`, with their stored signatures."""
    rows = db.conn.execute(_band_candidates_sql(len(keys)), [*chain.from_iterable(keys), article_id]).fetchall()
    return [(other, signature_from_bytes(blob)) for other, blob in rows]


@cache
def _band_candidates_sql(pairs: int) -> str:
    """The query of _band_candidates for `pairs` keys (always BANDS: 64 variables), built once."""
    values = ", ".join("(?, ?)" for _ in range(pairs))
    return (f"WITH q(band, hash) AS (VALUES {values}) "  # noqa: S608 (only placeholders are interpolated)
            "SELECT s.article_id, s.signature FROM minhash_signatures s WHERE s.article_id IN "
            "(SELECT b.article_id FROM q JOIN minhash_bands b ON b.band = q.band AND b.hash = q.hash) "
            "AND s.article_id != ?")


class _Posting(NamedTuple):  # a tuple: one is made per stored sentence a new text shares
    article_id: int
    source: str
    words: int  # of that article's whole text


def _passage_postings(db: Database, new: Fingerprint) -> dict[int, list[_Posting]]:
    """For each sentence of `new`, the indexed articles printing it (at most the boilerplate cap each)."""
    if not new.passages:
        return {}
    postings: dict[int, list[_Posting]] = {}
    rows = db.conn.execute(
        "SELECT p.hash, p.article_id, a.source, s.words FROM json_each(?) j "
        "JOIN passages p ON p.hash = j.value JOIN articles a ON a.id = p.article_id "
        "JOIN minhash_signatures s ON s.article_id = p.article_id",
        [json.dumps([key for key, _ in new.passages])],
    ).fetchall()
    for key, other, source, words in rows:
        postings.setdefault(key, []).append(_Posting(other, source, words))
    return postings


def _passage_matches(db: Database, article_id: int, source: str, text: str, new: Fingerprint,
                     postings: dict[int, list[_Posting]], thresholds: DedupThresholds) -> dict[int, Link]:
    """Articles whose shared non-boilerplate sentences make a substantial share of the shorter text
    and, short of a copy, whose other sentences tell the same story."""
    words_of = dict(new.passages)
    shared: dict[int, set[int]] = {}
    sizes: dict[int, int] = {}
    same_source: set[int] = set()
    for key, found in postings.items():
        if len(found) >= thresholds.boilerplate_articles or _is_stock(found, source):
            continue
        for posting in found:
            if posting.article_id != article_id:
                shared.setdefault(posting.article_id, set()).add(key)
                sizes[posting.article_id] = posting.words
                if posting.source == source:
                    same_source.add(posting.article_id)
    links: dict[int, Link] = {}
    quotes: dict[int, int] = {}
    for other, keys in shared.items():
        words = sum(words_of[key] for key in keys)
        shorter = min(new.words or words, sizes[other] or words)
        if other in same_source:
            # within one source, sentences short of most of *both* texts are its stock text
            # (a closing paragraph can be half a short release), never a quote
            if words >= thresholds.shared_words and words >= COPY_SHARE * max(new.words, sizes[other]):
                links[other] = Link("passage", words)
            continue
        # a statement printed in quotation marks is made to be quoted: no evidence of one story
        reprinted = sum(words_of[key] for key in keys if key not in new.speech)
        if words >= thresholds.shared_words and words >= COPY_SHARE * shorter:
            links[other] = Link("passage", words)
        elif reprinted >= thresholds.shared_words and reprinted >= thresholds.shared_share * shorter:
            quotes[other] = reprinted
    for other, other_text in _current_texts(db, list(quotes)):
        if topic_overlap(text, other_text, shared[other]) >= thresholds.topic_overlap:
            links[other] = Link("passage", quotes[other], is_copy=False)
    return links


def _current_texts(db: Database, article_ids: list[int]) -> list[tuple[int, str]]:
    if not article_ids:
        return []
    return db.execute(
        "SELECT a.id, COALESCE(src.text, v.text) FROM json_each(?) j JOIN articles a ON a.id = j.value "
        "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
        "LEFT JOIN versions src ON src.id = v.text_version_id", [json.dumps(article_ids)]).fetchall()


def _is_stock(found: list[_Posting], source: str) -> bool:
    """Printed by STOCK_ARTICLES articles of one source, the new article counted as one of `source`'s."""
    per_source = Counter(posting.source for posting in found)
    per_source[source] += 1
    return max(per_source.values()) >= STOCK_ARTICLES


def _store_text_once(db: Database, article_id: int, version: int) -> int | None:
    """If another article already stores this exact text, point this version at it and blank its copy."""
    row = db.conn.execute(
        "SELECT src.id FROM versions v JOIN versions src ON src.text_hash = v.text_hash "
        "AND src.article_id != v.article_id AND src.text_version_id IS NULL "
        "WHERE v.article_id = ? AND v.version = ? ORDER BY src.id LIMIT 1",
        [article_id, version],
    ).fetchone()
    if row is None:
        return None
    db.execute("UPDATE versions SET text = '', text_version_id = ? WHERE article_id = ? AND version = ?",
               [row[0], article_id, version])
    return int(row[0])


def _add_to_index(db: Database, article_id: int, new: Fingerprint, bands: list[tuple[int, int]],
                  postings: dict[int, list[_Posting]], cap: int) -> None:
    db.conn.executemany("INSERT INTO minhash_bands (band, hash, article_id) VALUES (?, ?, ?)",
                        [(band, key, article_id) for band, key in bands])
    # A sentence at the boilerplate cap is not indexed again, so no posting list outgrows the cap.
    indexed = [key for key, _ in new.passages if len(postings.get(key, ())) < cap]
    db.conn.executemany("INSERT INTO passages (hash, article_id) VALUES (?, ?)",
                        [(key, article_id) for key in indexed])
    db.conn.execute(
        "INSERT INTO minhash_signatures (article_id, signature, shingles, passages, words) VALUES (?, ?, ?, ?, ?)",
        [article_id, signature_to_bytes(new.signature), new.shingles, np.array(indexed, dtype="<i8").tobytes(),
         new.words],
    )


def forget_article(db: Database, article_id: int) -> None:
    """Take an article out of the index and out of its story, before it is deleted."""
    _drop_from_index(db, article_id)
    leave_story(db, article_id)
