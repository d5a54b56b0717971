"""The hostile town, served on 127.0.0.x and crawled twice for the whole suite (two crawls in all).

Its fixtures are imported by test_hostile_town.py alone: a conftest.py here would take the
module name `conftest` from tests/conftest.py, and a fixture imported into two modules runs twice.

Every server listens on a loopback address; the "forbidden" ones (127.0.0.2, another port)
count their hits, which must stay 0. Host names are answered by tests/scripted_dns.py, so no
real name is ever looked up.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hostile_server import CrawlResult, Hit, HostileServer, crawl_sources, write_sources
from hostile_site import C17_LINKS, DOWNLOAD_TIMEOUT, Endpoint, article, town_endpoints
from scripted_dns import SCRIPT_ENV
from traps import MAX_LINKS, serve_maps, serve_traps, trap_sources

SETTINGS: dict[str, Any] = {
    "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CRAWLER_DISCOVERY_MAX_LINKS": MAX_LINKS,
    "TWISTED_DNS_RESOLVER": "tests.scripted_dns.ScriptedResolver",
}
DNS = {"intranet.test": ["127.0.0.2"], "offsite.test": ["127.0.0.2"], "nxdomain.test": ["!error"]}


@dataclass
class Town:
    """Every server of the hostile town and the two nights' crawls of it."""

    site: HostileServer  # the main town: one endpoint per misbehaviour
    secret: HostileServer  # 127.0.0.2, same port: reached only through a refused redirect
    other: HostileServer  # another local port: likewise
    slow: HostileServer  # 503 + Retry-After (H2)
    busy: HostileServer  # 429 + Retry-After (H3)
    downtown: HostileServer  # down on night 2 (H21)
    relaunch: HostileServer  # 404 everywhere on night 2 (H21)
    flaky: HostileServer  # two of three articles answer 500 (H21)
    traps: HostileServer  # T1-T4, T8
    maps: HostileServer  # T5-T7
    tls: HostileServer  # a self-signed certificate (H20)
    closed_port: int
    endpoints: list[Endpoint]
    tmp_path: Path
    nights: dict[int, CrawlResult] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)  # time.monotonic(), as Hit.at

    def sources(self) -> dict[str, dict[str, Any]]:
        site = self.site
        town = {"start_urls": [f"{site.origin}/news/"], "listing_patterns": ["^/news/(seite-\\d+)?$"],
                "article_patterns": ["^/news/(?!seite-)."],
                "allowed_hosts": [site.netloc, f"127.0.0.1:{self.closed_port}", f"nxdomain.test:{site.port}"]}
        plain = lambda server: {"start_urls": [f"{server.origin}/news/"], "allowed_hosts": [server.netloc],
                                "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/a\\d+$"]}
        tls = {**plain(self.tls), "start_urls": [f"https://{self.tls.netloc}/news/"]}
        return {"town": town, "slow": plain(self.slow), "busy": plain(self.busy), "downtown": plain(self.downtown),
                "relaunch": plain(self.relaunch), "flaky": plain(self.flaky), "tls": tls,
                **trap_sources(self.traps, self.maps)}

    def allowed_private(self) -> list[str]:
        servers = [self.site, self.slow, self.busy, self.downtown, self.relaunch, self.flaky, self.traps, self.maps,
                   self.tls]
        return [server.netloc for server in servers] + [f"127.0.0.1:{self.closed_port}"]

    def crawl(self, night: int, **settings: Any) -> CrawlResult:
        sources = write_sources(self.tmp_path, self.sources())
        started = self.started[night] = time.monotonic()
        os.environ[SCRIPT_ENV] = json.dumps(DNS)
        try:
            result = crawl_sources(self.tmp_path, sources, self.allowed_private(), timeout=150,
                                   **{**SETTINGS, **settings})
        finally:
            del os.environ[SCRIPT_ENV]
        self.seconds[night] = time.monotonic() - started
        self.nights[night] = result
        return result

    def hits(self, server: HostileServer, prefix: str, night: int = 1) -> list[Hit]:
        """The hits on `server` during `night` whose path starts with `prefix`."""
        end = self.started.get(night + 1, float("inf"))
        return [hit for hit in server.hits if hit.path.startswith(prefix) and self.started[night] <= hit.at < end]

    # --- reading the archive ---------------------------------------------------------------------

    def rows(self, night: int, url: str) -> list[dict[str, Any]]:
        """The fetches rows of `url` written on `night` (run ids count the nights)."""
        return [row for row in self.nights[night].fetches() if row["url"] == url and row["run_id"] == night]

    def versions(self, url: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.nights[max(self.nights)].db_path) as db:
            db.row_factory = sqlite3.Row
            # an exact copy of another article's text stores it once: its text is read through version_texts
            rows = db.execute(
                "SELECT v.*, t.text AS stored_text FROM versions v JOIN articles a ON a.id = v.article_id "
                "JOIN version_texts t ON t.version_id = v.id "
                "WHERE a.url = ? OR a.canonical_url = ? ORDER BY v.version", [url, url])
            return [{**dict(row), "text": row["stored_text"]} for row in rows]

    def article_row(self, url: str) -> dict[str, Any] | None:
        with sqlite3.connect(self.nights[max(self.nights)].db_path) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM articles WHERE url = ? OR canonical_url = ?", [url, url]).fetchone()
            return dict(row) if row else None

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(self.nights[max(self.nights)].db_path) as db:
            return db.execute(query, params).fetchall()


