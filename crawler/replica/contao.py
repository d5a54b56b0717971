"""SKEW on Contao (sources.md §1, A.2): <base href> with relative links, page_a<module> pagination."""

from __future__ import annotations

from . import dates
from .content import Article
from .pages import (
    Page,
    attr,
    base,
    chunks,
    esc,
    link,
    not_found,
    paragraphs_html,
    request_key,
    sitemap,
    teaser,
    text_page,
)

SITE = "skew"
ALIASES: tuple[str, ...] = ()
IGNORED_PARAMS: frozenset[str] = frozenset()
NEWS_PER_PAGE = 4
FOCUS_PER_PAGE = 2
COOKIE = "Wir verwenden Cookies, um Ihnen die bestmögliche Nutzung unserer Webseite zu ermöglichen."
SIDEBAR = "Veranstaltungen der Servicestelle"
FORBIDDEN = ((SITE, "/suche.html"),)
HEADERS = (
    ("Contao-Cache", "miss"),
    ("Cache-Control", "must-revalidate, no-cache, no-store, private"),
    ("Set-Cookie", "csrf_https-contao_csrf_token=replica0token; path=/; secure; httponly; samesite=lax"),
)
TEMPLATE_PHRASES = (
    "Zur Hauptnavigation springen", "Zum Seiteninhalt springen", "Hauptnavigation",
    "Seite weiterempfehlen", "Seitenanfang", "© 2024 Engagement Global", COOKIE, SIDEBAR,
    "Einstiegsseminar: Kommunale Partnerschaften gestalten", "Aus dem Archiv von Engagement Global",
)
EN_PAGE = "municipal-climate-partnerships.html"
ES_PAGE = "es/alianzas-climaticas-municipales.html"
PROJECT_PAGES = {
    "/kommunale-klimapartnerschaften.html": ("Kommunale Klimapartnerschaften",
        "Das Projekt bringt deutsche Kommunen mit Partnern im Globalen Süden zusammen, die gemeinsam Handlungsprogramme für Klimaschutz und Klimaanpassung erarbeiten."),
    "/kommunale-nachhaltigkeitspartnerschaften.html": ("Kommunale Nachhaltigkeitspartnerschaften",
        "Nachhaltigkeitspartnerschaften verknüpfen die Agenda 2030 mit der Zusammenarbeit zweier Kommunen über Kontinente hinweg."),
    "/partnerschaften-mit-kommunen-in-der-ukraine.html": ("Partnerschaften mit Kommunen in der Ukraine",
        "Die Servicestelle berät deutsche Kommunen, die eine Partnerschaft mit einer ukrainischen Stadt oder Gemeinde aufbauen möchten."),
}
LIST_PAGE = "/Liste-deutsch-ukrainischer-kommunalbeziehungen.html"
EVENTS = {
    "/veranstaltung-detail/9807--einstiegsseminar-kommunale-partnerschaften.html": (
        "Einstiegsseminar: Kommunale Partnerschaften gestalten", "Dienstag, 2. November 2021"),
    "/veranstaltung-detail/kompass-nachhaltigkeit-webinarreihe-3799.html": (
        "Webinarreihe Kompass Nachhaltigkeit", "(03.11.2021–07.11.2021)"),
}


def dateline(a: Article) -> str:
    if a.date is None:
        return ""
    return f"{a.get('place', 'Bonn')}, {dates.long_in(a.lang, a.date)}. "


def text_of(a: Article) -> list[str]:
    """The dateline opens the first paragraph, exactly as on the real site."""
    return [dateline(a) + a.paragraphs[0], *a.paragraphs[1:]]


