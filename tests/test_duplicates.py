"""Duplicates: one text stored once, one story one cluster with its earliest member as origin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from stories import INVITATION, REPORT, REPUBLISHED, SAME_TOPIC, UKRAINE, text
from story_archive import Art, store

from storage.articles import ensure_source, record_article
from storage.db import open_db
from storage.near_duplicates import DedupThresholds

@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def db(db_path: Path):
    db = open_db(db_path)
    for source in ("skew", "lag21", "musterstadt", "mirror"):
        ensure_source(db, source)
    yield db
    db.close()


def row(db, article_id: int) -> dict:
    """The article's story as readers see it: root cluster, origin flag, the origin it duplicates."""
    cursor = db.execute(
        "SELECT c.cluster_id, COALESCE(c.is_cluster_origin, 0) AS is_cluster_origin, c.duplicate_of, "
        "a.is_cluster_origin AS stored_origin FROM articles a LEFT JOIN article_clusters c ON c.article_id = a.id "
        "WHERE a.id = ?", [article_id])
    found = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
    assert found.pop("stored_origin") == found["is_cluster_origin"]  # the column is kept exact too
    return found


def test_exact_copy_under_another_url_stores_text_once_and_links(db):
    first = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    copy = store(db, "mirror", "https://mirror.example/a.html", INVITATION, "2019-02-20",
                 fetched_at="2026-01-02T00:00:00+00:00")
    texts = db.execute("SELECT article_id, text, text_version_id FROM versions ORDER BY id").fetchall()
    assert texts[0][1] == text(INVITATION) and texts[0][2] is None
    assert texts[1][1] == "" and texts[1][2] is not None  # the copy points at the first's version
    assert db.execute("SELECT text FROM version_texts WHERE article_id = ?", [copy]).fetchone()[0] == text(INVITATION)
    assert row(db, first) == {"cluster_id": row(db, copy)["cluster_id"], "is_cluster_origin": 1, "duplicate_of": None}
    assert row(db, copy)["duplicate_of"] == first and row(db, copy)["cluster_id"] is not None


def test_republished_release_on_another_site_joins_the_original_which_stays_origin(db):
    # the town's copy is crawled first, but SKEW published two days earlier
    town = store(db, "musterstadt", "https://musterstadt.example/presse/1", REPUBLISHED, "2019-02-22")
    skew = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20",
                 fetched_at="2026-01-02T00:00:00+00:00")
    assert row(db, town)["cluster_id"] == row(db, skew)["cluster_id"] is not None
    assert row(db, skew)["is_cluster_origin"] == 1
    assert row(db, town) == {"cluster_id": row(db, skew)["cluster_id"], "is_cluster_origin": 0, "duplicate_of": skew}
    versions = db.execute("SELECT COUNT(*) FROM versions WHERE text != ''").fetchone()[0]
    assert versions == 2  # a near-duplicate is not an exact one: both texts are kept


def test_copy_edited_in_every_sentence_is_found_by_minhash_alone(db):
    minhash_only = DedupThresholds(jaccard=0.5, shared_words=10**6, boilerplate_articles=50)
    original = text(INVITATION + REPORT[2:])
    edited = re.sub(r"\.(\s|$)", r", heißt es.\1", original)  # no sentence is left verbatim
    first = record_article(db, Art(url="https://skew.example/a", text=original), source="skew", run_id=None,
                           fetched_at="t1", dedup=minhash_only).article_id
    copy = record_article(db, Art(url="https://lag21.example/a", text=edited), source="lag21", run_id=None,
                          fetched_at="t2", dedup=minhash_only).article_id
    other = record_article(db, Art(url="https://lag21.example/b", text=text(SAME_TOPIC)), source="lag21",
                           run_id=None, fetched_at="t3", dedup=minhash_only).article_id
    assert row(db, copy)["cluster_id"] == row(db, first)["cluster_id"] is not None
    assert row(db, other)["cluster_id"] is None


