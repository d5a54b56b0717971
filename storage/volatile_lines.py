"""The archive's memory of volatile lines, and the verdict on a text that differs from its version.

A text that differs from the article's current version only in line pairs with equal
skeletons, each of which may be page furniture (storage/volatile.py), is no edit: the fetch is
`unchanged` (or `metadata` when the title or date changed) with detail `volatile only`, and no
text version is stored. Each such line's skeleton is counted per source in `volatile_lines`;
one that was volatile on `REMEMBERED` fetches is *remembered*: from then on the source's lines
of that skeleton are left out of every comparison, so their values, and whether they are there
at all (a counter widget that failed to render, a line that moved), are never a change.

A real edit beside a volatile line is `changed` as ever, its version holds the whole new text
(the line's current values too), and its word counts leave the volatile lines out.

One query reads the counts of the differing lines' skeletons, and only for texts whose hash
differs from their version's: the cost does not grow with the archive.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from storage.volatile import LineBlock, changed_blocks, may_be_volatile, skeleton, skeleton_hash

REMEMBERED = 2  # fetches on which a skeleton was volatile before the source remembers it
DETAIL = "volatile only"


@dataclass(frozen=True)
class Verdict:
    """Whether a differing text is an edit, and the skeleton hashes its word counts leave out."""

    is_edit: bool
    volatile: frozenset[str] = frozenset()


def judge_text(db: Database, *, source: str, old: str, new: str, seen_at: str, is_fetch: bool = True) -> Verdict:
    """Judge `new` against the stored `old` of one of `source`'s articles; count its volatile lines.

    `is_fetch=False` (a re-extraction of a stored page) judges alike but counts nothing.
    """
    blocks = changed_blocks(old, new)
    lines = {skeleton_hash(line): line for block in blocks for line in (*block.old, *block.new)}
    remembered = _remembered(db, source, list(lines))
    pairs, is_edit = _volatile_pairs(blocks, remembered)
    verdict = Verdict(is_edit, remembered | pairs)
    if is_fetch and not is_edit:
        _count(db, source, seen_at, {key: lines[key] for key in verdict.volatile})
    return verdict


def _volatile_pairs(blocks: list[LineBlock], remembered: frozenset[str]) -> tuple[frozenset[str], bool]:
    """Skeletons of the replaced line pairs that differ only in volatile values; whether aught else differs.

    Remembered lines drop out of each block first, so one that came, went or moved is no difference.
    """
    pairs: set[str] = set()
    is_edit = False
    for block in blocks:
        old = [line for line in block.old if skeleton_hash(line) not in remembered]
        new = [line for line in block.new if skeleton_hash(line) not in remembered]
        if len(old) != len(new):
            is_edit = True
            continue
        for before, after in zip(old, new, strict=True):
            if skeleton(before) == skeleton(after) and may_be_volatile(after):
                pairs.add(skeleton_hash(after))
            else:
                is_edit = True
    return frozenset(pairs), is_edit


def _remembered(db: Database, source: str, keys: list[str]) -> frozenset[str]:
    if not keys:
        return frozenset()
    rows = db.execute(
        f"SELECT skeleton_hash FROM volatile_lines WHERE source = ? AND seen >= {REMEMBERED} "  # noqa: S608 (a constant and placeholders)
        f"AND skeleton_hash IN ({', '.join('?' * len(keys))})",
        [source, *keys],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def _count(db: Database, source: str, seen_at: str, lines: dict[str, str]) -> None:
    """One more fetch on which these lines (skeleton hash -> a line) were volatile."""
    db.conn.executemany(
        "INSERT INTO volatile_lines (source, skeleton_hash, skeleton, first_seen_at, last_seen_at, seen) "
        "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(source, skeleton_hash) DO UPDATE SET "
        "last_seen_at = excluded.last_seen_at, seen = seen + 1",
        [(source, key, skeleton(line), seen_at, seen_at) for key, line in lines.items()],
    )
