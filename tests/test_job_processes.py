"""A crawl job owns its archive and its processes: no second writer, no orphans, a prompt Ctrl-C.

Real `partnerwatch crawl` and `scrapy crawl` processes against a server on 127.0.0.1 whose one
page hangs, so a crawl is reliably still running when the test signals or kills it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from change_site import article_page
from hostile_server import FAST, HostileServer, Reply, write_sources
from process_watch import children_of, wait_for

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from storage.db import open_db
from storage.lock import ArchiveLock, ArchiveLocked, is_process_alive, lock_path_for, process_identity
from storage.runs import abort_unfinished_runs, start_run

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")
HANG_SECONDS = 40


@pytest.fixture
def site():
    """A listing of three articles, the second of which hangs for HANG_SECONDS."""
    with HostileServer() as served:
        served.page("/news/", links=["/news/a1", "/news/a2", "/news/a3"])
        for name in ("a1", "a2", "a3"):
            served.article(f"/news/{name}")
        served.routes["/news/a2"].delay = HANG_SECONDS
        yield served


def sources(tmp_path: Path, site: HostileServer) -> Path:
    return write_sources(tmp_path, {"town": {
        "spider": "municipal", "start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
        "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/a\\d$"]}})


def start_job(tmp_path: Path, site: HostileServer, *extra: str) -> subprocess.Popen:
    settings = [f"{name}={value}" for name, value in {**FAST, "DOWNLOAD_TIMEOUT": 120}.items()]
    command = [str(PARTNERWATCH), "crawl", "--db", str(tmp_path / "archive.db"), "--sources",
               str(sources(tmp_path, site)), "-s", f"CRAWLER_NETGUARD_ALLOWED_PRIVATE={site.netloc}",
               *[part for setting in settings for part in ("-s", setting)], *extra]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)


def hanging(site: HostileServer) -> bool:
    return bool(site.hits_of("/news/a2"))


def test_ctrl_c_says_so_stops_within_seconds_records_the_abort_and_exits_130(tmp_path, site):
    job = start_job(tmp_path, site)
    wait_for(lambda: hanging(site), 60, "the crawl reaches the hanging page")
    (crawl_pid,) = children_of(job.pid)
    started = time.monotonic()
    job.send_signal(signal.SIGINT)
    _, stderr = job.communicate(timeout=60)
    assert time.monotonic() - started < 15  # the grace for pages in flight, then the group is killed
    assert job.returncode == 130, stderr
    assert "stopping after the pages in flight" in stderr
    assert not Path(f"/proc/{crawl_pid}").exists()
    db = sqlite3.connect(tmp_path / "archive.db")
    outcome, failures = db.execute("SELECT outcome, failures FROM runs").fetchone()
    assert outcome == "aborted" and "stopped by SIGINT" in failures
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_second_ctrl_c_stops_at_once(tmp_path, site):
    job = start_job(tmp_path, site)
    wait_for(lambda: hanging(site), 60, "the crawl reaches the hanging page")
    job.send_signal(signal.SIGINT)
    time.sleep(0.5)
    started = time.monotonic()
    job.send_signal(signal.SIGINT)
    job.communicate(timeout=60)
    assert time.monotonic() - started < 5 and job.returncode == 130


def test_killing_the_job_ends_its_crawl_and_frees_the_archive_for_the_next(tmp_path, site):
    job = start_job(tmp_path, site)
    wait_for(lambda: hanging(site), 60, "the crawl reaches the hanging page")
    (crawl_pid,) = children_of(job.pid)
    job.kill()
    job.wait()
    # the crawl process hears of its job's death, stops, and releases the job's lock with it
    wait_for(lambda: not Path(f"/proc/{crawl_pid}").exists(), 30, "the orphaned crawl ends")
    with ArchiveLock(lock_path_for(tmp_path / "archive.db")):
        pass
    site.routes["/news/a2"].delay = 0
    second = start_job(tmp_path, site)
    _, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT id, outcome FROM runs ORDER BY id").fetchall() == [(1, "aborted"), (2, "ok")]


def test_the_last_holder_of_an_archive_lock_removes_its_file_and_only_the_last(tmp_path):
    path = lock_path_for(tmp_path / "archive.db")
    first, second = ArchiveLock(path, shared=True), ArchiveLock(path, shared=True)
    with first:
        second.__enter__()
    assert path.exists(), "a crawl still holding the lock lost its file"
    with pytest.raises(ArchiveLocked):
        ArchiveLock(path).__enter__()  # a job is still refused
    second.__exit__(None, None, None)
    assert not path.exists()
    with ArchiveLock(path):  # a job takes a fresh file
        assert path.read_text().strip() == str(os.getpid())
    assert not path.exists()


def test_a_scrapy_crawl_by_hand_is_refused_while_a_job_holds_the_archive(tmp_path, site):
    db_path = tmp_path / "archive.db"
    command = crawl_command("municipal", {"sources": str(sources(tmp_path, site))}, CRAWLER_STORAGE_PATH=db_path,
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE=[site.netloc], **FAST)
    with ArchiveLock(lock_path_for(db_path)):
        result = subprocess.run(command, env=crawl_env(), cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=120)
    assert result.returncode != 0
    assert "is held by another crawl job" in result.stderr
    assert site.paths() == []


def test_extraction_workers_and_the_archive_writer_exit_when_their_crawl_process_is_killed(tmp_path, site):
    command = crawl_command("municipal", {"sources": str(sources(tmp_path, site))},
                            CRAWLER_STORAGE_PATH=tmp_path / "archive.db",
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE=[site.netloc], **{**FAST, "CRAWLER_EXTRACT_WORKERS": 2})
    crawl = subprocess.Popen(command, env=crawl_env(), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        children = wait_for(lambda: len(children_of(crawl.pid)) >= 3 and children_of(crawl.pid), 60,
                            "the archive writer and two extraction workers start")
        assert sum(map(holds_archive, children)) == 1  # the writer; the workers never open the archive
        crawl.kill()
        crawl.wait()
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), 10, "the children exit")
    finally:
        if crawl.poll() is None:
            crawl.kill()


def holds_archive(pid: int) -> bool:
    try:
        return any(link.resolve().name == "archive.db" for link in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or a link that vanished while read
        return False


def test_a_crawl_whose_archive_writer_dies_stops_and_its_run_is_aborted_later(tmp_path):
    with HostileServer() as slow:
        links = [f"/news/a{number}" for number in range(40)]
        slow.page("/news/", links=links)
        for number, link in enumerate(links):
            slow.routes[link] = Reply(200, article_page(number), {"Content-Type": "text/html; charset=utf-8"},
                                       delay=0.2)
        db_path = tmp_path / "archive.db"
        command = crawl_command("municipal", {"sources": str(sources(tmp_path, slow))}, CRAWLER_STORAGE_PATH=db_path,
                                CRAWLER_NETGUARD_ALLOWED_PRIVATE=[slow.netloc],
                                **{**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "CRAWLER_TEMPLATE_ENABLED": False})
        crawl = subprocess.Popen(command, env=crawl_env(), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        try:
            (writer,) = wait_for(lambda: [pid for pid in children_of(crawl.pid) if holds_archive(pid)], 60,
                                 "the archive writer opens the archive")
            wait_for(lambda: count(db_path, "SELECT count(*) FROM versions") >= 2, 60, "two articles are stored")
            os.kill(writer, signal.SIGKILL)
            _, stderr = crawl.communicate(timeout=60)  # stops at the next item instead of fetching on
        finally:
            if crawl.poll() is None:
                crawl.kill()
    assert "the archive writer failed" in stderr
    assert len(slow.hits_of("/news/a39")) == 0  # it stopped fetching
    stored = count(db_path, "SELECT count(*) FROM versions")
    assert 2 <= stored < 40
    assert count(db_path, "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM versions)") == 0
    db = open_db(db_path)
    (run_id,) = [row[0] for row in db.execute("SELECT id FROM runs WHERE outcome = 'running'").fetchall()]
    assert abort_unfinished_runs(db, "2026-12-03T02:00:00+00:00") == [run_id]  # its writer is dead


def count(db_path: Path, sql: str) -> int:
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not yet created
        return 0
    finally:
        conn.close()


def test_an_unfinished_run_is_aborted_only_once_its_process_is_gone(tmp_path):
    db = open_db(tmp_path / "archive.db")
    live = start_run(db, "municipal", "2026-12-03T01:00:00+00:00")  # owned by this very process
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = start_run(db, "municipal", "2026-12-03T01:00:00+00:00")
    db.execute("UPDATE runs SET owner = ? WHERE id = ?", [f"{gone.stdout.strip()}:1", dead])
    assert is_process_alive(process_identity(os.getpid())) and not is_process_alive(f"{gone.stdout.strip()}:1")
    assert abort_unfinished_runs(db, "2026-12-03T02:00:00+00:00") == [dead]
    assert dict(db.execute("SELECT id, outcome FROM runs").fetchall()) == {live: "running", dead: "aborted"}
