"""Search as the Datasette box runs it (storage.fts SEARCH_SQL with `fts_query`) on a real archive."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crawler.datasette_plugin import prepare_connection
from crawler.extract import Article
from storage.articles import ensure_source, record_article
from storage.db import open_db
from storage.fts import SEARCH_SQL, head_version_ids, indexed_version_ids, search


def art(url: str, title: str, text: str) -> Article:
    return Article(url, canonical_url=None, title=title, text=text, published_raw=None, published_at=None,
                   author=None, site_name=None, language="de", language_probability=0.99, declared_language="de")


ARTICLES = (
    art("https://town.example/1", "Bezirk pflegt Partnerschaft",
        "Der Bezirk Treptow-Köpenick pflegt seit 1991 eine Städtepartnerschaft mit Cajamarca."),
    art("https://town.example/2", "Spree-Ufer",
        "Treptow liegt an der Spree. Im Nachbarbezirk, in Köpenick, beginnt der Müggelsee."),
    art("https://town.example/3", "Klimapartnerschaften wachsen",
        "Zwölf Kommunen aus Baden-Württemberg schlossen Klimapartnerschaften mit Städten in Ghana."),
    art("https://town.example/4", "Fairer Handel im Rathaus",
        "Das Rathaus kauft Kaffee aus fairem Handel; der Handel mit Kakao folgt."),
)


@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "town", "Town", "https://town.example/")
    for article in ARTICLES:
        record_article(db, article, source="town", run_id=None, fetched_at="t1")
    prepare_connection(db.conn)  # the plugin's hook: `fts_query` in SQL, as `partnerwatch serve` has it
    yield db
    db.close()


def searched(db, q: str) -> list[str]:
    """The urls the shipped canned query returns for the search box input `q`, sorted."""
    return sorted(row[6] for row in db.execute(SEARCH_SQL.format(match="fts_query(:q)"), {"q": q}).fetchall())


def test_hyphenated_names_are_phrases_not_column_filters(db):
    assert searched(db, "Treptow-Köpenick") == ["https://town.example/1"]  # not 2, where the words are apart
    assert searched(db, "Baden-Württemberg") == ["https://town.example/3"]
    assert searched(db, "treptow köpenick") == ["https://town.example/1", "https://town.example/2"]  # apart: both


def test_compound_found_by_its_singular_and_inflected_forms(db):
    assert searched(db, "Klimapartnerschaft") == ["https://town.example/3"]
    assert searched(db, "Städtepartnerschaften") == []  # a longer word than the text holds is no match
    assert searched(db, "Stadtepartnerschaft") == ["https://town.example/1"]  # umlauts fold, as typed on a US keyboard


@pytest.mark.parametrize("q", ['"', '""', 'Bezirk"', '"Bezirk', 'Tre"ptow', "Bezirk OR", "NEAR(Bezirk", "text:Bezirk",
                               "Bezirk*", "*", "-Bezirk", "^Bezirk", "Bezirk AND NOT", "(", "'", "Bezirk'; --"])
def test_quotes_and_fts_syntax_in_input_are_taken_literally(db, q):
    # never an FTS5 syntax error or SQL; `OR`, `NEAR`, `text:` are words to find, so nothing but the
    # one article with the word Bezirk can match
    assert set(searched(db, q)) <= {"https://town.example/1"}


def test_quoted_phrase_matches_only_those_words_in_that_order(db):
    assert searched(db, '"fairem Handel"') == ["https://town.example/4"]
    assert searched(db, '"Handel fairem"') == []
    assert searched(db, 'Kaffee "Kakao mit"') == []  # every part must occur, the phrase in its order
    assert searched(db, 'Kaffee "Handel mit Kakao"') == ["https://town.example/4"]


def test_edited_article_is_found_by_its_new_text_only(db):
    edited = replace(ARTICLES[0], text=ARTICLES[0].text.replace("Cajamarca", "Mwanza"))
    assert record_article(db, edited, source="town", run_id=None, fetched_at="t2").outcome == "changed"
    assert searched(db, "Mwanza") == ["https://town.example/1"]
    assert searched(db, "Cajamarca") == [] and searched(db, "Cajam") == []  # not even as a prefix
    assert [hit["canonical_url"] for hit in search(db, "Mwanza")] == ["https://town.example/1"]
    assert indexed_version_ids(db) == head_version_ids(db)
