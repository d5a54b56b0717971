"""Volatile lines: a page's clock and counters are not an edit of its article.

Many CMSs print, inside the article, a line that changes on every request: "Aktualisiert am
03.12.2026 14:02:11 – Besucher heute: 4711", "Last updated 3 hours ago · 1,234 views". Hashed
as they are, such texts differ every night and each crawl would store a new `changed` version.

A line's *skeleton* is the line with its volatile tokens replaced by `#` (a run of them, with
punctuation or a joining word such as "um" or "at" between, by one `#`): dates in the common
numeric, ISO and spelled-out forms (German, English, French, Spanish month names), times of
day, weekdays, relative times ("vor 3 Stunden", "3 hours ago", "gestern"), numbers and counters
(4711, 1.234, 12,5 %), and hex, UUID and session-like tokens. Two lines with equal skeletons
differ only in volatile tokens.

The trade-off: a number can matter. So only a line that may be page furniture can be volatile
(`may_be_volatile`): a short one (at most `SHORT_LINE_WORDS` words), or a longer one made
largely of values (at least `VALUE_SHARE` of its words). A figure edited in a prose paragraph
("… stellt insgesamt 5.000 Euro bereit …" → "50.000 Euro" in a sentence of 30 words) stays a
change. Money amounts (a number with a currency sign or word) are never volatile, whatever the
line. What this gives up: a short line whose only edit is a date or a number ("Termin:
12.03.2026" → "19.03.2026", "Die Stadt pflanzt 500 Bäume." → "5.000 Bäume.") is not a change
of its article; it is stored with the next real edit.

Everything here is pure: texts in, skeletons and line pairs out.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from dataclasses import dataclass

SHORT_LINE_WORDS = 25  # longer lines are prose, unless made largely of values
VALUE_SHARE = 1 / 3  # least share of a longer line's words that are volatile tokens
HOLE = "\x00"  # a volatile token while the skeleton is built
SKELETON_HOLE = "#"


def _alternatives(*names: str) -> str:
    return "|".join(names)


_NUM = r"\d+(?:[.,'\u00a0\u202f]\d{3})*(?:[.,]\d+)?"
_MONTHS_CAPITAL = _alternatives(
    "Januar", "Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember", "January", "February", "March", "May", "June", "July",
    "October", "December", "Jan", "Feb", "Mär", "Mrz", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept",
    "Sep", "Okt", "Oct", "Nov", "Dez", "Dec",
)
_MONTHS_ROMANCE = _alternatives(
    "janvier", "février", "mars", "avril", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre",
)
_WEEKDAYS = _alternatives(
    "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonnabend", "Sonntag",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun",
)
_UNITS_DE = r"Sekunden?|Sek\.|Minuten?|Min\.|Stunden?|Std\.|Tag(?:en)?|Wochen?|Monat(?:en)?|Jahr(?:en)?"
_UNITS_EN = r"seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|[smhdw]"
_UNITS_FR = r"secondes?|minutes?|heures?|jours?|semaines?|mois|ans?"
_ZONE = r"(?:\s?(?:UTC|GMT|MEZ|MESZ|CET|CEST|[+-]\d{2}:?\d{2}|Z))?"
_CURRENCY = r"€|\$|£|¥|\b(?:EUR|USD|GBP|CHF)\b"
_CURRENCY_WORD = r"€|\$|£|EUR|USD|GBP|CHF|Euros?|Dollars?|Franken|Pfund|pounds?|Cents?|ct"
_SCALE = r"(?:\s?(?:Mio|Mrd|Tsd|Millionen|Milliarden|Tausend|million|billion|thousand|bn|k)\.?)?"

# Alternatives are tried in order at each position: longer forms (a date-time, a relative time,
# an amount of money) before the numbers they start with. `money` is kept, all others are holes.
_TOKEN = re.compile(
    "|".join([
        r"(?P<money>(?:" + _CURRENCY + r")\s?" + _NUM + _SCALE + r"|(?<![\w.,])" + _NUM + _SCALE
        + r"\s?(?:" + _CURRENCY_WORD + r")(?!\w))",
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?" + _ZONE + r")?(?!\w)",
        r"(?<![\w.])\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![\w])",
        r"(?<![\w.])\d{1,2}\.\d{1,2}\.(?!\d)",  # 03.12. (a German date without its year)
        r"(?<![\w.:])\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:Uhr|h|[AaPp]\.?[Mm]\.?))?" + _ZONE + r"(?![\w:])",
        r"(?<![\w.])\d{1,2}(?:[.h]\d{2})?\s?(?:Uhr|[AaPp]\.?[Mm]\.?)(?!\w)",  # 14.02 Uhr, 14h02 Uhr, 2 pm
        r"(?<![\w.])\d{1,2}h\d{2}(?!\w)",  # 14h02
        r"\b(?:vor|seit|in)\s+(?:\d+|einer?|einem|wenigen|ein paar|etwa \d+|über \d+)\s+"
        r"(?:" + _UNITS_DE + r")(?!\w)",
        r"(?:\b(?:an?|one|a few|few|several)|(?<![\w.,])\d+)\s?(?:" + _UNITS_EN + r")\s+ago\b",
        r"\bil y a\s+(?:\d+|une?|quelques)\s+(?:" + _UNITS_FR + r")(?!\w)",
        # hashes, hex ids, session tokens; the look-aheads are bounded, so a long run stays linear
        r"(?<![\w-])(?=[a-fA-F]{0,128}\d)(?=\d{0,128}[a-fA-F])[0-9a-fA-F]{8,128}(?![\w-])",
        r"(?<![\w-])(?=[A-Za-z_-]{0,128}\d)(?=[\d_-]{0,128}[A-Za-z])[A-Za-z0-9_-]{12,128}(?![\w-])",
        r"(?<![\w])[+-]?" + _NUM + r"(?:\s?%|‰|st|nd|rd|th|[kKM])?(?!\w)",
        r"\b(?:" + _MONTHS_CAPITAL + r"|" + _WEEKDAYS + r")\b\.?",
        r"(?i:\b(?:" + _MONTHS_ROMANCE + r")\b)",
        r"\b(?:Mo|Di|Mi|Do|Fr|Sa|So)(?=[.,])",  # weekday abbreviations only as such: "Do., 3.12."
        (r"(?i:\b(?:vorgestern|gestern|heute|übermorgen|morgen|yesterday|today|tomorrow|just now"
         r"|gerade eben|soeben|aujourd'hui|avant-hier|ayer|hoy)\b)"),
    ])
)
# a run of holes with only punctuation, spaces or a joining word between them is one value
# ("3. Dez. 2026, 14:02", "03.12.2026 um 14:02", "Dec 3 at 2 PM", "3 de diciembre de 2026")
_GLUE = r"(?:[\s,.;:/|·•–—()\[\]+-]|\b(?:um|am|at|on|the|of|à|le|de|del|a las)\b)*"
_RUN = re.compile(HOLE + r"(?:" + _GLUE + HOLE + r")*")


def mask(line: str) -> str:
    """`line`, whitespace folded, with each volatile token replaced by HOLE."""
    return _TOKEN.sub(lambda m: m.group(0) if m.lastgroup == "money" else HOLE, " ".join(line.split()))


@functools.lru_cache(maxsize=1024)  # a judgement asks for each differing line's skeleton several times
def skeleton(line: str) -> str:
    """The line with its volatile values as `#`: equal skeletons differ only in such values."""
    return _RUN.sub(SKELETON_HOLE, mask(line))


def skeleton_hash(line: str) -> str:
    return hashlib.sha256(skeleton(line).encode("utf-8")).hexdigest()[:16]


def may_be_volatile(line: str) -> bool:
    """Has values, and is short or made largely of them: a line that may be page furniture."""
    words = mask(line).split()
    holes = sum(HOLE in word for word in words)
    labels = sum(HOLE not in word and any(c.isalnum() for c in word) for word in words)
    return holes > 0 and (len(words) <= SHORT_LINE_WORDS or holes >= VALUE_SHARE * (holes + labels))


@dataclass(frozen=True)
class LineBlock:
    """Lines of the old text replaced by lines of the new one (a line-level diff's hunk)."""

    old: tuple[str, ...]
    new: tuple[str, ...]


def changed_blocks(old: str, new: str) -> list[LineBlock]:
    """The line-level differences between two texts (whitespace folded, blank lines ignored)."""
    old_lines, new_lines = _lines(old), _lines(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [LineBlock(tuple(old_lines[i1:i2]), tuple(new_lines[j1:j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def drop_lines(text: str, skeletons: frozenset[str]) -> str:
    """`text` without the lines whose skeleton hash is in `skeletons`."""
    if not skeletons:
        return text
    return "\n".join(line for line in text.split("\n") if skeleton_hash(line) not in skeletons)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
