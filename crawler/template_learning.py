"""Site-template learning in the crawl: a source's repeated paragraphs never reach stored text.

Generic rules (crawler.boilerplate.is_boilerplate_line) catch page furniture any site has; this
module learns what only one source repeats: its sidebar teasers, tickers, banners, office
hours. How, within the design constraints of issue 4:

* Counting. A `TemplateLearner` per source counts, for each paragraph of an extracted text, the
  distinct pages it appears on. A page is identified by its article's first stored text
  (storage.template_blocks.page_identity), so a mirror copy, an exact republication and later edits
  of one article count once: an article's own paragraphs never add up to a block. A paragraph
  on CRAWLER_TEMPLATE_MIN_BLOCK_PAGES distinct pages becomes a block, but only once the source
  has CRAWLER_TEMPLATE_MIN_PAGES pages: a small source learns nothing rather than guess.
* The first crawl stores clean text. Each source's newest CRAWLER_TEMPLATE_HOLD_PAGES extracted
  articles are held back (in memory, raw page compressed) and stored only when that many later
  pages were counted, or when the spider closes. A block whose repeats fall within that window
  is known before any page carrying it is stored.
* Persisted. Blocks go to `template_blocks` as soon as they are learned, before any text
  stripped of them; the learner's counts go to `template_learners` when the spider closes. The
  next crawl extracts with the persisted blocks (ExtractPipeline) and goes on counting.
* No false changes. Texts are stored stripped of the current blocks, and record_article compares
  them with the stored text stripped of the same blocks: learning a block changes no article.
* Pages with no article. On a page that has only its heading and the sidebar, the extractor
  returns the sidebar, which it cuts from every article, so text counting never sees it. The
  learner also counts the text blocks of each page's whole DOM (crawler.page_blocks, hashed by
  the extraction worker) per page identity. A text whose lines are blocks recurring on
  CRAWLER_TEMPLATE_MIN_BLOCK_PAGES pages, but for less than CRAWLER_EXTRACT_MIN_CHARS (or a
  twentieth of its words) of its own, is the template's: `no_article`. Recurring lines that
  open or close an article's text (a sidebar taken along) are cut; one inside it (a quote) stays.
* Cheap. Counting is a few set operations per paragraph and DOM block; after the source has
  enough pages, only the current page's paragraphs are checked against the threshold.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from sqlite_utils import Database

from crawler.boilerplate import TemplateLearner
from crawler.extract import Article, shortest_text
from crawler.items import ArticleItem, now_iso
from crawler.page_blocks import block_hash, measure_own_text, text_units
from storage.fingerprint import BANDS, PERMUTATIONS, Fingerprint
from storage.raw_pages import RawPage
from storage.template_blocks import (
    add_blocks,
    block_lines,
    folded_digest,
    load_blocks,
    load_learner_state,
    normalize_block,
    page_identity,
    save_learner_state,
    strip_block_lines,
    strip_blocks,
)

logger = logging.getLogger(__name__)

# Scrapy signal (source=, blocks=): a source's template grew. The extraction workers strip the
# new blocks from then on, so the text they fingerprint is the text the archive stores.
blocks_learned = object()


@dataclass(frozen=True)
class TemplateSettings:
    min_pages: int  # CRAWLER_TEMPLATE_MIN_PAGES
    min_block_pages: int  # CRAWLER_TEMPLATE_MIN_BLOCK_PAGES
    hold: int  # CRAWLER_TEMPLATE_HOLD_PAGES


@dataclass(frozen=True)
class Held:
    """An extracted article waiting to be stored, with its raw page."""

    item: ArticleItem
    raw: RawPage | None
    lines: list[tuple[str, str]] | None = None  # storage.template_blocks.block_lines of its text, once learned from
    digest: str | None = None  # storage.articles.text_hash of its text, when learning computed it
    bands: list[tuple[int, int]] | None = None  # item.fingerprint.bands(), when learning computed them


def apply_blocks(article: Article, blocks: frozenset[str], min_chars: int,
                 lines: list[tuple[str, str]] | None = None) -> Article | None:
    """`article` without its template blocks, or None when too little text is left
    (`lines`: block_lines of its text, when known)."""
    text = strip_blocks(article.text, blocks) if lines is None else strip_block_lines(article.text, lines, blocks)
    if len(text) < shortest_text(min_chars, article.dated):
        return None
    return article if text == article.text else replace(article, text=text)


def cut_template(article: Article, learner: TemplateLearner, min_chars: int) -> tuple[Article | None, frozenset[str]]:
    """`article` without the recurring DOM blocks at its text's edges, and those lines; None if it
    has too little text of its own (a page of the template only)."""
    if len(learner.pages) < learner.min_pages:
        return article, frozenset()
    hashes: set[int | None] = set()
    for line in article.text.split("\n"):
        units = text_units(line)  # [line] itself unless it is a table row: hashed once, not twice
        hashes.update(map(block_hash, units if units == [line] else (line, *units)))
    recurring = learner.page_blocks.recurring(hashes, learner.min_pages_per_paragraph)
    if not recurring:
        return article, frozenset()
    own = measure_own_text(article.text, recurring)
    if own.is_template_only(shortest_text(min_chars, article.dated)):
        return None, frozenset()
    return (replace(article, text=own.text) if own.cut else article), own.cut


class SourceTemplate:
    """One source's learner, its current blocks and the articles held back for it."""

    def __init__(self, learner: TemplateLearner, blocks: frozenset[str]) -> None:
        self.learner = learner
        self.blocks = blocks
        self.held: deque[Held] = deque()
        self.is_open = False  # set once the source had enough pages and its counts were scanned

    def learn(self, page: str, text: str, page_blocks: frozenset[int],
              paragraphs: set[str] | None = None) -> frozenset[str]:
        """Count one page's paragraphs and DOM blocks; return the blocks that made known.

        `paragraphs`: the normalised lines of `text`, when the caller has them.
        """
        if paragraphs is None:
            paragraphs = {normalize_block(line) for line in text.split("\n")}
        self.learner.add_page(page, paragraphs, page_blocks, is_normalized=True)
        if len(self.learner.pages) < self.learner.min_pages:
            return frozenset()
        # the first time: every counted paragraph may qualify; afterwards only this page's can
        candidates = paragraphs if self.is_open else set(self.learner.seen_on)
        self.is_open = True
        threshold = self.learner.min_pages_per_paragraph
        seen_on = self.learner.seen_on
        new = frozenset(p for p in candidates if p not in self.blocks and len(seen_on.get(p, ())) >= threshold)
        self.blocks |= new
        return new


