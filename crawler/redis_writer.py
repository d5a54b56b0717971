"""The single writer of a Redis night: the stream's items into the archive, each acknowledged once durable.

It reads the night's stream through a consumer group (XREADGROUP) and stores with the code a
one-machine crawl uses: an ArchiveWriter per spider (crawler/archive_writer.py), `write(batch)`,
then `close(end)` once every shard's worker has ended. An entry is acknowledged (XACK) only when
what it carries is committed: right after its batch's commit, or, for an article the template
learning or the site-page watch holds back, once it is released and stored. A writer killed at
any point is restarted and first reads its own pending entries again (XREADGROUP from id 0):
an uncommitted batch is simply stored now; an entry committed just before the kill, before its
XACK, is stored again, which adds no version (the same text is `unchanged`), only a second fetch row.
"""

from __future__ import annotations

import logging
import pickle
from collections import defaultdict
from dataclasses import replace
from typing import Any

from crawler.archive_pipeline import BATCH_ITEMS
from crawler.archive_writer import ArchiveWriter, WriterConfig
from crawler.items import ArticleItem, PageItem, now_iso
from crawler.redis_night import WRITER_GROUP, Keys, Night
from crawler.run_recorder import RunEnd
from storage.db import open_db
from storage.runs import close_run

logger = logging.getLogger(__name__)

CONSUMER = "writer"  # one writer a night: a restart reads the pending entries of this same consumer
RESTARTED = "worker_restarted"  # a finished crawl whose counts and links miss what a killed worker saw


class WriterStopped(Exception):
    """The archive cannot be written (disk full): the night's entries stay in the stream."""


class NightWriter:
    """Store the night's stream into the archive until every spider's shards have ended."""

    def __init__(self, client: Any, keys: Keys, config: WriterConfig, block_ms: int = 1000) -> None:
        self.client = client
        self.keys = keys
        self.config = config  # the archive and its settings; spider and sources per spider below
        self.block_ms = block_ms
        self.night = Night.load(client, keys)
        self.writers: dict[str, ArchiveWriter] = {}
        # per (spider, source): the entries written but maybe held back by the writer, id -> item
        self.held: dict[tuple[str, str], dict[bytes, ArticleItem]] = defaultdict(dict)
        # per spider and shard: the ends its workers sent (a worker stopped and started again sends two)
        self.ends: dict[str, dict[int, list[tuple[bytes, RunEnd, bool]]]] = defaultdict(lambda: defaultdict(list))
        self.closed: set[str] = set()

    def run(self) -> None:
        """Read pending entries first (a restart), then new ones, until the night is closed."""
        after: bytes | str = "0"  # own pending entries after this id; ">": new ones
        while not Night.is_closed(self.client, self.keys):
            answer = self.client.xreadgroup(WRITER_GROUP, CONSUMER, {self.keys.stream: after},
                                            count=BATCH_ITEMS, block=None if after != ">" else self.block_ms)
            entries = answer[0][1] if answer else []
            if after != ">":
                # every entry delivered before the restart is handled again, once
                after = entries[-1][0] if entries else ">"
            self.handle(entries)

    def handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Store one batch's items, spider by spider, then take note of the workers' ends."""
        items: dict[str, list[tuple[bytes, PageItem | ArticleItem]]] = defaultdict(list)
        for entry_id, fields in entries:
            spider = fields[b"spider"].decode()
            if b"item" in fields:
                items[spider].append((entry_id, pickle.loads(fields[b"item"])))  # noqa: S301 (our workers' items: docs/many-machines.md, Trust)
            else:
                end: RunEnd = pickle.loads(fields[b"end"])  # noqa: S301 (as above)
                self.ends[spider][int(fields[b"shard"])].append((entry_id, end, fields[b"restarted"] == b"1"))
        for spider, batch in items.items():
            self._store(spider, batch)
        for spider in list(self.ends):
            if spider not in self.closed and len(self.ends[spider]) == self.night.shards:
                self._close_spider(spider)
        if set(self.night.spiders) <= self.closed:
            self._close_night()

    def _store(self, spider: str, batch: list[tuple[bytes, PageItem | ArticleItem]]) -> None:
        writer = self._writer(spider)
        written = writer.write([item for _, item in batch])
        if written.disk_full is not None:
            raise WriterStopped(f"the archive cannot be written: {written.disk_full}")
        for (entry_id, item), error in zip(batch, written.errors, strict=True):
            if error is not None:  # the item's own failure: another delivery would fail the same way
                where = getattr(item, "url", None) or item.source
                logger.error("entry %s (%s) not stored: %r", entry_id.decode(), where, error)
        done = []
        for entry_id, item in batch:
            if isinstance(item, ArticleItem):
                self.held[spider, item.source][entry_id] = item
            else:
                done.append(entry_id)
        # an article leaves the hold only when its own source gets further articles
        touched = {item.source for _, item in batch}
        still = held_items(writer, touched)
        for source in touched:
            waiting = self.held[spider, source]
            for entry_id in [entry_id for entry_id, item in waiting.items() if id(item) not in still]:
                done.append(entry_id)
                del waiting[entry_id]
        self._ack(done)

    def _writer(self, spider: str) -> ArchiveWriter:
        if spider not in self.writers:
            sources = tuple(tuple(source) for source in self.night.sources.get(spider, []))
            self.writers[spider] = ArchiveWriter(replace(self.config, spider=spider, sources=sources,  # type: ignore[arg-type]
                                                         job_run_id=self.night.run_id))
        return self.writers[spider]

    def _close_spider(self, spider: str) -> None:
        """Every shard of `spider` ended: store what is held back, record its sources' crawl."""
        shards = self.ends[spider]
        sent = [sent for ends in shards.values() for sent in ends]
        # a shard's last end says how it finished; the counts of all its workers add up
        reasons = [ends[-1][1].reason for ends in shards.values()]
        self._writer(spider).close(merge_ends([end for _, end, _ in sent], reasons,
                                              any(restarted for _, _, restarted in sent)))
        del self.writers[spider]
        held = [entry_id for key in [key for key in self.held if key[0] == spider] for entry_id in self.held.pop(key)]
        self._ack([*held, *(entry_id for entry_id, _, _ in sent)])
        self.closed.add(spider)
        logger.info("spider %s: all %d shards ended, its sources' crawl recorded", spider, len(shards))

    def _close_night(self) -> None:
        db = open_db(self.config.db_path)
        try:
            outcome = close_run(db, self.night.run_id, finished_at=now_iso())
        finally:
            db.close()
        self.client.hset(self.keys.night, "closed", now_iso())
        logger.info("run %d: %s", self.night.run_id, outcome)

    def _ack(self, entry_ids: list[bytes]) -> None:
        """Acknowledge stored entries and delete them: the stream would otherwise keep every page of the night."""
        if entry_ids:
            with self.client.pipeline() as pipe:
                pipe.xack(self.keys.stream, WRITER_GROUP, *entry_ids)
                pipe.xdel(self.keys.stream, *entry_ids)
                pipe.execute()


