"""Article status (live, missing, gone, unlinked): what the archive says the night a page answers.

Real crawl subprocesses over several "nights" against two local servers (change_site's CMS
with ETags and 304s, and hostile_server's table of replies, which can answer 410), then the
`changes` and `export` commands on the archive they wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from archive_items import Art
from change_site import Site, article_page, article_text, crawl_site, serving
from click.testing import CliRunner
from hostile_server import HostileServer, crawl_sources, write_sources
from sqlite_utils import Database

from partnerwatch.cli import main
from storage.articles import ensure_source, record_article, record_fetch
from storage.db import open_db
from storage.lifecycle import conclude_run
from storage.migrations import migrations
from storage.runs import start_run

PAGE = "/news/1.html"


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.publish(4)
    with serving(served):
        yield served


def article(db_path: Path, path: str = PAGE) -> dict:
    """The article at `path` with its status (view article_status) and version count."""
    db = open_db(db_path)
    try:
        return next(db.query(
            "SELECT a.*, s.status, (SELECT count(*) FROM versions WHERE article_id = a.id) AS versions "
            "FROM articles a JOIN article_status s ON s.article_id = a.id WHERE a.url LIKE ?", [f"%{path}"]))
    finally:
        db.close()


def fetches(db_path: Path, path: str = PAGE) -> list[dict]:
    db = open_db(db_path)
    try:
        return list(db.query("SELECT run_id, outcome, http_status, fetched_at FROM fetches WHERE url LIKE ? "
                             "ORDER BY id", [f"%{path}"]))
    finally:
        db.close()


def changes(db_path: Path, since: str) -> list[list[str]]:
    """`partnerwatch changes --since` as lines split into words."""
    result = CliRunner().invoke(main, ["changes", "--db", str(db_path), "--since", since])
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def export(db_path: Path, since: str) -> dict[str, dict]:
    """`partnerwatch export --since` by URL path."""
    result = CliRunner().invoke(main, ["export", "--db", str(db_path), "--since", since])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["url"].split("/", 3)[3]: line for line in lines}


# --- crawls: change_site (ETags, 304) ---------------------------------------------------------

def test_flapping_page_with_a_quarantined_answer_between_404s_is_not_tombstoned(site, tmp_path):
    """200 full -> 404 -> 200 shrunk (quarantined) -> 404 -> 404, gone after 3: only two misses in a row."""
    db_path = tmp_path / "archive.db"
    settings = {"CRAWLER_GONE_AFTER_RUNS": 3, "CRAWLER_EXTRACT_WORKERS": 0}
    site.pages[PAGE] = article_page(1, paragraphs=8)
    for night_page in (site.pages[PAGE], None, article_page(1, paragraphs=2), None, None):
        site.pages[PAGE] = night_page
        crawl_site(site, tmp_path, db_path, **settings)
    nights = fetches(db_path)
    assert [(f["outcome"], f["http_status"]) for f in nights] == [
        ("new", 200), ("gone", 404), ("quarantined", 200), ("gone", 404), ("gone", 404)]
    head = article(db_path)
    assert (head["gone_at"], head["gone_streak"], head["status"]) == (None, 2, "missing")
    assert head["last_seen_at"] == nights[2]["fetched_at"]  # the quarantined answer was a sighting
    assert head["missing_since"] == nights[3]["fetched_at"]  # this streak's first miss, not night 2's
    assert head["versions"] == 1


def test_404_is_missing_in_changes_and_export_that_night_and_gone_after_n_nights(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    site.pages["/news/3.html"] = None  # deleted, still linked: the listing keeps it a while
    crawl_site(site, tmp_path, db_path)
    missed = fetches(db_path, "/news/3.html")[1]
    lines = changes(db_path, "2")
    assert lines[0] == ["town:", "1", "missing"]
    assert lines[1][:4] == ["missing", missed["fetched_at"][:10], "Meldung", "3"]
    assert lines[1][-1].endswith("/news/3.html")
    exported = export(db_path, "2")
    assert list(exported) == ["news/3.html"]  # nothing else changed that night
    assert (exported["news/3.html"]["status"], exported["news/3.html"]["missing_since"]) == (
        "missing", missed["fetched_at"])
    assert exported["news/3.html"]["gone"] is False and exported["news/3.html"]["text"]  # the index may hide it
    assert ["new", "v1", "(missing)", "Meldung", "3"] in [line[:5] for line in changes(db_path, "1")]

    site.listed.remove(3)  # gone from the listing too: the revisit still asks for it
    for _ in range(2):
        crawl_site(site, tmp_path, db_path)
    head = article(db_path, "/news/3.html")
    assert (head["status"], head["gone_streak"], head["missing_since"]) == ("gone", 3, missed["fetched_at"])
    assert ["gone", head["gone_at"][:10], "Meldung", "3"] == changes(db_path, "4")[1][:4]
    assert export(db_path, "4")["news/3.html"]["status"] == "gone"
    assert changes(db_path, "3") == [["town:", "1", "gone"], changes(db_path, "4")[1]]  # missing before 3
    assert article(db_path, "/news/2.html")["status"] == "live"


@pytest.mark.parametrize("comeback", ["extracted", "same bytes", "304"])
def test_missing_article_that_answers_again_is_live_with_no_new_version(site, tmp_path, comeback):
    """Back with the same text, however it answers: re-extracted, byte-identical, or 304 to our ETag."""
    db_path = tmp_path / "archive.db"
    original = site.pages[PAGE]
    if comeback != "304":
        site.no_validators = {PAGE}  # no ETag: a plain 200 each night
    crawl_site(site, tmp_path, db_path)
    site.pages[PAGE] = None
    crawl_site(site, tmp_path, db_path)
    assert article(db_path)["status"] == "missing"
    # a boilerplate-only change is extracted again and found to be the same text
    site.pages[PAGE] = article_page(1, footer="Stand: 03.01.2026") if comeback == "extracted" else original
    crawl_site(site, tmp_path, db_path)
    back = fetches(db_path)[-1]
    assert back["outcome"] == {"extracted": "unchanged", "same bytes": "unchanged", "304": "not_modified"}[comeback]
    head = article(db_path)
    assert (head["status"], head["missing_since"], head["gone_streak"], head["versions"]) == ("live", None, 0, 1)
    assert head["returned_at"] == head["last_seen_at"] == back["fetched_at"]
    lines = changes(db_path, "3")
    assert lines[0] == ["town:", "1", "back"] and lines[1][0] == "back"
    assert export(db_path, "3")["news/1.html"]["status"] == "live"
    crawl_site(site, tmp_path, db_path)
    assert changes(db_path, "4") == [["no", "changes"]]  # back once, not every night after


# --- crawls: hostile_server (410, a crawl that fails) -------------------------------------------

def town(site: HostileServer, tmp_path: Path, *links: str) -> Path:
    site.page("/news/", links=list(links))
    return write_sources(tmp_path, {"town": {
        "start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
        "listing_patterns": ["^/news/$"], "article_patterns": ["^/bericht/"]}})


def publish(site: HostileServer, *numbers: int) -> None:
    for number in numbers:
        site.xml(f"/bericht/{number}", article_page(number), "text/html; charset=utf-8")


def test_410_is_gone_the_same_night_a_404_only_missing(tmp_path):
    with HostileServer() as site:
        paths = [f"/bericht/{n}" for n in range(3)]
        publish(site, 0, 1, 2)
        sources = town(site, tmp_path, *paths)
        crawl_sources(tmp_path, sources, [site.netloc], CRAWLER_GONE_AFTER_RUNS=3)
        site.status("/bericht/1", 410)
        site.status("/bericht/2", 404)
        crawl_sources(tmp_path, sources, [site.netloc], CRAWLER_GONE_AFTER_RUNS=3)
    db_path = tmp_path / "archive.db"
    statuses = {path: article(db_path, path)["status"] for path in paths}
    assert statuses == {"/bericht/0": "live", "/bericht/1": "gone", "/bericht/2": "missing"}
    lines = changes(db_path, "2")
    assert lines[0] == ["town:", "1", "missing,", "1", "gone"]
    assert [(line[0], line[-1].rsplit("/", 1)[1]) for line in lines[1:]] == [("missing", "2"), ("gone", "1")]


def test_crawl_that_failed_marks_its_404s_missing_but_concludes_no_tombstone(tmp_path):
    with HostileServer() as site:
        publish(site, 0, 1)
        crawl_sources(tmp_path, town(site, tmp_path, "/bericht/0", "/bericht/1"), [site.netloc])
        site.status("/bericht/1", 410)
        # a malformed link makes the listing callback raise: the run is not complete
        sources = town(site, tmp_path, "/bericht/0", "/bericht/1", "http://[oops/")
        result = crawl_sources(tmp_path, sources, [site.netloc], CRAWLER_GONE_AFTER_RUNS=1)
        assert result.stat("spider_exceptions/ValueError") == 1
        db_path = tmp_path / "archive.db"
        head = article(db_path, "/bericht/1")
        assert (head["status"], head["gone_streak"], head["gone_at"]) == ("missing", 0, None)
        crawl_sources(tmp_path, town(site, tmp_path, "/bericht/0", "/bericht/1"), [site.netloc],
                      CRAWLER_GONE_AFTER_RUNS=1)
    head = article(db_path, "/bericht/1")
    assert (head["status"], head["gone_streak"]) == ("gone", 1)
    assert head["missing_since"] == fetches(db_path, "/bericht/1")[1]["fetched_at"]  # the failed night's miss


# --- storage: one run, several answers -------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "town")
    yield db
    db.close()


def test_a_run_that_reached_the_text_under_another_url_keeps_the_article_live(db):
    full = Art(url="https://town.example/a", text=article_text(7))
    record_article(db, full, source="town", run_id=None, fetched_at="t0")
    run = start_run(db, "municipal", "t1")
    record_article(db, replace(full, url="https://town.example/a?print=1", canonical_url=full.url),
                   source="town", run_id=run, fetched_at="t1")
    record_fetch(db, run_id=run, source="town", url=full.url, fetched_at="t1", outcome="gone", http_status=410)
    conclude_run(db, run, {"town": {full.url}}, gone_after=1, at="t1")
    row = db.execute("SELECT s.status, a.gone_streak FROM article_status s JOIN articles a ON a.id = s.article_id")
    assert row.fetchone() == ("live", 0)


def test_migration_dates_an_archived_404_streak_from_its_first_miss_after_the_last_answer(tmp_path):
    old = Database(tmp_path / "archive.db")
    migrations.apply(old, stop_before="m008_article_status")
    old.execute("INSERT INTO sources (name) VALUES ('town')")
    for number, outcomes in enumerate([("new", "gone", "not_modified"), ("new", "gone", "unchanged", "gone", "gone")]):
        old.execute("INSERT INTO articles (id, canonical_url, source, url, first_seen_at, last_seen_at, "
                    "current_version, text_hash) VALUES (?, ?, 'town', ?, 't0', 't0', 1, 'h')",
                    [number, f"https://town.example/{number}", f"https://town.example/{number}"])
        for night, outcome in enumerate(outcomes):
            old.execute("INSERT INTO fetches (url, article_id, fetched_at, outcome) VALUES (?, ?, ?, ?)",
                        [f"https://town.example/{number}", number, f"night {night}", outcome])
    old.conn.commit()
    old.close()
    db = open_db(tmp_path / "archive.db")
    assert db.execute("SELECT status, missing_since FROM article_status ORDER BY article_id").fetchall() == [
        ("live", None), ("missing", "night 3")]
    db.close()
