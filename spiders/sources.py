"""The sources file: one entry per site, validated on load.

A bad entry is reported with its name and field and skipped; the other sources load.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cssselect import GenericTranslator, SelectorError

from crawler.identity import UrlIdentity, matches
from crawler.netguard import Refused, check_host_entry, is_allowed_endpoint
from crawler.revisit_policy import RevisitPolicy

BUNDLED_SOURCES = Path(__file__).with_name("sources.toml")
SPIDERS = ("skew", "lag21", "municipal")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\[\]-]+$")
_HOST_ENTRY = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


class SourcesFileError(ValueError):
    """The sources file as a whole cannot be read: missing, unreadable, or not TOML."""


class SourceError(ValueError):
    """A sources-file entry that cannot be used; the message names the entry and field."""


@dataclass(frozen=True)
class Source:
    name: str
    spider: str
    title: str
    start_urls: tuple[str, ...]
    allowed_hosts: frozenset[str]  # host or host:port, lower case
    article_patterns: tuple[re.Pattern[str], ...]
    listing_patterns: tuple[re.Pattern[str], ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    language: str = "de"
    page_budget: int = 500
    delay: float | None = None  # seconds between requests to this source's hosts
    home_url: str = field(default="")
    mirrors: dict[str, str] = field(default_factory=dict)  # mirror origin -> primary origin
    links_css: str | None = None  # CSS selector of the part of a listing whose links count
    depth_limit: int | None = None  # listing hops from a start URL; None: the crawl's default
    listing_fallback: bool = False  # True: listings only when every feed failed or was empty
    session_params: frozenset[str] = frozenset()  # lower case: query parameters that are session ids here
    real_origins: dict[str, str] = field(default_factory=dict)  # served origin -> real origin (rebased)
    revisit: str = "nightly"  # nightly | adaptive: how often known articles are asked (crawler/revisit_policy.py)
    recent_days: int = 60  # adaptive: first seen or changed this recently, checked every night
    max_interval_days: int = 7  # adaptive: every article is checked at least this often

    @property
    def revisit_policy(self) -> RevisitPolicy:
        return RevisitPolicy(self.revisit == "adaptive", self.recent_days, self.max_interval_days)

    def is_article(self, path_and_query: str) -> bool:
        return matches(self.article_patterns, path_and_query)

    def is_listing(self, path_and_query: str) -> bool:
        return matches(self.listing_patterns, path_and_query)

    def url_identity(self) -> UrlIdentity:
        """The source's URL identity rules; one instance per crawl, as it learns session ids."""
        return UrlIdentity(self.allowed_hosts, self.mirrors, self.real_origins, set(self.session_params),
                           self.article_patterns, self.listing_patterns,
                           frozenset((*self.start_urls, self.home_url)))

    def is_covered_by(self, origin_map: dict[str, str]) -> bool:
        """Whether `origin_map` says where to crawl this source instead (one of its start URLs' origins)."""
        return any(_origin(url) in origin_map for url in self.start_urls)

    def rebased(self, origin_map: dict[str, str]) -> Source:
        """The same source served elsewhere (a replica, a staging host): origins swapped."""
        hosts = {_netloc(o): _netloc(n) for o, n in origin_map.items()}

        def swap(urls: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(_rebase(u, origin_map) for u in urls)

        return replace(
            self,
            start_urls=swap(self.start_urls),
            feeds=swap(self.feeds),
            sitemaps=swap(self.sitemaps),
            home_url=_rebase(self.home_url, origin_map),
            allowed_hosts=frozenset(hosts.get(h, h) for h in self.allowed_hosts),
            mirrors={_rebase(m, origin_map): _rebase(p, origin_map) for m, p in self.mirrors.items()},
            # the archive keeps filing articles under the real site's URLs (crawler/identity.py)
            real_origins={**self.real_origins, **{new: old for old, new in origin_map.items()}},
        )


def load_sources(path: Path = BUNDLED_SOURCES, private_allowed: Iterable[str] = (), *, guard: bool = True
                 ) -> tuple[list[Source], list[SourceError]]:
    """All valid sources in `path`, and one error for each entry that is not.

    An entry whose allowed_hosts name a non-public address (the metadata address, a private
    network, loopback) is refused unless `private_allowed` (CRAWLER_NETGUARD_ALLOWED_PRIVATE)
    names it too: the sources file must not be a way around the net guard. `guard=False` skips
    that check, for readers that fetch nothing (`partnerwatch status`).
    """
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as error:
        raise SourcesFileError(f"{path}: TOML syntax error: {_located(error, path)}") from None
    except OSError as error:
        raise SourcesFileError(f"{path}: {error.strerror or error}") from None
    sources, errors = [], []
    for name, entry in raw.items():
        try:
            sources.append(parse_source(name, entry, private_allowed if guard else None))
        except SourceError as error:
            errors.append(SourceError(f"{path}: {error}"))
    return sources, errors


def _located(error: tomllib.TOMLDecodeError, path: Path) -> str:
    """The message with a line and column: tomllib says "(at end of document)" for an unclosed one."""
    message = str(error)  # else it ends "(at line L, column C)"
    if message.endswith("(at end of document)"):
        lines = Path(path).read_text("utf-8", errors="replace").split("\n")
        message = f"{message[:-1]}, line {len(lines)}, column {len(lines[-1]) + 1})"
    return message


def parse_source(name: str, entry: Any, private_allowed: Iterable[str] | None = ()) -> Source:
    """One entry; `private_allowed` None: its hosts' addresses are not checked (nothing is fetched)."""
    def fail(field_name: str, why: str) -> SourceError:
        return SourceError(f"source {name!r}, field {field_name!r}: {why}")

    if not isinstance(entry, dict):
        raise fail("*", "must be a table")
    unknown = set(entry) - {f for f in Source.__dataclass_fields__ if f != "name"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown field")
    spider = entry.get("spider", "municipal")
    if spider not in SPIDERS:
        raise fail("spider", f"must be one of {', '.join(SPIDERS)}")
    start_urls = _urls(entry, "start_urls", fail, required=True)
    feeds = _urls(entry, "feeds", fail)
    sitemaps = _urls(entry, "sitemaps", fail)
    hosts = entry.get("allowed_hosts") or sorted({urlsplit(u).netloc for u in start_urls})
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise fail("allowed_hosts", "must be a list of host names")
    for host in hosts:
        if not _HOST_ENTRY.match(host):
            raise fail("allowed_hosts", f"not a host or host:port: {host!r}")
        try:
            if private_allowed is not None:
                check_host_entry(host, private_allowed)
        except Refused as why:
            raise fail("allowed_hosts", f"{why} (allow it with CRAWLER_NETGUARD_ALLOWED_PRIVATE)") from None
    for key, urls in (("start_urls", start_urls), ("feeds", feeds), ("sitemaps", sitemaps)):
        outside = [u for u in urls if not is_allowed_endpoint(u, hosts)]
        if outside:
            raise fail(key, f"{outside[0]!r} is not on an allowed host")
    budget = entry.get("page_budget", 500)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise fail("page_budget", "must be a positive integer")
    delay = entry.get("delay")
    if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
        raise fail("delay", "must be a number of seconds")
    return Source(
        name=name,
        spider=spider,
        title=str(entry.get("title", name)),
        start_urls=start_urls,
        allowed_hosts=frozenset(h.lower() for h in hosts),
        article_patterns=_patterns(entry, "article_patterns", fail),
        listing_patterns=_patterns(entry, "listing_patterns", fail),
        feeds=feeds,
        sitemaps=sitemaps,
        language=_language(entry, fail),
        page_budget=budget,
        delay=float(delay) if delay is not None else None,
        home_url=str(entry.get("home_url", _origin(start_urls[0]) + "/")),
        mirrors=_mirrors(entry, start_urls[0], hosts, fail),
        links_css=_css(entry, fail),
        depth_limit=_positive(entry, "depth_limit", fail),
        listing_fallback=_flag(entry, "listing_fallback", fail),
        session_params=_session_params(entry, fail),
        revisit=_choice(entry, "revisit", ("nightly", "adaptive"), fail),
        recent_days=_positive(entry, "recent_days", fail) or RevisitPolicy.recent_days,
        max_interval_days=_positive(entry, "max_interval_days", fail) or RevisitPolicy.max_interval_days,
    )


def _mirrors(entry: dict, start_url: str, hosts: list[str], fail) -> dict[str, str]:
    """Declared mirrors, plus the www/bare twin of the start host when it is allowed too."""
    declared = entry.get("mirrors", {})
    if not isinstance(declared, dict):
        raise fail("mirrors", 'must be a table of "mirror origin" = "primary origin"')
    mirrors = {}
    for mirror, primary in declared.items():
        for url in (mirror, primary):
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
                raise fail("mirrors", f"not an origin (scheme://host[:port]): {url!r}")
        mirrors[mirror.rstrip("/").lower()] = primary.rstrip("/")
    start = urlsplit(start_url)
    host = start.netloc.lower()
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    if twin in {h.lower() for h in hosts}:
        for scheme in ("http", "https"):
            mirrors.setdefault(f"{scheme}://{twin}", f"{start.scheme}://{start.netloc}")
    return mirrors


def _session_params(entry: dict, fail) -> frozenset[str]:
    names = entry.get("session_params", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and _PARAM_NAME.match(n) for n in names):
        raise fail("session_params", "must be a list of query parameter names")
    return frozenset(n.lower() for n in names)


def _language(entry: dict, fail) -> str:
    language = entry.get("language", "de")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}", language):
        raise fail("language", "must be a language code such as 'de'")
    return language


def _css(entry: dict, fail) -> str | None:
    css = entry.get("links_css")
    if css is None:
        return None
    try:
        GenericTranslator().css_to_xpath(css)
    except (SelectorError, TypeError) as error:
        raise fail("links_css", f"bad CSS selector: {error}") from None
    return css


def _positive(entry: dict, key: str, fail) -> int | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise fail(key, "must be a positive integer")
    return value


def _choice(entry: dict, key: str, choices: tuple[str, ...], fail) -> str:
    value = entry.get(key, choices[0])
    if value not in choices:
        raise fail(key, f"must be one of {', '.join(choices)}")
    return value


def _flag(entry: dict, key: str, fail) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise fail(key, "must be true or false")
    return value


def _urls(entry: dict, key: str, fail, required: bool = False) -> tuple[str, ...]:
    urls = entry.get(key, [])
    if required and not urls:
        raise fail(key, "at least one URL is required")
    if not isinstance(urls, list):
        raise fail(key, "must be a list of URLs")
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise fail(key, f"not an http(s) URL: {url!r}")
    return tuple(urls)


def _patterns(entry: dict, key: str, fail) -> tuple[re.Pattern[str], ...]:
    patterns = entry.get(key)
    if not patterns or not isinstance(patterns, list):
        raise fail(key, "must be a non-empty list of regular expressions")
    try:
        return tuple(re.compile(p) for p in patterns)
    except (re.error, TypeError) as error:
        raise fail(key, f"bad regular expression: {error}") from None


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _rebase(url: str, origin_map: dict[str, str]) -> str:
    if not url:
        return url
    new_origin = origin_map.get(_origin(url))
    if new_origin is None:
        return url
    parts = urlsplit(url)
    new = urlsplit(new_origin)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))