def _layout(title: str, self_path: str, main: str, lang: str = "de", head: str = "") -> str:
    rel = self_path.lstrip("/")
    events = "".join(f'<li><a href="{p.lstrip("/")}">{esc(t)}</a> <span>{esc(d)}</span></li>'
                     for p, (t, d) in EVENTS.items())
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} - SKEW - Servicestelle Kommunen in der Einen Welt</title>
<base href="{base(SITE)}/">
<meta name="generator" content="Contao Open Source CMS">
<meta name="robots" content="index,follow">
{head}<script src="assets/eg/cookie-bar/cookiebar-latest.min.js"></script>
</head>
<body id="top">
<div id="wrapper">
<header id="header"><div class="inside">
<!-- indexer::stop -->
<nav class="mod_customnav invisible" id="skip"><ul><li><a href="{rel}#main">Zum Seiteninhalt springen</a></li><li><a href="{rel}#nav">Zur Hauptnavigation springen</a></li></ul></nav>
<a href="./" class="logo">SKEW</a>
<nav class="mod_changelanguage block"><ul><li><a hreflang="en" href="{EN_PAGE}">English</a></li><li><a hreflang="es" href="{ES_PAGE}">Español</a></li></ul></nav>
<div class="mod_search"><a href="suche.html">Suche</a></div>
<nav class="mod_navigation block" id="nav"><h6 class="invisible">Hauptnavigation</h6>
<ul class="level_1"><li><a href="aktuelles.html">Aktuelles</a></li><li><a href="im-fokus.html">Im Fokus</a></li><li><a href="kommunale-klimapartnerschaften.html">Klimapartnerschaften</a></li><li><a href="kommunale-nachhaltigkeitspartnerschaften.html">Nachhaltigkeitspartnerschaften</a></li><li><a href="partnerschaften-mit-kommunen-in-der-ukraine.html">Ukraine</a></li></ul></nav>
<!-- indexer::continue -->
</div></header>
<div id="container">
<main id="main"><div class="inside">
{main}
</div></main>
<aside id="right"><div class="inside">
<!-- indexer::stop -->
<div class="mod_eventlist block"><h3>{SIDEBAR}</h3><ul>{events}</ul></div>
<div class="ce_hyperlink"><a href="{base('eg')}/pressemitteilung/items/engagement-global-feiert-geburtstag.html">Aus dem Archiv von Engagement Global</a> <a href="{base('eg')}/pressemitteilungen.html">Pressemitteilungen</a></div>
<!-- indexer::continue -->
</div></aside>
</div>
<footer id="footer"><div class="inside">
<!-- indexer::stop -->
<div class="shariff" data-services="[&quot;twitter&quot;,&quot;facebook&quot;,&quot;mail&quot;]"><p>Seite weiterempfehlen</p></div>
<p class="totop"><a href="{rel}#top">Seitenanfang</a></p>
<p>© 2024 Engagement Global</p>
<ul class="footer-nav"><li><a href="impressum.html">Impressum</a></li><li><a href="datenschutz.html">Datenschutz</a></li><li><a href="barrierefreiheit.html">Barrierefreiheit</a></li><li><a href="kontakt.html">Kontakt</a></li></ul>
<!-- indexer::continue -->
</div></footer>
<div class="cookiebar" role="complementary"><p>{COOKIE}</p><button type="button">Einverstanden</button></div>
</div>
</body>
</html>
"""


def _figure(a: Article) -> str:
    caption = a.get("caption", "")
    return (f'<figure class="image_container"><img src="files/skew/bilder/{a.key}.jpg" alt="{attr(caption)}">'
            f'<figcaption class="caption">{esc(caption)}</figcaption></figure>')


def _pagination(path: str, param: str, current: int, last: int, extra: tuple[tuple[str, str], ...]) -> str:
    if last <= 1:
        return ""

    def href(n: int) -> str:
        pairs = extra if n == 1 else (*extra, (param, str(n)))
        return attr(link(path.lstrip("/"), *pairs) + "#pgtop")

    items = []
    if current > 1:
        items.append(f'<li class="first"><a href="{href(1)}" class="first" title="Gehe zu Seite 1">Anfang</a></li>')
        items.append(f'<li class="previous"><a href="{href(current - 1)}" class="previous" title="Gehe zu Seite {current - 1}">Zurück</a></li>')
    for n in range(1, last + 1):
        items.append(f'<li class="number"><span class="current">{n}</span></li>' if n == current else
                     f'<li class="number"><a href="{href(n)}" title="Gehe zu Seite {n}">{n}</a></li>')
    if current < last:
        items.append(f'<li class="next"><a href="{href(current + 1)}" class="next" title="Gehe zu Seite {current + 1}">Vorwärts</a></li>')
        items.append(f'<li class="last"><a href="{href(last)}" class="last" title="Gehe zu Seite {last}">Ende</a></li>')
    return f'<div class="pagination block"><p>Seite {current} von {last}</p><ul>{"".join(items)}</ul></div>'


def _teaser_item(a: Article) -> str:
    href = a.path.lstrip("/")
    return (f'<div class="layout_latest arc_1 block">{_figure(a)}'
            f'<h2><a href="{href}" title="Den Artikel lesen: {attr(a.title)}">{esc(a.title)}</a></h2>'
            f'<div class="ce_text block"><p>{esc(teaser(text_of(a)[0], 170))}</p></div>'
            f'<p class="more"><a href="{href}">Weiterlesen …</a></p></div>')


def _archive(path: str, heading: str, param: str, per_page: int, items: list[Article],
             years: list[int] | None, year: int | None = None) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    extra = (("year", str(year)),) if year else ()
    groups = chunks(items, per_page)
    menu = ""
    if years:
        menu = '<div class="mod_newsmenu block"><ul>' + "".join(
            f'<li><a href="{link(path.lstrip("/"), ("year", str(y)))}">{y}</a></li>' for y in years) + "</ul></div>"
    for n, group in enumerate(groups, start=1):
        sub = f"<h2>{year}</h2>" if year else ""
        main = (f'<div class="mod_newslist block" id="pgtop"><h1>{heading}</h1>{menu}{sub}\n'
                + "\n".join(_teaser_item(a) for a in group) + "\n"
                + _pagination(path, param, n, len(groups), extra) + "</div>")
        target = link(path, *extra) if n == 1 else link(path, *extra, (param, str(n)))
        pages[request_key(target)] = Page(_layout(heading, target, main), headers=HEADERS)
    return pages


def _alternates(a: Article, items: list[Article]) -> str:
    group = {x.key: x for x in items if a.key in (x.key, x.translation_of) or x.key == a.translation_of}
    if len(group) < 2:
        return ""
    return "".join(f'<link rel="alternate" hreflang="{x.lang}" href="{base(SITE)}{x.path}">\n'
                   for x in group.values())


def _article(a: Article, items: list[Article]) -> Page:
    back = "im-fokus.html" if a.get("kind") == "fokus" else "aktuelles.html"
    main = (f'<div class="mod_newsreader block"><div class="layout_full block">{_figure(a)}\n'
            f'<h1>{esc(a.title)}</h1>\n<div class="ce_text block">\n{paragraphs_html(text_of(a))}\n</div>\n'
            f'</div><p class="back"><a href="{back}">Zurück</a></p></div>')
    return Page(_layout(a.title, a.path, main, a.declared_lang, _alternates(a, items)),
                last_modified=a.modified, headers=HEADERS, is_article=True)


def _static_pages() -> dict[str, Page]:
    pages = {}
    for path, (title, text) in PROJECT_PAGES.items():
        pages[path] = Page(_layout(title, path, f"<h1>{title}</h1><p>{esc(text)}</p>"), headers=HEADERS)
    for path, (title, when) in EVENTS.items():
        main = f'<div class="event"><h1>{esc(title)}</h1><p class="date">{esc(when)}</p></div>'
        pages[request_key(path)] = Page(_layout(title, path, main), headers=HEADERS)
    target = link(LIST_PAGE, ("stateDe", ""), ("stateUa", ""), ("type", ""))
    mapdata = '<script>var MAPDATA = {"relations": [{"de": "Treptow-Köpenick", "ua": "Nowa Hlyboka", "type": "Solidaritätspartnerschaft"}]};</script>'
    pages[request_key(target)] = Page(_layout("Liste deutsch-ukrainischer Kommunalbeziehungen", target,
                                              f"<h1>Liste deutsch-ukrainischer Kommunalbeziehungen</h1>{mapdata}"), headers=HEADERS)
    return pages


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    news = [a for a in items if a.get("kind") == "mitteilung"]
    focus = [a for a in items if a.get("kind") == "fokus"]
    years = sorted({a.list_date.year for a in news}, reverse=True)
    pages = _static_pages()
    pages.update(_archive("/aktuelles.html", "Aktuelle Nachrichten", "page_a36", NEWS_PER_PAGE, news, years))
    for y in years:
        pages.update(_archive("/aktuelles.html", "Aktuelle Nachrichten", "page_a36", NEWS_PER_PAGE,
                              [a for a in news if a.list_date.year == y], years, y))
    pages.update(_archive("/im-fokus.html", "Im Fokus", "page_a607", FOCUS_PER_PAGE, focus, None))
    ukraine = [a for a in items if a.get("ukraine")]
    pages.update(_archive("/im-fokus-kommunalpartnerschaften-mit-der-ukraine.html",
                          "Kommunalpartnerschaften mit der Ukraine", "page_a610", 10, ukraine, None))
    home = "<h1>Servicestelle Kommunen in der Einen Welt</h1>" + "\n".join(_teaser_item(a) for a in news[:3])
    pages["/"] = Page(_layout("Startseite", "/", home), headers=HEADERS)
    for a in items:
        pages[request_key(a.path)] = _article(a, items)
    pages["/robots.txt"] = text_page(f"User-agent: *\nDisallow: /suche.html\nSitemap: {base(SITE)}/sitemap.xml\n")
    pages["/sitemap.xml"] = sitemap((f"{base(SITE)}{p}", None) for p in _sitemap_paths())
    pages["/suche.html"] = not_found()
    return {SITE: pages}


def _sitemap_paths() -> list[str]:
    """Deliberately stale and identical in every state: project pages, two news pages, one old article."""
    return [*PROJECT_PAGES, "/" + EN_PAGE, "/" + ES_PAGE, "/es/noticia/encuentro-red-alianzas-america-latina.html",
            "/aktuelles.html", "/aktuelles.html?page_a36=2", "/aktuelle-mitteilung/neue-leitung-der-servicestelle.html"]


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    in_sitemap = set(_sitemap_paths())
    found = {}
    for a in items:
        ways = []
        if a.get("kind") in ("mitteilung", "fokus") or a.path.lstrip("/") in (EN_PAGE, ES_PAGE):
            ways.append("listing")
        if a.path in in_sitemap:
            ways.append("sitemap")
        found[a.key] = tuple(ways)
    return found


def boilerplate(items: list[Article]) -> list[str]:
    return [*TEMPLATE_PHRASES, *(a.get("caption") for a in items if a.get("caption"))]


def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    return list(FORBIDDEN)
