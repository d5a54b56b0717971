"""A page's DOM text blocks as 64-bit hashes, and the distinct pages of a source each recurs on.

Text learning (crawler.boilerplate.TemplateLearner) sees only what extraction kept: a sidebar
that the extractor cuts from every article never reaches it. But on a page with no article
(a contact page holding only its heading and the sidebar) the extractor returns that sidebar
as the page's text. Counting the blocks of every page's DOM, sidebar, footer and navigation
included, tells such a text apart: its lines recur on many pages of the source.

A block is the text of a paragraph-level element (p, li, headings, table cells and rows, dd,
dt, address, a div of inline elements, a div's own text beside its blocks), each piece of it
between <br>s and, in a short one, each of its inline parts (the extractor puts a div's
"<b>Phone:</b> +44 …" on two lines). Its key folds case and drops all spacing, "|" and the
marks at its ends, so the extractor's rendering of the same block (a list mark, cells joined
by " | ", other spaces, invisible characters) has the DOM's key.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from base64 import b64decode, b64encode
from collections.abc import Iterable
from dataclasses import dataclass

import xxhash
from lxml.html import HtmlElement

from crawler.dom_text import text_content

BLOCK_TAGS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "dd", "dt",
                        "address", "blockquote", "figcaption", "caption", "pre"})
# a block when they hold no block element; else only their own text beside those blocks counts
TEXT_CONTAINERS = frozenset({"div", "section", "aside", "footer", "header", "article", "main", "nav",
                             "center"})
_LAYOUT_TAGS = TEXT_CONTAINERS | {"ul", "ol", "dl", "table", "tbody", "form", "figure"}
MAX_SPLIT_CHARS = 300  # a longer block is a paragraph: its inline parts are never lines of their own
MIN_KEY_CHARS = 4  # shorter ("Mo", "|") says nothing about a template
MAX_BLOCK_CHARS = 600  # longer: a layout container, or an article paragraph (the text learner's limit too)
# an extracted text whose own words are fewer than this share of its words is the template's
MIN_OWN_SHARE = 0.05
# list marks, separators and quotes the extractor may add or drop at a line's ends
_EDGE_MARKS = "-•·*|–—:;,.!?()[]\"'„“”‚‘’«»›‹>"
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")  # as crawler.extract drops them
_STRUCTURE_TAGS = BLOCK_TAGS | _LAYOUT_TAGS
# a key is the text without spaces and "|", stripped of _EDGE_MARKS; stripping the text of those
# marks and spaces first, then deleting its inner spaces and "|" gives the same key, unsplit
_ASCII_SPACE = "".join(char for char in map(chr, range(128)) if char.isspace())
_EDGE_OR_ASCII_SPACE = _EDGE_MARKS + _ASCII_SPACE
_ASCII_SPACE_OR_BAR = (_ASCII_SPACE + "|").encode("ascii")
_EDGE_OR_SPACE = _EDGE_MARKS + " "
# short texts of a worker's recent pages and their block_hash, forgotten all at once past this
# many (at most ~4 MB): menus, addresses and footers recur, article paragraphs are longer
MAX_KNOWN_TEXTS = 20_000
MAX_KNOWN_CHARS = 150
_KNOWN_HASHES: dict[str, int | None] = {}



def block_hash(text: str) -> int | None:
    """The key of one block or extracted line: case and spacing folded, edge marks cut, hashed."""
    if len(text) < MIN_KEY_CHARS:
        return None
    folded = text.casefold()
    if folded.isascii():
        # the key as below, in bytes: split() and join() made a third of the cost of every block
        key_bytes = folded.strip(_EDGE_OR_ASCII_SPACE).encode("ascii").translate(None, _ASCII_SPACE_OR_BAR)
        return xxhash.xxh64_intdigest(key_bytes) if len(key_bytes) >= MIN_KEY_CHARS else None
    if folded.isprintable():  # no invisible character, no space but " " (every other one is unprintable)
        key_bytes = folded.strip(_EDGE_OR_SPACE).encode("utf-8").translate(None, b" |")
        key = key_bytes.decode("utf-8")
        if unicodedata.is_normalized("NFC", key):
            return xxhash.xxh64_intdigest(key_bytes) if len(key) >= MIN_KEY_CHARS else None
    # a table row comes out as "| cell | cell |"
    key = "".join(folded.split()).replace("|", "").strip(_EDGE_MARKS)
    if not key.isascii():
        if _INVISIBLE.search(key):
            key = _INVISIBLE.sub("", key)
        if not unicodedata.is_normalized("NFC", key):
            key = unicodedata.normalize("NFC", key)
    return xxhash.xxh64_intdigest(key.encode("utf-8")) if len(key) >= MIN_KEY_CHARS else None


def page_block_hashes(tree: HtmlElement) -> frozenset[int]:
    """The hashes of every text block of a parsed page (before any element is dropped)."""
    with_br = {anc for br in tree.iter("br") for anc in br.iterancestors()}
    texts: set[str] = set()
    for elem in tree.iter(*BLOCK_TAGS, *TEXT_CONTAINERS):  # matched in C: no proxy for other elements
        if not len(elem):  # no child, no <br>: its text is all of it (a third of text_content's cost)
            if len(text := elem.text or "") <= MAX_BLOCK_CHARS:
                texts.add(text)
            continue
        if elem.tag in TEXT_CONTAINERS and _holds_blocks(elem):
            if _has_own_text(elem):
                texts.update(_runs_between_blocks(elem))
            continue
        text = text_content(elem)
        if len(text) > MAX_BLOCK_CHARS:
            continue
        texts.add(text)
        if elem in with_br:
            texts.update(_split_at_br(elem))
        if len(text) <= MAX_SPLIT_CHARS:
            # inline elements: the extractor may put each on a line of its own ("Phone:" | "+44 …")
            texts.add(elem.text or "")
            for child in elem:
                texts.add(text_content(child) if len(child) else child.text or "")
                texts.add(child.tail or "")
    return frozenset(_hashes_of(texts))


def _hashes_of(texts: set[str]) -> set[int]:
    """block_hash of each text; a short one's remembered: a site's template blocks recur on every page."""
    known, found = _KNOWN_HASHES, set()
    if len(known) > MAX_KNOWN_TEXTS:
        known.clear()
    for text in texts:
        if len(text) > MAX_KNOWN_CHARS:
            key = block_hash(text) if len(text) <= MAX_BLOCK_CHARS else None
        elif (key := known.get(text, 0)) == 0:
            key = known[text] = block_hash(text)
        if key is not None:
            found.add(key)
    return found


def _holds_blocks(elem: HtmlElement) -> bool:
    for child in elem:  # noqa: SIM110 (with any() and a generator both took page_block_hashes 8 % longer)
        if child.tag in _STRUCTURE_TAGS:
            return True
    return False


def _has_own_text(elem: HtmlElement) -> bool:
    if (text := elem.text) and not text.isspace():
        return True
    for child in elem:  # noqa: SIM110 (as in _holds_blocks)
        if (tail := child.tail) and not tail.isspace():
            return True
    return False


def _runs_between_blocks(elem: HtmlElement) -> list[str]:
    """A container's own text in the runs its block children separate: text beside a list or box."""
    runs = [elem.text or ""]
    for child in elem:
        if child.tag in BLOCK_TAGS or child.tag in _LAYOUT_TAGS or child.tag == "br":
            runs.append("")
        else:
            runs[-1] += text_content(child)
        runs[-1] += child.tail or ""
    return runs