class StoryKeys:
    """Near-duplicate pages of one source count as one page: a story told on several pages (a joint
    release, a follow-up repeating its core) is no template, however many pages repeat it.

    A page whose text has an estimated Jaccard similarity of at least STORY_JACCARD with a recent
    page of the source (candidates found through shared MinHash bands, storage.fingerprint) gets
    that page's key: most of its text is the same story. 0.7 is above what unrelated texts share
    when they come from one mould (town-site articles: 0.49-0.60) or when the extractor kept a big
    sidebar in each (old layout tables: 0.65 merged such pages, and their sidebar went unlearned),
    and below most of what a republished core with a new intro keeps (0.6-0.95 on
    bench/press_site.py, where story recall went from 0.54 to 0.83 with it: the learner had cut
    shared cores as template).
    Only the last `limit` pages are kept: a story's pages are published, and crawled, close together.
    """

    STORY_JACCARD = 0.7
    FIRST_ROWS = 64  # rows allocated at first; doubled as pages come, up to `limit`

    def __init__(self, limit: int = 2000) -> None:
        # one row per remembered page, a ring of `limit`: arrays, not a dict entry per band
        # (64,000 band entries as tuples took 17 MB of the crawl process; these take 1.3 MB)
        self.limit = limit
        # a column a page; each band key in two halves: most pages share no band, and comparing
        # the low halves alone finds that in half the time of the whole keys
        self.band_lows = np.zeros((BANDS, min(limit, self.FIRST_ROWS)), dtype=np.uint32)
        self.band_highs = np.zeros_like(self.band_lows)
        self.signatures = np.zeros((self.band_lows.shape[1], PERMUTATIONS), dtype=np.uint32)
        self.stories: list[str] = []  # the story key of each row's page
        self.next_row = 0

    def key(self, page: str, fingerprint: Fingerprint, bands: list[tuple[int, int]] | None = None) -> str:
        """The story key of `page`, whose text has `fingerprint` (`bands`: its bands(), if computed)."""
        keys = np.fromiter((key for _, key in bands or fingerprint.bands()), dtype=np.int64, count=BANDS)
        lows, highs = _halves(keys)
        story = page
        rows = len(self.stories)
        low_equal = self.band_lows[:, :rows] == lows[:, None]
        candidates = np.flatnonzero(low_equal.any(axis=0))
        if candidates.size:  # the same band key: both halves equal in one band
            same = low_equal[:, candidates] & (self.band_highs[:, candidates] == highs[:, None])
            candidates = candidates[same.any(axis=0)]
        if candidates.size:
            similarity = np.count_nonzero(self.signatures[candidates] == fingerprint.signature, axis=1)
            best = int(similarity.argmax())
            if similarity[best] >= self.STORY_JACCARD * PERMUTATIONS:
                story = self.stories[candidates[best]]
        self._remember(lows, highs, fingerprint.signature, story)
        return story

    def _remember(self, lows: np.ndarray, highs: np.ndarray, signature: np.ndarray, story: str) -> None:
        row = self.next_row
        if row == self.band_lows.shape[1]:  # full but below the limit: grow
            size = min(2 * row, self.limit)
            self.band_lows = np.pad(self.band_lows, ((0, 0), (0, size - row)))
            self.band_highs = np.pad(self.band_highs, ((0, 0), (0, size - row)))
            self.signatures = np.pad(self.signatures, ((0, size - row), (0, 0)))
        self.band_lows[:, row] = lows
        self.band_highs[:, row] = highs
        self.signatures[row] = signature
        if row == len(self.stories):
            self.stories.append(story)
        else:
            self.stories[row] = story
        self.next_row = (row + 1) % self.limit


