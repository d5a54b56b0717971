"""`partnerwatch serve` on a demo-like archive (the replica crawled in state v1, then v2): the
front page's questions, the golden changes, word diffs, German search and the Atom feeds."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from conftest import crawl_all
from serve_process import get_json, start_serve

from crawler.replica import Replica, load_golden
from crawler.replica.catalog import REAL_ORIGINS
from storage.changes import word_diff
from storage.db import open_db


def get_text(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=20) as response:
        return response.read().decode("utf-8")


def key(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.netloc, parts.path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Replica]]:
    db_path = tmp_path_factory.mktemp("ui") / "archive.db"
    with Replica(state="v1", rate_limit=False) as replica:
        crawl_all(replica, db_path)
        replica.set_state("v2")
        crawl_all(replica, db_path)
        process, base = start_serve(db_path)
        try:
            yield base, db_path, replica
        finally:
            process.terminate()
            process.wait(10)


def golden_archived(served, kind: str) -> set[tuple[str, str]]:
    """(netloc, path) of the golden v2 changes of `kind` (new, removed) that the archive holds."""
    _, db_path, replica = served
    db = open_db(db_path)
    archived = {key(row[0]) for row in db.execute("SELECT canonical_url FROM articles")}
    db.close()
    articles = {(a.site, a.path): a for state in ("v1", "v2") for a in load_golden(state).articles}
    return {key(REAL_ORIGINS[site] + path) for site, path in load_golden("v2").changes[kind]
            if not articles[(site, path)].is_alias} & archived


@pytest.fixture(scope="module")
def golden_changed(served) -> dict[tuple[str, str], tuple[str, str]]:
    """(netloc, path) -> (v1 text, v2 text) of every golden changed article the crawl reached."""
    _, db_path, replica = served
    db = open_db(db_path)
    archived = {key(row[0]) for row in db.execute("SELECT canonical_url FROM articles")}
    db.close()
    v1 = {(a.site, a.path): a for a in load_golden("v1").articles}
    v2 = {(a.site, a.path): a for a in load_golden("v2").articles}
    changed = {}
    for site, path in load_golden("v2").changes["changed"]:
        if v2[(site, path)].is_alias:
            continue
        found = key(REAL_ORIGINS[site] + path)
        if found in archived:
            changed[found] = (v1[(site, path)].text, v2[(site, path)].text)
    assert changed, "the crawl reached no golden changed article"
    return changed


def test_front_page_leads_with_the_questions_users_ask(served):
    base = served[0]
    page = get_text(base, "/")
    questions = ["New since the last run", "Changed since the last run", "Missing or gone", "Stories on several sites",
                 "Search", "Per source - last run and articles"]
    positions = [page.find(question) for question in questions]
    assert -1 not in positions and positions == sorted(positions)
    assert positions[0] < page.find('<a href="/archive">archive</a></h2>')  # above the database listing


def test_changed_since_last_run_lists_every_golden_changed_article_with_word_counts(served, golden_changed):
    rows = get_json(served[0], "/archive/changed_since_last_run.json", _shape="array", _size="max")
    found = {key(row["canonical_url"]): row for row in rows}
    assert set(golden_changed) <= set(found)
    assert all(re.fullmatch(r"\+\d+ / -\d+|title/date", found[k]["words"]) for k in golden_changed)
    assert list(rows[0])[0] == "title"
    new = {key(row["canonical_url"]) for row in get_json(served[0], "/archive/new_since_last_run.json",
                                                          _shape="array", _size="max")}
    assert not new & set(golden_changed)  # changed is not new
    assert golden_archived(served, "new") and golden_archived(served, "new") <= new
    gone = get_json(served[0], "/archive/missing_or_gone.json", _shape="array", _size="max")
    assert golden_archived(served, "removed") and golden_archived(served, "removed") <= {
        key(row["canonical_url"]) for row in gone}
    assert {row["status"] for row in gone} <= {"missing", "gone"}


def test_article_page_marks_the_golden_inserted_words(served, golden_changed):
    base, db_path, _ = served
    db = open_db(db_path)
    ids = {key(url): article_id for article_id, url in db.execute("SELECT id, canonical_url FROM articles")}
    db.close()
    checked = 0
    for found, (old, new) in golden_changed.items():
        inserted = {word for op, words in word_diff(old, new) if op == "+" for word in words.split() if word != "¶"}
        if not inserted:
            continue  # a title-only change
        page = get_text(base, f"/-/article/archive/{ids[found]}")
        marked = {word for run in re.findall(r"<ins>(.*?)</ins>", page, re.S) for word in unescape(run).split()}
        assert inserted <= marked, (found, inserted - marked)
        checked += 1
    assert checked


def test_title_in_a_canned_query_links_to_the_article_page(served):
    page = get_text(served[0], "/archive/changed_since_last_run")
    assert re.search(r'<a href="/-/article/archive/\d+">', page)


def test_search_takes_german_input_literally_and_finds_compound_forms(served):
    base, db_path, _ = served
    hits = get_json(base, "/archive/search.json", q="Treptow-Köpenick", _shape="array")
    assert hits and all(hit["article_id"] for hit in hits)
    assert get_json(base, "/archive/versions.json", _search="Treptow-Köpenick", _shape="array")
    db = open_db(db_path)
    # articles whose current text has only longer forms (Klimapartnerschaften), never the word itself
    longer = {url for url, text in db.execute(
        "SELECT a.canonical_url, v.text FROM articles a JOIN versions v ON v.article_id = a.id "
        "AND v.version = a.current_version")
        if re.search(r"klimapartnerschaft\w", text, re.I) and not re.search(r"klimapartnerschaft\b", text, re.I)}
    db.close()
    assert longer
    found = {hit["canonical_url"] for hit in get_json(base, "/archive/search.json", q="Klimapartnerschaft",
                                                          _shape="array")}
    assert longer <= found
    for odd in ("", '"', "NEAR(", "*", "Köpenick:", "a OR"):  # syntax of FTS5, or nothing: no error
        assert isinstance(get_json(base, "/archive/search.json", q=odd, _shape="array"), list)
    assert "Search" in get_text(base, "/archive/search")  # the empty form


def test_atom_feeds_list_the_golden_changes_and_the_removed_articles(served, golden_changed):
    base, db_path, _ = served
    feed = get_text(base, "/archive/feed_new_or_changed.atom")
    assert feed.lstrip().startswith("<?xml") and "<feed" in feed
    links = {key(unescape(href)) for href in re.findall(r'<link href="([^"]+)"', feed)}
    assert set(golden_changed) <= links
    db = open_db(db_path)
    missing = {key(row[0]) for row in db.execute(
        "SELECT canonical_url FROM article_status WHERE status IN ('missing', 'gone')")}
    db.close()
    assert missing  # the golden removed articles answer 404 in v2
    gone_feed = get_text(base, "/archive/feed_missing_or_gone.atom")
    assert missing <= {key(unescape(href)) for href in re.findall(r'<link href="([^"]+)"', gone_feed)}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(url: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--window-size=1280,1600", *args, url],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI: apt-get install -y chromium)")
def test_a_browser_shows_questions_changes_and_diffs(served, golden_changed, tmp_path):
    base, db_path, _ = served
    index = chromium(base + "/", tmp_path, "--dump-dom")
    assert "Changed since the last run" in index and "Missing or gone" in index
    changed = chromium(base + "/archive/changed_since_last_run?_size=max", tmp_path, "--dump-dom")
    assert all(f"{netloc}{path}" in changed for netloc, path in golden_changed)
    db = open_db(db_path)
    ids = {key(url): article_id for article_id, url in db.execute("SELECT id, canonical_url FROM articles")}
    db.close()
    found, (old, new) = next((k, texts) for k, texts in golden_changed.items()
                             if any(op == "+" for op, _ in word_diff(*texts)))
    inserted = next(words for op, words in word_diff(old, new) if op == "+").replace("¶", "").split()[0]
    article = f"{base}/-/article/archive/{ids[found]}"
    dom = chromium(article, tmp_path, "--dump-dom")
    assert any(inserted in unescape(run) for run in re.findall(r"<ins>(.*?)</ins>", dom, re.S))
    for name, url in (("index", base + "/"), ("changed", base + "/archive/changed_since_last_run"), ("diff", article)):
        shot = tmp_path / f"{name}.png"
        chromium(url, tmp_path, f"--screenshot={shot}")
        assert shot.stat().st_size > 10_000


def test_reading_tables_hide_hash_and_raw_columns_unless_asked(served):
    base = served[0]
    with urllib.request.urlopen(base + "/archive/versions", timeout=20) as response:
        final, page = response.url, response.read().decode("utf-8")
    assert "_col=title" in final
    shown = re.findall(r'<th [^>]*data-column="([^"]+)"', page)
    assert shown[:2] == ["id", "title"] and "text_hash" not in shown and "text" not in shown
    assert 'data-column="text_hash"' in get_text(base, "/archive/versions?_col=text_hash")
    assert "<summary>Columns</summary>" in page  # the column descriptions, folded
    with urllib.request.urlopen(base + "/archive/articles", timeout=20) as response:
        shown = re.findall(r'<th [^>]*data-column="([^"]+)"', response.read().decode("utf-8"))
    assert "canonical_url" in shown and not {"text_hash", "body_hash", "etag"} & set(shown)


def test_default_facets_count_versions_by_kind_language_and_year(served):
    base, db_path, _ = served
    facets = get_json(base, "/archive/versions.json", _size="0")["facet_results"]
    assert {"change_kind", "language", "published_at"} <= set(facets)
    years = {row["value"]: row["count"] for row in facets["published_at"]["results"]}
    db = open_db(db_path)
    expected = dict(db.execute("SELECT substr(published_at, 1, 4), count(*) FROM versions "
                               "WHERE published_at GLOB '[0-9][0-9][0-9][0-9]*' GROUP BY 1").fetchall())
    db.close()
    assert years == expected and len(years) > 1
    picked = min(years)
    rows = get_json(base, "/archive/versions.json", published_at__startswith=picked, _shape="array", _size="max")
    assert len(rows) == years[picked]
    sources = get_json(base, "/archive/articles.json", _size="0")["facet_results"]["source"]["results"]
    assert len(sources) >= 3
