"""A crawl job runs its crawl processes side by side: real `partnerwatch crawl` jobs against servers
on 127.0.0.1 (one port, one host), whose every request is logged with its arrival time.

Overlap is read from those times: a crawl whose articles each take ARTICLE_SECONDS to answer is
on its host for a while, and a second crawl running meanwhile has hits inside that stretch.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hostile_server import FAST, HostileServer, write_sources
from process_watch import children_of, wait_for
from scheduled_night import Night

from crawler.progress import Progress
from crawler.runner import PROJECT_ROOT
from schedules.job import Crawl, plan_crawls
from schedules.side_by_side import job_parallel, longest_first, workers_per_crawl
from spiders.sources import parse_source
from storage.db import open_db
from storage.runs import last_crawl_seconds, record_run_source, start_run

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")
ARTICLE_SECONDS = 0.7


def town(server: HostileServer, prefix: str = "/news/", articles: int = 3, delay: float = ARTICLE_SECONDS) -> None:
    server.page(prefix, links=[f"{prefix}a{n}" for n in range(articles)])
    for n in range(articles):
        server.article(f"{prefix}a{n}", title=f"Partnerschaft {prefix} {n}")
        server.routes[f"{prefix}a{n}"].delay = delay


def entry(spider: str, server: HostileServer, prefix: str = "/news/") -> dict:
    return {"spider": spider, "start_urls": [f"{server.origin}{prefix}"], "allowed_hosts": [server.netloc],
            "listing_patterns": [f"^{prefix}$"], "article_patterns": [f"^{prefix}a\\d+$"]}


@pytest.fixture
def servers() -> Iterator[list[HostileServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(HostileServer()) for _ in range(3)]


def start_job(tmp_path: Path, entries: dict[str, dict], servers: list[HostileServer], *args: str,
              db: str = "archive.db", **settings: object) -> subprocess.Popen:
    sources = write_sources(tmp_path, entries)
    allowed = ",".join(server.netloc for server in servers)
    # one request at a time per host, as politeness has it: a crawl stays on its host a while
    pairs = {**FAST, "DOWNLOAD_TIMEOUT": 120, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "CRAWLER_NETGUARD_ALLOWED_PRIVATE": allowed, **settings}
    command = [str(PARTNERWATCH), "crawl", "--db", str(tmp_path / db), "--sources", str(sources),
               *[part for name, value in pairs.items() for part in ("-s", f"{name}={value}")], *args]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)


def run_job(tmp_path: Path, entries: dict[str, dict], servers: list[HostileServer], *args: str,
            db: str = "archive.db", **settings: object) -> str:
    job = start_job(tmp_path, entries, servers, *args, db=db, **settings)
    _, stderr = job.communicate(timeout=150)
    return stderr


def span(server: HostileServer, prefix: str = "/") -> tuple[float, float]:
    """From the first request on `prefix` to the end of the last one's answer (its delay included)."""
    hits = [(hit.at, hit.at + server.answer(hit.path).delay) for hit in server.hits if hit.path.startswith(prefix)]
    assert hits, f"nothing fetched under {prefix}"
    return min(start for start, _ in hits), max(end for _, end in hits)


def overlap(one: tuple[float, float], other: tuple[float, float]) -> float:
    return min(one[1], other[1]) - max(one[0], other[0])


def source_rows(db_path: Path) -> dict[str, dict]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    rows = {row["source"]: dict(row) for row in db.execute("SELECT * FROM run_sources")}
    for name, row in rows.items():
        row["counts"] = dict(db.execute("SELECT outcome, sum(fetches) FROM run_source_counts WHERE source = ? "
                                        "GROUP BY outcome", [name]).fetchall())
    return rows


