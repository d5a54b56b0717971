"""partnerwatch's Datasette plugin, registered by `partnerwatch serve`.

- `fts_query(q)` in SQL: the search box's input made a safe FTS5 query (storage.fts.fts_query);
- an article page, /-/article/DATABASE/ID: its versions, each with a word diff of its main text
  against the one before (<del>removed</del> <ins>added</ins>, as `partnerwatch diff` prints it);
- in canned queries, a row's title links to that page (the row carries `article_id`);
- a table page opened without `_col`/`_nocol` shows the columns its metadata lists, in that order
  (`plugins: partnerwatch: columns`, title first), or hides those listed (`hide_columns`: hashes,
  raw bodies), by a redirect that names them in the address.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from crawler.datasette_year_facet import YearFacet
from storage.changes import PARAGRAPH, word_diff
from storage.fts import fts_query

ARTICLE_ROUTE = r"^/-/article/(?P<database>[^/]+)/(?P<article_id>\d+)$"
VERSIONS_SQL = (
    "SELECT v.version, v.fetched_at, v.change_kind, v.title, v.published_at, v.language, "
    "v.words_added, v.words_removed, t.text FROM versions v JOIN version_texts t ON t.version_id = v.id "
    "WHERE v.article_id = ? ORDER BY v.version DESC"
)
ARTICLE_SQL = ("SELECT a.id, a.source, a.canonical_url, a.first_seen_at, s.status FROM articles a "
               "JOIN article_status s ON s.article_id = a.id WHERE a.id = ?")


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("fts_query", 1, lambda q: fts_query(q or ""), deterministic=True)


@hookimpl
def register_facet_classes() -> list[type]:
    return [YearFacet]


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(ARTICLE_ROUTE, article_page)]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    # canned queries only: a table's own columns keep Datasette's rendering
    # row is a sqlite3.Row: `in row` would look among its values, not its column names
    if table is not None or column != "title" or "article_id" not in row.keys() or row["article_id"] is None:  # noqa: SIM118
        return None
    href = article_path(datasette, database, row["article_id"])
    return Markup(f'<a href="{escape(href)}">{escape(value or "(untitled)")}</a>')  # noqa: S704 (both parts escaped)


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def hide_columns(scope: dict, receive: Any, send: Any) -> None:
            location = _hiding_location(datasette, scope) if scope["type"] == "http" else None
            if location is None:
                await app(scope, receive, send)
                return
            await send({"type": "http.response.start", "status": 302,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
        return hide_columns
    return wrap


def _hiding_location(datasette: Any, scope: dict) -> str | None:
    """Where to send a plain table page so that its hidden columns are hidden; None: serve it."""
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "GET" or len(parts) != 2 or "." in parts[1]:
        return None
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if any(name in ("_col", "_nocol") for name, _ in query):
        return None
    config = datasette.plugin_config("partnerwatch", database=unquote(parts[0]), table=unquote(parts[1])) or {}
    chosen = [("_col", column) for column in config.get("columns", ())]
    chosen = chosen or [("_nocol", column) for column in config.get("hide_columns", ())]
    if not chosen:
        return None
    return scope["path"] + "?" + urlencode([*query, *chosen])


def article_path(datasette: Any, database: str, article_id: int) -> str:
    return datasette.urls.path(f"/-/article/{database}/{article_id}")


async def article_page(datasette: Any, request: Any) -> Response:
    name, article_id = request.url_vars["database"], int(request.url_vars["article_id"])
    try:
        db = datasette.get_database(name)
    except KeyError:
        raise NotFound(f"no database {name}") from None
    article = (await db.execute(ARTICLE_SQL, [article_id])).first()
    if article is None:
        raise NotFound(f"no article {article_id}")
    versions = [dict(row) for row in (await db.execute(VERSIONS_SQL, [article_id])).rows]
    title = versions[0]["title"] if versions else article["canonical_url"]
    parts = [f"<h1>{escape(title or '(untitled)')}</h1>",
             (f'<p>{escape(article["source"])} · status <strong>{escape(article["status"])}</strong> · '
              f'<a href="{escape(article["canonical_url"])}">{escape(article["canonical_url"])}</a> · '
              f'first seen {escape(article["first_seen_at"])}</p>'),
             _version_table(versions)]
    for newer, older in zip(versions, [*versions[1:], None], strict=False):
        parts.append(_version_section(newer, older))
    body = "\n".join(parts)
    html = (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{escape(title or "")}</title>'
            f'<link rel="stylesheet" href="{datasette.urls.static("app.css")}"><style>{DIFF_CSS}</style></head>'
            f'<body><div class="not-footer"><nav><a href="{datasette.urls.instance()}">home</a> / '
            f'<a href="{datasette.urls.database(name)}">{escape(name)}</a></nav>'
            f'<section class="content">{body}</section></div></body></html>')
    return Response.html(html)


DIFF_CSS = ("ins{background:#d4f8d4;text-decoration:none} del{background:#fbd4d4} "
            ".diff p{max-width:50em;line-height:1.5} section.version{margin-top:2em}")


def _version_table(versions: list[dict]) -> str:
    rows = "".join(
        f'<tr><td><a href="#v{v["version"]}">{v["version"]}</a></td><td>{escape(v["fetched_at"])}</td>'
        f'<td>{escape(v["change_kind"])}</td><td>+{v["words_added"] or 0} / -{v["words_removed"] or 0}</td>'
        f'<td>{escape(v["title"] or "")}</td></tr>'
        for v in versions)
    return ('<table class="rows-and-columns"><thead><tr><th>version</th><th>fetched (UTC)</th><th>change</th>'
            f'<th>words</th><th>title</th></tr></thead><tbody>{rows}</tbody></table>')


def _version_section(version: dict, previous: dict | None) -> str:
    heading = (f'<h2>Version {version["version"]} '
               f'({escape(version["change_kind"])}, {escape(version["fetched_at"])})</h2>')
    if previous is None:
        return (f'<section class="version" id="v{version["version"]}">{heading}'
                f'<div class="diff">{diff_html([("=", _joined(version["text"]))])}</div></section>')
    title = ""
    if previous["title"] != version["title"]:
        title = (f'<p>title: <del>{escape(previous["title"] or "")}</del> '
                 f'<ins>{escape(version["title"] or "")}</ins></p>')
    runs = word_diff(previous["text"], version["text"])
    text = diff_html(runs) if any(op != "=" for op, _ in runs) else "<p>(text unchanged)</p>"
    return (f'<section class="version" id="v{version["version"]}">{heading}'
            f'<p>against version {previous["version"]}</p>{title}<div class="diff">{text}</div></section>')


def _joined(text: str) -> str:
    return f" {PARAGRAPH} ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def diff_html(runs: list[tuple[str, str]]) -> str:
    """Word-diff runs as paragraphs, removed words in <del>, added ones in <ins>."""
    tag = {"=": None, "-": "del", "+": "ins"}
    paragraphs: list[list[str]] = [[]]
    for op, words in runs:
        for index, piece in enumerate(words.split(PARAGRAPH)):
            if index:
                paragraphs.append([])
            piece = piece.strip()
            if piece:
                marked = escape(piece) if tag[op] is None else f"<{tag[op]}>{escape(piece)}</{tag[op]}>"
                paragraphs[-1].append(marked)
    return "".join(f"<p>{' '.join(words)}</p>" for words in paragraphs if words)
