"""Traps and volume (reliability.md §3.3): endless listings, session ids, growing paths, sitemaps.

Each trap is a source of its own on one trap server, so a spent budget stops only that trap.
"""

from __future__ import annotations

from typing import Any

from hostile_server import HostileServer
from misbehaviours import gzip_bomb

MAX_LINKS = 40  # CRAWLER_DISCOVERY_MAX_LINKS of both crawls: T8 and T5 show the cap
CALENDAR_BUDGET = 12
PAGES_DEPTH = 5
MANY_LINKS = 1000
SITEMAP_CHILDREN = 300
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 or "")) * 10}">' for n in range(1, 10))
          + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{origin}/karte/a9</loc>'
          "<lastmod>&lol9;</lastmod></url></urlset>")


def urlset(*urls: str) -> str:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def sitemap_index(*urls: str) -> str:
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>")


def trap_sources(traps: HostileServer, maps: HostileServer) -> dict[str, dict[str, Any]]:
    def source(start: str, listing: str, articles: str, **extra: Any) -> dict[str, Any]:
        return {"start_urls": [f"{traps.origin}{start}"], "allowed_hosts": [traps.netloc],
                "listing_patterns": [listing], "article_patterns": [articles], **extra}

    return {
        "calendar": source("/kalender/?monat=0", "^/kalender/", "^/kalender-meldung/", page_budget=CALENDAR_BUDGET),
        "pages": source("/liste/?page=1", "^/liste/", "^/liste-meldung/", depth_limit=PAGES_DEPTH),
        "sessions": source("/sitzung/", "^/sitzung/$", "^/sitzung/a\\d"),
        "paths": source("/pfad/", "^/pfad/", "^/pfad-meldung/"),
        "links": source("/viele/", "^/viele/$", "^/viele/a\\d+$"),
        "maps": {"start_urls": [f"{maps.origin}/karte/"], "allowed_hosts": [maps.netloc],
                 "listing_patterns": ["^/karte/$"], "article_patterns": ["^/karte/a\\d+$"],
                 "sitemaps": [f"{maps.origin}{path}" for path in
                              ("/loop-a.xml", "/index.xml", "/laughs.xml", "/bomb.xml.gz")]},
    }


def serve_traps(site: HostileServer) -> None:
    # T1: a calendar whose every month links the next and the previous one, without end
    for month in range(-40, 41):
        site.page(f"/kalender/?monat={month}", links=[f"/kalender/?monat={month - 1}", f"/kalender/?monat={month + 1}",
                                                       "/kalender-meldung/1"])
    site.article("/kalender-meldung/1")
    # T2: pagination that always answers 200 with the same two articles
    for number in range(1, 60):
        site.page(f"/liste/?page={number}", links=[f"/liste/?page={number + 1}", "/liste-meldung/1", "/liste-meldung/2"])
    site.article("/liste-meldung/1")
    site.article("/liste-meldung/2")
    # T3: session ids in every link, to the listing and to the articles: path ids that vary, and a
    # CMS's `sid` (a story id on other sites, so not stripped by name) whose one generated value
    # sits on every link of the page
    session = "3f9a2c7e81"
    site.page("/sitzung/", links=[f"/sitzung/;jsessionid=S{n}" for n in range(5)] + [f"/sitzung/?sid={session}"]
              + [f"/sitzung/a1;jsessionid=S{n}" for n in range(5)]
              + [f"/sitzung/a{n}?sid={session}&PHPSESSID=x{n}" for n in (1, 2, 3)])
    for n in (1, 2, 3):
        site.article(f"/sitzung/a{n}")
    # T4: a relative link that grows the path on every page (/pfad/a/, /pfad/a/a/, …)
    for depth in range(0, 30):
        site.page("/pfad/" + "a/" * depth, links=["a/", "/pfad-meldung/1"])
    site.article("/pfad-meldung/1")
    # T8: one page with a thousand article links
    site.page("/viele/", links=[f"/viele/a{n}" for n in range(MANY_LINKS)])


def serve_maps(site: HostileServer) -> None:
    origin = site.origin
    site.page("/karte/", links=[])
    # T5: a sitemap loop (a -> b -> a) and an index of hundreds of children
    site.xml("/loop-a.xml", sitemap_index(f"{origin}/loop-b.xml"))
    site.xml("/loop-b.xml", sitemap_index(f"{origin}/loop-a.xml", f"{origin}/loop-c.xml"))
    site.xml("/loop-c.xml", urlset(f"{origin}/karte/a1"))
    site.xml("/index.xml", sitemap_index(*(f"{origin}/kind-{n}.xml" for n in range(SITEMAP_CHILDREN))))
    for n in range(SITEMAP_CHILDREN):
        site.xml(f"/kind-{n}.xml", urlset(f"{origin}/karte/a2"))
    # T6: billion laughs around a real URL; T7: a gzip sitemap inflating past DOWNLOAD_MAXSIZE
    site.xml("/laughs.xml", LAUGHS.replace("{origin}", origin))
    site.xml("/bomb.xml.gz", gzip_bomb(64 * 1024 * 1024), "application/x-gzip")
    for n in (1, 2, 9):
        site.article(f"/karte/a{n}", title=f"Karte {n}")
