"""The crawl job: every source (or some), one `scrapy crawl` subprocess per spider, one run.

The Twisted reactor cannot restart, so each spider runs in its own process; one process
failing does not stop the next. All processes write under one run id (CRAWLER_RUN_ID); the
job then judges every source from the archive, writes the run report and notifies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from scrapy.settings import Settings

from crawler.items import now_iso
from crawler.lifeline import PARENT_ENV
from crawler.netguard import private_allowance
from crawler.progress import Progress
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from schedules.report import notify, report_stem, should_notify, write_report
from spiders.sources import BUNDLED_SOURCES, SPIDERS, Source, load_sources
from storage.db import open_db
from storage.lock import ArchiveLock
from storage.runs import abort_unfinished_runs, close_run, record_exit, run_report, source_counts, start_run

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
TERMINATE_GRACE_SECONDS = 60  # Scrapy closes cleanly on SIGTERM; a second signal would force it
# after a stop request the crawl gets this long to store what it has and close its run; then its
# process group is killed (the archive stays consistent: each item is one transaction)
STOP_GRACE_SECONDS = 8.0


class UnknownSource(ValueError):
    """A source asked for on the command line is not in the sources file."""


@dataclass(frozen=True)
class JobConfig:
    """Everything a crawl job needs, read once from the settings (see `config_from_settings`)."""

    db_path: Path
    sources_path: Path | None = None
    report_dir: Path | None = None  # None: `reports/` next to the archive
    crawl_settings: dict[str, str] = field(default_factory=dict)  # passed to every crawl process
    spider_timeout: float | None = None
    notify_command: str | None = None
    notify_url: str | None = None
    private_allowed: tuple[str, ...] = ()  # CRAWLER_NETGUARD_ALLOWED_PRIVATE: may the sources file name them

    @property
    def reports(self) -> Path:
        return self.report_dir or self.db_path.parent / "reports"


@dataclass(frozen=True)
class Crawl:
    """One crawl process: a spider and the sources it will crawl."""

    spider: str
    sources: tuple[str, ...]
    args: dict[str, str]


@dataclass(frozen=True)
class JobResult:
    run_id: int
    outcome: str  # ok | failed | aborted
    report_path: Path
    failures: tuple[str, ...] = ()  # why it is not ok: the run's reasons, then each source's


class Stop:
    """A stop request (SIGTERM, Ctrl-C) for the job, passed on to the running crawl process.

    The first request asks the crawl to finish the pages in flight (SIGTERM, which Scrapy takes as
    a graceful stop); a second one, or STOP_GRACE_SECONDS without an end, kills the crawl's whole
    process group (the crawl process and its extraction workers) at once.
    """

    def __init__(self, announce: bool = False) -> None:
        self.event = threading.Event()
        self.process: subprocess.Popen | None = None
        self.signum: int | None = None
        self.requests = 0
        self.announce = announce  # say so on stderr (an interactive `partnerwatch crawl`)

    def request(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        self.requests += 1
        self.signum = self.signum or signum
        self.event.set()
        if self.requests == 1:
            if self.announce:
                print("stopping after the pages in flight… (press Ctrl-C again to stop at once)",
                      file=sys.stderr, flush=True)
            self.signal_crawl(signal.SIGTERM)
        else:
            self.kill_crawl()

    def signal_crawl(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def kill_crawl(self) -> None:
        """SIGKILL the crawl's process group (it runs in a session of its own)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    @property
    def reason(self) -> str:
        name = signal.Signals(self.signum).name if self.signum else "a stop request"
        return f"stopped by {name}"

    def is_set(self) -> bool:
        return self.event.is_set()


