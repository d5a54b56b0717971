"""The one news spider: feeds and sitemaps first, then listings, one PageItem per article page.

Spiders know nothing of extraction or SQL: they discover and fetch, the item pipelines do
the rest. Links are taken only where they matter (feeds, sitemaps, listings, an article's own
"next" page), with a plain XPath: Scrapy's LinkExtractor on every page makes a crawl about
5x slower than the fetching itself (perf-notes.md).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from crawler.compression import RejectedBody
from crawler.identity import UrlIdentity
from crawler.items import (
    META_ARTICLE,
    META_BODY_HASH,
    META_IDENTITY,
    META_LISTED_MODIFIED,
    META_OUTCOME,
    PageItem,
    now_iso,
)
from crawler.middlewares import ALLOWED_HOSTS_META, HostDeferred, RefusedRequest, RobotsRefused
from crawler.netguard import is_loopback_url, private_allowance
from crawler.redirects import RedirectFailed
from crawler.setting_values import parse_dict
from spiders.feeds import Entry, FeedError, is_newer, parse_feed, parse_sitemap
from spiders.sources import BUNDLED_SOURCES, Source, load_sources
from storage.urls import is_pathological, netloc, path_and_query

logger = logging.getLogger(__name__)
NEXT_LISTING_PRIORITY = -5  # below an article's 0; start listings 10, sitemaps 15, feeds 20

GONE_STATUSES = (404, 410)
JOIN_MEMO_SIZE = 4096  # root-relative hrefs remembered joined: a site's menus and more
_HELD_LINKS = "partnerwatch_held_links"  # a listing's links, held until a second fetch shows its session ids
# rel is a list of tokens in any case ("next", "NEXT", "prefetch next"); lxml lower-cases only the name
_NEXT_REL = "contains(concat(' ', translate(normalize-space(@rel), 'NEXT', 'next'), ' '), ' next ')"
_NEXT_PAGE = f"//link[{_NEXT_REL}]/@href | //a[{_NEXT_REL}]/@href"
# most article pages have no rel="next": looking for it in the bytes spares parsing the page here
# (the extraction workers parse it anyway), and a response kept waiting holds no lxml tree.
# Searched in the lower-cased bytes: IGNORECASE cost 0.7 ms a page; lower() and a search whose
# literal start lets the regex engine skip ahead cost 0.1 ms on a 60 KB page (docs/benchmarks.md)
_MAY_HAVE_NEXT = re.compile(rb"""rel\s*=\s*["']?(?:[\w-]+\s+)*next["'\s/>]""")


def _is_over_maxsize(error: BaseException) -> bool:
    """A cancelled download is a body past DOWNLOAD_MAXSIZE: Scrapy says so when the size was
    announced, and cancels without a message when the streamed bytes pass it."""
    message = str(error)
    return not message or "max size" in message


def may_have_next(body: bytes) -> bool:
    """Whether the page's bytes may hold a rel="next" link (never False when one is there)."""
    return _MAY_HAVE_NEXT.search(body.lower()) is not None


BARREN_LISTINGS = 2  # listing pages in a row without an article new to this run: stop paginating


class NewsSpider(scrapy.Spider):
    """Crawl every source of the sources file whose `spider` is this spider's name.

    Arguments (`-a`): `source=NAME` (or `NAME,NAME`) only those sources; `sources=PATH` another sources
    file; `base_url=URL` serve the (single) source from another origin, e.g. the replica.
    """

    # listings past their last page (Imperia: 404) and vanished articles reach the callbacks
    handle_httpstatus_list: ClassVar[list[int]] = list(GONE_STATUSES)
    allowed_domains: list[str]  # set by from_crawler, from the sources' hosts

    def __init__(self, *args: Any, source: str | None = None, sources: str | None = None,
                 base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_sources = tuple(name for name in (source or "").split(",") if name)
        self.sources_path = Path(sources) if sources else None
        self.base_url = base_url.rstrip("/") if base_url else None
        self.sources: list[Source] = []
        self.all_allowed_hosts: frozenset[str] = frozenset()  # read by NetGuardMiddleware
        self.pages_requested: Counter[str] = Counter()
        self.requested: set[str] = set()  # cheaper than letting the dupefilter see every repeat link
        # (source, link as found) already requested or never to be followed: the menus and teasers
        # repeated on every listing are cleaned and classified once, not once a page
        self.settled: set[tuple[str, str]] = set()
        # ((scheme, host), root-relative href) -> the joined URL; at most JOIN_MEMO_SIZE entries
        self.joined: dict[tuple[tuple[str, str], str], str] = {}
        self.feeds_pending: Counter[str] = Counter()
        self.feeds_failed: Counter[str] = Counter()
        self.stopped: set[tuple[str, str]] = set()
        self.depth_limit, self.max_links, self.since = 50, 500, None
        self.invalid_sources = 0
        # article URLs linked by listings/feeds this run, per source: the rest of the archive is unlinked
        self.linked_articles: defaultdict[str, set[str]] = defaultdict(set)
        # each source's URL identity rules; they learn the session ids its listings carry
        self.identities: dict[str, UrlIdentity] = {}
        self.session_checked: set[tuple[str, str]] = set()  # (source, parameter) whose listing was fetched twice

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        path = spider.sources_path or Path(settings.get("CRAWLER_SOURCES_PATH") or BUNDLED_SOURCES)
        origin_map = parse_dict(settings.get("CRAWLER_ORIGIN_MAP"))
        spider.sources = spider._select(path, origin_map,  # noqa: SLF001 (its own class, from from_crawler)
                                        private_allowance(settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE")))
        spider.identities = {source.name: source.url_identity() for source in spider.sources}
        spider.depth_limit = settings.getint("CRAWLER_DISCOVERY_DEPTH_LIMIT")
        spider.max_links = settings.getint("CRAWLER_DISCOVERY_MAX_LINKS")
        spider.since = settings.get("CRAWLER_DISCOVERY_SINCE") or None
        if settings.getbool("CRAWLER_SOURCE_DELAYS_ENABLED"):
            slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
            for src in spider.sources:
                if src.delay is not None:
                    slots.update({host: {"delay": src.delay, "concurrency": 1} for host in src.allowed_hosts})
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        spider.all_allowed_hosts = frozenset(h for s in spider.sources for h in s.allowed_hosts)
        spider.allowed_domains = sorted({urlsplit(f"//{h}").hostname or h for h in spider.all_allowed_hosts})
        if spider.base_url and is_loopback_url(spider.base_url):
            # `-a base_url=http://127.0.0.1:PORT` names a local copy on purpose: that endpoint, and
            # only it, may be fetched although the net guard refuses loopback otherwise
            allowed = private_allowance(settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE"))
            settings.set("CRAWLER_NETGUARD_ALLOWED_PRIVATE", [*allowed, netloc(spider.base_url)], priority="spider")
        return spider

    @classmethod
    def check_arguments(cls, settings: Any, arguments: dict[str, str]) -> None:
        """Raise ValueError for `-a` arguments this spider cannot run with (an unknown source, an
        unreadable sources file), before Scrapy starts it (crawler/scrapy_commands/crawl.py)."""
        spider = cls(**arguments)
        path = spider.sources_path or Path(settings.get("CRAWLER_SOURCES_PATH") or BUNDLED_SOURCES)
        spider._select(path, parse_dict(settings.get("CRAWLER_ORIGIN_MAP")),
                       private_allowance(settings.get("CRAWLER_NETGUARD_ALLOWED_PRIVATE")), log_errors=False)

    def _select(self, path: Path, origin_map: dict[str, str], private_allowed: list[str],
                log_errors: bool = True) -> list[Source]:
        sources, errors = load_sources(path, private_allowed)
        for error in errors if log_errors else ():
            logger.error("%s", error)
        self.invalid_sources = len(errors)  # counted in start(): stats do not exist yet in from_crawler
        chosen = [s for s in sources if s.spider == self.name or s.name in self.only_sources]
        if self.only_sources:
            chosen = [s for s in chosen if s.name in self.only_sources]
            if missing := [name for name in self.only_sources if name not in {s.name for s in chosen}]:
                raise ValueError(f"no valid source named {missing[0]!r} in {path}")
        if self.base_url:
            if len(chosen) != 1:
                raise ValueError("base_url needs exactly one source: add -a source=NAME")
            origin_map = {**origin_map, _origin(chosen[0].start_urls[0]): self.base_url}
        if origin_map:
            # the map says where to crawl instead; a source it does not cover is left out, so a
            # crawl of the replica (or a staging copy) never reaches the real sites
            covered = [s for s in chosen if s.is_covered_by(origin_map)]
            if len(covered) < len(chosen):
                logger.info("CRAWLER_ORIGIN_MAP covers %d of %d sources; crawling only those",
                            len(covered), len(chosen))
            chosen = covered
        return [s.rebased(origin_map) for s in chosen] if origin_map else chosen

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.invalid_sources:
            self.crawler.stats.set_value("crawler/sources/invalid", self.invalid_sources)
        for src in self.sources:
            self.feeds_pending[src.name] = len(src.feeds)
            for url in src.feeds:
                if request := self._request(src, url, self.parse_feed, priority=20):
                    yield request
            for url in src.sitemaps:
                if request := self._request(src, url, self.parse_sitemap, priority=15):
                    yield request
            if not src.feeds:
                for request in self._listings(src):
                    yield request

    # --- discovery documents ----------------------------------------------------------------

    def parse_feed(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        try:
            entries = parse_feed(response.body, response.url) if response.status == 200 else []
            if not entries:
                raise FeedError(f"HTTP {response.status}")
        except FeedError as error:
            self._discovery_error(source, "feed", response.url, str(error))
            self.feeds_failed[source.name] += 1
            entries = []
        self.crawler.stats.inc_value(f"crawler/discovery/feed_links/{source.name}", len(entries))
        for entry in entries[: self.max_links]:
            yield from self._follow(source, entry.url, depth=1, modified=entry.modified)
        yield from self._feed_done(source)

    def parse_sitemap(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        try:
            if response.status != 200:
                raise FeedError(f"HTTP {response.status}")
            max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            pages, children = parse_sitemap(response.body, response.url, max_size)
        except FeedError as error:
            self._discovery_error(source, "sitemap", response.url, str(error))
            return
        fresh = sorted((e for e in pages if is_newer(e, self.since)), key=_modified, reverse=True)
        self.crawler.stats.inc_value(f"crawler/discovery/sitemap_links/{source.name}", len(fresh))
        self.crawler.stats.inc_value(f"crawler/discovery/sitemap_skipped_old/{source.name}", len(pages) - len(fresh))
        for entry in fresh[: self.max_links]:
            yield from self._follow(source, entry.url, depth=1, sitemap=True, modified=entry.modified)
        for child in children[: self.max_links]:
            if is_newer(child, self.since) and netloc(child.url) in source.allowed_hosts:
                url = self.identities[source.name].request_url(child.url)
                if request := self._request(source, url, self.parse_sitemap, priority=15):
                    yield request

    def parse_listing(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse) or response.status in GONE_STATUSES:
            # past the last page (Imperia answers 404 there) or not a page at all
            self.crawler.stats.inc_value(f"crawler/discovery/listing_end/{source.name}")
            return
        area = response.css(source.links_css) if source.links_css else [response]
        hrefs = [h for part in area for h in part.xpath(".//a/@href | .//link[@rel='next']/@href").getall()]
        if len(hrefs) > self.max_links:
            self._stop(source, "too_many_links", f"{response.url} has {len(hrefs)} links")
        links, broken = [], None
        base = get_base_url(response)  # what response.urljoin() joins with
        for href in hrefs[: self.max_links]:
            try:
                links.append(self._join(base, href))
            except ValueError as error:  # raised once the links before it are followed
                broken = error
                break
        if again := self._session_check(source, response, links):
            yield again  # this page's links are followed from its second copy
            return
        depth = response.meta.get("discovery_depth", 0) + 1
        linked_before = len(self.linked_articles[source.name])
        listings = []
        for url in links:
            if (source.name, url) in self.settled:
                continue  # the menus and teasers of every page: spare _follow's generator
            for request in self._follow(source, url, depth=depth):
                if request.callback == self.parse_listing:
                    listings.append(request)  # decided below: only the articles of this page are sure
                else:
                    yield request
        # A listing page that links no article this run has not seen is barren; two barren pages
        # in a row (endless `?page=N`, a pager past the end that repeats the last page) end the
        # walk there (reliability.md T2). Start pages never count: they may only link sections.
        new_articles = len(self.linked_articles[source.name]) - linked_before
        barren = 0 if new_articles or depth == 1 else response.meta.get("barren", 0) + 1
        if barren >= BARREN_LISTINGS and listings:
            self._stop(source, "barren_listings", response.url, quiet=True)  # the usual end of a pager
            listings = []
        for request in listings:
            request.meta["barren"] = barren
            yield request
        if broken is not None:
            raise broken

    def _join(self, base: str, href: str) -> str:
        """urljoin(base, href), remembered for a root-relative href (`/rathaus/`): its result
        depends only on the base's scheme and host, and every listing repeats the same menus."""
        if href[:1] != "/" or href[1:2] == "/":
            return urljoin(base, href)
        key = (urlsplit(base)[:2], href)
        joined = self.joined.get(key)
        if joined is None:
            if len(self.joined) >= JOIN_MEMO_SIZE:
                # every article link is root-relative too: kept, they made the memo grow by ~250
                # bytes an article for the whole crawl; the menus come back with the next listing
                self.joined.clear()
            joined = self.joined[key] = urljoin(base, href)
        return joined

    def _session_check(self, source: Source, response: Response, links: list[str]) -> scrapy.Request | None:
        """Find session ids among a listing's links before any is followed (crawler/identity.py).

        A short value (`sid=41007`) is a session id only if it changes: the page is then asked
        for once more, once per parameter and run, and its links followed from the second copy.
        """
        found, undecided = self.identities[source.name].notice_session_params(
            response.url, [url for url in links if "?" in url])
        for name in sorted(found):
            self.crawler.stats.inc_value(f"crawler/discovery/session_param/{source.name}")
            logger.warning("source %s: query parameter %r looks like a session id (one value on the "
                           "links of %s, another than the page's own or an earlier fetch's): left out "
                           "of URLs from now on; list it in the source's session_params",
                           source.name, name, response.url)
        unchecked = {(source.name, name) for name in undecided} - self.session_checked
        if not unchecked or _HELD_LINKS in response.meta:
            return None
        self.session_checked |= unchecked
        again = self._request(source, response.url, self.parse_listing, priority=10,
                              depth=response.meta.get("discovery_depth", 0), again=True)
        if again is not None:
            again.meta[_HELD_LINKS] = links  # followed as they are should the second fetch fail
        return again

    # --- articles -----------------------------------------------------------------------------

    def parse_article(self, response: Response, source: Source) -> Iterator[PageItem | scrapy.Request]:
        headers = response.headers
        item = PageItem(
            url=response.url,
            source=source.name,
            fetched_at=now_iso(),
            http_status=response.status,
            body=response.body,
            content_type=_header(headers, b"Content-Type"),
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            identity=self.identities[source.name],
            body_hash=response.meta.get(META_BODY_HASH),
        )
        if response.status in GONE_STATUSES:
            item.body, item.outcome, item.detail = b"", "gone", f"HTTP {response.status}"
        elif outcome := response.meta.get(META_OUTCOME):  # 304 or same bytes: no extraction
            item.body, item.outcome = b"", outcome
            item.detail = "same body" if outcome == "unchanged" else None
        yield item
        if isinstance(response, TextResponse) and response.status == 200 and may_have_next(response.body):
            # an article split over pages: only its own "next" link, never the whole page's links
            for href in response.xpath(_NEXT_PAGE).getall()[:1]:
                url = self.identities[source.name].request_url(response.urljoin(href))
                if source.is_article(path_and_query(url)):
                    yield from self._follow(source, url, depth=response.meta.get("discovery_depth", 0))

    def article_failed(self, failure: Failure) -> Iterator[PageItem]:
        """Every article request ends in an item, so every fetch gets its outcome row."""
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errbacks
        error = failure.value
        assert error is not None and failure.type is not None  # a Failure always holds its exception
        outcome = ("robots" if failure.check(RobotsRefused) else "refused" if failure.check(RefusedRequest)
                   else "deferred" if failure.check(HostDeferred) else "error")
        status = error.response.status if isinstance(error, HttpError) else None
        detail = str(error) if outcome != "error" else failure.type.__name__
        if isinstance(error, RejectedBody):  # cut short, corrupt or a bomb: the previous version stays
            outcome, detail, status = error.outcome, error.detail, error.status
        if failure.check(DownloadCancelledError) and _is_over_maxsize(error):
            # Scrapy cancels a body past DOWNLOAD_MAXSIZE, announced or streamed: too large, as gzip is
            maxsize = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            outcome, detail = "too_large", f"over DOWNLOAD_MAXSIZE ({maxsize} bytes)"
        url = request.url
        if isinstance(error, RedirectFailed):  # a loop or an endless chain: filed under the URL linked
            outcome, detail, url = "error", error.detail, error.linked_url
            logger.warning("%s", error)
        self.crawler.stats.inc_value(f"crawler/fetch/{outcome}/{failure.type.__name__}")
        source = request.cb_kwargs["source"]
        yield PageItem(url=url, source=source.name, fetched_at=now_iso(), http_status=status, outcome=outcome,
                       detail=detail, identity=self.identities[source.name])

    def discovery_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A listing, feed or sitemap that failed: counted and logged as an error of its source."""
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errbacks
        source = request.cb_kwargs["source"]
        assert failure.type is not None  # a Failure always holds its exception
        kinds: dict[object, str] = {self.parse_feed: "feed", self.parse_sitemap: "sitemap"}
        kind = kinds.get(request.callback, "listing")
        if failure.check(HostDeferred):  # the site asked for a pause: not an error of the source
            self.crawler.stats.inc_value(f"crawler/deferred/{source.name}")
            logger.info("source %s: %s %s deferred to the next run: %s", source.name, kind, request.url, failure.value)
            if kind == "feed":
                self.feeds_failed[source.name] += 1
                yield from self._feed_done(source)
            return
        for url in request.meta.get(_HELD_LINKS, []):  # a listing asked for again, for its session ids
            yield from self._follow(source, url, depth=request.meta["discovery_depth"] + 1)
        if failure.check(RobotsRefused, RefusedRequest):
            self.crawler.stats.inc_value(f"crawler/refused/{source.name}")
        self._discovery_error(source, kind, request.url, f"{failure.type.__name__}: {failure.value}")
        if kind == "feed":
            self.feeds_failed[source.name] += 1
            yield from self._feed_done(source)

    # --- following links ----------------------------------------------------------------------

    def _feed_done(self, source: Source) -> Iterator[scrapy.Request]:
        """Listings start once the source's feeds are read (always, or only if all failed)."""
        self.feeds_pending[source.name] -= 1
        if self.feeds_pending[source.name] == 0 and (
                not source.listing_fallback or self.feeds_failed[source.name] == len(source.feeds)):
            yield from self._listings(source)

    def _listings(self, source: Source) -> Iterator[scrapy.Request]:
        for url in source.start_urls:
            if request := self._request(source, url, self.parse_listing, priority=10):
                yield request

    def _follow(self, source: Source, url: str, depth: int, sitemap: bool = False,
                modified: str | None = None) -> Iterator[scrapy.Request]:
        link = (source.name, url)
        if link in self.settled:
            return
        identity = self.identities[source.name]
        url = identity.request_url(url)
        if urlsplit(url).scheme not in ("http", "https") or netloc(url) not in source.allowed_hosts:
            self.settled.add(link)
            return
        path = path_and_query(url)
        if url in self.requested:
            self.settled.add(link)
            if source.is_article(path):
                self.linked_articles[source.name].update((url, identity.of(url)))
            return
        if source.is_article(path):
            # the URL as served (the archive's `url`) and its identity (`canonical_url`)
            self.linked_articles[source.name].update((url, identity.of(url)))
            request = self.article_request(source, url, depth, modified)
        elif source.is_listing(path) and not sitemap:
            if depth > (source.depth_limit or self.depth_limit):
                self._stop(source, "depth_limit", url)
                return
            if is_pathological(url):
                self._stop(source, "pathological_url", url)
                return
            # after the articles it links: the queue then holds one listing's links, not the whole
            # site's (a 10,000-article first crawl: 311 -> 292 MB peak PSS, and faster)
            request = self._request(source, url, self.parse_listing, priority=NEXT_LISTING_PRIORITY, depth=depth)
        else:
            self.settled.add(link)  # neither article nor listing: never followed
            return
        if request is not None:
            self.settled.add(link)
            yield request

    def article_request(self, source: Source, url: str, depth: int = 0,
                        modified: str | None = None) -> scrapy.Request | None:
        """The request for an article page, conditional when the archive knows it; None when
        already requested, over budget, or an archived article its source's revisit policy does
        not ask about tonight (crawler/adaptive_revisits.py)."""
        request = self._request(source, url, self.parse_article, errback=self.article_failed, depth=depth)
        if request is None:
            return None
        request.meta[META_ARTICLE] = True
        # crawler.conditional looks the article up by its identity
        request.meta[META_IDENTITY] = self.identities[source.name]
        if modified:
            request.meta[META_LISTED_MODIFIED] = modified  # the site says when it last changed
        schedule = getattr(self, "revisit_schedule", None)
        if schedule is not None and not schedule.admits(request):
            # not asked: it spends none of the page budget, and a sitemap or feed entry saying it
            # changed (META_LISTED_MODIFIED) may still ask for it later in this crawl
            self.pages_requested[source.name] -= 1
            self.requested.discard(url)
            return None
        return request

    def _request(self, source: Source, url: str, callback: Any, priority: int = 0,
                 errback: Any = None, depth: int = 0, again: bool = False) -> scrapy.Request | None:
        """A request within the source's page budget; None once spent or when already requested
        (unless asked for `again`)."""
        if url in self.requested and not again:
            return None
        if self.pages_requested[source.name] >= source.page_budget:
            self._stop(source, "page_budget", url)
            return None
        self.requested.add(url)
        self.pages_requested[source.name] += 1
        meta = {"download_slot": netloc(url), ALLOWED_HOSTS_META: sorted(source.allowed_hosts),
                "discovery_depth": depth}
        if source.delay is not None:
            meta["autothrottle_dont_adjust_delay"] = True  # the source's own delay is the floor
        return scrapy.Request(url, callback=callback, errback=errback or self.discovery_failed,
                              priority=priority, cb_kwargs={"source": source}, meta=meta, dont_filter=again)

    def _stop(self, source: Source, reason: str, url: str, quiet: bool = False) -> None:
        """Count a link not followed because of a trap guard; log the first per source and reason."""
        self.crawler.stats.inc_value(f"crawler/discovery/stopped/{reason}/{source.name}")
        if (source.name, reason) not in self.stopped:
            self.stopped.add((source.name, reason))
            logger.log(logging.INFO if quiet else logging.WARNING,
                       "source %s: %s reached (first at %s); further links not followed", source.name, reason, url)

    def _discovery_error(self, source: Source, kind: str, url: str, why: str) -> None:
        # a feed or sitemap that yields nothing is an error of the source, never "no news"
        logger.error("source %s: %s %s failed: %s", source.name, kind, url, why)
        self.crawler.stats.inc_value(f"crawler/discovery/{kind}_error/{source.name}")
        self.crawler.stats.inc_value("crawler/discovery/errors")


def _origin(url: str) -> str:
    return "{0.scheme}://{0.netloc}".format(urlsplit(url))


def _modified(entry: Entry) -> str:
    return entry.modified or ""


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None