def test_report_quoting_the_release_is_the_same_story_and_same_topic_stays_apart(db):
    skew = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    report = store(db, "lag21", "https://lag21.example/bericht", REPORT, "2019-04-03")
    other = store(db, "skew", "https://skew.example/b.html", SAME_TOPIC, "2021-10-14")
    unrelated = store(db, "lag21", "https://lag21.example/ukraine", UKRAINE, "2023-11-09")
    assert row(db, report)["cluster_id"] == row(db, skew)["cluster_id"] is not None
    assert row(db, report)["duplicate_of"] == skew
    assert row(db, other) == row(db, unrelated) == {"cluster_id": None, "is_cluster_origin": 0, "duplicate_of": None}
    assert db.execute("SELECT articles, sources, origin_article_id FROM clusters").fetchall() == [(2, 2, skew)]


def test_article_update_stays_one_article_and_is_not_its_own_duplicate(db):
    first = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    updated = [*INVITATION[:3], "Die Anmeldefrist wurde bis zum 15. März 2019 verlängert, weil viele Kommunen "
               "um mehr Zeit gebeten haben."]
    again = store(db, "skew", "https://skew.example/a.html", updated, "2019-02-20",
                  fetched_at="2026-01-02T00:00:00+00:00")
    assert again == first
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM versions WHERE text != ''").fetchone()[0] == 2
    assert row(db, first) == {"cluster_id": None, "is_cluster_origin": 0, "duplicate_of": None}
    assert db.execute("SELECT COUNT(*) FROM clusters").fetchone()[0] == 0
    # the old text's bands are gone: the index holds exactly one text for the article
    assert db.execute("SELECT COUNT(*) FROM minhash_bands WHERE article_id = ?", [first]).fetchone()[0] == 32


def test_update_that_now_repeats_another_story_joins_its_cluster(db):
    skew = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    page = store(db, "musterstadt", "https://musterstadt.example/presse/1", UKRAINE, "2019-02-22")
    assert row(db, page)["cluster_id"] is None
    store(db, "musterstadt", "https://musterstadt.example/presse/1", REPUBLISHED, "2019-02-22",
          fetched_at="2026-01-02T00:00:00+00:00")
    assert row(db, page)["cluster_id"] == row(db, skew)["cluster_id"] is not None


def test_retrospective_quoting_two_stories_joins_one_and_keeps_them_apart(db):
    invitation = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    copy = store(db, "mirror", "https://mirror.example/a.html", INVITATION, "2019-02-20")
    ukraine = store(db, "skew", "https://skew.example/ua.html", UKRAINE, "2018-11-09")
    ukraine_copy = store(db, "mirror", "https://mirror.example/ua.html", UKRAINE, "2018-11-09")
    bridge = store(db, "lag21", "https://lag21.example/rueckblick", [*REPORT, *UKRAINE[1:2]], "2024-01-10")
    # each story shares a sentence with the retrospective, not with each other: no chaining
    assert row(db, invitation)["cluster_id"] == row(db, copy)["cluster_id"] is not None
    assert row(db, ukraine)["cluster_id"] == row(db, ukraine_copy)["cluster_id"] is not None
    assert row(db, invitation)["cluster_id"] != row(db, ukraine)["cluster_id"]
    assert row(db, bridge)["cluster_id"] in (row(db, invitation)["cluster_id"], row(db, ukraine)["cluster_id"])
    assert sorted(db.execute("SELECT articles FROM clusters WHERE parent_id IS NULL").fetchall()) == [(2,), (3,)]


