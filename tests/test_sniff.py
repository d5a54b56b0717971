"""Bodies that are no text page (a PDF, an image, an archive, random bytes) never become articles.

The files are real ones, made in binary_files.py with the standard library (zlib, struct,
zipfile, wave, sqlite3, tarfile…); the pages are the saved test pages and the same texts in other
languages and encodings, UTF-16 without a byte order mark among them.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from binary_files import FILES, HTML, PAGES, RNG, noise, pdf_file, sqlite_file
from scrapy.utils.test import get_crawler

from crawler.extract import decode_html, extract_article
from crawler.items import PageItem
from crawler.pipelines import ExtractPipeline
from crawler.sniff import OCTET_STREAM, NotHtml, sniff_body, sniff_text, utf16_codec

URL = "https://example.org/aktuelles/meldung.html"


@pytest.mark.parametrize("name", FILES)
def test_each_kind_of_file_is_named_whatever_its_content_type_says(name):
    make, kind = FILES[name]
    body = make()
    for declared in ("text/html", "text/html; charset=utf-8", None):
        assert sniff_body(body, declared) == kind


def test_sqlite_database_is_named(tmp_path):
    assert sniff_body(sqlite_file(tmp_path), "text/html") == "application/vnd.sqlite3"


def test_blank_lines_a_script_printed_before_a_pdf_do_not_hide_it():
    assert sniff_body(b"\r\n\n  " + pdf_file(), "text/html") == "application/pdf"


def test_unknown_binary_is_named_after_a_binary_content_type_not_after_text_html():
    body = noise(5000)
    assert sniff_body(body, "application/x-custom-export") == "application/x-custom-export"
    assert sniff_body(body, "image/x-unknown; name=foo") == "image/x-unknown"
    for textual in ("text/html", "application/xhtml+xml", "text/plain", "", None):
        assert sniff_body(body, textual) == OCTET_STREAM


# --- text stays text ---------------------------------------------------------------------------

@pytest.mark.parametrize("page", sorted(p.name for p in PAGES.glob("*.html")))
def test_saved_pages_are_text(page):
    body = (PAGES / page).read_bytes()
    assert sniff_body(body, "text/html") is None
    assert sniff_text(decode_html(body, None)) is None


# one text per script and legacy encoding, none of them the pages the thresholds were set on
TEXTS = {
    "cp1251": ("ru", "Городской совет утвердил новую программу партнёрства с городами Африки. " * 20),
    "shift_jis": ("ja", "市議会は本日、アフリカの姉妹都市との新しい気候パートナーシップを承認しました。" * 20),
    "gb18030": ("zh", "市议会今天批准了与非洲友好城市的新气候伙伴关系，双方将共同建设太阳能设施。" * 20),
    "euc_kr": ("ko", "시의회는 오늘 아프리카 자매도시와의 새로운 기후 협력을 승인했습니다. " * 20),
    "iso2022_jp": ("ja", "市議会は本日、新しい協力関係を承認しました。学校に太陽光発電を設置します。" * 20),
    "iso8859_7": ("el", "Το δημοτικό συμβούλιο ενέκρινε σήμερα νέα συνεργασία για το κλίμα. " * 20),
    "cp1256": ("ar", "وافق مجلس المدينة اليوم على شراكة مناخية جديدة مع المدن الأفريقية. " * 20),
    "utf-8": ("vi", "Hội đồng thành phố hôm nay đã phê duyệt quan hệ đối tác khí hậu mới. " * 20),
    "cp1252": ("de", "Der Stadtrat hat heute die neue Klimapartnerschaft „Ntoro–Musterstadt“ beschlossen. " * 20),
}


def page_in(encoding: str, lang: str, text: str, meta: bool = True) -> bytes:
    charset = f"<meta charset='{encoding}'>" if meta else ""
    return (f"<!DOCTYPE html><html lang='{lang}'><head>{charset}<title>{text[:30]}</title></head><body>"
            f"<nav><a href='/'>Start</a></nav><article><h1>{text[:30]}</h1><p>{text}</p><p>{text}</p>"
            f"</article></body></html>").encode(encoding)


@pytest.mark.parametrize("encoding", TEXTS)
def test_pages_in_legacy_encodings_and_scripts_are_text(encoding):
    body = page_in(encoding, *TEXTS[encoding])
    assert sniff_body(body, "text/html") is None
    assert sniff_text(decode_html(body, None)) is None
    assert extract_article(body, URL) is not None


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("declared", ["text/html; charset=utf-16", "text/html", None])
def test_utf16_page_without_byte_order_mark_is_text_and_extracts(codec, declared):
    body = (PAGES / "utf16.html").read_bytes().decode("utf-16").encode(codec)  # no BOM
    assert utf16_codec(body) == codec
    assert sniff_body(body, declared) is None
    article = extract_article(body, URL, content_type=declared)
    assert article is not None and "Förderprogramm für kommunale Partnerschaften" in article.text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_chinese_utf16_page_without_byte_order_mark_is_text(codec):
    """Few NULs: only the markup is ASCII, so only a quarter of the bytes are NUL."""
    body = page_in("gb18030", *TEXTS["gb18030"], meta=False).decode("gb18030").encode(codec)
    assert sniff_body(body, None) is None
    article = extract_article(body, URL)
    assert article is not None and "市议会" in article.text


def test_page_with_a_few_stray_control_characters_is_still_text_and_extracts():
    # Word's vertical tab as a line break, a NUL from a database, a unit separator, a DEL
    strays = iter([b"\x0b", b"\x00", b"\x1f", b"\x7f", b"\x0b", b"\x08", b"\x0b", b"\x01", b"\x0b", b"\x0b"])
    body = b" ".join(word + next(strays, b"") if n % 5 == 3 else word for n, word in enumerate(HTML.split(b" ")))
    assert len(body) == len(HTML) + 10
    assert sniff_body(body, "text/html") is None
    article = extract_article(body, URL)
    assert article is not None and "Förderprogramm" in article.text


def test_long_article_pasted_from_word_with_a_vertical_tab_in_every_paragraph_is_text():
    paragraph = "Die Partnerschaft mit Ntoro wächst: Schulen, Wasser und Solarstrom stehen im Plan.\x0bWeiter so. "
    body = page_in("utf-8", "de", paragraph * 3).replace(b"<p>", b"<p>" + paragraph.encode() * 3) * 20
    assert body.count(b"\x0b") > 100 and len(body) > 20_000
    assert sniff_body(body, "text/html") is None
    assert sniff_text(decode_html(body, None)) is None


def test_plain_text_without_markup_is_not_binary():
    assert sniff_body("Mitteilung der Stadt. Die Sitzung fällt aus.\n".encode() * 100, "text/plain") is None


# --- the second guard: decoded text that is no text ------------------------------------------

def pcm_without_header() -> bytes:
    """Quiet 16-bit audio: a high byte of 0 after every low byte, like ASCII in UTF-16."""
    return b"".join(struct.pack("<h", RNG.randint(0, 255)) for _ in range(8000))


def test_binary_that_passes_the_byte_check_is_caught_once_decoded():
    body = pcm_without_header()
    assert sniff_body(body, "text/html") is None  # its NULs look like UTF-16
    with pytest.raises(NotHtml) as not_html:
        extract_article(body, URL, content_type="text/html")
    assert not_html.value.kind == OCTET_STREAM


@pytest.mark.parametrize("name", ["pdf", "jpeg", "random", "zip"])
def test_extraction_alone_refuses_binary_it_is_handed(name):
    """Without sniff_body in front: the decoded text check stops the same files (no `vi` article)."""
    with pytest.raises(NotHtml):
        extract_article(FILES[name][0](), URL, content_type="text/html")


def test_mojibake_text_is_junk_and_a_page_is_not():
    assert sniff_text(noise(4000).decode("cp1252", errors="replace")) == OCTET_STREAM
    assert sniff_text(noise(4000).decode("utf-16-le", errors="replace")) == OCTET_STREAM
    assert sniff_text(decode_html(HTML, None)) is None


# --- ExtractPipeline ---------------------------------------------------------------------------

def page_item(body: bytes, content_type: str = "text/html") -> PageItem:
    return PageItem(url=URL, source="test", fetched_at="2026-01-01T00:00:00+00:00", http_status=200,
                    body=body, content_type=content_type)


@pytest.mark.parametrize("workers", [0, 1])
def test_pipeline_skips_binary_as_not_html_before_and_after_decoding(workers):
    crawler = get_crawler()
    pipeline = ExtractPipeline(crawler.stats, workers=workers, timeout=30, max_bytes=10_000_000, min_chars=200)
    pipeline.open_spider()
    try:
        items = [page_item(pdf_file()), page_item(pcm_without_header()), page_item(HTML)]
        done = [asyncio.run(pipeline.process_item(item)) for item in items]
    finally:
        pipeline.close_spider()
    assert [(item.outcome, item.detail) for item in done[:2]] == [
        ("not_html", "application/pdf"), ("not_html", OCTET_STREAM)]
    assert all(item.body == b"" for item in done[:2])
    assert not isinstance(done[2], PageItem)  # the page itself became an article
    assert crawler.stats.get_value("crawler/extract/not_html") == 2
    assert crawler.stats.get_value("crawler/extract/not_html/application/pdf") == 1
