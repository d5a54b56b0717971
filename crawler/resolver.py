"""The net guard at connect time: Scrapy's resolver, refusing answers that are not public.

NetGuardMiddleware judges a request before it is sent, but a host name is resolved again when
the connection is made, and that second answer may differ (DNS rebinding, a flapping resolver):
the address judged would not be the address connected to (reliability.md §2.1). So host names
are judged here, on the one answer the connection uses, and the middleware resolves nothing.
Scrapy installs this class on the reactor from `TWISTED_DNS_RESOLVER` (crawler/settings.py).

Twisted reports a refused answer as a failed lookup, which Scrapy turns into
CannotResolveHostError and retries. `RefusedAddressMiddleware` turns it back into what it is, a
refusal (outcome `refused`, not retried), when the resolver refused that very name.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred, fail
from twisted.internet.error import DNSLookupError

from crawler.middlewares import RefusedRequest
from crawler.netguard import Refused, check_resolved, parse_ip, private_allowance

logger = logging.getLogger(__name__)


class RefusedAnswer(DNSLookupError):
    """A resolver answer the net guard does not allow (a DNSLookupError, so Twisted fails the
    connection quietly instead of logging an unexpected resolver error)."""


class RefusedAddress(RefusedRequest):
    """A request whose host name resolved to an address the net guard does not allow."""


class GuardedResolver(CachingThreadedResolver):
    """CachingThreadedResolver whose every answer, cached or fresh, must be a public address."""

    def __init__(self, reactor: Any, cache_size: int, timeout: float, *, enabled: bool = True,
                 private_allowed: Iterable[str] = ()) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.enabled = enabled
        self.private_allowed = tuple(private_allowed)
        # name -> why its answers were refused, one entry per refusal not yet reported: lookups
        # run concurrently, so a later answer must not erase an earlier refusal
        self.refusals: defaultdict[str, deque[str]] = defaultdict(deque)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        # `crawler` is the CrawlerProcess here (Scrapy passes it): its settings are the crawl's
        s = crawler.settings
        return cls(reactor, s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0,
                   s.getfloat("DNS_TIMEOUT"), enabled=s.getbool("CRAWLER_NETGUARD_ENABLED"),
                   private_allowed=private_allowance(s.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE")))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 (Twisted's name)
        if not self.enabled or parse_ip(name) is not None:
            # an address literal is not looked up: NetGuardMiddleware judged it, with its port
            return super().getHostByName(name, timeout)
        try:
            answer = self.lookup(name, timeout)
        except Exception as error:  # noqa: BLE001 (a resolver that raises refuses: fail closed)
            return fail(error)
        return answer.addCallback(self._checked, name)

    def lookup(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """The address the connection will use (Scrapy's cached threaded lookup)."""
        return super().getHostByName(name, timeout)

    def _checked(self, answer: str, name: str) -> str:
        address = parse_ip(str(answer or ""))
        try:
            if address is None:
                raise Refused(f"{name} resolved to no address ({answer!r})")
            check_resolved(name, address, self.private_allowed)
        except Refused as why:
            logger.warning("refused connection to %s: %s", name, why)
            self.refusals[name.lower()].append(str(why))
            raise RefusedAnswer(str(why)) from None
        return answer

    def take_refusal(self, name: str) -> str | None:
        """Why a lookup of `name` was refused, once per refusal; None when none is pending."""
        pending = self.refusals.get(name.lower())
        return pending.popleft() if pending else None


class RefusedAddressMiddleware:
    """A lookup the GuardedResolver refused is a refused request, not a DNS error to retry.

    Sits after RetryMiddleware (550) in the download order, so it sees the exception first.
    """

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, CannotResolveHostError):
            return
        from twisted.internet import reactor

        resolver = getattr(reactor, "resolver", None)
        host = (urlsplit(request.url).hostname or "").lower()
        why = resolver.take_refusal(host) if isinstance(resolver, GuardedResolver) else None
        if why is not None:
            raise RefusedAddress(why)
