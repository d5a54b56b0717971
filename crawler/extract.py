"""Extract one article from the bytes of an HTML page: pure, picklable in and out."""

from __future__ import annotations

import codecs
import logging
import math
import re
import unicodedata
from collections import Counter
from copy import copy, deepcopy
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urljoin

from charset_normalizer import from_bytes
from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    document_fromstring,
)
from trafilatura import bare_extraction
from trafilatura.metadata import examine_meta, extract_meta_json
from trafilatura.settings import Document, Extractor, use_config

from crawler.boilerplate import cut_related, is_boilerplate_line
from crawler.fallback import link_share, needs_fallback, page_links, squash
from crawler.language import detect_language, primary_subtag
from crawler.lead import join_lead
from crawler.page_blocks import page_block_hashes
from crawler.page_date import read_page_dates
from crawler.sniff import NotHtml, sniff_text, utf16_codec
from crawler.xpath import elements_xpath, number_xpath

logger = logging.getLogger(__name__)

# libxml2 stops at depth 256 and silently drops the rest of the page: such a tree is truncated
MAX_DOM_DEPTH = 250
# trafilatura needs ~0.1 ms per element (200k paragraphs: 15 s); real pages stay under ~10k
MAX_DOM_ELEMENTS = 60_000
MAX_LINK_SHARE = 0.8  # a link round-up blog post has 0.75, menus and listings above 0.9
_PARSER = HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False,
    default_doctype=False,  # type: ignore[call-arg]  # lxml has it; lxml-stubs 0.5 lack it
)
# the same for a body that is valid UTF-8: its bytes, parsed as UTF-8 whatever a <meta> declares
_UTF8_PARSER = HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, encoding="utf-8",
    default_doctype=False,  # type: ignore[call-arg]  # as above
)
# one element class, looked up in C: lxml.html's per-tag lookup is a Python call per element
# touched and costs trafilatura ~10 % of its time
for _parser in (_PARSER, _UTF8_PARSER):
    _parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
        )
    )
_TOO_DEEP = etree.XPath("/*" * (MAX_DOM_DEPTH + 1))
_COUNT_ELEMENTS = number_xpath("count(//*)")
# Elements trafilatura removes anyway, but only after copying them 3-4 times: dropping them first
# saves a third of its time on template-heavy pages. JSON-LD stays (trafilatura detects forums
# with it); so does a nav/aside/footer that broken HTML made the parent of the article.
_HIDDEN_TAGS = ("script", "style", "svg", "template", "noscript", "iframe")
_FURNITURE_TAGS = ("nav", "aside", "footer")
# bare_extraction(include_comments=False, include_tables=True, with_metadata=False[, fast=True]) as
# Extractors: built for each call, one reads trafilatura's ConfigParser settings for 0.2 ms
_FAST_PASS = Extractor(output_format="python", fast=True, comments=False, tables=True, with_metadata=False)
_FULL_PASS = Extractor(output_format="python", fast=False, comments=False, tables=True, with_metadata=False)
_NOSCRIPT = elements_xpath("//body//noscript")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# the same characters one by one: 32 finds in C take half the time of one search by _CONTROL_CHARS
_CONTROL_CHAR_LIST = tuple(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE, 0xFFFF]))
# and in UTF-8: its bytes hold them exactly where the text does
_CONTROL_BYTES = tuple(char.encode("utf-8") for char in _CONTROL_CHAR_LIST)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_INVISIBLE_CHARS = ("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")  # six finds: a third of a search
MIN_CHUNK_CHARS = 200
# a page that dates its text as an article does is one with a quarter of CRAWLER_EXTRACT_MIN_CHARS
# (a short notice, a two-line release), given a sentence's worth of words: no date, no exception
DATED_SHARE = 0.25
DATED_MIN_WORDS = 8
TRAFILATURA_MIN_EXTRACTED = use_config().getint("DEFAULT", "MIN_EXTRACTED_SIZE")  # 250
CHUNK_MAX_LEVELS = 3

