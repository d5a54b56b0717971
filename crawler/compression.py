"""Strict gzip and deflate: a compressed body cut short never reaches the spider.

Scrapy's gunzip returns whatever it could inflate: a server that drops the connection halfway
through a gzip stream hands the spider a 200 with half an article and no error (reliability.md
H8, measured), and stored as is that would be a false change alert and a lost text.
`StrictDecompressionMiddleware` sits just before `HttpCompressionMiddleware` (order 590) and
inflates gzip and deflate itself, requiring the stream's end marker. A complete body goes on
decoded, so HttpCompressionMiddleware has nothing left to do for it: each body is inflated
once, and faster than Scrapy's GzipFile loop (README "Politeness and safety" has the figures).
Brotli and zstd are left to Scrapy.
"""

from __future__ import annotations

import logging
import zlib
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024  # output bytes per inflate step: the size limit is checked this often
_GZIP_MAGIC = b"\x1f\x8b"
_WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": zlib.MAX_WBITS}


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
    """`body` inflated from `encoding` (gzip, x-gzip, deflate); RejectedBody unless it is whole.

    Every gzip member must end with its trailer (the CRC and length are checked by zlib);
    `max_size` (0: none) bounds the inflated size, so a bomb stops there.
    """
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
            raise RejectedBody("error", "truncated_body",
                               f"{encoding.decode()} stream cut short after {len(body)} bytes ({size} inflated)")
        data = inflater.unused_data
        if wbits < 0 or not data.startswith(_GZIP_MAGIC):
            return b"".join(parts)  # bytes after the end marker that start no member are padding
        # another gzip member follows (concatenated streams are one body)


def _inflate_member(inflater: zlib._Decompress, data: bytes, parts: list[bytes], size: int, max_size: int) -> int:
    """Inflate one stream into `parts` until its end marker or its input runs out; the new size."""
    while not inflater.eof:
        chunk = inflater.decompress(data, _CHUNK)
        size += len(chunk)
        if max_size and size > max_size:
            raise RejectedBody("too_large", f"over {max_size} bytes inflated",
                               f"inflated body exceeds DOWNLOAD_MAXSIZE ({max_size} B)")
        parts.append(chunk)
        data = inflater.unconsumed_tail
        if not data and len(chunk) < _CHUNK:
            break  # input used up and no output pending: the stream ends here, complete or not
    return size


class StrictDecompressionMiddleware:
    """Inflate gzip and deflate bodies strictly, before Scrapy's lenient HttpCompressionMiddleware."""

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
        if request.method == "HEAD" or not response.body or not encodings or encodings[-1] not in _WBITS:
            return response
        max_size = request.meta.get("download_maxsize", self.max_size)
        body = response.body
        try:
            while encodings and encodings[-1] in _WBITS:  # the last encoding applied comes off first
                body = inflate_strict(body, encodings.pop(), max_size)
        except RejectedBody as rejected:
            rejected.status = response.status
            self.stats.inc_value(f"crawler/compression/rejected/{rejected.detail}")
            logger.warning("rejected %s: %s", response.url, rejected)
            raise
        self.stats.inc_value("crawler/compression/inflated")
        headers = response.headers.copy()
        if encodings:  # e.g. "br, gzip": Scrapy's middleware takes care of the rest
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
