"""CPU per page of the extraction worker's own steps (not trafilatura's, not langdetect's).

Loads the first N article pages of a generated bench site (bench/site_generator.py, its
urls.txt), extracts each once, then times each step on every page in process CPU time:
decoding and parsing, read_page_dates and its _short_elements, the date's choice given the text,
page_block_hashes, fingerprint, site_key, the fallback checks (needs_fallback, link_share), the
hand-off between crawl process and worker (pickling the call and the Extracted result both
ways) and, last, the worker's whole call (extract_for_archive, trafilatura and langdetect
included). Prints ms per page, the median of the repeats.

    .venv/bin/python bench/worker_cost.py /tmp/partnerwatch-bench/press-1000-1 [--pages 300] [--repeats 3]

--save DIR writes every step's output on these pages; --check DIR compares them with a saved
run and fails on the first difference: a speed-up must not change a single result.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import astuple
from functools import partial
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crawler.extract import decode_html, parse_html  # noqa: E402
from crawler.fallback import link_share, needs_fallback  # noqa: E402
from storage.fingerprint import Fingerprint, fingerprint, signature_to_bytes  # noqa: E402
from crawler import page_blocks  # noqa: E402
from crawler.page_blocks import page_block_hashes  # noqa: E402
from crawler.page_date import _short_elements, read_page_dates  # noqa: E402
from crawler.pipelines import Extracted, _warm_up, extract_for_archive  # noqa: E402
from crawler.site_pages import site_key  # noqa: E402

ORIGIN = "http://127.0.0.1:8000"


def load_pages(site: Path, count: int) -> list[tuple[str, bytes]]:
    """(url, body) of the site's first `count` article pages, in urls.txt order."""
    listing = site / "urls.txt"
    if not listing.is_file():
        sys.exit(f"{site}: no urls.txt here; give the directory of a generated bench site "
                 "(bench/site_generator.py, e.g. /tmp/partnerwatch-bench/press-1000-1)")
    pages = []
    for path in listing.read_text(encoding="utf-8").split()[:count]:
        file = site / path.lstrip("/")
        file = file / "index.html" if path.endswith("/") else file
        if not file.is_file():
            sys.exit(f"{site}: {path} is listed in urls.txt but {file} is missing")
        pages.append((ORIGIN + path, file.read_bytes()))
    return pages


def forget_pages() -> None:
    """Drop what the worker remembers of pages it saw: a crawl extracts each page once, not once a repeat."""
    getattr(page_blocks, "_KNOWN_HASHES", {}).clear()


def title_blocks(tree: object) -> frozenset:
    return frozenset(a for h1 in tree.iter("h1") for a in h1.iterancestors())  # as read_page_dates


def short_elements_out(tree: object, found: list) -> list:
    """_short_elements with each element named by its path, so runs can be compared."""
    path = tree.getroottree().getpath
    return [(path(e), value, index, titles) for e, value, index, titles in found]


def fingerprint_out(found: Fingerprint) -> tuple:
    return signature_to_bytes(found.signature), found.shingles, found.passages, found.words, found.speech


def extracted_out(extracted: Extracted) -> tuple:
    article = extracted.article
    return (astuple(article) if article else None, article.page_blocks if article else None,
            fingerprint_out(extracted.fingerprint) if article else None, extracted.site_key, extracted.site_page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="a generated bench site's directory (holds urls.txt)")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--save", type=Path, help="write every step's output on these pages to DIR")
    parser.add_argument("--check", type=Path, help="compare every step's output with DIR (from --save)")
    args = parser.parse_args()

    pages = load_pages(args.site, args.pages)
    _warm_up()  # as a worker starts: langdetect and the stoplists loaded, the collector frozen
    extract = {url: partial(extract_for_archive, body, url, content_type="text/html", min_chars=200,
                            boilerplate=frozenset(), with_fingerprint=True, with_page_blocks=True)
               for url, body in pages}
    extracted = {url: call() for url, call in extract.items()}
    texts = {url: e.article.text for url, e in extracted.items() if e.article}
    print(f"{args.site.name}: {len(pages)} pages, {len(texts)} articles", file=sys.stderr)

    steps = ("decode + parse_html", "read_page_dates", "  _short_elements", "PageDates.choose",
             "page_block_hashes", "fingerprint", "site_key", "needs_fallback", "link_share",
             "hand-off, worker side", "hand-off, crawl side", "extract_for_archive")
    outputs: dict[str, list] = {}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.repeats):
        spent = dict.fromkeys(steps, 0.0)
        outputs = {name: [] for name in steps}

        def timed(name: str, call: Callable, *call_args: object) -> object:
            start = time.process_time()
            result = call(*call_args)
            spent[name] += time.process_time() - start
            return result

        forget_pages()
        for url, body in pages:
            tree = timed("decode + parse_html", lambda body=body: parse_html(decode_html(body, "text/html")))
            dates = timed("read_page_dates", read_page_dates, tree)
            outputs["read_page_dates"].append(dates)
            short = timed("  _short_elements", _short_elements, tree, title_blocks(tree))
            outputs["  _short_elements"].append(short_elements_out(tree, short))
            outputs["page_block_hashes"].append(timed("page_block_hashes", page_block_hashes, tree))
            if url in texts:
                outputs["PageDates.choose"].append(timed("PageDates.choose", dates.choose, texts[url]))
                outputs["fingerprint"].append(fingerprint_out(timed("fingerprint", fingerprint, texts[url])))
                outputs["site_key"].append(timed("site_key", site_key, texts[url], url))
                # on the whole parsed page: the worker's tree has lost its invisible elements by then
                outputs["needs_fallback"].append(timed("needs_fallback", needs_fallback, tree, texts[url]))
                outputs["link_share"].append(timed("link_share", link_share, tree, texts[url]))
            call = pickle.loads(ForkingPickler.dumps(extract[url]))  # the call as the worker gets it
            sent = timed("hand-off, crawl side", ForkingPickler.dumps, call)
            timed("hand-off, worker side", pickle.loads, sent)
            back = timed("hand-off, worker side", ForkingPickler.dumps, extracted[url])
            outputs["hand-off, crawl side"].append(extracted_out(timed("hand-off, crawl side", pickle.loads, back)))
        forget_pages()
        for url, _ in pages:
            outputs["extract_for_archive"].append(extracted_out(timed("extract_for_archive", extract[url])))
        for name in steps:
            times[name].append(spent[name])

    outputs["hand-off, worker side"] = [extracted_out(e) for e in extracted.values()]
    print(f"{'step':24} ms/page (median of {args.repeats}; pages: {len(pages)})")
    for name, spent in times.items():
        print(f"{name:24} {statistics.median(spent) / len(pages) * 1000:7.3f}")
    reference = args.save or args.check
    if reference:
        compare(outputs, reference / f"{args.site.name}-{len(pages)}.pickle", save=args.save is not None)


def compare(outputs: dict[str, list], file: Path, save: bool) -> None:
    if save:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(pickle.dumps(outputs))
        print(f"outputs saved to {file}")
        return
    saved = pickle.loads(file.read_bytes())
    for name, values in outputs.items():
        if name not in saved:
            print(f"{name}: not in {file}, not compared")
            continue
        for index, (value, expected) in enumerate(zip(values, saved[name], strict=True)):
            if value != expected:
                sys.exit(f"{name} differs on page {index}:\n  now   {value!r}\n  saved {expected!r}")
    print(f"all outputs equal to {file}")


if __name__ == "__main__":
    main()
