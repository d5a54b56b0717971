"""A small news site on 127.0.0.1 whose pages tests edit, delete and unlink between crawls.

It answers like a real CMS: an ETag per body and 304 to a matching If-None-Match (except for
the listing and pages in `no_validators`), 404 for a deleted page, and it logs every request with its headers.
Pages in `gzipped` are sent gzip-compressed, whole or cut in half (reliability.md H8).
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from storage.db import open_db

TOPICS = ["Klimapartnerschaft", "Wasserversorgung", "Solarenergie", "Schulpartnerschaft", "Fairer Handel",
          "Städtepartnerschaft", "Abfallwirtschaft", "Gesundheitsversorgung", "Jugendaustausch", "Bürgerhaushalt"]


def article_text(number: int, edition: int = 1, paragraphs: int = 4) -> str:
    """Main text of article `number`: distinct words per article, and per edition when edited."""
    topic = TOPICS[number % len(TOPICS)]
    lines = [f"Die Stadt meldet Neues zum Projekt {topic} Nummer {number} mit der Partnerkommune."]
    lines += [f"Absatz {p}: Im Rahmen der kommunalen Entwicklungspolitik arbeiten Verwaltung und Vereine "
              f"am Vorhaben {topic} {number} gemeinsam mit Fachleuten aus der Partnerstadt." for p in range(paragraphs)]
    if edition > 1:
        lines.append(f"Nachtrag {edition}: Der Stadtrat hat die Förderung für {topic} {number} verlängert.")
    return "\n".join(lines)


def article_page(number: int, edition: int = 1, footer: str = "Stand: 01.01.2026", paragraphs: int = 4) -> bytes:
    paragraphs_html = "".join(f"<p>{line}</p>" for line in article_text(number, edition, paragraphs).splitlines())
    return (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Meldung {number}</title></head>"
            f"<body><nav><a href='/news/'>Aktuelles</a></nav><main><article><h1>Meldung {number}</h1>"
            f"{paragraphs_html}</article></main><footer>{footer} · Impressum</footer></body></html>").encode()


@dataclass
class Site:
    """The site's state: path → body (None = 404), which articles the listing links, request log."""

    pages: dict[str, bytes | None] = field(default_factory=dict)
    listed: list[int] = field(default_factory=list)
    no_validators: set[str] = field(default_factory=set)  # pages served without an ETag
    # path -> "whole" (gzip), "half" (the first half of the gzip stream, its Content-Length
    # right for what is sent) or "half-unframed" (that half, no Content-Length: the connection's
    # close ends it)
    gzipped: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def publish(self, count: int, edition: int = 1) -> None:
        for number in range(count):
            self.pages[f"/news/{number}.html"] = article_page(number, edition)
        self.listed = list(range(count))

    def listing(self) -> bytes:
        links = "".join(f"<li><a href='/news/{n}.html'>Meldung {n}</a></li>" for n in self.listed)
        return f"<html><body><h1>Aktuelles</h1><ul>{links}</ul></body></html>".encode()

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for hit, headers in self.hits if hit == path]

    def sources_file(self, directory: Path) -> Path:
        path = directory / "sources.toml"
        path.write_text(
            f'[town]\nspider = "municipal"\ntitle = "Musterstadt"\nstart_urls = ["{self.origin}/news/"]\n'
            "listing_patterns = ['^/news/$']\narticle_patterns = ['^/news/\\d+\\.html$']\n",
            encoding="utf-8",
        )
        return path


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        site = self.site
        site.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = site.listing() if self.path == "/news/" else site.pages.get(self.path)
        if body is None:
            self._reply(404, b"<html><body>Seite nicht gefunden</body></html>")
            return
        if site.delay and self.path != "/news/":
            time.sleep(site.delay)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.path == "/news/" or self.path in site.no_validators:
            etag = None
        elif self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", etag)
            return
        self._reply(200, body, etag, site.gzipped.get(self.path))

    def _reply(self, status: int, body: bytes, etag: str | None = None, packing: str | None = None) -> None:
        if packing is not None:
            body = gzip.compress(body, mtime=0)
            body = body if packing == "whole" else body[: len(body) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if packing is not None:
            self.send_header("Content-Encoding", "gzip")
        if etag:
            self.send_header("ETag", etag)
        if status != 304 and packing != "half-unframed":  # HTTP/1.0: without a length, the close ends the body
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def serve(site: Site) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    site.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def serving(site: Site) -> Iterator[Site]:
    """`site` served on 127.0.0.1 until the block ends."""
    server = serve(site)
    try:
        yield site
    finally:
        server.shutdown()


def query_archive(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of one query on the archive at `db_path`."""
    db = open_db(db_path)
    try:
        return db.execute(sql, params or []).fetchall()
    finally:
        db.close()


FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "CRAWLER_EXTRACT_WORKERS": 1, "LOG_LEVEL": "INFO"}


def site_crawl_command(site: Site, tmp_path: Path, db_path: Path, **settings: Any) -> list[str]:
    sources = site.sources_file(tmp_path)
    return crawl_command("municipal", {"sources": str(sources)},
                         **{"CRAWLER_STORAGE_PATH": db_path, **FAST,
                            # the site listens on 127.0.0.1, which the net guard refuses unless allowed
                            "CRAWLER_NETGUARD_ALLOWED_PRIVATE": [f"127.0.0.1:{site.port}"], **settings})


def crawl_site(site: Site, tmp_path: Path, db_path: Path, **settings: Any) -> subprocess.CompletedProcess:
    """One complete crawl of `site` into `db_path`, in a subprocess; fails the test on a non-zero exit."""
    result = subprocess.run(site_crawl_command(site, tmp_path, db_path, **settings), env=crawl_env(),
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    return result
