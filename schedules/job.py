"""The crawl job: every source (or some), `scrapy crawl` subprocesses side by side, one run.

The Twisted reactor cannot restart, so each spider runs in its own process; one process
failing does not stop the others. Up to CRAWLER_JOB_PARALLEL of them run at once, never two on
one host (schedules/side_by_side.py). All write under one run id (CRAWLER_RUN_ID); the job
then judges every source from the archive, writes the run report and notifies.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from scrapy.settings import Settings

from crawler.items import now_iso
from crawler.lifeline import PARENT_ENV
from crawler.netguard import private_allowance
from crawler.progress import Progress
from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from crawler.setting_values import parse_dict
from schedules.report import notify, report_stem, should_notify, write_report
from schedules.side_by_side import (
    host_key,
    job_parallel,
    kill_group,
    longest_first,
    run_side_by_side,
    workers_per_crawl,
)
from spiders.sources import BUNDLED_SOURCES, SPIDERS, Source, load_sources
from storage.db import open_db
from storage.lock import ArchiveLock
from storage.runs import (
    abort_unfinished_runs,
    close_run,
    last_crawl_seconds,
    record_exit,
    run_report,
    source_counts,
    start_run,
)

logger = logging.getLogger(__name__)


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
    parallel: int = 1  # crawl processes at once (CRAWLER_JOB_PARALLEL, resolved)
    extract_workers: int = 0  # CRAWLER_EXTRACT_WORKERS of one crawl process run alone
    notify_command: str | None = None
    notify_url: str | None = None
    private_allowed: tuple[str, ...] = ()  # CRAWLER_NETGUARD_ALLOWED_PRIVATE: may the sources file name them
    origin_map: dict[str, str] = field(default_factory=dict)  # CRAWLER_ORIGIN_MAP: where crawls really go

    @property
    def reports(self) -> Path:
        return self.report_dir or self.db_path.parent / "reports"


@dataclass(frozen=True)
class Crawl:
    """One crawl process: a spider, the sources it will crawl and their hosts (no two processes share one)."""

    spider: str
    sources: tuple[str, ...]
    args: dict[str, str]
    hosts: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def label(self) -> str:
        """What its log lines and progress say: the spider, or the spider and its named sources."""
        return f"{self.spider}:{'+'.join(self.sources)}" if self.args.get("source") else self.spider


@dataclass(frozen=True)
class JobResult:
    run_id: int
    outcome: str  # ok | failed | aborted
    report_path: Path
    failures: tuple[str, ...] = ()  # why it is not ok: the run's reasons, then each source's


class Stop:
    """A stop request (SIGTERM, Ctrl-C) for the job, passed on to every running crawl process.

    The first request asks the crawls to finish the pages in flight (SIGTERM, which Scrapy takes
    as a graceful stop); a second one, or STOP_GRACE_SECONDS without an end, kills each crawl's
    whole process group (the crawl process and its extraction workers) at once.
    """

    def __init__(self, announce: bool = False) -> None:
        self.event = threading.Event()
        self.processes: list[subprocess.Popen] = []  # the running crawl processes
        self.signum: int | None = None
        self.requests = 0
        self.announce = announce  # say so on stderr (an interactive `partnerwatch crawl`)

    def request(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        self.requests += 1
        self.signum = self.signum or signum
        self.event.set()
        if self.requests == 1:
            if self.announce:
                print("stopping after the pages in flight… (press Ctrl-C again to stop at once)",  # noqa: T201 (for the terminal)
                      file=sys.stderr, flush=True)
            self.signal_crawls(signal.SIGTERM)
        else:
            self.kill_crawls()

    def signal_crawls(self, sig: int) -> None:
        for process in list(self.processes):
            if process.poll() is None:
                process.send_signal(sig)

    def kill_crawls(self) -> None:
        """SIGKILL every crawl's process group (each runs in a session of its own)."""
        for process in list(self.processes):
            kill_group(process)

    @property
    def reason(self) -> str:
        name = signal.Signals(self.signum).name if self.signum else "a stop request"
        return f"stopped by {name}"

    def is_set(self) -> bool:
        return self.event.is_set()


