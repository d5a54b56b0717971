"""Child processes that cannot outlive their parent: no orphan crawl, no orphan extraction worker.

A crawl process started by a job, and the extraction workers a crawl process forks, ask the
kernel for a signal when their parent dies (Linux `PR_SET_PDEATHSIG`): a job killed with
SIGKILL no longer leaves its crawl writing the archive, nor a killed crawl its workers holding
146 MB each under PPID 1. The parent may already be gone when the child asks; then the child's
parent is no longer the one it was started by, and it leaves at once.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

logger = logging.getLogger(__name__)

PARENT_ENV = "PARTNERWATCH_PARENT_PID"  # set by a job on its crawl processes
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> bool:
    """Have the kernel send `sig` to this process when `parent_pid` exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        return False
    if os.getppid() != parent_pid:  # the parent died before the request was in place
        os.kill(os.getpid(), sig)
    return True


def die_with_job(grace: float = 8.0) -> None:
    """In a crawl process started by a job (PARTNERWATCH_PARENT_PID): SIGTERM when the job dies,
    which Scrapy takes as a graceful stop; and if that stop takes longer than `grace` seconds (a
    page hanging in flight), exit anyway. Each stored item is a transaction of its own, so an exit
    mid-crawl leaves the archive consistent; the job's next run aborts the orphaned run."""
    value = os.environ.get(PARENT_ENV, "")
    if not value.isdigit():
        return
    parent = int(value)
    die_with_parent(parent, signal.SIGTERM)
    threading.Thread(target=_exit_when_orphaned, args=(parent, grace), daemon=True,
                     name="lifeline").start()


def _exit_when_orphaned(parent: int, grace: float) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    logger.warning("the crawl job (pid %d) is gone: stopping, at the latest in %.0f s", parent, grace)
    time.sleep(grace)
    os._exit(128 + signal.SIGTERM)


def die_with_crawl(crawl_pid: int) -> None:
    """Extraction worker initializer: SIGKILL when the crawl process dies (a worker holds nothing)."""
    die_with_parent(crawl_pid, signal.SIGKILL)
