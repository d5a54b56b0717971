"""Publication dates as German (and English or Spanish) sites print or declare them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import compress, count
from zoneinfo import ZoneInfo

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
    # French (border towns, partner pages): "8 août 2017"
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
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
    r"(?:[T ](?P<clock>[0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)\s*(?P<zone>Z|[+-][01]\d:?[0-5]\d)?)?"
    # day first, as Europe writes slashes: "08/08/2017"
    r"|(?<![\d/])(?P<sd>[0-3]?\d)/(?P<sm>[01]?\d)/(?P<sy>(?:19|20)\d\d)(?![\d/])"
    r"|(?<![\d.])(?P<nd>[0-3]?\d)\.\s?(?P<nm>[01]?\d)\.\s?(?P<ny>(?:19|20)\d\d|\d\d)(?![\d]|\.\d)"
    rf"|(?<![\d.])(?P<td>[0-3]?\d)\.?\s+(?:de\s+)?(?P<tm>{_MONTH})\.?\s+(?:de\s+)?(?P<ty>(?:19|20)\d\d)(?!\d)"
    rf"|\b(?P<em>{_MONTH})\.?\s+(?P<ed>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<ey>(?:19|20)\d\d)(?!\d)",
    re.IGNORECASE,
)
# A part of every _DATE match, from a digit on (an ISO date's from its year's third digit,
# the others' from the day's last digit). _DATE opens with lookbehinds, so the regex engine tries it
# at every position (~0.2 µs a character); this one it tries only at digits. Keep both in step.
_DATE_CORE = re.compile(
    r"\d(?:\d-[01]\d-[0-3]\d"
    r"|/[01]?\d/(?:19|20)\d\d"
    r"|\.\s?[01]?\d\.\s?\d\d"
    rf"|\.?\s+(?:de\s+)?(?:{_MONTH})\.?\s+(?:de\s+)?(?:19|20)\d\d"
    r"|(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d)",
    re.IGNORECASE,
)
_ANY_DIGIT = re.compile(r"\d")
# a label that names the date as the publication's: "Veröffentlicht am", "Datum:", "Meldung vom"
LABEL = (
    r"(?:Datum|Veröffentlicht|Erschienen|Erstellt|Erscheinungsdatum|Erstveröffentlichung"
    r"|Publiziert|Published|Posted|Publié|Publicado|Pressemitteilung|Pressemeldung|Meldung"
    r"|Nachricht|Sendung|Artikel)(?:\s+(?:am|vom|on|le|el))?"
)
# what may stand before a date for a line to count as a dateline: a city, a label, a noun with
# "vom"/"am" ("Sendung vom"), a weekday; not a sentence ("In seinem Beitrag vom 5. Januar 2015")
_DATELINE_LEAD = re.compile(
    r"^(?:[^|·•–,]{0,40}[|·•–]\s*)?(?:[A-ZÄÖÜ][\w./ -]{0,40},\s*)?"
    rf"(?:(?:{LABEL}|[A-ZÄÖÜ]\w+\s+(?:vom|von|am))\b:?\s*)?(?:{_WEEKDAY})?[(\[]?$",
    re.IGNORECASE,
)
# a short line may hold a date after other words, unless a preposition makes it a sentence's
_SENTENCE_DATE = re.compile(
    r"\b(?:am|vom|von|seit|bis|ab|zum|zur|bei|nach|den|dem|im|ist|war|on|since|until|by)\s*"
    rf"(?:{_WEEKDAY})?$",
    re.IGNORECASE,
)
# edit notes, update labels and a forum's clock ("Aktuelle Zeit", the page's generation time):
# the date they carry is no publication date
_NOT_PUBLICATION = re.compile(
    r"\b(?:Stand|aktualisiert|geändert|updated?|modified|Ergänzung|Nachtrag|Korrektur"
    r"|Aktualisierung|zuletzt|Aktuelle Zeit|Current time|Letzter Besuch|Last visit)\b",
    re.IGNORECASE,
)
# the UTF-8 bytes a decimal digit (\d: any script's) can start with: ASCII's, and the lead bytes of
# U+0600-07FF, U+0800-1FFF, U+A000-AFFF, U+F000-FFFF and of all beyond (Arabic, Indic, Thai,
# fullwidth digits...); tests/test_dates.py checks them against every digit this Python knows
DIGIT_BYTES = b"0123456789" + bytes(range(0xD8, 0xE2)) + b"\xea\xef" + bytes(range(0xF0, 0xF5))
_NOT_DIGIT_BYTES = bytes(b for b in range(1, 256) if b not in DIGIT_BYTES)  # keeps NUL, a separator
MIN_YEAR = 1990
BERLIN = ZoneInfo("Europe/Berlin")
SHORT_LINE = 100


def has_date(text: str) -> bool:
    """Whether a date of any shape stands in `text` (valid or not): `_DATE.search`, faster."""
    return _DATE_CORE.search(text) is not None and _DATE.search(text) is not None


def with_digits(texts: list[str]) -> list[int]:
    """Indices of the texts that hold a digit, as \\d sees one (and of a few more in other scripts).

    All texts in one pass in C: a regular expression reads a text at ~20 ns a character, and a
    page's text nodes with a digit are a few of hundreds.
    """
    digits = "\0".join(texts).encode("utf-8", "surrogatepass").translate(None, _NOT_DIGIT_BYTES)
    found = digits.split(b"\0")
    if len(found) != len(texts):  # a text held a NUL itself (lxml's never do)
        return [index for index, text in enumerate(texts) if _ANY_DIGIT.search(text)]
    return list(compress(count(), found))


def parse_date(text: str) -> tuple[str, str] | None:
    """The first date in `text` as (raw match, ISO "YYYY-MM-DD"), or None."""
    if _DATE_CORE.search(text) is None:
        return None
    for match in _DATE.finditer(text):
        iso = _to_iso(match)
        if iso:
            return match.group(0), iso
    return None


def _to_iso(m: re.Match[str]) -> str | None:
    if m.group("iy"):
        if m.group("zone"):
            return _local_day(m)
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    elif m.group("sy"):
        y, mo, d = int(m.group("sy")), int(m.group("sm")), int(m.group("sd"))
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
    if found.year < MIN_YEAR or found > date.today() + timedelta(days=1):  # noqa: DTZ011 (a day's slack covers any zone)
        return None  # a publication date is never later than the fetch
    return found.isoformat()


def _local_day(m: re.Match[str]) -> str | None:
    """The day in Europe/Berlin of a timestamp with a zone: 2021-11-04T23:00Z is 5 November.

    A page's own offset (+01:00) already is local time; UTC ("Z", "+00:00") is what CMSs store
    and is converted, since the partner sites are German.
    """
    zone = m.group("zone").replace("Z", "+00:00")
    zone = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    stamp = f"{m.group('iy')}-{m.group('im')}-{m.group('id')}T{m.group('clock')}{zone}"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.utcoffset() == timedelta(0):
        moment = moment.astimezone(BERLIN)
    found = moment.date()
    if found.year < MIN_YEAR or found > date.today() + timedelta(days=1):  # noqa: DTZ011 (a day's slack covers any zone)
        return None
    return found.isoformat()


def find_dateline(lines: list[str]) -> tuple[str, str] | None:
    """A date that opens a line ("Bonn, 24. Februar 2024.") or stands in a short line."""
    for line in lines:
        if _DATE_CORE.search(line) is None:
            continue
        match = next((m for m in _DATE.finditer(line) if _to_iso(m)), None)
        if match is None or _NOT_PUBLICATION.search(line[: match.start()]):
            continue
        lead = line[: match.start()]
        if _DATELINE_LEAD.match(lead) or (
            len(line) <= SHORT_LINE and not _SENTENCE_DATE.search(lead)
        ):
            return match.group(0), _to_iso(match) or ""
    return None
