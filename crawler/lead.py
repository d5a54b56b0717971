"""A lead paragraph that a CMS keeps in a block of its own, right before the article's body.

Liferay puts a lead in its own portlet, TYPO3 in a content element outside the news column,
Drupal in a field of its own: trafilatura takes the body block and drops the lead, so an edit of
the lead never makes a new version. The rule is structural, not keyed to any CMS's class names:
the nearest block with text before the body's first paragraph (at any wrapper level, but outside
the body's <article>) is joined in front when it reads like a paragraph (sentences, few links, no
heading, no list).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from crawler.fallback import squash

LEAD_MIN_CHARS = 80  # a subtitle or a dateline is shorter or has no full stop
LEAD_MAX_CHARS = 1000
LEAD_MAX_PARAGRAPHS = 3
LEAD_MAX_LINK_SHARE = 0.2
# wrapper levels from the body's first paragraph up to the block shared with the lead: Liferay
# nests portlet > portlet-content > journal-content-article > article > div > p
LEAD_MAX_LEVELS = 8
_SECTION_END = frozenset({"body", "main", "html"})
_NOT_LEAD_TAGS = frozenset(
    {"nav", "aside", "footer", "header", "form", "ul", "ol", "li", "table", "dl", "figure", "h1",
     "h2", "h3", "h4", "h5", "h6", "button", "select", "address", "blockquote"}
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"figure", "picture", "img", "br", "hr", "video", "audio"})
_NOT_LEAD_WORDS = re.compile(
    r"nav|menu|breadcrumb|teaser|related|sidebar|comment|share|social|meta|date|author|byline"
    r"|caption|promo|banner|cookie|footer|header|subtitle|tags",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:“”\"»«]\s*$")  # not ")": a caption's photo credit


def join_lead(tree: HtmlElement, lines: list[str]) -> list[str]:
    """The extracted lines with the lead block found before the first one, if any."""
    if not lines:
        return lines
    anchor = _paragraph_of(tree, lines[0])
    if anchor is None:
        return lines
    block = _block_before(anchor)
    if block is None:
        return lines
    lead = _lead_lines(block) or _lead_lines(_last_text_block(block))
    squeezed = squash(" ".join(lines))
    if not lead or any(line in squeezed for line in lead):
        return lines
    return [*lead, *lines]


def _paragraph_of(tree: HtmlElement, line: str) -> HtmlElement | None:
    start = squash(line)[:80]
    for paragraph in tree.iter("p"):
        text = squash(paragraph.text_content())
        if text and text.startswith(start):
            return paragraph
    return None


def _block_before(anchor: HtmlElement) -> HtmlElement | None:
    """The nearest element with text before `anchor` within its section, at any wrapper level."""
    node = anchor
    for _ in range(LEAD_MAX_LEVELS):
        parent = node.getparent()
        if parent is None or node.tag in _SECTION_END or parent.tag in _SECTION_END:
            return None
        if (parent.text or "").strip():
            return None  # loose text before the body: not a block of its own
        for sibling in node.itersiblings(preceding=True):
            if not isinstance(sibling.tag, str) or sibling.tag in _SKIPPED_TAGS:
                continue
            if (sibling.tail or "").strip():
                return None
            if squash(sibling.text_content()):
                # inside the body's own <article>, trafilatura already judged the block and
                # dropped it (an abstract, a caption, a notice): only units outside count
                is_inside = any(a.tag == "article" for a in sibling.iterancestors())
                return None if is_inside else sibling
        node = parent
    return None


def _last_text_block(block: HtmlElement) -> HtmlElement:
    """The innermost last block with text: a lead content element after the title's one (TYPO3)."""
    for _ in range(LEAD_MAX_LEVELS):
        children = [c for c in block if isinstance(c.tag, str) and squash(c.text_content())]
        if not children or (block.text or "").strip() or (children[-1].tail or "").strip():
            return block
        block = children[-1]
    return block


def _lead_lines(block: HtmlElement) -> list[str]:
    """The block's paragraphs if it reads as a lead: sentences, few links, no heading or list."""
    for node in block.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag in _NOT_LEAD_TAGS or _NOT_LEAD_WORDS.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            return []
    text = squash(block.text_content())
    if not LEAD_MIN_CHARS <= len(text) <= LEAD_MAX_CHARS or not _SENTENCE_END.search(text):
        return []
    if text.endswith(("...", "…")):
        return []  # a teaser cut off mid-sentence
    paragraphs = list(block.iter("p")) or [block]  # a CMS field may hold its text bare
    lines = [line for line in (squash(p.text_content()) for p in paragraphs) if line]
    if not lines or len(lines) > LEAD_MAX_PARAGRAPHS or sum(map(len, lines)) < 0.9 * len(text):
        return []
    linked = sum(len(squash(a.text_content())) for a in block.iter("a"))
    return lines if linked <= LEAD_MAX_LINK_SHARE * len(text) else []
