"""Opening the archive: WAL, a busy timeout, pending migrations, immediate write transactions."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import migrations

# a job's crawl processes write side by side: one's end of run (gone/unlinked judgement, a
# checkpoint) may hold the write lock for seconds, and a batch waiting behind it must not fail
BUSY_TIMEOUT_MS = 60_000


def open_db(path: str | Path, max_mb: float = 0) -> Database:
    """Open (or create) the archive at `path` and bring its schema up to date.

    `max_mb` > 0 caps the archive's size for this connection: a write past it fails as on a full
    disk (SQLITE_FULL), so a crawl never fills the disk other programs need.
    """
    db = Database(path)
    # first: two crawls opening a new archive at once must wait for each other, not fail
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # WAL lets Datasette read while a crawl writes; NORMAL is durable across
    # process crashes (reliability.md finding 10), only power loss may drop the last commit.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    if max_mb > 0:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        db.execute(f"PRAGMA max_page_count={int(max_mb * 1024 * 1024 // page_size)}")
    with write_transaction(db):  # one opener migrates; the others wait, then find nothing pending
        migrations.apply(db)
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One logical write as one transaction, taking the write lock up front.

    A deferred BEGIN (what `db.atomic()` issues) fails with "database is locked"
    when two writers read-then-write; BEGIN IMMEDIATE waits for the lock instead
    (reliability.md finding 9). Inside a `write_batch` it is a savepoint: it still
    stores all of its rows or none, and the batch commits them together.
    """
    conn: sqlite3.Connection = db.conn
    if conn.in_transaction:
        yield from _savepoint(conn, db)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.rollback()
        raise
    else:
        conn.execute("COMMIT")


def _savepoint(conn: sqlite3.Connection, db: Database) -> Iterator[Database]:
    conn.execute("SAVEPOINT write")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK TO write")
        conn.execute("RELEASE write")
        raise
    else:
        conn.execute("RELEASE write")


write_batch = write_transaction  # several writes, one commit: what the crawl's archive writer uses


def is_disk_full(error: BaseException | None) -> bool:
    """Whether a write failed because the archive's disk (or its size cap) is full.

    The error's chain is searched too: on SQLITE_FULL SQLite may roll the whole transaction back
    itself, and the savepoint's own rollback then fails with "no such savepoint" on top of it.
    """
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                                                 or "database or disk is full" in str(error)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False
