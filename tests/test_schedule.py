"""The nightly scheduler, for real: `partnerwatch schedule` subprocesses with a nightly time a
few seconds away, crawling a town site on 127.0.0.1.

The time zone is chosen so that the local time is near noon: "tonight" never crosses midnight
during a test. Each test first records last night's run, as a scheduler that has been running
for a while would have, so only tonight is due.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scheduled_night import Night
from townsite import FAST, TownSite, source_entry

from schedules.nightly import Schedule, due_night, parse_time

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[TownSite]:
    served = TownSite(tmp_path / "site")
    served.publish("eins", "zwei")
    (tmp_path / "sources.toml").write_text(source_entry("town", "municipal", f"{served.url}/news/"), "utf-8")
    yield served
    served.close()


def start_scheduler(tmp_path: Path, night: Night, name: str, check_interval: int = 0) -> subprocess.Popen:
    command = [str(PARTNERWATCH), "schedule", "--db", str(night.db_path), "--sources", str(tmp_path / "sources.toml"),
               "-s", f"CRAWLER_SCHEDULE_TIME={night.at.astimezone(ZoneInfo(night.zone)):%H:%M:%S}",
               "-s", f"CRAWLER_SCHEDULE_TIMEZONE={night.zone}",
               "-s", f"CRAWLER_SCHEDULE_CHECK_INTERVAL={check_interval}", *FAST]
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)


def wait_until_started(tmp_path: Path, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while "Scheduler started" not in (tmp_path / f"{name}.log").read_text():
        assert time.monotonic() < deadline, (tmp_path / f"{name}.log").read_text()
        time.sleep(0.1)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


def started_at(row: tuple) -> datetime:
    return datetime.fromisoformat(row[1])


def test_due_nightly_job_runs_once_at_its_time(tmp_path, site):
    night = Night(tmp_path, seconds=5)
    scheduler = start_scheduler(tmp_path, night, "scheduler")
    try:
        night.wait_for_finished_run()
        time.sleep(2)  # long enough for a second run to show up, were there one
    finally:
        stop(scheduler)
    runs = night.runs_tonight()
    assert [(trigger, outcome) for trigger, _, outcome in runs] == [("schedule", "ok")]
    assert started_at(runs[0]) >= night.at


def test_night_missed_while_the_scheduler_was_down_runs_once_after_restart(tmp_path, site):
    night = Night(tmp_path, seconds=4)
    first = start_scheduler(tmp_path, night, "first")
    wait_until_started(tmp_path, "first")
    first.kill()  # down before tonight's time: kill -9, no clean shutdown
    first.wait()
    while datetime.now(UTC) < night.at + timedelta(seconds=1):
        time.sleep(0.2)
    assert night.runs_tonight() == []
    # checks every second: none of them may run the night a second time
    restarted = start_scheduler(tmp_path, night, "restarted", check_interval=1)
    try:
        night.wait_for_finished_run()
        time.sleep(2)
    finally:
        stop(restarted)
    runs = night.runs_tonight()
    assert [(trigger, outcome) for trigger, _, outcome in runs] == [("catch-up", "ok")]
    assert started_at(runs[0]) > night.at


def test_two_schedulers_on_one_archive_run_the_night_once(tmp_path, site):
    night = Night(tmp_path, seconds=5)
    schedulers = [start_scheduler(tmp_path, night, name) for name in ("one", "two")]
    try:
        night.wait_for_finished_run()
        time.sleep(2)
    finally:
        stop(*schedulers)
    # once, whichever fired it: on a loaded machine both start after the night's time, and their
    # start-up checks race for it instead of their nightly triggers
    assert [outcome for _, _, outcome in night.runs_tonight()] == ["ok"]
    logs = [(tmp_path / f"{name}.log").read_text() for name in ("one", "two")]
    # the loser found the lock taken, or (had it fired later) tonight's run already there; under
    # load the winner's own start-up check may say so too, so the run table above is the proof
    assert any("skipped_locked" in log or f"night {night.tonight} already has run" in log for log in logs)


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-06-10T01:59:59+02:00", "2026-06-09"),  # before 02:00: last night is the due one
    ("2026-06-10T02:00:00+02:00", "2026-06-10"),
    ("2026-10-25T02:30:00+02:00", "2026-10-25"),  # DST ends: 02:00 happens twice, one night
    ("2026-10-25T02:30:00+01:00", "2026-10-25"),
    ("2026-03-29T01:59:00+01:00", "2026-03-28"),  # DST starts: 02:00 never happens…
    ("2026-03-29T03:01:00+02:00", "2026-03-29"),  # …and the night is still due after the jump
])
def test_due_night_is_the_local_date_of_the_last_scheduled_time_passed(now, expected):
    schedule = Schedule(at=parse_time("02:00"), timezone=ZoneInfo("Europe/Berlin"), misfire_grace=1,
                        check_interval=0)
    assert due_night(datetime.fromisoformat(now), schedule).isoformat() == expected
