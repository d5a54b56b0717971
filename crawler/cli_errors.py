"""User errors of the command line: one line on stderr and exit status 2, never a traceback.

A command that reads the archive opens it with `open_archive`, which creates nothing: only
`crawl`, `demo` and `schedule` make a new archive, so a typo in --db is an error, not an
empty archive that reports "no changes".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlite_utils import Database

from storage.db import open_db


class UserError(click.ClickException):
    """Something the user can fix (a path, a name, a file): `Error: …` and exit 2."""

    exit_code = 2


def open_archive(path: str | Path) -> Database:
    """The existing archive at `path`, its schema brought up to date."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no archive at {path}")
    try:
        return open_db(path)
    except sqlite3.DatabaseError as error:  # not SQLite, damaged, unreadable, read-only and behind
        raise UserError(f"{path} is not a readable archive: {error}") from None


@contextmanager
def writing(target: str) -> Iterator[None]:
    """Turn a failed write to `target` (full disk, no permission) into a UserError."""
    try:
        yield
    except OSError as error:
        raise UserError(f"cannot write {target}: {error.strerror or error}") from None
