"""Storage counters that count what was committed, not what was attempted."""

from __future__ import annotations

from collections import Counter


class PendingStats:
    """Counters that count what was committed, not what was attempted.

    Counting each version as it was written claimed 380 new versions on a full disk where 10 were
    stored; counters now wait until their batch commits, and are dropped with a batch that does not.
    """

    def __init__(self) -> None:
        self.pending: Counter[str] = Counter()
        self.committed: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1) -> None:
        self.pending[key] += count

    def commit(self) -> None:
        self.committed.update(self.pending)
        self.pending.clear()

    def discard(self) -> None:
        self.pending.clear()

    def take(self) -> dict[str, int]:
        """The committed counters not yet handed on."""
        taken = dict(self.committed)
        self.committed.clear()
        return taken
