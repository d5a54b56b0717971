"""Setting values as Python values: a list or table from settings.py, or text from the command line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def parse_list(value: Any) -> list[Any]:
    """A list setting: a list, JSON text (`[]`, `["a"]`) or comma-separated text."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = json.loads(text)
            if not isinstance(parsed, list):
                raise ValueError("is not a JSON list")
            return parsed
        return [part.strip() for part in text.split(",") if part.strip()]
    raise ValueError(f"is not a list: {value!r}")


def parse_dict(value: Any) -> dict[str, Any]:
    """A table setting: a dict or JSON object text."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        parsed = json.loads(value)
        if isinstance(parsed, dict):
            return parsed
    raise ValueError(f"is not a table or a JSON object: {value!r}")
