"""Link discovery cost per page: the spider's lean links vs Scrapy's LinkExtractor.

Fetches every listing and article page of the offline replica once, then times, on the same
responses, (a) what NewsSpider does on a listing (XPath `//a/@href`, clean, pattern match) and
(b) Scrapy's default `LinkExtractor().extract_links`. Prints per-page times and the ratio.

    .venv/bin/python bench/links.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.request
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from crawler.replica import Replica, load_golden
from storage.urls import clean_url, netloc
from spiders.sources import load_sources

SOURCE_OF = {"skew": "skew", "eg": "engagement-global", "lag21": "lag21", "berlin": "berlin-treptow-koepenick",
             "linke": "linke-treptow-koepenick", "wolfsburg": "wolfsburg"}


def fetch_pages(replica: Replica) -> list[tuple[str, HtmlResponse]]:
    sources = {s.name: s for s in load_sources()[0]}
    pages = []
    for site, name in SOURCE_OF.items():
        paths = [a.path for a in load_golden("v1").primary_articles() if a.site == site]
        paths += [u.split("/", 3)[3] if u.count("/") > 2 else "" for u in sources[name].start_urls]
        for path in paths:
            url = replica.urls[site] + "/" + path.lstrip("/")
            request = urllib.request.Request(url, headers={"User-Agent": "partnerwatch-bench/1 (+https://example.org)"})
            with urllib.request.urlopen(request) as answer:
                pages.append((name, HtmlResponse(url, body=answer.read(), encoding="utf-8")))
    return pages


def lean_links(response: HtmlResponse, source, hosts: frozenset[str]) -> int:
    found = 0
    for href in response.xpath("//a/@href").getall():
        url = clean_url(response.urljoin(href))
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if netloc(url) in hosts and (source.is_article(path) or source.is_listing(path)):
            found += 1
    return found


def time_per_page(pages, work, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        started = time.perf_counter()
        for name, response in pages:
            work(name, response)
        runs.append((time.perf_counter() - started) / len(pages))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with Replica(state="v1", rate_limit=False) as replica:
        pages = fetch_pages(replica)
        sources = {s.name: s.rebased(replica.origin_map()) for s in load_sources()[0]}
    extractor = LinkExtractor()
    lean = time_per_page(pages, lambda n, r: lean_links(r, sources[n], sources[n].allowed_hosts), rounds)
    full = time_per_page(pages, lambda n, r: extractor.extract_links(r), rounds)
    print(f"{len(pages)} replica pages, median of {rounds} rounds")
    print(f"lean links (XPath + clean_url + patterns): {lean * 1000:.2f} ms/page")
    print(f"Scrapy LinkExtractor:                      {full * 1000:.2f} ms/page")
    print(f"ratio LinkExtractor / lean: {full / lean:.2f}x")


if __name__ == "__main__":
    main()
