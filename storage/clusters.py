"""Story clusters as a union-find forest: joining or merging costs the same whatever their size.

A `clusters` row is a root (a story) or points at the cluster it was merged into (`parent_id`).
`articles.cluster_id` is written once, when the article joins; its story is the root reached by
following parents (`find_root`, which compresses the path it walks, and the `article_clusters`
view for readers). Only the root keeps the story's origin and counts (`clusters.articles`,
`clusters.sources` from `cluster_sources`), so a join writes a fixed handful of rows: the new
member, the root, one `cluster_sources` row and, when the origin moves, the old and new origin.
A merge points the smaller root at the larger and never rewrites members.

No chaining (issue 17): a text joins a story it shares a substantial part of its text with, not
one a third text happens to share a sentence with. So a quote (a "passage" link) counts only
when it is of the story's origin; a copy (exact, near, or repeating most of the shorter text)
of any member counts. A text linked
to several stories joins only those it copies, else the one it quotes most; it merges them all
only when it is older than each of their origins, i.e. it is the release they all repeat (in a
newest-first crawl the release often arrives after the reports on it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

STRENGTH = {"exact": 2, "near": 1, "passage": 0}


@dataclass(frozen=True)
class Link:
    """Why a new text is the same story as an indexed article."""

    kind: str  # exact | near | passage
    shared_words: int  # words of the verbatim sentences both print (0 when not measured)
    is_copy: bool = True  # repeats the other text (exact, near, most of the shorter text), not just quotes it


@dataclass
class _Candidate:
    root: int | None  # None: the linked article is in no cluster yet
    origin: int
    linked: list[int]  # the articles of this candidate the new text is linked to
    is_copy: bool  # an exact or near link to some member
    is_quote_of_origin: bool
    shared_words: int


def find_root(db: Database, cluster_id: int) -> int:
    """The story a cluster row belongs to; points every row on the way straight at it."""
    path = []
    node = cluster_id
    while (parent := db.execute("SELECT parent_id FROM clusters WHERE id = ?", [node]).fetchone()[0]) is not None:
        path.append(node)
        node = parent
    if len(path) > 1:
        db.conn.executemany("UPDATE clusters SET parent_id = ? WHERE id = ?", [(node, p) for p in path[:-1]])
    return node


def join_story(db: Database, article_id: int, links: dict[int, Link], *, is_new: bool = False) -> int | None:
    """Put `article_id` into the story its links allow (see module doc); return the root or None.

    `is_new`: the article was just inserted, so it is in no story yet (no lookup needed).
    """
    if is_new and not links:
        return None
    home_leaf = None if is_new else db.conn.execute("SELECT cluster_id FROM articles WHERE id = ?",
                                                    [article_id]).fetchone()[0]
    home = find_root(db, home_leaf) if home_leaf is not None else None  # membership is sticky
    if not links:
        return home
    candidates = _candidates(db, article_id, links, home)
    if not candidates:
        return home
    origins = [c.origin for c in candidates]
    if home is not None:
        origins.append(db.execute("SELECT origin_article_id FROM clusters WHERE id = ?", [home]).fetchone()[0])
    keys = _origin_keys(db, [article_id, *origins])
    if all(keys[article_id] <= keys[o] for o in origins):
        chosen = candidates  # the older text every one of them repeats
    else:
        copies = [c for c in candidates if c.is_copy]
        chosen = copies or ([] if home is not None else [max(candidates, key=lambda c: c.shared_words)])
    if not chosen:
        return home
    roots = {c.root for c in chosen if c.root is not None} | ({home} if home is not None else set())
    sizes = dict(db.execute("SELECT c.id, c.articles FROM json_each(?) j JOIN clusters c ON c.id = j.value",
                            [json.dumps(sorted(roots))]).fetchall())
    origins = [c.origin for c in chosen if c.root is not None] + (origins[-1:] if home is not None else [])
    if roots:
        winner = max(roots, key=lambda r: (sizes[r], -r))  # union by size keeps paths short
    else:
        created = db.execute("INSERT INTO clusters (articles, sources) VALUES (0, 0)").lastrowid
        assert created is not None  # an INSERT into a rowid table sets it
        winner = int(created)
    for loser in sorted(roots - {winner}):
        _merge(db, winner, loser)
    singles = [c.origin for c in chosen if c.root is None]
    newcomers = singles if home is not None else [article_id, *singles]
    origin = min([*origins, article_id, *singles], key=keys.__getitem__)
    target = origin if origin in links else max(
        (m for c in chosen for m in c.linked), key=lambda m: (STRENGTH[links[m].kind], links[m].shared_words))
    for member in newcomers:
        link_to = target if member == article_id else article_id
        _add_member(db, winner, member, None if member == origin else link_to)
    _set_origin(db, winner, origin, [o for o in origins if o != origin])
    return winner


def _candidates(db: Database, article_id: int, links: dict[int, Link], home: int | None) -> list[_Candidate]:
    """The stories and single articles the links point into, each with why it qualifies."""
    leaves = db.execute("SELECT a.id, a.cluster_id FROM json_each(?) j JOIN articles a ON a.id = j.value",
                        [json.dumps(sorted(links))]).fetchall()
    by_root: dict[int, list[int]] = {}
    out = []
    for other, leaf in leaves:
        if leaf is None:
            out.append(_Candidate(None, other, [other], links[other].is_copy, True, links[other].shared_words))
        else:
            by_root.setdefault(find_root(db, leaf), []).append(other)
    if home is not None:
        by_root.pop(home, None)  # links inside its own story change nothing
    if by_root:
        origins = dict(db.execute("SELECT c.id, c.origin_article_id FROM json_each(?) j "
                                  "JOIN clusters c ON c.id = j.value", [json.dumps(sorted(by_root))]).fetchall())
        for root, members in by_root.items():
            origin = origins[root]
            is_copy = any(links[m].is_copy for m in members)
            if is_copy or origin in members:
                shared = links[origin].shared_words if origin in links else 0
                out.append(_Candidate(root, origin, members, is_copy, origin in members, shared))
    return out


def _origin_keys(db: Database, article_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """Sort key of each article as an origin: published first, else seen first."""
    rows = db.execute(
        "SELECT a.id, COALESCE(v.published_at, substr(a.first_seen_at, 1, 10)), a.first_seen_at "
        "FROM json_each(?) j JOIN articles a ON a.id = j.value "
        "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version",
        [json.dumps(sorted(set(article_ids)))],
    ).fetchall()
    return {row[0]: (row[1], row[2], row[0]) for row in rows}


def _merge(db: Database, winner: int, loser: int) -> None:
    """Point root `loser` at root `winner`: one row, plus one per source the loser has."""
    db.execute("UPDATE clusters SET articles = articles + (SELECT articles FROM clusters WHERE id = :loser) "
               "WHERE id = :winner", {"winner": winner, "loser": loser})
    db.execute("UPDATE clusters SET parent_id = ? WHERE id = ?", [winner, loser])
    db.execute("INSERT INTO cluster_sources (cluster_id, source, articles) "
               "SELECT ?, source, articles FROM cluster_sources WHERE cluster_id = ? "
               "ON CONFLICT (cluster_id, source) DO UPDATE SET articles = articles + excluded.articles",
               [winner, loser])
    db.execute("DELETE FROM cluster_sources WHERE cluster_id = ?", [loser])


def _add_member(db: Database, root: int, article_id: int, duplicate_of: int | None) -> None:
    source = db.execute(
        "UPDATE articles SET cluster_id = ?, duplicate_of = ?, is_cluster_origin = 0 WHERE id = ? RETURNING source",
        [root, duplicate_of, article_id]).fetchone()[0]
    db.execute("INSERT INTO cluster_sources (cluster_id, source, articles) VALUES (?, ?, 1) "
               "ON CONFLICT (cluster_id, source) DO UPDATE SET articles = articles + 1", [root, source])
    db.execute("UPDATE clusters SET articles = articles + 1 WHERE id = ?", [root])


def _set_origin(db: Database, root: int, origin: int, former: list[int]) -> None:
    """Make `origin` the root's origin; `former` origins now point at it (duplicate_of)."""
    db.conn.executemany("UPDATE articles SET is_cluster_origin = 0, duplicate_of = ? WHERE id = ?",
                        [(origin, old) for old in former])
    db.execute("UPDATE articles SET is_cluster_origin = 1, duplicate_of = NULL WHERE id = ?", [origin])
    db.execute("UPDATE clusters SET origin_article_id = ?, "
               "sources = (SELECT COUNT(*) FROM cluster_sources WHERE cluster_id = ?) WHERE id = ?",
               [origin, root, root])


