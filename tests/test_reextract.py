"""`partnerwatch reextract` on an archive built by crawling the replica: no fetching, versions only
where today's extraction stores another text."""

from __future__ import annotations

import math
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_crawl

from partnerwatch.cli import main
from crawler.extract import DATED_SHARE
from crawler.replica import Replica
from storage.db import open_db
from storage.template_blocks import add_blocks

SOURCES = ("skew", "lag21")


@pytest.fixture(scope="module")
def served() -> Iterator[Replica]:
    with Replica(state="v1", rate_limit=False) as replica:
        yield replica


@pytest.fixture(scope="module")
def crawled(served, tmp_path_factory) -> Path:
    """An archive of two replica sources, crawled once for the whole module."""
    db_path = tmp_path_factory.mktemp("crawled") / "archive.db"
    for spider in SOURCES:
        run_crawl(spider, db_path, served)
    return db_path


@pytest.fixture
def archive(crawled, served, tmp_path) -> Path:
    """A copy of the crawled archive for one test; the replica's request log starts empty."""
    db_path = tmp_path / "archive.db"
    shutil.copy(crawled, db_path)
    served.clear_hits()
    return db_path


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql, params).fetchall()


def current_texts(db_path: Path, source: str) -> dict[str, str]:
    return dict(query(db_path, "SELECT a.canonical_url, t.text FROM articles a JOIN version_texts t "
                      "ON t.article_id = a.id AND t.version = a.current_version WHERE a.source = ?", (source,)))


def reextract(db_path: Path, *args: str) -> dict[str, list[str]]:
    """Run the command; its report as {source: [pages, texts changed, title/date, no article, errors]}."""
    result = CliRunner().invoke(main, ["reextract", "--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("run ") and "nothing fetched" in lines[0]
    return {line.split()[0]: line.split()[1:] for line in lines[2:]}


def test_reextract_of_an_unchanged_archive_adds_nothing_and_fetches_nothing(archive, served):
    versions = query(archive, "SELECT count(*) FROM versions")
    report = reextract(archive)
    articles = query(archive, "SELECT count(*) FROM articles")[0][0]
    assert report["total"] == [str(articles), "0", "0", "0", "0"]
    assert query(archive, "SELECT count(*) FROM versions") == versions
    assert served.hits == []


def test_a_block_added_to_a_sources_template_changes_exactly_the_articles_carrying_it(archive, served):
    texts = current_texts(archive, "skew")
    # a paragraph of one skew article, declared part of skew's template
    url, text = next((u, t) for u, t in sorted(texts.items()) if len(t.split("\n")) > 2)
    block = text.split("\n")[1]
    carrying = {u for u, t in texts.items() if block in t.split("\n")}
    db = open_db(archive)
    add_blocks(db, "skew", [block], learned_at="2026-01-01T00:00:00+00:00", run_id=None)
    last_seen = db.execute("SELECT canonical_url, last_seen_at, url FROM articles ORDER BY id").fetchall()
    db.close()

    report = reextract(archive)
    assert report["skew"][:2] == [str(len(texts)), str(len(carrying))]
    assert report["lag21"][1:] == ["0", "0", "0", "0"]
    run_id = query(archive, "SELECT id FROM runs WHERE trigger = 'reextract'")[0][0]
    new_versions = query(archive, "SELECT a.canonical_url, v.change_kind, v.words_removed, v.raw_page_id IS NOT NULL "
                         "FROM versions v JOIN articles a ON a.id = v.article_id WHERE v.run_id = ?", (run_id,))
    assert sorted(new_versions) == sorted((u, "changed", len(block.split()), 1) for u in carrying)
    after = current_texts(archive, "skew")
    assert after[url] == "\n".join(line for line in text.split("\n") if line != block)
    assert {u: t for u, t in after.items() if u not in carrying} == {u: t for u, t in texts.items() if u not in carrying}
    # a re-extraction is not a sighting: when and where each article was last fetched stays as it was
    with sqlite3.connect(archive) as db:
        assert db.execute("SELECT canonical_url, last_seen_at, url FROM articles ORDER BY id").fetchall() == last_seen
    assert served.hits == []

    assert reextract(archive)["total"][1:] == ["0", "0", "0", "0"]  # the second time, nothing left to change


def test_pages_under_a_raised_minimum_are_no_longer_articles_but_keep_their_versions(archive, served):
    texts = current_texts(archive, "lag21")
    lengths = sorted(len(t) for t in texts.values())
    threshold = 4 * lengths[len(lengths) // 2]
    # a text the page dates as its own (the replica's print their dates) counts from a quarter of the minimum
    dated = dict(query(archive, "SELECT a.canonical_url, v.published_at IS NOT NULL FROM versions v JOIN articles a "
                       "ON a.id = v.article_id AND v.version = a.current_version WHERE a.source = 'lag21'"))
    too_short = sum(len(text) < (math.ceil(threshold * DATED_SHARE) if dated[url] else threshold)
                    for url, text in texts.items())
    versions = query(archive, "SELECT count(*) FROM versions")

    report = reextract(archive, "--source", "lag21", "-s", f"CRAWLER_EXTRACT_MIN_CHARS={threshold}")
    assert set(report) == {"lag21", "total"}
    assert report["lag21"] == [str(len(texts)), "0", "0", str(too_short), "0"]
    assert 0 < too_short < len(texts)
    assert query(archive, "SELECT count(*) FROM versions") == versions
    assert query(archive, "SELECT outcome, detail, count(*) FROM fetches WHERE run_id = "
                 "(SELECT max(id) FROM runs) GROUP BY outcome, detail ORDER BY outcome") == [
        ("no_article", "reextract", too_short), ("unchanged", "reextract", len(texts) - too_short)]
    assert served.hits == []


def test_reextract_refuses_an_unknown_source(archive):
    result = CliRunner().invoke(main, ["reextract", "--db", str(archive), "--source", "atlantis"])
    assert result.exit_code == 2 and "no source 'atlantis'" in result.output
