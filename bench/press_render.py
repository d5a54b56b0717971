"""HTML of the press benchmark site's own pages: releases, archived copies, the two paginated listings.

Two designs of its own, unlike bench/site_generator.py's town: a network's press room (top menu,
sub-navigation, release number, lead, sub-headings, quotes, contact box, downloads, a box of
recent releases, a newsletter footer) and a legacy table layout for the archive. The releases
poured into real-world templates (bench/real_templates.py) get the same article body.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from press_text import CLOSING, CONTACTS

NETWORK = "Landesnetzwerk Kommunale Partnerschaften"
MENU = ("Netzwerk", "Themen", "Förderung", "Projekte", "Termine", "Presse", "Mediathek", "Kontakt")
SUBNAV = ("Pressemitteilungen", "Pressearchiv", "Pressefotos", "Ansprechpartner", "Newsletter")


@dataclass(frozen=True)
class Release:
    path: str
    title: str
    published: date
    number: str  # "12/2025": press offices number their releases per year
    lang: str
    blocks: tuple[tuple[str, str], ...]  # ("lead" | "p" | "h2" | "quote", text), in order
    contact: int
    template: int | None = None  # index of a real-world template; None: the press room's own

    @property
    def teaser(self) -> str:
        return self.blocks[0][1][:220]


def article_body(release: Release) -> str:
    """The article as press offices print it: lead, text, the stock closing, the contact box."""
    parts = []
    for kind, text in release.blocks:
        text = html.escape(text)
        parts.append({"lead": f'<p class="lead"><strong>{text}</strong></p>', "h2": f"<h2>{text}</h2>",
                      "quote": f"<blockquote><p>{text}</p></blockquote>"}.get(kind, f"<p>{text}</p>"))
    name, role, phone = CONTACTS[release.contact]
    parts.append(f"<p>{html.escape(CLOSING[release.lang])}</p>")
    parts.append(f'<div class="press-contact"><h3>Pressekontakt</h3><p>{name}<br>{role}<br>Telefon {phone}<br>'
                 f"presse@landesnetzwerk.example</p></div>")
    return "\n".join(parts)


def render_release(release: Release, recent: list[Release]) -> str:
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": release.title,
                     "datePublished": release.published.isoformat(), "inLanguage": release.lang,
                     "publisher": {"@type": "Organization", "name": NETWORK}}, ensure_ascii=False)
    title = html.escape(release.title)
    aside = "".join(f'<li><span>{r.published:%d.%m.%Y}</span> <a href="{r.path}">{html.escape(r.title)}</a></li>'
                    for r in recent)
    article = (f'<article class="press-release"><p class="meta">Pressemitteilung {release.number} · '
               f'<time datetime="{release.published.isoformat()}">{release.published:%d.%m.%Y}</time></p>'
               f"<h1>{title}</h1>{article_body(release)}"
               f'<ul class="downloads"><li><a href="{release.path}pdf">PDF-Version</a></li>'
               f'<li><a href="/presse/fotos/">Pressefotos</a></li></ul>{_share(release.path)}</article>')
    return (f'<!DOCTYPE html><html lang="{release.lang}"><head><meta charset="utf-8"><title>{title} – {NETWORK}'
            f'</title><link rel="canonical" href="{release.path}"><meta name="viewport" content="width=device-width">'
            f'<link rel="stylesheet" href="/assets/site.css"><script type="application/ld+json">{ld}</script></head>'
            f"<body>{_cookie_banner()}{_header()}<div class=\"layout\">{_subnav()}<main id=\"main\">"
            f'<nav class="breadcrumb"><a href="/">Start</a> / <a href="/presse/">Presse</a></nav>{article}</main>'
            f'<aside class="recent"><h2>Aktuelle Pressemitteilungen</h2><ul>{aside}</ul>'
            f'<div class="dates"><h2>Termine</h2><p>Netzwerktreffen, Fachtage und Webinare finden Sie im '
            f'<a href="/termine/">Terminkalender</a>.</p></div></aside></div>{_footer()}</body></html>')


def render_archived(release: Release) -> str:
    """A copy in the old archive's table layout, as CMS relaunches leave them behind."""
    return (f'<!DOCTYPE html><html lang="{release.lang}"><head><meta charset="utf-8">'
            f"<title>Pressearchiv: {html.escape(release.title)}</title></head><body>"
            f'<table class="frame" width="100%"><tr><td class="left" width="180">{_subnav()}</td><td id="content">'
            f'<p class="notice">Archivierte Pressemitteilung – dieser Text wird nicht mehr aktualisiert.</p>'
            f"<h1>{html.escape(release.title)}</h1><p class=\"date\">{release.published:%d.%m.%Y}</p>"
            f"{article_body(release)}<p><a href=\"/pressemitteilungen/archiv/\">Zurück zum Archiv</a></p>"
            f"</td></tr></table>{_footer()}</body></html>")


