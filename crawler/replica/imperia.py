"""berlin.de on Imperia (sources.md §4, A.5): Bezirksamt press releases with page_at_1_0 pagination,
per-list RSS, a central press feed, the Europabeauftragte's yearly lists and off-district sidebar links."""

from __future__ import annotations

from . import dates
from .content import Article
from .pages import (
    FeedItem,
    Page,
    attr,
    base,
    chunks,
    esc,
    link,
    not_found,
    paragraphs_html,
    request_key,
    rss,
    rss_page,
    text_page,
)

SITE = "berlin"
ALIASES: tuple[str, ...] = ()
IGNORED_PARAMS: frozenset[str] = frozenset()
PER_PAGE = 5
FEED_SIZE = 8
BA = "/ba-treptow-koepenick"
PRESS = f"{BA}/aktuelles/pressemitteilungen/"
EUROPA = "/europabeauftragte-treptow-koepenick/aktuelles/"
SESSION_PATH = f"{BA}/(S(x7k2p9))/aktuelles/pressemitteilungen/"
PAGE_PARAM = "page_at_1_0"
CENTRAL_FEED = link("/presse/pressemitteilungen/index/feed", ("institutions[]", "Bezirksamt Treptow-Köpenick"))
NEUKOELLN = {
    "/ba-neukoelln/aktuelles/pressemitteilungen/2024/pressemitteilung.1440021.php": "Neukölln: Sommerbad öffnet früher",
    "/ba-neukoelln/aktuelles/pressemitteilungen/2025/pressemitteilung.1519870.php": "Neukölln: Neue Spielstraßen im Reuterkiez",
}
FORBIDDEN = ((SITE, f"{BA}/suche/"), (SITE, SESSION_PATH), *((SITE, p) for p in NEUKOELLN))
STAND = {"v1": "Stand: 14.03.2025", "v2": "Stand: 02.06.2025"}
CORONA = ("Berlin informiert zum Coronavirus", "Weitere Informationen unter: berlin.de/corona")
CONTACT = "Bezirksamt Treptow-Köpenick, Presse- und Öffentlichkeitsarbeit"
TEMPLATE_PHRASES = (
    "Inhaltsspalte", "Direkt zur Kontaktinformation", "Bild: BA Treptow-Köpenick", *CORONA, CONTACT,
    "presse(at)ba-tk.berlin.de", "Pressemitteilungen anderer Bezirke", *NEUKOELLN.values(), *STAND.values(),
)
ROBOTS = """# Any automated program to retrieve information from our public websites is only allowed
# subject to the following restrictions: It must clearly and uniquely identify itself in the
# HTTP User-Agent header.
User-agent: *
Disallow: /*/(S(*))
Disallow: /ba-treptow-koepenick/suche/
"""


def text_of(a: Article) -> list[str]:
    return list(a.paragraphs)


def _layout(state: str, title: str, hero: str, main: str, head: str = "", charset: str = "utf-8",
            banner: str = "") -> str:
    others = "".join(f'<li><a href="{p}">{esc(t)}</a></li>' for p, t in NEUKOELLN.items())
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="{charset}">
<title>{esc(title)} - Berlin.de</title>
{head}</head>
<body>
<a class="skiplink" href="#layout-grid__area--maincontent">Inhaltsspalte</a>
<a class="skiplink" href="#marginal-contact">Direkt zur Kontaktinformation</a>
<header class="portal-header"><a href="/" class="logo">Berlin.de</a>
<nav class="breadcrumb"><a href="{BA}/">Bezirksamt Treptow-Köpenick</a> <a href="{PRESS}">Pressemitteilungen</a></nav>
<a href="{BA}/suche/">Suche</a></header>
<div id="layout-grid">
{banner}<div id="layout-grid__area--herounit">{hero}</div>
<div id="layout-grid__area--maincontent">{main}</div>
<div id="layout-grid__area--marginal">
<section id="marginal-contact"><h2>Kontakt</h2><address>{CONTACT}<br>Alt-Köpenick 21, 12555 Berlin<br>E-Mail: presse(at)ba-tk.berlin.de<br><a href="tel:+493090297">Tel.: (030) 90297-0</a></address></section>
<section class="modul-teaser"><h2>Pressemitteilungen anderer Bezirke</h2><ul>{others}</ul></section>
</div>
</div>
<footer class="portal-footer"><p class="stand">{STAND[state]}</p><a href="{SESSION_PATH}">Druckansicht</a>
<ul><li><a href="/impressum/">Impressum</a></li><li><a href="/datenschutz/">Datenschutz</a></li><li><a href="/barrierefreiheit/">Barrierefreiheit</a></li></ul></footer>
</body>
</html>
"""


def _row(a: Article) -> str:
    when = dates.numeric(a.list_date) + (f" {a.get('list_time')} Uhr" if a.get("list_time") else "")
    return (f'<li><div class="cell nowrap date">{when}</div>'
            f'<div class="cell text"><a href="{a.path}">{esc(a.title)}</a></div></li>')


def _list_pages(state: str, path: str, heading: str, items: list[Article], plain_first: bool,
                menu: str = "") -> dict[str, Page]:
    pages = {}
    groups = chunks(items, PER_PAGE)
    last = len(groups)

    def href(n: int) -> str:
        return path if n == 1 and plain_first else attr(link(path, (PAGE_PARAM, n)))

    for n, group in enumerate(groups, start=1):
        pager = ""
        if last > 1:
            numbers = "".join(f'<li class="pager-item{" active" if i == n else ""}"><a href="{href(i)}" aria-label="Seite {i}">{i}</a></li>'
                              for i in range(1, last))
            nxt = f'<li class="pager-item next"><a href="{href(n + 1)}" aria-label="Nächste Seite">weiter</a></li>' if n < last else ""
            pager = (f'<nav class="pager" aria-label="Seitennavigation"><ul>{numbers}{nxt}'
                     f'<li class="pager-item last"><a href="{href(last)}" aria-label="Seite {last}">{last}</a></li></ul></nav>')
        main = (f'{menu}<section class="modul-autoteaser"><ul class="list--tablelist">'
                + "".join(_row(a) for a in group) + f"</ul></section>{pager}")
        body = _layout(state, heading, f"<h1>{heading}</h1>", main)
        pages[request_key(link(path, (PAGE_PARAM, n)))] = Page(body)
        if n == 1:
            pages[request_key(path)] = Page(body)
    return pages


def _article(state: str, a: Article) -> Page:
    assert a.date is not None, a.key
    number = f"Pressemitteilung Nr. {int(a.path.rsplit('.', 2)[-2]) % 997}/{a.date.year}"
    if a.get("section") == "europa":
        first = f'<p class="article-date">{dates.numeric(a.date)} {a.get("list_time")} Uhr</p>'
    else:
        first = f"<p>Pressemitteilung vom {dates.numeric(a.date)}</p>\n<p class=\"pressnumber\">{number}</p>"
    caption = a.get("caption", "")
    main = f"""{first}
