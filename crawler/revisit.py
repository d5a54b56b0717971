"""Revisit known articles that this run's discovery did not link: gone, or only unlinked?

A vanished article usually vanishes from the listings too, so discovery alone would never
fetch it again and could not tell "deleted" (404/410, a tombstone after N runs) from
"no longer linked" (still reachable). When the spider is first idle, this extension
requests every archived article of the crawled sources that was not linked this run;
those requests are conditional (crawler/conditional.py), so an unchanged page costs a 304.
A source whose discovery linked nothing is skipped: it is down or broken tonight.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self, cast

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from storage.db import open_db
from storage.lifecycle import Known, load_known

logger = logging.getLogger(__name__)


class RevisitingSpider(Protocol):
    """What a spider offers for revisits (spiders.news.NewsSpider); others are left alone."""

    sources: Sequence[Any]  # each with a .name
    linked_articles: Mapping[str, set[str]]
    identities: Mapping[str, Any]  # source name -> crawler.identity.UrlIdentity

    def article_request(self, source: Any, url: str) -> Request | None: ...


class RevisitExtension:
    """Once discovery is done, schedule the known-but-unlinked articles of each working source."""

    def __init__(self, db_path: Path, crawler: Crawler) -> None:
        self.db_path = db_path
        self.crawler = crawler
        self.known: list[Known] = []
        self.is_done = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("CRAWLER_REVISIT_ENABLED"):
            raise NotConfigured("CRAWLER_REVISIT_ENABLED is off")
        if not settings.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("revisits need the archive (CRAWLER_STORAGE_ENABLED)")
        extension = cls(Path(settings["CRAWLER_STORAGE_PATH"]), crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        if not hasattr(spider, "article_request") or not self.db_path.exists():
            self.is_done = True
            return
        db = open_db(self.db_path)
        try:
            self.known = load_known(db, [source.name for source in cast(RevisitingSpider, spider).sources])
        finally:
            db.close()

    def spider_idle(self, spider: Spider) -> None:
        if self.is_done:
            return
        self.is_done = True
        revisiting = cast(RevisitingSpider, spider)  # spider_opened left is_done set for any other spider
        sources = {source.name: source for source in revisiting.sources}
        linked = revisiting.linked_articles
        scheduled = 0
        for known in self.known:
            links = linked.get(known.source)
            if not links or known.url in links or known.canonical_url in links:
                continue
            # on a replica, the URL last fetched names last night's port: ask tonight's copy
            url = revisiting.identities[known.source].revisit_url(known.url, known.canonical_url)
            if url is None:
                self.crawler.stats.inc_value("crawler/revisit/off_site")
                continue
            request = revisiting.article_request(sources[known.source], url)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        self.crawler.stats.set_value("crawler/revisit/scheduled", scheduled)
        logger.info("revisiting %d known articles that discovery did not link", scheduled)
        if scheduled:
            raise DontCloseSpider("revisiting known articles")