_OUTSIDE_TAGS = frozenset({"nav", "aside", "footer", "header", "form", "li"})
_OUTSIDE_WORDS = re.compile(r"comment|sidebar|related|teaser|footer|promo", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"\s+[-|–—:·»]{1,2}\s+")
# WHATWG: labels for Latin-1 and ASCII mean windows-1252
_WHATWG_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252"}
# a windows-1252 decoding of Western European text has few high characters outside this set;
# soft hyphens (U+00AD) and no-break spaces come in thousands on some CMS pages
_NOT_WESTERN = re.compile(
    "[^\x00-\x7f\xa0\xadäöüÄÖÜßéèêëáàâçñíìîïóòôúùûÉÈÀÇ€„“”‚‘’–—…«»°§©®·´×÷½¼¾±µ¿¡ªº¹²³£¥¢•™†‰]"
)


@dataclass(frozen=True)
class Article:
    url: str
    canonical_url: str | None
    title: str | None
    text: str
    published_raw: str | None
    published_at: str | None
    author: str | None
    site_name: str | None
    language: str
    language_probability: float
    declared_language: str | None
    # hashes of the whole page's text blocks (crawler.page_blocks), for site-template learning
    page_blocks: frozenset[int] = field(default=frozenset(), compare=False, repr=False)
    # the page dates it as its own (label, structured data, dateline, <time>): a short text still counts
    dated: bool = field(default=False, compare=False)


def shortest_text(min_chars: int, dated: bool) -> int:
    """The fewest characters an article's text may have (also after template lines are cut)."""
    return math.ceil(min_chars * DATED_SHARE) if dated else min_chars


def extract_article(
    body: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    min_chars: int = 200,
    boilerplate: frozenset[str] = frozenset(),
    with_page_blocks: bool = False,
) -> Article | None:
    """The article of a page, or None if it has none (empty, navigation, too short, deep DOM).

    Raises NotHtml when the decoded text is mostly characters no page has: bytes that are no text.
    """
    html, is_utf8 = _decode_html(body, content_type)
    if (kind := sniff_text(html)) is not None:
        raise NotHtml(kind)
    tree = parse_html(html, body if is_utf8 else None)
    if tree is None:
        return None
    if is_oversized(tree):
        logger.debug("DOM too deep or too large, no extraction: %s", url)
        return None
    meta = read_metadata(tree)
    title = find_title(tree, meta.title, meta.sitename, url)
    canonical_url = find_canonical_url(tree, url)
    page_dates = read_page_dates(tree)
    declared = primary_subtag(
        tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    # before navigation, sidebars and footers are dropped: they are what a site template is made of
    page_blocks = page_block_hashes(tree) if with_page_blocks else frozenset()
    # a page that renders its article by script may carry it in <noscript>: kept aside (rare, so
    # the copy costs nothing on most pages) for when the rest of the page has no article
    fallback = deepcopy(tree) if _has_noscript_text(tree, min_chars) else None
    for invisible in invisible_elements(tree):
        invisible.drop_tree()
    links = page_links(tree)  # extraction leaves the tree as it is: read once, asked twice
    text = extract_text(tree, url, boilerplate, title, links)
    is_article = len(text) >= min_chars and link_share(tree, text, links) <= MAX_LINK_SHARE
    if not is_article and fallback is not None:
        for noscript in _NOSCRIPT(fallback):
            noscript.drop_tag()  # its content joins the page where it stands
        for invisible in invisible_elements(fallback):
            invisible.drop_tree()
        tree, text = fallback, extract_text(fallback, url, boilerplate, title)
        links = page_links(tree)
        is_article = len(text) >= min_chars and link_share(tree, text, links) <= MAX_LINK_SHARE
    dated = False
    if not is_article:
        if page_dates.own(text) is None:
            return None
        floor = shortest_text(min_chars, True)
        if len(text) < TRAFILATURA_MIN_EXTRACTED:
            # a short notice the page dates as its own: trafilatura swaps a text under its
            # MIN_EXTRACTED_SIZE for the whole page's (menu and footer), so extract it with a lower one
            text = extract_text(tree, url, boilerplate, title, links, min_size=min(floor, TRAFILATURA_MIN_EXTRACTED))
        if len(text) < floor or len(text.split()) < DATED_MIN_WORDS or link_share(tree, text, links) > MAX_LINK_SHARE:
            return None
        dated = True
    language, probability = detect_language(text, declared)
    published = page_dates.choose(text)
    author = meta.author if meta.author and " " in meta.author.strip() else None
    return Article(
        url=cast(str, url),  # None only where tests extract a page without one; the pipelines pass it
        canonical_url=canonical_url,
        title=title,
        text=text,
        published_raw=published[0] if published else None,
        published_at=published[1] if published else None,
        author=_clean_field(author),
        site_name=_clean_field(meta.sitename),
        language=language,
        language_probability=probability,
        declared_language=declared,
        page_blocks=page_blocks,
        dated=dated,
    )


def _has_noscript_text(tree: HtmlElement, min_chars: int) -> bool:
    """A <noscript> in the body holds `min_chars` of text: _NOSCRIPT's elements, found by tag in C
    (at once on a page without one, where the XPath took 1 % of an extraction)."""
    return any(len(noscript.text_content()) >= min_chars for noscript in tree.iter("noscript")
               if next(noscript.iterancestors("body"), None) is not None)


def invisible_elements(tree: HtmlElement) -> list[HtmlElement]:
    """Scripts (not JSON-LD), styles, SVG, templates, noscript, iframes, the head's elements but its
    title and scripts, and a nav, aside or footer holding no h1, article or main; in page order.

    Three times faster than the XPath union it replaces: one walk, tags matched in C.
    """
    found: dict[HtmlElement, None] = {}
    for elem in tree.iter(*_HIDDEN_TAGS, *_FURNITURE_TAGS, "head"):
        if elem.tag != "head":
            if _is_invisible(elem):
                found[elem] = None
            continue
        for node in elem.iter():  # the head's elements come next in page order: taken now
            is_head_child = node.getparent() is elem and node.tag not in ("title", "script")
            if isinstance(node.tag, str) and (is_head_child or _is_invisible(node)):
                found[node] = None
    return list(found)


def _is_invisible(elem: HtmlElement) -> bool:
    if elem.tag in _FURNITURE_TAGS:
        return next(elem.iter("h1", "article", "main"), None) is None
    if elem.tag == "script":
        return elem.get("type") != "application/ld+json"
    return elem.tag in _HIDDEN_TAGS


def read_metadata(tree: HtmlElement) -> Document:
    """Title, author and site name from meta tags, then JSON-LD."""
    meta = examine_meta(tree)
    try:
        return extract_meta_json(tree, meta)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError):
        # trafilatura's JSON-LD reader assumes objects: `[1, 2]` or `"text"` make it raise
        logger.debug("unusable JSON-LD metadata")
        return meta