def test_two_sources_on_two_hosts_are_crawled_at_the_same_time(tmp_path, servers):
    one, two, _ = servers
    town(one)
    town(two, "/presse/")
    entries = {"alpha": entry("municipal", one), "beta": entry("lag21", two, "/presse/")}
    stderr = run_job(tmp_path, entries, servers, CRAWLER_JOB_PARALLEL=2)
    rows = source_rows(tmp_path / "archive.db")
    assert {name: (row["outcome"], row["counts"]) for name, row in rows.items()} == {
        "alpha": ("ok", {"new": 3}), "beta": ("ok", {"new": 3})}, stderr
    # each crawl spends at least 3 × ARTICLE_SECONDS on its host; side by side, those stretches overlap
    assert overlap(span(one), span(two)) > 0
    log = next((tmp_path / "reports").glob("*.log")).read_text("utf-8")
    assert " municipal [" in log and " lag21 [" in log  # each process's lines say whose they are


def test_the_nightly_scheduler_crawls_two_sources_side_by_side_each_at_its_own_delay(tmp_path, servers):
    one, two, _ = servers
    town(one, delay=0)
    town(two, "/presse/", delay=0)
    delays = {"alpha": 1.0, "beta": 1.6}
    entries = {"alpha": {**entry("municipal", one), "delay": delays["alpha"]},
               "beta": {**entry("lag21", two, "/presse/"), "delay": delays["beta"]}}
    sources = write_sources(tmp_path, entries)
    night = Night(tmp_path, seconds=4)
    # politeness on: each source's own delay, exactly (no randomising), no AutoThrottle on top
    settings = {**FAST, "CRAWLER_SOURCE_DELAYS_ENABLED": True, "RANDOMIZE_DOWNLOAD_DELAY": False,
                "CRAWLER_JOB_PARALLEL": 2, "CRAWLER_SCHEDULE_TIMEZONE": night.zone,
                "CRAWLER_SCHEDULE_TIME": f"{night.at.astimezone(ZoneInfo(night.zone)):%H:%M:%S}",
                "CRAWLER_SCHEDULE_CHECK_INTERVAL": 0,
                "CRAWLER_NETGUARD_ALLOWED_PRIVATE": f"{one.netloc},{two.netloc}"}
    command = [str(PARTNERWATCH), "schedule", "--db", str(night.db_path), "--sources", str(sources),
               *[part for name, value in settings.items() for part in ("-s", f"{name}={value}")]]
    with open(tmp_path / "scheduler.log", "w") as log:
        scheduler = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        night.wait_for_finished_run(timeout=120)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=60)
    assert [outcome for _, _, outcome in night.runs_tonight()] == ["ok"], (tmp_path / "scheduler.log").read_text()
    assert overlap(span(one), span(two)) > 0
    for server, name in ((one, "alpha"), (two, "beta")):
        times = sorted(hit.at for hit in server.hits if hit.path != "/robots.txt")  # robots.txt: a slot of its own
        assert len(times) == 4  # the listing, three articles
        assert min(b - a for a, b in zip(times, times[1:])) >= delays[name] - 0.1


def test_one_process_at_a_time_crawls_the_sources_one_after_another(tmp_path, servers):
    one, two, _ = servers
    town(one)
    town(two, "/presse/")
    entries = {"alpha": entry("municipal", one), "beta": entry("lag21", two, "/presse/")}
    stderr = run_job(tmp_path, entries, servers, CRAWLER_JOB_PARALLEL=1)
    assert all(row["outcome"] == "ok" for row in source_rows(tmp_path / "archive.db").values()), stderr
    assert overlap(span(one), span(two)) < 0


def test_sources_sharing_a_host_are_never_crawled_at_the_same_time(tmp_path, servers):
    one, two, _ = servers
    town(one)
    town(one, "/presse/")  # another spider's source, on the same host
    town(two, "/aktuell/")
    entries = {"alpha": entry("municipal", one), "beta": entry("lag21", one, "/presse/"),
               "gamma": entry("skew", two, "/aktuell/")}
    stderr = run_job(tmp_path, entries, servers, CRAWLER_JOB_PARALLEL=3)
    rows = source_rows(tmp_path / "archive.db")
    assert all(row["outcome"] == "ok" and row["counts"] == {"new": 3} for row in rows.values()), stderr
    assert overlap(span(one, "/news/"), span(one, "/presse/")) < 0
    # the third host was free: its crawl ran beside the first of the two
    assert max(overlap(span(two), span(one, "/news/")), overlap(span(two), span(one, "/presse/"))) > 0


