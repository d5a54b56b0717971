"""Site templates in the archive: each source's learned boilerplate blocks and its learner's counts.

A block is one paragraph (a line of an extracted text) that the source repeats on many
distinct pages: a sidebar teaser, a ticker, a banner, office hours. Blocks are never stored
as article text, and texts are compared with the blocks taken out, so learning a new block
is never reported as a change of the articles that carried it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import zstandard
from sqlite_utils import Database

from storage.db import open_db, write_transaction


def normalize_block(line: str) -> str:
    """A paragraph as blocks are kept: whitespace folded (the learner's own normalisation)."""
    return " ".join(line.split())


def strip_blocks(text: str, blocks: frozenset[str]) -> str:
    """`text` without the lines that are blocks of the source's template."""
    if not blocks:
        return text
    return "\n".join(line for line in text.split("\n") if normalize_block(line) not in blocks)


def block_lines(text: str) -> list[tuple[str, str]]:
    """Each line of `text` with its normal form (normalize_block): computed once per article, as
    the writer strips and learns from the same lines several times."""
    return [(line, " ".join(line.split())) for line in text.split("\n")]


def strip_block_lines(text: str, lines: list[tuple[str, str]], blocks: frozenset[str]) -> str:
    """strip_blocks(text, blocks), from `lines` = block_lines(text)."""
    if not blocks:
        return text
    kept = [line for line, normal in lines if normal not in blocks]
    return text if len(kept) == len(lines) else "\n".join(kept)


def folded_digest(lines: list[tuple[str, str]]) -> str:
    """storage.articles.text_hash of the text made of `lines` (whitespace folded, SHA-256)."""
    return hashlib.sha256(" ".join(normal for _, normal in lines if normal).encode("utf-8")).hexdigest()


def load_blocks(db: Database, source: str | None = None) -> dict[str, frozenset[str]]:
    """Learned blocks per source (only `source`'s when given)."""
    sql = "SELECT source, block FROM template_blocks" + (" WHERE source = ?" if source else "")  # noqa: S608 (fixed WHERE)
    found: dict[str, set[str]] = {}
    for name, block in db.execute(sql, [source] if source else []).fetchall():
        found.setdefault(name, set()).add(block)
    return {name: frozenset(blocks) for name, blocks in found.items()}


def add_blocks(db: Database, source: str, blocks: Iterable[str], *, learned_at: str, run_id: int | None) -> None:
    """Persist newly learned blocks, before any text stripped of them is stored."""
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO template_blocks (source, block, learned_at, run_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(source, block) DO NOTHING",
            [(source, block, learned_at, run_id) for block in sorted(blocks)],
        )


def load_learner_state(db: Database, source: str) -> str | None:
    """The learner's JSON (crawler.boilerplate.TemplateLearner.to_json) of `source`, if saved."""
    row = db.execute("SELECT state FROM template_learners WHERE source = ?", [source]).fetchone()
    return zstandard.ZstdDecompressor().decompress(row[0]).decode("utf-8") if row else None


def save_learner_state(db: Database, source: str, state: str, *, pages: int, updated_at: str) -> None:
    packed = zstandard.ZstdCompressor(level=3).compress(state.encode("utf-8"))
    with write_transaction(db):
        db.execute(
            "INSERT INTO template_learners (source, pages, updated_at, state) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(source) DO UPDATE SET pages = excluded.pages, updated_at = excluded.updated_at, "
            "state = excluded.state",
            [source, pages, updated_at, packed],
        )


def page_identity(db: Database, canonical_url: str, digest: str) -> str:
    """What the learner counts a page as: the article's first stored text, else this text (its
    text_hash `digest`, which is how versions store theirs).

    A mirror copy, an exact republication and a later edit of one article are one page to the
    learner, so the article's own paragraphs never add up to a "repeated" block.
    """
    row = db.conn.execute(
        "SELECT v.text_hash FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = 1 "
        "WHERE a.canonical_url = ?",
        [canonical_url],
    ).fetchone()
    return row[0] if row else digest


def read_blocks(path: Path) -> dict[str, frozenset[str]]:
    """load_blocks from the archive at `path`, for a reader that keeps no connection."""
    db = open_db(path)
    try:
        return load_blocks(db)
    finally:
        db.close()
