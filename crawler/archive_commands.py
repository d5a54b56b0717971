"""Commands that read the archive: `changes`, `diff`, `export`, `serve` (Datasette)."""

from __future__ import annotations

import json
import sys
import tempfile
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from crawler.cli_errors import UserError, open_archive, writing
from storage.changes import (
    STATUS_CHANGES,
    Cutoff,
    UnknownArticle,
    UnknownCutoff,
    changes_since,
    parse_since,
    render_diff,
    version_texts,
    word_diff,
)
from storage.export import export_rows, write_csv, write_jsonl
from storage.fts import SEARCH_SQL

METADATA = Path(__file__).with_name("datasette.yml")
DB_OPTION = click.option("--db", "db_path", default="archive.db", show_default=True,
                         type=click.Path(dir_okay=False), help="The archive (never created here).")
SINCE_OPTION = click.option("--since", default=None, metavar="RUN|DATE",
                            help="A run id (that run and later) or an ISO date/time (UTC). Default: everything.")
WRITERS = {"jsonl": write_jsonl, "csv": write_csv}
KIND_LABELS = {"new": "new", "changed": "changed", "back": "back", "missing": "missing", "gone": "gone",
               "unlinked": "no longer linked"}


def _cutoff(db: Any, since: str | None) -> Cutoff:
    try:
        return parse_since(db, since)
    except UnknownCutoff as error:
        raise click.BadParameter(str(error), param_hint="--since") from error


@click.command()
@DB_OPTION
@SINCE_OPTION
@click.option("--source", default=None, help="Only this source.")
def changes(db_path: str, since: str | None, source: str | None) -> None:
    """What is new, changed, back, missing (404/410), gone or no longer linked, per source."""
    db = open_archive(db_path)
    if source is not None and not db.execute("SELECT 1 FROM sources WHERE name = ?", [source]).fetchone():
        known = ", ".join(row[0] for row in db.execute("SELECT name FROM sources ORDER BY name"))
        raise UserError(f"no source {source!r} in {db_path} (sources: {known or 'none yet'})")
    report = changes_since(db, _cutoff(db, since), source)
    if not report:
        click.echo("no changes")
    for name in sorted(report):
        kinds = report[name]
        click.echo(f"{name}: " + ", ".join(f"{len(kinds[k])} {KIND_LABELS[k]}" for k in KIND_LABELS if k in kinds))
        for kind in KIND_LABELS:
            for row in kinds.get(kind, []):
                click.echo(f"  {kind:<8} {_change_note(kind, row):<14} "
                           f"{row['title'] or '(untitled)'}  {row['canonical_url']}")
    db.close()


def _change_note(kind: str, row: dict) -> str:
    if kind in STATUS_CHANGES:
        return row["flagged_at"][:10]
    if kind == "changed":
        note = "title/date" if row["change_kind"] == "metadata" else f"+{row['words_added']}/-{row['words_removed']}"
    else:
        note = f"v{row['version']}"
    # found or edited, and missing (or gone) since: say so on the same line
    return note if row["status"] in ("live", "unlinked") else f"{note} ({row['status']})"


@click.command()
@DB_OPTION
@click.argument("article")
@click.option("--from", "from_version", type=int, default=None, help="Older version (default: the one before --to).")
@click.option("--to", "to_version", type=int, default=None, help="Newer version (default: the current one).")
def diff(db_path: str, article: str, from_version: int | None, to_version: int | None) -> None:
    """Word-level diff of an article's main text: [-removed-] {+added+}. ARTICLE: its URL or id."""
    db = open_archive(db_path)
    try:
        old, new = version_texts(db, article, from_version, to_version)
    except UnknownArticle as error:
        raise UserError(str(error)) from None
    finally:
        db.close()
    click.echo(f"--- version {old['version']} ({old['fetched_at']}, {old['change_kind']})")
    click.echo(f"+++ version {new['version']} ({new['fetched_at']}, {new['change_kind']})")
    if old["title"] != new["title"]:
        click.echo(f"title: [-{old['title']}-] {{+{new['title']}+}}")
    runs = word_diff(old["text"], new["text"])
    click.echo(render_diff(runs) if any(op != "=" for op, _ in runs) else "(text unchanged)")


@click.command()
@DB_OPTION
@SINCE_OPTION
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="Default: stdout.")
def export(db_path: str, since: str | None, fmt: str, output: str) -> None:
    """Latest version of each article changed since the cut-off, as JSON Lines or CSV (docs/export.md)."""
    db = open_archive(db_path)
    rows = export_rows(db, _cutoff(db, since))
    try:
        with writing("standard output" if output == "-" else output):
            if output == "-":
                count = WRITERS[fmt](rows, sys.stdout)
                sys.stdout.flush()
            else:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = WRITERS[fmt](rows, out)
    finally:
        db.close()
    click.echo(f"exported {count} articles", err=True)


@click.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--public", is_flag=True, help="No arbitrary SQL: only tables, search and the canned queries.")
def serve(db_path: str, host: str, port: int, public: bool) -> None:
    """Browse the archive with Datasette (read-only; safe while a crawl writes)."""
    from datasette.cli import cli as datasette
    from datasette.plugins import pm

    from crawler import datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="partnerwatch")
    open_archive(db_path).close()  # bring the schema up to date: Datasette only reads
    with tempfile.TemporaryDirectory() as scratch:
        metadata = Path(scratch) / "metadata.json"
        metadata.write_text(json.dumps(build_metadata(Path(db_path).stem)), encoding="utf-8")
        # not immutable (-i): the crawler may write while Datasette reads (reliability.md 1.3)
        args = ["serve", db_path, "--metadata", str(metadata), "--host", host, "--port", str(port)]
        if public:
            args += ["--setting", "default_allow_sql", "off"]
        sys.exit(datasette.main(args=args, prog_name="datasette", standalone_mode=False))


def build_metadata(database: str) -> dict[str, Any]:
    """The shipped metadata for the served `database`: search SQL set, questions on the front page.

    Column descriptions move into their table's description, folded: Datasette lists them above
    the rows otherwise, pushing the data below the fold.
    """
    from datasette.utils import parse_metadata

    metadata = parse_metadata(METADATA.read_text(encoding="utf-8"))
    archive = metadata["databases"].pop("archive")
    metadata["databases"] = {database: archive}
    archive["queries"]["search"]["sql"] = SEARCH_SQL.format(match="fts_query(:q)")
    metadata["description_html"] = _questions_html(metadata.get("description", ""), database, archive["queries"])
    for table in archive["tables"].values():
        if columns := table.pop("columns", None):
            table["description_html"] = _table_description_html(table.get("description", ""), columns)
    return metadata


def _questions_html(description: str, database: str, queries: dict[str, Any]) -> str:
    items = "".join(  # a feed's link is the feed itself (datasette-atom serves queries with atom_* columns)
        f'<li><a href="/{quote(database)}/{quote(name)}{".atom" if "atom_id" in query.get("sql", "") else ""}">'
        f'<strong>{escape(query["title"])}</strong></a>'
        f' - {escape(query.get("description", ""))}</li>'
        for name, query in queries.items()
    )
    return f"<p>{escape(description)}</p><h2>What do you want to know?</h2><ul class=\"questions\">{items}</ul>"


def _table_description_html(description: str, columns: dict[str, str]) -> str:
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in columns.items())
    return f"<p>{escape(description)}</p><details><summary>Columns</summary><dl>{rows}</dl></details>"


COMMANDS = (changes, diff, export, serve)
