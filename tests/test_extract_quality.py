"""Issue 12 "Text": a lead kept in its own CMS block, the fallback decision, a caller without a URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import run_crawl

from crawler.extract import extract_article, parse_html, strip_site_suffix
from crawler.fallback import link_share, needs_fallback, page_links
from crawler.replica import load_golden

PAGES = Path(__file__).parent / "pages"
LEADS = {
    # designed around: Liferay portlets, a TYPO3 content element above the news column
    "lead_liferay_portlet.html": "Bis zum Herbst baut die Stadt Lindenau drei Kilometer neue Radwege",
    "lead_typo3_content_element.html": "Die Grundschule Auental und eine Schule im ghanaischen Tamale",
    # not designed around: a Drupal field block without <p>, in English; a Plone description
    "lead_drupal_field.html": "Volunteers from Kingsmere and its German twin town Altwasser",
    "lead_plone_description.html": "Der Landkreis Hohenbrück trägt für zwei weitere Jahre den Titel",
}
FONDS = "/newsroom/2021/02/partnerschaftsfonds-vereine-schulen"


@pytest.mark.parametrize("name", sorted(LEADS))
def test_lead_in_a_block_of_its_own_opens_the_text_once(name: str) -> None:
    article = extract_article((PAGES / name).read_bytes(), "https://example.org/news/1")
    assert article is not None
    lines = article.text.split("\n")
    at = [n for n, line in enumerate(lines) if line.startswith(LEADS[name])]
    assert len(at) == 1 and at[0] <= 1  # Plone's byline, kept by trafilatura, may come first
    assert len(lines) > at[0] + 2  # the body follows
    for furniture in ("Kontakt", "Impressum", "Aktuelles", "Startseite", "Privacy"):
        assert furniture not in lines


def test_link_lists_and_teasers_before_the_body_are_not_taken_for_a_lead() -> None:
    article = extract_article((PAGES / "lead_negative_blocks.html").read_bytes(), None)
    assert article is not None
    assert article.text.startswith("Die Stadtbücherei Rosenfeld öffnet ab Mai")
    assert "Lesen Sie auch" not in article.text and "Senioren und Ehrenamt" not in article.text


def test_editing_only_the_lead_portlet_makes_a_changed_version(own_replica, tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    run_crawl("municipal", db_path, own_replica)
    own_replica.set_state("v2")
    run_crawl("municipal", db_path, own_replica)
    with sqlite3.connect(db_path) as db:
        texts = [row[0] for row in db.execute(
            "SELECT t.text FROM articles a JOIN version_texts t ON t.article_id = a.id "
            "WHERE a.canonical_url LIKE ? ORDER BY t.version", (f"%{FONDS}",))]  # fmt: skip
    leads = [load_golden(state).article("wolfsburg", FONDS).paragraphs[0] for state in ("v1", "v2")]
    assert len(texts) == 2
    assert [text.split("\n")[0] for text in texts] == leads


def test_menu_of_many_short_lines_gets_the_fallback_comparison_however_long() -> None:
    tree = parse_html("<html><body><main><p>x</p></main></body></html>")
    assert tree is not None
    menu = "\n".join(f"Bereich {n}: Dienste" for n in range(500))  # ~10 k characters
    assert len(menu) > 5000 and needs_fallback(tree, menu)


def test_text_covering_little_of_the_article_block_gets_the_fallback_comparison() -> None:
    sentence = "Der Gemeinderat hat den Haushalt mit großer Mehrheit beschlossen und Mittel bewilligt. "
    body = "".join(f"<p>{sentence * 3}</p>" for _ in range(27))  # ~7 k characters
    tree = parse_html(f"<html><body><article>{body}</article></body></html>")
    assert tree is not None
    first_part = "\n".join([(sentence * 3).strip()] * 10)  # the fast pass stopped at 2.6 k
    assert needs_fallback(tree, first_part)
    whole = "\n".join([(sentence * 3).strip()] * 27)
    assert not needs_fallback(tree, whole)


def test_extract_article_takes_no_url_at_all() -> None:
    body = (PAGES / "title_suffix.html").read_bytes().replace(b"<h1", b"<h2").replace(b"</h1", b"</h2")
    article = extract_article(body)
    assert article is not None and article.url is None and article.title == "Globales Lernen in Kommunen"
    assert strip_site_suffix("Aktuelles - Engagement Global", None, None) == "Aktuelles - Engagement Global"
    assert strip_site_suffix("Aktuelles - Engagement Global", "Engagement Global", None) == "Aktuelles"


def test_link_share_with_the_pages_links_read_once_is_the_same() -> None:
    tree = parse_html("<html><body><ul>" + "".join(f"<li><a href='/{n}'>Meldung Nummer {n}</a></li>" for n in range(30))
                      + "</ul><p>Meldung Nummer 3 stand gestern im Rat, Meldung Nummer 3 auch.</p></body></html>")
    links = page_links(tree)
    for text in ("Meldung Nummer 3 stand gestern im Rat", "\n".join(f"Meldung Nummer {n}" for n in range(30)), ""):
        assert link_share(tree, text, links) == link_share(tree, text)
        assert needs_fallback(tree, text, links) == needs_fallback(tree, text)
    assert links["Meldung Nummer 3"] == 1 and link_share(tree, "Meldung Nummer 3") == 1.0
