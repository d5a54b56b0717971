"""Change monitoring: conditional re-crawls, gone and unlinked articles, revival, search, diffs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from archive_items import Art as StorageArt
from change_site import article_page, article_text, crawl_site, query_archive as rows
from click.testing import CliRunner

from partnerwatch.cli import main
from storage.articles import ensure_source, record_article, record_fetch
from storage.db import open_db
from storage.fts import head_version_ids, indexed_version_ids, search
from storage.lifecycle import conclude_run
from storage.runs import start_run

URL = "https://town.example/news/1.html"


def town_article(**fields: object) -> StorageArt:
    """An extracted article of the test town; `fields` override."""
    return replace(StorageArt(), **{"url": URL, "title": "Meldung 1", "text": article_text(1),
                                    "published_at": "2026-01-01", **fields})


@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "town")
    yield db
    db.close()


def outcomes(db_path: Path, run_id: int) -> dict[str, str]:
    found = rows(db_path, "SELECT url, outcome FROM fetches WHERE run_id = ?", [run_id])
    return {url.rsplit("/", 1)[1]: outcome for url, outcome in found}


# --- storage: search, tombstones, unlinked ------------------------------------------------

def test_search_finds_edited_article_by_new_words_not_removed_words(db):
    record_article(db, town_article(), source="town", run_id=None, fetched_at="t1")
    edited = town_article(text=article_text(1).replace("Partnerkommune", "Schwesterstadt"))
    record_article(db, edited, source="town", run_id=None, fetched_at="t2")
    assert [hit["title"] for hit in search(db, "Schwesterstadt")] == ["Meldung 1"]
    assert search(db, "Partnerkommune") == []
    assert indexed_version_ids(db) == head_version_ids(db) != set()


def test_gone_needs_n_consecutive_completed_runs_and_a_success_resets_the_count(db):
    record_article(db, town_article(), source="town", run_id=None, fetched_at="t0")
    linked = {"town": {"https://town.example/news/2.html"}}

    def run_with(outcome: str) -> None:
        run = start_run(db, "municipal", "t")
        if outcome == "gone":
            record_fetch(db, run_id=run, source="town", url=URL, fetched_at="t", outcome="gone", http_status=404)
        else:
            record_article(db, town_article(), source="town", run_id=run, fetched_at="t")
        conclude_run(db, run, linked, gone_after=3, at=f"at-run-{run}")

    for outcome in ("gone", "gone", "unchanged", "gone", "gone"):
        run_with(outcome)
    assert db.execute("SELECT gone_streak, gone_at FROM articles").fetchone() == (2, None)
    run_with("gone")
    assert db.execute("SELECT gone_streak, gone_at FROM articles").fetchone() == (3, "at-run-6")
    assert db.execute("SELECT count(*) FROM versions").fetchone() == (1,)  # never an empty version


def test_source_whose_discovery_linked_nothing_is_not_judged(db):
    record_article(db, town_article(), source="town", run_id=None, fetched_at="t0")
    for _ in range(4):
        run = start_run(db, "municipal", "t")
        record_fetch(db, run_id=run, source="town", url=URL, fetched_at="t", outcome="gone", http_status=404)
        conclude_run(db, run, {"town": set()}, gone_after=1, at="t")
    assert db.execute("SELECT gone_streak, gone_at, unlinked_at FROM articles").fetchone() == (0, None, None)


# --- crawls of a live (local) site --------------------------------------------------------

def test_recrawl_is_conditional_and_only_real_edits_make_versions(site, tmp_path):
    db_path = tmp_path / "archive.db"
    site.no_validators = {"/news/1.html", "/news/2.html"}
    crawl_site(site, tmp_path, db_path)
    assert outcomes(db_path, 1) == {f"{n}.html": "new" for n in range(6)}
    site.hits.clear()
    site.pages["/news/1.html"] = article_page(1, footer="Stand: 02.01.2026")  # boilerplate-only change
    site.pages["/news/3.html"] = article_page(3, footer="Stand: 02.01.2026")
    crawl_site(site, tmp_path, db_path)
    assert outcomes(db_path, 2) == {"0.html": "not_modified", "1.html": "unchanged", "2.html": "unchanged",
                                    "3.html": "unchanged", "4.html": "not_modified", "5.html": "not_modified"}
    assert all("if-none-match" in headers for headers in site.requests_to("/news/0.html"))
    # a listing is never conditional: it must always yield its links
    assert [h for h in site.requests_to("/news/") if "if-none-match" in h or "if-modified-since" in h] == []
    assert rows(db_path, "SELECT count(*) FROM versions") == [(6,)]
    assert rows(db_path, "SELECT count(*) FROM articles WHERE last_seen_at > first_seen_at") == [(6,)]
    stats = rows(db_path, "SELECT url, detail FROM fetches WHERE run_id = 2 AND outcome = 'unchanged'")
    # same bytes (2.html) skip extraction; a new footer (1.html, 3.html) is extracted, and ignored
    assert sorted((url.rsplit("/", 1)[1], detail) for url, detail in stats) == [
        ("1.html", None), ("2.html", "same body"), ("3.html", None)]


def test_deleted_article_is_gone_after_n_runs_unlinked_one_flagged_and_both_come_back(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    deleted = site.pages.pop("/news/4.html")
    site.listed.remove(4)  # a deleted article usually leaves the listing too
    site.listed.remove(5)  # still online, no longer linked
    for _ in range(2):
        crawl_site(site, tmp_path, db_path, CRAWLER_GONE_AFTER_RUNS=2)
    assert outcomes(db_path, 2)["4.html"] == outcomes(db_path, 3)["4.html"] == "gone"
    assert outcomes(db_path, 3)["5.html"] == "not_modified"  # revisited although no listing linked it
    flags = rows(db_path, "SELECT substr(url, -6), gone_at IS NOT NULL, unlinked_at IS NOT NULL FROM articles "
                          "WHERE gone_at IS NOT NULL OR unlinked_at IS NOT NULL ORDER BY url")
    assert flags == [("4.html", 1, 0), ("5.html", 0, 1)]
    assert rows(db_path, "SELECT count(*) FROM versions") == [(6,)]  # never an empty version

    site.pages["/news/4.html"] = deleted
    site.listed += [4, 5]
    crawl_site(site, tmp_path, db_path, CRAWLER_GONE_AFTER_RUNS=2)
    assert outcomes(db_path, 4)["4.html"] == "revived"
    assert rows(db_path, "SELECT count(*) FROM articles WHERE gone_at IS NOT NULL OR unlinked_at IS NOT NULL "
                         "OR gone_streak > 0") == [(0,)]

    site.listed = []  # the listing links nothing: discovery failed, not every article vanished
    site.pages = dict.fromkeys(site.pages)
    crawl_site(site, tmp_path, db_path, CRAWLER_GONE_AFTER_RUNS=1)
    assert rows(db_path, "SELECT count(*) FROM fetches WHERE run_id = 5") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM articles WHERE gone_at IS NOT NULL OR unlinked_at IS NOT NULL") == [(0,)]


# --- reading: changes and diff ------------------------------------------------------------

def test_changes_and_diff_commands_report_the_edit(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    site.pages["/news/0.html"] = article_page(0, edition=2)
    site.pages["/news/6.html"] = article_page(6)
    site.listed.append(6)
    crawl_site(site, tmp_path, db_path)
    runner = CliRunner()
    result = runner.invoke(main, ["changes", "--db", str(db_path), "--since", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "town: 1 new, 1 changed"
    assert any(line.split()[:3] == ["new", "v1", "Meldung"] and line.endswith("/news/6.html") for line in lines)
    assert any(line.split()[:2] == ["changed", "+11/-0"] and line.endswith("/news/0.html") for line in lines)
    url = f"{site.origin}/news/0.html"
    result = runner.invoke(main, ["diff", "--db", str(db_path), url])
    assert result.exit_code == 0, result.output
    assert "{+Nachtrag 2: Der Stadtrat hat die Förderung für Klimapartnerschaft 0 verlängert.+}" in result.output
    assert "[-" not in result.output
    result = runner.invoke(main, ["diff", "--db", str(db_path), url, "--from", "2", "--to", "1"])
    assert "[-Nachtrag 2: Der Stadtrat hat die Förderung für Klimapartnerschaft 0 verlängert.-]" in result.output
    assert runner.invoke(main, ["diff", "--db", str(db_path), url, "--to", "3"]).exit_code != 0
