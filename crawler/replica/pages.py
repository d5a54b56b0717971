"""Building blocks shared by the site renderers: the Page record, escaping, request keys, feeds.

Pages are rendered once per state with `{{base.<site>}}` placeholders for absolute links; the server
substitutes the runtime origins when it starts, so the rendered text never depends on a port.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from urllib.parse import parse_qsl, quote, unquote

PLACEHOLDER = re.compile(r"\{\{base\.([a-z0-9-]+)\}\}")
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One response of one site in one state, before the runtime origins are filled in."""

    body: str
    status: int = 200
    content_type: str = "text/html"
    charset: str = "utf-8"
    last_modified: date | None = None  # None: the catalog assigns the state's site date
    location: str | None = None  # redirect target (may contain placeholders)
    headers: tuple[tuple[str, str], ...] = ()
    is_article: bool = False


def base(site: str) -> str:
    return "{{base." + site + "}}"


def esc(text: str) -> str:
    """HTML text; soft hyphens and no-break spaces are written as entities, as CMS editors do."""
    return html.escape(text, quote=False).replace("\xad", "&shy;").replace("\xa0", "&nbsp;")


def attr(text: str) -> str:
    return html.escape(text.replace("\xad", "").replace("\xa0", " "), quote=True)


def clean_title(text: str) -> str:
    return text.replace("\xad", "").replace("\xa0", " ")


def paragraphs_html(paragraphs: Iterable[str]) -> str:
    return "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)


def _query_part(text: str) -> str:
    return quote(text, safe="")


def request_key(target: str) -> str:
    """Normalise a request target so equivalent spellings hit the same page.

    Percent-encoding is made canonical and query pairs are sorted; the fragment is dropped.
    """
    target = target.split("#", 1)[0]
    path, _, query = target.partition("?")
    key = quote(unquote(path), safe="/:@!$'()*+,;=")
    if query:
        pairs = sorted(parse_qsl(query, keep_blank_values=True))
        key += "?" + "&".join(f"{_query_part(k)}={_query_part(v)}" for k, v in pairs)
    return key


def link(path: str, *pairs: tuple[str, str | int]) -> str:
    """A href as the CMS prints it: parameters in the given order, brackets percent-encoded."""
    if not pairs:
        return path
    return path + "?" + "&".join(f"{_query_part(k)}={_query_part(str(v))}" for k, v in pairs)


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)] or [[]]


def teaser(text: str, limit: int, ellipsis: str = " …") -> str:
    """Cut at a word boundary before `limit` characters, as list teasers do."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + ellipsis


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    description: str
    pub_date: str  # already RFC 822


def rss(title: str, link_url: str, description: str, items: Iterable[FeedItem]) -> str:
    body = "".join(
        f"<item><title>{esc(i.title)}</title><link>{i.link}</link>"
        f"<description>{esc(i.description)}</description><pubDate>{i.pub_date}</pubDate>"
        f'<guid isPermaLink="true">{i.link}</guid></item>\n'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{esc(title)}</title><link>{link_url}</link>"
        f"<description>{esc(description)}</description><language>de-de</language>\n"
        f"{body}</channel></rss>\n"
    )


def rss_page(body: str, modified: date | None = None) -> Page:
    return Page(body, content_type="application/rss+xml", last_modified=modified)


def sitemap(entries: Iterable[tuple[str, date | None]]) -> Page:
    rows = "".join(
        f"<url><loc>{esc(loc)}</loc>" + (f"<lastmod>{d.isoformat()}</lastmod>" if d else "") + "</url>\n"
        for loc, d in entries
    )
    return Page(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n',
        content_type="application/xml",
    )


def sitemap_index(entries: Iterable[tuple[str, date]]) -> Page:
    rows = "".join(
        f"<sitemap><loc>{loc}</loc><lastmod>{d.isoformat()}</lastmod></sitemap>\n" for loc, d in entries
    )
    return Page(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</sitemapindex>\n',
        content_type="application/xml",
    )


def text_page(body: str) -> Page:
    return Page(body, content_type="text/plain")


def redirect(location: str, status: int = 301) -> Page:
    return Page("", status=status, location=location)


_ERROR_TEMPLATE = (
    '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8"><title>{title}</title></head>\n'
    "<body><main><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Zur Startseite</a></p></main></body></html>\n"
)
NOT_FOUND_TITLE = "Seite nicht gefunden"


def not_found(status: int = 404) -> Page:
    """The error page; status 200 gives the soft-404 of sources.md A.9."""
    body = _ERROR_TEMPLATE.format(
        title=NOT_FOUND_TITLE,
        message="Die angeforderte Seite existiert nicht oder wurde verschoben.",
    )
    return Page(body, status=status)


def gone() -> Page:
    body = _ERROR_TEMPLATE.format(
        title="Seite entfernt", message="Dieser Inhalt wurde dauerhaft entfernt."
    )
    return Page(body, status=410)
