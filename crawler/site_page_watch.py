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
  proven, and is then logged as a site page when released, never stored. Stored already, and
  among its source's last WINDOW stored articles, it is taken back
  (storage.site_pages.retract_fetch): at most MIN_URLS - 1 fetches a pattern.

So a pattern costs no false version and no false duplicate link among its own sightings.
Memory: a text seen once costs a dict entry of three hashes (measured: 23 MB for 100,000
articles); only texts seen twice get a record, and only the last WINDOW stored articles of a
source keep what is needed to take them back.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict, deque
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.items import ArticleItem
from crawler.pending_stats import PendingStats
from crawler.site_pages import site_key
from crawler.template_learning import Held
from storage.articles import Recorded
from storage.near_duplicates import DedupThresholds
from storage.site_pages import RetractError, known_site_keys, record_site_page, remember_site_page, retract_fetch

logger = logging.getLogger(__name__)

MIN_URLS = 3  # distinct articles of one source serving one text in one run: a site page
MAX_HELD = 64  # per source, articles held for a further sighting; the oldest beyond are stored
WINDOW = 256  # per source, the latest stored articles that can still be taken back
REPEATED = "repeated"
TAKEN_BACK = ("changed", "quarantined")  # stored outcomes of an archived article that had another text


@dataclass(slots=True)
class _Text:
    """A text (site key) seen on two or more articles of a source this run, or known as a site page."""

    title: int  # hash of its first sighting's title
    articles: set[int] = field(default_factory=set)  # hashes of the canonical URLs it was served under
    held: list[Held] = field(default_factory=list)  # waiting for a further sighting (also in SitePageWatch.held)
    is_site_page: bool = False
    has_one_title: bool = True  # every sighting had the first one's title
    replaced_article: bool = False  # an archived article had another text before it was served this one