def _halves(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The low and high 32 bits of 64-bit band keys."""
    halves = keys.view(np.uint32).reshape(-1, 2)
    low, high = (0, 1) if np.little_endian else (1, 0)
    return halves[:, low].copy(), halves[:, high].copy()


class TemplateLearning:
    """Every crawled source's template: learn from each article, hold it back, release it."""

    def __init__(self, db: Database, settings: TemplateSettings, run_id: int | None) -> None:
        self.db = db
        self.min_pages = settings.min_pages
        self.min_block_pages = settings.min_block_pages
        # fewer would store a new source's first pages before anything could be learned
        self.hold = max(settings.hold, settings.min_pages)
        self.run_id = run_id
        self.persisted = load_blocks(db)
        self.sources: dict[str, SourceTemplate] = {}
        self.stories: dict[str, StoryKeys] = {}

    def blocks(self, source: str) -> frozenset[str]:
        template = self.sources.get(source)
        return template.blocks if template else self.persisted.get(source, frozenset())

    def admit(self, item: ArticleItem, raw: RawPage | None,
              at: str | None = None) -> tuple[list[Held], frozenset[str]]:
        """Learn from `item` and hold it; return the articles now due for storing and new blocks
        (learned `at`, by default now)."""
        template = self._template(item.source)
        article = item.article
        # each line is normalised once here, and reused to learn from and to strip at storing time
        lines = block_lines(article.text)
        kept = [pair for pair in lines if pair[1] not in template.blocks] if template.blocks else lines
        text = article.text if len(kept) == len(lines) else "\n".join(line for line, _ in kept)
        digest = folded_digest(kept)
        page = page_identity(self.db, article.canonical_url or article.url, digest)
        bands = None
        if item.fingerprint is not None:  # duplicate detection on: the worker fingerprinted the text
            bands = item.fingerprint.bands()  # looked up here, and indexed with the text if it is stored as is
            page = self.stories.setdefault(item.source, StoryKeys()).key(page, item.fingerprint, bands)
        # an all-template text is "" to learn from, one empty paragraph, as when it was split itself
        new = template.learn(page, text, article.page_blocks, {normal for _, normal in kept} if kept else {""})
        if new:
            add_blocks(self.db, item.source, new, learned_at=at or now_iso(), run_id=self.run_id)
            logger.info("%s: %d template blocks learned, e.g. %r", item.source, len(new), min(new))
        template.held.append(Held(item, raw, lines, digest if len(kept) == len(lines) else None, bands))
        due = []
        while len(template.held) > self.hold:
            due.append(template.held.popleft())
        return due, new

    def prepare(self, item: ArticleItem, min_chars: int,
                lines: list[tuple[str, str]] | None = None) -> tuple[Article | None, frozenset[str]]:
        """The article as stored, None if only template is left; and the lines it is compared without.

        Template blocks are stripped; recurring DOM blocks at its text's edges are cut; a text
        with too little of its own left (see the module's docstring) is None. `lines`: the
        block_lines of the article's text, when known (Held.lines).
        """
        blocks = self.blocks(item.source)
        article = apply_blocks(item.article, blocks, min_chars, lines)
        template = self.sources.get(item.source)
        if article is None or template is None:
            return article, blocks
        article, cut = cut_template(article, template.learner, min_chars)
        return article, blocks | cut

    def drain(self) -> list[Held]:
        """Every article still held: the spider is closing."""
        due: list[Held] = []
        for template in self.sources.values():
            due.extend(template.held)
            template.held.clear()
        return due

    def save(self, at: str) -> None:
        """Persist the counts of every source learned from in this run."""
        for source, template in self.sources.items():
            save_learner_state(self.db, source, template.learner.to_json(), pages=len(template.learner.pages),
                               updated_at=at)

    def _template(self, source: str) -> SourceTemplate:
        template = self.sources.get(source)
        if template is None:
            state = load_learner_state(self.db, source)
            learner = TemplateLearner.from_json(state) if state else TemplateLearner()
            # the settings of this run decide, not those the counts were saved under
            learner.min_pages, learner.min_pages_per_paragraph = self.min_pages, self.min_block_pages
            learner.page_blocks.cap = max(learner.page_blocks.cap, self.min_block_pages)
            template = self.sources[source] = SourceTemplate(learner, self.persisted.get(source, frozenset()))
        return template
