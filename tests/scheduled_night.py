"""Tonight for scheduler tests: a nightly time seconds away, in a zone where it is about noon."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.db import open_db
from storage.runs import finish_run, start_run


def noon_zone() -> str:
    """A fixed-offset zone in which it is about noon now."""
    offset = 12 - datetime.now(UTC).hour  # -11 … +12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"  # Etc/ signs are inverted


class Night:
    """Tonight's schedule: `seconds` from now, in a noon zone; last night already ran."""

    def __init__(self, tmp_path: Path, seconds: int) -> None:
        self.zone = noon_zone()
        self.at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
        self.tonight = self.at.astimezone(ZoneInfo(self.zone)).date().isoformat()
        self.db_path = tmp_path / "archive.db"
        db = open_db(self.db_path)
        last_night = (date.fromisoformat(self.tonight) - timedelta(days=1)).isoformat()
        run_id = start_run(db, "municipal", "2000-01-01T02:00:00+00:00", trigger="schedule", run_date=last_night)
        finish_run(db, run_id, finished_at="2000-01-01T02:10:00+00:00", outcome="ok")
        db.close()

    def runs_tonight(self) -> list[tuple]:
        db = sqlite3.connect(self.db_path)
        try:
            return db.execute("SELECT trigger, started_at, outcome FROM runs WHERE run_date = ? ORDER BY id",
                              [self.tonight]).fetchall()
        finally:
            db.close()

    def wait_for_finished_run(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(outcome != "running" for _, _, outcome in self.runs_tonight()):
                return
            time.sleep(0.2)
        raise AssertionError(f"no run for {self.tonight} within {timeout} s")
