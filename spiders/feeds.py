"""Feeds (RSS, Atom) and sitemaps as lists of links: pure parsing, no Scrapy.

A feed or sitemap that is malformed or lists nothing raises FeedError: the caller reports it
as an error of the source, never as a quiet night (reliability.md finding 18: lxml refuses an
entity bomb by returning nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.gz import gunzip  # bounded gunzip: a .xml.gz bomb stops at max_size

# Feeds and sitemaps never need entity declarations; refusing them outright stops
# billion-laughs and external-entity (XXE) documents before any parser sees them.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class FeedError(ValueError):
    """A feed or sitemap that cannot be used; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One link of a feed or sitemap, with its date when the document gives one (ISO 8601)."""

    url: str
    modified: str | None = None


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """The item links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, newest first as listed."""
    root = _parse_xml(body)
    entries = []
    for item in root.iter(_tag("item"), _tag("entry")):
        url = _item_link(item)
        if url:
            entries.append(Entry(urljoin(base_url, url), _item_date(item)))
    if not entries:
        raise FeedError(f"no items with links in <{etree.QName(root).localname}>")
    return entries


def parse_sitemap(body: bytes, base_url: str, max_size: int = 0) -> tuple[list[Entry], list[Entry]]:
    """(page URLs, child sitemaps) of a sitemap or sitemap index, each with its `lastmod`."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, ValueError) as error:  # truncated, corrupt or over max_size
            raise FeedError(f"bad gzip: {error}") from error
    root = _parse_xml(body)
    pages: list[Entry] = []
    children: list[Entry] = []
    for node in root.iter(_tag("url"), _tag("sitemap")):
        loc = _child_text(node, "loc")
        if not loc:
            continue
        entry = Entry(urljoin(base_url, loc), _child_text(node, "lastmod"))
        (children if etree.QName(node).localname == "sitemap" else pages).append(entry)
    if not pages and not children:
        raise FeedError(f"no <loc> entries in <{etree.QName(root).localname}>")
    return pages, children


def is_newer(entry: Entry, since: str | None) -> bool:
    """True unless both dates are known and the entry's is before `since` (ISO, compared by day)."""
    if not since or not entry.modified:
        return True
    return entry.modified[:10] >= since[:10]


def _parse_xml(body: bytes) -> etree._Element:
    if _ENTITY_DECLARATION.search(body[:65536]):
        raise FeedError("entity declarations are refused (entity bomb or XXE)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(body.lstrip(), parser)
    except etree.XMLSyntaxError as error:
        raise FeedError(f"malformed XML: {error}") from error
    if root is None:
        raise FeedError("empty document")
    return root


def _tag(local: str) -> str:
    return "{*}" + local  # any namespace or none: RSS has none, Atom, RDF and sitemaps have one


def _child_text(node: etree._Element, local: str) -> str | None:
    child = node.find(_tag(local))
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def _item_link(item: etree._Element) -> str | None:
    for link in item.iterfind(_tag("link")):
        href = link.get("href")
        if href and link.get("rel", "alternate") == "alternate":
            return href.strip()  # Atom
        if link.text and link.text.strip():
            return link.text.strip()  # RSS
    guid = item.find(_tag("guid"))
    if guid is not None and guid.get("isPermaLink", "true") == "true" and guid.text:
        return guid.text.strip()
    return None


def _item_date(item: etree._Element) -> str | None:
    for local in ("updated", "published", "date"):
        value = _child_text(item, local)
        if value:
            return value
    value = _child_text(item, "pubDate")
    if value:
        try:
            return parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError):
            return None
    return None
