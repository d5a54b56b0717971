"""A job's crawl processes side by side: at most N at once, never two on one host.

A night used to be the *sum* of its crawl processes, each bound by its sites' politeness, not by
the machine. Politeness (download delay, AutoThrottle, Crawl-delay, Retry-After) is kept by each
crawl process's downloader, per host; it stays per host only while no two processes fetch from
one host at once. So a crawl waits while a running crawl holds any of its hosts, and starts as
soon as a slot and its hosts are free.

The cores bound the rest: every crawl process forks CRAWLER_EXTRACT_WORKERS extraction workers,
so CRAWLER_JOB_PARALLEL processes (default: the cores) share the cores between their workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T", bound="Planned")

TICK_SECONDS = 0.2  # how soon an ended crawl frees its slot
PROGRESS_SECONDS = 1.0
TERMINATE_GRACE_SECONDS = 60  # Scrapy closes cleanly on SIGTERM; then its process group is killed
# after a stop request the crawls get this long to store what they have; then their process
# groups are killed (the archive stays consistent: each item is one transaction)
STOP_GRACE_SECONDS = 8.0


class Planned(Protocol):
    @property
    def hosts(self) -> frozenset[str]: ...

    @property
    def sources(self) -> tuple[str, ...]: ...

    @property
    def label(self) -> str: ...


class Stoppable(Protocol):
    processes: list[subprocess.Popen]

    def is_set(self) -> bool: ...

    def kill_crawls(self) -> None: ...


def host_key(host: str) -> str:
    """www.example.de and example.de are one server, so one politeness budget."""
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def job_parallel(setting: int, cores: int | None = None) -> int:
    """CRAWLER_JOB_PARALLEL, 0 meaning one crawl process per core."""
    return setting if setting > 0 else max(1, cores or os.cpu_count() or 1)


def workers_per_crawl(configured: int, at_once: int, cores: int | None = None) -> int:
    """Extraction workers for each of `at_once` crawl processes, so that together they fit the cores.

    Two crawl processes forking two workers each on two cores would make four extractors fight
    for two cores and each night slower; one each keeps extraction off the downloading thread.
    A process running alone, and `configured` 0 (extract inside the crawl process), keep the setting.
    """
    if configured <= 0 or at_once <= 1:
        return configured
    return max(1, min(configured, (cores or os.cpu_count() or 1) // max(1, at_once)))


def longest_first(crawls: Sequence[T], last_seconds: dict[str, float]) -> list[T]:
    """The crawls expected to take longest first, so that none of them starts last and ends the night late.

    A crawl is expected to last as long as the slowest of its sources did the last time (a
    process crawls its hosts side by side); a source never crawled counts as 0, and among equals
    the crawl with more sources goes first. The classic longest-processing-time-first rule.
    """
    def expected(crawl: T) -> tuple[float, int]:
        return max((last_seconds.get(name, 0.0) for name in crawl.sources), default=0.0), len(crawl.sources)

    return sorted(crawls, key=expected, reverse=True)  # stable: the plan's order among equals


@dataclass
class _Running(Generic[T]):
    crawl: T
    process: subprocess.Popen
    started: float
    terminated_at: float | None = None  # when it was asked to stop for running too long


def run_side_by_side(crawls: Sequence[T], launch: Callable[[T], subprocess.Popen], *,
                     parallel: int, stop: Stoppable, timeout: float | None = None,
                     on_progress: Callable[[list[T]], None] = lambda running: None
                     ) -> Iterator[tuple[T, int]]:
    """Start `crawls` (in order, as slots and hosts free up); yield each with its exit status as it ends.

    A crawl that runs longer than `timeout` seconds is stopped (SIGTERM, then its process group
    is killed) and fails with it. After a stop request no crawl starts; the running ones are
    killed STOP_GRACE_SECONDS later unless they ended by then.
    """
    pending: list[T] = list(crawls)
    running: list[_Running[T]] = []
    stop_seen: float | None = None
    shown = 0.0
    while pending or running:
        now = time.monotonic()
        if stop.is_set():
            pending.clear()
            stop_seen = stop_seen or now
            if running and now - stop_seen >= STOP_GRACE_SECONDS:
                logger.warning("%s did not stop within %.0f s: killing it",
                               ", ".join(r.crawl.label for r in running), STOP_GRACE_SECONDS)
                stop.kill_crawls()
                stop_seen = float("inf")  # killed once; now wait for them to be reaped
        busy = {h for r in running for h in r.crawl.hosts}
        for crawl in list(pending):
            if len(running) >= parallel or stop.is_set():  # a stop may come in while one starts
                break
            if crawl.hosts & busy:
                continue  # another process is on one of its hosts: politeness is per process
            pending.remove(crawl)
            process = launch(crawl)
            stop.processes.append(process)
            running.append(_Running(crawl, process, now))
            busy |= crawl.hosts
        for job in list(running):
            code = job.process.poll()
            if code is not None:
                running.remove(job)
                stop.processes.remove(job.process)
                yield job.crawl, (code or 1) if job.terminated_at is not None else code
            elif timeout and job.terminated_at is None and now - job.started >= timeout:
                logger.error("%s ran longer than %s s: stopping it", job.crawl.label, timeout)
                job.process.send_signal(signal.SIGTERM)
                job.terminated_at = now
            elif job.terminated_at is not None and now - job.terminated_at >= TERMINATE_GRACE_SECONDS:
                kill_group(job.process)
        if running and now - shown >= PROGRESS_SECONDS:
            on_progress([r.crawl for r in running])
            shown = now
        if running:
            time.sleep(TICK_SECONDS)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a crawl's process group (it runs in a session of its own, with its workers)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
