"""`partnerwatch enqueue`, `worker` and `writer`: one night crawled by many machines through Redis.

docs/many-machines.md. `redis` and scrapy-redis are imported only here and below: a one-machine
crawl runs without either.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from crawler.runner import crawl_command, crawl_env
from spiders.sources import SPIDERS

_redis_option = click.option("--redis", "redis_url", required=True, metavar="URL",
                             help="The night's Redis, e.g. redis://10.0.0.5:6379/0 (REDIS_URL).")
_settings_option = click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
                                help="A setting for the crawl processes (repeatable).")
_sources_option = click.option("--sources", "sources_path", default=None, type=click.Path(exists=True, dir_okay=False),
                               help="Another sources file [default: CRAWLER_SOURCES_PATH or the bundled one].")
_ADDON = {"crawler.redis_worker.RedisWorker": 0}


@contextmanager
def _night_errors(redis_url: str) -> Iterator[None]:
    """Redis unreachable, or no night in it: one line naming what to do, not a traceback."""
    from redis.exceptions import ConnectionError as RedisUnreachable

    from crawler.redis_night import NightMissing

    try:
        yield
    except RedisUnreachable as error:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {error}") from None
    except NightMissing as error:
        raise click.ClickException(str(error)) from None


def _crawls(spiders: tuple[str, ...], redis_url: str, shard: int | None, sources_path: str | None,
            overrides: tuple[str, ...]) -> int:
    """Run a crawl process per spider side by side with the worker add-on (`shard` None: enqueue's
    crawl, which only queues); the worst exit code."""
    settings: dict[str, Any] = {"ADDONS": _ADDON, "REDIS_URL": redis_url}
    settings |= {"CRAWLER_REDIS_SEED": True} if shard is None else {"CRAWLER_REDIS_SHARD": shard}
    if sources_path:
        settings["CRAWLER_SOURCES_PATH"] = str(Path(sources_path).resolve())
    command_tail = [arg for pair in overrides for arg in ("-s", pair)]
    processes = [subprocess.Popen([*crawl_command(spider, None, **settings), *command_tail], env=crawl_env())
                 for spider in spiders]
    return max((process.wait() for process in processes), default=0)


@click.command()
@_redis_option
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive: its known articles' validators go to Redis, the run is opened in it.")
@click.option("--shards", default=1, show_default=True, type=click.IntRange(min=1),
              help="How many workers (shards 0..N-1) will crawl the night.")
@click.option("--prefix", default="partnerwatch", show_default=True, help="The night's Redis key prefix.")
@_sources_option
@_settings_option
@click.argument("spiders", nargs=-1, type=click.Choice(SPIDERS))
def enqueue(redis_url: str, db_path: str, shards: int, prefix: str, sources_path: str | None,
            overrides: tuple[str, ...], spiders: tuple[str, ...]) -> None:
    """Seed a night: open its run, copy the known articles' validators, queue every start request."""
    from crawler.redis_night import Keys, Night, connect
    from crawler.redis_seed import open_night

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keys = Keys(prefix)
    spiders = spiders or tuple(SPIDERS)
    with _night_errors(redis_url), _owning(db_path):  # opening the run writes the archive: not beside a job or a writer
        run_id = open_night(connect(redis_url), keys, Path(db_path), spiders, shards)
    code = _crawls(spiders, redis_url, None, sources_path, (*overrides, f"CRAWLER_REDIS_PREFIX={prefix}",
                                                          "CRAWLER_EXTRACT_WORKERS=0"))
    if code:
        raise click.ClickException(f"queueing the start requests failed (exit {code})")
    with _night_errors(redis_url):
        night = Night.load(connect(redis_url), keys)
    click.echo(json.dumps({"run_id": run_id, "shards": shards, "spiders": list(spiders),
                           "sources": {spider: len(listed) for spider, listed in night.sources.items()}}))


@click.command()
@_redis_option
@click.option("--shard", default=0, show_default=True, type=click.IntRange(min=0),
              help="This worker's shard: it fetches the hosts whose hash modulo the night's shards is this.")
@click.option("--prefix", default="partnerwatch", show_default=True, help="The night's Redis key prefix.")
@_sources_option
@_settings_option
@click.argument("spiders", nargs=-1, type=click.Choice(SPIDERS))
def worker(redis_url: str, shard: int, prefix: str, sources_path: str | None, overrides: tuple[str, ...],
           spiders: tuple[str, ...]) -> None:
    """Crawl the night's requests of one shard; hand every item to the writer through Redis."""
    from crawler.redis_night import Keys, Night, connect

    with _night_errors(redis_url):
        night = Night.load(connect(redis_url), Keys(prefix))
    if shard >= night.shards:
        raise click.UsageError(f"--shard {shard}: the night has shards 0..{night.shards - 1}")
    code = _crawls(spiders or night.spiders, redis_url, shard, sources_path,
                   (*overrides, f"CRAWLER_REDIS_PREFIX={prefix}"))
    sys.exit(code)


@click.command()
@_redis_option
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--prefix", default="partnerwatch", show_default=True, help="The night's Redis key prefix.")
@_settings_option
def writer(redis_url: str, db_path: str, prefix: str, overrides: tuple[str, ...]) -> None:
    """Store the night's items into the archive, the only process writing it, until the night closes."""
    from crawler.archive_pipeline import writer_config
    from crawler.redis_night import Keys, connect
    from crawler.redis_writer import NightWriter, WriterStopped
    from schedules.commands import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, _ = load_settings(db_path, None, (*overrides, f"CRAWLER_STORAGE_PATH={db_path}"))
    try:
        with _night_errors(redis_url), _owning(db_path):  # the only writer: no job, crawl or second writer beside it
            NightWriter(connect(redis_url), Keys(prefix), writer_config(settings)).run()
    except WriterStopped as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def _owning(db_path: str) -> Iterator[None]:
    """The archive's lock, exclusive, as a crawl job holds it (storage/lock.py)."""
    from storage.lock import ArchiveLock, ArchiveLocked, lock_path_for

    try:
        with ArchiveLock(lock_path_for(Path(db_path).resolve())):
            yield
    except ArchiveLocked as error:
        raise click.ClickException(f"{error}: another process writes {db_path}") from None


COMMANDS = (enqueue, worker, writer)
