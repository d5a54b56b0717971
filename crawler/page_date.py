"""Which of a page's dates is the article's own publication date.

A page carries many dates: the article's, its related-article teasers', embedded tweets',
comments', the site header's "today", an update label. The choice, strongest first:

1. a labelled field ("Veröffentlicht am", "Datum:", "Pressemitteilung vom") in a short element;
2. the article's structured date: article:published_time, JSON-LD datePublished,
   itemprop=datePublished (even inside an <aside>);
3. a dateline opening the text, a <time> or a short date element of the article;
4. generic page metadata (<meta name="date">, dcterms.date): a CMS fills it with the last edit,
   so it only decides when the page prints no date;
5. an update label ("Stand: 12.11.2021") when it is the page's only date of its own.

Dates in page furniture and foreign blocks (nav, footer, aside, related posts, teasers,
comments, embedded tweets or Instagram posts) never count, except an explicit datePublished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

from lxml.html import HtmlElement

from crawler.dates import LABEL, find_dateline, has_date, parse_date, with_digits
from crawler.dom_text import text_content
from crawler.xpath import elements_xpath, strings_xpath

_STRUCTURED_META = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datepublished", "dcterms.issued", "dc.date.issued",
)  # fmt: skip
_GENERIC_META = (
    "dcterms.date", "dcterms.created", "dc.date", "dc.date.created", "date", "pubdate",
    "publishdate", "publish-date", "publication_date", "sailthru.date", "parsely-pub-date",
    "cxenseparse:recs:publishtime",
)  # fmt: skip
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_FURNITURE_TAGS = frozenset({"nav", "footer", "aside", "blockquote"})
_FOREIGN_BLOCK = re.compile(
    r"related|teaser|comment|sidebar|widget|recent|tweet|twitter|instagram|embed|social|share"
    r"|newsticker|mega-?menu",
    re.IGNORECASE,
)
_TAXONOMY = re.compile(r"(?:tag|category|categories|post|format|has|single|type)[-_]", re.I)
# every date shape has a four-digit year or "d.d" / "d/d": a cheap test before the full pattern
_MAYBE_DATE = re.compile(r"\d(?:\d\d\d|\.\s?\d|/\d)")
# WordPress marks the update's timestamp "updated"; one marked "published updated" is both
_UPDATED = re.compile(r"^(?!.*publish).*(?:updated|modified|changed)", re.IGNORECASE)
_DATE_MARKS = re.compile(r"date|datum|time|zeit|publish|posted|byline|meta|info", re.IGNORECASE)
_LABELLED = re.compile(rf"^\W{{0,3}}{LABEL}\s*:?\s*", re.IGNORECASE)
_STAND = re.compile(r"^\W{0,3}(?:Stand|Zuletzt aktualisiert|Aktualisiert)(?:\s+am)?\s*:?\s*", re.I)
_DESCENDANT_CLASSES = strings_xpath("descendant::*/@class", smart_strings=False)
# the <h1>s' ancestors, found in C: iter("h1") and iterancestors() were a sixth of read_page_dates
_TITLE_BLOCKS = elements_xpath("descendant-or-self::h1/ancestor::*")
DATELINE_SCAN_LINES = 4
TITLE_BEFORE, TITLE_AFTER = 10, 25  # elements, in document order, around an <h1>
SHORT_ELEMENT = 100
LONG_STRING = 2 * SHORT_ELEMENT  # a text node the date patterns read after its element's start
Found = tuple[str, str]  # (as printed or declared, ISO date)


@dataclass(frozen=True)
class PageDates:
    """The page's date candidates, read before extraction drops head, nav and aside."""

    labelled: Found | None
    structured: Found | None
    time: Found | None
    near_title: Found | None
    element: Found | None
    generic: Found | None
    update: Found | None

    def own(self, text: str) -> Found | None:
        """The date the page prints or declares for this article: a label, structured data, a
        dateline, a <time> or date element of its own. Not generic metadata nor an update label."""
        head = text.split("\n", DATELINE_SCAN_LINES)[:DATELINE_SCAN_LINES]
        return self.labelled or self.structured or find_dateline(head) or self.time or self.near_title or self.element

    def choose(self, text: str) -> Found | None:
        """The publication date, given the extracted text (its first lines may hold a dateline)."""
        return self.own(text) or self.generic or self.update


def read_page_dates(tree: HtmlElement) -> PageDates:
    # a block holding the title is the article's, whatever its class says ("socialSharing")
    title_blocks = frozenset(_TITLE_BLOCKS(tree))
    known: dict[HtmlElement, bool] = {}  # is_foreign of elements seen: a page's dates share ancestors
    short = _short_elements(tree, title_blocks, known)
    return PageDates(
        labelled=_labelled(short, _LABELLED),
        structured=_structured(tree),
        time=_time_element(tree, title_blocks, known),
        near_title=_near_title(short),
        element=_date_element(short),
        generic=_meta(tree, _GENERIC_META),
        update=_labelled(short, _STAND),
    )