def extract_text(
    tree: HtmlElement,
    url: str | None = None,
    boilerplate: frozenset[str] = frozenset(),
    title: str | None = None,
    links: Counter[str] | None = None,
    min_size: int | None = None,
) -> str:
    """Main text of a parsed page without its title line and boilerplate lines, normalised.

    `links` are the tree's crawler.fallback.page_links, when already read. `min_size`:
    trafilatura's MIN_EXTRACTED_SIZE, below which it takes the whole page instead.
    """
    document = bare_extraction(tree, options=_options_for(_FAST_PASS, url, min_size))
    if not isinstance(document, Document) or needs_fallback(tree, document.text or "", links):
        document = bare_extraction(tree, options=_options_for(_FULL_PASS, url, min_size))
    if not isinstance(document, Document) or not document.text:
        return ""
    lines = add_sibling_chunks(tree, normalize_text(document.text).split("\n"))
    if title and lines[0].casefold() == title.casefold():
        lines = lines[1:]
    lines = join_lead(tree, lines)
    lines = [line for line in lines if line not in boilerplate and not is_boilerplate_line(line)]
    return "\n".join(cut_related(lines))


def _options_for(template: Extractor, url: str | None, min_size: int | None = None) -> Extractor:
    """The template's copy for one page, with its URL as Extractor(url=url) sets it."""
    options = copy(template)  # trafilatura copies an Extractor it changes: the template stays as is
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    if min_size is not None:
        options.min_extracted_size = min_size
    return options


