"""The export feed: one stable JSON line per article changed (or gone) since a cut-off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from change_site import Site, article_page, crawl_site, serve
from click.testing import CliRunner

from partnerwatch.cli import main

EXPORT_KEYS = ["format", "url", "canonical_url", "source", "title", "text", "published", "language", "version",
               "change_kind", "changed_at", "first_seen", "last_seen", "gone", "gone_at", "status", "missing_since",
               "cluster_id", "is_cluster_origin", "duplicate_of"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Site]:
    """Run 1 stores articles 0-3; run 2 edits 0, adds 4, and finds 3 deleted (gone after 1 run)."""
    tmp_path = tmp_path_factory.mktemp("export")
    site = Site()
    site.publish(4)
    server = serve(site)
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    site.pages["/news/0.html"] = article_page(0, edition=2)
    site.pages["/news/4.html"] = article_page(4)
    site.pages["/news/3.html"] = None
    site.listed = [0, 1, 2, 4]
    crawl_site(site, tmp_path, db_path, CRAWLER_GONE_AFTER_RUNS=1)
    server.shutdown()
    return db_path, site


def export(db_path: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["export", "--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_export_since_run_holds_new_changed_and_gone_articles_only(archive):
    db_path, site = archive
    lines = {line["url"].rsplit("/", 1)[1]: line for line in export(db_path, "--since", "2")}
    assert sorted(lines) == ["0.html", "3.html", "4.html"]
    assert (lines["0.html"]["change_kind"], lines["0.html"]["version"], lines["0.html"]["gone"]) == ("changed", 2, False)
    assert "Nachtrag 2" in lines["0.html"]["text"]
    assert (lines["4.html"]["change_kind"], lines["4.html"]["version"]) == ("new", 1)
    assert lines["3.html"]["gone"] is True and lines["3.html"]["gone_at"] is not None
    assert lines["3.html"]["status"] == "gone" and lines["3.html"]["missing_since"] <= lines["3.html"]["gone_at"]
    assert [lines[name]["status"] for name in ("0.html", "4.html")] == ["live", "live"]
    assert lines["3.html"]["change_kind"] == "new"  # a tombstone keeps the last text for the index


def test_export_line_has_the_documented_fields_in_order(archive):
    db_path, site = archive
    line = export(db_path, "--since", "2")[0]
    assert list(line) == EXPORT_KEYS
    assert line["format"] == 2
    assert line["source"] == "town" and line["language"] == "de"
    assert line["title"].startswith("Meldung")
    assert line["first_seen"] <= line["last_seen"]


def test_export_cutoffs_by_date_and_run(archive):
    db_path, _ = archive
    assert len(export(db_path)) == 5
    assert len(export(db_path, "--since", "1")) == 5
    assert export(db_path, "--since", "2999-01-01") == []
    assert len(export(db_path, "--since", "2000-01-01T00:00:00")) == 5
    result = CliRunner().invoke(main, ["export", "--db", str(db_path), "--since", "99"])
    assert result.exit_code != 0 and "no run 99" in result.output
