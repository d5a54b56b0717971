"""Conditional requests for known articles: a 304 or the same bytes skip extraction.

Validators (ETag, Last-Modified) and the hash of the last fetched body are read from the
archive once, when the spider opens: no query per request. Only article requests (meta
`partnerwatch_article`) are made conditional; listings and feeds are always fetched in full,
so they always yield their links. Scrapy's HTTP cache is not used: it is slower than
refetching and never revalidates pages served with `no-cache` (perf-notes.md).

The verdict travels in the request's meta (keys in crawler/items.py), for the spider to put on
the item: the outcome (`not_modified` for a 304, `unchanged` for identical bytes) and the
SHA-256 of the body, stored with the article.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.items import META_ARTICLE, META_BODY_HASH, META_IDENTITY, META_OUTCOME
from storage.db import open_db
from storage.lifecycle import Known, load_known

logger = logging.getLogger(__name__)

_CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")
# the archived article process_request found for the request, for process_response: looked up
# once a request (each redirect hop is a request of its own, and looks again)
_KNOWN_META = "partnerwatch_known"


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class ConditionalRequestsMiddleware:
    """Ask known article URLs "changed since?", and spot unchanged bodies before extraction."""

    def __init__(self, db_path: Path, stats: StatsCollector, spider_statuses: list[int] | None = None) -> None:
        self.db_path = db_path
        self.stats = stats
        # statuses the spider handles itself (404/410): a meta list would otherwise replace them
        self.spider_statuses = spider_statuses or []
        self.known: dict[str, Known] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("CRAWLER_CONDITIONAL_ENABLED"):
            raise NotConfigured("CRAWLER_CONDITIONAL_ENABLED is off")
        if not settings.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("conditional requests need the archive (CRAWLER_STORAGE_ENABLED)")
        middleware = cls(Path(settings["CRAWLER_STORAGE_PATH"]), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.spider_statuses = list(getattr(spider, "handle_httpstatus_list", self.spider_statuses))
        if not self.db_path.exists():
            return  # the first crawl: nothing known yet
        db = open_db(self.db_path)
        try:
            for known in load_known(db):
                # by identity first: a replica's port, and so the URL last fetched, differs each time
                self.known[known.canonical_url] = known
                self.known.setdefault(known.url, known)
        finally:
            db.close()
        logger.info("conditional requests: %d known article URLs", len(self.known))

    def process_request(self, request: Request) -> None:
        if not request.meta.get(META_ARTICLE):
            return
        for header in _CONDITIONAL_HEADERS:  # a redirect copies them; they belong to the old URL
            request.headers.pop(header, None)
        known = request.meta[_KNOWN_META] = self._known(request)
        if known is None or not (known.etag or known.last_modified):
            return
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        statuses = request.meta.get("handle_httpstatus_list", self.spider_statuses)
        request.meta["handle_httpstatus_list"] = sorted({*statuses, 304})
        self.stats.inc_value("crawler/conditional/sent")

    def _known(self, request: Request) -> Known | None:
        """The archived article a request asks for: by its URL's identity, else by the URL last fetched."""
        rules = request.meta.get(META_IDENTITY)  # the source's UrlIdentity, set by the spider
        return (self.known.get(rules.of(request.url)) if rules else None) or self.known.get(request.url)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(META_ARTICLE):
            return response
        known = request.meta[_KNOWN_META] if _KNOWN_META in request.meta else self._known(request)
        if response.status == 304 and known is not None:
            request.meta[META_OUTCOME] = "not_modified"
            self.stats.inc_value("crawler/conditional/not_modified")
        elif response.status == 200:
            digest = body_hash(response.body)
            request.meta[META_BODY_HASH] = digest
            if known is not None and known.body_hash == digest:
                request.meta[META_OUTCOME] = "unchanged"
                self.stats.inc_value("crawler/conditional/same_body")
        return response
