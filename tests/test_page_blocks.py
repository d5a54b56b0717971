"""DOM text blocks of a page, their per-source page counts, and what of a text is its own."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import replace

import pytest
import xxhash

from crawler.extract import extract_article, parse_html
from crawler.items import ArticleItem
from crawler.page_blocks import PageBlockCounter, block_hash, measure_own_text, page_block_hashes
from crawler.template_learning import TemplateLearning, TemplateSettings
from crawler.boilerplate import TemplateLearner
from storage.db import open_db

OFFICE = ("<div class='service'><p>Bürgerbüro im Rathaus<br>Marktplatz 1<br/>12345 Musterstadt</p>"
          "<ul><li>Telefon 01234 5678</li><li>Mo–Fr 8–12 Uhr</li></ul>"
          "<table><tr><td>Donnerstag</td><td>14–18 Uhr</td></tr></table>Parkplätze am Markt</div>")


def test_dom_blocks_are_paragraphs_pieces_between_brs_cells_rows_and_direct_div_text() -> None:
    hashes = page_block_hashes(parse_html(f"<html><body>{OFFICE}</body></html>"))
    for text in ("Bürgerbüro im Rathaus", "Marktplatz 1", "12345 Musterstadt", "- Telefon 01234 5678",
                 "Mo–Fr 8–12 Uhr", "Donnerstag", "| Donnerstag | 14–18 Uhr |", "Parkplätze am Markt"):
        assert block_hash(text) in hashes, text
    assert block_hash("Bürgerbüro im Rathaus Marktplatz 1") not in hashes
    assert block_hash("Mo") is None  # too short to say anything


@pytest.mark.parametrize("box", [
    OFFICE,
    "<aside class='x'><h2>Opening hours</h2><dl><dt>Monday to Friday</dt><dd>9 am to 1 pm</dd></dl></aside>"
    "<div class='footer-ish'><address>Town Hall<br>Market Square 1<br>Exampleton EX1 2AB</address>"
    "<p>Phone&nbsp;+44 1632 960&#160;214 &middot; twinning@exampleton.example</p></div>",
    "<div class='kontakt'><span>Stadtverwaltung Musterstadt</span><br><span>Rathausplatz 5</span><br>"
    "<span>Öffnungszeiten: Montag bis Freitag 8 bis 12 Uhr</span></div>",
    "<div class='service'><div><strong>Adresse:</strong> Rathausplatz 5, 12345 Musterstadt</div>"
    "<div><b>Telefon:</b> 01234 987-0</div></div>",
    "<div class='box'><div class='row'><span>Sprechzeiten</span> <span>Montag bis Freitag 8 bis 12 Uhr</span></div>"
    "<div class='row'><span>Telefon</span> <span>01234 987-0 und 01234 987-214</span></div></div>",
    "<table width='200'><tr><td><font size='2'><b>Kontakt</b><br>Stadtverwaltung Musterstadt<br>"
    "Rathausplatz 5, 12345 Musterstadt<br>Tel. 01234 987-0</font></td></tr></table>",
    "<ul class='contact'><li><a href='tel:1'>Telefon 01234 987-0</a> <span>(Zentrale der Stadtverwaltung)</span></li>"
    "<li>Rathausplatz 5, 12345 Musterstadt, Zimmer 214</li></ul>",
], ids=["div-list-table", "aside-dl-address", "spans-br", "bold-labels", "span-rows", "font-table", "li-inline"])
def test_every_line_the_extractor_takes_from_a_box_is_one_of_the_pages_dom_blocks(box: str) -> None:
    html = f"<html lang='de'><head><title>Kontakt</title></head><body><h1>Kontakt</h1>{box * 2}</body></html>"
    article = extract_article(html.encode(), "http://127.0.0.1/kontakt.html", min_chars=20, with_page_blocks=True)
    assert article is not None
    lines = [line for line in article.text.split("\n") if block_hash(line) is not None]
    assert lines and all(block_hash(line) in article.page_blocks for line in lines), article.text


def test_counter_counts_each_block_once_per_page_up_to_its_cap() -> None:
    counter = PageBlockCounter(cap=3)
    for page in (1, 1, 2, 2, 2):
        counter.add_page(page, [10, 20 if page == 1 else 30])
    assert counter.recurring([10, 20, 30, None], 2) == {10}
    for page in range(3, 9):
        counter.add_page(page, [10])
    assert counter.seen_on[10] == (1, 2, 3)


def test_counter_forgets_single_page_blocks_but_keeps_recurring_ones() -> None:
    counter = PageBlockCounter(cap=3, max_entries=50)
    for page in range(40):
        counter.add_page(page, [7, *range(1000 * page, 1000 * page + 5)])
    assert len(counter.seen_on) <= 51
    assert counter.recurring([7], 3) == {7}


def test_counts_survive_the_learner_json() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=3, min_pages=3)
    for page in range(2):
        learner.add_page(f"p{page}", ["eigener Text"], [block_hash("Sprechzeiten Mo–Fr"), 2**64 - 1 - page])
    restored = TemplateLearner.from_json(learner.to_json())
    json.loads(learner.to_json())
    restored.add_page("p2", [], [block_hash("Sprechzeiten Mo–Fr")])
    assert restored.page_blocks.recurring([block_hash("Sprechzeiten Mo–Fr"), 2**64 - 1], 3) == {
        block_hash("Sprechzeiten Mo–Fr")}
    legacy = json.loads(learner.to_json())
    del legacy["page_blocks"]  # saved by an older version: counting starts afresh
    assert TemplateLearner.from_json(json.dumps(legacy)).page_blocks.seen_on == {}


SIDEBAR = ["Bürgerbüro im Rathaus", "Telefon 01234 5678", "Montag bis Freitag 8 bis 12 Uhr"]
OWN = ["Der Rat hat die Partnerschaft mit Ntoro um fünf Jahre verlängert und Mittel für den Austausch bewilligt.",
       "Im Herbst reist eine Delegation mit Vertretern der Schulen und Vereine in die Partnerstadt nach Ghana."]
RECURRING = frozenset(h for h in map(block_hash, SIDEBAR) if h is not None)


def test_own_text_cuts_template_lines_at_the_edges_and_keeps_a_quoted_one_inside() -> None:
    own = measure_own_text("\n".join([SIDEBAR[0], OWN[0], SIDEBAR[1], OWN[1], *SIDEBAR[1:]]), RECURRING)
    assert own.text == "\n".join([OWN[0], SIDEBAR[1], OWN[1]])
    assert own.cut == {SIDEBAR[0], SIDEBAR[1], SIDEBAR[2]}
    assert not own.is_template_only(min_chars=200)
    assert own.is_template_only(min_chars=400)


def test_a_text_of_template_lines_and_a_heading_is_template_only() -> None:
    own = measure_own_text("\n".join(["Kontakt", *SIDEBAR * 3]), RECURRING)
    assert own.own_chars == len("Kontakt") and own.is_template_only(min_chars=5)
    long_sidebar = measure_own_text("\n".join([OWN[0], *SIDEBAR * 30]), RECURRING)
    assert long_sidebar.is_template_only(min_chars=50)  # a few own words amid a long template


def test_a_layout_tables_row_counts_its_cells_apart() -> None:
    sidebar_cell = " ".join(SIDEBAR)
    recurring = RECURRING | {block_hash(sidebar_cell)}
    only_heading = measure_own_text(f"| {sidebar_cell} | Kontakt |", frozenset(recurring))
    assert only_heading.own_chars == len("Kontakt") and only_heading.is_template_only(min_chars=100)
    article = measure_own_text(f"| {sidebar_cell} | {OWN[0]} {OWN[1]} |", frozenset(recurring))
    assert not article.is_template_only(min_chars=150) and article.cut == frozenset()


def item(url: str, lines: list[str], canonical: str | None = None) -> ArticleItem:
    html = "<html><body><main>{}</main><div class='box'>{}</div></body></html>".format(
        "".join(f"<p>{line}</p>" for line in lines), "".join(f"<p>{line}</p>" for line in SIDEBAR))
    article = extract_article(html.encode(), url, min_chars=10, with_page_blocks=True)
    assert article is not None
    return ArticleItem(source="town", fetched_at="t", http_status=200,
                       article=replace(article, text="\n".join(lines), canonical_url=canonical))


def test_mirror_copies_of_one_article_make_none_of_its_paragraphs_a_template(tmp_path) -> None:
    db = open_db(tmp_path / "archive.db")
    learning = TemplateLearning(db, TemplateSettings(min_pages=3, min_block_pages=3, hold=3), run_id=None)
    for number in range(4):
        own = [f"Meldung {number}: {OWN[0]}", f"{number}. {OWN[1]}"]
        learning.admit(item(f"http://127.0.0.1/news/{number}.html", own), None, "t")
    for mirror in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        learning.admit(item(f"http://{mirror}/news/x.html", OWN, canonical="http://127.0.0.1/news/x.html"), None, "t")
    article, _ = learning.prepare(item("http://127.0.0.1/news/x.html", OWN), min_chars=100)
    assert article is not None and article.text == "\n".join(OWN)
    only_sidebar, _ = learning.prepare(item("http://127.0.0.1/news/k.html", ["Kontakt", *SIDEBAR]), min_chars=10)
    assert only_sidebar is None
    db.close()


def test_a_pages_block_hashes_do_not_depend_on_the_pages_seen_before() -> None:
    # the worker remembers short texts' hashes across pages: a text seen on an earlier page
    # (as a block, a piece between <br>s or a tail) must hash as on a page of its own
    pages = [f"<html><body><div class='nav'><a href='/'>Start</a> | <a href='/k'>Kontakt</a></div>"
             f"<p>Meldung {n}: Der Gemeinderat tagt am Montag<br>im Rathaus, Saal {n}</p>{OFFICE}</body></html>"
             for n in range(3)]
    alone = [page_block_hashes(parse_html(page)) for page in pages]
    for _ in range(2):
        assert [page_block_hashes(parse_html(page)) for page in reversed(pages)] == alone[::-1]


EDGE_MARKS = "-•·*|–—:;,.!?()[]\"'„“”‚‘’«»›‹>"


def _key_by_definition(text: str) -> int | None:
    """block_hash as the module docstring defines it, word by word: the reference its faster paths keep."""
    key = "".join(text.casefold().split()).replace("|", "").strip(EDGE_MARKS)
    key = unicodedata.normalize("NFC", re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", key))
    return xxhash.xxh64_intdigest(key.encode()) if len(key) >= 4 else None


@pytest.mark.parametrize("text", [
    "Phone: +44 1632 960214", "| Donnerstag | 14–18 Uhr |", "  - Telefon\t01234\r\n5678 .", "„Zitat“ – sagt er.",
    "STRASSE Straße ẞ", "Café\u0301 cafe\u0301", "e \u0301tage", "Soft\u00adhyphen und\u200bbreite",
    "\u200b- Liste", "Ab\u00a0Montag\u2009um\u202f8\u3000Uhr", "x\x1cy\x1dz\x85w", " | | ab | ", "ΣΊΣΥΦΟΣ ﬁnal",
    "-•·*|–—:;,.!?()", "İstanbul ǅemal", "中文 한국어 テキスト", "Mo.", "a\u2028b\u2029c d",
], ids=lambda text: repr(text)[:24])
def test_block_hash_folds_case_spacing_marks_and_invisible_characters_as_defined(text: str) -> None:
    assert block_hash(text) == _key_by_definition(text)
    assert block_hash(f" {text} ") == _key_by_definition(f" {text} ")


def test_every_space_but_the_ascii_one_and_every_invisible_character_is_unprintable() -> None:
    # block_hash takes a printable text to hold no space but " " and no invisible character
    for char in map(chr, range(sys.maxunicode + 1)):
        if (char.isspace() and char != " ") or char in "\u00ad\u200b\u200c\u200d\u2060\ufeff":
            assert not char.isprintable(), hex(ord(char))
