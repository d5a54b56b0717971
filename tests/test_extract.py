import pickle
import random
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement

from crawler.extract import (
    Article,
    _has_noscript_text,
    add_sibling_chunks,
    decode_html,
    extract_article,
    invisible_elements,
    normalize_text,
    parse_html,
)
from crawler.language import detect_language
from crawler.template_learning import apply_blocks

PAGES = Path(__file__).parent / "pages"
URL = "https://www.lahr.de/aktuelles/meldung.html"
UMLAUT_SENTENCE = "Städte, Gemeinden und Kreise erhalten Zuschüsse für Maßnahmen in Übersee"
QUOTE_SENTENCE = "„Wir freuen uns über die Zusammenarbeit“, sagte die Bürgermeisterin – und lobte"
MOJIBAKE = ("Ã¤", "Ã¶", "Ã¼", "ÃŸ", "â€ž", "\ufffd", "—")


def extract_page(name: str, **kwargs: object) -> Article | None:
    return extract_article((PAGES / name).read_bytes(), URL, **kwargs)


def assert_clean_german(article: Article | None) -> None:
    assert article is not None
    assert UMLAUT_SENTENCE in article.text
    assert QUOTE_SENTENCE in article.text
    assert "50.000 €" in article.text
    for broken in MOJIBAKE:
        assert broken not in article.text


def test_utf8_body_under_latin1_header_is_decoded_as_utf8() -> None:
    assert_clean_german(
        extract_page("utf8_body.html", content_type="text/html; charset=ISO-8859-1")
    )


def test_windows_1252_body_under_utf8_header_follows_meta_charset() -> None:
    assert_clean_german(extract_page("cp1252_meta.html", content_type="text/html; charset=utf-8"))


def test_windows_1252_meta_keeps_quotes_dashes_and_euro() -> None:
    assert_clean_german(extract_page("cp1252_meta.html"))


def test_latin1_without_declaration_keeps_umlauts_and_euro() -> None:
    assert_clean_german(extract_page("latin1_undeclared.html", content_type="text/html"))


def test_windows_1252_with_soft_hyphens_under_utf8_labels_is_read_as_windows_1252() -> None:
    # hundreds of U+00AD once failed the Western check and charset detection chose cp852
    article = extract_page(
        "cp1252_soft_hyphens_labelled_utf8.html", content_type="text/html; charset=utf-8"
    )
    assert article is not None
    assert UMLAUT_SENTENCE in article.text
    assert "„Wir freuen uns über die Zusammenarbeit“, sagte die Bürgermeisterin –" in article.text
    assert "50.000 €" in article.text and "\xad" not in article.text


@pytest.mark.parametrize(
    ("page", "header", "sentence"),
    [
        ("latin1_labelled_utf8.html", "text/html; charset=utf-8", "Côte d'Ivoire und die Kooperative in Perú"),
        ("utf8_labelled_latin1.html", "text/html; charset=ISO-8859-1", "„mit großem Erfolg“, sagt die Stadt"),
        ("utf8_labelled_latin1.html", None, "ein Rückblick"),
    ],
)  # fmt: skip
def test_charset_label_contradicting_the_bytes_is_overruled(
    page: str, header: str | None, sentence: str
) -> None:
    article = extract_page(page, content_type=header)
    assert article is not None
    text = f"{article.title}\n{article.text}"
    assert sentence in text and "Bürgermeisterin lobte" in text
    for broken in MOJIBAKE:
        assert broken not in text


def test_page_without_url_is_extracted_and_keeps_its_title() -> None:
    body = (PAGES / "title_suffix.html").read_bytes()
    body = body.replace(b"<h1", b"<h2").replace(b"</h1", b"</h2")  # the title comes from <title>
    article = extract_article(body, None)
    assert article is not None and article.url is None
    assert article.title and " - " not in article.title


def test_utf8_bom_is_stripped_and_text_round_trips() -> None:
    article = extract_page("utf8_bom.html")
    assert_clean_german(article)
    assert article is not None and "\ufeff" not in article.text + (article.title or "")


def test_utf16_page_round_trips() -> None:
    assert_clean_german(extract_page("utf16.html", content_type="text/html; charset=utf-16"))


def test_decode_html_prefers_valid_utf8_over_a_wrong_declaration() -> None:
    body = '<meta charset="windows-1252"><p>Förderung für Köln</p>'.encode()
    assert "Förderung für Köln" in decode_html(body, "text/html; charset=iso-8859-1")


