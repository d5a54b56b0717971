"""One crawl job at a time per archive, across processes: an OS file lock.

APScheduler's `max_instances` only counts jobs inside one scheduler; two scheduler processes
on one archive ran the nightly job twice, at the same time (reliability.md finding 12).
`flock` is released by the kernel when the holder dies, so a killed job never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class JobLocked(RuntimeError):
    """Another process holds the job lock of this archive."""


class JobLock:
    """Exclusive, non-blocking lock on `path`; raises JobLocked when another process holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> JobLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JobLocked(f"{self.path} is held by another crawl job") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people: who holds it
        self.fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def lock_path_for(db_path: Path) -> Path:
    """The job lock of an archive: next to it, so every process using that archive finds it."""
    return db_path.with_name(db_path.name + ".lock")
