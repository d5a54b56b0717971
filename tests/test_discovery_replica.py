"""Discovery against the offline replica: every golden article found, nothing forbidden fetched.

One crawl per spider (skew, lag21, municipal) into one archive, against a replica of this
module's own so its hit log holds only these crawls.
"""

from __future__ import annotations

import sqlite3
import tomllib
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from conftest import run_crawl
from hostile_server import write_sources

from crawler.replica import Replica, load_golden
from crawler.replica.catalog import REAL_ORIGINS
from spiders.sources import BUNDLED_SOURCES

PRIMARY_SITES = ("skew", "eg", "lag21", "berlin", "linke", "wolfsburg")
ALIAS_OF = {"lag21-mirror": "lag21", "wolfsburg-redaktion": "wolfsburg"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Iterator[tuple[Replica, sqlite3.Connection]]:
    db_path = tmp_path_factory.mktemp("discovery") / "archive.db"
    with Replica(state="v1", rate_limit=False) as replica:
        for spider in ("skew", "lag21", "municipal"):
            run_crawl(spider, db_path, replica)
        with sqlite3.connect(db_path) as db:
            db.row_factory = sqlite3.Row
            yield replica, db


def requested(replica: Replica, site: str) -> set[str]:
    return {unquote(hit.path) for hit in replica.hits if hit.site == site and hit.status != 429}


@pytest.mark.parametrize("site", PRIMARY_SITES)
def test_every_golden_article_of_the_site_is_fetched(crawled, site):
    replica, _ = crawled
    golden = {unquote(a.path) for a in load_golden("v1").primary_articles() if a.site == site}
    assert golden, site
    missing = golden - requested(replica, site)
    assert not missing, f"recall {1 - len(missing) / len(golden):.2f}: {sorted(missing)}"


def test_nothing_golden_lists_as_forbidden_is_fetched(crawled):
    replica, _ = crawled
    forbidden = {(site, unquote(path)) for site, path in load_golden("v1").forbidden}
    fetched = {(hit.site, unquote(hit.path)) for hit in replica.hits}
    assert forbidden, "golden lists forbidden URLs"
    assert not forbidden & fetched


def test_mirror_copies_are_archived_under_the_primary_url(crawled):
    replica, db = crawled
    mirror_origins = {REAL_ORIGINS[alias] for alias in ALIAS_OF}
    canonical = [row[0] for row in db.execute("SELECT canonical_url FROM articles")]
    assert canonical and not [url for url in canonical if any(url.startswith(o) for o in mirror_origins)]
    # filed under the real sites' URLs, never under the replica's ports
    assert not [url for url in canonical if any(url.startswith(o) for o in replica.urls.values())]
    # each golden article is one row, however many hosts and links lead to it
    golden = load_golden("v1").primary_articles()
    lag21 = [url for url in canonical if url.startswith(REAL_ORIGINS["lag21"] + "/aktuelles/details/")]
    assert len(lag21) == len(set(lag21)) == len([a for a in golden if a.site == "lag21"])


def test_berlin_is_discovered_through_its_feed(crawled, tmp_path):
    replica, _ = crawled
    berlin = [hit.path for hit in replica.hits if hit.site == "berlin"]
    feed = "/ba-treptow-koepenick/aktuelles/pressemitteilungen/index.php/rss"
    assert feed in berlin and berlin.index(feed) < berlin.index("/ba-treptow-koepenick/aktuelles/pressemitteilungen/")
    # with listings only as a fallback, the feed alone finds every article it lists
    with open(BUNDLED_SOURCES, "rb") as f:
        entry = tomllib.load(f)["berlin-treptow-koepenick"]
    sources = write_sources(tmp_path, {"berlin-treptow-koepenick": {**entry, "listing_fallback": True}})
    before = len(replica.hits)
    run_crawl("municipal", tmp_path / "feed-only.db", replica,
              args={"sources": str(sources), "source": "berlin-treptow-koepenick"})
    fetched = {unquote(hit.path) for hit in replica.hits[before:] if hit.site == "berlin"}
    in_feed = {a.path for a in load_golden("v1").primary_articles() if a.site == "berlin" and "feed" in a.discoverable_from}
    assert in_feed and in_feed <= fetched
    assert not [path for path in fetched if path.endswith("/pressemitteilungen/") or "page_at" in path]


def test_every_spider_identifies_itself_and_reads_robots_txt_first(crawled):
    replica, _ = crawled
    for site in PRIMARY_SITES:
        hits = [hit for hit in replica.hits if hit.site == site]
        assert hits[0].path == "/robots.txt", site
        assert all("partnerwatch/" in hit.request_headers.get("User-Agent", "") for hit in hits)
