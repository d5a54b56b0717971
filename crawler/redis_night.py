"""One night shared through Redis: its keys, its record, and which worker fetches which host.

A night is seeded by `partnerwatch enqueue`, crawled by `partnerwatch worker` processes (shards
0..N-1) and stored by the single `partnerwatch writer`. Everything they share lives under one key
prefix in one Redis database, so a second night (or a test) needs only another prefix or database.

Imported only by those commands and their Scrapy components: the one-machine crawl never loads `redis`.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import redis

PREFIX = "partnerwatch"
WRITER_GROUP = "writer"  # the stream's consumer group; the writer is its only consumer


def connect(url: str) -> redis.Redis:
    """A client for `url` (redis://host:port/db), checked with a PING so a wrong URL fails at once."""
    import redis

    client = redis.Redis.from_url(url)
    client.ping()
    return client


def shard_of(url: str, shards: int) -> int:
    """The worker that fetches `url`: by its host and port, so one host is only ever one worker's.

    A stable hash (CRC-32), not Python's `hash`, which differs between processes.
    """
    return zlib.crc32((urlsplit(url).netloc or url).lower().encode()) % shards


@dataclass(frozen=True)
class Keys:
    """The Redis keys of a night under `prefix`."""

    prefix: str = PREFIX

    @property
    def night(self) -> str:  # a hash: run_id, shards, spiders, sources per spider, closed
        return f"{self.prefix}:night"

    @property
    def stream(self) -> str:  # items and worker ends, for the writer
        return f"{self.prefix}:items"

    @property
    def known(self) -> str:  # a hash: canonical URL -> the archived article's validators (JSON)
        return f"{self.prefix}:known"

    def queue(self, spider: str, shard: int) -> str:
        return f"{self.prefix}:{spider}:requests:{shard}"

    def in_flight(self, spider: str, shard: int) -> str:  # a hash: request id -> request, until done
        return f"{self.prefix}:{spider}:in_flight:{shard}"

    def dupefilter(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:dupefilter"

    def linked(self, spider: str, source: str) -> str:  # a set: the article URLs the night's discovery linked
        return f"{self.prefix}:{spider}:linked:{source}"

    def linked_by(self, spider: str) -> str:  # a set: the shards whose links are in `linked`
        return f"{self.prefix}:{spider}:linked_by"

    def opened(self, spider: str, shard: int) -> str:  # set while a worker crawls the shard
        return f"{self.prefix}:{spider}:opened:{shard}"


@dataclass(frozen=True)
class Night:
    """What enqueue decided and every worker and the writer read."""

    run_id: int
    shards: int
    spiders: tuple[str, ...]
    # per spider: (name, title, identity of its home page), as enqueue's crawl of the spider wrote it
    sources: dict[str, list[tuple[str, str, str]]]

    def save(self, client: redis.Redis, keys: Keys) -> None:
        client.delete(keys.night)
        client.hset(keys.night, mapping={"run_id": self.run_id, "shards": self.shards,
                                         "spiders": json.dumps(self.spiders)})

    @classmethod
    def load(cls, client: redis.Redis, keys: Keys) -> Night:
        record: dict[bytes, bytes] = client.hgetall(keys.night)  # type: ignore[assignment]  # sync client
        if not record:
            raise NightMissing(f"no night in Redis under {keys.night!r}: run `partnerwatch enqueue` first")
        sources: dict[str, Any] = {field.decode().removeprefix("sources:"): json.loads(value)
                                   for field, value in record.items() if field.startswith(b"sources:")}
        return cls(int(record[b"run_id"]), int(record[b"shards"]), tuple(json.loads(record[b"spiders"])),
                   {spider: [tuple(source) for source in listed] for spider, listed in sources.items()})

    @staticmethod
    def is_closed(client: redis.Redis, keys: Keys) -> bool:
        return bool(client.hexists(keys.night, "closed"))


class NightMissing(Exception):
    """Redis holds no night to work on."""
