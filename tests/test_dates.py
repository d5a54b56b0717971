import random
import re
from pathlib import Path

import pytest
from lxml.html import HtmlElement

from crawler.dates import _DATE, DIGIT_BYTES, find_dateline, has_date, parse_date, with_digits
from crawler.dom_text import text_content
from crawler.extract import extract_article, parse_html
from crawler.page_date import _UPDATED, SHORT_ELEMENT, _short_elements, is_foreign

PAGES = Path(__file__).parent / "pages"
URL = "https://www.lahr.de/aktuelles/meldung.html"


@pytest.mark.parametrize(
    ("page", "raw", "iso"),
    [
        ("date_vom.html", "03.12.2020", "2020-12-03"),
        ("date_city_long.html", "24. Februar 2024", "2024-02-24"),
        ("date_city_numeric.html", "29.05.2018", "2018-05-29"),
        ("date_veroeffentlicht.html", "10.01.2025", "2025-01-10"),
        ("date_weekday.html", "24. September 2025", "2025-09-24"),
        ("date_colon.html", "31. Oktober 2022", "2022-10-31"),
        ("date_time_of_day.html", "12.09.2026", "2026-09-12"),
        ("date_two_digit_year.html", "16.04.20", "2020-04-16"),
        ("date_no_period.html", "24 März 2021", "2021-03-24"),
        ("date_meta_dcterms.html", "2023-06-15", "2023-06-15"),
        ("date_meta_article.html", "2022-11-08T09:30:00+01:00", "2022-11-08"),
        ("date_time_element.html", "2021-07-01T10:00", "2021-07-01"),
    ],
)
def test_page_date_is_found_in_each_printed_shape(page: str, raw: str, iso: str) -> None:
    article = extract_article((PAGES / page).read_bytes(), URL)
    assert article is not None
    assert (article.published_raw, article.published_at) == (raw, iso)


def test_printed_date_wins_over_generic_meta_date() -> None:
    # dcterms.date / <meta name="date"> hold the CMS's last edit: the page's printed date decides
    article = extract_article((PAGES / "date_meta_beats_text.html").read_bytes(), URL)
    assert article is not None and article.published_at == "2020-12-03"


def test_date_in_canonical_url_is_not_used() -> None:
    article = extract_article(
        (PAGES / "date_none.html").read_bytes(), "https://www.lahr.de/2019/05/x.html"
    )
    assert article is not None
    assert article.published_at is None and article.published_raw is None


def test_time_in_site_header_or_footer_is_not_the_publication_date() -> None:
    article = extract_article((PAGES / "date_footer_time.html").read_bytes(), URL)
    assert article is not None and article.published_at == "2019-05-03"
    undated = extract_article((PAGES / "date_site_header_only.html").read_bytes(), URL)
    assert undated is not None and undated.published_at is None


def test_stand_is_the_date_only_when_the_page_has_no_other_and_never_in_the_footer() -> None:
    body = (PAGES / "date_stand_only.html").read_bytes()
    article = extract_article(body, URL)
    assert article is not None and article.published_at == "2024-03-01"
    in_footer = body.replace(b"<p>Stand: 01.03.2024</p>", b"").replace(
        b"</body>", b"<footer><p>Stand: 01.03.2024</p></footer></body>"
    )
    undated = extract_article(in_footer, URL)
    assert undated is not None and undated.published_at is None


@pytest.mark.parametrize(
    ("page", "iso"),
    [
        ("date_edit_note.html", "2025-02-12"),  # "Ergänzung vom 17.03.2025" is an edit note
        ("date_utc_meta.html", "2021-11-05"),  # 2021-11-04T23:00Z is 5 November in Germany
        ("date_foreign_blocks.html", "2022-05-03"),  # not the related post's, tweet's, comment's
        ("date_quoted_in_text.html", "2021-10-18"),  # dates quoted in the first lines lose
        ("date_stand_beats_teaser.html", "2021-11-12"),  # the only own date, not the teaser's
        ("date_aside_published.html", "2020-04-24"),  # itemprop=datePublished inside <aside>
        ("date_labelled_field.html", "2021-10-18"),  # "Datum: 18.10.2021"
        ("date_small_slash.html", "2017-08-08"),  # unclassed <small> under the title, dd/mm/yyyy
        ("date_french.html", "2017-08-08"),  # "Publié le 8 août 2017"
        ("date_forum_clock.html", "2021-11-16"),  # the post's date, not "Aktuelle Zeit"
        ("date_forum_clock_only.html", None),  # a forum's clock is the page's generation time
    ],
)
def test_the_articles_own_date_wins_over_other_dates_on_the_page(page: str, iso: str | None) -> None:
    article = extract_article((PAGES / page).read_bytes(), URL)
    assert article is not None and article.published_at == iso