def leave_story(db: Database, article_id: int) -> None:
    """Take an article out of its story (a retracted version: storage/site_pages.py).

    Rare, so it may walk the story's members: the counts drop by one, members that pointed at
    the article point at the origin, a new origin is chosen if it was the origin, and a story
    left with one member is dissolved (a single article has no cluster).
    """
    row = db.execute("SELECT cluster_id, source FROM articles WHERE id = ?", [article_id]).fetchone()
    if row is None or row[0] is None:
        return
    root, source = find_root(db, row[0]), row[1]
    db.execute("UPDATE articles SET cluster_id = NULL, is_cluster_origin = 0, duplicate_of = NULL WHERE id = ?",
               [article_id])
    db.execute("UPDATE clusters SET articles = articles - 1 WHERE id = ?", [root])
    db.execute("UPDATE cluster_sources SET articles = articles - 1 WHERE cluster_id = ? AND source = ?", [root, source])
    db.execute("DELETE FROM cluster_sources WHERE cluster_id = ? AND articles <= 0", [root])
    members = [r[0] for r in db.execute("SELECT article_id FROM article_clusters WHERE cluster_id = ?", [root])]
    if len(members) < 2:
        tree = [r[0] for r in db.execute(
            "WITH RECURSIVE tree(id) AS "
            "(SELECT ? UNION ALL SELECT c.id FROM clusters c JOIN tree ON c.parent_id = tree.id) "
            "SELECT id FROM tree", [root])]
        db.conn.executemany("UPDATE articles SET cluster_id = NULL, is_cluster_origin = 0, duplicate_of = NULL "
                            "WHERE id = ?", [(member,) for member in members])
        db.execute("DELETE FROM cluster_sources WHERE cluster_id = ?", [root])
        db.execute("DELETE FROM clusters WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(tree)])
        return
    origin = db.execute("SELECT origin_article_id FROM clusters WHERE id = ?", [root]).fetchone()[0]
    if origin == article_id:
        keys = _origin_keys(db, members)
        origin = min(members, key=lambda member: keys.get(member, ("9999", "9999", member)))
        _set_origin(db, root, origin, [])
    db.execute("UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ? AND id != ?", [origin, article_id, origin])
    db.execute("UPDATE clusters SET sources = (SELECT COUNT(*) FROM cluster_sources WHERE cluster_id = ?) WHERE id = ?",
               [root, root])
