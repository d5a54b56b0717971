"""Shrink quarantine: a text that lost most of its words becomes a version only when seen twice.

A page cut short in transit (where no check caught it), a CMS serving a stub for a moment, or a
template that briefly hides the article body all look like an edit that deleted most of the
text; stored, that is a false change alert and a version nobody wanted (reliability.md H8 (b),
C15). So when a known article's new text has fewer than `ratio` times the words of its current
version, the fetch is recorded as `quarantined` with the word counts and the new text's hash in
its `detail`, and nothing else is stored but the sighting (`last_seen_at`: the page answered). A
later run that finds the same text again confirms it: it is stored as a normal `changed`
version. Any other text seen in between (the full text back, a 304, another edit) resets the wait.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.lifecycle import REACHED_SQL

_HASH_LABEL = "text sha256 "


def is_shrunk(current_words: int, new_words: int, ratio: float) -> bool:
    """Whether a text lost so many words that it must wait: fewer than `ratio` times as many (0: never)."""
    return ratio > 0 and new_words < ratio * current_words


def hold_shrunk_text(db: Database, article_id: int, run_id: int | None, current_text: str, new_text: str,
                     digest: str, ratio: float) -> str | None:
    """The quarantined fetch's `detail` when `new_text` (hash `digest`) must wait; None to store it."""
    current_words, new_words = len(current_text.split()), len(new_text.split())
    if not is_shrunk(current_words, new_words, ratio):
        return None
    if waiting_hash(db, article_id, run_id) == digest:
        return None  # the same text on another night: a real edit
    return quarantine_detail(current_words, new_words, digest)


def waiting_hash(db: Database, article_id: int, run_id: int | None) -> str | None:
    """The text hash an earlier run quarantined, if the article's last text seen since was that one.

    Only fetches that saw the page's text count (stored, unchanged, 304, quarantined): an error
    or a 404 in between neither confirms nor resets. A quarantine of this same run confirms
    nothing: the text must come back on another night.
    """
    row = db.execute(
        f"SELECT run_id, outcome, detail FROM fetches WHERE article_id = ? AND outcome IN {REACHED_SQL} "  # noqa: S608 (fixed REACHED_SQL)
        "ORDER BY id DESC LIMIT 1",
        [article_id],
    ).fetchone()
    if row is None or row[1] != "quarantined" or (run_id is not None and row[0] == run_id):
        return None
    return quarantined_hash(row[2])


def quarantine_detail(current_words: int, new_words: int, digest: str) -> str:
    """The `fetches.detail` of a quarantined text: word counts for people, the hash for the next run."""
    return f"{new_words} of {current_words} words; {_HASH_LABEL}{digest}"


def quarantined_hash(detail: str | None) -> str | None:
    """The text hash in a quarantined fetch's `detail` (quarantine_detail's format)."""
    if not detail or _HASH_LABEL not in detail:
        return None
    return detail.rsplit(_HASH_LABEL, 1)[1].strip()
