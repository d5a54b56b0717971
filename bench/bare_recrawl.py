"""The floor for a re-crawl: bare Scrapy fetching what our re-crawl fetches, doing nothing with it.

    .venv/bin/python -m scrapy runspider bench/bare_recrawl.py -a requests=FILE     # what recrawl.py runs

FILE holds one request a line, `URL<TAB>ETag`: article pages with the ETag the server gives them
(so the answer is a 304), listings with none (a 200, never parsed). Run outside the project, so
no project middleware, extension or pipeline takes part, and only Scrapy's own speed switches are
set as ours are (SCRAPY_AS_OURS): the cost left is Scrapy's request and response cycle, which no
re-crawl of ours can go below by much (issue 17: ours at most 1.3x this).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import scrapy
from static_server import etag_of

# Scrapy's own switches, set as crawler/settings.py sets them: the floor is Scrapy's cost, not its
# defaults' extras (100 item tasks per callback, a telnet console, remote control, cookies)
SCRAPY_AS_OURS = {"CONCURRENT_ITEMS": 4, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
                  "COOKIES_ENABLED": False}
ELAPSED = re.compile(r"'elapsed_time_seconds': ([0-9.]+)")


class BareRecrawlSpider(scrapy.Spider):
    name = "bare_recrawl"
    handle_httpstatus_list = [304]  # else HttpErrorMiddleware logs a line for each, which ours never does

    def __init__(self, requests: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.requests_file = requests

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for line in Path(self.requests_file).read_text().splitlines():
            url, etag = line.split("\t")
            yield scrapy.Request(url, headers={"If-None-Match": etag} if etag else {}, callback=self.parse)

    def parse(self, response: scrapy.http.Response) -> None:
        """Listings (200) and articles (304) alike are dropped unread."""


def recrawl_requests(site: Path, origin: str) -> list[str]:
    """`URL<TAB>ETag` for the site's articles, `URL<TAB>` for its listing pages (every other page)."""
    articles = set((site / "urls.txt").read_text().split())
    lines = []
    for file in sorted(site.rglob("*")):
        path = "/" + file.relative_to(site).as_posix()
        if path.endswith("/index.html"):
            path = path.removesuffix("index.html")
        if path in articles:
            lines.append(f"{origin}{path}\t{etag_of(file.read_bytes())}")
        elif path.endswith((".html", "/")) or "/?" in path:
            lines.append(f"{origin}{path}\t")
    return lines


def run_floor(origin: str, site: Path, work: Path, concurrency: int) -> tuple[float, float, int, float]:
    """One bare re-crawl of the site: (seconds inside Scrapy, wall seconds, requests, CPU seconds)."""
    requests = work / f"bare-{site.name}.tsv"
    lines = recrawl_requests(site, origin)
    requests.write_text("\n".join(lines) + "\n")
    settings = {"CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, **SCRAPY_AS_OURS,
                "LOG_LEVEL": "INFO"}  # INFO: the stats dump at the end carries the time inside Scrapy
    command = [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__).resolve()), "-a", f"requests={requests}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}  # no project settings
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    inside = ELAPSED.search(done.stderr)
    spent = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return float(inside.group(1)) if inside else wall, wall, len(lines), spent
