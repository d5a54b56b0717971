"""Revisits on a Redis night: known articles that no worker's discovery linked, asked for again.

The one-machine rule (crawler/revisit.py) needs every link of the night, and on many machines a
source's listings may be read by one worker and its articles fetched by another. So once no shard
has anything queued or in flight, each worker adds the links its spider followed to the night's
sets in Redis; when every shard has, each worker requests the known articles of its own shard
(their hosts are its hosts) that no worker linked. A source linked by nobody is skipped, as on one
machine: it is down or broken tonight.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.redis_night import Keys, shard_of
from crawler.revisit import RevisitingSpider
from storage.lifecycle import Known

logger = logging.getLogger(__name__)

_CHUNK = 1000  # links sent to Redis per command


class NightRevisits:
    """One worker's part: publish its links once, then revisit its shard's unlinked known articles once."""

    def __init__(self, crawler: Crawler, client: Any, keys: Keys, shard: int) -> None:
        self.crawler = crawler
        self.client = client
        self.keys = keys
        self.shard = shard
        self.is_published = False
        self.is_done = False

    def step(self, spider: Spider, shards: int, known: list[Known]) -> bool:
        """Called when the whole night is idle; True while the spider must stay open for revisits."""
        if self.is_done or not hasattr(spider, "article_request"):
            return False
        revisiting = cast(RevisitingSpider, spider)
        if not self.is_published:
            self._publish(spider.name, revisiting)
            self.is_published = True
        if self.client.scard(self.keys.linked_by(spider.name)) < shards:
            return True  # another worker has not said what it linked yet
        self.is_done = True
        return self._revisit(spider.name, revisiting, shards, known) > 0

    def _publish(self, spider: str, revisiting: RevisitingSpider) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for source, urls in revisiting.linked_articles.items():
                listed = sorted(urls)
                for start in range(0, len(listed), _CHUNK):
                    pipe.sadd(self.keys.linked(spider, source), *listed[start:start + _CHUNK])
            pipe.sadd(self.keys.linked_by(spider), self.shard)
            pipe.execute()

    def _revisit(self, spider: str, revisiting: RevisitingSpider, shards: int, known: list[Known]) -> int:
        sources = {source.name: source for source in revisiting.sources}
        linked: dict[str, set[bytes]] = {name: self.client.smembers(self.keys.linked(spider, name)) for name in sources}
        scheduled = 0
        for article in known:
            links = linked.get(article.source)
            if not links or article.url.encode() in links or article.canonical_url.encode() in links:
                continue
            url = revisiting.identities[article.source].revisit_url(article.url, article.canonical_url)
            if url is None:
                self.crawler.stats.inc_value("crawler/revisit/off_site")
                continue
            if shard_of(url, shards) != self.shard:
                continue  # another worker's host: that worker asks for it
            request = revisiting.article_request(sources[article.source], url)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        self.crawler.stats.set_value("crawler/revisit/scheduled", scheduled)
        logger.info("shard %d: revisiting %d known articles that no worker linked", self.shard, scheduled)
        return scheduled
