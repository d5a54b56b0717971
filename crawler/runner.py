"""Running crawls as subprocesses: the Twisted reactor cannot be restarted in one process."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def crawl_command(spider: str, args: Mapping[str, str] | None = None, **settings: Any) -> list[str]:
    """The `python -m scrapy crawl SPIDER -a … -s …` command line; settings given as keywords."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        command += ["-s", f"{name}={value}"]
    return command


def crawl_env() -> dict[str, str]:
    """Environment for a crawl subprocess: our settings module, whatever the working directory."""
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