def plan_crawls(sources: list[Source], selected: list[str]) -> list[Crawl]:
    """One process per spider, with all its chosen sources (`-a source=a,b` when not all of them):
    a process per named source would start Scrapy, the archive and the workers once per source,
    which on small sites is most of a night. Politeness is per host inside a process, and the job
    never runs two processes on one host (schedules/side_by_side.py)."""
    names = {s.name for s in sources}
    if unknown := [name for name in selected if name not in names]:
        raise UnknownSource(f"no such source: {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    crawls = []
    for spider in SPIDERS:
        own = [s for s in sources if s.spider == spider]
        chosen = [s for s in own if not selected or s.name in selected]
        if not chosen:
            continue
        arguments = {} if len(chosen) == len(own) else {"source": ",".join(s.name for s in chosen)}
        crawls.append(Crawl(spider, tuple(s.name for s in chosen), arguments, _hosts(chosen)))
    return crawls


def _hosts(sources: list[Source]) -> frozenset[str]:
    return frozenset(host_key(host) for source in sources for host in source.allowed_hosts)


def run_job(config: JobConfig, selected: list[str], *, trigger: str, run_date: str | None = None,
            progress: Progress | None = None, stop: Stop | None = None,
            lock: ArchiveLock | None = None) -> JobResult:
    """Crawl `selected` sources (all when empty) as one run; the caller holds the job lock."""
    sources, errors = load_sources(config.sources_path or BUNDLED_SOURCES, config.private_allowed)
    if config.origin_map:  # the hosts the crawls will really reach (the replica's ports, a staging copy)
        sources = [source.rebased(config.origin_map) for source in sources]
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
        parallel = max(1, min(config.parallel, len(crawls)))
        workers = workers_per_crawl(config.extract_workers, parallel)
        if parallel > 1:  # one at a time, the order changes nothing: the plan's stays
            crawls = longest_first(crawls, last_crawl_seconds(db))

        started: dict[int, tuple[str, float]] = {}  # id(crawl): Crawl holds a dict, so no hash
        processes = []  # for the report: which process crawled what, when, how long

        def launch(crawl: Crawl) -> subprocess.Popen:
            progress.started(crawl.spider, crawl.sources)
            started[id(crawl)] = (now_iso(), time.monotonic())
            return _launch(crawl, config, run_id, log_path, workers, lock)

        def show(running: list[Crawl]) -> None:
            progress.update([(c.label, c.sources) for c in running], source_counts(db, run_id))

        for crawl, code in run_side_by_side(crawls, launch, parallel=parallel, stop=stop,
                                            timeout=config.spider_timeout, on_progress=show):
            record_exit(db, run_id, spider=crawl.spider, sources=list(crawl.sources), exit_code=code)
            processes.append({"label": crawl.label, "sources": list(crawl.sources), "exit_code": code,
                              "started_at": started[id(crawl)][0], "finished_at": now_iso(),
                              "seconds": round(time.monotonic() - started[id(crawl)][1], 3)})
            progress.finished(crawl.spider, crawl.sources, source_counts(db, run_id), code)
        if stop.is_set():
            failures.append(stop.reason)
        outcome = close_run(db, run_id, finished_at=now_iso(), failures=failures,
                            outcome="aborted" if stop.is_set() else None)
        report = run_report(db, run_id)
        report["log_path"] = str(log_path)
        report["processes"] = processes
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


def _launch(crawl: Crawl, config: JobConfig, run_id: int, log_path: Path, workers: int,
            lock: ArchiveLock | None) -> subprocess.Popen:
    """Start one crawl process, its output appended to the run's log, each line tagged with its crawl."""
    tag = crawl.label.replace("%", "%%")
    settings = {"LOG_FORMAT": f"%(asctime)s {tag} [%(name)s] %(levelname)s: %(message)s",
                **config.crawl_settings, "CRAWLER_STORAGE_PATH": str(config.db_path.resolve()),
                "CRAWLER_RUN_ID": str(run_id)}
    if config.extract_workers > 0:  # bounded by the cores shared with the other crawls
        settings["CRAWLER_EXTRACT_WORKERS"] = str(workers)
    if config.sources_path:
        settings["CRAWLER_SOURCES_PATH"] = str(config.sources_path.resolve())
    command = crawl_command(crawl.spider, crawl.args, **settings)
    # the crawl holds the job's archive lock through the inherited descriptor, and ends if the job dies
    env = {**crawl_env(), PARENT_ENV: str(os.getpid()), **(lock.child_env() if lock else {})}
    pass_fds: tuple[int, ...] = ()
    if lock:
        assert lock.fd is not None  # the job holds its lock until every crawl has ended
        pass_fds = (lock.fd,)
    with open(log_path, "ab") as log:  # O_APPEND: lines of processes side by side do not overwrite
        return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, pass_fds=pass_fds,
                                start_new_session=True)  # Ctrl-C reaches it once, through Stop


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
        parallel=job_parallel(settings.getint("CRAWLER_JOB_PARALLEL")),
        extract_workers=settings.getint("CRAWLER_EXTRACT_WORKERS"),
        origin_map=parse_dict(settings.get("CRAWLER_ORIGIN_MAP")),
        notify_command=settings.get("CRAWLER_NOTIFY_COMMAND") or None,
        notify_url=settings.get("CRAWLER_NOTIFY_URL") or None,
        private_allowed=tuple(private_allowance(settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE"))),
    )
