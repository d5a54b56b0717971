"""Adaptive revisits in the crawl: the spider does not request an adaptive source's article that is
not due tonight (the policy: crawler/revisit_policy.py)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import META_ARTICLE, META_IDENTITY, META_LISTED_MODIFIED, now_iso
from crawler.revisit_policy import RevisitPolicy, is_due
from storage.db import open_db
from storage.revisits import RevisitState, revisit_states

logger = logging.getLogger(__name__)


class RevisitSchedule:
    """Tonight's due check for the article requests of one crawl: the archive is read once."""

    def __init__(self, policies: dict[str, RevisitPolicy], states: dict[str, RevisitState], night: date) -> None:
        self.policies, self.states, self.night = policies, states, night
        self.held_back: dict[str, set[str]] = {}  # source -> articles not asked tonight

    @classmethod
    def load(cls, db_path: Path, sources: list[Any], night: date) -> Self:
        policies = {s.name: s.revisit_policy for s in sources if s.revisit_policy.adaptive}
        states: dict[str, RevisitState] = {}
        if policies and db_path.exists():
            db = open_db(db_path)
            try:
                states = revisit_states(db, policies)
            finally:
                db.close()
        return cls(policies, states, night)

    def admits(self, request: Request) -> bool:
        """False for an article request of an adaptive source that is not due tonight (counted)."""
        if not self.states or not request.meta.get(META_ARTICLE):
            return True
        rules = request.meta.get(META_IDENTITY)
        key = rules.of(request.url) if rules else request.url
        state = self.states.get(key)
        policy = self.policies.get(state.source) if state else None
        if state is None or policy is None:
            return True  # not archived yet, or a nightly source
        if is_due(policy, key, self.night, state, request.meta.get(META_LISTED_MODIFIED)):
            self.held_back.get(state.source, set()).discard(key)  # held back from a listing, asked by a sitemap
            return True
        self.held_back.setdefault(state.source, set()).add(key)
        return False


def revisit_night(settings: Any) -> date:
    """Tonight, as the policy sees it: CRAWLER_REVISIT_TODAY (an ISO date, for tests) or today in UTC
    (on the archive's clock, crawler.items.now_iso)."""
    today = settings.get("CRAWLER_REVISIT_TODAY")
    return date.fromisoformat(str(today)[:10] if today else now_iso()[:10])


class AdaptiveRevisits:
    """Extension: load tonight's RevisitSchedule when the spider opens (the spider asks it before
    each article request), and count the articles held back per source when it closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.schedule: RevisitSchedule | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CRAWLER_STORAGE_ENABLED"):
            raise NotConfigured("adaptive revisits need the archive (CRAWLER_STORAGE_ENABLED)")
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        settings = self.crawler.settings
        self.schedule = RevisitSchedule.load(Path(settings["CRAWLER_STORAGE_PATH"]),
                                             list(getattr(spider, "sources", ())), revisit_night(settings))
        if not self.schedule.policies:
            return  # every source is nightly: nothing to hold back
        spider.revisit_schedule = self.schedule  # type: ignore[attr-defined]  # read by the spiders that use it
        logger.info("adaptive revisits for %s (night %s): %d archived articles",
                    ", ".join(sorted(self.schedule.policies)), self.schedule.night, len(self.schedule.states))

    def spider_closed(self, spider: Spider) -> None:
        if self.schedule is None:
            return
        for source, keys in self.schedule.held_back.items():
            self.crawler.stats.set_value(f"crawler/revisit/not_due/{source}", len(keys))
            logger.info("%s: %d archived articles not due tonight", source, len(keys))
