"""URL cleaning: one article is one URL however many ways it is linked or encoded.

`clean_url` is what the crawler requests, `canonical_url` what the archive files an article
under; crawler/identity.py adds each source's own rules (mirrors, a replica's origins, session
parameters, which `rel=canonical` to believe).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Query parameters that never select content on any site: trackers and unmistakable session ids.
# `s` and `sid` are not here: session ids on some CMSs, story ids on others. A source names them
# in its `session_params`, or the crawl detects them (crawler/identity.py).
_DROPPED_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|msclkid|mc_cid|mc_eid|phpsessid|jsessionid|aspsessionid[a-z]*|sessionid|"
    r"session_id|sessid|cfid|cftoken)$",
    re.IGNORECASE,
)
# ;jsessionid=… (Java, PHP) and ASP.NET's cookieless /(S(…))/ segment (also (A(…)), (F(…)))
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*|/\([A-Z]\([A-Za-z0-9]+\)\)(?=/|$)", re.IGNORECASE)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_dropped_param(name: str, session_params: Collection[str] = ()) -> bool:
    """A tracker or session parameter: `session_params` are a source's own, lower-case."""
    return bool(_DROPPED_PARAMS.match(name)) or name.lower() in session_params


def clean_url(url: str, session_params: Collection[str] = ()) -> str:
    """The URL to request: encoded as a browser sends it, no fragment, no tracker or session id.

    Spaces and umlauts are percent-encoded (UTF-8) and the host IDNA-encoded, as Scrapy does
    when it sends the request, so a link and the fetched page's URL are the same string. The
    query keeps its exact bytes apart from the parameters dropped: TYPO3's cHash covers it.
    """
    parts = urlsplit(safe_url_string(url))
    path = _PATH_SESSION.sub("", parts.path)
    query = parts.query
    if query:
        pairs = query.split("&")
        kept = [p for p in pairs if not is_dropped_param(unquote_plus(p.partition("=")[0]), session_params)]
        query = query if len(kept) == len(pairs) else "&".join(kept)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def canonical_url(url: str, session_params: Collection[str] = ()) -> str:
    """The archive's form of a URL: cleaned, lower-case scheme and host, no default port,
    percent-escapes in upper case and unreserved characters unescaped (RFC 3986, 6.2.2)."""
    parts = urlsplit(clean_url(url, session_params))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    try:
        port = parts.port
    except ValueError:  # not a number: leave the netloc as it came
        port, host = None, parts.netloc.lower()
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, _normal_escapes(parts.path) or "/", _normal_escapes(parts.query), ""))


def _normal_escapes(text: str) -> str:
    return _ESCAPE.sub(_normal_escape, text) if "%" in text else text


def _normal_escape(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    return char if char in _UNRESERVED else match[0].upper()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def with_origin(url: str, new_origin: str) -> str:
    """`url` with its scheme and host:port replaced by those of `new_origin`."""
    parts, new = urlsplit(url), urlsplit(new_origin)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))


def netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def path_and_query(url: str) -> str:
    """What source patterns are searched in: the path, plus `?query` when there is one."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_pathological(url: str, max_segments: int = 12, max_repeats: int = 3) -> bool:
    """True for ever-growing paths (/a/b/a/b/…, relative-link loops): too deep or one segment repeated."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return len(segments) > max_segments or any(segments.count(s) >= max_repeats for s in set(segments))
