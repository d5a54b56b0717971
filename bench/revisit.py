"""Simulate sixty nights of one large source: requests per night and how late each change is found,
`revisit = "nightly"` against `revisit = "adaptive"` (issue 14).

    .venv/bin/python bench/revisit.py                               # 1,000 articles, 60 nights (~15 min)
    .venv/bin/python bench/revisit.py --articles 5000 --nights 60   # the issue's size (about an hour)
    .venv/bin/python bench/revisit.py --articles 200 --nights 12    # a smoke run, ~2 minutes

The site is real, on 127.0.0.1, served from this process; the clock is injected: the crawl of
night N runs with PARTNERWATCH_CLOCK_SHIFT_DAYS=N, so the archive's times and the policy's
"tonight" are those of night N. Like a Contao or TYPO3 site, it sends no ETag or Last-Modified:
every article asked is a full 200.

The source (seeded): 90 % of the articles were published long before, and the archive first
crawled them 90 days before night 0 (so they are old when the nights begin); 10 % appear during
the nights (recent). 75 % never change, 20 % change once, 5 % every 3–10 nights. Listings
(`/news/?page=N`, 25 a page, newest first) link every article; a sitemap lists 30 % of them with
`lastmod` = their last edit.

Per policy (each its own archive, crawled every night): article requests per night (night 0, when
every article is a week overdue, apart), and for every edit the nights until a new version holds
it: median, 95th percentile and maximum, overall, for recent articles and for edits a sitemap
signalled. An edit not found by the last night is missed if it is older than max_interval_days.
Goals: the maximum <= max_interval_days, 0 for recent articles and sitemap-signalled edits,
no change missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from proctree import conditions

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env

PER_PAGE = 25
HEAD_START = 90  # days between the archive's first crawl and night 0
MAX_INTERVAL = 7
RECENT_DAYS = 60
WORDS = ("Partnerschaft Wasser Schule Klima Solar Rathaus Verein Jugend Austausch Projekt Brunnen Energie Bildung "
         "Gesundheit Markt Abfall Radweg Garten Bibliothek Feuerwehr Musik Sport Hafen Wald Museum Kinder Handwerk "
         "Landwirtschaft Verwaltung Digitalisierung Mobilität Kultur Theater Delegation Besuch Vertrag").split()


@dataclass
class Article:
    number: int
    published: int  # night it appears (negative: before the archive's first crawl)
    edits: list[int] = field(default_factory=list)  # nights on which its text changes
    in_sitemap: bool = False

    def version(self, night: int) -> int:
        return sum(1 for edit in self.edits if edit <= night)

    def last_change(self, night: int) -> int:
        return max([self.published, *(e for e in self.edits if e <= night)])


def make_source(count: int, nights: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        new = rng.random() < 0.10
        article = Article(number, rng.randrange(1, nights) if new else -HEAD_START - rng.randrange(1, 400))
        kind = rng.random()
        first = max(article.published + 1, 1)
        if kind < 0.20 and first < nights:
            article.edits = [rng.randrange(first, nights)]
        elif kind < 0.25 and first < nights:
            step = rng.randrange(3, 11)
            article.edits = list(range(rng.randrange(first, first + step), nights, step))
        article.in_sitemap = rng.random() < 0.30
        articles.append(article)
    return articles


def page_text(article: Article, version: int) -> str:
    rng = random.Random(article.number * 1000 + version)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)) + f" {article.number}-{version}-{i}." for i in range(10)]
    return f"<p>{' '.join(sentences[:5])}</p><p>{' '.join(sentences[5:])}</p>"


class Site:
    """The source as it is on `night`: listings, sitemap and article pages; counts article requests."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.night = -HEAD_START
        self.article_requests = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def visible(self) -> list[Article]:
        return sorted((a for a in self.articles if a.published <= self.night),
                      key=lambda a: (-a.last_change(self.night), a.number))

    def day(self, night: int) -> str:
        return (BASE + timedelta(days=night)).isoformat()

    def answer(self, path: str) -> tuple[int, str, str]:
        parts = urlsplit(path)
        if parts.path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nAllow: /\n"
        if parts.path == "/news/":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            shown = self.visible()
            chunk = shown[(page - 1) * PER_PAGE: page * PER_PAGE]
            links = "".join(f'<li><a href="/news/{a.number}.html">Meldung {a.number}</a></li>' for a in chunk)
            more = f'<a rel="next" href="/news/?page={page + 1}">weiter</a>' if page * PER_PAGE < len(shown) else ""
            return 200, "text/html; charset=utf-8", f"<html><body><h1>Aktuelles</h1><ul>{links}</ul>{more}</body></html>"
        if parts.path == "/sitemap.xml":
            entries = "".join(f"<url><loc>{self.origin}/news/{a.number}.html</loc>"
                              f"<lastmod>{self.day(a.last_change(self.night))}</lastmod></url>"
                              for a in self.visible() if a.in_sitemap)
            return 200, "application/xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        if parts.path.startswith("/news/") and parts.path.endswith(".html"):
            number = int(parts.path.removeprefix("/news/").removesuffix(".html"))
            article = self.articles[number]
            if article.published > self.night:
                return 404, "text/html", "<html><body>Nicht gefunden</body></html>"
            with self.lock:
                self.article_requests += 1
            title = f"Meldung {number}"
            published = self.day(article.published)
            return 200, "text/html; charset=utf-8", (
                f"<html lang='de'><head><title>{title}</title></head><body><nav>Start Aktuelles</nav><article>"
                f"<h1>{title}</h1><time datetime='{published}'>{published}</time>"
                f"{page_text(article, article.version(self.night))}</article></body></html>")
        return 404, "text/html", "<html><body>Nicht gefunden</body></html>"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, kind, text = site.answer(self.path)
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


