"""Story clusters at scale: a join or merge writes the same rows whatever the story's size; huge texts store."""

from __future__ import annotations

from pathlib import Path

from stories import INVITATION, UKRAINE, text
from story_archive import THRESHOLDS, Art

from storage.fingerprint import MAX_PASSAGES
from storage.articles import ensure_source, record_article
from storage.db import open_db


def store(db, source: str, url: str, body: str, published_at: str, fetched_at: str = "2026-01-01T00:00:00") -> int:
    article = Art(url=url, text=body, published_at=published_at)
    return record_article(db, article, source=source, run_id=None, fetched_at=fetched_at,
                          dedup=THRESHOLDS).article_id


def archive(path: Path):
    db = open_db(path)
    for source in ("skew", "mirror", "lag21", "bulk"):
        ensure_source(db, source)
    return db


def story(db, name: str, paragraphs: list[str], published_at: str, size: int) -> int:
    """A story of `size` members: a release, its mirror copy and size - 2 members added in bulk; returns the root."""
    release = store(db, "skew", f"https://skew.example/{name}", text(paragraphs), published_at)
    store(db, "mirror", f"https://mirror.example/{name}", text(paragraphs), published_at)
    root = db.execute("SELECT cluster_id FROM articles WHERE id = ?", [release]).fetchone()[0]
    assert root is not None
    db.conn.executemany(
        "INSERT INTO articles (canonical_url, source, url, first_seen_at, last_seen_at, current_version, "
        "text_hash, cluster_id, duplicate_of) VALUES (?, 'bulk', ?, 't', 't', 1, 'x', ?, ?)",
        [(f"https://bulk.example/{name}/{i}", f"https://bulk.example/{name}/{i}", root, release)
         for i in range(size - 2)])
    db.execute("UPDATE clusters SET articles = articles + ? WHERE id = ?", [size - 2, root])
    db.execute("INSERT INTO cluster_sources (cluster_id, source, articles) VALUES (?, 'bulk', ?)", [root, size - 2])
    db.conn.commit()
    return root


def cross_post(i: int) -> str:
    """The release with an intro of a town's own: shares most of its text, no sentence of the others' intros."""
    return text([f"Die Partnerstadt Nummer {i} meldet am {i % 28 + 1}. Februar 2019 ihre Teilnahme an "
                 f"dem Treffen, mit {i + 3} Gästen aus der Verwaltung.", *INVITATION[1:]])


def rows_written(db, action) -> int:
    before = db.conn.total_changes
    action()
    return db.conn.total_changes - before


def root_of(db, article_id: int) -> int:
    return db.execute("SELECT cluster_id FROM article_clusters WHERE article_id = ?", [article_id]).fetchone()[0]


def test_joining_a_story_writes_as_many_rows_with_10_000_members_as_with_10(tmp_path):
    written = {}
    for size in (10, 10_000):
        db = archive(tmp_path / f"{size}.db")
        root = story(db, "netzwerk", INVITATION, "2019-02-20", size)
        joined = []
        written[size] = rows_written(db, lambda: joined.extend(  # noqa: B023 (called at once)
            store(db, "lag21", f"https://lag21.example/{i}", cross_post(i), "2019-02-25") for i in range(30)))
        assert {root_of(db, a) for a in joined} == {root}
        assert db.execute("SELECT articles, sources FROM clusters WHERE id = ?", [root]).fetchone() == (size + 30, 4)
        db.close()
    assert written[10] == written[10_000]


def test_an_earlier_copy_becomes_origin_of_a_big_story_without_rewriting_its_members(tmp_path):
    written = {}
    for size in (10, 10_000):
        db = archive(tmp_path / f"{size}.db")
        root = story(db, "netzwerk", INVITATION, "2019-02-20", size)
        earlier: list[int] = []
        written[size] = rows_written(db, lambda: earlier.append(  # noqa: B023 (called at once)
            store(db, "lag21", "https://lag21.example/vorab", cross_post(1), "2019-02-01")))
        assert db.execute("SELECT origin_article_id FROM clusters WHERE id = ?", [root]).fetchone()[0] == earlier[0]
        # readers see every member as a duplicate of the new origin, though no member row changed
        assert db.execute("SELECT COUNT(*) FROM article_clusters WHERE duplicate_of = ?",
                          earlier).fetchone()[0] == size
        db.close()
    assert written[10] == written[10_000]


def test_merging_two_big_stories_writes_as_many_rows_as_merging_two_small_ones(tmp_path):
    written = {}
    for size in (10, 5_000):
        db = archive(tmp_path / f"{size}.db")
        first = story(db, "netzwerk", INVITATION, "2019-02-20", size)
        second = story(db, "ukraine", UKRAINE, "2023-11-09", size)
        # older than both origins and quoting both: the text both stories repeat unites them
        common = text([INVITATION[1], UKRAINE[1]])
        written[size] = rows_written(db, lambda: store(db, "lag21", "https://lag21.example/q", common, "2018-01-01"))
        roots = {row[0] for row in db.execute("SELECT cluster_id FROM article_clusters")}
        assert len(roots) == 1 and roots <= {first, second}
        assert db.execute("SELECT articles FROM clusters WHERE parent_id IS NULL").fetchall() == [(2 * size + 1,)]
        db.close()
    assert written[10] == written[5_000]


def huge_text(sentences: int, offset: int = 0) -> str:
    """Distinct German sentences of ten words, about 70 bytes each."""
    return "\n".join(f"Kommune {i} meldet Projekt {i * 7} mit Partner {i * 13} aus Region {i % 97}."
                     for i in range(offset, offset + sentences))


def test_a_two_megabyte_text_with_more_sentences_than_sqlite_variables_stores_and_links(tmp_path):
    db = archive(tmp_path / "huge.db")
    body = huge_text(36_000)  # more distinct sentences than SQLite's default 32,766 variables
    assert len(body.encode()) > 2_000_000
    first = store(db, "skew", "https://skew.example/archiv", body, "2020-01-01")
    # the same document with a new head and its last tenth cut: found, though only a sample is indexed
    copy = store(db, "lag21", "https://lag21.example/archiv", "Aus dem Archiv der Servicestelle.\n" + huge_text(32_400),
                 "2020-02-01")
    assert db.execute("SELECT COUNT(*) FROM passages WHERE article_id = ?", [first]).fetchone()[0] == MAX_PASSAGES
    assert root_of(db, copy) == root_of(db, first) is not None
    stored = db.execute("SELECT text FROM version_texts WHERE article_id = ?", [first]).fetchone()[0]
    assert stored == body
    db.close()
