"""Golden data: what a perfect crawler would find and store in one state.

Everything is derived from content/*.toml through the same renderers that build the pages.

`Golden` fields:
    state: "v1" | "v2"
    articles: tuple[GoldenArticle, ...] -- one entry per article URL on every origin, including the
        alias origins (lag21-mirror, wolfsburg-redaktion) whose canonical_site is the primary site.
    forbidden: tuple[(site, path), ...] -- URLs linked in this state that a polite crawler never
        fetches: robots-disallowed paths, berlin's off-district /ba-neukoelln/ links and session
        variants (`(S(...))`, `?s=`).
    boilerplate_phrases: dict[site, tuple[str, ...]] -- template strings (both states) that must
        never reach stored text.
    redirects: tuple[(site, path, status, target_site, target_path), ...]
    soft_404: tuple[(site, path), ...] -- answer 200 with a "Seite nicht gefunden" page.
    changes: None for v1; for v2 a dict with keys "new", "changed", "removed", "boilerplate_only",
        "unchanged", each a tuple of (site, path) relative to v1.

`GoldenArticle.published` is the date the article page itself shows (ISO), or None when the page
carries no date anywhere -- even if a listing or feed shows one (LAG 21 and DIE LINKE do this).
`text` is the article's body paragraphs joined with "\\n"; datelines printed inside the first
paragraph (SKEW "Bonn, 24. Februar 2024. ", LAG 21 "Lahr, 29.05.2018 – ", Wolfsburg
"31. Oktober 2022: ") are part of it, dates in separate elements (berlin.de "Pressemitteilung vom",
bylines, <time>) and subtitles are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .catalog import FAMILIES, FAMILY_OF, family_articles, render_state
from .content import STATES, check_state
from .pages import PLACEHOLDER, clean_title, not_found, request_key

Pair = tuple[str, str]
CHANGE_KINDS = ("new", "changed", "removed", "boilerplate_only", "unchanged")


@dataclass(frozen=True)
class GoldenArticle:
    site: str
    path: str  # path + query, as linked and requested
    canonical_site: str
    canonical_path: str
    title: str  # clean: no soft hyphens, NBSP -> space
    published: str | None  # ISO date shown on the article page, None when it shows none
    language: str  # actual language: de / en / es
    declared_language: str  # the page's <html lang> (one German page claims "en")
    on_topic: bool
    text: str
    cluster: str | None  # shared by articles reporting the same event
    discoverable_from: tuple[str, ...]  # subset of ("listing", "feed", "sitemap")
    key: str  # content id; alias entries share their primary's key
    translation_of: str | None  # key of the article this one translates
    modified: str  # ISO date sent as Last-Modified

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")

    @property
    def is_alias(self) -> bool:
        return (self.site, self.path) != (self.canonical_site, self.canonical_path)


@dataclass(frozen=True)
class Golden:
    state: str
    articles: tuple[GoldenArticle, ...]
    forbidden: tuple[Pair, ...]
    boilerplate_phrases: dict[str, tuple[str, ...]]
    redirects: tuple[tuple[str, str, int, str, str], ...]
    soft_404: tuple[Pair, ...]
    changes: dict[str, tuple[Pair, ...]] | None

    def article(self, site: str, path: str) -> GoldenArticle:
        for a in self.articles:
            if (a.site, a.path) == (site, path):
                return a
        raise KeyError((site, path))

    def primary_articles(self) -> tuple[GoldenArticle, ...]:
        """One entry per distinct article: the alias-origin copies left out."""
        return tuple(a for a in self.articles if not a.is_alias)

    def url(self, urls: dict[str, str], site: str, path: str) -> str:
        return absolute_url(urls, site, path)


def absolute_url(urls: dict[str, str], site: str, path: str) -> str:
    """(site, path) -> absolute URL on the running replica (`Replica.urls`)."""
    return urls[site] + path


def _articles(state: str) -> list[GoldenArticle]:
    out = []
    for family in FAMILIES:
        items = family_articles(state, family)
        found = family.discovery(items)
        for a in items:
            for site in (family.SITE, *family.ALIASES):
                out.append(GoldenArticle(
                    site=site, path=a.path, canonical_site=family.SITE, canonical_path=a.path,
                    title=clean_title(a.title), published=a.date.isoformat() if a.date else None,
                    language=a.lang, declared_language=a.declared_lang, on_topic=a.on_topic,
                    text="\n".join(family.text_of(a)), cluster=a.cluster,
                    discoverable_from=found[a.key], key=a.key, translation_of=a.translation_of,
                    modified=a.modified.isoformat(),
                ))
    return out


def _boilerplate() -> dict[str, tuple[str, ...]]:
    phrases: dict[str, tuple[str, ...]] = {}
    for site, family in FAMILY_OF.items():
        seen = {p: None for s in STATES for p in family.boilerplate(family_articles(s, family))}
        phrases[site] = tuple(seen)
    return phrases


def _redirects_and_soft_404(state: str) -> tuple[tuple[tuple[str, str, int, str, str], ...], tuple[Pair, ...]]:
    redirects, soft = [], []
    soft_body = not_found(200).body
    for site, pages in render_state(state).items():
        for key, page in sorted(pages.items()):
            if page.location and (m := PLACEHOLDER.match(page.location)):
                redirects.append((site, key, page.status, m[1], page.location[m.end():]))
            elif page.status == 200 and page.body == soft_body:
                soft.append((site, key))
    return tuple(redirects), tuple(soft)


def _changes(v1: list[GoldenArticle], v2: list[GoldenArticle]) -> dict[str, tuple[Pair, ...]]:
    old = {(a.site, a.path): a for a in v1}
    new = {(a.site, a.path): a for a in v2}
    pages1, pages2 = render_state("v1"), render_state("v2")
    result: dict[str, list[Pair]] = {kind: [] for kind in CHANGE_KINDS}
    for pair in sorted(old.keys() | new.keys()):
        if pair not in old:
            result["new"].append(pair)
        elif pair not in new:
            result["removed"].append(pair)
        elif (old[pair].title, old[pair].text) != (new[pair].title, new[pair].text):
            result["changed"].append(pair)
        else:
            site, key = pair[0], request_key(pair[1])
            same = pages1[site][key].body == pages2[site][key].body
            result["unchanged" if same else "boilerplate_only"].append(pair)
    return {kind: tuple(pairs) for kind, pairs in result.items()}


@cache
def load_golden(state: str) -> Golden:
    """Golden data for `state` (computed once per process; treat it as read-only)."""
    check_state(state)
    articles = _articles(state)
    forbidden = sorted({p for f in FAMILIES for p in f.forbidden(family_articles(state, f))})
    redirects, soft = _redirects_and_soft_404(state)
    changes = _changes(_articles("v1"), articles) if state == "v2" else None
    return Golden(state, tuple(articles), tuple(forbidden), _boilerplate(), redirects, soft, changes)
