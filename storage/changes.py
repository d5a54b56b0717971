"""Reading the archive's history: what is new, changed or gone since a cut-off, and word diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlite_utils import Database

from storage.urls import canonical_url

DIFF_CONTEXT_WORDS = 8
PARAGRAPH = "¶"  # a paragraph break, diffed as a word of its own


class UnknownCutoff(ValueError):
    """A --since value that is neither a run id of this archive nor an ISO date."""


class UnknownArticle(LookupError):
    """No article (or no such version of it) under that URL."""


@dataclass(frozen=True)
class Cutoff:
    """Since when: a run (its versions and everything after its start) or a point in time."""

    run_id: int | None = None
    at: str | None = None
    # for a run: the end of the run before it. Status times (missing, gone, back) are compared
    # strictly after it, since a run that ends and the next that starts may share a second.
    after: str | None = None

    def status_sql(self, column: str) -> tuple[str, list[object]]:
        """A WHERE fragment selecting status times (`column`, e.g. `s.missing_since`) since the cut-off."""
        if self.after is not None:
            return f"{column} > ?", [self.after]
        if self.at is not None:
            return f"{column} >= ?", [self.at]
        return "1", []

    def versions_sql(self, alias: str = "v") -> tuple[str, list[object]]:
        """A WHERE fragment selecting versions found since the cut-off."""
        if self.run_id is not None:
            return f"{alias}.run_id >= ?", [self.run_id]
        if self.at is not None:
            return f"{alias}.fetched_at >= ?", [self.at]
        return "1", []


def parse_since(db: Database, since: str | None) -> Cutoff:
    """`None` → everything; a number → that run (inclusive); else an ISO date or date-time (UTC)."""
    if since is None:
        return Cutoff()
    if since.isdigit():
        row = db.execute("SELECT started_at FROM runs WHERE id = ?", [int(since)]).fetchone()
        if row is None:
            raise UnknownCutoff(f"no run {since} in this archive")
        before = db.execute("SELECT max(finished_at) FROM runs WHERE id < ? AND finished_at <= ?",
                            [int(since), row[0]]).fetchone()[0]
        return Cutoff(run_id=int(since), at=row[0], after=before)
    try:
        moment = datetime.fromisoformat(since) if "T" in since else date.fromisoformat(since)
    except ValueError as error:
        raise UnknownCutoff(f"--since {since!r} is neither a run id nor an ISO date") from error
    if isinstance(moment, datetime):
        # the archive's times are UTC ISO 8601 strings: a local time or another offset must be
        # converted before it is compared as text
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        return Cutoff(at=moment.isoformat(timespec="seconds"))
    return Cutoff(at=moment.isoformat())


# status changes `changes` lists: the status an article has now, and since when (view `article_status`);
# `back` is a missing or tombstoned article that answered again with its text
STATUS_CHANGES = {
    "back": ("('live', 'unlinked')", "returned_at"),
    "missing": ("('missing')", "missing_since"),
    "gone": ("('gone')", "gone_at"),
    "unlinked": ("('unlinked')", "unlinked_at"),
}


def changes_since(db: Database, cutoff: Cutoff, source: str | None = None) -> dict[str, dict[str, list[dict]]]:
    """Per source: articles `new`, `changed` (text, or `metadata` only), `back`, `missing`, `gone`, `unlinked`.

    Every row carries the article's `status` now (live, missing, gone or unlinked).
    """
    where, params = cutoff.versions_sql()
    if source is not None:
        where, params = f"{where} AND a.source = ?", [*params, source]
    rows = db.query(
        "SELECT a.source, a.canonical_url, v.title, v.version, v.change_kind, v.words_added, "  # noqa: S608 (fixed fragments, values bound)
        "v.words_removed, v.fetched_at, v.run_id, s.status FROM versions v JOIN articles a ON a.id = v.article_id "
        f"JOIN article_status s ON s.article_id = a.id WHERE {where} ORDER BY a.source, v.fetched_at, v.id",
        params,
    )
    report: dict[str, dict[str, list[dict]]] = {}
    latest: dict[str, dict] = {}  # an article found new and then edited in the window is new
    for row in rows:
        previous = latest.get(row["canonical_url"])
        row["kind"] = "new" if previous and previous["kind"] == "new" else _kind(row["change_kind"])
        latest[row["canonical_url"]] = row
    for row in latest.values():
        report.setdefault(row["source"], {}).setdefault(row["kind"], []).append(row)
    for kind in STATUS_CHANGES:
        for row in _status_changed(db, kind, cutoff, source):
            report.setdefault(row["source"], {}).setdefault(kind, []).append(row)
    return report


def _kind(change_kind: str) -> str:
    return "new" if change_kind == "new" else "changed"


def _status_changed(db: Database, kind: str, cutoff: Cutoff, source: str | None) -> list[dict]:
    statuses, column = STATUS_CHANGES[kind]
    where = f"s.status IN {statuses} AND s.{column} IS NOT NULL"
    since, params = cutoff.status_sql(f"s.{column}")
    where = f"{where} AND {since}"
    if source is not None:
        where, params = f"{where} AND s.source = ?", [*params, source]
    return list(db.query(
        f"SELECT s.source, s.canonical_url, v.title, v.version, s.status, s.missing_since, s.{column} AS flagged_at "  # noqa: S608 (fixed columns, values bound)
        "FROM article_status s JOIN articles a ON a.id = s.article_id "
        f"JOIN versions v ON v.article_id = a.id AND v.version = a.current_version WHERE {where} "
        f"ORDER BY s.source, s.{column}",
        params,
    ))


def version_texts(db: Database, url: str, from_version: int | None, to_version: int | None) -> tuple[dict, dict]:
    """Two versions of the article at `url` (its URL, canonical URL or id); default: the last two."""
    if url.isdigit():
        row = db.execute("SELECT id, current_version FROM articles WHERE id = ?", [int(url)]).fetchone()
    else:
        row = db.execute(  # the URL as copied from a browser bar (umlauts, upper-case host) finds its article too
            "SELECT id, current_version FROM articles WHERE canonical_url IN (?, ?) OR url = ? LIMIT 1",
            [url, canonical_url(url), url],
        ).fetchone()
    if row is None:
        raise UnknownArticle(f"no article {url}" if url.isdigit() else f"no article at {url}")
    article_id, current = row
    to_version = to_version or current
    from_version = from_version or max(to_version - 1, 1)
    found = {
        v["version"]: v
        for v in db.query(
            "SELECT v.version, v.fetched_at, v.change_kind, v.title, t.text FROM versions v "
            "JOIN version_texts t ON t.version_id = v.id WHERE v.article_id = ? AND v.version IN (?, ?)",
            [article_id, from_version, to_version],
        )
    }
    for number in (from_version, to_version):
        if number not in found:
            raise UnknownArticle(f"{url} has no version {number} (versions 1..{current})")
    return found[from_version], found[to_version]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, words) runs: op is '=' kept, '-' removed, '+' added; paragraphs stay whole words."""
    old_words, new_words = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("=", " ".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", " ".join(old_words[i1:i2])))
        if j2 > j1:
            runs.append(("+", " ".join(new_words[j1:j2])))
    return runs


def render_diff(runs: list[tuple[str, str]], context: int = DIFF_CONTEXT_WORDS) -> str:
    """wdiff style: `[-removed-]{+added+}`, long unchanged stretches cut to `context` words."""
    parts: list[str] = []
    for index, (op, words) in enumerate(runs):
        tokens = words.split(" ")
        if op == "=":
            parts.append(_trim(tokens, context, is_first=index == 0, is_last=index == len(runs) - 1))
            continue
        # paragraph breaks at the edges of a change belong to the text around it
        lead = len(tokens) - len(_lstrip_breaks(tokens))
        inner = _lstrip_breaks(_lstrip_breaks(tokens)[::-1])[::-1]
        trail = len(tokens) - lead - len(inner)
        marked = f"[-{' '.join(inner)}-]" if op == "-" else f"{{+{' '.join(inner)}+}}"
        parts.append(" ".join([PARAGRAPH] * lead + [marked] + [PARAGRAPH] * trail))
    text = " ".join(part for part in parts if part)
    return text.replace(f" {PARAGRAPH} ", "\n").replace(PARAGRAPH, "\n")


def _lstrip_breaks(tokens: list[str]) -> list[str]:
    index = 0
    while index < len(tokens) and tokens[index] == PARAGRAPH:
        index += 1
    return tokens[index:]


def _words(text: str) -> list[str]:
    # a paragraph break is a word of its own, so a diff keeps the text's shape
    return f" {PARAGRAPH} ".join(" ".join(line.split()) for line in text.splitlines() if line.strip()).split(" ")


def _trim(words: list[str], context: int, *, is_first: bool, is_last: bool) -> str:
    head = [] if is_first else words[:context]
    tail = [] if is_last else words[-context:]
    if len(head) + len(tail) >= len(words):
        return " ".join(words)
    return " ".join([*head, "…", *tail])