def add_sibling_chunks(tree: HtmlElement, lines: list[str]) -> list[str]:
    """Add the paragraphs of containers built like the extracted one, next to it in the page.

    Article bodies split by ads or widgets into several `<div class="body">` chunks lose every
    chunk but the first in trafilatura. Blog indexes and teaser lists are told apart by their
    differing wrappers (`post-5979`, `post-5980`) or list items.
    """
    containers: dict[tuple[str, str], set[HtmlElement]] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is not None and parent.get("class"):
            containers.setdefault((parent.tag, parent.get("class", "")), set()).add(parent)
    if all(len(twins) < 2 for twins in containers.values()):
        return lines
    squeezed = _without_spaces("".join(lines))
    found: dict[tuple[str, str], set[HtmlElement]] = {}
    paragraphs = []
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        text = squash(" ".join(paragraph.itertext()))
        if parent is None or not parent.get("class") or not text:
            continue
        key = (parent.tag, parent.get("class", ""))
        is_found = _without_spaces(text)[:80] in squeezed
        if is_found:
            found.setdefault(key, set()).add(parent)
        paragraphs.append((parent, key, text, is_found))
    chunks: dict[HtmlElement, list[str]] = {}
    for parent, key, text, is_found in paragraphs:
        if not is_found and key in found and parent not in found[key]:
            chunks.setdefault(parent, []).append(text)
    chunks = {
        chunk: texts
        for chunk, texts in chunks.items()
        if sum(map(len, texts)) >= MIN_CHUNK_CHARS
        and not _is_outside_article(chunk)
        and any(_is_twin(chunk, other) for other in found[(chunk.tag, chunk.get("class", ""))])
    }
    if not chunks:
        return lines
    added = {text for parent, _, text, _ in paragraphs if parent in chunks}
    return _merge_in_page_order(lines, paragraphs, added)


def _without_spaces(text: str) -> str:
    """re.sub(r"\\s+", "", text) at a tenth of its cost: split() parts at the same characters."""
    return "".join(text.split())


def _is_outside_article(elem: HtmlElement) -> bool:
    for node in (elem, *elem.iterancestors()):
        if node.tag in _OUTSIDE_TAGS or _OUTSIDE_WORDS.search(
            f"{node.get('class')} {node.get('id')}"
        ):
            return True
    return False


def _is_twin(chunk: HtmlElement, other: HtmlElement) -> bool:
    """Both hang, through wrappers of the same tag and class, from one near ancestor."""
    for _ in range(CHUNK_MAX_LEVELS):
        chunk, other = chunk.getparent(), other.getparent()
        if chunk is None or other is None:
            return False
        if chunk is other:
            return True
        if (chunk.tag, chunk.get("class")) != (other.tag, other.get("class")):
            return False
    return False


def _merge_in_page_order(lines: list[str], paragraphs: list, added: set[str]) -> list[str]:
    """Insert each added paragraph after the extracted line of the paragraph before it."""
    position = {line: i for i, line in enumerate(lines)}
    inserts: dict[int, list[str]] = {}
    anchor = -1
    for _, _, text, is_found in paragraphs:
        if is_found and text in position:
            anchor = position[text]
        elif text in added and anchor >= 0:
            inserts.setdefault(anchor, []).append(normalize_text(text))
    merged = []
    for i, line in enumerate(lines):
        merged.append(line)
        merged.extend(inserts.get(i, ()))
    return merged