def _split_at_br(elem: HtmlElement) -> list[str]:
    """The element's text in the pieces its <br>s separate (an address, office hours)."""
    pieces = [[elem.text or ""]]

    def walk(node: HtmlElement) -> None:
        for child in node:
            if child.tag == "br":
                pieces.append([])
            else:
                pieces[-1].append(child.text or "")
                walk(child)
            pieces[-1].append(child.tail or "")

    walk(elem)
    return ["".join(piece) for piece in pieces]


@dataclass(frozen=True)
class OwnText:
    """How much of an extracted text is the page's own, and the template lines around it."""

    own_chars: int
    own_words: int
    words: int
    text: str  # without the template lines that open or close it
    cut: frozenset[str]  # those lines

    def is_template_only(self, min_chars: int) -> bool:
        return self.own_chars < min_chars or self.own_words < MIN_OWN_SHARE * self.words


def text_units(line: str) -> list[str]:
    """The parts of an extracted line that may each be a block: a table row's cells, else the line.

    A layout table comes out as one line, "| left column | content |": its sidebar is a cell.
    """
    if len(line) > 3 and line.startswith("| ") and line.endswith(" |"):
        return [cell.strip() for cell in line[2:-2].split(" | ")]
    return [line]


def measure_own_text(text: str, recurring: frozenset[int]) -> OwnText:
    """Split `text` into lines (table cells) that are recurring template blocks and the page's own.

    Only template lines before the first or after the last own line are cut: a sidebar the
    extractor took along sits at an edge, while a sidebar sentence an article quotes sits inside it.
    """
    lines = text.split("\n")
    own_parts: list[list[str]] = []
    for line in lines:
        units = [] if block_hash(line) in recurring else text_units(line)
        own_parts.append([unit for unit in units if block_hash(unit) not in recurring])
    own = [unit for parts in own_parts for unit in parts]
    is_template = [not parts for parts in own_parts]
    first = is_template.index(False) if own else len(lines)
    last = len(lines) - is_template[::-1].index(False) if own else len(lines)
    return OwnText(own_chars=sum(map(len, own)), own_words=sum(len(unit.split()) for unit in own),
                   words=len(text.split()), text="\n".join(lines[first:last]),
                   cut=frozenset(" ".join(line.split()) for line in lines[:first] + lines[last:]))