def test_decode_html_survives_unknown_charset_labels() -> None:
    body = "<p>Grüße aus Lahr</p>".encode("cp1252")
    assert "Grüße aus Lahr" in decode_html(body, "text/html; charset=x-made-up")


def test_empty_and_whitespace_bodies_are_no_article() -> None:
    assert extract_page("empty.html") is None
    assert extract_article(b" \n\t ", URL) is None
    assert extract_article(b"\x00\x00\x00", URL) is None


@pytest.mark.parametrize("char", [*map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]), "\ufffe", "\uffff"])
def test_every_control_character_is_dropped_before_parsing_wherever_it_stands(char: str) -> None:
    # libxml2 keeps them in the text (NUL as U+FFFD); a Latin-1 page and a wide one are searched alike
    for town in ("Rathaus", "Rathaus in Übersee – „Partner“"):
        html = f"<html><head><title>T{char}</title></head><body><p>{town[:3]}{char}{town[3:]}</p></body></html>{char}"
        tree = parse_html(html)
        assert tree is not None and tree.findtext(".//p") == town and tree.findtext(".//title") == "T"


def test_boilerplate_only_page_is_no_article() -> None:
    assert extract_page("boilerplate_only.html") is None


def test_page_of_links_is_no_article() -> None:
    assert extract_page("link_list.html") is None


def test_text_below_min_chars_is_no_article() -> None:
    assert extract_page("english.html", min_chars=200) is not None
    assert extract_page("english.html", min_chars=5000) is None


@pytest.mark.parametrize(("page", "opening", "iso"), [
    # a <time> in the article, German; a JSON-LD datePublished, English, in a bare div layout
    ("short_dated_notice.html", "Die Bürgersprechstunde des Oberbürgermeisters", "2024-02-14"),
    ("short_dated_jsonld_en.html", "The delegation from Kumasi will now arrive", "2023-11-08"),
])
def test_a_short_notice_the_page_dates_as_its_own_is_an_article_with_its_date(page, opening, iso) -> None:
    article = extract_page(page, min_chars=200)
    assert article is not None and article.dated and article.published_at == iso
    assert len(article.text) < 200 and article.text.startswith(opening)
    # only the notice: trafilatura's whole-page stand-in for short texts would bring menu and footer
    for furniture in ("Startseite", "Home", "Impressum", "©"):
        assert furniture not in article.text


def test_a_short_text_dated_only_by_generic_metadata_or_too_few_words_is_no_article() -> None:
    # <meta name="date"> is the CMS's last edit, not the page dating its text
    assert extract_page("short_undated_notice.html", min_chars=200) is None
    two_words = (PAGES / "short_dated_notice.html").read_text("utf-8").replace(
        "Die Bürgersprechstunde des Oberbürgermeisters am Donnerstag entfällt wegen der Delegationsreise nach "
        "León. Der nächste Termin wird bekannt gegeben.", "Termin verschoben.")
    assert extract_article(two_words.encode(), URL, min_chars=200) is None


def test_a_dated_short_article_survives_the_template_cut() -> None:
    article = extract_page("short_dated_notice.html", min_chars=200)
    assert article is not None
    assert apply_blocks(article, frozenset({"nothing of it"}), min_chars=200) is article
    assert apply_blocks(replace(article, dated=False), frozenset({"nothing of it"}), min_chars=200) is None


def test_leaking_boilerplate_lines_are_removed() -> None:
    article = extract_page("boilerplate_leaks.html")
    assert article is not None
    assert "Die Kooperation umfasst Projekte zur Energieversorgung" in article.text
    # "Foto" inside a sentence is not a caption credit
    assert "Der Fotograf Max Muster begleitete die Reise" in article.text
    assert "Seit dem Jahr 2011 unterstützt die Servicestelle" in article.text
    for leak in ("Foto: Stadt Bonn", "Bild: privat", "© SKEW", "Bildvergrößerung", "ALT-Text",
                 "Diese Seite teilen", "Link kopieren", "weiterempfehlen", "Hauptnavigation",
                 "Direkt zum Inhalt", "Cookies", "Newsletter", "Zurück", "Weiterlesen", "Stand:",
                 "Impressum", "Startseite"):  # fmt: skip
        assert leak not in article.text


