"""The `partnerwatch` command line."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.archive_commands import COMMANDS as ARCHIVE_COMMANDS
from crawler.archive_commands import KIND_LABELS
from crawler.cli_errors import UserError, open_archive
from crawler.replica.content import STATES
from crawler.runner import crawl_command, crawl_env
from partnerwatch.night_commands import COMMANDS as NIGHT_COMMANDS
from schedules.job import JobConfig, UnknownSource
from spiders.sources import BUNDLED_SOURCES, SPIDERS, SourcesFileError, load_sources
from storage.db import open_db
from storage.lock import ArchiveLock, ArchiveLocked, lock_path_for
from storage.report import articles_per_source, newest_articles


class Commands(click.Group):
    """The commands, with errors in the files a user hands them reported in one line (exit 2)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SourcesFileError as error:
            raise UserError(str(error)) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="partnerwatch", prog_name="partnerwatch")
def main() -> None:
    """partnerwatch: a change-monitoring news crawler for municipal development policy."""


@main.command()
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--state", default="v1", show_default=True, type=click.Choice(STATES), help="Replica state to crawl.")
def demo(db_path: str, state: str) -> None:
    """Serve the offline replica on 127.0.0.1, crawl it with every spider, print a summary and what changed.

    Articles are archived under the real sites' URLs, whichever ports the replica gets: run it
    again and nothing is added; run it with `--state v2` and exactly the edits of v2 appear.
    """
    from crawler.replica import Replica

    first_run = _last_run_id(db_path) + 1
    with Replica(state=state) as replica:
        click.echo(f"replica ({state}) serving {len(replica.urls)} sites on 127.0.0.1; crawling {', '.join(SPIDERS)} …")
        # The spiders run side by side: the archive takes concurrent writers (BEGIN IMMEDIATE).
        # Short delays suit a local replica; berlin's own delay and its 429 limit stay on.
        crawls = {
            spider: subprocess.Popen(
                crawl_command(spider, CRAWLER_STORAGE_PATH=Path(db_path).resolve(), DOWNLOAD_DELAY=0.1,
                              AUTOTHROTTLE_ENABLED=False, CRAWLER_ORIGIN_MAP=replica.origin_map(),
                              # the replica runs on loopback, which the net guard refuses otherwise
                              CRAWLER_NETGUARD_ALLOWED_PRIVATE=[urlsplit(u).netloc for u in replica.urls.values()],
                              LOG_LEVEL="WARNING"),
                env=crawl_env(),
            )
            for spider in SPIDERS
        }
        failed = _wait_with_progress(crawls, db_path, first_run)
    _print_summary(db_path)
    partnerwatch = Path(sys.executable).parent / "partnerwatch"
    _print_demo_changes(db_path, first_run, state, partnerwatch)
    click.echo(f"\nBrowse it with Datasette: {partnerwatch} serve --db {db_path}   (http://127.0.0.1:8001)")
    if failed:
        raise click.ClickException(f"crawl failed: {', '.join(failed)}")


@main.command()
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--limit", default=10, show_default=True)
def summary(db_path: str, limit: int) -> None:
    """Articles per source and the newest titles."""
    open_archive(db_path).close()
    _print_summary(db_path, limit)


def _last_run_id(db_path: str) -> int:
    if not Path(db_path).exists():
        return 0
    db = open_db(db_path)
    (last,) = db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()
    db.close()
    return last


def _print_demo_changes(db_path: str, first_run: int, state: str, partnerwatch: Path) -> None:
    """What this demo crawl added to the archive, and how to see the product at work."""
    from storage.changes import UnknownCutoff, changes_since, parse_since

    db = open_db(db_path)
    try:
        report = changes_since(db, parse_since(db, str(first_run)))
    except UnknownCutoff:
        report = {}  # no crawl recorded a run
    finally:
        db.close()
    counts = Counter(kind for kinds in report.values() for kind, rows in kinds.items() for _ in rows)
    if counts:
        added = [f"{counts[kind]} {label}" for kind, label in KIND_LABELS.items() if counts[kind]]
        click.echo("\nThis crawl: " + ", ".join(added))
    else:
        click.echo("\nThis crawl: nothing new or changed; the archive already holds this state of the sites")
    click.echo(f"Per article: {partnerwatch} changes --db {db_path} --since {first_run}")
    if state == "v1":
        click.echo(f"The same sites months later (new, edited, removed articles): "
                   f"{partnerwatch} demo --db {db_path} --state v2")


def _wait_with_progress(crawls: dict[str, subprocess.Popen], db_path: str, first_run: int,
                        every: float = 3.0) -> list[str]:
    """Wait for the crawl processes, saying every few seconds how far they got; the failed ones."""
    started = time.monotonic()
    while any(process.poll() is None for process in crawls.values()):
        try:
            next(process for process in crawls.values() if process.poll() is None).wait(timeout=every)
        except subprocess.TimeoutExpired:
            click.echo(f"  … {_fetched_since(db_path, first_run)} pages fetched "
                       f"({time.monotonic() - started:.0f} s)")
    click.echo(f"crawled in {time.monotonic() - started:.0f} s: {_fetched_since(db_path, first_run)} pages fetched")
    return [spider for spider, process in crawls.items() if process.returncode != 0]


