"""`partnerwatch crawl` and run reports: real crawl processes against a town site on 127.0.0.1.

The failures are real ones: a listing with a malformed link (`http://[oops/`) makes the
spider's listing callback raise ValueError; a server that answers 500 to everything; a site
whose listing lost every article link; an invalid sources entry; an archive path that
cannot be opened. The run must fail in each case, and the other sources must still be crawled.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from townsite import FAST, SLOW_SECONDS, TownSite, source_entry

from schedules.job import Crawl, plan_crawls
from storage.lock import ArchiveLock, lock_path_for
from spiders.sources import load_sources

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[TownSite]:
    served = TownSite(tmp_path / "site")
    served.publish("eins", "zwei")
    yield served
    served.close()


def crawl(tmp_path: Path, sources: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    (tmp_path / "sources.toml").write_text(sources, "utf-8")
    command = [str(PARTNERWATCH), "crawl", "--db", str(tmp_path / "archive.db"),
               "--sources", str(tmp_path / "sources.toml"), *FAST, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)


def report(tmp_path: Path, run_id: int) -> dict:
    return json.loads((tmp_path / "reports" / f"archive-run-{run_id}.json").read_text("utf-8"))


def test_spider_exception_fails_run_with_nonzero_exit_and_other_sources_still_crawled(tmp_path, site):
    site.write_listing("broken", ["http://[oops/"])
    sources = (source_entry("broken", "skew", f"{site.url}/broken/")
               + source_entry("down", "lag21", f"{site.url}/down/")
               + source_entry("town", "municipal", f"{site.url}/news/"))
    result = crawl(tmp_path, sources)
    assert result.returncode == 1, result.stderr
    run = report(tmp_path, 1)
    assert run["outcome"] == "failed"
    broken, down, town = (run["sources"][name] for name in ("broken", "down", "town"))
    assert broken["outcome"] == "failed" and broken["exceptions"] == {"callback/ValueError": 1}
    assert broken["finish_reason"] == "finished"  # what Scrapy alone would have called a success
    assert down["outcome"] == "failed" and down["failures"] == ["every request failed (1 requests)"]
    assert (town["outcome"], town["counts"]) == ("ok", {"new": 2})
    assert any("broken: 1 exception(s) raised" in why for why in run["failures"])
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT outcome FROM runs").fetchall() == [("failed",)]


def test_source_that_had_articles_and_yields_none_fails_the_run(tmp_path, site):
    sources = source_entry("town", "municipal", f"{site.url}/news/")
    assert crawl(tmp_path, sources).returncode == 0
    site.write_listing("news", [])  # a redesign: the listing no longer links any article
    result = crawl(tmp_path, sources)
    assert result.returncode == 1
    second = report(tmp_path, 2)
    assert second["sources"]["town"]["failures"] == ["the source had articles but this run found none"]


def test_unchanged_second_run_is_ok_and_counts_come_from_fetches(tmp_path, site):
    sources = source_entry("town", "municipal", f"{site.url}/news/")
    crawl(tmp_path, sources)
    site.publish("eins", "zwei", extra="Nachtrag: Der Termin wurde verschoben.")
    assert crawl(tmp_path, sources).returncode == 0
    db = sqlite3.connect(tmp_path / "archive.db")
    by_view = db.execute("SELECT run_id, outcome, sum(fetches) FROM run_source_counts "
                         "GROUP BY run_id, outcome ORDER BY run_id").fetchall()
    assert by_view == [(1, "new", 2), (2, "changed", 2)]
    assert db.execute("SELECT id, pages_fetched, articles_new, articles_changed, outcome FROM runs").fetchall() == [
        (1, 2, 2, 0, "ok"), (2, 2, 0, 2, "ok")]


def test_invalid_sources_entry_fails_the_run_but_valid_sources_are_crawled(tmp_path, site):
    sources = source_entry("town", "municipal", f"{site.url}/news/") + '[typo]\nspider = "municipal"\n'
    result = crawl(tmp_path, sources)
    assert result.returncode == 1
    run = report(tmp_path, 1)
    assert run["sources"]["town"]["outcome"] == "ok"
    assert any("'typo'" in why and "start_urls" in why for why in run["failures"])


def test_archive_that_cannot_be_opened_fails_the_crawl(tmp_path, site):
    (tmp_path / "sources.toml").write_text(source_entry("town", "municipal", f"{site.url}/news/"), "utf-8")
    result = subprocess.run([str(PARTNERWATCH), "crawl", "--db", str(tmp_path / "missing" / "archive.db"),
                             "--sources", str(tmp_path / "sources.toml"), *FAST],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "archive" in result.stderr and "cannot be written" in result.stderr


def test_crawl_refuses_to_start_while_another_job_holds_the_archive(tmp_path, site):
    with ArchiveLock(lock_path_for(tmp_path / "archive.db")):
        result = crawl(tmp_path, source_entry("town", "municipal", f"{site.url}/news/"))
    assert result.returncode == 1
    assert "held by another crawl job" in result.stderr
    assert not (tmp_path / "archive.db").exists()


def test_sigterm_stops_the_crawl_and_records_the_run_as_aborted(tmp_path, site):
    site.write_listing("slow", ["/slow/eins.html", "/slow/zwei.html"])
    sources = (source_entry("late", "skew", f"{site.url}/slow/")  # skew's process runs first
               + source_entry("never", "municipal", f"{site.url}/news/"))
    (tmp_path / "sources.toml").write_text(sources, "utf-8")
    process = subprocess.Popen([str(PARTNERWATCH), "crawl", "--db", str(tmp_path / "archive.db"),
                                "--sources", str(tmp_path / "sources.toml"), *FAST],
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not (tmp_path / "reports" / "archive-run-1.log").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(SLOW_SECONDS / 2 + 1)  # the crawl process is up and waiting for a slow page
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    run = report(tmp_path, 1)
    assert run["outcome"] == "aborted"
    assert "never" not in run["sources"]  # no new spider process starts after the stop


class _Webhook(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_notification_hooks_get_the_report_on_news_and_not_on_a_quiet_run(tmp_path, site):
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    hook = tmp_path / "hook.py"
    hook.write_text("import sys\nopen(sys.argv[1] + '.notified', 'w').write(sys.stdin.read())\n", "utf-8")
    sources = source_entry("town", "municipal", f"{site.url}/news/")
    hooks = ["-s", f"CRAWLER_NOTIFY_COMMAND={sys.executable} {hook}",
             "-s", f"CRAWLER_NOTIFY_URL=http://127.0.0.1:{webhook.server_port}/hook"]
    try:
        assert crawl(tmp_path, sources, *hooks).returncode == 0
        assert crawl(tmp_path, sources, *hooks).returncode == 0  # nothing new: nobody is woken
    finally:
        webhook.shutdown()
    notified = json.loads((tmp_path / "reports" / "archive-run-1.json.notified").read_text("utf-8"))
    assert (notified["id"], notified["articles_new"]) == (1, 2)
    assert not (tmp_path / "reports" / "archive-run-2.json.notified").exists()
    assert [json.loads(body)["id"] for body in _Webhook.bodies] == [1]


def test_status_shows_last_runs_and_stale_sources_and_lists_sources_never_crawled_apart(tmp_path, site):
    sources = (source_entry("town", "municipal", f"{site.url}/news/")
               + source_entry("down", "lag21", f"{site.url}/down/"))
    crawl(tmp_path, sources)
    # added after the crawl (as the demo's archive never crawls the bundled real towns): not failing
    with open(tmp_path / "sources.toml", "a", encoding="utf-8") as file:
        file.write(source_entry("later", "municipal", f"{site.url}/later/"))
    result = subprocess.run([str(PARTNERWATCH), "status", "--db", str(tmp_path / "archive.db"),
                             "--sources", str(tmp_path / "sources.toml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1  # a stale source
    lines = result.stdout.splitlines()
    assert any(line.startswith("town") and " ok " in line and "2 pages: 2 new" in line for line in lines)
    assert any("every request failed" in line for line in lines)
    stale = lines[lines.index("Stale (no successful run in 3 days):") + 1:]
    assert [line.split()[0] for line in stale[:stale.index("")]] == ["down"]
    assert "Not crawled into this archive yet (1): later" in lines
    # tonight's revisits: the nightly source asks both its archived articles
    revisits = lines[lines.index(next(line for line in lines if line.startswith("Revisits on "))) + 1:]
    assert [line.split()[:5] for line in revisits] == [["town", "nightly", "2", "/", "2"]]


def test_plan_runs_a_whole_spider_once_or_its_chosen_sources_in_one_process():
    sources, _ = load_sources()
    assert plan_crawls(sources, ["skew"]) == [Crawl("skew", ("skew",), {})]
    assert plan_crawls(sources, ["wolfsburg"]) == [Crawl("municipal", ("wolfsburg",), {"source": "wolfsburg"})]
    assert plan_crawls(sources, ["wolfsburg", "skew", "pforzheim"]) == [
        Crawl("skew", ("skew",), {}), Crawl("municipal", ("wolfsburg", "pforzheim"), {"source": "wolfsburg,pforzheim"})]
    everything = plan_crawls(sources, [])
    assert [c.spider for c in everything] == ["skew", "lag21", "municipal"]
    assert sorted(everything[2].sources) == sorted(s.name for s in sources if s.spider == "municipal")


def test_unknown_source_is_a_usage_error(tmp_path, site):
    result = crawl(tmp_path, source_entry("town", "municipal", f"{site.url}/news/"), "atlantis")
    assert result.returncode == 2
    assert "no such source: atlantis" in result.stderr


def test_plain_scrapy_crawl_is_a_run_of_its_own_judged_the_same_way(tmp_path, site):
    from crawler.runner import crawl_command, crawl_env

    (tmp_path / "sources.toml").write_text(source_entry("down", "lag21", f"{site.url}/down/"), "utf-8")
    command = crawl_command("lag21", CRAWLER_STORAGE_PATH=tmp_path / "archive.db",
                            CRAWLER_SOURCES_PATH=tmp_path / "sources.toml", RETRY_TIMES=0,
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE="127.0.0.1")
    subprocess.run(command, env=crawl_env(), capture_output=True, timeout=60, check=True)
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT trigger, outcome, finish_reason FROM runs").fetchall() == [
        ("scrapy", "failed", "finished")]
    assert json.loads(db.execute("SELECT failures FROM run_sources").fetchone()[0]) == [
        "every request failed (1 requests)"]


def test_crawl_of_one_municipal_source_of_the_replica_runs_only_that_source(tmp_path, replica):
    result = subprocess.run([str(PARTNERWATCH), "crawl", "wolfsburg", "--db", str(tmp_path / "archive.db"),
                             "-s", f"CRAWLER_ORIGIN_MAP={json.dumps(replica.origin_map())}", *FAST],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    run = report(tmp_path, 1)
    assert list(run["sources"]) == ["wolfsburg"]
    assert run["sources"]["wolfsburg"]["spider"] == "municipal"
    assert run["sources"]["wolfsburg"]["counts"]["new"] > 0
    assert "wolfsburg: " in result.stderr  # the plain progress line of a non-terminal