def test_learned_template_paragraphs_are_dropped() -> None:
    repeated = (
        "Seit dem Jahr 2011 unterstützt die Servicestelle Kommunen in der Einen Welt solche "
        "Partnerschaften mit Beratung und Fördermitteln."
    )
    article = extract_page("boilerplate_leaks.html", boilerplate=frozenset({repeated}))
    assert article is not None
    assert "Seit dem Jahr 2011" not in article.text
    assert "Die Kooperation umfasst Projekte" in article.text


def test_malformed_html_still_yields_its_text() -> None:
    article = extract_page("malformed.html", min_chars=100)
    assert article is not None
    assert "arbeiten seit vielen Jahren gemeinsam an Projekten" in article.text
    assert "sowie gemeinsame Vorhaben zur Energieversorgung" in article.text
    assert "kein Text" not in article.text
    assert "document.write" not in article.text


def test_deeply_nested_page_is_no_article_and_fast() -> None:
    depth = 100_000
    body = ("<html><body>" + "<div>" * depth + "Tief verschachtelter Text. " * 20 + "</div>" * depth
            + "</body></html>").encode()  # fmt: skip
    started = time.perf_counter()
    assert extract_article(body, URL) is None
    assert time.perf_counter() - started < 2


def test_single_8_mb_text_node_is_extracted() -> None:
    sentence = "Die Partnerschaft zwischen Lahr und Alajuela wächst weiter. "
    text = sentence * (8_000_000 // len(sentence))
    body = f"<html><body><article><p>{text}</p></article></body></html>"
    article = extract_article(body.encode(), URL)
    assert article is not None
    assert article.text.startswith("Die Partnerschaft zwischen Lahr und Alajuela")
    assert len(article.text) > 1_000_000


def test_12_mb_page_is_refused_quickly() -> None:
    paragraphs = "".join(
        f"<p>Meldung {i}: Die Stadt Lahr fördert Projekte in Costa Rica mit Vereinen.</p>\n"
        for i in range(150_000)
    )
    body = f"<html><body><main>{paragraphs}</main></body></html>".encode()
    assert len(body) > 12_000_000
    started = time.perf_counter()
    assert extract_article(body, URL) is None
    assert time.perf_counter() - started < 10


def test_canonical_url_is_resolved_against_base() -> None:
    article = extract_page("title_suffix.html")
    assert article is not None
    assert (
        article.canonical_url
        == "https://skew.engagement-global.de/aktuelles/artikel/globales-lernen.html"
    )
    assert article.url == URL


def test_canonical_url_is_none_without_link() -> None:
    article = extract_page("english.html")
    assert article is not None and article.canonical_url is None


def test_title_uses_h1_without_soft_hyphen_or_nbsp() -> None:
    article = extract_page("title_suffix.html")
    assert article is not None
    assert article.title == "Globales Lernen in Kommunen"
    assert article.site_name == "Engagement Global"


def test_title_site_suffix_is_stripped_when_it_names_the_site() -> None:
    body = (PAGES / "title_suffix.html").read_bytes().replace(b"<h1>", b"<h2>")
    article = extract_article(body, "https://skew.engagement-global.de/aktuelles/x.html")
    assert article is not None
    assert article.title == "Globales Lernen in Kommunen"
    assert "Engagement Global" not in (article.title or "")


def test_english_page_is_detected_as_english() -> None:
    article = extract_page("english.html")
    assert article is not None
    assert (article.language, article.declared_language) == ("en", "en")
    assert article.language_probability >= 0.8


def test_spanish_page_is_detected_as_spanish() -> None:
    article = extract_page("spanish.html")
    assert article is not None
    assert article.language == "es"
    assert "Die Stadt" not in article.text


def test_confident_detection_wins_over_wrong_lang_attribute() -> None:
    article = extract_page("wrong_lang.html")
    assert article is not None
    assert article.declared_language == "de"
    assert article.language == "en"


def test_short_ambiguous_text_keeps_plausible_declared_language() -> None:
    text = "Partnerschaft Lahr Alajuela Projekt Klima Energie Schule Verein Costa Rica Austausch"
    language, probability = detect_language(text, "de")
    assert language == "de"
    assert 0.0 < probability <= 1.0


def test_detect_language_never_raises_and_says_unknown() -> None:
    for text in (
        "",
        "   ",
        "12345 67890",
        "https://www.lahr.de/",
        "🙂🙂🙂",
        "Start Aktuelles Cookies",
    ):
        assert detect_language(text, "de") == ("unknown", 0.0)


def test_page_without_date_has_no_published_at() -> None:
    article = extract_page("english.html")
    assert article is not None
    assert article.published_at is None and article.published_raw is None
    assert article.published_at != date.today().isoformat()


def test_normalize_text_removes_soft_hyphens_nbsp_and_extra_space() -> None:
    raw = "Klima\u00adpartner\u00adschaft\u00a0 mit   Tansania \n\n  Zweite\tZeile\u200b "
    assert normalize_text(raw) == "Klimapartnerschaft mit Tansania\nZweite Zeile"
    assert normalize_text("Cafe\u0301") == "Café"


def test_normalize_text_collapses_every_kind_of_space_in_any_line_as_split_does() -> None:
    # a printable line is left as it is when it has no double, leading or trailing space: never else
    pieces = ["Wort", "für", " ", "  ", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\u00a0", "\u2009",
              "\u3000", "\u2028", "\u2029", "\u200e", "\x01", "„", "–"]  # fmt: skip
    rng = random.Random(21)
    for sample in ("".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(20_000)):
        lines = (" ".join(line.split()) for line in sample.splitlines())
        assert normalize_text(sample) == "\n".join(line for line in lines if line), repr(sample)


def test_article_pickles_for_process_pools() -> None:
    article = extract_page("boilerplate_leaks.html")
    assert article is not None
    assert pickle.loads(pickle.dumps(article)) == article


def test_extract_module_imports_neither_scrapy_nor_sqlite_utils() -> None:
    code = (
        "import sys, crawler.extract; "
        "print(any(m.split('.')[0] in ('scrapy', 'sqlite_utils') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_every_fixture_page_extracts_without_raising(name: str) -> None:
    result = extract_page(name)
    assert result is None or isinstance(result, Article)


def page_tree(name: str) -> HtmlElement:
    tree = parse_html(decode_html((PAGES / name).read_bytes(), None))
    assert tree is not None
    return tree


def test_article_split_into_chunks_is_extracted_whole() -> None:
    article = extract_page("split_article.html")
    assert article is not None
    lines = article.text.split("\n")
    assert lines[0].startswith("Erster Teil: Die Stadt Lahr feiert")
    assert lines[2].startswith("Zweiter Teil: Neben dem Festakt")  # in page order
    assert "Die Ausstellung ist bis Ende des Monats" in article.text
    assert "Anzeige" not in article.text


def test_posts_of_a_blog_index_are_not_added_as_chunks() -> None:
    tree = page_tree("blog_index.html")
    first = next(p.text_content().strip() for p in tree.iter("p"))
    assert add_sibling_chunks(tree, [first]) == [first]


def test_chunks_are_added_after_the_extracted_ones() -> None:
    tree = page_tree("split_article.html")
    first = [p.text_content().strip() for p in tree.iter("p")][:2]
    lines = add_sibling_chunks(tree, first)
    assert lines[:2] == first
    assert [line[:12] for line in lines[2:]] == ["Zweiter Teil", "Die Ausstell"]


def test_article_inside_an_unclosed_nav_survives() -> None:
    article = extract_page("nav_wraps_article.html")
    assert article is not None
    assert "arbeiten seit vielen Jahren gemeinsam an Projekten" in article.text


def test_related_article_teasers_are_removed() -> None:
    article = extract_page("related_blocks.html", min_chars=100)
    assert article is not None
    assert "Die Kooperation umfasst Projekte zur Energieversorgung" in article.text
    for teaser in ("Lesen Sie auch", "Bonner Delegation besucht", "auch interessieren",
                   "Neue Förderrunde", "Fachtagung Globales Lernen"):  # fmt: skip
        assert teaser not in article.text


def test_title_line_is_not_repeated_in_text() -> None:
    article = extract_page("english.html")
    assert article is not None and article.title == "Climate partnership with Tanzania"
    assert not article.text.startswith("Climate partnership with Tanzania")


@pytest.mark.parametrize("json_ld", ["[1, 2]", '"text"', "{broken", '{"author": 5}', "null"])
def test_odd_json_ld_does_not_stop_extraction(json_ld: str) -> None:
    body = (
        (PAGES / "english.html")
        .read_bytes()
        .replace(
            b"</head>", f'<script type="application/ld+json">{json_ld}</script></head>'.encode()
        )
    )
    article = extract_article(body, URL)
    assert article is not None
    assert article.title == "Climate partnership with Tanzania"


def test_undeclared_non_western_page_is_detected() -> None:
    text = "<p>Привет из города-побратима, это проверка кодировки страницы.</p>" * 20
    assert decode_html(text.encode("cp1251"), "text/html").startswith("<p>Привет из города")


def test_an_article_only_in_noscript_is_extracted_without_the_sidebar() -> None:
    article = extract_page("noscript_article.html")
    assert article is not None
    assert "im Ratssaal eine kommunale Klimapartnerschaft unterzeichnet" in article.text
    assert "Servicestelle Kommunen in der Einen Welt fördert das Projekt" in article.text
    assert "Zimmer 214" not in article.text and "Impressum" not in article.text


def test_noscript_stays_out_when_the_page_has_its_article() -> None:
    page = (PAGES / "split_article.html").read_bytes().replace(
        b"</body>", b"<noscript><p>" + b"Bitte aktivieren Sie JavaScript, um alle Funktionen zu nutzen. " * 5
        + b"</p></noscript></body>")
    article = extract_article(page, URL)
    assert article is not None and "JavaScript" not in article.text


@pytest.mark.parametrize("page", [
    "<html><head><title>t</title><noscript>{0}</noscript></head><body><p>{0}</p></body></html>",
    "<html><body><div><noscript><p>{0}</p></noscript></div><noscript>{0}</noscript></body></html>",
    "<html><body><noscript><noscript>{0}</noscript></noscript><p>short</p></body></html>",
    "<noscript>{0}</noscript><p>{0}</p><body><noscript>kurz</noscript></body>",
], ids=["head", "body-nested-in-div", "twice", "before-body"])
def test_a_noscript_article_is_looked_for_where_the_xpath_finds_noscript(page: str) -> None:
    found = set()
    for filler in ("kurz", "Bitte aktivieren Sie JavaScript. " * 10):
        tree = parse_html(page.format(filler))
        by_xpath = any(len(n.text_content()) >= 200 for n in etree.XPath("//body//noscript")(tree))
        assert _has_noscript_text(tree, 200) == by_xpath


@pytest.mark.parametrize("page", [
    "<html><head><meta charset='utf-8'><noscript><iframe src='x'></iframe><style>a{}</style></noscript>"
    "<title>T</title><script>1</script><script type='application/ld+json'>{}</script><link rel='x'></head>"
    "<body><nav><p>x</p><nav><main>m</main></nav></nav><footer><svg><style>s</style></svg></footer>"
    "<aside><h1>h</h1><iframe></iframe></aside><template><script>x</script></template>"
    "<div><aside class='related'><p>Mehr</p></aside><footer><article>a</article></footer></div></body></html>",
    "<p>Kein Kopf<script>x</script></p><head><meta name='a' content='b'></head><noscript>n</noscript>",
    "<html><body><div><head><title>x</title><meta></head><nav role='navigation'>Menü</nav></div></body></html>",
], ids=["head-furniture-nested", "no-head", "stray-head"])
def test_invisible_elements_are_the_xpath_unions_in_page_order(page: str) -> None:
    union = etree.XPath(
        "//script[not(@type='application/ld+json')]|//style|//svg|//template|//noscript|//iframe"
        "|//head/*[not(self::title or self::script)]"
        "|//*[self::nav or self::aside or self::footer][not(.//h1 or .//article or .//main)]"
    )
    tree = parse_html(page)
    assert invisible_elements(tree) == union(tree)


@pytest.mark.parametrize(
    "head",
    [
        '<meta charset="iso-8859-1">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
        '<meta charset="shift_jis">',
        "",
    ],
)
@pytest.mark.parametrize("extra", ["", "\x0b", "\x00", "\ufffe", "\u00a0\u00ad\u200b"])
def test_utf8_body_parsed_from_its_bytes_gives_the_tree_of_its_text(head: str, extra: str) -> None:
    """Whatever a <meta> declares, and with characters parse_html removes from the text."""
    body = ('<?xml version="1.0"?>' if extra == "\x0b" else "") + (
        f"<html><head>{head}<title>Grüße aus Köln</title></head><body><h1>Fünf „Äpfel“</h1>"
        f"<p>Für 5 € – 😀{extra} ein Absatz mit Umlauten: äöüß, ÄÖÜ.</p></body></html>"
    )
    data = body.encode("utf-8")
    html = decode_html(data, None)
    from_text, from_bytes = parse_html(html), parse_html(html, data)
    assert from_text is not None and from_bytes is not None
    assert etree.tostring(from_bytes) == etree.tostring(from_text)
    assert "Äpfel" in from_bytes.text_content()
