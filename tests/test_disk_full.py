"""A full archive disk stops the crawl early, fails the run with the reason, and counts only what
was committed. The disk is made full with CRAWLER_STORAGE_MAX_MB, which caps the archive as a
full file system would (SQLite's SQLITE_FULL), on a real crawl of a server on 127.0.0.1."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from hostile_server import HostileServer, Reply, write_sources

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")
ARTICLES = 400
WORDS = ("Partnerschaft Klimaschutz Stadtrat Delegation Solaranlage Schule Wasserversorgung Radweg "
         "Bürgermeisterin Projekt Austausch Fachkräfte Workshop Förderung Kommune Afrika Lateinamerika "
         "Nachhaltigkeit Energie Abfall Bildung Jugend Verwaltung Haushalt Beschluss Vertrag Besuch").split()


def article_page(number: int, rng: random.Random) -> bytes:
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + f" Meldung {number}-{p}.</p>" for p in range(6))
    return (f"<html lang='de'><head><title>Meldung {number}</title></head><body><article><h1>Meldung {number}</h1>"
            f"<p>Musterstadt, 3. Dezember 2026.</p>{paragraphs}</article></body></html>").encode()


def test_a_full_disk_stops_the_crawl_fails_the_run_and_counts_only_committed_rows(tmp_path):
    rng = random.Random(7)
    with HostileServer() as site:
        links = [f"/news/a{n}" for n in range(ARTICLES)]
        site.page("/news/", links=links)
        for n, link in enumerate(links):
            site.routes[link] = Reply(200, article_page(n, rng), {"Content-Type": "text/html; charset=utf-8"})
        sources = write_sources(tmp_path, {"town": {
            "start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
            "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/a\\d+$"], "page_budget": 1000}})
        result = subprocess.run(
            [str(PARTNERWATCH), "crawl", "--db", str(tmp_path / "archive.db"), "--sources", str(sources),
             "-s", f"CRAWLER_NETGUARD_ALLOWED_PRIVATE={site.netloc}", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
             "-s", "CRAWLER_EXTRACT_WORKERS=0", "-s", "CRAWLER_STORAGE_MAX_MB=1.5"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
        fetched = len([hit for hit in site.hits if hit.path.startswith("/news/a")])
    assert result.returncode == 1, result.stderr[-3000:]
    assert fetched < ARTICLES * 3 // 4  # it stopped instead of fetching on
    report = json.loads((tmp_path / "reports" / "archive-run-1.json").read_text("utf-8"))
    assert report["outcome"] == "failed"
    assert any("disk full" in why for why in report["failures"]), report["failures"]
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = db.execute("SELECT count(*) FROM versions").fetchone()[0]
    assert 0 < stored < fetched
    # the report and the crawl's own counters say what the archive holds, not what was attempted
    assert report["sources"]["town"]["counts"].get("new", 0) == stored
    log = (tmp_path / "reports" / "archive-run-1.log").read_text("utf-8")
    counted = re.search(r"'crawler/storage/version_new': (\d+)", log)
    assert counted is not None and int(counted.group(1)) == stored
    assert log.count("database or disk is full") <= 2, [l for l in log.splitlines() if "disk is full" in l][:6]