def test_a_date_later_than_today_is_no_publication_date() -> None:
    assert parse_date("Veröffentlicht am 01.01.2099") is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Fri, 15 May 2026 08:00:00 +0200", "2026-05-15"),
        ("Donnerstag 10 Nov 2022", "2022-11-10"),
        ("Dienstag, 2. November bis Mittwoch, 3. November 2021", "2021-11-03"),
        ("May 5, 2023", "2023-05-05"),
        ("2024-03-05T10:00:00+01:00", "2024-03-05"),
        ("am 1.2.2019 um 10 Uhr", "2019-02-01"),
        ("Bonn, 24 de febrero de 2024.", "2024-02-24"),
        ("15 de junio de 2023", "2023-06-15"),
    ],
)
def test_parse_date_reads_other_shapes(text: str, iso: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed[1] == iso


@pytest.mark.parametrize(
    "text", ["31.02.2020", "Version 1.2.2020.5", "12.13.2020", "01.01.1850", "Tel. 0761 12.34"]
)
def test_parse_date_rejects_impossible_or_non_dates(text: str) -> None:
    assert parse_date(text) is None


def test_dateline_needs_a_lead_or_a_short_line() -> None:
    sentence = ("Seit dem 1. Januar 2019 arbeitet die Stadt mit ihren Partnern in Afrika und "
                "Lateinamerika an gemeinsamen Projekten für Klimaschutz und Bildung.")  # fmt: skip
    assert find_dateline([sentence]) is None
    assert find_dateline(["Bonn, 24. Februar 2024. " + sentence]) == (
        "24. Februar 2024",
        "2024-02-24",
    )
    assert find_dateline(["Stand: 01.03.2024"]) is None


_PIECES = ("2024", "1999", "2031", "20", "19", "24", "3", "03", "12", "31", "٢٠٢٤", "٣", "١٢", "３", "0", "1",
           ".", ". ", "/", "-", ":", " ", "  ", "\n", "\t", "\u00a0", ",", "st", "ND", "th", "de", "DE ",
           "März", "MÄRZ", "maerz", "ſeptember", "Sept", "août", "AOÛT", "Februar", "feb.", "Januar", "May",
           "T", "10:30", "Z", "+01:00", "Stadt", "am", "x", "a1", "Nr.")  # fmt: skip


def test_has_date_says_what_the_full_date_pattern_says_on_varied_text() -> None:
    """has_date runs a cheap pattern first: it must never miss a date the full pattern finds."""
    rng = random.Random(17)
    texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12))) for _ in range(10_000)]
    shapes = ["{d}.{m}.{y}", "{d}. {m}. {y}", "{d}/{m}/{y}", "{y}-{m}-{d}", "{y}-{m}-{d}T10:30:00+01:00",
              "{d}. {month} {y}", "{d} de {month} de {y}", "{month} {d}th, {y}", "{month}.  {d},\n{y}"]  # fmt: skip
    for shape in shapes:
        for _ in range(600):
            date = shape.format(d=rng.choice(["1", "07", "31", "٣", "44"]), m=rng.choice(["2", "02", "12", "١٢", "13"]),
                                y=rng.choice(["2024", "1999", "24", "٢٠٢٤", "2099"]),
                                month=rng.choice(["März", "MAERZ", "ſeptember", "feb", "août", "Mayo", "Monat"]))
            texts.append(rng.choice(_PIECES) + date + rng.choice(_PIECES))
    found = [has_date(text) for text in texts]
    assert found == [_DATE.search(text) is not None for text in texts]
    assert sum(found) > 500 and found.count(False) > 500  # both answers are put to the test


def test_digit_bytes_start_every_digit_this_python_knows() -> None:
    """with_digits reads UTF-8 bytes: each \\d character's first byte must be one it keeps."""
    every = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
    leads = {m.group().encode("utf-8")[0] for m in re.finditer(r"\d", every)}
    assert leads and leads <= set(DIGIT_BYTES)


