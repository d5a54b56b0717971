"""An article's identity: one function from any URL of it to the URL the archive files it under.

Every step that compares URLs uses `UrlIdentity.of` (the linked set, the conditional-request
map, revisits, the fetch log, the unlinked check), so a URL linked with an umlaut and fetched
percent-encoded, or served by a replica on a random port, is one article everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from crawler.netguard import Refused, is_allowed_endpoint
from storage.urls import canonical_url, clean_url, is_dropped_param, origin, path_and_query, with_origin

# A value that looks generated: 8+ letters, digits, - or _, at least one of them a digit (a hex
# token, a long number); words (`view=full`) and short codes (`L=1`, `cat=12`) are not
_RANDOM_VALUE = re.compile(r"^(?=[^0-9]*[0-9])[A-Za-z0-9_-]{8,}$")
# shorter, with a digit (`sid=41007`): a session id if it changes from one fetch to the next
_SHORT_VALUE = re.compile(r"^(?=[^0-9]*[0-9])[A-Za-z0-9_-]{4,7}$")
MIN_SESSION_LINKS = 3  # a session id rides on every link of the page; a story id on one target


@dataclass
class UrlIdentity:
    """One source's rules from a URL, as linked, fetched or declared, to its archive identity."""

    hosts: frozenset[str]  # where the source is served now: a rel=canonical elsewhere is ignored
    mirrors: Mapping[str, str] = field(default_factory=dict)  # mirror origin -> primary (as served)
    # served origin -> the real origin it stands in for (a replica, a staging copy): the identity
    # is the real site's URL, whichever port or host serves it tonight
    real_origins: Mapping[str, str] = field(default_factory=dict)
    session_params: set[str] = field(default_factory=set)  # lower case: the source's own and detected
    article_patterns: tuple[re.Pattern[str], ...] = ()
    listing_patterns: tuple[re.Pattern[str], ...] = ()
    landing_urls: frozenset[str] = frozenset()  # start and home pages, as served: never an article
    _served_origins: dict[str, str] = field(init=False, repr=False)
    _landing: frozenset[str] = field(init=False, repr=False)
    _shared_values: dict[str, str] = field(init=False, repr=False, default_factory=dict)
    # URL -> request URL / identity: each article URL is asked for ~6 times (discovery, the
    # conditional request and its answer, extraction, the archive), each time a few clean_url()s.
    # Kept with the session parameters they were worked out with; the other rules are fixed.
    _memo_state: tuple[frozenset[str], dict[str, str], dict[str, str]] = field(
        init=False, repr=False, compare=False, default_factory=lambda: (frozenset(), {}, {}))

    def __post_init__(self) -> None:
        self.real_origins = {served.lower(): real for served, real in self.real_origins.items()}
        self._served_origins = {origin(canonical_url(real)): served
                                for served, real in self.real_origins.items()}
        self._landing = frozenset(self.of(url) for url in self.landing_urls)

    def request_url(self, url: str) -> str:
        """The URL to fetch for a link: cleaned, and on the primary host when it names a mirror."""
        memo = self._memo()[1]
        known = memo.get(url)
        if known is None:
            cleaned = clean_url(url, self.session_params)
            primary = self.mirrors.get(origin(cleaned).lower())
            known = with_origin(cleaned, primary) if primary else cleaned
            memo[url] = known = url if known == url else known  # most are clean: one string, not two
        return known

    def of(self, url: str) -> str:
        """The identity of the page at `url`: its canonical form on the real, primary origin."""
        memo = self._memo()[2]
        known = memo.get(url)
        if known is None:
            fetched = self.request_url(url)
            real = self.real_origins.get(origin(fetched).lower())
            fetched = with_origin(fetched, real) if real else fetched
            known = canonical_url(fetched, self.session_params)
            memo[url] = known = url if known == url else known
        return known

    def _memo(self) -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
        """(session parameters, request URLs, identities), new and empty once the parameters change.

        Replaced as one tuple, and callers keep the dicts they got: the archive writer's thread
        asks too, and a URL it works out while the spider learns a parameter lands in the old dicts.
        """
        state = self._memo_state
        if self.session_params != state[0]:
            state = self._memo_state = (frozenset(self.session_params), {}, {})
        return state

    def of_article(self, url: str, declared: str | None) -> str:
        """The identity of an article fetched from `url` whose page declares `declared` canonical."""
        return self.of(declared if declared and self.accepts_canonical(declared) else url)

    def accepts_canonical(self, declared: str) -> bool:
        """A `rel=canonical` counts only on the source's hosts, for an article URL that is no
        start, listing or home page: a copy elsewhere must not claim the original, and a CMS
        that points every page at its home page must not make all its articles one."""
        try:
            if not is_allowed_endpoint(declared, self.hosts):
                return False
        except Refused:
            return False
        url = self.request_url(declared)
        if self.article_patterns and not matches(self.article_patterns, path_and_query(url)):
            return False
        return not matches(self.listing_patterns, path_and_query(url)) and self.of(url) not in self._landing

    def revisit_url(self, url: str, identity: str) -> str | None:
        """Where to ask again for an archived article: its last fetched URL, or, when a copy
        serves the source (the replica on tonight's ports), its identity on that copy."""
        if self.real_origins:
            served = self._served_origins.get(origin(identity))
            if served is not None:
                return with_origin(identity, served)
        return url if _is_on(url, self.hosts) else identity if _is_on(identity, self.hosts) else None

    def notice_session_params(self, page_url: str, links: Iterable[str]) -> tuple[set[str], set[str]]:
        """Session ids among one listing page's links (absolute URLs), stripped from now on, and
        the parameters still undecided (a short value seen only once so far).

        A parameter is session-like when one value of it rides on links to several different
        targets of the page, that value is not the one the page's own URL carries, and it either
        looks generated (8+ letters and digits) or differs from the value an earlier page gave
        its links. A story id (`sid=4711`) has a value per target; a language or filter
        parameter (`L=1`, `cat=5`) is the page's own, or the same on every page. A short value
        (4-7 characters, a digit) the same as before is undecided: fetch the page again to see.
        """
        values: dict[str, set[str]] = {}
        targets: dict[str, set[str]] = {}
        for link in links:
            parts = urlsplit(link)
            if not parts.query:
                continue
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            for name, value in pairs:
                key = name.lower()
                if not value or key in self.session_params or is_dropped_param(name):
                    continue
                values.setdefault(key, set()).add(value)
                rest = "&".join(f"{k}={v}" for k, v in pairs if k != name)
                targets.setdefault(key, set()).add(f"{parts.path}?{rest}")
        own = {name.lower(): value for name, value in parse_qsl(urlsplit(page_url).query)}
        found, undecided = set(), set()
        for key, seen in values.items():
            if len(seen) != 1 or len(targets[key]) < MIN_SESSION_LINKS:
                continue
            (value,) = seen
            if own.get(key) == value:
                continue
            earlier = self._shared_values.setdefault(key, value)
            if earlier != value or _RANDOM_VALUE.match(value):
                found.add(key)
            elif _SHORT_VALUE.match(value):
                undecided.add(key)
        self.session_params |= found
        return found, undecided


def matches(patterns: Iterable[re.Pattern[str]], path: str) -> bool:
    """A source pattern found in the path as linked, or as read with its escapes decoded
    (a pattern written with "ü" finds the link a browser sends as "%C3%BC")."""
    if any(p.search(path) for p in patterns):
        return True
    return "%" in path and any(p.search(unquote(path)) for p in patterns)


def _is_on(url: str, hosts: frozenset[str]) -> bool:
    try:
        return is_allowed_endpoint(url, hosts)
    except Refused:
        return False