def test_release_crawled_after_two_reports_on_it_unites_them_under_itself(db):
    # newest first, as a first crawl finds them: two reports quoting different paragraphs, then the release
    first = store(db, "lag21", "https://lag21.example/bericht", REPORT, "2019-04-03")
    first_copy = store(db, "mirror", "https://mirror.example/bericht", REPORT, "2019-04-03")
    second_text = [REPUBLISHED[0], INVITATION[2], UKRAINE[2]]
    second = store(db, "musterstadt", "https://musterstadt.example/presse/2", second_text, "2019-03-01")
    second_copy = store(db, "mirror", "https://mirror.example/presse/2", second_text, "2019-03-01")
    assert row(db, first)["cluster_id"] != row(db, second)["cluster_id"]
    release = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    story = {row(db, a)["cluster_id"] for a in (first, first_copy, second, second_copy, release)}
    assert len(story) == 1 and None not in story
    assert row(db, release)["is_cluster_origin"] == 1
    assert {row(db, a)["duplicate_of"] for a in (first, first_copy, second, second_copy)} == {release}
    assert db.execute("SELECT articles, sources, origin_article_id FROM clusters WHERE parent_id IS NULL"
                      ).fetchall() == [(5, 4, release)]


def test_clusters_and_index_survive_a_restart(db, db_path):
    skew = store(db, "skew", "https://skew.example/a.html", INVITATION, "2019-02-20")
    store(db, "mirror", "https://mirror.example/a.html", INVITATION, "2019-02-20")
    db.close()
    # a new process, as the next nightly crawl is: it only has the file
    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from story_archive import store\n"
        "from storage.db import open_db\n"
        f"db = open_db({str(db_path)!r})\n"
        "print(store(db, 'lag21', 'https://lag21.example/bericht', __import__('stories').REPORT, '2019-04-03'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parent.parent, timeout=60)
    report = int(result.stdout)
    reopened = open_db(db_path)
    assert row(reopened, report)["cluster_id"] == row(reopened, skew)["cluster_id"] is not None
    assert reopened.execute("SELECT articles, sources, origin_article_id FROM clusters").fetchall() == [
        (3, 3, skew)]
    reopened.close()


def test_without_thresholds_nothing_is_indexed_or_linked(db):
    for url in ("https://skew.example/a.html", "https://mirror.example/a.html"):
        record_article(db, Art(url=url, text=text(INVITATION)), source="skew", run_id=None, fetched_at="t1")
    assert db.execute("SELECT COUNT(*) FROM minhash_signatures").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM articles WHERE cluster_id IS NOT NULL").fetchone()[0] == 0


def test_replica_golden_clusters_come_out_with_their_origin_and_same_topic_stays_apart(db):
    content = pytest.importorskip("crawler.replica.content")
    from crawler import settings

    defaults = DedupThresholds(settings.CRAWLER_DEDUP_JACCARD, settings.CRAWLER_DEDUP_SHARED_WORDS,
                               settings.CRAWLER_DEDUP_BOILERPLATE_ARTICLES, settings.CRAWLER_DEDUP_SHARED_SHARE,
                           settings.CRAWLER_DEDUP_TOPIC_OVERLAP)
    golden = content.articles("v1")
    ids = {}
    for article in golden:
        ensure_source(db, article.site)
        art = Art(url=f"https://{article.site}.example{article.path}", text="\n".join(article.paragraphs),
                  published_at=article.date.isoformat() if article.date else None, title=article.title)
        ids[article.key] = record_article(db, art, source=article.site, run_id=None, fetched_at="t1",
                                          dedup=defaults).article_id
    stories: dict[str, list] = {}
    for article in golden:
        if article.cluster:
            stories.setdefault(article.cluster, []).append(article)
    assert stories
    for members in stories.values():
        origin = min(members, key=lambda a: a.date or a.list_date)
        cluster = row(db, ids[origin.key])["cluster_id"]
        assert cluster is not None and row(db, ids[origin.key])["is_cluster_origin"] == 1
        found = {key for key, article_id in ids.items() if row(db, article_id)["cluster_id"] == cluster}
        assert len(found) >= 2 and found <= {a.key for a in members}
    for article in golden:
        if article.cluster is None:  # on the same topic maybe, but no other article tells its story
            assert row(db, ids[article.key])["cluster_id"] is None, article.key


