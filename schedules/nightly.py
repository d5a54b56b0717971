"""The nightly scheduler: exactly one crawl job per night, run late rather than skipped.

- A run's identity is the night it serves (`runs.run_date`, the local date of the scheduled
  time): a second firing that night (DST's repeated hour, a second scheduler, a restart) is a
  no-op, and a night whose run was aborted is run again.
- APScheduler's default misfire grace is 1 s (reliability.md finding 11): the nightly job gets
  hours, `coalesce` and one instance at a time.
- No persistent job store: the archive already records which nights ran, and a job store must
  never be shared between processes. At start-up, and every CRAWLER_SCHEDULE_CHECK_INTERVAL
  seconds, the scheduler runs the latest night that is due and has no run, so a night missed
  while the process was down, asleep or behind a clock step runs late instead of never.
- Two schedulers on one archive: the job takes an OS file lock (storage/lock.py); the loser
  logs `skipped_locked`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.items import now_iso
from schedules.job import JobConfig, JobResult, Stop, run_job
from storage.db import open_db
from storage.lock import ArchiveLock, ArchiveLocked, lock_path_for
from storage.runs import abort_unfinished_runs, run_for_date

logger = logging.getLogger(__name__)

# the cron job and the checks are separate APScheduler jobs: this keeps them from queueing up
# on the file lock of their own process
_in_this_process = threading.Lock()


@dataclass(frozen=True)
class Schedule:
    at: time  # local time of the nightly run
    timezone: ZoneInfo
    misfire_grace: int  # seconds a late firing still runs
    check_interval: int  # seconds between "is a night due?" checks; 0: only at start-up


def parse_time(text: str) -> time:
    """"02:00" or "02:00:30"."""
    return time.fromisoformat(text)


def due_night(now: datetime, schedule: Schedule) -> date:
    """The latest night whose scheduled time has passed at `now`."""
    local = now.astimezone(schedule.timezone)
    scheduled = datetime.combine(local.date(), schedule.at, tzinfo=schedule.timezone)
    return local.date() if local >= scheduled else local.date() - timedelta(days=1)


def run_due_nights(config: JobConfig, schedule: Schedule, trigger: str, stop: Stop) -> list[JobResult]:
    """Run the due night unless it has a run; again if another night fell due meanwhile."""
    results: list[JobResult] = []
    if not _in_this_process.acquire(blocking=False):
        logger.debug("%s: the crawl job is already running in this process", trigger)
        return results
    try:
        with ArchiveLock(lock_path_for(config.db_path)) as lock:
            while not stop.is_set():
                night = due_night(datetime.now(UTC), schedule).isoformat()
                db = open_db(config.db_path)
                try:
                    # we hold the lock: a run still marked running was left by a killed process
                    abort_unfinished_runs(db, now_iso())
                    done = run_for_date(db, night)
                finally:
                    db.close()
                if done is not None:
                    if not results:
                        logger.info("night %s already has run %d (%s)", night, done["id"], done["outcome"])
                    break
                logger.info("running the crawl job for night %s (%s)", night, trigger)
                result = run_job(config, [], trigger=trigger, run_date=night, stop=stop, lock=lock)
                logger.info("run %d %s: report %s", result.run_id, result.outcome, result.report_path)
                results.append(result)
    except ArchiveLocked as error:
        logger.warning("skipped_locked: %s", error)
    finally:
        _in_this_process.release()
    return results


def build_scheduler(config: JobConfig, schedule: Schedule, stop: Stop) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=schedule.timezone,
        job_defaults={"misfire_grace_time": schedule.misfire_grace, "coalesce": True, "max_instances": 1},
    )
    at = schedule.at
    scheduler.add_job(run_due_nights, CronTrigger(hour=at.hour, minute=at.minute, second=at.second,
                                                  timezone=schedule.timezone),
                      args=[config, schedule, "schedule", stop], id="nightly", name="nightly crawl")
    # the start-up check: a night missed while this process was down runs now
    scheduler.add_job(run_due_nights, args=[config, schedule, "catch-up", stop], id="catch-up",
                      name="start-up check")
    if schedule.check_interval:
        scheduler.add_job(run_due_nights, IntervalTrigger(seconds=schedule.check_interval),
                          args=[config, schedule, "catch-up", stop], id="check", name="due-night check")
    scheduler.add_listener(_log_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)
    return scheduler


def _log_event(event: JobEvent) -> None:
    # each of these means a night may be late; the due-night check runs it, but say so loudly
    if event.code == EVENT_JOB_MISSED:
        logger.error("job %s missed its run time %s", event.job_id, event.scheduled_run_time)
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        logger.error("job %s skipped: the previous run is still going", event.job_id)
    else:
        logger.error("job %s raised %r", event.job_id, getattr(event, "exception", None))
