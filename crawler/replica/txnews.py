"""LAG 21 NRW on TYPO3 tx_news (sources.md §3, A.4): cHash-protected pagination and tag facets,
share widgets and a newsletter call to action around every article, a mirror host with rel=canonical."""

from __future__ import annotations

import hashlib
import hmac

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
    paragraphs_html,
    request_key,
    rss,
    rss_page,
    teaser,
    text_page,
)

SITE = "lag21"
ALIASES = ("lag21-mirror",)
IGNORED_PARAMS: frozenset[str] = frozenset()
PER_PAGE = 5
FORBIDDEN: tuple[tuple[str, str], ...] = ()
LIST = "/aktuelles/"
PAGE_PARAM = "tx_news_pi1[currentPage]"
TAG_PARAM = "tx_news_pi1[overwriteDemand][tags]"
TAGS = {3: "Klimapartnerschaften", 5: "Nachhaltigkeit", 7: "Bildung"}
# TYPO3 derives cHash from the parameters and the installation's encryptionKey; crawlers cannot guess it.
ENCRYPTION_KEY = b"partnerwatch-replica-typo3-encryption-key"
SIDEBAR = {
    "v1": "Termin-Tipp: Regionalkonferenz Nachhaltigkeit im Münsterland – jetzt Plätze sichern",
    "v2": "Termin-Tipp: Sommerakademie für kommunale Nachhaltigkeitsmanager*innen in Hamm",
}
NEWSLETTER = ("LAG 21 NRW Newsletter", "Jetzt anmelden und nachhaltig informiert werden.")
TEMPLATE_PHRASES = (
    "Diese Seite teilen", "Link kopieren", "Dies ist der ALT-Text", *NEWSLETTER,
    "Zum Inhalt springen", "Landesarbeitsgemeinschaft Agenda 21 NRW e.V.", *SIDEBAR.values(),
)


def chash(pairs: list[tuple[str, str]]) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(pairs)).encode("utf-8")
    return hmac.new(ENCRYPTION_KEY, message, hashlib.sha1).hexdigest()[:32]


def protected(path: str, *pairs: tuple[str, str]) -> str:
    """A tx_news link with its cHash, in TYPO3's parameter order."""
    return link(path, *pairs, ("cHash", chash(list(pairs))))


def dateline(a: Article) -> str:
    return f"{a.get('place')}, {dates.numeric(a.date)} – " if a.date else ""


def text_of(a: Article) -> list[str]:
    return [dateline(a) + a.paragraphs[0], *a.paragraphs[1:]]