STATEMENT = ("„Partnerschaften zwischen Kommunen sind keine Einbahnstraße, beide Seiten lernen voneinander und "
             "werden dabei klüger. Gerade in Krisenzeiten zeigt sich, wie wertvoll über Jahre gewachsenes "
             "Vertrauen zwischen Verwaltungen ist“, sagte der Staatssekretär.")


def test_three_stories_quoting_one_statement_stay_apart_while_the_report_still_joins_its_release(db):
    ukraine = store(db, "lag21", "https://lag21.example/ua", [*UKRAINE[:2], STATEMENT, UKRAINE[2]], "2023-11-09")
    same_topic = store(db, "skew", "https://skew.example/b", [*SAME_TOPIC[:2], STATEMENT, SAME_TOPIC[2]], "2021-10-14")
    invitation = store(db, "musterstadt", "https://musterstadt.example/a", [*INVITATION, STATEMENT], "2019-02-20")
    report = store(db, "mirror", "https://mirror.example/bericht", REPORT, "2019-04-03")
    for article in (ukraine, same_topic):
        assert row(db, article)["cluster_id"] is None
    assert row(db, report)["cluster_id"] == row(db, invitation)["cluster_id"] is not None
    assert db.execute("SELECT articles FROM clusters").fetchall() == [(2,)]


def test_english_stories_quoting_one_statement_stay_apart_and_a_cross_post_joins(db):
    quote = ('"Twinning is not charity. It is two administrations solving the same problems together, and both '
             'come out of it better prepared for the next crisis," the mayor told the assembly.')
    flood = ["Hamburg, 4 March 2025. Engineers from Hamburg and Dar es Salaam have finished a joint flood map "
             "of the harbour district, the first of its kind for the Tanzanian city.", quote,
             "The map will guide where drains are widened before the rainy season starts in April."]
    choir = ["Leipzig, 19 June 2025. A youth choir from Kyiv sang in St Thomas Church on Saturday, the highlight "
             "of a week of exchange between music schools in both cities.", quote,
             "The choir will travel on to Munich before returning home at the end of the month."]
    repost = ["Our friends in Hamburg shared this update from the partnership team.", *flood[1:]]
    first = store(db, "skew", "https://skew.example/flood", flood, "2025-03-04")
    other = store(db, "lag21", "https://lag21.example/choir", choir, "2025-06-19")
    copy = store(db, "mirror", "https://mirror.example/flood", repost, "2025-03-05")
    assert row(db, other)["cluster_id"] is None
    assert row(db, copy)["cluster_id"] == row(db, first)["cluster_id"] is not None


def test_a_site_whose_releases_share_a_stock_closing_keeps_each_story_its_own_size(db):
    closing = ("Weitere Informationen erhalten Sie bei der Pressestelle der Stadt Musterstadt unter Telefon "
               "0228 123456 oder per E-Mail. Alle Pressemitteilungen der Stadt finden Sie auch im Archiv auf "
               "unserer Internetseite und im Amtsblatt, das jeden Donnerstag erscheint.")
    bodies = [UKRAINE, SAME_TOPIC, INVITATION, REPORT[2:],
              ["Die Stadtbücherei bleibt wegen Umbauarbeiten vom 3. bis 14. Juni geschlossen. Ausgeliehene "
               "Medien können in dieser Zeit im Bürgerbüro am Markt zurückgegeben werden."]]
    releases = []
    for number, body in enumerate(bodies):
        releases.append(store(db, "musterstadt", f"https://musterstadt.example/presse/{number}", [*body, closing],
                              f"2024-0{number + 1}-10"))
        if number == 1:  # a partner's cross-post of the second release, closing included, early in the crawl
            cross = store(db, "lag21", "https://lag21.example/weitergeleitet",
                          ["Die Stadt Musterstadt meldet:", *SAME_TOPIC, closing], "2024-02-11")
    sizes = sorted(count for (count,) in db.execute("SELECT articles FROM clusters WHERE parent_id IS NULL"))
    assert sizes == [2]
    assert row(db, cross)["cluster_id"] == row(db, releases[1])["cluster_id"] is not None