def serve_town(town: HostileServer, endpoints: list[Endpoint], night: int) -> None:
    """The town's listings (at most 35 links each, under the link cap) and night `night`'s answers."""
    links = [f"/news/{e.path}" for e in endpoints if e.row != "C17"] + C17_LINKS
    pages = [links[start:start + 35] for start in range(0, len(links), 35)]
    for number, chunk in enumerate(pages, 1):
        path = "/news/" if number == 1 else f"/news/seite-{number}"
        more = [f"/news/seite-{number + 1}"] if number < len(pages) else []
        town.page(path, links=chunk + more)
    for e in endpoints:
        town.routes[f"/news/{e.path}"] = e.night2 if night == 2 and e.night2 is not None else e.answer


def serve_plain(server: HostileServer, count: int) -> None:
    server.page("/news/", links=[f"/news/a{n}" for n in range(1, count + 1)])
    for n in range(1, count + 1):
        server.article(f"/news/a{n}", title=f"{server.port} Meldung {n}")


def free_port() -> int:
    """A port nothing listens on: bound once, then closed (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (made with cryptography)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))  # expired as well as self-signed
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    pem = tmp_path / "tls.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    return context


@pytest.fixture(scope="session")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    tmp_path = tmp_path_factory.mktemp("hostile")
    with ExitStack() as stack:
        start = lambda server: stack.enter_context(server)
        site = start(HostileServer())
        secret, other = start(HostileServer("127.0.0.2").bound(site.port)), start(HostileServer())
        for server in (secret, other):
            server.routes["/secret"] = article("Geheim")
        servers = {name: start(HostileServer()) for name in ("slow", "busy", "relaunch", "flaky", "traps", "maps", "tls")}
        downtown = HostileServer().__enter__()  # stopped before night 2
        stack.callback(lambda: downtown.server.server_close())
        servers["tls"].server.socket = self_signed(tmp_path).wrap_socket(servers["tls"].server.socket, server_side=True)
        closed_port = free_port()
        endpoints = town_endpoints(site, secret, other, closed_port)
        yield Town(site, secret, other, downtown=downtown, closed_port=closed_port, endpoints=endpoints,
                   tmp_path=tmp_path, **servers)


@pytest.fixture(scope="session")
def night1(town: Town) -> CrawlResult:
    serve_town(town.site, town.endpoints, 1)
    for server, count in ((town.slow, 2), (town.busy, 3), (town.downtown, 2), (town.relaunch, 2), (town.flaky, 3),
                          (town.tls, 1)):
        serve_plain(server, count)
    town.slow.status("/news/a1", 503, times=1, headers={"Retry-After": "2"})
    town.busy.status("/news/", 429, times=1, headers={"Retry-After": "2"})
    for n in (1, 2):
        town.flaky.status(f"/news/a{n}", 500)
    serve_traps(town.traps)
    serve_maps(town.maps)
    return town.crawl(1)


@pytest.fixture(scope="session")
def night2(town: Town, night1: CrawlResult) -> CrawlResult:
    serve_town(town.site, town.endpoints, 2)
    town.downtown.server.shutdown()
    town.downtown.server.server_close()  # the whole site is down: every connection refused
    town.relaunch.routes.clear()  # a relaunch: every old URL, the listing too, answers 404
    return town.crawl(2, CRAWLER_GONE_AFTER_RUNS=1)