def _layout(state: str, title: str, main: str, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>{esc(title)} - LAG 21 NRW</title>
{head}<link rel="alternate" type="application/rss+xml" title="LAG 21 NRW Aktuelles" href="{LIST}?type=9818">
</head>
<body>
<a class="skiplink" href="#content">Zum Inhalt springen</a>
<header class="page-header"><a class="brand" href="/">LAG 21 NRW</a>
<nav class="main-nav"><ul><li><a href="{LIST}">Aktuelles</a></li><li><a href="/projekte/">Projekte</a></li><li><a href="/newsletter/">Newsletter</a></li><li><a href="/ueber-uns/">Über uns</a></li></ul></nav>
</header>
<div class="page-body">
<main id="content">
{main}
</main>
<aside class="sidebar"><div class="teaser-box"><h4>Veranstaltungen</h4><p>{esc(SIDEBAR[state])}</p></div></aside>
</div>
<footer class="page-footer"><p>Landesarbeitsgemeinschaft Agenda 21 NRW e.V.</p>
<ul><li><a href="/impressum/">Impressum</a></li><li><a href="/datenschutz/">Datenschutz</a></li></ul></footer>
</body>
</html>
"""


def _item(a: Article) -> str:
    tags = ", ".join(TAGS[t] for t in a.get("tags", []))
    return (f'<div class="article articletype-0" itemscope="itemscope">'
            f'<div class="header"><h3><a title="{attr(a.title)}" href="{a.path}">{esc(a.title)}</a></h3></div>'
            f'<div class="teaser-text"><p>{esc(teaser(a.paragraphs[0], 150))}</p>'
            f'<a class="more" title="{attr(a.title)}" href="{a.path}">Weiterlesen</a></div>'
            f'<div class="footer"><p><span class="news-list-date">{dates.numeric(a.list_date)}</span> '
            f'<span class="news-list-category">{esc(a.get("category", ""))}</span> '
            f'<span class="news-list-tags">{esc(tags)}</span></p></div></div>')


def _facet() -> str:
    links = "".join(f'<li><a href="{attr(protected(LIST, (TAG_PARAM, str(t))))}">{name}</a></li>' for t, name in TAGS.items())
    return f'<div class="news-filter"><h4>Filter</h4><div class="filter-group"><h5>Tags</h5><ul>{links}</ul></div></div>'


def _list_pages(state: str, items: list[Article]) -> dict[str, Page]:
    pages = {}
    groups = chunks(items, PER_PAGE)

    def href(n: int) -> str:
        return LIST if n == 1 else protected(LIST, (PAGE_PARAM, str(n)))

    for n, group in enumerate(groups, start=1):
        pager = [f'<li class="{"current" if i == n else ""}"><a href="{attr(href(i))}">{i}</a></li>' for i in range(1, len(groups) + 1)]
        if n < len(groups):
            pager.append(f'<li class="next"><a href="{attr(href(n + 1))}">Nächste</a></li>')
        main = (f'<h1>Aktuelles</h1>{_facet()}\n<div class="news-list-view">\n' + "\n".join(_item(a) for a in group)
                + f'\n</div><div class="page-navigation"><ul class="f3-widget-paginator">{"".join(pager)}</ul></div>')
        pages[request_key(href(n))] = Page(_layout(state, "Aktuelles", main))
    for tag, name in TAGS.items():
        tagged = [a for a in items if tag in a.get("tags", [])]
        main = f'<h1>Aktuelles: {name}</h1>{_facet()}\n<div class="news-list-view">\n' + "\n".join(_item(a) for a in tagged) + "</div>"
        pages[request_key(protected(LIST, (TAG_PARAM, str(tag))))] = Page(_layout(state, name, main))
    return pages


def _article(state: str, a: Article) -> Page:
    main = f"""<div class="news news-single">
<div class="share-bar"><span class="share-label">Diese Seite teilen</span> <button class="copy-link" data-clipboard="{base(SITE)}{a.path}">Link kopieren</button> <a href="/newsletter/">Newsletter</a></div>
<div class="article" itemscope="itemscope" itemtype="http://schema.org/Article">
<p class="news-category">{esc(a.get("category", ""))}</p>
<div class="header"><h1 itemprop="headline">{esc(a.title)}</h1></div>
<figure class="news-img-wrap"><img src="/fileadmin/news/{a.key}.jpg" alt="Dies ist der ALT-Text"><figcaption>Dies ist der ALT-Text</figcaption></figure>
<div class="news-text-wrap" itemprop="articleBody">
{paragraphs_html(text_of(a))}
</div>
<div class="news-backlink-wrap"><a href="{LIST}">Zurück</a></div>
</div>
<div class="newsletter-cta"><h3>{NEWSLETTER[0]}</h3><p>{NEWSLETTER[1]}</p><a href="/newsletter/">Newsletter</a></div>
</div>"""
    head = f'<link rel="canonical" href="{base(SITE)}{a.path}">\n'
    return Page(_layout(state, a.title, main, head), last_modified=a.modified, is_article=True)


def render(state: str, items: list[Article]) -> dict[str, dict[str, Page]]:
    pages = _list_pages(state, items)
    for a in items:
        pages[request_key(a.path)] = _article(state, a)
    feed = [FeedItem(a.title, f"{base(SITE)}{a.path}", teaser(a.paragraphs[0], 200), dates.rfc822(a.list_date))
            for a in items]
    pages[request_key(link(LIST, ("type", "9818")))] = rss_page(
        rss("LAG 21 NRW: Aktuelles", f"{base(SITE)}{LIST}", "Neuigkeiten der LAG 21 NRW", feed))
    pages["/newsletter/"] = Page(_layout(state, "Newsletter", f"<h1>Newsletter</h1><p>{NEWSLETTER[1]}</p>"))
    pages["/"] = Page(_layout(state, "Startseite", "<h1>LAG 21 NRW</h1>\n" + "\n".join(_item(a) for a in items[:3])))
    pages["/robots.txt"] = text_page("User-agent: *\nDisallow: /typo3/\n")
    # The mirror serves the very same bytes: its canonical links already point at the primary host.
    return {SITE: pages, "lag21-mirror": pages}


def discovery(items: list[Article]) -> dict[str, tuple[str, ...]]:
    return {a.key: ("listing", "feed") for a in items}


def boilerplate(items: list[Article]) -> list[str]:
    return list(TEMPLATE_PHRASES)


def forbidden(items: list[Article]) -> list[tuple[str, str]]:
    return list(FORBIDDEN)
