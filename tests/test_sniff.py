"""Bodies that are no text page (a PDF, an image, an archive, random bytes) never become articles.

The files are real ones, made here with the standard library (zlib, struct, zipfile, wave,
sqlite3, tarfile…); the pages are the saved test pages and the same texts in other languages
and encodings, UTF-16 without a byte order mark among them.
"""

from __future__ import annotations

import asyncio
import bz2
import gzip
import io
import lzma
import random
import sqlite3
import struct
import tarfile
import wave
import zipfile
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from scrapy.utils.test import get_crawler

from crawler.extract import decode_html, extract_article
from crawler.items import PageItem
from crawler.pipelines import ExtractPipeline
from crawler.sniff import OCTET_STREAM, NotHtml, sniff_body, sniff_text, utf16_codec

PAGES = Path(__file__).parent / "pages"
URL = "https://example.org/aktuelles/meldung.html"
RNG = random.Random("sniff")


def noise(size: int) -> bytes:
    """Incompressible bytes: what compressed image data, audio frames and encrypted files look like."""
    return RNG.randbytes(size)


# --- real files, made with the standard library ----------------------------------------------

def pdf_file() -> bytes:
    """A one-page PDF: catalog, page, a Flate content stream and a JPEG image stream, xref, trailer."""
    text = b"".join(b"BT /F1 12 Tf 72 %d Td (Partnerschaft Nummer %d) Tj ET\n" % (700 - n, n) for n in range(200))
    content = zlib.compress(text)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Subtype /Image /Length 9000 /Filter /DCTDecode >>\nstream\n%s\nendstream" % jpeg_file()[:9000]]
    out = io.BytesIO(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_file(width: int = 48, height: int = 48) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + noise(width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg_file() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xda" + noise(12000) + b"\xff\xd9"


GIF_1X1 = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
           b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def riff_file(kind: bytes, chunk: bytes) -> bytes:
    data = kind + chunk + struct.pack("<I", 8000) + noise(8000)
    return b"RIFF" + struct.pack("<I", len(data)) + data


def wav_file() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(noise(16000))
    return out.getvalue()


def iso_media_file(brand: bytes) -> bytes:
    ftyp = b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 12008) + b"mdat" + noise(12000)


def zip_file(members: dict[str, str], first_stored: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first_stored is not None:  # ODF and EPUB: "mimetype", uncompressed, comes first
            archive.writestr("mimetype", first_stored, compress_type=zipfile.ZIP_STORED)
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def sqlite_file(tmp_path: Path) -> bytes:
    with sqlite3.connect(tmp_path / "file.db") as db:
        db.execute("CREATE TABLE t (x)")
        db.executemany("INSERT INTO t VALUES (?)", [(f"Zeile {n}",) for n in range(100)])
    return (tmp_path / "file.db").read_bytes()


def tar_file() -> bytes:
    out = io.BytesIO()
    page = (PAGES / "utf8_body.html").read_bytes()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("seite.html")
        info.size = len(page)
        archive.addfile(info, io.BytesIO(page))
    return out.getvalue()


HTML = (PAGES / "utf8_body.html").read_bytes()
OOXML = "application/vnd.openxmlformats-officedocument"
FILES = {
    "pdf": (pdf_file, "application/pdf"),
    "png": (png_file, "image/png"),
    "jpeg": (jpeg_file, "image/jpeg"),
    "gif": (lambda: GIF_1X1, "image/gif"),
    "webp": (lambda: riff_file(b"WEBP", b"VP8 "), "image/webp"),
    "wav": (wav_file, "audio/wav"),
    "mp4": (lambda: iso_media_file(b"isom"), "video/mp4"),
    "avif": (lambda: iso_media_file(b"avif"), "image/avif"),
    "zip": (lambda: zip_file({"liesmich.txt": "Hallo " * 500}), "application/zip"),
    "docx": (lambda: zip_file({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:t>Text</w:t>" * 400}),
             f"{OOXML}.wordprocessingml.document"),
    "xlsx": (lambda: zip_file({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<sheet/>" * 400}),
             f"{OOXML}.spreadsheetml.sheet"),
    "odt": (lambda: zip_file({"content.xml": "<office:text/>" * 400}, "application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text"),
    "epub": (lambda: zip_file({"OEBPS/kapitel.xhtml": "<p>Kapitel</p>" * 400}, "application/epub+zip"),
             "application/epub+zip"),
    "gzip in the body": (lambda: gzip.compress(HTML), "application/gzip"),
    "bzip2": (lambda: bz2.compress(HTML), "application/x-bzip2"),
    "xz": (lambda: lzma.compress(HTML), "application/x-xz"),
    "zstd": (lambda: zstandard.ZstdCompressor().compress(HTML), "application/zstd"),
    # no signature known to the sniffer: the share of binary bytes decides
    "tar": (tar_file, OCTET_STREAM),
    "mp3 without ID3": (lambda: b"\xff\xfb\x90\x64" + noise(9000), OCTET_STREAM),
    "brotli in the body": (lambda: brotli.compress(HTML * 3), OCTET_STREAM),  # brotli has no signature
    "random": (lambda: noise(20000), OCTET_STREAM),
}


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
