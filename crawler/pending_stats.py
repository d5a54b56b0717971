"""Storage counters that count what was committed, not what was attempted.

The archive writer stores up to BATCH_ITEMS items under one commit. Counting each version as it
was written claimed 380 new versions on a full disk where 10 were stored; counters now wait in
`PendingStats` until their batch commits, and are dropped with a batch that does not.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.statscollectors import StatsCollector


class PendingStats:
    """A StatsCollector front whose `inc_value` waits for `commit()`; reads go to the real one."""

    def __init__(self, stats: StatsCollector) -> None:
        self.real = stats
        self.pending: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.pending[key] += count

    def commit(self) -> None:
        for key, count in self.pending.items():
            self.real.inc_value(key, count)
        self.pending.clear()

    def discard(self) -> None:
        self.pending.clear()

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.real.get_value(key, default)

    def get_stats(self) -> dict[str, Any]:
        return self.real.get_stats()
