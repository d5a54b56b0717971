"""Engagement Global after the 2022 relaunch (sources.md §2, A.3): /de/meldung/<slug>, <time> dates,
legacy Contao URLs answered with 301, an RSS feed and plain ?page=N pagination."""

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
    redirect,
    request_key,
    rss,
    rss_page,
    teaser,
    text_page,
)

SITE = "eg"
ALIASES: tuple[str, ...] = ()
IGNORED_PARAMS: frozenset[str] = frozenset()
PER_PAGE = 5
FEED_SIZE = 20
FORBIDDEN = ((SITE, "/de/suche"),)
COOKIE = "Wir nutzen Cookies und vergleichbare Technologien, um unser Angebot für Sie zu verbessern."
TEMPLATE_PHRASES = (
    "Zur Hauptnavigation springen", "Zum Seiteninhalt springen", "Navigation überspringen",
    "Gebärdensprache", "Leichte Sprache", "Infotelefon: 0800 188 7 188", "Seite weiterempfehlen",
    "Seitenanfang", "© 2025 Engagement Global", COOKIE, "Mehr Information",
)


def text_of(a: Article) -> list[str]:
    return list(a.paragraphs)


def _layout(title: str, main: str, lang: str = "de", head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} | Engagement Global</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}<script src="https://cookies.engagement-global.de/ccm19/public/ccm19.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Zum Seiteninhalt springen</a>
<a class="skip-link" href="#mainnav">Zur Hauptnavigation springen</a>
<header class="site-header">
<ul class="service-nav"><li><a href="/de/gebaerdensprache">Gebärdensprache</a></li><li><a href="/de/leichte-sprache">Leichte Sprache</a></li><li><a href="/de/kontakt">Kontakt</a></li><li><button class="contrast">Kontrast</button></li><li><a href="/en/news" hreflang="en">English</a></li><li><a href="/de/community">Community</a></li></ul>
<p class="hotline">Infotelefon: 0800 188 7 188</p>
<form class="search" action="/de/suche"><a href="/de/suche">Suche</a></form>
<nav id="mainnav" aria-label="Hauptnavigation"><a class="skip-link" href="#main">Navigation überspringen</a>
<ul><li><a href="/de/aktuelles">Aktuelles</a></li><li><a href="/de/bengo">Förderung</a></li><li><a href="/de/aktuelles/ausschreibungen">Ausschreibungen</a></li></ul></nav>
</header>
<main id="main">
{main}
</main>
<footer class="site-footer">
<div class="share"><p>Seite weiterempfehlen</p><a href="mailto:?subject={attr(title)}">E-Mail</a></div>
<a href="#main" class="to-top">Seitenanfang</a>
<p>© 2025 Engagement Global</p>
<ul><li><a href="/de/impressum">Impressum</a></li><li><a href="/de/datenschutz">Datenschutz</a></li><li><a href="/de/barrierefreiheit">Barrierefreiheit</a></li></ul>
</footer>
<div id="ccm-banner"><p>{COOKIE}</p><button>Alle akzeptieren</button></div>
</body>
</html>
"""


def _card(a: Article) -> str:
    return (f'<article class="card card--news"><time datetime="{a.list_date.isoformat()}">{dates.numeric(a.list_date)}</time>'
            f'<h3><a href="{a.path}">{esc(a.title)}</a></h3><p>{esc(teaser(a.paragraphs[0], 140))}</p>'
            f'<a class="more" href="{a.path}" aria-label="{attr(a.title)}">Mehr Information</a></article>')


def _list_pages(path: str, heading: str, items: list[Article], lang: str) -> dict[str, Page]:
    pages = {}
    groups = chunks(items, PER_PAGE)
    for n, group in enumerate(groups, start=1):
        pager = []
        if n > 1:
            pager.append(f'<li><a rel="prev" href="{path if n == 2 else link(path, ("page", n - 1))}">Zurück</a></li>')
        if n < len(groups):
            pager.append(f'<li><a rel="next" href="{link(path, ("page", n + 1))}">Weiter</a></li>')
        main = (f"<h1>{heading}</h1>\n" + "\n".join(_card(a) for a in group)
                + f'\n<nav class="pager" aria-label="Seitennavigation"><ul>{"".join(pager)}</ul></nav>')
        target = path if n == 1 else link(path, ("page", n))
        pages[request_key(target)] = Page(_layout(heading, main, lang))
    return pages


def _alternates(a: Article, items: list[Article]) -> str:
    group = [x for x in items if a.key in (x.key, x.translation_of) or x.key == a.translation_of]
    if len(group) < 2:
        return ""
    return "".join(f'<link rel="alternate" hreflang="{x.lang}" href="{base(SITE)}{x.path}">\n' for x in group)


def _article(a: Article, items: list[Article]) -> Page:
    assert a.date is not None, a.key
    kicker = "News" if a.lang == "en" else "Meldung"
    main = (f'<article class="news-detail"><p class="kicker">{kicker}</p><h1>{esc(a.title)}</h1>\n'
            f'<div class="dateline"><span class="place">{esc(a.get("place", "Bonn"))},</span> '
            f'<time datetime="{a.date.isoformat()}">{dates.numeric(a.date)}</time></div>\n'
            f'<div class="text">\n{paragraphs_html(a.paragraphs)}\n</div></article>')
    head = f'<link rel="canonical" href="{base(SITE)}{a.path}">\n' + _alternates(a, items)
    return Page(_layout(a.title, main, a.declared_lang, head), last_modified=a.modified, is_article=True)


def _feed(german: list[Article]) -> Page:
    items = [FeedItem(a.title, f"{base(SITE)}{a.path}", teaser(a.paragraphs[0], 200),
                      dates.rfc822(a.list_date)) for a in german[:FEED_SIZE]]
    return rss_page(rss("Engagement Global: Meldungen", f"{base(SITE)}/de/aktuelles",
                        "Meldungen der Engagement Global gGmbH", items))


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    german = [a for a in items if a.lang == "de"]
    english = [a for a in items if a.lang == "en"]
    pages = _list_pages("/de/aktuelles", "Aktuelles", german, "de")
    pages.update(_list_pages("/en/news", "News", english, "en"))
    for a in items:
        pages[request_key(a.path)] = _article(a, items)
        if legacy := a.get("legacy_path"):
            pages[request_key(legacy)] = redirect(f"{base(SITE)}{a.path}")
    pages["/pressemitteilungen.html"] = redirect(f"{base(SITE)}/de/aktuelles")
    pages["/de/feed.xml"] = _feed(german)
    pages["/"] = Page(_layout("Startseite", "<h1>Engagement Global</h1>\n" + "\n".join(_card(a) for a in german[:3])))
    pages["/robots.txt"] = text_page("User-agent: *\nDisallow: /de/suche\n")
    pages["/de/suche"] = not_found()
    return {SITE: pages}


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    german = [a for a in items if a.lang == "de"]
    in_feed = {a.key for a in german[:FEED_SIZE]}
    return {a.key: ("listing", "feed") if a.key in in_feed else ("listing",) for a in items}


def boilerplate(items: list[Article]) -> list[str]:
    return list(TEMPLATE_PHRASES)



def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    return list(FORBIDDEN)