class PageBlockCounter:
    """For each block hash of a source, the distinct pages it was seen on, up to `cap` of them.

    A page is an int id (of the learner's page identity), so a mirror copy or a re-fetch of
    one article never counts its own paragraphs twice. Memory stays bounded: past
    `max_entries` hashes, those seen on one page only are forgotten (a template block recurs
    on most pages and is soon above that).
    """

    def __init__(self, cap: int = 3, max_entries: int = 40_000) -> None:
        self.cap = cap
        self.max_entries = max_entries
        self.seen_on: dict[int, tuple[int, ...]] = {}

    def add_page(self, page: int, hashes: Iterable[int]) -> None:
        seen_on, cap = self.seen_on, self.cap
        for block in hashes:
            pages = seen_on.get(block)
            if pages is None:
                seen_on[block] = (page,)
            elif len(pages) < cap and page not in pages:
                seen_on[block] = (*pages, page)
        if len(seen_on) > self.max_entries:
            self._forget()

    def recurring(self, hashes: Iterable[int | None], min_pages: int) -> frozenset[int]:
        """Those of `hashes` seen on at least `min_pages` distinct pages."""
        seen_on = self.seen_on
        return frozenset(h for h in hashes if h is not None and len(seen_on.get(h, ())) >= min_pages)

    def _forget(self) -> None:
        kept = {h: pages for h, pages in self.seen_on.items() if len(pages) > 1}
        if len(kept) > self.max_entries // 2:  # mostly pairs: keep only the blocks already known
            kept = {h: pages for h, pages in kept.items() if len(pages) >= self.cap}
        self.seen_on = kept

    def to_state(self) -> dict[str, object]:
        """A JSON-able form: the hashes, how many pages each, and the pages, packed."""
        hashes, sizes, pages = array("Q"), array("B"), array("Q")
        for block, seen in self.seen_on.items():
            hashes.append(block)
            sizes.append(len(seen))
            pages.extend(seen)
        return {"cap": self.cap, "max_entries": self.max_entries, "hashes": _pack(hashes),
                "sizes": _pack(sizes), "pages": _pack(pages)}

    @classmethod
    def from_state(cls, state: dict) -> PageBlockCounter:
        counter = cls(state["cap"], state["max_entries"])
        hashes, sizes, pages = _unpack("Q", state["hashes"]), _unpack("B", state["sizes"]), _unpack("Q", state["pages"])
        at = 0
        for block, size in zip(hashes, sizes, strict=True):
            counter.seen_on[block] = tuple(pages[at : at + size])
            at += size
        return counter


def _pack(values: array) -> str:
    if values.itemsize > 1 and array("H", [1]).tobytes()[0] != 1:
        values.byteswap()  # stored little-endian whatever the machine
    return b64encode(values.tobytes()).decode("ascii")


def _unpack(kind: str, packed: str) -> array:
    values = array(kind, b64decode(packed))
    if values.itemsize > 1 and array("H", [1]).tobytes()[0] != 1:
        values.byteswap()
    return values
