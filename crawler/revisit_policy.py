"""Adaptive revisits: ask an old, long-unchanged article less often than every night.

Nutch's AdaptiveFetchSchedule and StormCrawler's AdaptiveScheduler grow a page's interval while
it stays unchanged and shrink it when it changes. For a source with `revisit = "adaptive"`:

* an article first seen or changed within `recent_days` is checked every night;
* an older one every `interval` nights, 1, 2, 4, … doubling with the nights it has stayed
  unchanged beyond that window, at most `max_interval_days`; a change makes it recent again;
* which nights: those where (night + a hash of its URL) % interval == 0, so the old articles of
  a source spread evenly over the nights instead of falling due together;
* due anyway: never checked, not checked for `max_interval_days` (a missed night), answering
  404/410 (its gone streak must count), or a sitemap `lastmod` / feed `updated` newer than its last check.

Listings, feeds and sitemaps are fetched every night; only article requests are held back, and
a held-back article still counts as linked (it is not "unlinked" for being skipped).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from storage.revisits import RevisitState, revisit_states


@dataclass(frozen=True)
class RevisitPolicy:
    adaptive: bool = False  # False: every known article is checked every night
    recent_days: int = 60
    max_interval_days: int = 7


NIGHTLY = RevisitPolicy()


def interval_nights(policy: RevisitPolicy, night: date, last_changed: date) -> int:
    """Nights between two checks of an article whose text last changed on `last_changed`."""
    age = (night - last_changed).days
    if not policy.adaptive or age < policy.recent_days:
        return 1
    unchanged = age - policy.recent_days  # nights unchanged since it left the recent window
    return min(policy.max_interval_days, 1 << ((unchanged + 1).bit_length() - 1))


def is_due(policy: RevisitPolicy, key: str, night: date, state: RevisitState,
           listed_modified: str | None = None) -> bool:
    """Whether the article filed under `key` (its canonical URL) is checked on `night`."""
    interval = interval_nights(policy, night, _day(state.last_changed_at))
    if interval == 1 or state.is_missing or not state.last_checked_at:
        return True
    last_checked = _day(state.last_checked_at)
    if listed_modified and listed_modified[:10] >= state.last_checked_at[:10]:
        return True  # the site says it changed since (to the day: a same-day edit counts)
    if (night - last_checked).days >= policy.max_interval_days:
        return True  # a night was missed: never let a gap exceed the maximum
    return (night.toordinal() + _phase(key)) % interval == 0


def _phase(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


def _day(iso: str) -> date:
    return date.fromisoformat(iso[:10])


@dataclass(frozen=True)
class Outlook:
    due: int  # archived articles the policy checks on the night asked about
    articles: int
    oldest_check: str | None  # the longest-unchecked article's last check


def revisit_outlook(db: Database, policies: dict[str, RevisitPolicy], night: date) -> dict[str, Outlook]:
    """Per source with archived articles: how many are due on `night`, and the oldest check."""
    states = revisit_states(db, policies)
    by_source: dict[str, list[tuple[str, RevisitState]]] = {}
    for key, state in states.items():
        by_source.setdefault(state.source, []).append((key, state))
    outlook = {}
    for source, entries in sorted(by_source.items()):
        due = sum(is_due(policies[source], key, night, state) for key, state in entries)
        checks = [state.last_checked_at for _, state in entries if state.last_checked_at]
        outlook[source] = Outlook(due, len(entries), min(checks) if checks else None)
    return outlook