def test_a_failing_and_a_timed_out_source_leave_the_other_sources_row_exact(tmp_path, servers):
    one, two, three = servers
    town(one)
    two.status("/presse/", 500)  # answers 500 to every page of its source
    town(three, "/aktuell/", delay=20)  # hangs past the job's spider timeout
    entries = {"alpha": entry("municipal", one), "beta": entry("lag21", two, "/presse/"),
               "gamma": entry("skew", three, "/aktuell/")}
    started = time.monotonic()
    stderr = run_job(tmp_path, entries, servers, CRAWLER_JOB_PARALLEL=3, CRAWLER_JOB_SPIDER_TIMEOUT=10)
    assert time.monotonic() - started < 80
    rows = source_rows(tmp_path / "archive.db")
    assert rows["beta"]["outcome"] == "failed" and "every request failed" in rows["beta"]["failures"], stderr
    assert rows["gamma"]["outcome"] == "failed" and rows["gamma"]["exit_code"] != 0
    # alpha, crawled alone into another archive, gives the very same row
    one.hits.clear()
    (tmp_path / "alone").mkdir()
    run_job(tmp_path / "alone", {"alpha": entry("municipal", one)}, servers)
    alone = source_rows(tmp_path / "alone" / "archive.db")["alpha"]
    keys = ("outcome", "failures", "exit_code", "finish_reason", "requests", "responses_ok", "exceptions", "counts")
    assert {k: rows["alpha"][k] for k in keys} == {k: alone[k] for k in keys}
    assert rows["alpha"]["outcome"] == "ok" and rows["alpha"]["counts"] == {"new": 3}
    report = json.loads(next((tmp_path / "reports").glob("*.json")).read_text("utf-8"))
    assert report["outcome"] == "failed" and report["sources"]["alpha"]["outcome"] == "ok"


def test_stopping_the_job_stops_every_crawl_process_it_runs(tmp_path, servers):
    one, two, _ = servers
    town(one, delay=40)
    town(two, "/presse/", delay=40)
    entries = {"alpha": entry("municipal", one), "beta": entry("lag21", two, "/presse/")}
    job = start_job(tmp_path, entries, servers, CRAWLER_JOB_PARALLEL=2)
    wait_for(lambda: any(h.path.startswith("/news/a") for h in one.hits)
             and any(h.path.startswith("/presse/a") for h in two.hits), 90, "both crawls hang on a page")
    crawls = children_of(job.pid)
    assert len(crawls) == 2
    started = time.monotonic()
    job.send_signal(signal.SIGTERM)
    _, stderr = job.communicate(timeout=60)
    assert time.monotonic() - started < 15 and job.returncode == 128 + signal.SIGTERM, stderr
    assert not any(Path(f"/proc/{pid}").exists() for pid in crawls)
    db = sqlite3.connect(tmp_path / "archive.db")
    outcome, failures = db.execute("SELECT outcome, failures FROM runs").fetchone()
    assert outcome == "aborted" and "stopped by SIGTERM" in failures


def test_named_sources_of_one_spider_go_to_one_process_holding_all_their_hosts():
    def source(name: str, host: str) -> object:
        return parse_source(name, {"start_urls": [f"https://{host}/news/"], "listing_patterns": ["^/news/$"],
                                   "article_patterns": ["^/news/.+$"]})

    sources = [source("a", "www.stadt.de"), source("b", "stadt.de"), source("c", "land.de"),
               source("d", "kreis.de")]
    crawls = plan_crawls(sources, ["a", "b", "c"])
    assert crawls == [Crawl("municipal", ("a", "b", "c"), {"source": "a,b,c"})]
    assert crawls[0].hosts == {"stadt.de", "land.de"}
    assert plan_crawls(sources, ["d"]) == [Crawl("municipal", ("d",), {"source": "d"})]
    assert plan_crawls(sources, [])[0].hosts == {"stadt.de", "land.de", "kreis.de"}


