"""Date renderings the real sites use (sources.md §8 item 1), all deterministic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
             "Oktober", "November", "Dezember")
WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")


def german_long(d: date) -> str:
    """24. Februar 2024"""
    return f"{d.day}. {MONTHS_DE[d.month - 1]} {d.year}"


def german_weekday_long(d: date) -> str:
    """Mittwoch, 12. März 2025"""
    return f"{WEEKDAYS_DE[d.weekday()]}, {german_long(d)}"


def numeric(d: date) -> str:
    """03.12.2020"""
    return d.strftime("%d.%m.%Y")


def english_long(d: date) -> str:
    """12 March 2024"""
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def spanish_long(d: date) -> str:
    """12 de marzo de 2024"""
    return f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}"


def long_in(lang: str, d: date) -> str:
    return {"de": german_long, "en": english_long, "es": spanish_long}[lang](d)


def _berlin_offset(d: date) -> timezone:
    # Rough CEST window; only the printed offset depends on it, and it never changes between runs.
    return timezone(timedelta(hours=2 if 4 <= d.month <= 10 else 1))


def rfc822(d: date, hour: int = 9) -> str:
    """RSS pubDate, e.g. Fri, 15 May 2026 08:00:00 +0200"""
    return format_datetime(datetime(d.year, d.month, d.day, hour, tzinfo=_berlin_offset(d)))


def http_date(d: date) -> str:
    """Last-Modified value: 10:00 UTC of that day."""
    return format_datetime(datetime(d.year, d.month, d.day, 10, tzinfo=UTC), usegmt=True)


def http_timestamp(d: date) -> float:
    return datetime(d.year, d.month, d.day, 10, tzinfo=UTC).timestamp()
