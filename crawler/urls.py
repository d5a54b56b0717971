"""URL cleaning: one article is one URL however many ways it is linked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.netguard import Refused, is_allowed_endpoint

# Query parameters that never select content: trackers and session ids.
_DROPPED_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|mc_cid|mc_eid|s|sid|phpsessid|jsessionid|sessionid)$", re.IGNORECASE
)
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def clean_url(url: str) -> str:
    """The URL to request: no fragment, no tracking or session parameters."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _DROPPED_PARAMS.match(k)]
    # keep the original encoding when nothing was dropped: TYPO3's cHash covers the raw query
    new_query = parts.query if len(query) == len(parse_qsl(parts.query, keep_blank_values=True)) else urlencode(query)
    return urlunsplit((parts.scheme, parts.netloc, path, new_query, ""))


def canonical_url(url: str) -> str:
    """The archive's identity for a URL: cleaned, lower-case scheme and host, no default port."""
    parts = urlsplit(clean_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def is_pathological(url: str, max_segments: int = 12, max_repeats: int = 3) -> bool:
    """True for ever-growing paths (/a/b/a/b/…, relative-link loops): too deep or one segment repeated."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return len(segments) > max_segments or any(segments.count(s) >= max_repeats for s in set(segments))


def article_identity(url: str, declared: str | None, site_hosts: Iterable[str],
                     mirrors: Mapping[str, str]) -> str:
    """The canonical URL an article is archived under.

    The page's own `rel=canonical` counts only when it stays on the source's hosts: a copy on
    another site must not claim, or be claimed by, the original. Mirror hosts map to the
    primary host, which also unifies mirrors that carry no canonical tag.
    """
    candidate = declared if declared and _is_same_site(declared, site_hosts) else url
    mirror_of = mirrors.get(origin(candidate).lower())
    if mirror_of:
        parts, primary = urlsplit(candidate), urlsplit(mirror_of)
        candidate = urlunsplit((primary.scheme, primary.netloc, parts.path, parts.query, ""))
    return canonical_url(candidate)


def _is_same_site(url: str, site_hosts: Iterable[str]) -> bool:
    try:
        return is_allowed_endpoint(url, site_hosts)
    except Refused:
        return False
