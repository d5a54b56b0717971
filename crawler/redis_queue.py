"""scrapy-redis's scheduler, sharded by host, with requests kept in Redis until they are done.

* Sharded. A request goes to the queue of the worker its host belongs to
  (crawler.redis_night.shard_of); a worker pops only its own. One host is fetched by one worker, so
  its download slot, delay, AutoThrottle, robots.txt and Crawl-delay are exactly those of a
  one-machine crawl, however many workers run.
* At least once. scrapy-redis pops a request for good: a worker killed with requests in its
  downloader would lose them. Here a pop moves the request into the shard's in-flight hash (one
  Lua script, atomic); it leaves it once Scrapy has finished with the response (every item through
  the pipelines, every new request queued), or when its retry or redirect is queued in its place.
  A worker that starts on a shard puts what is still in flight back into the queue first.
* Plain data. Requests cross machines, so what goes to Redis names the source instead of carrying
  the spider's Source and UrlIdentity objects; the worker that pops it looks them up again.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.http import Response
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.python.failure import Failure

from crawler.items import META_IDENTITY
from crawler.redis_night import Keys, Night, shard_of
from crawler.redis_worker import shard_setting

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

META_QUEUE_ID = "partnerwatch_queue_id"  # the request's entry in its shard's in-flight hash
_KNOWN_META = "partnerwatch_known"  # crawler.conditional's lookup: made again after the pop
_ID_LENGTH = 32  # time_ns (20 digits) + 12 hex: ordered by push time within one priority
# Pop the first entry of the sorted set and keep it in the in-flight hash, in one step
_POP = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if not first then return false end
redis.call('ZREM', KEYS[1], first)
redis.call('HSET', KEYS[2], string.sub(first, 1, tonumber(ARGV[1])), first)
return first
"""


class ShardQueue(Base):
    """The scheduler's queue for one worker: pushes go to the request's shard, pops come from its own."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None,
                 keys: Keys | None = None, shard: int = 0, shards: int = 1) -> None:
        super().__init__(server, spider, key, serializer)
        self.keys = keys or Keys()
        self.shard, self.shards = shard, shards
        self.own = self.keys.queue(spider.name, shard)
        self.in_flight = self.keys.in_flight(spider.name, shard)
        self.pop_script = server.register_script(_POP)

    def __len__(self) -> int:
        return int(self.server.zcard(self.own)) if self.shard >= 0 else 0

    def push(self, request: Request) -> None:
        entry = _new_id() + self._encode_request(request)
        shard = shard_of(request.url, self.shards)
        with self.server.pipeline() as pipe:  # MULTI: the follow-up replaces its origin at once
            pipe.zadd(self.keys.queue(self.spider.name, shard), {entry: -request.priority})
            if origin := request.meta.get(META_QUEUE_ID):  # a retry or redirect of a request in flight
                pipe.hdel(self.in_flight, origin)
            pipe.execute()

    def pop(self, timeout: int = 0) -> Request | None:
        if self.shard < 0:  # enqueue's crawl: it only queues
            return None
        entry = self.pop_script(keys=[self.own, self.in_flight], args=[_ID_LENGTH])
        if not entry:
            return None
        request = self._decode_request(entry[_ID_LENGTH:])
        request.meta[META_QUEUE_ID] = entry[:_ID_LENGTH].decode()
        return request

    def done(self, request: Request) -> None:
        """Scrapy is through with `request`: it no longer needs to survive this worker."""
        if entry_id := request.meta.get(META_QUEUE_ID):
            self.server.hdel(self.in_flight, entry_id)

    def resume(self) -> int:
        """Put back the requests a killed worker of this shard had in flight; how many."""
        entries: dict[bytes, bytes] = self.server.hgetall(self.in_flight)
        if entries:
            scores = {entry: -pickle.loads(entry[_ID_LENGTH:])["priority"] for entry in entries.values()}  # noqa: S301 (our own queue: docs/many-machines.md, Trust)
            with self.server.pipeline() as pipe:
                pipe.zadd(self.own, scores)
                pipe.delete(self.in_flight)
                pipe.execute()
        return len(entries)

    def clear(self) -> None:
        self.server.delete(self.own, self.in_flight)

    def _encode_request(self, request: Request) -> bytes:
        data = request.to_dict(spider=self.spider)
        meta = data["meta"] = {key: value for key, value in data["meta"].items()
                               if key not in (_KNOWN_META, META_QUEUE_ID)}
        source = data["cb_kwargs"].get("source")
        if source is not None:
            data["cb_kwargs"] = {**data["cb_kwargs"], "source": source.name}
            if META_IDENTITY in meta:  # the spider's identity rules of that same source
                meta[META_IDENTITY] = source.name
        return bytes(self.serializer.dumps(data))

    def _decode_request(self, encoded_request: bytes) -> Request:
        data = self.serializer.loads(encoded_request)
        name = data["cb_kwargs"].get("source")
        if name is not None:
            sources = {source.name: source for source in getattr(self.spider, "sources", [])}
            data["cb_kwargs"]["source"] = sources[name]
            if META_IDENTITY in data["meta"]:
                data["meta"][META_IDENTITY] = self.spider.identities[name]  # NewsSpider's
        return request_from_dict(data, spider=self.spider)


def _new_id() -> bytes:
    return f"{time.time_ns():020d}{os.urandom(6).hex()}".encode()


class ShardScheduler(Scheduler):
    """scrapy-redis's Scheduler on the worker's shard (CRAWLER_REDIS_SHARD of the night's shards; none
    for enqueue's crawl, CRAWLER_REDIS_SEED)."""

    queue: ShardQueue

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShardScheduler:
        scheduler: ShardScheduler = super().from_crawler(crawler)
        scheduler.keys = Keys(crawler.settings.get("CRAWLER_REDIS_PREFIX"))
        scheduler.shard = shard_setting(crawler.settings)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider: Spider) -> None:
        night = Night.load(self.server, self.keys)
        if self.shard >= night.shards:
            raise ValueError(f"CRAWLER_REDIS_SHARD {self.shard} is not one of the night's {night.shards} shards")
        self.spider = spider
        self.queue = ShardQueue(self.server, spider, self.keys.queue(spider.name, self.shard), self.serializer,
                                self.keys, self.shard, night.shards)
        if getattr(self, "df", None) is None:
            from scrapy_redis.dupefilter import RFPDupeFilter

            self.df = RFPDupeFilter(self.server, self.keys.dupefilter(spider.name))
        if self.shard >= 0 and (resumed := self.queue.resume()):
            logger.warning("shard %d: %d requests a stopped worker had in flight are queued again", self.shard, resumed)
        self.crawler.signals.connect(self._watch_scraper, signal=signals.spider_opened)

    def enqueue_request(self, request: Request) -> bool:
        if super().enqueue_request(request):
            return True
        self.queue.done(request)  # a redirect to a page already seen: its origin is done all the same
        return False

    def _watch_scraper(self) -> None:
        # Scrapy calls the scraper slot's finish_response once a response (or failure) is handled
        # completely: every item through the pipelines, every request queued. No signal says so.
        slot = self.crawler.engine.scraper.slot
        assert slot is not None  # the scraper opened before spider_opened
        finish = slot.finish_response

        def finish_and_release(result: Response | Failure, request: Request) -> None:
            finish(result, request)
            self.queue.done(request)

        slot.finish_response = finish_and_release  # see above