def test_with_digits_misses_no_text_with_a_digit_of_any_script() -> None:
    rng = random.Random(3)
    pieces = ["Rathaus", " ", "\n", "„Zitat“", "é", "ß", "—", "🙂", "ẞ", "\ufeff", "", "x", "a1", "٣", "۲۰۲۴",
              "०९", "๑๒", "２０２４", "𝟙", "12.05.2024", "Nr.", "\x00"]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(3_000)]
    expected = [index for index, text in enumerate(texts) if re.search(r"\d", text)]
    assert set(expected) <= set(with_digits(texts))
    clean = [text.replace("\x00", "") for text in texts]  # no NUL: the one pass in C
    assert set(expected) <= set(with_digits(clean)) and len(expected) > 500


def _short_elements_reading_everything(tree: HtmlElement, title_blocks: frozenset[HtmlElement]) -> list:
    """_short_elements as it was before it read only strings with a digit: every element's text."""
    body = tree.find("body")
    if body is None:
        return []
    position, candidates = {}, {}
    for index, elem in enumerate(body.iter()):
        position[elem] = index
        if elem.text and elem.tag not in ("script", "style") and has_date(elem.text):
            candidates[elem] = None
        if elem.tail and index and has_date(elem.tail):
            candidates[elem.getparent()] = None
    found, seen = [], set()
    for elem in candidates:
        node = elem
        while node is not None and node.tag not in ("body", "html") and node not in seen:
            seen.add(node)
            value = " ".join(_full_text_without_updates(node).split())
            if has_date(value[:SHORT_ELEMENT]) and not is_foreign(node, title_blocks):
                found.append((node, value[: SHORT_ELEMENT + 1], position[node]))
            if len(value) > SHORT_ELEMENT:
                break
            node = node.getparent()
    found.sort(key=lambda item: item[2])
    titles = [position[h1] for h1 in body.iter("h1")]
    return [(elem, value, index, titles) for elem, value, index in found]


def _full_text_without_updates(elem: HtmlElement) -> str:
    if not any(_UPDATED.search(e.get("class", "")) for e in elem.iterdescendants() if isinstance(e.tag, str)):
        return text_content(elem)
    parts = [elem.text or ""]
    for child in elem:
        if isinstance(child.tag, str) and not _UPDATED.search(child.get("class", "")):
            parts.append(_full_text_without_updates(child))
        parts.append(child.tail or "")
    return "".join(parts)


_LONG = "Der Gemeinderat hat in seiner Sitzung über den Haushalt beraten und vieles beschlossen. " * 3
_TRICKY_PAGES = [
    # a comment and a processing instruction holding dates, a date split over inline elements
    "<body><div><!-- erzeugt 2024-03-01 --><p><b>12.</b> Mai 2024</p><?php 01.02.2023 ?></div></body>",
    # an update's hidden timestamp in a short and in a long block; a tail after a script
    "<body><h1>Titel</h1><div class='meta'>Veröffentlicht am 03.12.2020 <span class='updated'>"
    "2021-01-05</span></div><article><p>" + _LONG + "<span class='date-modified'>05.06.2022</span></p>"
    "<p><script>var d = '01.01.2020';</script> Stand: 04.04.2021</p></article></body>",
    # long paragraphs: a date in its first 100 characters, after them, and in a child's tail
    (f"<body><main><p>Am 12.03.2019 {_LONG}</p><p>{_LONG} am 13.03.2019</p>"
     f"<div>{_LONG}<br/>14.03.2019</div><p><i>kurz</i> 15.03.2019</p></main></body>"),
    # other scripts' digits (a two-digit year needs no ASCII digit), a teaser list, a footer
    ("<body><p>Datum: ٣.٥.٢٤</p><p>Veröffentlicht am ١٢.٠٥.٢٠٢٤</p><p>２０２４-０１-０５</p>"
     "<ul class='related'><li><a href='/a'>Andere Meldung</a> 01.01.2024</li></ul>"
     "<footer>© 2024 · 02.02.2024</footer>" + "<p>\u00a0 9/9/2019</p>" * 3 + "</body>"),
]  # fmt: skip


def test_short_elements_equal_reading_every_element_of_the_page() -> None:
    pages = [page.read_bytes().decode("utf-8", "replace") for page in sorted(PAGES.glob("*.html"))]
    compared = 0
    for html in pages + _TRICKY_PAGES:
        tree = parse_html(html)
        if tree is None:
            continue
        title_blocks = frozenset(a for h1 in tree.iter("h1") for a in h1.iterancestors())
        assert _short_elements(tree, title_blocks) == _short_elements_reading_everything(tree, title_blocks)
        compared += bool(_short_elements(tree, title_blocks))
    assert compared > 25
