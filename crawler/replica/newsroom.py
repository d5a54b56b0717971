"""Stadt Wolfsburg newsroom (sources.md §6, A.7): two URL generations, a full-text press list,
/en/ -> /en-us/ redirects, a sitemap index with lastmod, a news ticker, `s=` session links and the
`redaktion.` authoring host that serves the same pages without canonical tags."""

from __future__ import annotations

import hashlib

from . import dates
from .content import Article
from .pages import (
    Page,
    attr,
    base,
    esc,
    link,
    not_found,
    paragraphs_html,
    redirect,
    request_key,
    sitemap,
    sitemap_index,
    text_page,
)

SITE = "wolfsburg"
REDAKTION = "wolfsburg-redaktion"
ALIASES = (REDAKTION,)
IGNORED_PARAMS = frozenset({"s"})  # session ids (sources.md §7 #12): same page with or without
LIST = "/rathaus/bekanntmachungen/neuigkeiten"
LIST_SIZE = 6
SOFT_404 = "/newsroom/2019/03/archivmeldung-hochwasserschutz"
PARTNERSHIPS = "/leben/stadtportraitstadtgeschichte/staedtepartnerschaften"
TICKER = {
    "v1": ("Wertstoffhof Nord am Samstag geschlossen", "Stadtbus: Linie 201 fährt eine Umleitung",
           "Blutspende im Rathaus am Donnerstag"),
    "v2": ("Freibad Fallersleben startet in die Saison", "Stadtbus: Linie 205 mit neuem Fahrplan",
           "Sprechstunde des Seniorenbeirats entfällt"),
}
STAND = {"v1": "Stand: 14.03.2025", "v2": "Stand: 02.06.2025"}
COOKIE = "Wir nutzen Cookies auf unserer Website. Einige von ihnen sind essenziell für den Betrieb der Seite."
TEMPLATE_PHRASES = (
    COOKIE, "Zum Inhalt springen", "Kommentare (0)", "Schreiben Sie den ersten Kommentar",
    "Diese Seite teilen", "Stadt Wolfsburg, Porschestraße 49, 38440 Wolfsburg",
    *STAND.values(), *(t for items in TICKER.values() for t in items),
)
LOCALE_PREFIX = {"de": "", "en": "/en-us", "es": "/es-mx"}


def session_id(a: Article) -> str:
    return hashlib.sha1(a.key.encode(), usedforsecurity=False).hexdigest()[:16]


def text_of(a: Article) -> list[str]:
    if a.get("date_style") == "colon" and a.date:
        return [f"{dates.german_long(a.date)}: {a.paragraphs[0]}", *a.paragraphs[1:]]
    return list(a.paragraphs)


def date_header(a: Article) -> str:
    assert a.date is not None, a.key
    if a.lang == "en":
        return f"Press release, {dates.english_long(a.date)}"
    if a.lang == "es":
        return f"Comunicado de prensa, {dates.spanish_long(a.date)}"
    style = a.get("date_style", "vom")
    if style == "von":
        return f"Pressemitteilung von {dates.german_weekday_long(a.date)}"
    return "" if style == "colon" else f"Pressemitteilung vom {dates.numeric(a.date)}"


def _layout(state: str, host: str, title: str, main: str, lang: str = "de", head: str = "") -> str:
    ticker = "".join(f"<li>+++ {esc(t)} +++</li>" for t in TICKER[state])
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} | Stadt Wolfsburg</title>
{head}</head>
<body>
<div class="cookie-consent"><p>{COOKIE}</p><button>Akzeptieren</button></div>
<a class="skip" href="#content">Zum Inhalt springen</a>
<header><a class="logo" href="/">Stadt Wolfsburg</a>
<nav><ul><li><a href="/rathaus">Rathaus</a></li><li><a href="{LIST}">Neuigkeiten</a></li><li><a href="/leben">Leben</a></li><li><a href="/suche">Suche</a></li></ul></nav>
<div class="news-ticker" aria-live="off"><ul>{ticker}</ul></div>
</header>
<main id="content">
{main}
</main>
<footer><address>Stadt Wolfsburg, Porschestraße 49, 38440 Wolfsburg</address><p class="stand">{STAND[state]}</p>
<ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li></ul>
<a href="{base(host)}/sitemap.xml">Sitemap</a></footer>
</body>
</html>
"""


def _translations(a: Article, items: list[Article]) -> list[Article]:
    return [x for x in items if a.key in (x.key, x.translation_of) or x.key == a.translation_of]


def _article(state: str, host: str, a: Article, items: list[Article]) -> Page:
    group = _translations(a, items)
    head = f'<link rel="canonical" href="{base(SITE)}{a.path}">\n' if host == SITE else ""
    if len(group) > 1:
        head += "".join(f'<link rel="alternate" hreflang="{x.lang}" href="{base(host)}{x.path}">\n' for x in group)
    # The visible switcher links the /en/ alias, which answers with a redirect to /en-us/.
    switch = "".join(f'<li><a hreflang="{x.lang}" href="{x.path.replace("/en-us/", "/en/", 1)}">{x.lang.upper()}</a></li>'
                     for x in group if x.key != a.key)
    header = date_header(a)
    main = _portlets(a, header) if a.get("layout") == "portlets" else f"""<article class="newsroom-article">
{f'<p class="news-date">{esc(header)}</p>' if header else ""}
<h1>{esc(a.title)}</h1>
<p class="subtitle">{esc(a.get("subtitle", ""))}</p>
<div class="text">
{paragraphs_html(text_of(a))}
</div>
</article>"""
    main += f"""
