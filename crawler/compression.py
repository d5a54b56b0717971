"""Strict gzip, deflate, brotli and zstd: a compressed body cut short never reaches the spider.

Scrapy's decoders return whatever they could inflate: a server that drops the connection halfway
through a gzip stream hands the spider a 200 with half an article and no error (reliability.md
H8, measured); a brotli stream cut at 90 % became a version ending mid-sentence, a cut zstd
frame an empty body. Stored as is, that would be a false change alert and a lost text.
`StrictDecompressionMiddleware` sits just before `HttpCompressionMiddleware` (order 590) and
decodes all four itself, requiring each stream's end marker. A complete body goes on decoded,
so HttpCompressionMiddleware has nothing left to do for it: each body is inflated once, and
gzip faster than Scrapy's GzipFile loop (docs/safety.md has the figures).
"""

from __future__ import annotations

import logging
import re
import sys
import zlib
from collections.abc import Callable
from typing import Self

import brotli
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # Scrapy's own zstd for Python < 3.14; unlike zstandard's, it bounds each step's output
    from backports import zstd

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024  # output bytes per inflate step: the size limit is checked this often
_GZIP_MAGIC = b"\x1f\x8b"
_WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": zlib.MAX_WBITS}
# a zstd frame, or a skippable frame (magic 0x184D2A50-5F, little-endian): another frame follows
_ZSTD_FRAME = re.compile(rb"\x28\xb5\x2f\xfd|[\x50-\x5f]\x2a\x4d\x18")


class RejectedBody(IgnoreRequest):
    """A response body that must not reach the spider: cut short, corrupt, or too large inflated.

    `outcome` and `detail` are what the article's `fetches` row records.
    """

    def __init__(self, outcome: str, detail: str, why: str) -> None:
        super().__init__(why)
        self.outcome = outcome
        self.detail = detail
        self.status: int | None = None  # the response's HTTP status, set by the middleware


def inflate_strict(body: bytes, encoding: bytes, max_size: int) -> bytes:
    """`body` decoded from `encoding` (gzip, x-gzip, deflate, br, zstd); RejectedBody unless it is whole.

    `max_size` (0: none) bounds the inflated size, so a bomb stops there.
    """
    return _DECODERS[encoding](body, encoding, max_size)


def _inflate_zlib(body: bytes, encoding: bytes, max_size: int) -> bytes:
    """Every gzip member must end with its trailer (the CRC and length are checked by zlib)."""
    wbits = _WBITS[encoding]
    parts: list[bytes] = []
    size = 0
    data = body
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            size = _inflate_member(inflater, data, parts, size, max_size)
        except zlib.error as error:
            if wbits == zlib.MAX_WBITS and size == 0:
                wbits = -zlib.MAX_WBITS  # "deflate" sent raw, without the zlib header (old IIS)
                continue
            raise RejectedBody("error", "corrupt_body", f"{encoding.decode()} stream is corrupt: {error}") from None
        if not inflater.eof:
            raise _truncated(encoding, body, size)
        data = inflater.unused_data
        if wbits < 0 or not data.startswith(_GZIP_MAGIC):
            return b"".join(parts)  # bytes after the end marker that start no member are padding
        # another gzip member follows (concatenated streams are one body)


def _inflate_member(inflater: zlib._Decompress, data: bytes, parts: list[bytes], size: int, max_size: int) -> int:
    """Inflate one stream into `parts` until its end marker or its input runs out; the new size."""
    while not inflater.eof:
        chunk = inflater.decompress(data, _CHUNK)
        size += len(chunk)
        _check_size(size, max_size)
        parts.append(chunk)
        data = inflater.unconsumed_tail
        if not data and len(chunk) < _CHUNK:
            break  # input used up and no output pending: the stream ends here, complete or not
    return size


