"""Downloader middlewares that make the crawler safe and polite.

- `NetGuardMiddleware` refuses every request, and every redirect hop, that leaves the
  source's allowed hosts and ports or reaches a non-public address (SSRF, reliability.md §2.1).
- `RobotsTxtFailClosedMiddleware` treats a robots.txt that answers 5xx/429 or cannot be
  fetched as "disallow everything" for the run (RFC 9309 §2.3.1.4; Scrapy fails open).
- `RetryAfterMiddleware` honours `Retry-After` on 429 and 503 and slows that host down for
  the rest of the run (Scrapy ignores the header, scrapy/scrapy#3849); a wait longer than
  `CRAWLER_RETRY_AFTER_MAX` defers the host to the next night instead.
- robots.txt `Crawl-delay` becomes the host's delay for the run (Scrapy ignores it). Such a
  delay, and a host slowed by `Retry-After`, is a floor: not randomised below it, and
  AutoThrottle may raise it but never lower it.

Refusals raise `IgnoreRequest` subclasses, which reach the request's errback, so the spider
can record an outcome for every refused article.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred

from crawler.netguard import (
    IPAddress,
    Refused,
    check_addresses,
    check_url,
    host_port,
    is_allowed_endpoint,
    parse_ip,
    private_allowance,
)

logger = logging.getLogger(__name__)

ALLOWED_HOSTS_META = "allowed_hosts"  # request.meta key: the source's `host[:port]` list


class RefusedRequest(IgnoreRequest):
    """A request the net guard refused: not an allowed host/port, or not a public address."""


class RobotsRefused(IgnoreRequest):
    """A request robots.txt forbids, or that waits on a robots.txt that could not be read."""


class HostDeferred(IgnoreRequest):
    """A request to a host that asked for a longer pause than a night can wait: try next night."""


# per crawl: slot key -> the least delay between requests to that host (Crawl-delay, Retry-After)
_FLOORS: WeakKeyDictionary[Crawler, dict[str, float]] = WeakKeyDictionary()


def hold_delay(crawler: Crawler, request: Request, delay: float, concurrency: int | None = None) -> str:
    """Keep the host of `request` at least `delay` seconds between requests for the rest of the run.

    The downloader's slot gets the delay without randomisation (Scrapy's 0.5–1.5× would go below
    it), and the slot's settings keep it when an idle slot is rebuilt. Returns the slot key.
    """
    downloader: Any = crawler.engine.downloader
    key = downloader.get_slot_key(request)
    floors = _FLOORS.setdefault(crawler, {})
    floors[key] = max(floors.get(key, 0.0), delay)
    overrides = {"delay": floors[key], "randomize_delay": False}
    if concurrency is not None:
        overrides["concurrency"] = concurrency
    # slots idle for a minute are dropped and rebuilt from these settings: keep the host slow
    downloader.per_slot_settings[key] = {**downloader.per_slot_settings.get(key, {}), **overrides}
    slot = downloader.slots.get(key)
    if slot is not None:
        slot.delay = max(slot.delay, floors[key])
        slot.randomize_delay = False
        if concurrency is not None:
            slot.concurrency = concurrency
    return key


def has_delay_floor(crawler: Crawler, request: Request) -> bool:
    floors = _FLOORS.get(crawler)
    if not floors:
        return False
    return crawler.engine.downloader.get_slot_key(request) in floors


class NetGuardMiddleware:
    """Refuse requests outside the source's hosts and ports, and non-public addresses."""

    def __init__(self, crawler: Crawler, private_allowed: Iterable[str]) -> None:
        self.crawler = crawler
        self.private_allowed = tuple(private_allowed)
        self.resolved: dict[tuple[str, int], list[IPAddress]] = {}
        self.passed: set[tuple[str, str, tuple[str, ...]]] = set()  # (scheme, netloc, allowed hosts) checked
        self.guarded: bool | None = None  # known at the first request: the reactor runs by then

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CRAWLER_NETGUARD_ENABLED"):
            raise NotConfigured("CRAWLER_NETGUARD_ENABLED is off")
        # a bad entry fails the crawl at start instead of refusing every request later
        try:
            allowed = private_allowance(crawler.settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE"))
        except Refused as why:
            raise NotConfigured(str(why)) from None
        return cls(crawler, allowed)

    async def process_request(self, request: Request) -> None:
        try:
            await self.check(request)
        except Refused as why:
            hops = request.meta.get("redirect_urls")
            reason = f"{why} (redirected from {hops[-1]})" if hops else str(why)
            self.crawler.stats.inc_value("crawler/refused/netguard")
            logger.warning("refused %s: %s", request.url, reason)
            raise RefusedRequest(reason) from None

    async def check(self, request: Request) -> None:
        # dont_filter is deliberately ignored: seeds and their redirects carry it in Scrapy
        spider_hosts: Iterable[str] = getattr(self.crawler.spider, "all_allowed_hosts", ())
        allowed = request.meta.get(ALLOWED_HOSTS_META) or spider_hosts
        parts = urlsplit(request.url)
        # every check below reads only the scheme and host:port, so a pass is remembered for them
        passed = (parts.scheme, parts.netloc, tuple(allowed))
        if passed in self.passed:
            return
        check_url(request.url)
        if allowed and not is_allowed_endpoint(request.url, allowed):
            host, port = host_port(request.url)
            raise Refused(f"{host}:{port} is not an allowed host and port of this source")
        host, port = host_port(request.url)
        literal = parse_ip(host)
        if literal is not None:
            check_addresses(host, port, [literal], self.private_allowed)
        elif not self.resolver_guards():
            # another TWISTED_DNS_RESOLVER was configured: judge our own answer, and refuse
            # when there is none (a lookup that fails or answers nothing must not mean "allowed")
            check_addresses(host, port, await self.resolve(host, port), self.private_allowed)
        self.passed.add(passed)  # a refusal raised above: never remembered as a pass

    def resolver_guards(self) -> bool:
        """Whether the reactor's resolver judges every answer (crawler.resolver.GuardedResolver)."""
        if self.guarded is None:
            from twisted.internet import reactor

            from crawler.resolver import GuardedResolver

            self.guarded = isinstance(getattr(reactor, "resolver", None), GuardedResolver)
            if not self.guarded:
                logger.warning("TWISTED_DNS_RESOLVER does not guard addresses: host names are checked "
                               "before connecting only, which DNS rebinding can evade")
        return self.guarded

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The host's addresses; empty when it does not resolve (check_addresses then refuses)."""
        key = (host, port)
        if key not in self.resolved:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror:
                return []
            self.resolved[key] = [a for a in (parse_ip(str(info[4][0])) for info in infos) if a is not None]
        return self.resolved[key]


class _Unreadable(RobotParser):
    """The rules of a robots.txt that could not be read: nothing is allowed (RFC 9309)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        return cls("unreadable")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class RobotsTxtFailClosedMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, but 5xx, 429 and fetch errors disallow the whole host."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._settle(netloc, _Unreadable(f"robots.txt answered HTTP {response.status}"))
        elif response.status >= 400:
            # RFC 9309 §2.3.1.3: robots.txt "unavailable" (404 and kin) means no rules; an
            # error page must not be parsed as rules
            await super()._parse_robots(response.replace(body=b""), netloc, request)
        else:
            await super()._parse_robots(response, netloc, request)
            self._hold_crawl_delay(netloc, request)

    def _hold_crawl_delay(self, netloc: str, request: Request) -> None:
        """robots.txt `Crawl-delay` for our agent becomes the host's delay (at most CRAWLER_CRAWL_DELAY_MAX)."""
        parser = self._parsers.get(netloc)
        crawl_delay = getattr(parser, "crawl_delay", None)
        agent = self._robotstxt_useragent or self._default_useragent
        asked = crawl_delay(agent) if callable(crawl_delay) else None
        if not asked:
            return
        delay = min(float(asked), self.crawler.settings.getfloat("CRAWLER_CRAWL_DELAY_MAX"))
        hold_delay(self.crawler, request, delay)
        self._stats.inc_value("crawler/politeness/crawl_delay_hosts")
        logger.info("%s: robots.txt Crawl-delay %s s, waiting %.1f s between requests", netloc, asked, delay)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._settle(netloc, _Unreadable(f"robots.txt could not be fetched ({type(exc).__name__})"))

    def _settle(self, netloc: str, parser: RobotParser) -> None:
        if isinstance(parser, _Unreadable):
            logger.error("%s: %s; the host is disallowed for this run", netloc, parser.reason)
            self._stats.inc_value("crawler/robots/unreadable")
            self._stats.inc_value(f"crawler/robots/unreadable/{netloc}")
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, _Unreadable):
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsRefused(rp.reason)
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            raise RobotsRefused("forbidden by robots.txt") from None


