"""Answers no well-behaved server gives, written raw to the socket (`Reply.send`), and bombs.

Each function returns a `Reply` for `HostileServer.routes`. Bombs are built here from zeros,
so nothing large is committed; their sizes only need to pass `DOWNLOAD_MAXSIZE`.
"""

from __future__ import annotations

import gzip
import socket
import struct
import time
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler

import brotli
from hostile_server import Reply

HTML = "text/html; charset=utf-8"


def raw(data: bytes) -> Reply:
    """Exactly these bytes, status line and headers included, then the connection closes."""
    return Reply(send=lambda handler: _write(handler, data))


def head(status: str = "200 OK", content_type: str = HTML, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def drip(body: bytes, chunks: int, every: float) -> Reply:
    """A page whose body arrives in `chunks` pieces, one every `every` seconds."""
    size = -(-len(body) // chunks)

    def send(handler: BaseHTTPRequestHandler) -> None:
        _write(handler, head(Content_Length=str(len(body))))
        for start in range(0, len(body), size):
            time.sleep(every)
            if not _write(handler, body[start:start + size]):
                return

    return Reply(send=send)


def reset_mid_body(declared: int, sent: bytes) -> Reply:
    """Announce `declared` bytes, send `sent`, then reset the connection (RST, not FIN)."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        _write(handler, head(Content_Length=str(declared)) + sent)
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()

    return Reply(send=send)


def endless_chunked(chunk: bytes = b"<p>" + b"x" * 65_536 + b"</p>", limit: int = 256 * 1024 * 1024) -> Reply:
    """A chunked body that never ends (until the client hangs up, or `limit` bytes)."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        _write(handler, head(Transfer_Encoding="chunked") + b"c\r\n<html><body>\r\n")
        frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        for _ in range(limit // len(chunk)):
            if not _write(handler, frame):
                return

    return Reply(send=send)


@cache
def gzip_bomb(inflated: int) -> bytes:
    """A gzip member of `inflated` zero bytes (about 1/1000 of that on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + compressor.flush()


@cache
def brotli_bomb(inflated: int) -> bytes:
    return brotli.compress(bytes(inflated), quality=5)


def truncated_gzip(body: bytes) -> bytes:
    """The first half of a gzip stream: Scrapy alone would inflate it without complaint."""
    whole = gzip.compress(body)
    return whole[: len(whole) // 2]


def _write(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
    """Write and flush; False once the client has gone."""
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
    except OSError:
        return False
    return True
