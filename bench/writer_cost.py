"""Benchmark: the archive writer's CPU per stored article, with no crawl around it.

    .venv/bin/python bench/writer_cost.py [--articles 1000] [--kind press] [--batch 8] [--repeats 3]
                                          [--keep PATH]

Reads the article pages of a generated bench site (bench/throughput.py's, in
/tmp/partnerwatch-bench) from disk, extracts them once the way the crawl's extraction workers do
(`extract_for_archive`, fingerprint and page blocks included, template blocks learned so far
stripped) and caches the items in
/tmp/writer-items-*.pickle. Each repeat then opens a fresh archive and hands the same items, in
the same order, to the crawl's own storage step (crawler/archive_writer.py's `ArchiveWriter`: raw
page, site-page watch, template learning, versions, duplicate index, fetch rows) in batches of
`--batch` items, each batch one `write` (one commit) as in a crawl, then closes the run (held-back
articles stored, run concluded, WAL checkpointed). Prints the CPU (process_time) per article,
median of the repeats.
In a crawl the writer usually finds few items queued: the default batch of 8 is nearer a crawl
than the cap of 64. `--keep PATH` keeps the last repeat's archive (to compare contents).
"""

from __future__ import annotations

import argparse
import copy
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from scrapy.settings import Settings

from crawler import settings as crawler_settings
from crawler.archive_pipeline import writer_config
from crawler.archive_writer import ArchiveWriter
from crawler.conditional import body_hash
from crawler.items import ArticleItem
from crawler.pipelines import extract_for_archive
from crawler.run_recorder import RunEnd
from spiders.sources import load_sources

SITE_DIR = Path(tempfile.gettempdir()) / "partnerwatch-bench"
ORIGIN = "http://127.0.0.1:8000"  # nothing is fetched: the pages are read from the site's files
CONTENT_TYPE = "text/html; charset=utf-8"


def site_source(site: Path, work: Path):
    """The generated site's sources entry, under ORIGIN."""
    sources = work / "sources.toml"
    sources.write_text((site / "source.toml").read_text().replace("{origin}", ORIGIN))
    loaded, errors = load_sources(sources, [ORIGIN.removeprefix("http://")])
    assert not errors and len(loaded) == 1, errors
    return loaded[0]


def build_items(site: Path, source, count: int, work: Path) -> list[ArticleItem]:
    """The site's first `count` article pages as the extraction step hands them to storage.

    As in a crawl, each page is extracted without the template blocks learned so far (the
    workers strip them): the pages go through a throwaway ArchiveWriter one by one, whose
    learned blocks the next page is extracted with.
    """
    identity = source.url_identity()
    options = {"content_type": CONTENT_TYPE, "min_chars": crawler_settings.CRAWLER_EXTRACT_MIN_CHARS,
               "with_page_blocks": True}
    paths = (site / "urls.txt").read_text().split()[:count]
    linked = {ORIGIN + path for path in paths}
    learner = open_writer(source, work / "learner.db")
    items = []
    for number, path in enumerate(paths):
        file = site / path.lstrip("/")
        body = (file / "index.html" if path.endswith("/") else file).read_bytes()
        url = ORIGIN + path
        learned = learner.templates.blocks(source.name) if learner.templates else frozenset()
        extracted = extract_for_archive(body, url, with_fingerprint=True, boilerplate=learned, **options)
        if extracted.article is None:
            continue
        article = extracted.article
        article = replace(article, canonical_url=identity.of_article(url, article.canonical_url))
        items.append(ArticleItem(source=source.name, fetched_at=f"2026-01-01T00:00:00.{number:06d}+00:00",
                                 http_status=200, article=article, etag=None, last_modified=None,
                                 body_hash=body_hash(body), body=body, content_type=CONTENT_TYPE,
                                 fingerprint=extracted.fingerprint, site_key=extracted.site_key))
        learner.write([copy.copy(items[-1])])  # the writer empties the body of what it stores
    learner.close(run_end(source, linked))
    return items


def open_writer(source, db_path: Path) -> ArchiveWriter:
    """The crawl's storage step on a fresh archive at `db_path`, for a spider crawling `source`."""
    settings = Settings({name: getattr(crawler_settings, name) for name in dir(crawler_settings) if name.isupper()})
    home = source.url_identity().of(source.home_url)
    return ArchiveWriter(replace(writer_config(settings), db_path=db_path, spider="municipal",
                                 sources=((source.name, source.title, home),)))


def run_end(source, linked: set[str]) -> RunEnd:
    """A finished crawl of `source` that linked `linked`."""
    return RunEnd("finished", (source.name,), {source.name: len(linked)}, {source.name: len(linked)}, {source.name: {}}, {},
                  {source.name: linked})


def cached_items(site: Path, source, count: int, work: Path) -> bytes:
    cache = Path(tempfile.gettempdir()) / f"writer-items-{site.name}-{count}.pickle"
    if not cache.exists():
        print(f"extracting {count} pages of {site.name} once (cached in {cache}) …", flush=True)
        cache.write_bytes(pickle.dumps(build_items(site, source, count, work)))
    return cache.read_bytes()


def one_repeat(items: list[ArticleItem], source, db_path: Path, batch: int) -> float:
    """CPU seconds to store `items` through a fresh ArchiveWriter and close it."""
    writer = open_writer(source, db_path)
    started = time.process_time()
    for start in range(0, len(items), batch):
        writer.write(items[start:start + batch])
    writer.close(run_end(source, {item.article.url for item in items}))
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--kind", choices=("press", "site"), default="press")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8, help="items per writer commit (a crawl caps it at 64)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the last repeat's archive here")
    options = parser.parse_args()
    site = SITE_DIR / f"{options.kind}-{options.articles}-{options.seed}"
    if not (site / "urls.txt").exists():
        sys.exit(f"{site}: no generated site (bench/throughput.py --articles {options.articles} generates it)")
    with tempfile.TemporaryDirectory(prefix="writer-cost-") as work:
        source = site_source(site, Path(work))
        pickled = cached_items(site, source, options.articles, Path(work))
        spent = []
        for repeat in range(options.repeats):
            items = pickle.loads(pickled)  # the writer empties each item's body: a fresh copy each time
            is_last = repeat == options.repeats - 1
            db_path = options.keep if options.keep and is_last else Path(work) / f"{repeat}.db"
            for stale in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
                stale.unlink(missing_ok=True)
            spent.append(one_repeat(items, source, db_path, options.batch))
            print(f"repeat {repeat + 1}: {1000 * spent[-1] / len(items):.2f} ms CPU per article", flush=True)
    print(f"{len(items)} articles, batches of {options.batch}: "
          f"median {1000 * statistics.median(spent) / len(items):.2f} ms CPU per article")


if __name__ == "__main__":
    main()
