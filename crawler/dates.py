"""Publication dates as German (and English or Spanish) sites print or declare them."""

from __future__ import annotations

import re
from datetime import date

from lxml.html import HtmlElement

_MONTHS = {
    "januar": 1, "jänner": 1, "january": 1, "jan": 1,
    "februar": 2, "february": 2, "feb": 2,
    "märz": 3, "maerz": 3, "march": 3, "mär": 3, "mrz": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "december": 12, "dez": 12, "dec": 12,
    # Spanish: the partner municipalities' pages ("24 de febrero de 2024")
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = (
    r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag"
    r"|Mo|Di|Mi|Do|Fr|Sa|So|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.?,?\s*"
)
# one alternation, so the leftmost date in a string wins whatever its shape
_DATE = re.compile(
    r"(?<![\d.])(?P<iy>(?:19|20)\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)(?!\d)"
    r"|(?<![\d.])(?P<nd>[0-3]?\d)\.\s?(?P<nm>[01]?\d)\.\s?(?P<ny>(?:19|20)\d\d|\d\d)(?![\d]|\.\d)"
    rf"|(?<![\d.])(?P<td>[0-3]?\d)\.?\s+(?:de\s+)?(?P<tm>{_MONTH})\.?\s+(?:de\s+)?(?P<ty>(?:19|20)\d\d)(?!\d)"
    rf"|\b(?P<em>{_MONTH})\.?\s+(?P<ed>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<ey>(?:19|20)\d\d)(?!\d)",
    re.IGNORECASE,
)
# what may stand before a date for a line to count as a dateline
_DATELINE_LEAD = re.compile(
    r"^(?:[\w .:|/-]{0,40}?\b(?:vom|von|am|Datum|Veröffentlicht|Erschienen|Erstellt"
    r"|Published|Posted"
    r"|Pressemitteilung|Pressemeldung|Meldung)\b:?\s*|[A-ZÄÖÜ][\w./ -]{0,40},\s*)?"
    rf"(?:{_WEEKDAY})?$",
    re.IGNORECASE,
)
_NOT_PUBLICATION = re.compile(
    r"\b(?:Stand|aktualisiert|geändert|updated|modified)\b", re.IGNORECASE
)
_META_NAMES = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "dcterms.date", "dcterms.created", "dcterms.issued", "dc.date", "dc.date.issued",
    "dc.date.created", "date", "pubdate", "publishdate", "publish-date", "publication_date",
    "sailthru.date", "parsely-pub-date", "datepublished", "cxenseparse:recs:publishtime",
)  # fmt: skip
_META_RANK = {name: rank for rank, name in enumerate(_META_NAMES)}
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_PAGE_FURNITURE = frozenset({"nav", "footer", "aside"})
MIN_YEAR = 1990
SHORT_LINE = 100


def parse_date(text: str) -> tuple[str, str] | None:
    """The first date in `text` as (raw match, ISO "YYYY-MM-DD"), or None."""
    for match in _DATE.finditer(text):
        iso = _to_iso(match)
        if iso:
            return match.group(0), iso
    return None


def _to_iso(m: re.Match[str]) -> str | None:
    if m.group("iy"):
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    elif m.group("ny"):
        y, mo, d = int(m.group("ny")), int(m.group("nm")), int(m.group("nd"))
        if y < 100:  # "16.04.20" (Berliner Woche): a two-digit year is this century
            y += 2000
    elif m.group("ty"):
        y, mo, d = int(m.group("ty")), _MONTHS[m.group("tm").lower()], int(m.group("td"))
    else:
        y, mo, d = int(m.group("ey")), _MONTHS[m.group("em").lower()], int(m.group("ed"))
    try:
        found = date(y, mo, d)
    except ValueError:
        return None
    if found.year < MIN_YEAR or found.year > date.today().year + 1:
        return None
    return found.isoformat()


def find_dateline(lines: list[str]) -> tuple[str, str] | None:
    """A date that opens a line ("Bonn, 24. Februar 2024.") or stands in a short line."""
    for line in lines:
        match = next((m for m in _DATE.finditer(line) if _to_iso(m)), None)
        if match is None or _NOT_PUBLICATION.search(line[: match.start()]):
            continue
        if len(line) <= SHORT_LINE or _DATELINE_LEAD.match(line[: match.start()]):
            return match.group(0), _to_iso(match) or ""
    return None


def _is_page_furniture(elem: HtmlElement) -> bool:
    """Inside nav, footer or aside, or inside a <header> that no article or main encloses."""
    tags = [a.tag for a in elem.iterancestors()]
    if _PAGE_FURNITURE.intersection(tags):
        return True
    return "header" in tags and not {"article", "main"}.intersection(tags[tags.index("header") :])


def find_declared_date(tree: HtmlElement) -> tuple[str, str] | None:
    """A publication date declared in meta tags, JSON-LD or <time datetime>."""
    best: tuple[int, str, str] | None = None
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        rank = _META_RANK.get(key.strip())
        content = (meta.get("content") or "").strip()
        if rank is None or not content or (best and best[0] <= rank):
            continue
        parsed = parse_date(content)
        if parsed:
            best = (rank, content, parsed[1])
    if best:
        return best[1], best[2]
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        match = _JSONLD_DATE.search(script.text or "")
        parsed = parse_date(match.group(1)) if match else None
        if match and parsed:
            return match.group(1), parsed[1]
    for elem in tree.iter("time"):
        if _is_page_furniture(elem):
            continue  # a site header or footer shows today's date or the last update
        for value in (elem.get("datetime"), elem.text_content()):
            parsed = value and parse_date(value.strip())
            if parsed:
                return value.strip(), parsed[1]
    return None