def render_listing(heading: str, entries: list[Release], pager: list[tuple[str, str]]) -> str:
    """One page of a listing; `pager` holds (label, URL) of its links."""
    items = "".join(
        f'<div class="teaser"><p class="meta">{r.published:%d.%m.%Y} · Pressemitteilung {r.number}</p>'
        f'<h3><a href="{r.path}">{html.escape(r.title)}</a></h3><p>{html.escape(r.teaser)} …</p>'
        f'<a class="more" href="{r.path}">Weiterlesen</a></div>' for r in entries)
    links = "".join(f'<a href="{html.escape(url)}">{label}</a>' for label, url in pager)
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{heading} – {NETWORK}</title>'
            f"</head><body>{_header()}<div class=\"layout\">{_subnav()}<main id=\"main\"><h1>{heading}</h1>{items}"
            f'<nav class="pagination">{links}</nav></main></div>{_footer()}</body></html>')


def pager_links(number: int, last: int, url_of: Callable[[int], str], window: int = 3) -> list[tuple[str, str]]:
    """« Zurück, first, a window of neighbours, last, Weiter »: links as CMS pagers print them."""
    shown = sorted({1, last, *range(max(1, number - window), min(last, number + window) + 1)})
    links = [("« Zurück", url_of(number - 1))] if number > 1 else []
    links += [(str(n), url_of(n)) for n in shown if n != number]
    return links + ([("Weiter »", url_of(number + 1))] if number < last else [])


def _header() -> str:
    items = "".join(f'<li><a href="/{m.lower()}/">{m}</a></li>' for m in MENU)
    return (f'<header><a class="logo" href="/">{NETWORK}</a><a class="skip" href="#main">Zum Inhalt</a>'
            f'<form action="/suche/" role="search"><input name="q" placeholder="Suche"></form>'
            f'<nav class="top"><ul>{items}</ul></nav></header>')


def _subnav() -> str:
    urls = ("/presse/", "/pressemitteilungen/archiv/", "/presse/fotos/", "/presse/kontakt/", "/newsletter/")
    items = "".join(f'<li><a href="{u}">{label}</a></li>' for label, u in zip(SUBNAV, urls))
    return f'<nav class="subnav"><h2>Presse</h2><ul>{items}</ul></nav>'


def _share(path: str) -> str:
    return ('<div class="share">Teilen: '
            + "".join(f'<a href="https://{s}/share?u={path}">{s.split(".")[0]}</a> '
                      for s in ("mastodon.social", "bsky.app", "linkedin.com")) + "</div>")


def _cookie_banner() -> str:
    return ('<div id="cookie-consent" class="banner"><p>Wir verwenden nur technisch notwendige Cookies. '
            'Mehr dazu in der <a href="/datenschutz/">Datenschutzerklärung</a>.</p><button>OK</button></div>')


def _footer() -> str:
    links = "".join(f'<li><a href="/{n.lower()}/">{n}</a></li>'
                    for n in ("Impressum", "Datenschutz", "Barrierefreiheit", "Kontakt", "Sitemap"))
    return (f'<footer><form action="/newsletter/"><label>Newsletter abonnieren <input name="email"></label>'
            f"<button>Anmelden</button></form><p>{NETWORK} e. V. · Königstraße 10 · 70173 Stuttgart</p>"
            f"<ul>{links}</ul></footer>")
