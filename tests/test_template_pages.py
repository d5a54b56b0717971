"""Pages with no article, only the site's sidebar: recognised by the DOM blocks the source repeats.

The extractor cuts the sidebar from every article, so the text learner never sees it; on a page
holding only a heading and that sidebar, the extractor returns the sidebar (226-323 characters
here). Such pages must be fetches with outcome `no_article`, never articles.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from change_site import Site, article_text, crawl_site, serve
from click.testing import CliRunner
from sidebar_pages import german_sidebar, page, paragraphs

from partnerwatch.cli import main
from crawler.extract import extract_article

ARTICLES = 10
TEMPLATE_ONLY = (50, 51)


def english_box() -> str:
    """Another CMS: a footer-like box with a list and a table of opening hours, in English."""
    hours = [("Monday", "9 am – 1 pm"), ("Tuesday", "9 am – 1 pm and 2 pm – 6 pm"), ("Wednesday", "closed"),
             ("Thursday", "9 am – 1 pm and 2 pm – 7 pm"), ("Friday", "9 am – 12 noon")]
    rows = "".join(f"<tr><td>{day}</td><td>{time}</td></tr>" for day, time in hours)
    return ("<div id='site-info' class='box'><h4>Visit the Twinning Office</h4><ul>"
            "<li>Town Hall, Market Square 1, Room 12</li><li>Phone +44 1632 960 214</li>"
            "<li>Step-free entrance on the east side of the Town Hall.</li></ul>"
            f"<table class='hours'>{rows}</table></div>")


def publish_german(site: Site, sidebar: str) -> None:
    for number in range(ARTICLES):
        site.pages[f"/news/{number}.html"] = page(f"Meldung {number}", paragraphs(article_text(number)), sidebar)
    for number, title in zip(TEMPLATE_ONLY, ("Kontakt", "Ansprechpartner"), strict=True):
        site.pages[f"/news/{number}.html"] = page(title, "", sidebar)
    site.listed = [*range(ARTICLES), *TEMPLATE_ONLY]


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    server = serve(served)
    yield served
    server.shutdown()


def rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql).fetchall()


def stored_texts(db_path: Path) -> dict[int, str]:
    found = rows(db_path, "SELECT a.url, t.text FROM articles a JOIN version_texts t "
                          "ON t.article_id = a.id AND t.version = a.current_version")
    return {int(url.rsplit("/", 1)[1].removesuffix(".html")): text for url, text in found}


def outcomes(db_path: Path, number: int) -> list[tuple[str, str | None]]:
    return rows(db_path, f"SELECT outcome, detail FROM fetches WHERE url LIKE '%/news/{number}.html' ORDER BY id")


def extracted_length(body: bytes) -> int:
    article = extract_article(body, "http://127.0.0.1/news/x.html")
    return len(article.text) if article else 0


def test_sidebar_only_pages_are_no_article_and_articles_are_stored_without_the_sidebar(site, tmp_path):
    publish_german(site, german_sidebar())
    # the extractor alone takes these pages for articles: only the site's template tells them apart
    assert all(226 <= extracted_length(site.pages[f"/news/{n}.html"]) <= 323 for n in TEMPLATE_ONLY)
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    texts = stored_texts(db_path)
    assert sorted(texts) == list(range(ARTICLES))
    assert all(texts[n] == article_text(n) for n in range(ARTICLES))
    for number in TEMPLATE_ONLY:
        assert outcomes(db_path, number) == [("no_article", "only template blocks")]

    # new office hours on every page: still no article, and no article changed
    versions = rows(db_path, "SELECT count(*) FROM versions")
    publish_german(site, german_sidebar("Montag bis Freitag 8:00 – 12:30 Uhr, Dienstag auch 14:00 – 16:00 Uhr"))
    crawl_site(site, tmp_path, db_path)
    assert rows(db_path, "SELECT count(*) FROM versions") == versions
    assert sorted(stored_texts(db_path)) == list(range(ARTICLES))
    for number in TEMPLATE_ONLY:
        assert outcomes(db_path, number)[-1] == ("no_article", "only template blocks")


SHORT = 7  # an article barely over CRAWLER_EXTRACT_MIN_CHARS: the extractor takes the box along
QUOTING = 8  # an article quoting a line of the box once, inside its text
QUOTE = "Step-free entrance on the east side of the Town Hall."


def english_text(number: int) -> str:
    if number == SHORT:
        return ("The twinning committee met on Tuesday and agreed on a new exchange of apprentices "
                "with our partner town. Eight young people will travel in May and stay with host families; "
                "the town pays their fares and their meals.")
    lines = [f"Report {number}: the partnership with our sister town continues with project number {number}.",
             f"Volunteers from both towns planned the next steps of project {number} at a public meeting.",
             f"The council will publish the results of project {number} in autumn, with photographs."]
    if number == QUOTING:
        lines.insert(2, QUOTE)
    return "\n".join(lines)


def test_rule_holds_for_an_english_list_and_table_box_with_a_short_and_a_quoting_article(site, tmp_path):
    box = english_box()
    for number in range(ARTICLES):
        site.pages[f"/news/{number}.html"] = page(f"News {number}", paragraphs(english_text(number)), box, "en")
    for number, title in zip(TEMPLATE_ONLY, ("Contact", "Opening hours"), strict=True):
        site.pages[f"/news/{number}.html"] = page(title, "", box, "en")
    site.listed = [*range(ARTICLES), *TEMPLATE_ONLY]
    assert all(extracted_length(site.pages[f"/news/{n}.html"]) >= 200 for n in TEMPLATE_ONLY)
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    texts = stored_texts(db_path)
    assert sorted(texts) == list(range(ARTICLES))
    assert all(texts[n] == english_text(n) for n in range(ARTICLES)), texts[SHORT]
    assert QUOTE in texts[QUOTING]
    for number in TEMPLATE_ONLY:
        assert outcomes(db_path, number) == [("no_article", "only template blocks")]


def table_layout_page(title: str, body: str) -> bytes:
    """An old CMS: a layout table whose left cell holds contact and office hours, in <font> and <br>."""
    left = ("<td width='180' valign='top'><font size='2'><b>Stadtverwaltung Beispielheim</b><br>"
            "Amt für Internationales<br>Hauptstraße 12<br>54321 Beispielheim<br><br><b>Sprechzeiten</b><br>"
            "Mo, Di, Do 9.00 - 12.00 Uhr<br>Mi 14.00 - 18.00 Uhr<br>Tel. (05432) 10-0<br>"
            "international@beispielheim.example</font></td>")
    return (f"<html><head><title>{title} - Beispielheim</title></head><body><table width='800'><tr>{left}"
            f"<td valign='top'><font size='3'><b>{title}</b></font><br>{body}</td></tr></table></body></html>"
            ).encode("cp1252")


def test_rule_holds_for_a_layout_table_whose_left_cell_is_the_sidebar(site, tmp_path):
    for number in range(ARTICLES):
        site.pages[f"/news/{number}.html"] = table_layout_page(f"Meldung {number}", paragraphs(article_text(number)))
    for number, title in zip(TEMPLATE_ONLY, ("Ansprechpartner", "So erreichen Sie uns"), strict=True):
        site.pages[f"/news/{number}.html"] = table_layout_page(title, "")
    site.listed = [*range(ARTICLES), *TEMPLATE_ONLY]
    # the extractor renders the whole table as one line: "| sidebar | title |"
    assert all(extracted_length(site.pages[f"/news/{n}.html"]) >= 200 for n in TEMPLATE_ONLY)
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    texts = stored_texts(db_path)
    assert sorted(texts) == list(range(ARTICLES))
    assert all(article_text(n).split("\n")[-1] in texts[n] for n in range(ARTICLES))
    for number in TEMPLATE_ONLY:
        assert outcomes(db_path, number) == [("no_article", "only template blocks")]


@pytest.mark.parametrize("pages", [2, 3])
def test_a_site_of_few_pages_learns_nothing_and_keeps_its_texts(site, tmp_path, pages):
    sidebar = german_sidebar()
    for number in range(pages):
        site.pages[f"/news/{number}.html"] = page(f"Meldung {number}", paragraphs(article_text(number)), sidebar)
    site.pages["/news/50.html"] = page("Kontakt", "", sidebar)
    site.listed = [*range(pages), 50]
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    texts = stored_texts(db_path)
    # too few pages to tell a template: the sidebar-only page is stored as the extractor found it
    assert sorted(texts) == [*range(pages), 50]
    assert "Zimmer 214" in texts[50]
    assert all(texts[n] == article_text(n) for n in range(pages))


def test_reextract_turns_sidebar_only_pages_stored_while_the_site_was_small_into_no_article(site, tmp_path):
    sidebar = german_sidebar()
    publish_german(site, sidebar)
    site.listed = [0, 1, *TEMPLATE_ONLY]  # four pages: too few to learn from, all stored
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    assert sorted(stored_texts(db_path)) == [0, 1, *TEMPLATE_ONLY]
    site.listed = [*range(ARTICLES), *TEMPLATE_ONLY]  # the site grew; the old pages answer 304
    crawl_site(site, tmp_path, db_path)
    versions = rows(db_path, "SELECT count(*) FROM versions")

    result = CliRunner().invoke(main, ["reextract", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    for number in TEMPLATE_ONLY:
        assert outcomes(db_path, number)[-1] == ("no_article", "reextract")
    assert rows(db_path, "SELECT count(*) FROM versions") == versions  # the real articles are unchanged