def plan_crawls(sources: list[Source], selected: list[str]) -> list[Crawl]:
    """One process per spider; only some of a spider's sources chosen: one process per source."""
    names = {s.name for s in sources}
    if unknown := [name for name in selected if name not in names]:
        raise UnknownSource(f"no such source: {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    crawls = []
    for spider in SPIDERS:
        own = [s.name for s in sources if s.spider == spider]
        chosen = [name for name in own if not selected or name in selected]
        if chosen and chosen == own:
            crawls.append(Crawl(spider, tuple(own), {}))
        else:
            crawls += [Crawl(spider, (name,), {"source": name}) for name in chosen]
    return crawls


def run_job(config: JobConfig, selected: list[str], *, trigger: str, run_date: str | None = None,
            progress: Progress | None = None, stop: Stop | None = None,
            lock: ArchiveLock | None = None) -> JobResult:
    """Crawl `selected` sources (all when empty) as one run; the caller holds the job lock."""
    sources, errors = load_sources(config.sources_path or BUNDLED_SOURCES, config.private_allowed)
    crawls = plan_crawls(sources, selected)
    progress, stop = progress or Progress(), stop or Stop()
    config.reports.mkdir(parents=True, exist_ok=True)
    db = open_db(config.db_path)
    try:
        abort_unfinished_runs(db, now_iso())  # left `running` by a job or crawl that was killed
        run_id = start_run(db, ",".join(dict.fromkeys(c.spider for c in crawls)), now_iso(),
                           trigger=trigger, run_date=run_date)
        # a broken sources entry is a failure of the run, not a silently smaller crawl
        failures = [f"sources file: {error}" for error in errors]
        log_path = config.reports / f"{report_stem(config.db_path, run_id)}.log"
        for crawl in crawls:
            if stop.is_set():
                break
            code = _run_crawl(crawl, config, run_id, log_path, progress, stop, db, lock)
            record_exit(db, run_id, spider=crawl.spider, sources=list(crawl.sources), exit_code=code)
            progress.finished(crawl.spider, crawl.sources, source_counts(db, run_id), code)
        if stop.is_set():
            failures.append(stop.reason)
        outcome = close_run(db, run_id, finished_at=now_iso(), failures=failures,
                            outcome="aborted" if stop.is_set() else None)
        report = run_report(db, run_id)
        report["log_path"] = str(log_path)
        report_path = write_report(report, config.reports / f"{report_stem(config.db_path, run_id)}.json")
        db.execute("UPDATE runs SET report_path = ? WHERE id = ?", [str(report_path), run_id])
        db.conn.commit()
    finally:
        db.close()
    logger.debug("run %d %s: report %s", run_id, outcome, report_path)  # the caller says it once
    if should_notify(report):
        notify(report_path, command=config.notify_command, url=config.notify_url)
    failures = [*report["failures"], *(f"{name}: {why}" for name, source in report["sources"].items()
                                       for why in source["failures"])]
    return JobResult(run_id, outcome, report_path, tuple(dict.fromkeys(failures)))


def _run_crawl(crawl: Crawl, config: JobConfig, run_id: int, log_path: Path, progress: Progress,
               stop: Stop, db, lock: ArchiveLock | None) -> int:
    """Run one crawl process to its end, showing progress; its exit status."""
    settings = {**config.crawl_settings, "CRAWLER_STORAGE_PATH": str(config.db_path.resolve()),
                "CRAWLER_RUN_ID": str(run_id)}
    if config.sources_path:
        settings["CRAWLER_SOURCES_PATH"] = str(config.sources_path.resolve())
    command = crawl_command(crawl.spider, crawl.args, **settings)
    progress.started(crawl.spider, crawl.sources)
    # the crawl holds the job's archive lock through the inherited descriptor, and ends if the job dies
    env = {**crawl_env(), PARENT_ENV: str(os.getpid()), **(lock.child_env() if lock else {})}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, pass_fds=(lock.fd,) if lock else (),
                                   start_new_session=True)  # Ctrl-C reaches it once, through Stop
        stop.process = process
        waited, stopping = 0.0, 0.0
        while True:
            try:
                return process.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                waited += POLL_SECONDS
            progress.update(crawl.spider, crawl.sources, source_counts(db, run_id))
            if stop.is_set():
                stopping += POLL_SECONDS
                if stopping >= STOP_GRACE_SECONDS:
                    logger.warning("%s did not stop within %.0f s: killing it", crawl.spider, STOP_GRACE_SECONDS)
                    stop.kill_crawl()
            if config.spider_timeout and waited >= config.spider_timeout:
                logger.error("%s ran longer than %s s: stopping it", crawl.spider, config.spider_timeout)
                return _terminate(process)


def _terminate(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return process.returncode or 1


def config_from_settings(settings: Settings, db_path: Path, crawl_settings: dict[str, str]) -> JobConfig:
    """The job's configuration from the Scrapy settings (with the command line's -s applied)."""
    report_dir = settings.get("CRAWLER_REPORT_DIR")
    sources_path = settings.get("CRAWLER_SOURCES_PATH")
    return JobConfig(
        db_path=db_path,
        sources_path=Path(sources_path) if sources_path else None,
        report_dir=Path(report_dir) if report_dir else None,
        crawl_settings=crawl_settings,
        spider_timeout=settings.getfloat("CRAWLER_JOB_SPIDER_TIMEOUT") or None,
        notify_command=settings.get("CRAWLER_NOTIFY_COMMAND") or None,
        notify_url=settings.get("CRAWLER_NOTIFY_URL") or None,
        private_allowed=tuple(private_allowance(settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE"))),
    )