class SitePageWatch:
    """Screen a run's extracted articles for site pages; used only by the archive writer."""

    def __init__(self, db: Database, run_id: int | None, stats: PendingStats,
                 dedup: DedupThresholds | None) -> None:
        self.db = db
        self.run_id = run_id
        self.stats = stats
        self.dedup = dedup  # a taken-back fetch's previous text is indexed again for duplicates
        # per source: text key -> (article, title) hashes of the text's only sighting so far
        self.first: dict[str, dict[bytes, tuple[int, int]]] = defaultdict(dict)
        self.texts: dict[str, dict[bytes, _Text]] = defaultdict(dict)  # per source: texts seen twice or known
        self.known: dict[str, set[bytes]] = {}  # per source: keys earlier runs found to be site pages
        self.held: dict[str, deque[tuple[_Text, Held]]] = defaultdict(deque)
        self.stored: dict[str, deque[tuple[bytes, str, Recorded]]] = defaultdict(lambda: deque(maxlen=WINDOW))

    def screen(self, held: Held) -> list[Held]:
        """The articles to pass on to storage now: `held`'s, unless it is a site page or must wait."""
        item = held.item
        key, source = _short(self._key(item)), item.source
        article, title = hash(item.article.canonical_url or item.article.url), hash(item.article.title)
        text = self._text(item, key)
        if text is None:
            first = self.first[source].get(key)
            if first is None or first[0] == article:  # a text's first article: nothing suspicious
                self.first[source][key] = (article, title)
                return [held]
            text = self.texts[source][key] = _Text(first[1], {first[0]})
            del self.first[source][key]
        if text.is_site_page:
            self._record(item)
            return []
        text.articles.add(article)
        text.has_one_title = text.has_one_title and title == text.title
        text.replaced_article = text.replaced_article or self._replaces_article(item, key)
        if len(text.articles) >= MIN_URLS and (text.replaced_article or text.has_one_title):
            self._declare(item, key, text)
            return []
        text.held.append(held)
        waiting = self.held[source]
        waiting.append((text, held))
        if len(waiting) <= MAX_HELD:
            return []
        oldest_text, oldest = waiting.popleft()
        _release(oldest_text, oldest)
        return [oldest]

    def is_site_page(self, item: ArticleItem) -> bool:
        """At storing time: whether `item`'s text was proven a site page since it was screened; logs it."""
        text = self.texts[item.source].get(_short(self._key(item)))
        if text is None or not text.is_site_page:
            return False
        self._record(item)
        return True

    def note_stored(self, item: ArticleItem, recorded: Recorded) -> None:
        """Remember a stored article, to take it back if its text turns out to be a site page."""
        self.stored[item.source].append((_short(self._key(item)), item.article.url, recorded))

    def drain(self) -> list[Held]:
        """Every article still held: the spider is closing, no further sighting will come."""
        due = []
        for waiting in self.held.values():
            for text, held in waiting:
                _release(text, held)
                due.append(held)
        self.held.clear()
        return due

    def _text(self, item: ArticleItem, key: bytes) -> _Text | None:
        text = self.texts[item.source].get(key)
        if text is not None:
            return text
        if item.source not in self.known:
            self.known[item.source] = {_short(known) for known in known_site_keys(self.db, item.source)}
        if key not in self.known[item.source]:
            return None
        # known from an earlier run: a site page at once, and seen again now
        remember_site_page(self.db, item.source, self._key(item), urls=1, run_id=self.run_id, at=item.fetched_at,
                           title=item.article.title, text=item.article.text)
        text = self.texts[item.source][key] = _Text(hash(item.article.title), is_site_page=True)
        return text

    def _key(self, item: ArticleItem) -> str:
        if item.site_key is None:  # not computed by an extraction worker
            item.site_key = site_key(item.article.text, item.article.url)
        return item.site_key

    def _replaces_article(self, item: ArticleItem, key: bytes) -> bool:
        """Whether `item`'s article, or one stored this run with its text, had another text in the archive.

        Asked only for a text seen on two or more articles: one query, none for any other text.
        """
        if any(stored_key == key and recorded.outcome in TAKEN_BACK
               for stored_key, _, recorded in self.stored[item.source]):
            return True
        row = self.db.execute(
            "SELECT a.url, t.text FROM articles a JOIN version_texts t ON t.article_id = a.id "
            "AND t.version = a.current_version WHERE a.canonical_url = ?",
            [item.article.canonical_url or item.article.url],
        ).fetchone()
        return row is not None and _short(site_key(row[1], row[0])) != key

    def _declare(self, item: ArticleItem, key: bytes, text: _Text) -> None:
        """The text stands in for MIN_URLS articles: a site page. Log its sightings, take back stored ones."""
        source = item.source
        text.is_site_page = True
        remember_site_page(self.db, source, self._key(item), urls=len(text.articles), run_id=self.run_id,
                           at=item.fetched_at, title=item.article.title, text=item.article.text)
        logger.info("%s: a text served under %d article URLs is a site page, e.g. %s", source,
                    len(text.articles), item.article.url)
        self.stats.inc_value("crawler/site_pages/found")
        for held in [*text.held, Held(item, None)]:
            self._record(held.item)
        if text.held:
            self.held[source] = deque(entry for entry in self.held[source] if entry[0] is not text)
        text.held.clear()
        text.articles.clear()  # decided: the count is in `site_pages`
        stored = self.stored[source]
        for stored_key, url, recorded in reversed(stored):  # the latest first: an earlier one may hold its text
            if stored_key == key:
                self._take_back(url, recorded)
        self.stored[source] = deque((entry for entry in stored if entry[0] != key), maxlen=WINDOW)

    def _take_back(self, url: str, recorded: Recorded) -> None:
        try:
            retract_fetch(self.db, recorded, run_id=self.run_id, url=url, detail=REPEATED, dedup=self.dedup)
        except (RetractError, sqlite3.IntegrityError) as error:
            logger.warning("%s: stored site page not taken back: %s", url, error)
            self.stats.inc_value("crawler/site_pages/retract_failed")
        else:
            self.stats.inc_value("crawler/site_pages/retracted")

    def _record(self, item: ArticleItem) -> None:
        outcome = record_site_page(self.db, run_id=self.run_id, source=item.source, url=item.article.url,
                                   fetched_at=item.fetched_at, http_status=item.http_status, detail=REPEATED)
        self.stats.inc_value(f"crawler/storage/fetch_{outcome}")


def _short(key: str) -> bytes:
    """A site key as kept in memory: 16 bytes of its hex digest."""
    return bytes.fromhex(key[:32])


def _release(text: _Text, held: Held) -> None:
    text.held = [other for other in text.held if other is not held]  # by identity: items need no equality