<div class="modul-image"><img src="/imgscaler/{a.key}.jpg" alt="{attr(caption)}"><p class="image-caption">Bildvergrößerung: {esc(caption)}</p><p class="image-copyright">Bild: BA Treptow-Köpenick</p></div>
<div class="textile">
{paragraphs_html(a.paragraphs)}
</div>
<div class="modul-download"><h2>Weitere Informationen</h2><ul><li><a href="{BA}/_assets/pm-{a.key}.pdf">Pressemitteilung als PDF (112 KB)</a></li></ul></div>"""
    head = (f'<meta name="dcterms.title" content="{attr(a.title)}">\n'
            f'<meta name="dcterms.date" content="{a.date.isoformat()}">\n'
            f'<link rel="canonical" href="{base(SITE)}{a.path}">\n')
    banner = ""
    if 2020 <= a.date.year <= 2022:
        banner = f'<div class="modul-hinweis corona"><p><strong>{CORONA[0]}</strong></p><p>{CORONA[1]}</p></div>\n'
    charset = a.get("charset", "utf-8")
    body = _layout(state, a.title, f'<h1 class="title">{esc(a.title)}</h1>', main, head, charset, banner)
    return Page(body, charset=charset, last_modified=a.modified, is_article=True)


def _feed(press: list[Article]) -> Page:
    items = [FeedItem(a.title, f"{base(SITE)}{a.path}", a.paragraphs[0], dates.rfc822(a.list_date))
             for a in press[:FEED_SIZE]]
    return rss_page(rss("Pressemitteilungen des Bezirksamts Treptow-Köpenick", f"{base(SITE)}{PRESS}",
                        "Pressemitteilungen aus Treptow-Köpenick", items))


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    press = [a for a in items if a.get("section") == "ba"]
    europa = [a for a in items if a.get("section") == "europa"]
    years = sorted({a.list_date.year for a in press}, reverse=True)
    menu = '<ul class="archive-years">' + "".join(f'<li><a href="{PRESS}archiv/{y}/">{y}</a></li>' for y in years) + "</ul>"
    pages = _list_pages(state, PRESS, "Pressemitteilungen", press, True, menu)
    pages[request_key(SESSION_PATH)] = pages[PRESS]
    for y in years:
        pages.update(_list_pages(state, f"{PRESS}archiv/{y}/", f"Pressemitteilungen {y}",
                                 [a for a in press if a.list_date.year == y], True))
    europa_years = sorted({a.list_date.year for a in europa}, reverse=True)
    index = "<ul>" + "".join(f'<li><a href="{EUROPA}{y}/">{y}</a></li>' for y in europa_years) + "</ul>"
    pages[EUROPA] = Page(_layout(state, "Aktuelles der Europabeauftragten", "<h1>Aktuelles</h1>", index))
    for y in europa_years:
        pages.update(_list_pages(state, f"{EUROPA}{y}/", f"Aktuelles {y}",
                                 [a for a in europa if a.list_date.year == y], True))
    for a in items:
        pages[request_key(a.path)] = _article(state, a)
    feed = _feed(press)
    pages[f"{PRESS}index.php/rss"] = feed
    pages[f"{PRESS}index/rss.php"] = feed
    pages[request_key(CENTRAL_FEED)] = feed
    for path, title in NEUKOELLN.items():
        pages[path] = Page(_layout(state, title, f"<h1>{esc(title)}</h1>", "<p>Bezirksamt Neukölln</p>"))
    pages["/robots.txt"] = text_page(ROBOTS)
    pages[f"{BA}/suche/"] = not_found()
    return {SITE: pages}


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    press = [a for a in items if a.get("section") == "ba"]
    in_feed = {a.key for a in press[:FEED_SIZE]}
    return {a.key: ("listing", "feed") if a.key in in_feed else ("listing",) for a in items}


def boilerplate(items: list[Article]) -> list[str]:
    return [*TEMPLATE_PHRASES, *(f"Bildvergrößerung: {a.get('caption')}" for a in items)]


def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    return list(FORBIDDEN)
