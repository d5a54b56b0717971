"""Site pages in one run: a text served under many article URLs of a source is the site, not an article.

A maintenance page, a login or cookie wall or a soft 404 that does not say what it is in words
crawler.site_pages knows still gives itself away: the site serves the same text (the same
crawler.site_pages.site_key, which ignores echoed URLs, paths, ids and times) under many
article URLs. Within one run, per source, a key seen on MIN_URLS distinct articles (canonical
URLs) is a site page when it also *stands in* for articles: it replaced an archived article's
own, different text, or every sighting carries one and the same title. A press release
published under three URLs with their own titles on a first crawl is no site page; the same
text on three URLs whose archived articles said something else last night is. A key an
earlier run found to be a site page (the `site_pages` table) is one at once, on one URL.
Each of its fetches is logged `site_page` (detail `repeated`) and stores nothing.

The first sightings arrive before the third proves the pattern. Holding every article until
the run ends would cost memory and delay every write, so the watch holds only the suspicious
ones and takes back the rest:

* an article whose key was already seen on another article this run is held (at most MAX_HELD
  per source, the oldest stored beyond that) until a further sighting proves a site page, or
  until the spider closes, when it is stored as usual;
* the first sighting is not suspicious and goes on to storage. With template learning on it is
  usually still in the learner's hold-back (CRAWLER_TEMPLATE_HOLD_PAGES) when the pattern is
  proven, and is then logged as a site page when released, never stored. Stored already, it
  is taken back (storage.site_pages.retract_fetch): at most MIN_URLS - 1 fetches a pattern.

So a pattern costs no false version and no false duplicate link among its own sightings. What
the watch keeps per run is one small record per distinct text (its articles, and how to take
back a stored one), the same order of memory as the template learner's counts.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict, deque
from dataclasses import dataclass, field

from scrapy.statscollectors import StatsCollector
from sqlite_utils import Database

from crawler.items import ArticleItem
from crawler.site_pages import site_key
from crawler.site_templates import Held
from storage.articles import Recorded
from storage.near_duplicates import DedupThresholds
from storage.site_pages import RetractError, known_site_keys, record_site_page, remember_site_page, retract_fetch

logger = logging.getLogger(__name__)

MIN_URLS = 3  # distinct articles of one source serving one text in one run: a site page
MAX_HELD = 64  # per source, articles held for a further sighting; the oldest beyond are stored
REPEATED = "repeated"


@dataclass(slots=True)
class _Text:
    """One text (site key) of one source in this run."""

    title: str | None  # of its first sighting
    articles: set[str] = field(default_factory=set)  # canonical URLs it was served under
    stored: list[tuple[str, Recorded]] = field(default_factory=list)  # (url, what was stored) to take back
    held: list[Held] = field(default_factory=list)  # waiting for a further sighting (also in SitePageWatch.held)
    is_site_page: bool = False
    has_one_title: bool = True  # every sighting had the first one's title
    replaced_article: bool = False  # an archived article had another text before it was served this one
    checked: set[str] = field(default_factory=set)  # canonical URLs looked up in the archive for that


class SitePageWatch:
    """Screen a run's extracted articles for site pages; used only in the archive writer's thread."""

    def __init__(self, db: Database, run_id: int | None, stats: StatsCollector,
                 dedup: DedupThresholds | None) -> None:
        self.db = db
        self.run_id = run_id
        self.stats = stats
        self.dedup = dedup  # a taken-back fetch's previous text is indexed again for duplicates
        self.texts: dict[tuple[str, str], _Text] = {}
        self.known: dict[str, set[str]] = {}  # per source: keys earlier runs found to be site pages
        self.held: dict[str, deque[tuple[_Text, Held]]] = defaultdict(deque)

    def screen(self, held: Held) -> list[Held]:
        """The articles to pass on to storage now: `held`'s, unless it is a site page or must wait."""
        item = held.item
        text = self._text(item)
        if text.is_site_page:
            self._record(item)
            return []
        text.articles.add(item.article.canonical_url or item.article.url)
        text.has_one_title = text.has_one_title and item.article.title == text.title
        if len(text.articles) == 1:
            return [held]
        if not text.replaced_article:
            text.replaced_article = self._replaces_articles(item, text)
        if len(text.articles) >= MIN_URLS and (text.replaced_article or text.has_one_title):
            self._declare(item, text)
            return []
        text.held.append(held)
        waiting = self.held[item.source]
        waiting.append((text, held))
        if len(waiting) <= MAX_HELD:
            return []
        oldest_text, oldest = waiting.popleft()
        _release(oldest_text, oldest)
        return [oldest]

    def is_site_page(self, item: ArticleItem) -> bool:
        """At storing time: whether `item`'s text was proven a site page since it was screened; logs it."""
        text = self.texts.get((item.source, self._key(item)))
        if text is None or not text.is_site_page:
            return False
        self._record(item)
        return True

    def note_stored(self, item: ArticleItem, recorded: Recorded) -> None:
        """Remember a stored article, to take it back if its text turns out to be a site page."""
        text = self.texts.get((item.source, self._key(item)))
        if text is not None:
            text.stored.append((item.article.url, recorded))
            # the archived article had another text: this one stands in for it
            text.replaced_article = text.replaced_article or recorded.outcome in ("changed", "quarantined")

    def drain(self) -> list[Held]:
        """Every article still held: the spider is closing, no further sighting will come."""
        due = []
        for waiting in self.held.values():
            for text, held in waiting:
                _release(text, held)
                due.append(held)
        self.held.clear()
        return due

    def _text(self, item: ArticleItem) -> _Text:
        key = self._key(item)
        text = self.texts.get((item.source, key))
        if text is None:
            if item.source not in self.known:
                self.known[item.source] = known_site_keys(self.db, item.source)
            text = self.texts[item.source, key] = _Text(item.article.title, is_site_page=key in self.known[item.source])
            if text.is_site_page:  # known from an earlier run: seen again now
                remember_site_page(self.db, item.source, key, urls=1, run_id=self.run_id, at=item.fetched_at,
                                   title=item.article.title, text=item.article.text)
        return text

    def _key(self, item: ArticleItem) -> str:
        if item.site_key is None:  # not computed by an extraction worker
            item.site_key = site_key(item.article.text, item.article.url)
        return item.site_key

    def _replaces_articles(self, item: ArticleItem, text: _Text) -> bool:
        """Whether an archived article among the text's sightings not yet looked up has another text.

        One query for each sighting of a text seen on two or more articles, none for any other.
        """
        unchecked = sorted(text.articles - text.checked)
        text.checked.update(unchecked)
        rows = self.db.execute(
            "SELECT a.url, t.text FROM articles a JOIN version_texts t ON t.article_id = a.id "
            f"AND t.version = a.current_version WHERE a.source = ? AND a.canonical_url IN ({', '.join('?' * len(unchecked))})",  # noqa: S608, E501
            [item.source, *unchecked],
        ).fetchall()
        key = self._key(item)
        return any(site_key(archived, url) != key for url, archived in rows)

    def _declare(self, item: ArticleItem, text: _Text) -> None:
        """The text is on its MIN_URLS-th article: a site page. Log its sightings, take back stored ones."""
        text.is_site_page = True
        remember_site_page(self.db, item.source, self._key(item), urls=len(text.articles), run_id=self.run_id,
                           at=item.fetched_at, title=item.article.title, text=item.article.text)
        logger.info("%s: a text served under %d article URLs is a site page, e.g. %s", item.source,
                    len(text.articles), item.article.url)
        self.stats.inc_value("crawler/site_pages/found")
        for held in [*text.held, Held(item, None)]:
            self._record(held.item)
        if text.held:
            self.held[item.source] = deque(entry for entry in self.held[item.source] if entry[0] is not text)
        text.held.clear()
        text.articles.clear()  # decided: the count is in `site_pages`
        text.checked.clear()
        for url, recorded in reversed(text.stored):  # the latest first: an earlier one may hold its text
            try:
                retract_fetch(self.db, recorded, run_id=self.run_id, url=url, detail=REPEATED, dedup=self.dedup)
            except (RetractError, sqlite3.IntegrityError) as error:
                logger.warning("%s: stored site page not taken back: %s", url, error)
                self.stats.inc_value("crawler/site_pages/retract_failed")
            else:
                self.stats.inc_value("crawler/site_pages/retracted")
        text.stored.clear()

    def _record(self, item: ArticleItem) -> None:
        outcome = record_site_page(self.db, run_id=self.run_id, source=item.source, url=item.article.url,
                                   fetched_at=item.fetched_at, http_status=item.http_status, detail=REPEATED)
        self.stats.inc_value(f"crawler/storage/fetch_{outcome}")


def _release(text: _Text, held: Held) -> None:
    text.held = [other for other in text.held if other is not held]  # by identity: items need no equality