def is_foreign(elem: HtmlElement, title_blocks: frozenset[HtmlElement] = frozenset(),
               known: dict[HtmlElement, bool] | None = None) -> bool:
    """Inside page furniture or a block about something else (related, comment, embed).

    `known` holds verdicts found before, for these title_blocks, and takes the new ones.
    """
    path, verdict = [], False
    for node in chain((elem,), elem.iterancestors()):
        if known is not None and node in known:
            verdict = known[node]
            break
        path.append(node)
        own = _own_verdict(node, title_blocks)
        if own is not None:
            verdict = own
            break
    if known is not None:
        known.update(dict.fromkeys(path, verdict))
    return verdict


def _own_verdict(node: HtmlElement, title_blocks: frozenset[HtmlElement]) -> bool | None:
    """True for furniture or a foreign block, False for the body or a title block, else None:
    the element is what its parent is."""
    tag = node.tag
    if tag in ("body", "html") or node in title_blocks:
        return False
    if tag in _FURNITURE_TAGS or (tag == "header" and _is_site_header(node)):
        return True
    classes, ident = node.get("class"), node.get("id")
    if not classes and not ident:
        return None  # most elements: nothing more to read
    # WordPress lists a post's tags and categories as classes: "tag-twitter", "category-social"
    marks = [m for m in f"{classes or ''} {ident or ''}".split() if not _TAXONOMY.match(m)]
    found = _FOREIGN_BLOCK.search(" ".join(marks)) if marks else None
    if found and (found.group(0).lower() != "teaser" or _is_repeated(node)):
        return True
    return None


def _is_repeated(node: HtmlElement) -> bool:
    """One of several siblings alike, a link, a list item or a short block with a link: a teaser of
    another page, not the page's own lead ("l-detail-page__teaser-text")."""
    if any(a.tag in ("a", "li") for a in node.iterancestors()) or node.tag in ("a", "li"):
        return True
    has_link = node.find(".//a") is not None
    return has_link and len(" ".join(text_content(node).split())) <= 2 * SHORT_ELEMENT
    parent = node.getparent()
    twins = parent.findall(node.tag) if parent is not None else []
    return sum(t.get("class") == node.get("class") for t in twins) > 1


def _is_site_header(header: HtmlElement) -> bool:
    return not any(a.tag in ("article", "main") for a in header.iterancestors())


