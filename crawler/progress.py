"""Progress of a crawl job: one live line on a terminal, plain log lines otherwise.

Counts come from the archive (the crawl processes write them), so what is shown is what
was stored.
"""

from __future__ import annotations

import logging
import shutil
import sys
from typing import TextIO

logger = logging.getLogger(__name__)

# shown first, in this order; any other outcome follows by name
_FIRST = ("new", "changed", "metadata", "unchanged", "not_modified", "gone", "error")


def describe(counts: dict[str, int]) -> str:
    """"12 pages: 3 new, 1 changed, 8 unchanged" for a source's {outcome: count}."""
    ordered = [o for o in _FIRST if o in counts] + sorted(o for o in counts if o not in _FIRST)
    parts = ", ".join(f"{counts[o]} {o}" for o in ordered)
    return f"{sum(counts.values())} pages" + (f": {parts}" if parts else "")


class Progress:
    """Shows a job's progress on `stream`; a live line only when it is a terminal."""

    def __init__(self, stream: TextIO | None = None, is_tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.is_tty = self.stream.isatty() if is_tty is None else is_tty

    def started(self, spider: str, sources: tuple[str, ...]) -> None:
        self._line(f"{spider}: crawling {', '.join(sources)}")

    def update(self, running: list[tuple[str, tuple[str, ...]]], counts: dict[str, dict[str, int]]) -> None:
        """One live line for the crawls running side by side: each source with its pages so far."""
        if self.is_tty:  # a log line every second would bury the summary
            shown = " | ".join(f"{name} {sum(counts.get(name, {}).values())}"
                               for _, sources in running for name in sources)
            width = shutil.get_terminal_size((120, 24)).columns - 1  # a wrapped line is not redrawn
            self.stream.write(f"\r\x1b[K{len(running)} crawling: {shown}"[:width])
            self.stream.flush()

    def finished(self, spider: str, sources: tuple[str, ...], counts: dict[str, dict[str, int]],
                 exit_code: int) -> None:
        status = "" if exit_code == 0 else f" (process exited with status {exit_code})"
        for name in sources:
            self._line(f"{name}: {describe(counts.get(name, {}))}{status}")

    def _line(self, text: str) -> None:
        if self.is_tty:
            self.stream.write(f"\r\x1b[K{text}\n")
            self.stream.flush()
        else:
            logger.info("%s", text)
