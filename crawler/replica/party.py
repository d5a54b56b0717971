"""DIE LINKE Treptow-Köpenick (sources.md §5, A.6): undated teasers, /seite/N/ pagination with the
real site's quirks (a newer item on page 2, a repeated teaser on the last page), no robots.txt."""

from __future__ import annotations

from .content import Article
from .pages import Page, attr, chunks, esc, paragraphs_html, request_key, teaser

SITE = "linke"
ALIASES: tuple[str, ...] = ()
IGNORED_PARAMS: frozenset[str] = frozenset()
PER_PAGE = 4
LIST = "/politik/aktuelles/"
BLAETTCHEN = "/blaettchen/aus-dem-blaettchen/"
FORBIDDEN: tuple[tuple[str, str], ...] = ()
COOKIE = ("Diese Website verwendet Cookies. Warum wir Cookies einsetzen und wie Sie diese deaktivieren "
          "können, erfahren Sie unter Datenschutz.")
TEMPLATE_PHRASES = (COOKIE, "Zum Hauptinhalt springen", "DIE LINKE. Bezirksverband Treptow-Köpenick",
                    "Mitglied werden", "Spenden für die Kiezarbeit")


def text_of(a: Article) -> list[str]:
    return list(a.paragraphs)


def _layout(title: str, main: str, lang: str = "de") -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)}: DIE LINKE. Treptow-Köpenick</title>
</head>
<body>
<div class="cookie-hint" role="dialog"><p>{COOKIE}</p><a href="/datenschutz/">Datenschutz</a> <button>OK</button></div>
<a class="sr-only" href="#main">Zum Hauptinhalt springen</a>
<header><a class="logo" href="/">DIE LINKE. Treptow-Köpenick</a>
<nav><ul><li><a href="{LIST}">Aktuelles</a></li><li><a href="{BLAETTCHEN}">blättchen</a></li><li><a href="/partei/">Partei</a></li><li><a href="/fraktion/">Fraktion</a></li></ul></nav>
<p class="cta"><a href="/mitmachen/">Mitglied werden</a> <a href="/spenden/">Spenden für die Kiezarbeit</a></p>
</header>
<main id="main">
{main}
</main>
<footer><p>DIE LINKE. Bezirksverband Treptow-Köpenick</p><ul><li><a href="/impressum/">Impressum</a></li><li><a href="/datenschutz/">Datenschutz</a></li></ul></footer>
</body>
</html>
"""


def _teaser(a: Article) -> str:
    # Newer teasers end in "...", older ones in "…" (both seen on the real list pages).
    cut = teaser(a.paragraphs[0], 140, "..." if a.list_date.year >= 2022 else "…")
    return (f'<div class="news-teaser"><p class="kicker">{esc(a.get("kicker", ""))}</p>'
            f'<h3><a href="{a.path}">{esc(a.title)}</a></h3><p>{esc(cut)}</p>'
            f'<a class="more" href="{a.path}" title="{attr(a.title)}">Weiterlesen</a></div>')


def _page_href(n: int) -> str:
    return LIST if n == 1 else f"{LIST}seite/{n}/"


def list_order(items: list[Article]) -> list[list[Article]]:
    """Teasers per page, with the newest item pushed to page 2 and the last page repeating one teaser."""
    ordered = list(items)
    if len(ordered) > PER_PAGE:
        ordered.insert(PER_PAGE, ordered.pop(0))
    groups = chunks(ordered, PER_PAGE)
    if len(groups) > 1:
        groups[-1].insert(0, groups[-2][-1])
    return groups


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    pages: dict[str, Page] = {}
    groups = list_order(items)
    for n, group in enumerate(groups, start=1):
        pager = "".join(f'<li><a href="{_page_href(i)}">{i}</a></li>' for i in range(1, len(groups) + 1))
        if n < len(groups):
            pager += f'<li class="next"><a href="{_page_href(n + 1)}">»</a></li>'
        main = "<h1>Aktuelles</h1>\n" + "\n".join(_teaser(a) for a in group) + f'\n<ul class="pagination">{pager}</ul>'
        pages[request_key(_page_href(n))] = Page(_layout("Aktuelles", main))
    blaettchen = [a for a in items if a.get("kicker") == "blättchen"]
    pages[BLAETTCHEN] = Page(_layout("Aus dem blättchen", "<h1>Aus dem blättchen</h1>\n" + "\n".join(_teaser(a) for a in blaettchen)))
    for a in items:
        byline = f'<p class="byline">{esc(a.get("byline"))}</p>\n' if a.get("byline") else ""
        main = (f'<article class="news-detail"><p class="kicker">{esc(a.get("kicker", ""))}</p>\n'
                f"<h1>{esc(a.title)}</h1>\n{byline}<div class=\"text\">\n{paragraphs_html(a.paragraphs)}\n</div>\n"
                f'<p><a href="{LIST}">Zurück zur Übersicht</a></p></article>')
        pages[request_key(a.path)] = Page(_layout(a.title, main, a.declared_lang), last_modified=a.modified, is_article=True)
    pages["/"] = Page(_layout("Startseite", "<h1>DIE LINKE. Treptow-Köpenick</h1>\n" + "\n".join(_teaser(a) for a in groups[0])))
    return {SITE: pages}


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    return {a.key: ("listing",) for a in items}


def boilerplate(items: list[Article]) -> list[str]:
    return list(TEMPLATE_PHRASES)


def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    return list(FORBIDDEN)