def normalize_text(text: str) -> str:
    """NFC, invisible characters and soft hyphens removed, spaces collapsed, empty lines dropped."""
    if any(char in text for char in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # str.split() splits at every Unicode space, NBSP and thin space included; a line trafilatura
    # collapsed already (most) is left as it is: printable, it holds no space but " "
    lines = (line if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " "
             else " ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Text of an HTML body: BOM, then valid UTF-8, then declared charset, then detection."""
    return _decode_html(body, content_type)[0]


def _decode_html(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """decode_html, and whether the text is the body read as UTF-8 (no BOM, nothing replaced)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), False
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(body[:4096])
    declared = [_codec(header.group(1)) if header else None]
    declared.append(_codec(meta.group(1).decode("ascii", "replace")) if meta else None)
    if utf16 := utf16_codec(body):  # without a BOM, declared or not
        return body.decode(utf16, errors="replace"), False
    if any(c and c.startswith("utf_16") for c in declared) and b"\x00" in body[:256]:
        return body.decode("utf-16-le" if body[1:2] == b"\x00" else "utf-16-be", errors="replace"), False
    try:
        # valid UTF-8 beats any declaration: Latin-1 text almost never forms valid UTF-8 (C4)
        return body.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    for label in declared:
        if label and label != "utf_8" and not label.startswith("utf_16"):
            try:
                return body.decode(label), False
            except UnicodeDecodeError:
                continue
    as_utf8 = body.decode("utf-8", errors="replace")
    if as_utf8.count("\ufffd") * 20 < _count_non_ascii(as_utf8):  # UTF-8 with a few stray bytes
        return as_utf8, False
    as_cp1252 = body.decode("cp1252", errors="replace")
    if len(_NOT_WESTERN.findall(as_cp1252)) <= 0.1 * _count_non_ascii(as_cp1252):
        return as_cp1252, False
    best = from_bytes(body).best()
    return (str(best) if best is not None else as_cp1252), False


def _count_non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip().lower()).name.replace("-", "_")
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def parse_html(html: str, utf8: bytes | None = None) -> HtmlElement | None:
    """An lxml tree of the page, or None for an empty or unparseable one.

    `utf8`: the bytes `html` is the UTF-8 reading of. Parsed as they are, when nothing is to be
    removed from them, libxml2 reads them without converting Python's text back to UTF-8 (an
    eighth of the parse), and finding control characters in bytes costs a fifth of it in text.
    """
    if utf8 is not None and not _XML_DECLARATION.match(html) and not any(map(utf8.__contains__, _CONTROL_BYTES)):
        return _parsed(utf8, _UTF8_PARSER) if html.strip() else None
    html = _XML_DECLARATION.sub("", html, count=1)
    if any(char in html for char in _CONTROL_CHAR_LIST):
        html = _CONTROL_CHARS.sub("", html)
    return _parsed(html, _PARSER) if html.strip() else None


def _parsed(html: str | bytes, parser: HTMLParser) -> HtmlElement | None:
    try:
        tree = document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return tree if isinstance(tree, HtmlElement) else None


def is_oversized(tree: HtmlElement) -> bool:
    """Deeper than MAX_DOM_DEPTH or more than MAX_DOM_ELEMENTS elements."""
    return bool(_TOO_DEEP(tree)) or _COUNT_ELEMENTS(tree) > MAX_DOM_ELEMENTS


def find_canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    link = tree.find(".//link[@rel='canonical'][@href]")
    if link is None or not link.get("href", "").strip():
        return None
    base = tree.find(".//base[@href]")
    base_url = urljoin(url or "", base.get("href", "").strip()) if base is not None else url
    return urljoin(base_url or "", link.get("href", "").strip())


def find_title(
    tree: HtmlElement, meta_title: str | None, site_name: str | None, url: str | None
) -> str | None:
    """The single <h1> if the page title confirms it, else og:title/<title> minus a site suffix."""
    h1s = [t for t in (_clean_field(h.text_content()) for h in tree.iter("h1")) if t]
    title_elem = tree.find(".//title")
    page_title = _clean_field(title_elem.text_content()) if title_elem is not None else None
    declared = _clean_field(meta_title) or page_title
    if len(h1s) == 1 and (not declared or h1s[0].casefold() in declared.casefold()):
        return h1s[0]
    if declared:
        return strip_site_suffix(declared, site_name, url)
    return h1s[0] if h1s else None


def strip_site_suffix(title: str, site_name: str | None, url: str | None) -> str:
    """Cut a trailing or leading part naming the site: "Aktuelles - Engagement Global"."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    host = re.sub(r"\W", "", url.split("/")[2].lower()) if url and url.count("/") >= 2 else ""
    names = {re.sub(r"\W", "", site_name.lower())} if site_name else set()
    for edge, rest in ((parts[-1], parts[:-1]), (parts[0], parts[1:])):
        key = re.sub(r"\W", "", edge.lower())
        if key and (key in names or key in host):
            return " - ".join(rest) if len(rest) > 1 else rest[0]
    return title


def _clean_field(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = normalize_text(value).replace("\n", " ")
    return cleaned or None
