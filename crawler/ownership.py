"""The crawl process's claim on its archive: the archive lock, and an end with its job.

An extension, so it runs before any pipeline opens the archive: a crawl started by a job holds
the job's lock through the descriptor it inherited (storage/lock.py); a `scrapy crawl` run by
hand takes the lock shared, so it never writes beside a job but may beside another hand-run
crawl. A crawl process also ends when its job dies (crawler/lifeline.py).
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.lifeline import die_with_job
from storage.lock import ArchiveLock, inherited_lock, lock_path_for

logger = logging.getLogger(__name__)


class ArchiveOwnership:
    """Hold the archive's lock for the life of the crawl process (ArchiveLocked if a job holds it)."""

    def __init__(self, lock: ArchiveLock | None) -> None:
        self.lock = lock  # None: inherited from the job, which releases it

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        die_with_job()
        if not crawler.settings.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("CRAWLER_STORAGE_ENABLED is off: no archive to hold")
        db_path = Path(crawler.settings["CRAWLER_STORAGE_PATH"]).resolve()
        if inherited_lock(db_path) is not None:
            return cls(None)
        lock = ArchiveLock(lock_path_for(db_path), shared=True).__enter__()
        # released when the process ends, by the kernel at the latest; at exit the last holder
        # also removes the file (every write is done by then)
        atexit.register(lock.__exit__, None, None, None)
        logger.debug("holding %s (shared)", lock.path)
        return cls(lock)
