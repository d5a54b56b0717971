"""Serve a directory from memory on 127.0.0.1 with HTTP/1.1 keep-alive: a server that is never the limit.

    .venv/bin/python bench/static_server.py DIR [--port 0] [--threaded]

Prints `http://127.0.0.1:PORT` on its first line once it listens, then serves until killed.
`/` paths map to `index.html`; a URL with a query is looked up whole first (a file named
`?page=2` in `presse/` answers `/presse/?page=2`), then without it. Every file has a strong ETag,
and `If-None-Match` gets a 304, as the real sites answer conditional re-crawls (bench/recrawl.py).
The default is one asyncio event loop answering from a dict of preloaded files; `--threaded`
serves the same directory with the stdlib's ThreadingHTTPServer and SimpleHTTPRequestHandler
instead, so `bench/throughput.py --servers` can compare the two.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {".html": b"text/html; charset=utf-8", ".txt": b"text/plain; charset=utf-8",
         ".toml": b"text/plain; charset=utf-8"}


_IF_NONE_MATCH = re.compile(rb"\r\nif-none-match:[ \t]*([^\r]*)", re.IGNORECASE)


def load_files(root: Path) -> dict[bytes, tuple[bytes, bytes, bytes]]:
    """URL path -> (content type, body, ETag) for every file under `root`."""
    files = {}
    for path in root.rglob("*"):
        if path.is_file():
            url = "/" + path.relative_to(root).as_posix()
            content_type = TYPES.get(path.suffix, b"application/octet-stream")
            body = path.read_bytes()
            files[url.encode()] = (content_type, body, etag_of(body).encode())
            if path.name == "index.html":
                files[url[: -len("index.html")].encode()] = files[url.encode()]
    return files


def etag_of(body: bytes) -> str:
    """A strong ETag: the body's SHA-1, quoted."""
    return '"%s"' % hashlib.sha1(body).hexdigest()


async def handle(files: dict[bytes, tuple[bytes, bytes, bytes]], reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, delay: float = 0.0) -> None:
    """Answer requests on one connection until the client closes it or asks to, each `delay` s late."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            # a page saved under its query (listings paginated by ?page=N), else the path alone
            found = files.get(target) or files.get(target.split(b"?", 1)[0])
            status, content_type, body, etag = (b"200 OK", *found) if found else (
                b"404 Not Found", TYPES[".txt"], b"", b"")
            match = _IF_NONE_MATCH.search(head)
            if found and match and match.group(1).strip() == etag:
                status, body = b"304 Not Modified", b""
            closing = b"connection: close" in head.lower()
            if delay:  # a real site's time to answer (bench/night.py)
                await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s%s\r\n" % (
                status, content_type, len(body), b"ETag: %s\r\n" % etag if etag else b"",
                b"Connection: close\r\n" if closing else b""))
            if method != b"HEAD":
                writer.write(body)
            await writer.drain()
            if closing:
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass  # the client went away or sent garbage: drop the connection
    finally:
        writer.close()


async def serve(root: Path, port: int) -> None:
    files = load_files(root)
    server = await asyncio.start_server(partial(handle, files), "127.0.0.1", port, backlog=256)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def serve_threaded(root: Path, port: int) -> None:
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


class _QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the asyncio server and real sites do

    def log_message(self, format: str, *args: object) -> None:
        """Per-request logging to stderr would cost more than the answer."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threaded", action="store_true")
    options = parser.parse_args()
    if options.threaded:
        serve_threaded(options.root, options.port)
    else:
        asyncio.run(serve(options.root, options.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
