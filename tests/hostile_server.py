"""A misbehaving local web server for tests, and a helper to crawl it in a real subprocess.

`HostileServer` serves on 127.0.0.1 (or another loopback address) and port 0, records every
hit with its arrival time, and answers from a table of pages that a test fills in:

    with HostileServer() as site:
        site.page("/news/", links=["/news/1.html"])          # a listing
        site.article("/news/1.html")                         # an article page
        site.status("/busy/", 429, times=1, headers={"Retry-After": "2"}, then=...)
        site.redirect("/old", "http://127.0.0.1:9/secret")
        site.robots = (503, "")                              # robots.txt answers 503

Nothing here ever contacts an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env

ARTICLE_TEXT = (
    "Die Stadt Musterstadt und ihre Partnerstadt Ntoro haben heute im Rathaus eine neue "
    "Vereinbarung zur kommunalen Klimapartnerschaft unterzeichnet. Beide Verwaltungen wollen "
    "in den kommenden drei Jahren gemeinsam Solaranlagen auf Schulen bauen, Fachleute austauschen "
    "und die Bürgerinnen und Bürger beider Städte regelmäßig über den Fortschritt informieren. "
)


@dataclass
class Hit:
    path: str
    at: float  # time.monotonic() when the request arrived
    headers: dict[str, str]
    host: str


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # answer like this this many times, then fall through to `then`
    then: Reply | None = None
    # writes the whole answer itself, raw (drips, resets, broken headers): status, headers and body are ignored
    send: Callable[[BaseHTTPRequestHandler], None] | None = None
    delay: float = 0.0  # seconds to wait before answering (a hanging page)
    declared_length: int | None | bool = True  # True: the body's length; None: no Content-Length

    @property
    def length(self) -> int | None:
        return len(self.body) if self.declared_length is True else self.declared_length


class _QuietServer(ThreadingHTTPServer):
    """A crawl that stops (a test kills it, or a part of it) leaves answers unread: not an error here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError
            super().handle_error(request, client_address)


class HostileServer:
    """A threaded HTTP server on a loopback address whose every answer a test decides."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Reply] = {}
        self.hits: list[Hit] = []
        self.robots: tuple[int, str] = (200, "User-agent: *\nAllow: /\n")
        self.lock = threading.Lock()

    # --- the table of answers ----------------------------------------------------------------

    def page(self, path: str, links: list[str] = (), status: int = 200, extra: str = "", head: str = "") -> None:
        anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
        body = f"<html><head>{head}</head><body><h1>Liste</h1><ul>{anchors}</ul>{extra}</body></html>"
        self.routes[path] = Reply(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def article(self, path: str, title: str | None = None, extra_head: str = "") -> None:
        title = title or f"Klimapartnerschaft {path}"
        body = (f"<html lang='de'><head><title>{title}</title>{extra_head}</head><body><article>"
                f"<h1>{title}</h1><p>Musterstadt, 24. Februar 2024. {ARTICLE_TEXT}</p>"
                f"<p>{ARTICLE_TEXT}</p></article></body></html>")
        self.routes[path] = Reply(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def xml(self, path: str, body: str | bytes, content_type: str = "application/xml") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Reply(200, data, {"Content-Type": content_type})

    def status(self, path: str, status: int, times: int | None = None,
               headers: dict[str, str] | None = None, then: Reply | None = None) -> None:
        self.routes[path] = Reply(status, f"HTTP {status}".encode(), headers or {}, times,
                                  then or self.routes.get(path))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Reply(status, b"", {"Location": location})

    # --- what happened -------------------------------------------------------------------------

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def hits_of(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    # --- serving ---------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def bound(self, port: int) -> HostileServer:
        """Listen on `port` instead of any free one (another loopback address, the same port)."""
        self.wanted_port = port
        return self

    def __enter__(self) -> HostileServer:
        self.server = _QuietServer((self.host, getattr(self, "wanted_port", 0)), _handler(self))
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> Reply:
        if path == "/robots.txt":
            status, text = self.robots
            return Reply(status, text.encode(), {"Content-Type": "text/plain"})
        with self.lock:
            reply = self.routes.get(path)
            if reply is None:
                return Reply(404, b"<html><body>Seite nicht gefunden</body></html>", {"Content-Type": "text/html"})
            if reply.times is not None:
                if reply.times <= 0:
                    reply = reply.then or Reply(404)
                else:
                    reply.times -= 1
            return reply


def _handler(site: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with site.lock:
                site.hits.append(Hit(self.path, time.monotonic(), dict(self.headers),
                                     self.headers.get("Host", "")))
            reply = site.answer(self.path)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.send is not None:
                self.close_connection = True
                reply.send(self)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.length is None:  # the body's end is the connection's end, as HTTP/1.0 servers do
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(reply.length))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


# --- crawling a sources file in a subprocess ----------------------------------------------------

FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CRAWLER_SOURCE_DELAYS_ENABLED": False,
    "CRAWLER_EXTRACT_WORKERS": 0,
    "RETRY_TIMES": 1,
    "LOG_LEVEL": "INFO",
}


def write_sources(tmp_path: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """A sources file with these entries (TOML written by hand: values are str, int, list, dict)."""
    lines = []
    for name, entry in entries.items():
        lines.append(f"[{json.dumps(name)}]")
        for key, value in entry.items():
            if isinstance(value, dict):
                pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {pairs} }}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def crawl_sources(tmp_path: Path, sources: Path, allowed_private: list[str], spider: str = "municipal",
                  args: dict[str, str] | None = None, timeout: float = 120, **settings: Any) -> CrawlResult:
    """Run `scrapy crawl SPIDER -a sources=…` into tmp_path/archive.db; stats from the log."""
    db_path = tmp_path / "archive.db"
    command = crawl_command(spider, {"sources": str(sources), **(args or {})},
                            CRAWLER_STORAGE_PATH=db_path, CRAWLER_NETGUARD_ALLOWED_PRIVATE=allowed_private,
                            **{**FAST, **settings})
    result = subprocess.run(command, env=crawl_env(), cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"crawl exited {result.returncode}:\n{result.stderr[-4000:]}")
    return CrawlResult(db_path, result.stderr)


@dataclass
class CrawlResult:
    db_path: Path
    log: str

    def stat(self, key: str) -> int:
        """A counter from Scrapy's final stats dump (0 when absent)."""
        for line in self.log.splitlines():
            stripped = line.strip().lstrip("{").rstrip(",}")
            if stripped.startswith(f"'{key}': "):
                return int(stripped[len(key) + 4:])
        return 0

    def fetches(self) -> list[dict[str, Any]]:
        import sqlite3

        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM fetches ORDER BY id")]

    def fetched_urls(self) -> Iterator[str]:
        return (row["url"] for row in self.fetches())
