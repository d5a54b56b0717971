"""Site-template learning in the crawl: a source's repeated blocks never reach stored text, from the
first crawl on, and learning them is never reported as a change."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_items import Art
from change_site import Site, article_text, crawl_site, serve
from conftest import run_crawl

from storage.articles import ensure_source, record_article, text_hash
from storage.db import open_db
from storage.template_blocks import block_lines, folded_digest, load_blocks, strip_block_lines, strip_blocks

ARTICLES = 10
REPUBLISHED = (20, 21, 22)  # one press release published three times, under three URLs
SIDEBAR_V1 = "Termin-Tipp: Sommerfest der Partnerschaftsvereine am 12. Juli im Rathaus"
SIDEBAR_V2 = "Termin-Tipp: Herbstempfang für die Delegation aus Ntoro am 3. Oktober"


def page_with_sidebar(number: int, sidebar: str, text_of: int | None = None) -> bytes:
    """An article whose CMS puts a teaser inside the article element: generic extraction keeps it."""
    paragraphs = "".join(f"<p>{line}</p>" for line in article_text(text_of or number).splitlines())
    return (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Meldung {number}</title></head>"
            f"<body><main><article><h1>Meldung {number}</h1>{paragraphs}"
            f"<div class='hinweis'><p>{sidebar}</p></div></article></main></body></html>").encode()


def publish(site: Site, sidebar: str) -> None:
    for number in range(ARTICLES):
        site.pages[f"/news/{number}.html"] = page_with_sidebar(number, sidebar)
    for number in REPUBLISHED:
        site.pages[f"/news/{number}.html"] = page_with_sidebar(number, sidebar, text_of=REPUBLISHED[0])
    site.listed = [*range(ARTICLES), *REPUBLISHED]


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    publish(served, SIDEBAR_V1)
    server = serve(served)
    yield served
    server.shutdown()


def stored_texts(db_path: Path) -> dict[str, str]:
    with sqlite3.connect(db_path) as db:
        return dict(db.execute("SELECT a.url, t.text FROM articles a JOIN version_texts t "
                               "ON t.article_id = a.id AND t.version = a.current_version"))


def version_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT count(*) FROM versions").fetchone()[0]


def test_without_template_learning_the_in_article_sidebar_is_stored(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, CRAWLER_TEMPLATE_ENABLED=False)
    texts = stored_texts(db_path)
    assert len(texts) == ARTICLES + len(REPUBLISHED)
    assert all(SIDEBAR_V1 in text for text in texts.values())


def test_first_crawl_stores_no_sidebar_and_a_changed_sidebar_adds_no_version(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    texts = stored_texts(db_path)
    assert len(texts) == ARTICLES + len(REPUBLISHED)
    for url, text in texts.items():
        number = int(url.rsplit("/", 1)[1].removesuffix(".html"))
        assert SIDEBAR_V1 not in text
        # every paragraph of the article is kept, the republished one's too
        assert text == article_text(REPUBLISHED[0] if number in REPUBLISHED else number), url
    versions = version_count(db_path)

    publish(site, SIDEBAR_V2)
    crawl_site(site, tmp_path, db_path)
    assert version_count(db_path) == versions
    assert not any(SIDEBAR_V2 in text for text in stored_texts(db_path).values())
    db = open_db(db_path)
    blocks = load_blocks(db)["town"]
    db.close()
    assert {SIDEBAR_V1, SIDEBAR_V2} <= blocks
    assert not blocks & set(article_text(REPUBLISHED[0]).splitlines())


def test_a_block_learned_later_is_no_change_of_a_text_stored_with_it(tmp_path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "skew")
    record_article(db, Art(text=Art.text + "\n" + SIDEBAR_V1), source="skew", run_id=None, fetched_at="t1")
    blocks = frozenset({SIDEBAR_V1})
    clean = Art(text=strip_blocks(Art.text + "\n" + SIDEBAR_V1, blocks))
    assert record_article(db, clean, source="skew", run_id=None, fetched_at="t2", template_blocks=blocks).outcome == (
        "unchanged")
    assert record_article(db, clean, source="skew", run_id=None, fetched_at="t3").outcome == "changed"
    db.close()


def test_berlins_corona_banner_is_kept_out_only_by_template_learning(replica, tmp_path):
    """The one replica template block generic extraction keeps: on berlin.de's pages of 2020-2022."""
    banner = "Berlin informiert zum Coronavirus"
    carrying = {}
    for enabled in (False, True):
        db_path = tmp_path / f"templates-{enabled}.db"
        run_crawl("municipal", db_path, replica, {"source": "berlin-treptow-koepenick"},
                  CRAWLER_TEMPLATE_ENABLED=enabled)
        carrying[enabled] = sum(banner in text for text in stored_texts(db_path).values())
    assert carrying[False] >= 3 and carrying[True] == 0, carrying


def test_lines_normalised_once_strip_and_hash_exactly_as_the_text_itself():
    """The writer normalises an article's lines once (block_lines) to learn from, strip and hash:
    every way of spacing a text must give what strip_blocks and text_hash give on the text."""
    texts = [
        article_text(3),
        "Erste Zeile\n\nZweite\tZeile  mit  Lücken \n" + SIDEBAR_V1 + "\n",
        f"  {SIDEBAR_V1}  \r\nText mit\xa0geschütztem Leerzeichen\u2028und Zeilentrenner\n\n",
        "\n".join([SIDEBAR_V1, SIDEBAR_V2]),  # nothing but blocks
        "",
        "ein Wort",
    ]
    block_sets = [frozenset(), frozenset({SIDEBAR_V1}),
                  frozenset({SIDEBAR_V1, SIDEBAR_V2, "Zweite Zeile mit Lücken"})]
    for text in texts:
        lines = block_lines(text)
        assert folded_digest(lines) == text_hash(text)
        for blocks in block_sets:
            assert strip_block_lines(text, lines, blocks) == strip_blocks(text, blocks)