def _fetched_since(db_path: str, first_run: int) -> int:
    """Article fetches recorded since run `first_run` (0 while the archive is still being created)."""
    if not Path(db_path).exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, timeout=1)) as db:
            return db.execute("SELECT count(*) FROM fetches WHERE run_id >= ?", [first_run]).fetchone()[0]
    except sqlite3.Error:  # created but not yet migrated: nothing fetched yet
        return 0


def _print_summary(db_path: str, limit: int = 10) -> None:
    db = open_db(db_path)
    click.echo("\nArticles per source:")
    for row in articles_per_source(db):
        click.echo(f"  {row['source']:<28} {row['articles']:>5}  ({row['with_updates']} updated)")
    click.echo("\nNewest:")
    for row in newest_articles(db, limit):
        click.echo(f"  {row['published_at'] or 'undated':<10}  {row['language']:<7}  {row['source']:<24}  "
                   f"{row['title']}")
    db.close()


_db_option = click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
                          help="The archive [default: CRAWLER_STORAGE_PATH].")
_sources_option = click.option("--sources", "sources_path", default=None, type=click.Path(exists=True, dir_okay=False),
                               help="Another sources file [default: CRAWLER_SOURCES_PATH or the bundled one].")
_settings_option = click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
                                help="A setting, for the job and every crawl process (repeatable).")


@main.command()
@click.argument("sources", nargs=-1)
@_db_option
@_sources_option
@_settings_option
@click.option("--replica", "replica_url", default=None, metavar="URL",
              help="Crawl a replica served by `python -m crawler.replica serve` (any of its URLs) "
                   "instead of the real sites; articles keep the real sites' URLs.")
def crawl(sources: tuple[str, ...], db_path: str | None, sources_path: str | None, overrides: tuple[str, ...],
          replica_url: str | None) -> None:
    """Run the crawl job once, now: every source, or only SOURCES. Exits 1 when the run failed."""
    from schedules.commands import crawl_now, load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    origin_map = None
    if replica_url:
        from crawler.replica.remote import ReplicaUnreachable, replica_crawl_settings

        try:
            origin_map, replica_settings = replica_crawl_settings(replica_url)
        except ReplicaUnreachable as error:
            raise UserError(str(error)) from None
        overrides = (*replica_settings, *overrides)
    _, config = load_settings(db_path, sources_path, overrides)
    if origin_map and not sources:
        # the sources the replica serves; the others would fail as never reported, not be crawled
        sources = tuple(_sources_covered(config, origin_map))
    try:
        sys.exit(crawl_now(config, list(sources)))
    except UnknownSource as error:
        raise click.UsageError(str(error)) from None


def _sources_covered(config: JobConfig, origin_map: dict[str, str]) -> list[str]:
    sources, _ = load_sources(config.sources_path or BUNDLED_SOURCES, config.private_allowed)
    return [source.name for source in sources if source.is_covered_by(origin_map)]


@main.command()
@_db_option
@_sources_option
@_settings_option
def schedule(db_path: str | None, sources_path: str | None, overrides: tuple[str, ...]) -> None:
    """Run the nightly scheduler in the foreground (CRAWLER_SCHEDULE_TIME, CRAWLER_SCHEDULE_TIMEZONE)."""
    from schedules.commands import load_settings, serve_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, config = load_settings(db_path, sources_path, overrides)
    serve_schedule(settings, config)


@main.command()
@_db_option
@_sources_option
@click.option("--runs", "per_source", default=3, show_default=True, help="Runs shown per source.")
@click.option("--stale-days", type=int, default=None, help="[default: CRAWLER_STATUS_STALE_DAYS]")
def status(db_path: str | None, sources_path: str | None, per_source: int, stale_days: int | None) -> None:
    """The last runs of every source, their outcomes and counts, and stale sources (exit 1 if any)."""
    from schedules.commands import load_settings, print_status

    settings, config = load_settings(db_path, sources_path, ())
    days = stale_days if stale_days is not None else settings.getint("CRAWLER_STATUS_STALE_DAYS")
    from crawler.adaptive_revisits import revisit_night

    sys.exit(print_status(config.db_path, config.sources_path, per_source, days, revisit_night(settings)))


@main.command()
@_db_option
@click.option("--source", default=None, help="Only this source.")
@_settings_option
def reextract(db_path: str | None, source: str | None, overrides: tuple[str, ...]) -> None:
    """Extract every stored article again from its raw page, fetching nothing; print what changed per source."""
    from crawler.reextract import print_report, reextract_archive
    from schedules.commands import load_settings

    settings, config = load_settings(db_path, None, overrides)  # as a crawl reads them
    if not Path(config.db_path).is_file():
        raise UserError(f"no archive at {config.db_path}")
    try:
        with ArchiveLock(lock_path_for(Path(config.db_path))):  # it rewrites versions: no crawl beside it
            run_id, reports = reextract_archive(config.db_path, source, settings)
    except ArchiveLocked as error:
        raise click.ClickException(f"{error}: not re-extracting while it crawls") from None
    click.echo(f"run {run_id}: re-extracted from stored raw pages, nothing fetched")
    print_report(reports, click.echo)


for _command in (*ARCHIVE_COMMANDS, *NIGHT_COMMANDS):  # changes, diff, export, serve; enqueue, worker, writer
    main.add_command(_command)
