"""A crawl worker of a Redis night: the same spider, extraction and fingerprints, no archive.

`RedisWorker` (a Scrapy add-on, set by `partnerwatch worker` and `enqueue`) swaps three parts of a
one-machine crawl: the scheduler (crawler/redis_queue.py), the conditional requests' source of
validators (the night's copy in Redis, made by enqueue from the archive) and the storage step
(each item is handed to the writer through a Redis stream). Every start request is also made by
every worker; the shared dupefilter drops them, as enqueue queued them first, so each worker still
runs the spider's own start (its per-source state) without fetching anything twice.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from crawler.archive_pipeline import StoragePipeline, for_writer
from crawler.conditional import ConditionalRequestsMiddleware
from crawler.items import ArticleItem, PageItem
from crawler.redis_night import Keys, Night, connect, shard_of
from crawler.redis_revisits import NightRevisits
from crawler.run_recorder import RunEnd
from crawler.tally import SourceTally
from storage.lifecycle import Known

logger = logging.getLogger(__name__)

IDLE_RECHECK_S = 0.5  # an idle worker looks for requests other workers queued for it this often
META_START = "partnerwatch_start"  # a request of the spider's own start
SEED_SHARD = -1  # the shard of enqueue's crawl (CRAWLER_REDIS_SEED): it queues the start requests, fetches nothing


def shard_setting(settings: BaseSettings) -> int:
    return SEED_SHARD if settings.getbool("CRAWLER_REDIS_SEED") else settings.getint("CRAWLER_REDIS_SHARD")


class RedisWorker:
    """Scrapy add-on: the settings that turn a crawl into a worker (or enqueue's seeding) of a Redis night."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("SCHEDULER", "crawler.redis_queue.ShardScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")  # the queue outlives any one worker
        settings.set("CRAWLER_STORAGE_ENABLED", False, "addon")  # the writer owns the archive
        settings.replace_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", ConditionalRequestsMiddleware, RedisConditionalMiddleware)
        settings.replace_in_component_priority_dict(
            "ITEM_PIPELINES", StoragePipeline, RedisHandoffPipeline)
        settings.set_in_component_priority_dict("EXTENSIONS", WorkerNight, 0)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", StartMarker, 0)


class StartMarker:
    """Spider middleware: mark the spider's start requests. On a worker the shared dupefilter drops
    them (enqueue queued them), and the run's per-source request counts must not count them twice."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request_or_item in start:
            if isinstance(request_or_item, Request):
                request_or_item.meta[META_START] = True
            yield request_or_item


def _client_and_keys(settings: BaseSettings) -> tuple[Any, Keys]:
    return connect(settings["REDIS_URL"]), Keys(settings.get("CRAWLER_REDIS_PREFIX"))


class RedisHandoffPipeline:
    """Hand each item to the writer: one entry of the night's stream, the writer's copy pickled."""

    def __init__(self, client: Any, keys: Keys, spider: str) -> None:
        self.client = client
        self.keys = keys
        self.spider = spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if shard_setting(crawler.settings) == SEED_SHARD:
            raise NotConfigured("enqueue's crawl fetches nothing")
        client, keys = _client_and_keys(crawler.settings)
        assert crawler.spidercls is not None  # a crawl's crawler has its spider class
        return cls(client, keys, crawler.spidercls.name)

    def process_item(self, item: PageItem | ArticleItem) -> PageItem | ArticleItem:
        # pickle: the writer's own item classes, as the one-machine writer process receives them
        # (docs/many-machines.md, Trust: the Redis of a night is trusted like the archive's disk)
        self.client.xadd(self.keys.stream, {"spider": self.spider, "item": pickle.dumps(for_writer(item))})
        if isinstance(item, ArticleItem):
            item.body = b""  # the stream's copy carries it
        return item


class WorkerNight:
    """The worker's part in the night: stay while other workers may queue requests for it, then
    tell the writer what it saw (the run's per-source counts, the links of its listings)."""

    def __init__(self, crawler: Crawler, client: Any, keys: Keys, shard: int, idle_timeout: float) -> None:
        self.crawler = crawler
        self.client = client
        self.keys = keys
        self.shard = shard
        self.idle_timeout = idle_timeout
        self.idle_since: float | None = None
        self.answered = 0  # responses when idle_since was set
        self.restarted = False
        self.shards = 1  # the night's, read when the spider opens
        self.revisits: NightRevisits | None = None
        self.known: list[Known] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        client, keys = _client_and_keys(crawler.settings)
        extension = cls(crawler, client, keys, shard_setting(crawler.settings),
                        crawler.settings.getfloat("CRAWLER_REDIS_IDLE_TIMEOUT"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        if extension.shard != SEED_SHARD:
            crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
            crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        sources = getattr(spider, "sources", [])
        if self.shard == SEED_SHARD:  # the writer files the run's sources from this
            home = [(s.name, s.title, s.url_identity().of(s.home_url)) for s in sources]
            self.client.hset(self.keys.night, f"sources:{spider.name}", json.dumps(home))
            return
        # a shard opened before and never ended: its worker was killed; what it counted is lost
        self.restarted = not self.client.set(self.keys.opened(spider.name, self.shard), 1, nx=True)
        self.tally = SourceTally.connect(self.crawler, [source.name for source in sources])
        self.crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        self.shards = Night.load(self.client, self.keys).shards
        if self.crawler.settings.getbool("CRAWLER_REVISIT_ENABLED"):
            names = {source.name for source in sources}
            self.known = [known for known in load_known_from(self.client, self.keys) if known.source in names]
            self.revisits = NightRevisits(self.crawler, self.client, self.keys, self.shard)

    def request_dropped(self, request: Request) -> None:
        source = request.cb_kwargs.get("source")
        # every worker makes the start requests; each counts once, for the worker that fetches it
        if request.meta.get(META_START) and source is not None and shard_of(request.url, self.shards) != self.shard:
            self.tally.requests[source.name] -= 1

    def spider_idle(self, spider: Spider) -> None:
        own = self.keys.in_flight(spider.name, self.shard)
        if left := self.client.hlen(own):  # idle, so none is with Scrapy: nothing will release them
            logger.warning("shard %d: %d requests left in flight without an answer; dropped", self.shard, left)
            self.client.delete(own)
        with self.client.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.zcard(self.keys.queue(spider.name, shard))
                pipe.hlen(self.keys.in_flight(spider.name, shard))
            pending = sum(pipe.execute())
        if not pending and self.revisits is not None:
            pending = self.revisits.step(spider, self.shards, self.known)
            if self.revisits.is_done and pending:
                self._recheck()
                raise DontCloseSpider  # its own revisits: work, not waiting
        if not pending:
            return  # no queue holds a request, no worker handles one: nothing can come any more
        now, answered = time.monotonic(), self.crawler.stats.get_value("response_received_count", 0)
        if self.idle_since is None or answered != self.answered:  # idle again after some work
            self.idle_since, self.answered = now, answered
        if now - self.idle_since < self.idle_timeout:
            self._recheck()
            raise DontCloseSpider  # another worker's listing may still link pages of this shard's hosts
        logger.warning("shard %d: idle for %.0f s while other shards still work: stopping", self.shard,
                       now - self.idle_since)

    def _recheck(self) -> None:
        """Look again soon, not at Scrapy's next heartbeat (every 5 s): another worker's requests
        for this shard would wait that long, and a night's end would take 5 s a step."""
        self.crawler.engine._slot.nextcall.schedule(IDLE_RECHECK_S)  # type: ignore[union-attr]  # noqa: SLF001 (no public way; Scrapy 2.19)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None  # set once the crawl runs
        end = RunEnd(reason, tuple(self.tally.sources), dict(self.tally.requests), dict(self.tally.responses_ok),
                     {name: dict(counts) for name, counts in self.tally.exceptions.items()},
                     stats.get_stats(), dict(getattr(spider, "linked_articles", {})))
        with self.client.pipeline() as pipe:
            pipe.xadd(self.keys.stream, {"spider": spider.name, "shard": self.shard, "end": pickle.dumps(end),
                                         "restarted": int(self.restarted)})
            pipe.delete(self.keys.opened(spider.name, self.shard))
            pipe.execute()


class RedisConditionalMiddleware(ConditionalRequestsMiddleware):
    """Conditional requests with the validators enqueue copied from the archive into Redis."""

    def __init__(self, client: Any, keys: Keys, stats: StatsCollector) -> None:
        super().__init__(Path(), stats)  # no archive on a worker
        self.client = client
        self.keys = keys

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CRAWLER_CONDITIONAL_ENABLED"):
            raise NotConfigured("CRAWLER_CONDITIONAL_ENABLED is off")
        assert crawler.stats is not None  # a crawl's crawler has its stats
        middleware = cls(*_client_and_keys(crawler.settings), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.spider_statuses = list(getattr(spider, "handle_httpstatus_list", self.spider_statuses))
        for known in load_known_from(self.client, self.keys):
            self.known[known.canonical_url] = known
            self.known.setdefault(known.url, known)
        logger.info("conditional requests: %d known article URLs (from Redis)", len(self.known))


def load_known_from(client: Any, keys: Keys) -> list[Known]:
    """The archived articles enqueue copied to Redis (crawler/redis_seed.py)."""
    return [Known(**json.loads(value)) for _, value in client.hscan_iter(keys.known, count=1000)]
