"""A crawl of huge listing pages stays within its memory bound (issue 13, reliability.md §6).

Each listing page is megabytes once parsed (10,000 links, or 20,000 paragraphs), and such a
response caught in a reference cycle is only a few objects to the collector's thresholds. With
the raised thresholds alone the crawl process grew by ~7 MB per listing, to 1.2 GB in 500 pages.
The bound is checked on the kernel's own peak (the largest resident size any process of the crawl
reached, as `wait4` reports it), so machine load cannot make the test pass or fail: it is memory,
never time.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_server import FAST, HostileServer, Reply, write_sources

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env

PEAK_RSS_BOUND_MB = 400  # issue 13: the listing-heavy crawl at most 400 MB
LISTINGS = 80  # at ~6 MB of garbage each, a collector bound by counts alone passes 500 MB
# runs the command, then prints the largest peak RSS (KiB) of the process and the descendants it reaped
PEAK_OF_TREE = ("import resource, subprocess, sys; status = subprocess.call(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(status)")


def link_listing(number: int, followed: list[str]) -> str:
    """A listing of 10,000 links: the ones followed first, then filler no pattern matches."""
    filler = [f"/verzeichnis/{number}/eintrag-{k}" for k in range(10_000 - len(followed))]
    return "".join(f'<li><a href="{href}">Eintrag {href}</a></li>' for href in followed + filler)


def text_listing(number: int, followed: list[str]) -> str:
    """A listing of a few links amid 20,000 short paragraphs (an archive page printing every title)."""
    links = "".join(f'<a href="{href}">{href}</a>' for href in followed)
    return links + "".join(f"<p>Meldung {number}-{k} aus dem Archiv</p>" for k in range(20_000))


class ListingHeavySite(HostileServer):
    """Listing /liste/N links article /meldung/N and listings 2N+1, 2N+2, inside a huge page."""

    def __init__(self, render: Callable[[int, list[str]], str]) -> None:
        super().__init__()
        self.render = render

    @functools.cache  # the server lives for one test: each page is built once
    def listing(self, number: int) -> bytes:
        followed = [f"/meldung/{number}"] + [f"/liste/{n}" for n in (2 * number + 1, 2 * number + 2) if n < LISTINGS]
        return f"<html><body><ul>{self.render(number, followed)}</ul></body></html>".encode()

    def answer(self, path: str) -> Reply:
        if path.startswith("/liste/"):
            return Reply(200, self.listing(int(path.removeprefix("/liste/"))), {"Content-Type": "text/html"})
        if path.startswith("/meldung/") and path not in self.routes:
            self.article(path, title=f"Meldung {path.removeprefix('/meldung/')} der Partnerschaft")
        return super().answer(path)


def crawl_peak_rss_mb(tmp_path: Path, site: HostileServer) -> tuple[float, subprocess.CompletedProcess]:
    sources = write_sources(tmp_path, {"heavy": {"start_urls": [f"{site.origin}/liste/0"],
                                                 "listing_patterns": ["^/liste/\\d+$"],
                                                 "article_patterns": ["^/meldung/\\d+$"]}})
    command = crawl_command("municipal", {"sources": str(sources)}, CRAWLER_STORAGE_PATH=tmp_path / "archive.db",
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE=[site.netloc], **FAST)
    result = subprocess.run([sys.executable, "-c", PEAK_OF_TREE, *command], env=crawl_env(), cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    return int(result.stdout.split()[-1]) / 1024, result


@pytest.mark.parametrize("render", [link_listing, text_listing], ids=["10k-links", "20k-paragraphs"])
def test_a_crawl_of_huge_listing_pages_stays_under_the_memory_bound(tmp_path, render):
    with ListingHeavySite(render) as site:
        peak_mb, result = crawl_peak_rss_mb(tmp_path, site)
        listings = sum(path.startswith("/liste/") for path in site.paths())
    assert listings == LISTINGS, result.stderr[-3000:]  # the whole site was walked, not cut short
    assert peak_mb <= PEAK_RSS_BOUND_MB, f"peak RSS {peak_mb:.0f} MB over {LISTINGS} huge listings"
