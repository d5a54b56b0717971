"""Real files that are no text page (a PDF, an image, an archive, random bytes), made with the
standard library (zlib, struct, zipfile, wave, sqlite3, tarfile…): `FILES` maps a name to its maker
and the content type the sniffer must give it.
"""

from __future__ import annotations

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
import zstandard

from crawler.sniff import OCTET_STREAM

PAGES = Path(__file__).parent / "pages"
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
