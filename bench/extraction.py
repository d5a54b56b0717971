"""Extraction quality and speed: crawler.extract next to trafilatura, on k folds of the dev split.

Default: 5 folds over the dev split of shared/extraction-bench (fold by page-id hash, stratified
so each fold holds ScrapingHub and German pages). Per fold and overall (mean, min–max) it prints
the F1 of ours, trafilatura's defaults and include_comments=False, the CPU per page of ours and
of the defaults timed back to back on each page (process_time, so load drifts cancel out), the
share of pages on which ours ran trafilatura's fallback comparison, and a verdict.

    .venv/bin/python bench/extraction.py [--folds 5] [--repeat 3]
    # a change against another checkout or a saved run: per-fold deltas, refused if one is < 0
    .venv/bin/python bench/extraction.py --against /work/main
    # thresholds chosen on 4 folds, scored on the 5th, rotated (crawler.extract constants)
    .venv/bin/python bench/extraction.py --tune FALLBACK_COVERAGE=0.3,0.4,0.5 --tune FALLBACK_SHORT_LINES=0.5,0.6
    # fallback share and CPU per page on a generated bench site
    .venv/bin/python bench/extraction.py --site /tmp/partnerwatch-bench/press-1000-1
    # the harness's own full tables (evaluate.py, every group)
    .venv/bin/python bench/extraction.py --harness [evaluate.py options]

Also usable as an extractor for evaluate.py itself: `-e extraction:partnerwatch` (cwd bench/).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_BENCH = REPO.parent / "shared" / "extraction-bench"
BENCH_DIR = Path(os.environ.get("EXTRACTION_BENCH_DIR", DEFAULT_BENCH))
OURS = "extraction:partnerwatch"
BASELINE = "baselines:traf_default"


def partnerwatch(html: bytes, url: str | None) -> str | None:
    """The project's extractor as the harness calls it: main text, or None for "no article"."""
    from crawler.extract import extract_article

    article = extract_article(html, url or "")
    return article.text if article else None


def trafilatura_default(html: bytes, url: str | None) -> str | None:
    import trafilatura

    return trafilatura.extract(html, url=url)


def run_harness(extractors: list[str], repeat: int, cpu: int, passthrough: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="extraction-bench-") as tmp:
        out = Path(tmp) / "results.json"
        command = [
            *(sys.executable, str(BENCH_DIR / "evaluate.py"), "--json", str(out)),
            *("--repeat", str(repeat), "--cpu", str(cpu), "--no-langdetect", *passthrough),
        ]
        for spec in extractors:
            command += ["-e", spec]
        paths = filter(None, (str(REPO), os.environ.get("PYTHONPATH")))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
        subprocess.run(command, cwd=HERE, env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf8"))


def cpu_pages_per_second(
    extractors: dict[str, Callable[[bytes, str | None], str | None]], repeat: int, cpu: int
) -> dict[str, float]:
    """Pages per CPU second of each extractor, all run on each page in turn."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    data = BENCH_DIR / "data"
    pages = sorted((data / "scrapinghub" / "html").glob("*.html.gz"))
    pages += sorted(p for sub in ("cache", "eval") for p in (data / "trafilatura" / sub).glob("*"))
    bodies = [
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in pages
    ]
    spent = dict.fromkeys(extractors, 0.0)
    for extract in extractors.values():
        extract(bodies[0], None)  # warm up: imports, langdetect profiles
    for _ in range(repeat):
        for body in bodies:
            for name, extract in extractors.items():
                started = time.process_time()
                extract(body, None)
                spent[name] += time.process_time() - started
    return {name: len(bodies) * repeat / seconds for name, seconds in spent.items()}


def print_harness_tables(args: argparse.Namespace, passthrough: list[str]) -> int:
    results = run_harness([OURS, BASELINE], args.repeat, args.cpu, passthrough)
    logging.disable(logging.CRITICAL)  # trafilatura logs every page it discards
    sys.path.insert(0, str(REPO))
    cpu = cpu_pages_per_second(
        {OURS: partnerwatch, BASELINE: trafilatura_default}, args.repeat, args.cpu
    )
    print("| extractor | ScrapingHub F1 | German F1 | de_public F1 | trafilatura set F1 "
          "| pages/s/core (evaluate.py) | pages/s/core (CPU) | empty |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for result in results["results"]:
        name = result["extractor"]
        scores = [
            result["scrapinghub"]["all/all"]["f1"],
            result["trafilatura"]["all/german"]["f1"],
            result["trafilatura"]["all/de_public"]["f1"],
            result["trafilatura"]["all/all"]["f1"],
        ]
        speeds = [result["speed"]["docs_per_s_median"], cpu[name]]
        cells = [f"{s:.3f}" for s in scores] + [f"{s:.1f}" for s in speeds]
        print(f"| {name} | {' | '.join(cells)} | {result['empty']} |")
    print(f"\nCPU time ratio partnerwatch / trafilatura defaults: {cpu[BASELINE] / cpu[OURS]:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="CPU passes (median)")
    parser.add_argument("--cpu", type=int, default=0, help="pin to this CPU")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--harness", action="store_true", help="evaluate.py's tables instead")
    parser.add_argument("--against", help="a checkout or a --save file: per-fold deltas")
    parser.add_argument("--save", help="write ours' texts per page here (JSON)")
    parser.add_argument("--ours-only", action="store_true", help="skip trafilatura (with --save)")
    parser.add_argument("--repo", default=str(REPO), help="checkout whose crawler is measured")
    parser.add_argument("--tune", action="append", default=[], metavar="NAME=V1,V2")
    parser.add_argument("--max-fallback", type=float, default=1 / 3)
    parser.add_argument("--site", action="append", default=[], help="generated bench site dir")
    parser.add_argument("--site-pages", type=int, default=300)
    args, passthrough = parser.parse_known_args(argv)
    if args.harness:
        return print_harness_tables(args, passthrough)
    from extraction_kfold import run_kfold

    return run_kfold(args)


if __name__ == "__main__":
    sys.exit(main())
