"""Serve every replica site from threads of this process, one ThreadingHTTPServer per site key.

Per request the server only looks up pre-built bytes: the pages of both states are rendered once
(catalog.render_state) and materialised with this instance's origins when `start()` runs.
`GET /_replica/state?set=v2` on any site port switches the state from another process, and
`GET /_replica/origins` gives the origin map (real origin -> local origin) to a crawl started
elsewhere; `/_replica/` requests are never rate limited, refused or recorded in `hits`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl

from . import dates
from .catalog import REAL_ORIGINS, STATE_DATE, ignored_params, render_state
from .content import STATES, check_state
from .pages import PLACEHOLDER, Page, link, not_found, request_key

RATE_LIMITED_SITES = frozenset({"berlin"})
RATE_LIMIT = 2  # requests per RATE_WINDOW seconds and client; the next one gets 429
RATE_WINDOW = 1.0
# berlin.de's robots.txt demands a unique User-Agent; library defaults are refused (sources.md A.5).
GENERIC_AGENT = re.compile(
    r"^(|python-requests/.*|curl/.*|Python-urllib/.*|python-httpx/.*|Wget/.*|Go-http-client/.*|"
    r"aiohttp/.*|Scrapy/\S+ \(\+https?://(www\.)?scrapy\.org\))$", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    site: str
    method: str
    path: str  # request target as sent: path plus query
    status: int
    request_headers: dict[str, str]
    at: float  # time.monotonic()


@dataclass
class Resource:
    """A ready-to-send response."""

    status: int
    body: bytes
    headers: list[tuple[str, str]]
    etag: str | None = None
    modified_at: float | None = None
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        if self._gzipped is None:  # a benign race: both threads compute the same bytes
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


def materialise(page: Page, urls: dict[str, str]) -> Resource:
    body = PLACEHOLDER.sub(lambda m: urls[m[1]], page.body).encode(page.charset, "xmlcharrefreplace")
    headers = list(page.headers)
    if page.location is not None:
        location = PLACEHOLDER.sub(lambda m: urls[m[1]], page.location)
        return Resource(page.status, b"", [("Location", location), *headers])
    headers.append(("Content-Type", f"{page.content_type}; charset={page.charset.upper()}"))
    if page.status != 200:
        return Resource(page.status, body, headers)
    modified = page.last_modified or STATE_DATE["v1"]
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers += [("ETag", etag), ("Last-Modified", dates.http_date(modified)), ("Vary", "Accept-Encoding")]
    return Resource(200, body, headers, etag, dates.http_timestamp(modified))


def plain(status: int, text: str, *extra: tuple[str, str]) -> Resource:
    return Resource(status, text.encode(), [("Content-Type", "text/plain; charset=UTF-8"), *extra])


def is_not_modified(resource: Resource, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    if (match := headers.get("If-None-Match")) is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or resource.etag in tags
    since = headers.get("If-Modified-Since")
    if since and resource.modified_at is not None:
        try:
            return resource.modified_at <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


class RateLimiter:
    """Sliding one-second window per client; refused requests count too, so hammering stays refused."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float) -> bool:
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            seen.append(now)
            return len(seen) <= self.limit


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a crawler opening 8+ connections at
    # once; each dropped SYN is retried after the kernel's 1 s RTO, a stall no real site shows
    request_queue_size = 128
    replica: Replica
    site: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # idle keep-alive connections close on their own
    server: _SiteServer

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        return

    def version_string(self) -> str:
        return "Apache"

    def _serve(self, send_body: bool) -> None:
        replica, site = self.server.replica, self.server.site
        # Header names are case-insensitive; one spelling keeps lookups and `hits` simple.
        headers = {name.title(): value for name, value in self.headers.items()}
        if self.path.startswith("/_replica/"):
            self._send(replica.control(self.path), send_body, headers)
            return
        resource = replica.answer(site, self.path, headers, self.client_address[0])
        status = _final_status(resource, headers)
        # recorded before the answer goes out: a client never holds a response whose hit is missing
        replica.record(Hit(site, self.command, self.path, status, headers, time.monotonic()))
        self._send(resource, send_body, headers)

    def _send(self, resource: Resource, send_body: bool, request_headers: dict[str, str]) -> int:
        status, body, extra = _final_status(resource, request_headers), resource.body, []
        if status == 304:
            body = b""
        elif status == 200 and body and accepts_gzip(request_headers.get("Accept-Encoding")):
            body = resource.gzipped()
            extra.append(("Content-Encoding", "gzip"))
        self.send_response(status)
        for name, value in resource.headers + extra:
            if status != 304 or name in ("ETag", "Last-Modified", "Vary"):
                self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)
        return status