class RetryAfterMiddleware:
    """On 429/503, wait as `Retry-After` asks before the host's next request, and keep that
    host at one request at a time for the rest of the run."""

    def __init__(self, crawler: Crawler, max_wait: float, default_wait: float, min_delay: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.default_wait = default_wait
        self.min_delay = min_delay
        self.slowed: set[str] = set()
        self.deferred: dict[str, str] = {}  # slot key -> why it waits for the next run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("CRAWLER_RETRY_AFTER_ENABLED"):
            raise NotConfigured("CRAWLER_RETRY_AFTER_ENABLED is off")
        middleware = cls(crawler, s.getfloat("CRAWLER_RETRY_AFTER_MAX"), s.getfloat("CRAWLER_RETRY_AFTER_DEFAULT"),
                         s.getfloat("CRAWLER_RETRY_AFTER_MIN_DELAY"))
        # sent as the response arrives, before the slot sends its next request; process_response
        # runs later, when the next one (on loopback, several) may have left already
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def process_request(self, request: Request) -> None:
        key = self.crawler.engine.downloader.get_slot_key(request)
        if key in self.deferred:
            self.crawler.stats.inc_value("crawler/politeness/deferred_requests")
            raise HostDeferred(self.deferred[key])
        if has_delay_floor(self.crawler, request):
            request.meta["autothrottle_dont_adjust_delay"] = True  # AutoThrottle would go below the floor

    def response_downloaded(self, response: Response, request: Request) -> None:
        asked = self._asked_pause(response)
        if asked is not None and asked > self.max_wait:
            self._defer(self.crawler.engine.downloader.get_slot_key(request), asked)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503):
            return response
        asked = self._asked_pause(response)
        if asked is None and response.status == 503:
            return response  # a plain 503 is an outage, not a request to slow down
        if asked is not None and asked > self.max_wait:
            key = self.crawler.engine.downloader.get_slot_key(request)
            raise HostDeferred(self._defer(key, asked))
        wait = asked if asked is not None else self.default_wait
        self.slow_down(request, wait)
        return response

    @staticmethod
    def _asked_pause(response: Response) -> float | None:
        if response.status not in (429, 503):
            return None
        header = response.headers.get(b"Retry-After")
        return parse_retry_after(header.decode("latin-1")) if header else None

    def _defer(self, key: str, asked: float) -> str:
        """Leave the host alone until the next run: waiting would hold its slot for most of the
        night, and retrying at the cap would ignore what the site asked. Returns why."""
        if key not in self.deferred:
            self.deferred[key] = f"Retry-After {asked:.0f} s exceeds CRAWLER_RETRY_AFTER_MAX {self.max_wait:.0f} s"
            self.crawler.stats.inc_value("crawler/politeness/deferred_hosts")
            logger.warning("%s asked for a pause of %.0f s: deferred to the next run", key, asked)
            self._fail_queued(key)
        return self.deferred[key]

    def _fail_queued(self, key: str) -> None:
        """Defer the host's requests already waiting in its download slot: they passed
        process_request before the pause was asked for, and the slot would send them one by one."""
        slot = self.crawler.engine.downloader.slots.get(key)
        while slot is not None and slot.queue:
            _request, waiting = slot.queue.popleft()  # Scrapy's Slot.queue: (request, Deferred) pairs
            self.crawler.stats.inc_value("crawler/politeness/deferred_requests")
            waiting.errback(HostDeferred(self.deferred[key]))

    def slow_down(self, request: Request, wait: float) -> None:
        key = hold_delay(self.crawler, request, self.min_delay, concurrency=1)
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            # the downloader holds a slot's queue until `lastseen + delay`
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait)  # the downloader's clock
        self.crawler.stats.inc_value("crawler/politeness/retry_after")
        if key not in self.slowed:
            self.slowed.add(key)
            self.crawler.stats.inc_value("crawler/politeness/slowed_hosts")
            logger.info("%s asked to slow down: waiting %.1f s, one request at a time from now on", key, wait)


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta seconds or an HTTP date); None if unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
