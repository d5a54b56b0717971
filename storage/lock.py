"""Who may write an archive: an OS file lock beside it, and which process owns a run.

APScheduler's `max_instances` only counts jobs inside one scheduler; two scheduler processes on
one archive ran the nightly job twice, at the same time (reliability.md finding 12). `flock` is
released by the kernel when every holder is gone, so a killed job never blocks the next.

* A crawl job, the demo and `reextract` hold it exclusively. Their crawl processes inherit the
  job's locked file (its descriptor number in PARTNERWATCH_ARCHIVE_LOCK_FD), so the lock lives as
  long as any of them: a job killed while its crawl process goes on still blocks a second job.
* A `scrapy crawl` run by hand holds it shared: several may write one archive side by side (SQLite
  takes concurrent writers), but not while a job holds it, nor a job while they do.
* A run row names its owning process (pid and start time, since pids are reused):
  `is_process_alive` tells a run left `running` by a dead process from a live one.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_FD_ENV = "PARTNERWATCH_ARCHIVE_LOCK_FD"


class ArchiveLocked(RuntimeError):
    """Another process holds the archive's lock."""


class ArchiveLock:
    """Non-blocking lock on `path`, exclusive (a job) or shared (a crawl by hand)."""

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self.path = path
        self.shared = shared
        self.fd: int | None = None

    def __enter__(self) -> ArchiveLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = _read_holder(self.path)
                raise ArchiveLocked(f"{self.path} is held by another crawl job{holder}") from None
            if _is_current(fd, self.path):
                break
            os.close(fd)  # its last holder removed the file meanwhile: lock the one that is there now
        if not self.shared:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # for people: who holds it
        self.fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.fd is None:
            return
        try:
            # the last holder removes the file, so no command leaves a stale-looking lock behind;
            # one that opened it meanwhile finds it gone after its flock and opens a new one
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _is_current(self.fd, self.path):
                self.path.unlink(missing_ok=True)
        except BlockingIOError:
            pass  # another shared holder still writes: the file stays
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def child_env(self) -> dict[str, str]:
        """Environment that tells a child process it holds this lock through the descriptor it inherits."""
        assert self.fd is not None
        return {LOCK_FD_ENV: str(self.fd)}


def lock_path_for(db_path: Path) -> Path:
    """The lock of an archive: next to it, so every process using that archive finds it."""
    return db_path.with_name(db_path.name + ".lock")


def inherited_lock(db_path: Path) -> int | None:
    """The descriptor of `db_path`'s lock this process inherited from its job, if it did."""
    value = os.environ.get(LOCK_FD_ENV, "")
    if not value.isdigit():
        return None
    try:
        held, wanted = os.fstat(int(value)), os.stat(lock_path_for(db_path))
    except OSError:
        return None
    return int(value) if (held.st_dev, held.st_ino) == (wanted.st_dev, wanted.st_ino) else None


def _is_current(fd: int, path: Path) -> bool:
    """Whether `fd` is the file now at `path` (not one its last holder removed)."""
    try:
        held, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino)


def _read_holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def process_identity(pid: int) -> str | None:
    """`pid:start` (the process start time in clock ticks since boot), None if no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name in parentheses may hold spaces: fields after it start at the last ")"
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"


def is_process_alive(identity: str | None) -> bool:
    """Whether the process named by `process_identity` still runs (same pid, same start time)."""
    if not identity:
        return False
    pid = identity.split(":", 1)[0]
    return pid.isdigit() and process_identity(int(pid)) == identity