def held_items(writer: ArchiveWriter, sources: set[str]) -> set[int]:
    """The ids of the articles of `sources` the writer holds back (template learning, site-page watch)."""
    held: set[int] = set()
    if writer.templates is not None:
        for source in sources & writer.templates.sources.keys():
            held.update(id(entry.item) for entry in writer.templates.sources[source].held)
    for source in sources & writer.site_pages.held.keys():
        held.update(id(entry.item) for _, entry in writer.site_pages.held[source])
    return held


def merge_ends(ends: list[RunEnd], reasons: list[str], restarted: bool) -> RunEnd:
    """One RunEnd for a spider's shards: counts and links added up, the first reason other than finished."""
    unfinished = [reason for reason in reasons if reason != "finished"]
    reason = unfinished[0] if unfinished else RESTARTED if restarted else "finished"
    sources = tuple(dict.fromkeys(name for end in ends for name in end.sources))
    requests: dict[str, int] = defaultdict(int)
    responses_ok: dict[str, int] = defaultdict(int)
    exceptions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stats: dict[str, Any] = {}
    linked: dict[str, set[str]] = defaultdict(set)
    for end in ends:
        for name, count in end.requests.items():
            requests[name] += count
        for name, count in end.responses_ok.items():
            responses_ok[name] += count
        for name, counts in end.exceptions.items():
            for key, count in counts.items():
                exceptions[name][key] += count
        for key, value in end.stats.items():
            before = stats.get(key, 0)
            is_count = all(isinstance(n, int | float) and not isinstance(n, bool) for n in (value, before))
            stats[key] = before + value if is_count else stats.get(key, value)
        for name, urls in end.linked_articles.items():
            linked[name] |= urls
    return RunEnd(reason, sources, dict(requests), dict(responses_ok),
                  {name: dict(counts) for name, counts in exceptions.items()}, stats, dict(linked))
