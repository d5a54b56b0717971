"""Real-world page templates for the press benchmark site, made from the extraction-bench dev split.

A real page keeps its own head, menus, sidebars, footers and scripts; only its article goes: the
element whose own paragraphs hold the most text loses its text blocks, and placeholders take their
place (title, date, body), so a generated release is poured in with `str.replace`. The page's
identity is rewritten too (canonical link, og:url, JSON-LD, date metadata, `rel="next"`), or every
page made from one template would claim the original's URL and date.

A template is kept only when trafilatura, the yardstick of bench/throughput.py, reads back the
poured-in text and little else (`qualify`): pages whose article sits in several sibling blocks, or
whose boilerplate outweighs a short release, would measure a different site than intended.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import trafilatura
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
EXTRACTION_BENCH = REPO.parent / "shared" / "extraction-bench"
TITLE, DATE, BODY, PATH = "@@PW-TITLE@@", "@@PW-DATE@@", "@@PW-BODY@@", "@@PW-PATH@@"
TEXT_BLOCKS = {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "table", "pre", "dl"}
DATE_META = re.compile(r"date|time|published|modified|created|issued", re.IGNORECASE)
MIN_RECALL, MIN_PRECISION = 0.9, 0.8  # of the poured-in words, in trafilatura's output


@dataclass(frozen=True)
class Template:
    name: str  # the dev page it was made from
    html: str  # with TITLE, DATE, BODY and PATH placeholders

    def fill(self, path: str, title: str, published: str, body_html: str) -> str:
        return (self.html.replace(PATH, path).replace(TITLE, title).replace(DATE, published)
                .replace(BODY, body_html))


def dev_pages(language: str, bench: Path = EXTRACTION_BENCH) -> Iterator[tuple[str, bytes]]:
    """(name, raw HTML) of the dev split's pages labelled `language`, in a stable order."""
    split = json.loads((bench / "split.json").read_text())
    labels = json.loads((bench / "languages.json").read_text())["labels"]
    for dataset in ("scrapinghub", "trafilatura"):
        for name in sorted(split[dataset]["dev"]):
            if labels[dataset].get(name) != language:
                continue
            path = bench / "data" / dataset / name
            raw = path.read_bytes()
            yield f"{dataset}/{name}", gzip.decompress(raw) if name.endswith(".gz") else raw


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        declared = re.search(rb"charset=[\"']?([\w-]+)", raw[:4000])
        try:
            return raw.decode(declared.group(1).decode() if declared else "cp1252", errors="replace")
        except LookupError:
            return raw.decode("cp1252", errors="replace")


def make_template(name: str, raw: bytes) -> Template | None:
    """The page with its article replaced by placeholders; None when no article block is found."""
    try:
        root = lxml.html.document_fromstring(decode(raw))
    except (etree.ParserError, ValueError):
        return None
    container = _article_container(root)
    if container is None:
        return None
    _pour_placeholders(root, container)
    _rewrite_identity(root)
    text = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return Template(name, text)


def qualify(template: Template, title: str, paragraphs: list[str]) -> bool:
    """Does trafilatura read back the poured-in release, and little besides?"""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = template.fill("/presse/probe/", title, "2025-01-01", body)
    extracted = trafilatura.extract(page, url="http://127.0.0.1/presse/probe/") or ""
    got, wanted = extracted.split(), " ".join(paragraphs).split()
    if not got:
        return False
    wanted_set, got_set = set(wanted), set(got)
    recall = sum(w in got_set for w in wanted) / len(wanted)
    precision = sum(w in wanted_set for w in got) / len(got)
    return recall >= MIN_RECALL and precision >= MIN_PRECISION


def _article_container(root: etree._Element) -> etree._Element | None:
    """The element whose direct <p> children carry the most text (at least 400 characters)."""
    best, best_chars = None, 400
    for parent in dict.fromkeys(p.getparent() for p in root.iter("p")):  # document order: ties go the same way
        if parent is None:
            continue
        chars = sum(len(p.text_content()) for p in parent if p.tag == "p")
        if chars > best_chars:
            best, best_chars = parent, chars
    return best


def _pour_placeholders(root: etree._Element, container: etree._Element) -> None:
    blocks = [c for c in container if c.tag in TEXT_BLOCKS or (c.tag == "div" and len(c.findall(".//p")) > 0)]
    index = container.index(blocks[0])
    for block in blocks:
        container.remove(block)
    marker = etree.Element("div", {"class": "pw-body"})
    marker.text = BODY
    container.insert(index, marker)
    heading = next(root.iter("h1"), None)
    if heading is None:
        heading = etree.Element("h1")
        container.insert(index, heading)
    for child in list(heading):
        heading.remove(child)
    heading.text = TITLE
    dateline = etree.Element("time", {"datetime": DATE, "class": "pw-date"})
    dateline.text = DATE
    heading.addnext(dateline)


def _rewrite_identity(root: etree._Element) -> None:
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    drop = root.xpath('//link[@rel="canonical" or @rel="next" or @rel="prev" or @rel="shortlink"] | //base'
                      ' | //script[@type="application/ld+json"] | //meta[@charset] | //title'
                      ' | //meta[translate(@http-equiv, "CONTENT-YP", "content-yp")="content-type"]')
    drop += [m for m in root.iter("meta") if DATE_META.search(m.get("property", "") + m.get("name", "")
                                                            + m.get("itemprop", ""))]
    drop += [m for m in root.iter("meta") if m.get("property", "") in ("og:url", "og:title")]
    for element in drop:
        if element.getparent() is not None:
            element.getparent().remove(element)
    for link in root.xpath('//a[@rel="next" or @rel="prev"]'):
        del link.attrib["rel"]
    for time_element in root.iter("time"):
        if time_element.get("class") != "pw-date":
            time_element.attrib.pop("datetime", None)
    for tag, attributes in reversed([
        ("meta", {"charset": "utf-8"}),
        ("title", None),
        ("link", {"rel": "canonical", "href": PATH}),
        ("meta", {"property": "article:published_time", "content": DATE}),
    ]):
        element = etree.Element(tag, attributes or {})
        if tag == "title":
            element.text = TITLE
        head.insert(0, element)