def _final_status(resource: Resource, request_headers: dict[str, str]) -> int:
    """The status the answer will carry: 304 when a conditional request matches."""
    if resource.status == 200 and is_not_modified(resource, request_headers):
        return 304
    return resource.status


class Replica:
    """All replica sites on 127.0.0.1, one port each; use as a context manager."""

    def __init__(self, state: str = "v1", host: str = "127.0.0.1", rate_limit: bool = True, port: int = 0) -> None:
        self.state = check_state(state)
        self.host = host
        self.port = port  # 0: any free ports; else the sites on port, port + 1, … in catalog order
        self.rate_limit = rate_limit
        self.urls: dict[str, str] = {}
        self.hits: list[Hit] = []
        self._hits_lock = threading.Lock()
        self._servers: list[_SiteServer] = []
        self._resources: dict[str, dict[str, dict[str, Resource]]] = {}
        self._not_found: Resource | None = None
        self._limiters = {site: RateLimiter() for site in RATE_LIMITED_SITES}

    def start(self) -> Replica:
        for number, site in enumerate(REAL_ORIGINS):
            server = _SiteServer((self.host, self.port + number if self.port else 0), _Handler)
            server.replica, server.site = self, site
            self._servers.append(server)
            self.urls[site] = f"http://{self.host}:{server.server_port}"
        self._resources = {
            state: {site: {key: materialise(page, self.urls) for key, page in pages.items()}
                    for site, pages in render_state(state).items()}
            for state in STATES
        }
        self._not_found = materialise(not_found(), self.urls)
        for server in self._servers:
            # A short poll interval keeps stop() fast: shutdown() waits for the next poll.
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def origin_map(self) -> dict[str, str]:
        """Real origin -> local origin, for every site key."""
        return {REAL_ORIGINS[site]: url for site, url in self.urls.items()}

    def set_state(self, state: str) -> None:
        self.state = check_state(state)  # one assignment: the next request sees the new state

    def clear_hits(self) -> None:
        with self._hits_lock:
            self.hits.clear()

    def record(self, hit: Hit) -> None:
        with self._hits_lock:
            self.hits.append(hit)

    def lookup(self, site: str, target: str, state: str | None = None) -> Resource:
        pages = self._resources[state or self.state][site]
        key = request_key(target)
        if key in pages:
            return pages[key]
        path, _, query = key.partition("?")
        ignored = ignored_params(site)
        if query and ignored:
            kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ignored]
            stripped = request_key(link(path, *kept))
            if stripped in pages:
                return pages[stripped]
        assert self._not_found is not None
        return self._not_found

    def answer(self, site: str, target: str, headers: dict[str, str], client: str) -> Resource:
        if site in RATE_LIMITED_SITES:
            if GENERIC_AGENT.match(headers.get("User-Agent", "").strip()):
                return plain(403, "Forbidden: identify your program uniquely in the User-Agent header.")
            if self.rate_limit and not self._limiters[site].allow(client, time.monotonic()):
                return plain(429, "Calm down", ("Retry-After", "2"))
        return self.lookup(site, target)

    def control(self, target: str) -> Resource:
        path, _, query = target.partition("?")
        if path == "/_replica/origins":
            return Resource(200, json.dumps(self.origin_map()).encode(),
                            [("Content-Type", "application/json; charset=UTF-8")])
        if path != "/_replica/state":
            return plain(404, "unknown control path")
        wanted = dict(parse_qsl(query)).get("set")
        if wanted is not None:
            if wanted not in STATES:
                return plain(400, f"unknown state {wanted!r}")
            self.set_state(wanted)
        return Resource(200, json.dumps({"state": self.state}).encode(),
                        [("Content-Type", "application/json; charset=UTF-8")])
