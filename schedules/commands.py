"""Bodies of `partnerwatch crawl`, `schedule` and `status` (partnerwatch/cli.py declares them)."""

from __future__ import annotations

import logging
import signal
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from scrapy.settings import Settings

from crawler.cli_errors import open_archive
from crawler.progress import Progress, describe
from crawler.revisit_policy import Outlook, RevisitPolicy, revisit_outlook
from crawler.settings_check import InvalidSettings, validate_settings
from schedules.job import JobConfig, Stop, config_from_settings, run_job
from schedules.nightly import Schedule, build_scheduler, parse_time
from spiders.sources import BUNDLED_SOURCES, load_sources
from storage.lock import ArchiveLock, ArchiveLocked, lock_path_for
from storage.runs import last_success_per_source, recent_source_runs


def load_settings(db: str | None, sources: str | None, overrides: tuple[str, ...]) -> tuple[Settings, JobConfig]:
    """Project settings with `-s NAME=VALUE` applied, and the job configuration from them."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")  # what every crawl process reads
    crawl_settings = {}
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        crawl_settings[name] = value
    if sources:
        crawl_settings["CRAWLER_SOURCES_PATH"] = str(Path(sources).resolve())
    settings.setdict(crawl_settings, priority="cmdline")
    try:
        validate_settings(settings)  # before any crawl process starts: exit 2 with the setting named
    except InvalidSettings as error:
        raise click.UsageError(str(error)) from None
    db_path = Path(db or settings["CRAWLER_STORAGE_PATH"])
    return settings, config_from_settings(settings, db_path, crawl_settings)


def crawl_now(config: JobConfig, selected: list[str]) -> int:
    """Run the crawl job once, now, in the foreground; the exit status (0 only when the run is ok)."""
    stop = Stop(announce=True)
    _stop_on_signals(stop)
    try:
        with ArchiveLock(lock_path_for(config.db_path)) as lock:
            result = run_job(config, selected, trigger="manual", progress=Progress(), stop=stop, lock=lock)
    except ArchiveLocked as error:
        raise click.ClickException(f"{error}: not starting a second crawl on this archive") from None
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"the archive {config.db_path} cannot be written: {error}") from None
    click.echo(f"run {result.run_id}: {result.outcome}; report {result.report_path}", err=True)
    for why in result.failures:
        click.echo(f"  ! {why}", err=True)
    if stop.is_set():
        return 128 + (stop.signum or signal.SIGTERM)  # 130 after Ctrl-C, as shells expect
    return 0 if result.outcome == "ok" else 1


def serve_schedule(settings: Settings, config: JobConfig) -> None:
    """Run the nightly scheduler in the foreground until SIGTERM or Ctrl-C."""
    load_sources(config.sources_path or BUNDLED_SOURCES, guard=False)  # a broken file: now, not at night
    schedule = Schedule(
        at=parse_time(settings.get("CRAWLER_SCHEDULE_TIME")),
        timezone=ZoneInfo(settings.get("CRAWLER_SCHEDULE_TIMEZONE")),
        misfire_grace=settings.getint("CRAWLER_SCHEDULE_MISFIRE_GRACE"),
        check_interval=settings.getint("CRAWLER_SCHEDULE_CHECK_INTERVAL"),
    )
    stop = Stop()
    scheduler = build_scheduler(config, schedule, stop)

    # The handler only asks the running crawl to stop (a second signal kills it); the scheduler
    # is shut down here, outside the handler: shutting a BlockingScheduler down from a handler
    # sets the Event its loop may be holding the lock of, and hung the process for good.
    signal.signal(signal.SIGTERM, stop.request)
    signal.signal(signal.SIGINT, stop.request)
    logging.getLogger(__name__).info("nightly crawl at %s %s into %s", schedule.at, schedule.timezone,
                                     config.db_path)
    scheduler.start()
    while not stop.event.is_set():  # is_set takes no lock: safe beside the handler
        time.sleep(0.2)
    scheduler.shutdown(wait=False)  # a running job finishes its crawl's pages in flight; exit waits for it


def print_status(db_path: Path, sources_path: Path | None, per_source: int, stale_days: int,
                 night: date | None = None) -> int:
    """Last runs per source, stale sources and the revisits due on `night` (default: tonight);
    exit status 1 when a source is stale."""
    known, _ = load_sources(sources_path or BUNDLED_SOURCES, guard=False)  # names only: nothing is fetched
    policies = {s.name: s.revisit_policy for s in known}
    night = night or datetime.now(UTC).date()
    db = open_archive(db_path)  # a typo in --db is an error, not a new empty archive
    try:
        rows = recent_source_runs(db, per_source)
        successes = last_success_per_source(db)
        outlook = revisit_outlook(db, policies, night)
    finally:
        db.close()
    click.echo(f"{'source':<28} {'run':>5}  {'started (UTC)':<25} {'outcome':<8} counts")
    for row in rows:
        click.echo(f"{row['source']:<28} {row['run_id']:>5}  {row['started_at']:<25} {row['outcome']:<8} "
                   f"{describe(row['counts'])}")
        for why in row["failures"]:
            click.echo(f"{'':<36}! {why}")
    limit = (datetime.now(UTC) - timedelta(days=stale_days)).isoformat(timespec="seconds")
    # a source no run of this archive tried is not failing (the demo crawls only the replica's
    # sources): it is listed, but only a source tried without success for so long is stale
    tried = {row["source"] for row in rows} | set(successes)
    stale = sorted(s.name for s in known if s.name in tried and successes.get(s.name, "") < limit)
    untried = sorted(s.name for s in known if s.name not in tried)
    if stale:
        click.echo(f"\nStale (no successful run in {stale_days} days):")
        for name in stale:
            click.echo(f"  {name:<28} last success: {successes.get(name, 'never')}")
    if untried:
        click.echo(f"\nNot crawled into this archive yet ({len(untried)}): {', '.join(untried)}")
    _print_revisits(outlook, policies, night)
    return 1 if stale else 0


def _print_revisits(outlook: dict[str, Outlook], policies: dict[str, RevisitPolicy], night: date) -> None:
    """Per source: the archived articles tonight's crawl asks about, of all, and the oldest check."""
    if not outlook:
        return
    click.echo(f"\nRevisits on {night} (articles due / archived, oldest check):")
    for source, seen in outlook.items():
        policy = "adaptive" if policies[source].adaptive else "nightly"
        oldest = seen.oldest_check[:16].replace("T", " ") if seen.oldest_check else "never"
        click.echo(f"  {source:<28} {policy:<8} {seen.due:>6} / {seen.articles:<6} {oldest}")


def _stop_on_signals(stop: Stop) -> None:
    signal.signal(signal.SIGTERM, stop.request)
    signal.signal(signal.SIGINT, stop.request)