BASE = datetime.now(UTC).date()  # night 0, on the archive's clock


def crawl(site: Site, work: Path, policy: str, night: int) -> int:
    """One night's crawl into this policy's archive; the article requests it made."""
    sources = work / f"sources-{policy}.toml"
    sources.write_text(
        f'[bench-{policy}]\nspider = "municipal"\nstart_urls = ["{site.origin}/news/"]\n'
        f'sitemaps = ["{site.origin}/sitemap.xml"]\nlisting_patterns = [\'^/news/(\\?page=\\d+)?$\']\n'
        f"article_patterns = ['^/news/\\d+\\.html$']\npage_budget = 100000\nrevisit = \"{policy}\"\n"
        f"recent_days = {RECENT_DAYS}\nmax_interval_days = {MAX_INTERVAL}\n", "utf-8")
    command = crawl_command("municipal", {"sources": str(sources)}, CRAWLER_STORAGE_PATH=work / f"{policy}.db",
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE=[site.origin.removeprefix("http://")],
                            DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, CRAWLER_SOURCE_DELAYS_ENABLED=False,
                            CONCURRENT_REQUESTS_PER_DOMAIN=16, CRAWLER_EXTRACT_WORKERS=0, LOG_LEVEL="WARNING",
                            CRAWLER_DISCOVERY_MAX_LINKS=100000, CRAWLER_DISCOVERY_DEPTH_LIMIT=100000)
    env = {**crawl_env(), "PARTNERWATCH_CLOCK_SHIFT_DAYS": str(night)}
    site.article_requests = 0
    result = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"night {night} {policy} crawl failed:\n{result.stderr[-3000:]}")
    return site.article_requests


def version_nights(db_path: Path) -> dict[int, list[int]]:
    """Article number -> nights on which a new version was stored."""
    found: dict[int, list[int]] = {}
    with sqlite3.connect(db_path) as db:
        for url, fetched in db.execute("SELECT a.canonical_url, v.fetched_at FROM versions v "
                                       "JOIN articles a ON a.id = v.article_id ORDER BY v.fetched_at"):
            number = int(url.rsplit("/", 1)[1].removesuffix(".html"))
            found.setdefault(number, []).append((date.fromisoformat(fetched[:10]) - BASE).days)
    return found


def delays(articles: list[Article], found: dict[int, list[int]], nights: int) -> tuple[dict[str, list[int]], int, int]:
    """Nights until each edit was stored, by kind (all, recent, sitemap); missed and pending edits."""
    out: dict[str, list[int]] = {"all": [], "recent": [], "sitemap": []}
    missed = pending = 0
    for article in articles:
        for edit in article.edits:
            caught = [n for n in found.get(article.number, []) if n >= edit]
            if not caught:
                if edit <= nights - 1 - MAX_INTERVAL:
                    missed += 1
                else:
                    pending += 1
                continue
            delay = caught[0] - edit
            out["all"].append(delay)
            # recent as the archive knows it: first stored or last changed within recent_days
            stored_before = [n for n in found.get(article.number, []) if n < edit]
            if stored_before and edit - stored_before[-1] < RECENT_DAYS:
                out["recent"].append(delay)
            if article.in_sitemap:
                out["sitemap"].append(delay)
    return out, missed, pending


def describe(values: list[int]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):g}, p95 {p95}, max {ordered[-1]} (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print(conditions(PROJECT_ROOT), flush=True)
    articles = make_source(options.articles, options.nights, options.seed)
    edits = sum(len(a.edits) for a in articles)
    print(f"{options.articles} articles ({sum(a.published >= 0 for a in articles)} appear during the nights), "
          f"{edits} edits over {options.nights} nights; recent_days {RECENT_DAYS}, max_interval_days {MAX_INTERVAL}",
          flush=True)
    site = Site(articles)
    requests: dict[str, list[int]] = {"nightly": [], "adaptive": []}
    with tempfile.TemporaryDirectory(prefix="partnerwatch-revisit-") as scratch:
        work = Path(scratch)
        for night in [-HEAD_START, *range(options.nights)]:
            site.night = night
            for policy in requests:
                asked = crawl(site, work, policy, night)
                if night >= 0:
                    requests[policy].append(asked)
            if night >= 0:
                print(f"night {night:3d}: article requests nightly {requests['nightly'][-1]:5d}, "
                      f"adaptive {requests['adaptive'][-1]:5d}", flush=True)
        results = {policy: delays(articles, version_nights(work / f"{policy}.db"), options.nights) for policy in requests}
    site.server.shutdown()
    print()
    for policy, asked in requests.items():
        later = asked[1:] or asked
        found, missed, pending = results[policy]
        print(f"{policy:8s} requests per night: night 0 {asked[0]}, then median {statistics.median(later):g} "
              f"(min {min(later)}, max {max(later)}), {sum(asked)} in all")
        print(f"{policy:8s} nights until a change is stored: all {describe(found['all'])}; recent articles "
              f"{describe(found['recent'])}; sitemap-signalled {describe(found['sitemap'])}; missed {missed}, "
              f"pending at the end {pending}")
    adaptive, _, _ = results["adaptive"]
    met = (max(adaptive["all"], default=0) <= MAX_INTERVAL and max(adaptive["recent"], default=0) == 0
           and max(adaptive["sitemap"], default=0) == 0 and results["adaptive"][1] == 0)
    ratio = sum(requests["adaptive"][1:]) / max(1, sum(requests["nightly"][1:]))
    print(f"adaptive asks {ratio:.2f}x the nightly requests after night 0; goals (max delay <= {MAX_INTERVAL}, "
          f"0 for recent and sitemap-signalled changes, none missed): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
