"""The on-disk near-duplicate index and the story clusters built from it.

Each article's current text is fingerprinted (`crawler.fingerprint`) and stored as rows keyed by
hash: 32 LSH bands in `minhash_bands` and its long sentences in `passages`. Finding the pages a
new text duplicates is one indexed query per table over the new text's own keys, so the cost
per page does not grow with the archive. Candidates are then verified: by the Jaccard estimate
of the stored signatures, or by the words of the sentences both texts print verbatim.

Clusters grow by union: a text matching articles of several clusters merges them. Membership is
sticky, a later edit never splits a story. The origin is the member published first (else first
seen); every other member has `duplicate_of` = the origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from crawler.fingerprint import (
    Fingerprint,
    band_keys,
    estimate_jaccard,
    signature_from_bytes,
    signature_to_bytes,
)
from crawler.fingerprint import fingerprint as fingerprint_of


@dataclass(frozen=True)
class DedupThresholds:
    """When two texts are one story (plain values; the crawler fills them from CRAWLER_DEDUP_*)."""

    jaccard: float  # estimated Jaccard of the shingle sets at or above which texts are near-duplicates
    shared_words: int  # words in sentences two texts share verbatim at or above which they are one story
    boilerplate_articles: int  # a sentence already in this many articles is boilerplate: ignored


@dataclass(frozen=True)
class Linked:
    """What indexing one article's new text found."""

    cluster_id: int | None
    matches: dict[int, str]  # article id -> "exact" | "near" | "passage"
    text_version_id: int | None  # the version whose identical text this version now points to


def link_duplicates(db: Database, article_id: int, text: str, *, version: int,
                    thresholds: DedupThresholds, fingerprint: Fingerprint | None = None) -> Linked:
    """Index `text` as article `article_id`'s current text and link it to the stories it repeats.

    Call inside the write transaction that stored the version, after `articles` points at it.
    The article's own earlier text is dropped from the index first: an update is never its own duplicate.
    """
    new = fingerprint or fingerprint_of(text)
    _drop_from_index(db, article_id)
    matches = _near_matches(db, article_id, new, thresholds)
    text_version_id = _store_text_once(db, article_id, version)
    if text_version_id is not None:
        source_article = db.execute("SELECT article_id FROM versions WHERE id = ?", [text_version_id]).fetchone()[0]
        matches[source_article] = "exact"
    _add_to_index(db, article_id, new, thresholds.boilerplate_articles)
    cluster_id = _join_clusters(db, article_id, set(matches))
    return Linked(cluster_id, matches, text_version_id)


def _drop_from_index(db: Database, article_id: int) -> None:
    row = db.execute("SELECT signature, passages FROM minhash_signatures WHERE article_id = ?",
                     [article_id]).fetchone()
    if row is None:
        return
    db.conn.executemany("DELETE FROM minhash_bands WHERE band = ? AND hash = ? AND article_id = ?",
                        [(band, key, article_id) for band, key in band_keys(signature_from_bytes(row[0]))])
    db.conn.executemany("DELETE FROM passages WHERE hash = ? AND article_id = ?",
                        [(int(key), article_id) for key in np.frombuffer(row[1], dtype="<i8")])
    db.execute("DELETE FROM minhash_signatures WHERE article_id = ?", [article_id])


def _near_matches(db: Database, article_id: int, new: Fingerprint, thresholds: DedupThresholds) -> dict[int, str]:
    matches: dict[int, str] = {}
    for other, signature in _band_candidates(db, article_id, new):
        if estimate_jaccard(new.signature, signature) >= thresholds.jaccard:
            matches[other] = "near"
    for other, words in _shared_passage_words(db, article_id, new, thresholds.boilerplate_articles).items():
        if words >= thresholds.shared_words:
            matches.setdefault(other, "passage")
    return matches


def _band_candidates(db: Database, article_id: int, new: Fingerprint) -> list[tuple[int, np.ndarray]]:
    """Articles sharing at least one LSH band with `new`, with their stored signatures."""
    keys = new.bands()
    values = ", ".join("(?, ?)" for _ in keys)
    rows = db.execute(
        f"WITH q(band, hash) AS (VALUES {values}) "  # noqa: S608 (only placeholders are interpolated)
        "SELECT s.article_id, s.signature FROM minhash_signatures s WHERE s.article_id IN "
        "(SELECT b.article_id FROM q JOIN minhash_bands b ON b.band = q.band AND b.hash = q.hash) "
        "AND s.article_id != ?",
        [value for key in keys for value in key] + [article_id],
    ).fetchall()
    return [(other, signature_from_bytes(blob)) for other, blob in rows]


