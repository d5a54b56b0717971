"""The command line has no surprises: user errors are one line and exit 2, never a traceback;
reading commands never create an archive; a failed crawl says why; reports per archive.

Every command runs as a real process (`partnerwatch`, `scrapy crawl`) on real files; archives are
crawled from the town site on 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from townsite import FAST, TownSite, source_entry

from crawler.replica import REAL_ORIGINS, Replica, absolute_url, load_golden
from crawler.runner import PROJECT_ROOT
from storage.db import open_db

BIN = Path(sys.executable).parent
READERS = (["status"], ["changes"], ["diff", "1"], ["export"], ["serve", "--port", "1"], ["summary"], ["reextract"])


def run(*args: str, cwd: Path, program: str = "partnerwatch", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / program), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def assert_user_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, no traceback, and the last stderr line is the message naming `words`."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert all(word in message for word in words), message


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TownSite]]:
    """An archive of two crawls of the town site (the second edits one article), and its folder."""
    folder = tmp_path_factory.mktemp("cli")
    site = TownSite(folder / "site")
    site.publish("eins", "zwei", "drei")
    (folder / "sources.toml").write_text(source_entry("town", "municipal", f"{site.url}/news/"), "utf-8")
    for _ in range(2):
        result = run("crawl", "--db", "archive.db", "--sources", "sources.toml", *FAST, cwd=folder)
        assert result.returncode == 0, result.stderr[-3000:]
        site.publish("eins", "zwei", "drei", extra="Die Stadtverordneten stimmten einstimmig zu.")
    yield folder, site
    site.close()


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_reading_commands_refuse_a_missing_archive_and_create_none(tmp_path, command):
    result = run(*command, "--db", "TYPO.db", cwd=tmp_path)
    assert_user_error(result, "no archive at TYPO.db")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"not a database at all\n" * 40, b"SQLite format 3\x00" + b"\xff" * 4000],
                         ids=["text", "damaged-header"])
def test_reading_commands_refuse_a_file_that_is_no_archive(tmp_path, content):
    (tmp_path / "notes.db").write_bytes(content)
    for command in (["changes"], ["export"], ["status"]):
        assert_user_error(run(*command, "--db", "notes.db", cwd=tmp_path), "notes.db", "not a readable archive")
    assert (tmp_path / "notes.db").read_bytes() == content


@pytest.mark.parametrize(("text", "where"), [
    ('[town]\nspider = "municipal"\nstart_urls = ["http://x/" \n', ("line 4", "column 1")),  # never closed
    ('[town]\nspider = "municipal"\n\n[stadt]\nspider = municipal\n', ("line 5", "column 10")),  # bare word
], ids=["unclosed", "bare-value"])
def test_toml_syntax_error_in_the_sources_file_names_file_line_and_column(tmp_path, text, where):
    (tmp_path / "mine.toml").write_text(text, "utf-8")
    open_db(tmp_path / "old.db").close()  # an archive for `status`
    for result in (run("crawl", "--db", "a.db", "--sources", "mine.toml", cwd=tmp_path),
                   run("status", "--db", "old.db", "--sources", "mine.toml", cwd=tmp_path),
                   run("schedule", "--db", "a.db", "--sources", "mine.toml", cwd=tmp_path, timeout=60),
                   run("crawl", "municipal", "-a", f"sources={tmp_path / 'mine.toml'}", cwd=PROJECT_ROOT,
                       program="scrapy")):
        assert_user_error(result, "mine.toml", *where)
    assert not (tmp_path / "a.db").exists()
    assert not list(tmp_path.glob("*.lock"))


def test_scrapy_crawl_with_an_unknown_source_is_one_line_and_exit_2(tmp_path):
    result = run("crawl", "municipal", "-a", "source=nosuch", "-s", f"CRAWLER_STORAGE_PATH={tmp_path / 'x.db'}",
                 cwd=PROJECT_ROOT, program="scrapy")
    assert_user_error(result, "nosuch")
    assert not (tmp_path / "x.db").exists()


def test_demo_with_an_unknown_replica_state_is_a_usage_error(tmp_path):
    assert_user_error(run("demo", "--db", "d.db", "--state", "v3", cwd=tmp_path), "v3", "v1")
    assert not (tmp_path / "d.db").exists()


def test_changes_for_an_unknown_source_is_an_error_naming_the_known_ones(crawled):
    folder, _ = crawled
    assert_user_error(run("changes", "--source", "nosuch", cwd=folder), "nosuch", "town")
    assert run("changes", "--source", "town", cwd=folder).returncode == 0


def test_diff_takes_an_article_id_as_well_as_its_url(crawled):
    folder, site = crawled
    by_url = run("diff", f"{site.url}/news/zwei.html", cwd=folder)
    assert by_url.returncode == 0, by_url.stderr
    assert "{+Die Stadtverordneten stimmten einstimmig zu.+}" in by_url.stdout
    db = sqlite3.connect(folder / "archive.db")
    article_id = db.execute("SELECT id FROM articles WHERE canonical_url = ?", [f"{site.url}/news/zwei.html"]).fetchone()[0]
    db.close()
    assert run("diff", str(article_id), cwd=folder).stdout == by_url.stdout
    assert_user_error(run("diff", "99999", cwd=folder), "no article 99999")


def test_export_as_csv_has_the_jsonl_fields_and_rows(crawled):
    folder, _ = crawled
    lines = [json.loads(line) for line in run("export", cwd=folder).stdout.splitlines()]
    result = run("export", "--format", "csv", "-o", "out.csv", cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO((folder / "out.csv").read_text("utf-8"), newline="")))
    assert len(rows) == len(lines) == 3
    assert list(rows[0]) == list(lines[0])
    assert [row["text"] for row in rows] == [line["text"] for line in lines]  # newlines survive


def test_export_to_a_full_disk_is_one_line_and_exit_2(crawled):
    folder, _ = crawled
    for fmt in ("jsonl", "csv"):
        assert_user_error(run("export", "--format", fmt, "-o", "/dev/full", cwd=folder),
                          "/dev/full", "No space left on device")


def test_failed_crawl_exits_1_with_its_reason_and_reports_are_named_after_their_archive(tmp_path):
    site = TownSite(tmp_path / "site")
    try:
        (tmp_path / "sources.toml").write_text(source_entry("down", "municipal", f"{site.url}/down/"), "utf-8")
        for name in ("first", "second"):
            result = run("crawl", "--db", f"{name}.db", "--sources", "sources.toml", *FAST, cwd=tmp_path)
            assert result.returncode == 1, result.stderr[-2000:]
            assert "Traceback" not in result.stderr
            assert "! down: every request failed" in result.stderr
    finally:
        site.close()
    reports = sorted(path.name for path in (tmp_path / "reports").glob("*.json"))
    assert reports == ["first-run-1.json", "second-run-1.json"]
    assert not list(tmp_path.glob("*.lock")), "a failed crawl left its lock file behind"
    assert json.loads((tmp_path / "reports" / "second-run-1.json").read_text("utf-8"))["outcome"] == "failed"


def test_every_command_takes_dash_h_and_the_program_tells_its_version(tmp_path):
    version = run("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("partnerwatch, version ")
    for args in (["-h"], ["changes", "-h"], ["crawl", "-h"], ["export", "-h"]):
        shown = run(*args, cwd=tmp_path)
        assert shown.returncode == 0 and shown.stdout.startswith("Usage: partnerwatch"), args


def test_crawl_of_an_unknown_source_is_a_usage_error_and_leaves_no_lock_file(tmp_path):
    result = run("crawl", "--db", "a.db", "nosuch", cwd=tmp_path)
    assert_user_error(result, "nosuch")
    assert not list(tmp_path.glob("*.lock"))


def test_crawl_of_a_served_replica_takes_one_flag_and_files_articles_under_the_real_urls(tmp_path):
    """`partnerwatch crawl --replica URL`: no hand-written origin map, no net-guard setting."""
    golden = {absolute_url(REAL_ORIGINS, a.canonical_site, a.canonical_path)
              for a in load_golden("v1").primary_articles() if a.site == "linke"}
    with Replica(state="v1") as replica:
        result = run("crawl", "linke-treptow-koepenick", "--db", "a.db", "--replica", replica.urls["wolfsburg"],
                     "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(tmp_path / "a.db") as db:
        stored = {url for (url,) in db.execute("SELECT canonical_url FROM articles")}
    assert stored == golden


def test_crawl_of_a_replica_that_does_not_answer_is_a_user_error(tmp_path):
    with Replica(state="v1") as replica:
        port = int(replica.urls["skew"].rsplit(":", 1)[1])
    # the replica is closed now: nothing listens on its port
    result = run("crawl", "--db", "a.db", "--replica", f"http://127.0.0.1:{port}/", cwd=tmp_path)
    assert_user_error(result, "no replica answers", str(port))
    assert list(tmp_path.iterdir()) == []


def test_crawl_of_a_replica_without_sources_named_plans_exactly_the_sources_it_serves():
    from partnerwatch.cli import _sources_covered
    from schedules.job import JobConfig

    with Replica(state="v1") as replica:
        origin_map = replica.origin_map()
    config = JobConfig(db_path=Path("unused.db"), sources_path=None)
    covered = set(_sources_covered(config, origin_map))
    assert covered == {"skew", "engagement-global", "lag21", "berlin-treptow-koepenick",
                       "linke-treptow-koepenick", "wolfsburg"}


def test_the_demo_says_every_few_seconds_how_far_its_crawl_processes_got_and_names_the_failed(tmp_path, capsys):
    """`partnerwatch demo` waits for its crawl processes this way (a whole demo takes ~40 s:
    berlin's own delay); here real processes stand in for the crawls, the archive is real."""
    from partnerwatch.cli import _wait_with_progress

    open_db(tmp_path / "d.db").close()
    crawls = {"skew": subprocess.Popen(["sleep", "3.5"]), "lag21": subprocess.Popen(["sh", "-c", "exit 3"])}
    failed = _wait_with_progress(crawls, str(tmp_path / "d.db"), 1, every=1.0)
    lines = capsys.readouterr().out.splitlines()
    progress = [line for line in lines if line.strip().startswith("…") and "pages fetched" in line]
    assert len(progress) >= 2, lines
    assert lines[-1].startswith("crawled in ") and lines[-1].endswith(": 0 pages fetched")
    assert failed == ["lag21"]
