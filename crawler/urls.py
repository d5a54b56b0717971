"""URL cleaning: one article is one URL however many ways it is linked."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that never select content: trackers and session ids.
_DROPPED_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|mc_cid|mc_eid|s|sid|phpsessid|jsessionid|sessionid)$", re.I
)
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)
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
