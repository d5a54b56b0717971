"""Every CRAWLER_* setting checked when a crawl or a command starts, with the setting named.

A value from the command line arrives as text (`-s CRAWLER_GC_THRESHOLD=[]`); a wrong one used to
surface as a ValueError deep inside a component, or not at all. Each setting is checked against
the type of its default in crawler/settings.py (so a new setting is covered the day it is added)
plus the few ranges below; a CRAWLER_* name that no default declares is a warning naming the
closest known one, since a typo would otherwise leave the default silently in force.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler import settings as defaults
from crawler.setting_values import parse_dict, parse_list

logger = logging.getLogger(__name__)

PREFIX = "CRAWLER_"
KNOWN: dict[str, Any] = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith(PREFIX)}


class InvalidSettings(ValueError):
    """One or more settings cannot be used; the message names each with the reason."""


def _gc_threshold(value: Any) -> None:
    numbers = parse_list(value)
    if numbers and (len(numbers) != 3 or any(int(n) < 0 for n in numbers) or int(numbers[0]) <= 0):
        raise ValueError("needs three whole numbers, the first above 0, or [] for Python's own")


def _clock_time(value: Any) -> None:
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?", str(value)):
        raise ValueError(f"is not a time of day HH:MM: {value!r}")


def _time_zone(value: Any) -> None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"is not a time zone name: {value!r}") from None


def _iso_date(value: Any) -> None:
    if value not in (None, ""):
        date.fromisoformat(str(value)[:10])


def _share(value: Any) -> None:
    if not 0 <= float(value) <= 1:
        raise ValueError(f"must be between 0 and 1, not {value!r}")


# checks beyond the default's type
EXTRA: dict[str, Callable[[Any], None]] = {
    "CRAWLER_GC_THRESHOLD": _gc_threshold,
    "CRAWLER_SCHEDULE_TIME": _clock_time,
    "CRAWLER_SCHEDULE_TIMEZONE": _time_zone,
    "CRAWLER_DISCOVERY_SINCE": _iso_date,
    "CRAWLER_DEDUP_JACCARD": _share,
    "CRAWLER_SHRINK_QUARANTINE_RATIO": _share,
}


def _check_type(settings: BaseSettings, name: str, default: Any) -> None:
    """Raise ValueError when the setting cannot be read as its default's type (or is negative)."""
    if isinstance(default, bool):
        settings.getbool(name)
    elif isinstance(default, int):
        if settings.getint(name) < 0:
            raise ValueError("must not be negative")
    elif isinstance(default, float):
        if settings.getfloat(name) < 0:
            raise ValueError("must not be negative")
    elif isinstance(default, (list, tuple)):
        parse_list(settings.get(name))
    elif isinstance(default, dict):
        parse_dict(settings.get(name))


def check_settings(settings: BaseSettings) -> tuple[list[str], list[str]]:
    """(errors, warnings): one line each, naming the setting."""
    errors, warnings = [], []
    for name, default in KNOWN.items():
        value = settings.get(name)
        try:
            _check_type(settings, name, default)
            if name in EXTRA and value is not None:
                EXTRA[name](value)
        except (ValueError, TypeError) as why:
            errors.append(f"{name} = {value!r}: {why}")
    for name in sorted(n for n in settings.attributes if n.startswith(PREFIX) and n not in KNOWN):
        # compared without the shared prefix, which would make every name look alike
        nearest = difflib.get_close_matches(name[len(PREFIX):], [k[len(PREFIX):] for k in KNOWN], n=1)
        hint = f"; did you mean {PREFIX}{nearest[0]}?" if nearest else ""
        warnings.append(f"{name} is not a partnerwatch setting{hint}")
    return errors, warnings


def validate_settings(settings: BaseSettings) -> None:
    """Log every warning; raise InvalidSettings naming every bad setting."""
    errors, warnings = check_settings(settings)
    for warning in warnings:
        logger.warning("%s", warning)
    if errors:
        raise InvalidSettings("; ".join(errors))


class SettingsCheck:
    """The first extension of every crawl: a bad setting stops the crawl before anything starts."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        validate_settings(crawler.settings)
        return cls()