<ul class="language-switch">{switch}</ul>
<div class="share"><span>Diese Seite teilen</span></div>
<section class="comments"><h2>Kommentare (0)</h2><p>Schreiben Sie den ersten Kommentar</p><form action="/kommentar" method="post"><textarea name="text"></textarea></form></section>"""
    return Page(_layout(state, host, a.title, main, a.declared_lang, head), last_modified=a.modified, is_article=True)


def _portlets(a: Article, header: str) -> str:
    """Liferay's own layout: heading, lead and body each in a portlet of its own; the body
    portlet holds the <article>, so the lead sits outside the main block."""
    lead, *body = text_of(a)

    def portlet(instance: str, inner: str) -> str:
        return (f'<section class="portlet" id="portlet_com_liferay_journal_content_web_portlet_'
                f'JournalContentPortlet_INSTANCE_{instance}"><div class="portlet-content">{inner}</div></section>')

    return f"""<div class="portlet-layout row"><div class="col-md-8 portlet-column" id="column-1">
{portlet("kopf", f'<div class="journal-content-article"><p class="news-date">{esc(header)}</p><h1>{esc(a.title)}</h1></div>')}
{portlet("vorspann", f'<div class="journal-content-article"><p><strong>{esc(lead)}</strong></p></div>')}
{portlet("text", f'<article class="newsroom-article"><div class="text">{paragraphs_html(body)}</div></article>')}
</div></div>"""


def _list(state: str, host: str, german: list[Article]) -> Page:
    entries = []
    for a in german[:LIST_SIZE]:
        entries.append(f"""<article class="news-entry"><p class="news-date">Pressemitteilung vom {dates.numeric(a.list_date)}</p>
<h2><a href="{a.path}">{esc(a.title)}</a></h2><p class="subtitle">{esc(a.get("subtitle", ""))}</p>
{paragraphs_html(text_of(a))}
<a class="more" href="{attr(link(a.path, ("s", session_id(a))))}">mehr lesen...</a></article>""")
    entries.append(f'<p class="archive"><a href="{SOFT_404}">Archivmeldung: Hochwasserschutz an der Aller</a></p>')
    return Page(_layout(state, host, "Neuigkeiten", "<h1>Neuigkeiten</h1>\n" + "\n".join(entries)))


def _site_pages(state: str, host: str, items: list[Article]) -> dict[str, Page]:
    german = [a for a in items if a.lang == "de"]
    pages = {LIST: _list(state, host, german)}
    for a in items:
        pages[request_key(a.path)] = _article(state, host, a, items)
        if a.lang == "en":
            pages[request_key(a.path.replace("/en-us/", "/en/", 1))] = redirect(f"{base(host)}{a.path}")
    pages[SOFT_404] = not_found(status=200)
    pages[PARTNERSHIPS] = Page(_layout(state, host, "Städtepartnerschaften", (
        "<h1>Städtepartnerschaften</h1><p class=\"keywords\">Städtepartnerschaften und -freundschaften, "
        "Port Elwin, Santa Lucerna, Klimapartnerschaft</p>")))
    pages["/"] = Page(_layout(state, host, "Startseite", f'<h1>Stadt Wolfsburg</h1><p><a href="{LIST}">Neuigkeiten</a></p>'))
    pages["/suche"] = not_found()
    pages["/robots.txt"] = text_page(f"User-agent: *\nDisallow: /suche\nSitemap: {base(host)}/sitemap.xml\n")
    parts = {"de": german, "en": [a for a in items if a.lang == "en"], "es": [a for a in items if a.lang == "es"]}
    pages["/sitemap.xml"] = sitemap_index(
        (f"{base(host)}/sitemap-{lang}.xml", max(a.modified for a in part)) for lang, part in parts.items())
    for lang, part in parts.items():
        extra = [(f"{base(host)}{PARTNERSHIPS}", None)] if lang == "de" else []
        pages[f"/sitemap-{lang}.xml"] = sitemap([*extra, *((f"{base(host)}{a.path}", a.modified) for a in part)])
    return pages


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    return {host: _site_pages(state, host, items) for host in (SITE, REDAKTION)}


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    german = [a for a in items if a.lang == "de"]
    listed = {a.key for a in german[:LIST_SIZE]}
    return {a.key: ("listing", "sitemap") if a.key in listed else ("sitemap",) for a in items}


def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    german = [a for a in items if a.lang == "de"][:LIST_SIZE]
    return [(host, link(a.path, ("s", session_id(a)))) for host in (SITE, REDAKTION) for a in german]


def soft_404() -> list[str]:
    return [SOFT_404]


def boilerplate(items: list[Article]) -> list[str]:
    return list(TEMPLATE_PHRASES)