def _short_elements(tree: HtmlElement, title_blocks: frozenset[HtmlElement],
                    known: dict[HtmlElement, bool] | None = None) -> list:
    """(element, its text, position) for elements of the body outside furniture and foreign blocks
    whose first SHORT_ELEMENT characters hold a date, in page order; the text is cut there, and an
    update's hidden timestamp ("<span class=updated>") is left out.

    Only elements whose own text holds a date, and their ancestors up to the first longer than
    SHORT_ELEMENT, are read: text_content() of every element would cost a third of an extraction.
    """
    body = tree.find("body")
    if body is None:
        return []
    nodes = list(body.iter())  # page order: a node's index is its position
    code = set(body.iter("script", "style"))  # their text is no page text; their tail is
    strings = [""] * (2 * len(nodes))  # each node's text, then its tail
    strings[::2] = ["" if node in code else node.text or "" for node in nodes]
    strings[1::2] = [node.tail or "" for node in nodes]
    values: dict[HtmlElement, str] = {}  # the squashed texts read, for the walks up below
    candidates: dict[HtmlElement, None] = {}
    # a date needs a digit, and few of a page's strings hold one: the regular expressions, at
    # ~20 ns a character, read only those
    for index in with_digits(strings):
        if index == 1:
            continue  # the body's tail
        node, string = nodes[index // 2], strings[index]
        owner = node if index % 2 == 0 else node.getparent()  # a tail is its parent's text
        # a long paragraph with a number: whether it holds a date matters only if the start of its
        # element's text does (the walk up stops at a long element); that is cheaper to read
        if len(string) > LONG_STRING:
            value = _squashed_text(owner, values)
            if len(value) > SHORT_ELEMENT and not has_date(value[:SHORT_ELEMENT]):
                continue
        if _MAYBE_DATE.search(string) and has_date(string):
            candidates[owner] = None
    found, seen = [], set()
    for elem in candidates:
        node = elem
        while node is not None and node.tag not in ("body", "html") and node not in seen:
            seen.add(node)
            value = _squashed_text(node, values)
            # a teaser's dates are many: is_foreign, asked of the walk's nodes, is cached for them
            if not is_foreign(node, title_blocks, known) and has_date(value[:SHORT_ELEMENT]):
                found.append((node, value[: SHORT_ELEMENT + 1], nodes.index(node)))
            if len(value) > SHORT_ELEMENT:
                break
            node = node.getparent()
    found.sort(key=lambda item: item[2])
    titles = [nodes.index(h1) for h1 in body.iter("h1")]
    return [(elem, value, index, titles) for elem, value, index in found]


def _squashed_text(elem: HtmlElement, values: dict[HtmlElement, str]) -> str:
    """The element's first SHORT_ELEMENT + 1 characters, whitespace squashed and an update's
    timestamp left out (all that is read of it: more says the element is too long); in `values`."""
    value = values.get(elem)
    if value is None:
        # squashing a long article's text costs more than reading it; 101 words hold 101 characters
        words = _text_without_updates(elem).split(None, SHORT_ELEMENT + 1)[: SHORT_ELEMENT + 1]
        value = values[elem] = " ".join(words)[: SHORT_ELEMENT + 1]
    return value


def _text_without_updates(elem: HtmlElement) -> str:
    if len(elem) == 0:  # no child (most dates): its text is all of it, no class below it to read
        return elem.text or ""
    if not _has_update_marks(_DESCENDANT_CLASSES(elem)):
        return text_content(elem)
    parts = [elem.text or ""]
    for child in elem:
        if isinstance(child.tag, str) and not _UPDATED.search(child.get("class", "")):
            parts.append(_text_without_updates(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _has_update_marks(classes: list[str]) -> bool:
    """Whether one of these classes marks an update; an article's hundreds are read at once."""
    joined = "\n".join(classes)
    # ASCII classes (nearly all) can only match _UPDATED if they hold one of its words, in any case
    if joined.isascii() and not any(word in joined.lower() for word in ("updated", "modified", "changed")):
        return False
    return any(_UPDATED.search(marks) for marks in classes)


def _labelled(short: list, label: re.Pattern[str]) -> Found | None:
    for elem, value, _, _ in short:
        if label is _LABELLED and _UPDATED.search(elem.get("class", "")):
            continue
        lead = label.match(value)
        if lead is None:
            continue
        parsed = parse_date(value[lead.end() :])
        if parsed and value[lead.end() :].find(parsed[0]) <= 25:  # the label's own date
            return parsed
    return None


def _structured(tree: HtmlElement) -> Found | None:
    found = _meta(tree, _STRUCTURED_META[:3])
    if found:
        return found
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        match = _JSONLD_DATE.search(script.text or "")
        parsed = parse_date(match.group(1)) if match else None
        if match and parsed:
            return match.group(1), parsed[1]
    for elem in tree.iterfind(".//*[@itemprop='datePublished']"):
        value = elem.get("datetime") or elem.get("content") or elem.text_content()
        parsed = parse_date(value.strip()) if value else None
        if parsed and not _in_comment_or_embed(elem):
            return value.strip(), parsed[1]
    return _meta(tree, _STRUCTURED_META[3:])


def _in_comment_or_embed(elem: HtmlElement) -> bool:
    return any(
        a.tag == "blockquote" or re.search(r"comment|tweet|instagram", a.get("class", ""), re.I)
        for a in elem.iterancestors()
    )


def _meta(tree: HtmlElement, names: tuple[str, ...]) -> Found | None:
    best: tuple[int, str, str] | None = None
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key.strip() not in names or not content:
            continue
        rank = names.index(key.strip())
        parsed = parse_date(content)
        if parsed and (best is None or rank < best[0]):
            best = (rank, content, parsed[1])
    return (best[1], best[2]) if best else None


def _time_element(tree: HtmlElement, title_blocks: frozenset[HtmlElement],
                  known: dict[HtmlElement, bool]) -> Found | None:
    for elem in tree.iter("time"):
        marks = f"{elem.get('class', '')} {elem.get('itemprop', '')}"
        if is_foreign(elem, title_blocks, known) or _UPDATED.search(marks):
            continue  # a teaser's, a comment's, an embedded post's, the site header's, an update's
        for value in (elem.get("datetime"), elem.text_content()):
            parsed = value and parse_date(value.strip())
            if parsed:
                return value.strip(), parsed[1]
    return None


def _date_element(short: list) -> Found | None:
    """A dateline in a short element whose class or id marks a date ("date", "datum", "meta")."""
    for elem, value, _, _ in short:
        if len(value) > SHORT_ELEMENT:
            continue
        marks = f"{elem.get('class', '')} {elem.get('id', '')} {elem.get('itemprop', '')}"
        if len(marks) > 2 and _DATE_MARKS.search(marks) and not _UPDATED.search(marks):
            found = find_dateline([value])
            if found:
                return found
    return None


def _near_title(short: list) -> Found | None:
    """A dateline in a short element just around the title: the unclassed <small> or <p> a CMS
    prints under (or above) the <h1>, before any teaser further down can come."""
    for elem, value, position, titles in short:
        is_near = any(-TITLE_BEFORE <= position - t <= TITLE_AFTER for t in titles)
        if is_near and len(value) <= SHORT_ELEMENT and elem.tag != "h1" and not _UPDATED.search(
            elem.get("class", "")
        ):
            found = find_dateline([value])
            if found:
                return found
    return None
