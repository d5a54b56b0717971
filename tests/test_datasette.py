"""`partnerwatch serve`: Datasette on a crawled archive, with the shipped metadata and queries."""

from __future__ import annotations

import urllib.error
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from change_site import Site, article_page, crawl_site, serve
from conftest import run_crawl
from serve_process import get_json, start_serve

from crawler.replica import load_golden


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two crawls: article 2 is edited in between ('Partnerkommune' becomes 'Schwesterstadt'), 1 deleted."""
    tmp_path = tmp_path_factory.mktemp("datasette")
    site = Site()
    site.publish(3)
    server = serve(site)
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    site.pages["/news/2.html"] = article_page(2, edition=2).replace(b"Partnerkommune", b"Schwesterstadt")
    site.pages["/news/1.html"] = None
    crawl_site(site, tmp_path, db_path)
    server.shutdown()
    return db_path


@pytest.fixture(scope="module")
def datasette(archive: Path) -> Iterator[str]:
    process, base = start_serve(archive)
    yield base
    process.terminate()
    process.wait(10)


def test_canned_search_finds_current_text_only(datasette):
    hits = get_json(datasette, "/archive/search.json", q="Schwesterstadt", _shape="array")
    assert [hit["title"] for hit in hits] == ["Meldung 2"]
    assert "[Schwesterstadt]" in hits[0]["snippet"]
    old_words = get_json(datasette, "/archive/search.json", q="Partnerkommune", _shape="array")
    assert sorted(hit["title"] for hit in old_words) == ["Meldung 0", "Meldung 1"]


def test_table_search_over_versions_and_canned_queries_answer(datasette):
    versions = get_json(datasette, "/archive/versions.json", _search="Schwesterstadt", _shape="array")
    assert [(row["version"], row["change_kind"]) for row in versions] == [(2, "changed")]
    words = f"+{versions[0]['words_added']} / -{versions[0]['words_removed']}"
    assert get_json(datasette, "/archive/new_since_last_run.json", _shape="array") == []  # all new in run 1
    changed = get_json(datasette, "/archive/changed_since_last_run.json", _shape="array")
    assert [(row["title"], row["version"], row["words"]) for row in changed] == [("Meldung 2", 2, words)]
    missing = get_json(datasette, "/archive/missing_or_gone.json", _shape="array")
    assert [(row["title"], row["status"]) for row in missing] == [("Meldung 1", "missing")]  # one 404: no tombstone
    statuses = get_json(datasette, "/archive/article_status.json", _shape="array", _sort="canonical_url")
    assert [row["status"] for row in statuses] == ["live", "missing", "live"]


def test_metadata_describes_tables_and_columns(datasette):
    metadata = get_json(datasette, "/-/metadata.json")
    tables = metadata["databases"]["archive"]["tables"]
    for table in ("articles", "versions", "fetches", "runs", "sources"):
        assert tables[table]["description"]
    assert "<dt>gone_at</dt><dd>Tombstone" in tables["articles"]["description_html"]  # folded under the description
    assert set(metadata["databases"]["archive"]["queries"]) == {
        "new_since_last_run", "changed_since_last_run", "missing_or_gone", "stories_on_several_sites", "search",
        "sources_overview", "feed_new_or_changed", "feed_missing_or_gone"}


def test_public_mode_refuses_arbitrary_sql_but_keeps_canned_queries(archive):
    process, base = start_serve(archive, "--public")
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            get_json(base, "/archive.json", sql="select text from versions")
        assert refused.value.code == 403
        assert get_json(base, "/archive/search.json", q="Schwesterstadt", _shape="array") != []
    finally:
        process.terminate()
        process.wait(10)


def test_replica_archive_lists_each_golden_story_on_several_sites_with_its_origin(replica, tmp_path):
    db_path = tmp_path / "archive.db"
    for spider in ("skew", "lag21", "municipal"):
        run_crawl(spider, db_path, replica)
    origins = {}  # golden cluster -> (site, path) of its earliest member
    for article in sorted(load_golden("v1").primary_articles(), key=lambda a: a.published or "9999"):
        if article.cluster:
            origins.setdefault(article.cluster, (article.site, article.canonical_path))
    process, base = start_serve(db_path)
    try:
        stories = get_json(base, "/archive/stories_on_several_sites.json", _shape="array")
    finally:
        process.terminate()
        process.wait(10)
    found = {(row["origin_source"], urllib.parse.urlsplit(row["origin_url"]).path) for row in stories}
    sites = {"skew": "skew", "berlin": "berlin-treptow-koepenick"}
    assert {(sites[site], path) for site, path in origins.values()} == found
    assert all(row["sources"] > 1 for row in stories)
