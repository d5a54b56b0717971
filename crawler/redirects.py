"""Redirects that end in a loop or run too long fail with a reason, under the URL that was linked.

Scrapy drops a redirect back to a URL already requested in its dupefilter, silently: A→A and
A→B→A left no outcome row and no log line. And when REDIRECT_MAX_TIMES runs out it raises a bare
IgnoreRequest for the last hop, so the outcome was filed under the 5th hop's URL. Here both are
errors of the request that started the chain (`RedirectFailed.linked_url`), detail
`redirect_loop` or `too_many_redirects`. A redirect to a `file:`, `data:` or any other non-HTTP
URL, which Scrapy hands on as the 3xx response itself (an `HttpError` of no use to anyone), is
detail `bad_redirect` (reliability.md H16).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from w3lib.url import safe_url_string

from storage.urls import canonical_url


class RedirectFailed(IgnoreRequest):
    """A redirect chain that cannot end: `detail` names why, `linked_url` where it started."""

    detail = "redirect_failed"

    def __init__(self, message: str, linked_url: str) -> None:
        super().__init__(message)
        self.linked_url = linked_url


class RedirectLoop(RedirectFailed):
    detail = "redirect_loop"


class TooManyRedirects(RedirectFailed):
    detail = "too_many_redirects"


class BadRedirect(RedirectFailed):
    detail = "bad_redirect"


_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class _StrictRedirects:
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if canonical_url(redirected.url) in {canonical_url(url) for url in chain}:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, redirected.url])}", chain[0])
        try:
            return super()._redirect(redirected, request, reason)  # type: ignore[misc]
        except IgnoreRequest:
            raise TooManyRedirects(f"more than {self.max_redirect_times} redirects from {chain[0]}",
                                   chain[0]) from None


class StrictRedirectMiddleware(_StrictRedirects, RedirectMiddleware):
    """Scrapy's RedirectMiddleware with loops, overlong chains and non-HTTP targets as named failures."""

    # Scrapy 2.14 deprecated the spider argument its own signature still declares: omitted here
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        location = response.headers.get("Location")
        is_unfollowed = result is response and not request.meta.get("dont_redirect")
        if is_unfollowed and response.status in _REDIRECT_STATUSES and location:
            target = urljoin(request.url, safe_url_string(location))
            if urlsplit(target).scheme not in ("http", "https"):
                linked = [*request.meta.get("redirect_urls", []), request.url][0]
                raise BadRedirect(f"redirect from {request.url} to a non-HTTP URL: {target[:200]}", linked)
        return result


class StrictMetaRefreshMiddleware(_StrictRedirects, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware with the same rule for `<meta http-equiv=refresh>` chains.

    Scrapy's check reads `response.text`, which decodes the whole body and keeps the decoded copy
    on the response while it waits for an extraction worker (~20 MB of a first crawl's peak). It
    only looks at the first 4,096 characters, so a page whose first bytes that can hold them name
    no "refresh" in any encoding is passed on undecoded.
    """

    # Scrapy 2.14 deprecated the spider argument its own signature still declares: omitted here
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if isinstance(response, HtmlResponse) and not may_hold_meta_refresh(response.body):
            return response
        return super().process_response(request, response)


# The 4,096 characters Scrapy reads take at most 4 bytes each (UTF-8, UTF-32); the word is looked
# for as ASCII-compatible bytes, as UTF-16 (either byte order) and as UTF-32.
_REFRESH_SPELLINGS = (b"refresh", "refresh".encode("utf-16-le"), "refresh".encode("utf-32-le")[:-3])
_REFRESH_WINDOW = 4 * 4096 + 8


def may_hold_meta_refresh(body: bytes) -> bool:
    """False only when the part of `body` Scrapy reads for a meta refresh cannot name one."""
    head = body[:_REFRESH_WINDOW].lower()
    return any(spelling in head for spelling in _REFRESH_SPELLINGS)