@pytest.mark.parametrize(("configured", "at_once", "cores", "expected"),
                         [(2, 1, 2, 2), (4, 1, 2, 4), (2, 2, 2, 1), (4, 2, 8, 4), (3, 4, 8, 2), (2, 3, 2, 1), (0, 2, 2, 0)])
def test_extraction_workers_are_cut_so_all_crawls_together_fit_the_cores(configured, at_once, cores, expected):
    assert workers_per_crawl(configured, at_once, cores) == expected


def test_the_default_is_one_crawl_process_per_core():
    assert job_parallel(0, cores=6) == 6 and job_parallel(3, cores=6) == 3 and job_parallel(0, cores=1) == 1


def test_the_crawls_expected_to_take_longest_start_first(tmp_path):
    db = open_db(tmp_path / "archive.db")
    took = {1: {"town": 100, "skew": 10}, 2: {"town": 20, "skew": 50}}  # run 2 is the latest
    for run_id, seconds in took.items():
        start_run(db, "municipal", "2026-12-01T02:00:00+00:00")
        for source, n in seconds.items():
            record_run_source(db, run_id, source=source, spider="municipal", started_at="2026-12-01T02:00:00+00:00",
                              finished_at=f"2026-12-01T02:{n // 60:02d}:{n % 60:02d}+00:00", finish_reason="finished",
                              requests=1, responses_ok=1, exceptions={})
    last = last_crawl_seconds(db)
    assert last == pytest.approx({"town": 20, "skew": 50}, abs=0.01)
    skew, fresh, towns = (Crawl("skew", ("skew",), {}), Crawl("lag21", ("fresh",), {}),
                          Crawl("municipal", ("town", "dorf", "stadt"), {}))
    assert longest_first([fresh, towns, skew], last) == [skew, towns, fresh]
    assert longest_first([fresh, Crawl("municipal", ("dorf", "stadt"), {})], {})[0].spider == "municipal"


def test_a_writer_waits_for_another_crawl_process_holding_the_write_lock_and_loses_nothing(tmp_path):
    path = tmp_path / "archive.db"
    open_db(path).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from storage.db import open_db, write_transaction\n"
        f"db = open_db({str(path)!r})\n"
        "with write_transaction(db):\n"
        "    db.execute(\"INSERT INTO runs (spider, started_at) VALUES ('other', 'x')\")\n"
        "    print('holding', flush=True); time.sleep(3)\n")], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    db = open_db(path)  # its migration check and the run's insert: BEGIN IMMEDIATE, each waits its turn
    run_id = start_run(db, "municipal", "2026-12-03T02:00:00+00:00")
    assert time.monotonic() - started > 1.5 and holder.wait(timeout=30) == 0
    assert [row[0] for row in db.execute("SELECT spider FROM runs ORDER BY id")] == ["other", "municipal"]
    assert run_id == 2


def test_the_live_line_shows_every_running_crawls_sources_and_fits_the_terminal():
    stream = io.StringIO()
    progress = Progress(stream, is_tty=True)
    progress.update([("municipal", ("bonn", "koeln")), ("skew", ("skew",))],
                    {"bonn": {"new": 3, "unchanged": 2}, "skew": {"not_modified": 7}})
    line = stream.getvalue()
    assert line.startswith("\r\x1b[K2 crawling: ") and "bonn 5 | koeln 0 | skew 7" in line
    assert "\n" not in line and len(line) <= shutil.get_terminal_size((120, 24)).columns + 3
