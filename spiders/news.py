"""The one news spider: feeds first, then listings, one PageItem per article page.

Spiders know nothing of extraction or SQL: they discover and fetch, the item
pipelines do the rest. Links are taken only from feeds and listing pages, with a
plain XPath (Scrapy's LinkExtractor on every page costs 5x the fetching itself).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import META_ARTICLE, META_BODY_HASH, META_OUTCOME, PageItem, now_iso
from crawler.urls import clean_url, netloc
from spiders.sources import BUNDLED_SOURCES, Source, load_sources

logger = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)


class NewsSpider(scrapy.Spider):
    """Crawl every source of the sources file whose `spider` is this spider's name.

    Arguments (`-a`): `source=NAME` one source only; `sources=PATH` another sources
    file; `base_url=URL` serve the (single) source from another origin, e.g. the replica.
    """

    # article pages answering these reach the callback, so a vanished article is recorded as gone
    handle_httpstatus_list = list(GONE_STATUSES)

    def __init__(self, *args: Any, source: str | None = None, sources: str | None = None,
                 base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_source = source
        self.sources_path = Path(sources) if sources else None
        self.base_url = base_url.rstrip("/") if base_url else None
        self.sources: list[Source] = []
        self.pages_requested: Counter[str] = Counter()
        self.requested: set[str] = set()  # cheaper than letting the dupefilter see every repeat link
        self.invalid_sources = 0
        # article URLs linked by listings/feeds this run, per source: the rest of the archive is unlinked
        self.linked_articles: defaultdict[str, set[str]] = defaultdict(set)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        path = spider.sources_path or Path(settings.get("CRAWLER_SOURCES_PATH") or BUNDLED_SOURCES)
        origin_map = _as_dict(settings.get("CRAWLER_ORIGIN_MAP"))
        spider.sources = spider._select(path, origin_map)
        if settings.getbool("CRAWLER_SOURCE_DELAYS_ENABLED"):
            slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
            for src in spider.sources:
                if src.delay is not None:
                    slots.update({host: {"delay": src.delay, "concurrency": 1} for host in src.allowed_hosts})
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        spider.allowed_domains = sorted({h.split(":")[0] for s in spider.sources for h in s.allowed_hosts})
        return spider

    def _select(self, path: Path, origin_map: dict[str, str]) -> list[Source]:
        sources, errors = load_sources(path)
        for error in errors:
            logger.error("%s", error)
        self.invalid_sources = len(errors)  # counted in start(): stats do not exist yet in from_crawler
        chosen = [s for s in sources if s.spider == self.name or s.name == self.only_source]
        if self.only_source:
            chosen = [s for s in chosen if s.name == self.only_source]
            if not chosen:
                raise ValueError(f"no valid source named {self.only_source!r} in {path}")
        if self.base_url:
            if len(chosen) != 1:
                raise ValueError("base_url needs exactly one source: add -a source=NAME")
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(chosen[0].start_urls[0]))
            origin_map = {**origin_map, origin: self.base_url}
        return [s.rebased(origin_map) if origin_map else s for s in chosen]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.invalid_sources:
            self.crawler.stats.set_value("crawler/sources/invalid", self.invalid_sources)
        for src in self.sources:
            for url in src.feeds:
                if request := self._request(src, url, self.parse_feed, priority=20):
                    yield request
            for url in src.start_urls:
                if request := self._request(src, url, self.parse_listing, priority=10):
                    yield request

    def parse_listing(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse) or response.status in GONE_STATUSES:
            return  # past the last page (Imperia answers 404 there) or not a page at all
        for href in response.xpath("//a/@href").getall():
            yield from self._follow(source, response.urljoin(href))

    def parse_feed(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        links = response.xpath(
            "//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href"
        ).getall() if isinstance(response, TextResponse) else []
        if not links:
            # an empty or unparsable feed is an error of this source, not "no news"
            logger.error("feed %s of %s yielded no links (status %s)", response.url, source.name, response.status)
            self.crawler.stats.inc_value(f"crawler/discovery/feed_empty/{source.name}")
        self.crawler.stats.inc_value(f"crawler/discovery/feed_links/{source.name}", len(links))
        for link in links:
            yield from self._follow(source, response.urljoin(link.strip()))

    def parse_article(self, response: Response, source: Source) -> Iterator[PageItem]:
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
            body_hash=response.meta.get(META_BODY_HASH),
        )
        if response.status in GONE_STATUSES:
            item.body, item.outcome, item.detail = b"", "gone", f"HTTP {response.status}"
        elif outcome := response.meta.get(META_OUTCOME):  # 304 or same bytes: no extraction
            item.body, item.outcome = b"", outcome
            item.detail = "same body" if outcome == "unchanged" else None
        yield item

    def article_failed(self, failure: Failure) -> Iterator[PageItem]:
        """Every article request ends in an item, so every fetch gets its outcome row."""
        request = failure.request
        status = failure.value.response.status if failure.check(HttpError) else None
        self.crawler.stats.inc_value(f"crawler/fetch/error/{failure.type.__name__}")
        yield PageItem(url=request.url, source=request.cb_kwargs["source"].name, fetched_at=now_iso(),
                       http_status=status, outcome="error", detail=failure.type.__name__)

    def _follow(self, source: Source, url: str) -> Iterator[scrapy.Request]:
        url = clean_url(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or netloc(url) not in source.allowed_hosts:
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if source.is_article(path):
            self.linked_articles[source.name].add(url)
            request = self.article_request(source, url)
        elif source.is_listing(path):
            request = self._request(source, url, self.parse_listing, priority=5)
        else:
            return
        if request is not None:
            yield request

    def article_request(self, source: Source, url: str) -> scrapy.Request | None:
        """The request for an article page, conditional when the archive knows it."""
        request = self._request(source, url, self.parse_article, errback=self.article_failed)
        if request is not None:
            request.meta[META_ARTICLE] = True
        return request

    def _request(self, source: Source, url: str, callback: Any, priority: int = 0,
                 errback: Any = None) -> scrapy.Request | None:
        """A request within the source's page budget; None once spent or when already requested."""
        if url in self.requested:
            return None
        self.requested.add(url)
        self.pages_requested[source.name] += 1
        if self.pages_requested[source.name] > source.page_budget:
            if self.pages_requested[source.name] == source.page_budget + 1:
                logger.warning("source %s reached its page budget of %d", source.name, source.page_budget)
            self.crawler.stats.inc_value(f"crawler/discovery/over_budget/{source.name}")
            return None
        meta = {"download_slot": netloc(url)}
        if source.delay is not None:
            meta["autothrottle_dont_adjust_delay"] = True  # the source's own delay is the floor
        return scrapy.Request(url, callback=callback, errback=errback, priority=priority,
                              cb_kwargs={"source": source}, meta=meta)


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def _as_dict(value: Any) -> dict[str, str]:
    if not value:
        return {}
    return dict(json.loads(value)) if isinstance(value, str) else dict(value)
