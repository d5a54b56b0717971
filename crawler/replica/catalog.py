"""Every page of every site in one state, rendered once and cached (the server only looks them up)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache
from types import ModuleType

from . import contao, imperia, newsroom, party, relaunch, txnews
from .content import Article, check_state, removed_paths, site_articles
from .pages import Page, gone, request_key

REAL_ORIGINS: dict[str, str] = {
    "skew": "https://skew.engagement-global.de",
    "eg": "https://www.engagement-global.de",
    "lag21": "https://www.lag21.de",
    "lag21-mirror": "https://lag21.de",
    "berlin": "https://www.berlin.de",
    "linke": "https://www.dielinke-treptow-koepenick.de",
    "wolfsburg": "https://www.wolfsburg.de",
    "wolfsburg-redaktion": "https://redaktion.wolfsburg.de",
}
FAMILIES: tuple[ModuleType, ...] = (contao, relaunch, txnews, imperia, party, newsroom)
FAMILY_OF: dict[str, ModuleType] = {s: f for f in FAMILIES for s in (f.SITE, *f.ALIASES)}
# The date non-article pages report as Last-Modified (the footer "Stand:" of that state).
STATE_DATE = {"v1": date(2025, 3, 14), "v2": date(2025, 6, 2)}


def family_articles(state: str, family: ModuleType) -> list[Article]:
    return site_articles(state, family.SITE)


@cache
def render_state(state: str) -> dict[str, dict[str, Page]]:
    """site key -> request key -> Page, for every site key of REAL_ORIGINS."""
    check_state(state)
    sites: dict[str, dict[str, Page]] = {}
    for family in FAMILIES:
        for site, pages in family.render(state, family_articles(state, family)).items():
            sites[site] = dict(pages)
    for (primary, path), status in removed_paths(state).items():
        if status == 410:
            for site, family in FAMILY_OF.items():
                if primary == family.SITE:
                    sites[site][request_key(path)] = gone()
    previous = render_state("v1") if state == "v2" else {}
    for site, pages in sites.items():
        for key, page in pages.items():
            if page.last_modified is None and page.status == 200:
                old = previous.get(site, {}).get(key)
                # An untouched page keeps its v1 date so If-Modified-Since stays truthful.
                kept = old.last_modified if old is not None and old.body == page.body else None
                pages[key] = replace(page, last_modified=kept or STATE_DATE[state])
    missing = set(REAL_ORIGINS) ^ set(sites)
    if missing:
        raise RuntimeError(f"site keys without pages or origin: {sorted(missing)}")
    return sites


def ignored_params(site: str) -> frozenset[str]:
    return FAMILY_OF[site].IGNORED_PARAMS
