"""Seeding a Redis night from the archive: its run, the known articles' validators, an empty queue.

The start requests themselves are queued by a crawl of each spider with CRAWLER_REDIS_SHARD -1
(crawler/redis_worker.py): the spiders' own start, so feeds, sitemaps and listings, their priorities
and page budgets are those of a one-machine night.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from crawler.items import now_iso
from crawler.redis_night import WRITER_GROUP, Keys, Night
from storage.db import open_db
from storage.lifecycle import load_known
from storage.runs import start_run

logger = logging.getLogger(__name__)

_CHUNK = 1000  # validators sent to Redis per round trip


def open_night(client: Any, keys: Keys, db_path: Path, spiders: tuple[str, ...], shards: int) -> int:
    """Start the night's run in the archive and reset its keys in Redis; the run's id.

    Whatever an earlier night left under the prefix (queues, dupefilter, stream) is removed: a new
    night fetches every page again, as a one-machine night does.
    """
    db = open_db(db_path)
    try:
        run_id = start_run(db, ",".join(spiders), now_iso(), trigger="redis")
        known = load_known(db)
    finally:
        db.close()
    stale = list(client.scan_iter(match=f"{keys.prefix}:*", count=1000))
    for start in range(0, len(stale), _CHUNK):
        client.delete(*stale[start:start + _CHUNK])
    for start in range(0, len(known), _CHUNK):
        client.hset(keys.known, mapping={k.canonical_url: json.dumps(asdict(k)) for k in known[start:start + _CHUNK]})
    Night(run_id, shards, spiders, {}).save(client, keys)
    client.xgroup_create(keys.stream, WRITER_GROUP, id="0", mkstream=True)
    logger.info("night of run %d: %d shards, %d known articles, spiders %s", run_id, shards, len(known),
                ", ".join(spiders))
    return run_id
