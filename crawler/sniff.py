"""Is a response body a text page at all? A PDF, an image or an archive sent as text/html is not.

Servers mislabel downloads: a CMS streams a PDF or a JPEG with its default `text/html`, a
proxy gzips a body that is gzipped already. Decoded anyway, such bytes became 20 KB
"articles" of mojibake in language `vi`. Two checks keep them out, both pure and cheap:
`sniff_body` reads the bytes before extraction (a file signature, else the share of bytes no
text has), `sniff_text` the decoded text after it (replacement, control, private-use and
surrogate characters), for whatever the first let through. Both name what the body is
instead, as a media type for the fetch's detail, or return None for text.
"""

from __future__ import annotations

import codecs
import re
from typing import TypeVar

# Bytes no text encoding of the web produces outside UTF-16 (WHATWG MIME Sniffing's "binary data
# bytes"): C0 controls except TAB, LF, FF, CR, ESC (ISO-2022-JP's shifts) and, unlike WHATWG, VT
# (Word's line break, pasted into CMSs: ~1 % of such an article's bytes).
_BINARY_BYTES = bytes([*range(0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
# Characters no text page has in bulk: C0/C1 controls (as above), U+FFFD (bytes the decoder could
# not read), surrogates, private use, noncharacters. A PDF or an image decoded as cp1252 is
# about 11 % of them, as UTF-16 about 13 %.
_JUNK = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ud800-\uf8ff\ufdd0-\ufdef\ufffd-\uffff]")
# Shares measured on the 352 real pages of shared/extraction-bench and tests/pages: binary bytes
# at most 0.008 %, junk characters at most 0.1 %; compressed or random bytes 9-11 %, as text 11-13 %.
MAX_BINARY_SHARE = 0.02
MAX_JUNK_SHARE = 0.02
MIN_EVIDENCE = 16  # fewer odd bytes or characters than this prove nothing, whatever their share
SAMPLE = 8 * 1024  # bytes (or characters) read at the start and in the middle of a body
OCTET_STREAM = "application/octet-stream"

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # the UTF-32 ones start alike
# File signatures at the start of a body, after any blank lines a PHP script printed first.
# Two-byte ones (MZ, an MP3 frame sync) are left to the binary-byte share.
_SIGNATURES: list[tuple[bytes, str]] = [
    (rb"%PDF-", "application/pdf"),
    (rb"%!PS-Adobe", "application/postscript"),
    (rb"\x89PNG\r\n\x1a\n", "image/png"),
    (rb"\xff\xd8\xff", "image/jpeg"),
    (rb"GIF8[79]a", "image/gif"),
    (rb"RIFF....WEBP", "image/webp"),
    (rb"RIFF....WAVE", "audio/wav"),
    (rb"RIFF....AVI ", "video/x-msvideo"),
    (rb"II\*\x00|MM\x00\*", "image/tiff"),
    (rb"BM....\x00\x00\x00\x00", "image/bmp"),
    (rb"\x00\x00[\x01\x02]\x00", "image/x-icon"),
    (rb"8BPS\x00[\x01\x02]", "image/vnd.adobe.photoshop"),
    (rb"....ftyp", "video/mp4"),  # ISO base media: the brand says which (_ISO_BRANDS)
    (rb"\x1a\x45\xdf\xa3", "video/webm"),
    (rb"FLV\x01", "video/x-flv"),
    (rb"ID3[\x02-\x04]\x00", "audio/mpeg"),
    (rb"OggS\x00", "application/ogg"),
    (rb"fLaC[\x00\x80]\x00\x00\x22", "audio/flac"),
    (rb"MThd\x00\x00\x00\x06", "audio/midi"),
    (rb"wOFF", "font/woff"),
    (rb"wOF2", "font/woff2"),
    (rb"PK\x03\x04|PK\x05\x06|PK\x07\x08", "application/zip"),  # DOCX, XLSX, ODT, EPUB: _zip_kind
    (rb"\x1f\x8b\x08", "application/gzip"),  # a gzip body inside the body: compressed twice
    (rb"BZh[1-9]1AY&SY", "application/x-bzip2"),
    (rb"\xfd7zXZ\x00", "application/x-xz"),
    (rb"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (rb"Rar!\x1a\x07", "application/vnd.rar"),
    (rb"\x28\xb5\x2f\xfd", "application/zstd"),
    (rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .ppt, .msg
    (rb"\x7fELF", "application/x-elf"),
    (rb"\x00asm", "application/wasm"),
    (rb"SQLite format 3\x00", "application/vnd.sqlite3"),
    (rb"\{\\rtf", "application/rtf"),
]
_SIGNATURE = re.compile(b"|".join(b"(" + pattern + b")" for pattern, _ in _SIGNATURES), re.DOTALL)
_ISO_BRANDS = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic", b"heix": "image/heic",
               b"mif1": "image/heif", b"qt  ": "video/quicktime", b"M4A ": "audio/mp4", b"3gp4": "video/3gpp"}
_OOXML = ((b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
_MEDIA_TYPE = re.compile(rb"[a-z]+/[\w.+-]+")


def sniff_body(body: bytes, content_type: str | None = None) -> str | None:
    """The media type `body` is instead of a text page ("application/pdf", …), or None if it may be text.

    A signature at the start decides; else a body (outside UTF-16) with more than
    MAX_BINARY_SHARE of binary bytes is binary, named after a non-text Content-Type if it has one.
    """
    if body.startswith(_BOMS):
        return None  # a byte order mark: text in a UTF, decode_html reads it
    head = body[:SAMPLE].lstrip(b"\t\n\x0c\r ")
    if match := _SIGNATURE.match(head):
        return _refine(_SIGNATURES[(match.lastindex or 1) - 1][1], head, body)  # one group per signature
    if utf16_codec(body) is not None:
        return None  # BOM-less UTF-16 (its NULs are half its bytes): sniff_text checks it decoded
    sample = _sample(body)
    binary = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    if binary >= MIN_EVIDENCE and binary > MAX_BINARY_SHARE * len(sample):
        return _declared_binary(content_type) or OCTET_STREAM
    return None


def sniff_text(text: str) -> str | None:
    """OCTET_STREAM when decoded `text` is mostly characters no page has (bytes no encoding fits), else None."""
    sample = _sample(text)
    junk = len(_JUNK.findall(sample))
    return OCTET_STREAM if junk >= MIN_EVIDENCE and junk > MAX_JUNK_SHARE * len(sample) else None


def utf16_codec(body: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text without a byte order mark, else None.

    Markup is ASCII, so in UTF-16 every other byte of it is NUL: many NULs at one parity
    and next to none at the other. Binary data has its NULs at both.
    """
    head = body[:SAMPLE]
    enough = max(len(head) // 50, MIN_EVIDENCE)  # a CJK page's markup alone gives far more
    if head.count(0) < enough:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= enough and even * 4 <= odd:
        return "utf-16-le"
    if even >= enough and odd * 4 <= even:
        return "utf-16-be"
    return None


class NotHtml(ValueError):
    """The body is no text page but `kind` (a media type): a PDF, an image, random bytes."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _refine(kind: str, head: bytes, body: bytes) -> str:
    """A container's own kind: the brand of an MP4-like file, the document type in a ZIP."""
    if kind == "video/mp4":
        return _ISO_BRANDS.get(head[8:12], kind)
    if kind == "application/zip":
        return _zip_kind(head, body)
    return kind


def _zip_kind(head: bytes, body: bytes) -> str:
    # ODF and EPUB store their media type, uncompressed, as the first member "mimetype";
    # OOXML names its parts word/, xl/ or ppt/ in the central directory at the end
    if head[30:38] == b"mimetype":
        start = 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
        size = int.from_bytes(head[18:22], "little")  # stored: its compressed size is its size
        if match := _MEDIA_TYPE.fullmatch(head, start, start + min(size, 100)):
            return match.group().decode("ascii")
    tail = body[-SAMPLE:]
    return next((kind for marker, kind in _OOXML if marker in tail), "application/zip")


def _declared_binary(content_type: str | None) -> str | None:
    """The declared media type when it names no kind of text (text/*, HTML, XML, JSON)."""
    declared = (content_type or "").split(";")[0].strip().lower()
    is_text = not declared or declared.startswith("text/") or any(
        word in declared for word in ("html", "xml", "json", "javascript"))
    return None if is_text or "/" not in declared else declared


T = TypeVar("T", bytes, str)


def _sample(data: T) -> T:
    """The start and the middle of `data`: enough to judge, in bounded time."""
    if len(data) <= 2 * SAMPLE:
        return data
    middle = (len(data) // 2) & ~1  # even: UTF-16 stays aligned
    return data[:SAMPLE] + data[middle : middle + SAMPLE]