def _shared_passage_words(db: Database, article_id: int, new: Fingerprint, cap: int) -> dict[int, int]:
    """Words of the non-boilerplate sentences each other article shares with `new`."""
    if not new.passages:
        return {}
    words_of = dict(new.passages)
    postings: dict[int, list[int]] = {}
    rows = db.execute(
        f"SELECT hash, article_id FROM passages WHERE hash IN ({', '.join('?' * len(words_of))})",  # noqa: S608
        list(words_of),
    ).fetchall()
    for key, other in rows:
        postings.setdefault(key, []).append(other)
    shared: dict[int, int] = {}
    for key, others in postings.items():
        if len(others) >= cap:
            continue
        for other in others:
            if other != article_id:
                shared[other] = shared.get(other, 0) + words_of[key]
    return shared


def _store_text_once(db: Database, article_id: int, version: int) -> int | None:
    """If another article already stores this exact text, point this version at it and blank its copy."""
    row = db.execute(
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


def _add_to_index(db: Database, article_id: int, new: Fingerprint, cap: int) -> None:
    db.conn.executemany("INSERT INTO minhash_bands (band, hash, article_id) VALUES (?, ?, ?)",
                        [(band, key, article_id) for band, key in new.bands()])
    # A sentence at the boilerplate cap is not indexed again, so no posting list outgrows the cap.
    keys = [key for key, _ in new.passages]
    full = {row[0] for row in db.execute(
        f"SELECT hash FROM passages WHERE hash IN ({', '.join('?' * len(keys))}) "  # noqa: S608
        "GROUP BY hash HAVING COUNT(*) >= ?", [*keys, cap])} if keys else set()
    indexed = [key for key in keys if key not in full]
    db.conn.executemany("INSERT INTO passages (hash, article_id) VALUES (?, ?)",
                        [(key, article_id) for key in indexed])
    db.execute(
        "INSERT INTO minhash_signatures (article_id, signature, shingles, passages) VALUES (?, ?, ?, ?)",
        [article_id, signature_to_bytes(new.signature), new.shingles, np.array(indexed, dtype="<i8").tobytes()],
    )


def _join_clusters(db: Database, article_id: int, matches: set[int]) -> int | None:
    """Put the article and its matches in one cluster, merging theirs; refresh the origin."""
    members = matches | {article_id}
    marks = ", ".join("?" * len(members))
    clusters = {row[0] for row in db.execute(
        f"SELECT DISTINCT cluster_id FROM articles WHERE id IN ({marks}) AND cluster_id IS NOT NULL",  # noqa: S608
        list(members))}
    if not matches and not clusters:
        return None
    if clusters:
        target = min(clusters)
    else:
        target = int(db.execute("INSERT INTO clusters (articles, sources) VALUES (0, 0)").lastrowid)
    merged = sorted(clusters - {target})
    db.execute(
        f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks}) "  # noqa: S608
        f"OR cluster_id IN ({', '.join('?' * len(merged))})",
        [target, *members, *merged],
    )
    db.execute(f"DELETE FROM clusters WHERE id IN ({', '.join('?' * len(merged))})", merged)  # noqa: S608
    refresh_origin(db, target)
    return target


def refresh_origin(db: Database, cluster_id: int) -> int:
    """Make the member published first (else first seen) the cluster's origin; return its id."""
    origin = db.execute(
        "SELECT a.id FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
        "WHERE a.cluster_id = ? "
        "ORDER BY COALESCE(v.published_at, substr(a.first_seen_at, 1, 10)), a.first_seen_at, a.id LIMIT 1",
        [cluster_id],
    ).fetchone()[0]
    db.execute(
        "UPDATE articles SET is_cluster_origin = (id = :origin), "
        "duplicate_of = CASE WHEN id = :origin THEN NULL ELSE :origin END WHERE cluster_id = :cluster",
        {"origin": origin, "cluster": cluster_id},
    )
    db.execute(
        "UPDATE clusters SET origin_article_id = :origin, "
        "articles = (SELECT COUNT(*) FROM articles WHERE cluster_id = :cluster), "
        "sources = (SELECT COUNT(DISTINCT source) FROM articles WHERE cluster_id = :cluster) WHERE id = :cluster",
        {"origin": origin, "cluster": cluster_id},
    )
    return int(origin)


def forget_article(db: Database, article_id: int) -> None:
    """Take an article out of the index and out of its cluster, before it is deleted.

    A cluster left with fewer than two members is dissolved: a single article has no cluster.
    """
    _drop_from_index(db, article_id)
    row = db.execute("SELECT cluster_id FROM articles WHERE id = ?", [article_id]).fetchone()
    cluster_id = row[0] if row else None
    db.execute("UPDATE articles SET cluster_id = NULL, is_cluster_origin = 0, duplicate_of = NULL WHERE id = ?",
               [article_id])
    if cluster_id is None:
        return
    if db.execute("SELECT count(*) FROM articles WHERE cluster_id = ?", [cluster_id]).fetchone()[0] >= 2:
        refresh_origin(db, cluster_id)
        return
    db.execute("UPDATE articles SET cluster_id = NULL, is_cluster_origin = 0, duplicate_of = NULL "
               "WHERE cluster_id = ?", [cluster_id])
    db.execute("DELETE FROM clusters WHERE id = ?", [cluster_id])