def _unbrotli_strict(body: bytes, encoding: bytes, max_size: int) -> bytes:
    """A brotli stream is whole when the decoder has seen its last meta-block (is_finished)."""
    decoder = brotli.Decompressor()
    parts: list[bytes] = []
    size = 0
    data = body
    try:
        while not decoder.is_finished():
            chunk = decoder.process(data, output_buffer_limit=_CHUNK)  # keeps unread input itself
            data = b""
            if not chunk:
                break  # input used up before the last meta-block
            size += len(chunk)
            _check_size(size, max_size)
            parts.append(chunk)
    except brotli.error as error:
        raise RejectedBody("error", "corrupt_body", f"br stream is corrupt: {error}") from None
    if not decoder.is_finished():
        raise _truncated(encoding, body, size)
    return b"".join(parts)


def _unzstd_strict(body: bytes, encoding: bytes, max_size: int) -> bytes:
    """Every zstd frame must reach its end (its checksum, when it has one, is checked on the way)."""
    parts: list[bytes] = []
    size = 0
    data = body
    try:
        while True:
            decoder = zstd.ZstdDecompressor()
            while not decoder.eof:
                chunk = decoder.decompress(data, max_length=_CHUNK)  # keeps unread input itself
                data = b""
                size += len(chunk)
                _check_size(size, max_size)
                parts.append(chunk)
                if decoder.needs_input:
                    raise _truncated(encoding, body, size)
            data = decoder.unused_data
            if not _ZSTD_FRAME.match(data):
                return b"".join(parts)  # bytes after the last frame that start no frame are padding
    except zstd.ZstdError as error:
        raise RejectedBody("error", "corrupt_body", f"zstd stream is corrupt: {error}") from None


def _check_size(size: int, max_size: int) -> None:
    if max_size and size > max_size:
        raise RejectedBody("too_large", f"over {max_size} bytes inflated",
                           f"inflated body exceeds DOWNLOAD_MAXSIZE ({max_size} B)")


def _truncated(encoding: bytes, body: bytes, size: int) -> RejectedBody:
    return RejectedBody("error", "truncated_body",
                        f"{encoding.decode()} stream cut short after {len(body)} bytes ({size} inflated)")


_DECODERS: dict[bytes, Callable[[bytes, bytes, int], bytes]] = {
    b"gzip": _inflate_zlib, b"x-gzip": _inflate_zlib, b"deflate": _inflate_zlib,
    b"br": _unbrotli_strict, b"zstd": _unzstd_strict,
}


class StrictDecompressionMiddleware:
    """Decode gzip, deflate, br and zstd bodies strictly, before Scrapy's lenient HttpCompressionMiddleware."""

    def __init__(self, stats: StatsCollector, max_size: int) -> None:
        self.stats = stats
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured("COMPRESSION_ENABLED is off: Scrapy inflates nothing, so neither do we")
        return cls(crawler.stats, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request: Request, response: Response) -> Response:
        encodings = _encodings(response)
        if request.method == "HEAD" or not response.body or not encodings or encodings[-1] not in _DECODERS:
            return response
        max_size = request.meta.get("download_maxsize", self.max_size)
        body = response.body
        try:
            while encodings and encodings[-1] in _DECODERS:  # the last encoding applied comes off first
                body = inflate_strict(body, encodings.pop(), max_size)
        except RejectedBody as rejected:
            rejected.status = response.status
            self.stats.inc_value(f"crawler/compression/rejected/{rejected.detail}")
            logger.warning("rejected %s: %s", response.url, rejected)
            raise
        self.stats.inc_value("crawler/compression/inflated")
        headers = response.headers.copy()
        if encodings:  # e.g. "compress, gzip": an encoding we do not know goes on to Scrapy's middleware
            headers[b"Content-Encoding"] = b", ".join(encodings)
        else:
            del headers[b"Content-Encoding"]
        # as HttpCompressionMiddleware does: the response class and the text encoding are
        # guessed again from the inflated body, not from the compressed bytes
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        extra = {"encoding": None} if issubclass(cls, TextResponse) else {}
        return response.replace(cls=cls, body=body, headers=headers, **extra)


def _encodings(response: Response) -> list[bytes]:
    """The Content-Encoding values in the order they were applied, lower-cased."""
    return [part.strip().lower() for value in response.headers.getlist(b"Content-Encoding")
            for part in value.split(b",") if part.strip()]
