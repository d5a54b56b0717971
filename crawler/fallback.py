"""Whether trafilatura's fast pass found the article, or its fallback comparison should run."""

from __future__ import annotations

import re
from collections import Counter

from lxml.html import HtmlElement

from crawler.dom_text import text_content
from crawler.xpath import elements_xpath, number_xpath

# trafilatura's fallback comparison (readability, jusText) costs about one more extraction; it
# rescues texts that are short, a menu or listing (mostly short or teaser lines, link text), or a
# small part of the page's <article>/<main> block. Length alone fixed as many pages as it broke:
# 8.7 k characters of menu passed it, so did 2.5 k of a 7 k article (hence a coverage of 0.4).
# Chosen on 4 folds of shared/extraction-bench, scored on the 5th (bench/extraction.py --tune):
# equal F1 on every fold, ties go to the fewer fallbacks (each costs a second extraction).
FALLBACK_BELOW_CHARS = 1000
FALLBACK_SHORT_LINES = 0.6  # share of lines under SHORT_LINE_CHARS or ending like a teaser
FALLBACK_LINK_SHARE = 0.25
FALLBACK_COVERAGE = 0.4  # of the text of the page's largest <article>/<main> block
SHORT_LINE_CHARS = 40

# the outermost only: a block inside another has no more text than it (an <article> in a <main>)
_MAIN_BLOCKS = elements_xpath(
    "(//article|//main|//*[@role='main'])[not(ancestor::article or ancestor::main or ancestor::*[@role='main'])]"
)
# counted in C: a fifth of the cost of text_content() and a split in Python
_TEXT_LENGTH = number_xpath("string-length(normalize-space())")
# a teaser's cut-off sentence or its link: "… mehr", "Weiterlesen", "Read more »"
_TEASER_END = re.compile(r"(…|\.\.\.|\bmehr|weiterlesen|read more|more)\W{0,3}$", re.IGNORECASE)


def needs_fallback(tree: HtmlElement, text: str, links: Counter[str] | None = None) -> bool:
    """Whether the fast pass's text looks wrong enough to pay for the fallback comparison.

    `links` are the tree's page_links, when already read.
    """
    if len(text) < FALLBACK_BELOW_CHARS:
        return True
    main_chars = max((_TEXT_LENGTH(block) for block in _MAIN_BLOCKS(tree)), default=0)
    if len(text) < FALLBACK_COVERAGE * main_chars:
        return True
    # short lines that make up the page's main block are the article's own (a recipe, a list)
    is_main_block = 0.9 * main_chars <= len(text) <= 1.1 * main_chars
    lines = text.split("\n")  # one line per paragraph, heading or list item
    # the regex sees a line's end only: searched over whole paragraphs it cost a tenth of a pass
    weak = sum(
        len(line) < SHORT_LINE_CHARS or bool(_TEASER_END.search(line[-16:])) for line in lines
    )
    if weak > FALLBACK_SHORT_LINES * len(lines) and not is_main_block:
        return True
    return link_share(tree, text, links) > FALLBACK_LINK_SHARE


def link_share(tree: HtmlElement, text: str, links: Counter[str] | None = None) -> float:
    """Share of the text's characters that are link texts of the page (listings, menus).

    `links` are the tree's page_links, when already read: an extraction asks twice of one tree.
    """
    flat = squash(text)
    anchors = page_links(tree) if links is None else links
    linked = sum(len(a) * min(n, flat.count(a)) for a, n in anchors.items() if len(a) > 2)
    return min(1.0, linked / len(flat)) if flat else 1.0


def page_links(tree: HtmlElement) -> Counter[str]:
    """Each link text of the page, whitespace squashed, and how many links carry it."""
    return Counter(squash(text_content(a)) for a in tree.iter("a"))


def squash(value: str) -> str:
    """Whitespace collapsed to single spaces: cheap, for comparing texts within one page."""
    # an extracted text's words are already apart by one space or newline: then the newlines are
    # all there is to replace (a tenth of the cost of splitting its words); isprintable() is False
    # for every whitespace character but the space
    flat = value.replace("\n", " ")
    if flat.isprintable() and "  " not in flat and flat[:1] != " " and flat[-1:] != " ":
        return flat
    return " ".join(value.split())
