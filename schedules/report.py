"""The run report file, and the notification hook called with it.

The report is JSON (`reports/<archive>-run-<id>.json`, <archive> the archive's file name without
`.db`): what the run found per source and why it failed. The hook, a command or a webhook URL from
the settings, is called when a run failed or found something new or changed, so a broken source
is noticed, not skipped.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS = 60


def report_stem(db_path: Path, run_id: int) -> str:
    """`<archive>-run-<id>`: two archives sharing a folder (and its reports/) keep their own reports."""
    return f"{Path(db_path).stem}-run-{run_id}"


def write_report(report: dict[str, Any], path: Path) -> Path:
    """Write `report` to `path`; a reader never sees half a file (write, then rename)."""
    partial = path.with_suffix(".json.part")
    partial.write_text(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    os.replace(partial, path)
    return path


def should_notify(report: dict[str, Any]) -> bool:
    """A run that did not succeed, or that stored new or changed articles."""
    return report["outcome"] != "ok" or bool(report["articles_new"] or report["articles_changed"])


def notify(report_path: Path, *, command: str | None, url: str | None) -> list[str]:
    """Call the hooks configured; return what went wrong (logged too: the run itself is done)."""
    problems = []
    body = report_path.read_bytes()
    if command:
        problems += _run_command(command, report_path, body)
    if url:
        problems += _post(url, body)
    for problem in problems:
        logger.error("notification failed: %s", problem)
    return problems


def _run_command(command: str, report_path: Path, body: bytes) -> list[str]:
    # the report's path is the last argument and its JSON comes on stdin: both shell and
    # mail-style commands work without a wrapper
    argv = [*shlex.split(command), str(report_path)]
    try:
        result = subprocess.run(argv, input=body, capture_output=True, timeout=NOTIFY_TIMEOUT_SECONDS,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return [f"{argv[0]}: {error}"]
    if result.returncode != 0:
        return [f"{argv[0]} exited with status {result.returncode}: {result.stderr.decode(errors='replace')[-500:]}"]
    return []


def _post(url: str, body: bytes) -> list[str]:
    # the operator's own CRAWLER_NOTIFY_URL: any scheme urllib opens is theirs to choose
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read()
    except (urllib.error.URLError, OSError) as error:
        return [f"POST {url}: {error}"]
    return []
