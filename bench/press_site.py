"""A second generated benchmark site, unlike bench/site_generator.py: a network's press room.

    .venv/bin/python bench/press_site.py DIR [--articles 3000] [--seed 1]
    .venv/bin/python bench/throughput.py --site press     # how the benchmarks use it

Deterministic by seed; `--articles` counts every article page. Where the town site repeats text
by copying whole articles, this one repeats it the way press offices do:

* every release ends with the same closing paragraph ("Weitere Informationen erhalten Sie bei …")
  and one of four press contact boxes; a dozen stock sentences recur in unrelated releases;
* joint releases: 3 % of stories go out as 2–4 releases of partners, each with its own title,
  lead and quote around a shared core; plus the replica's real multi-site stories, verbatim;
* 12 % of the article pages are copies of releases under a second path, the old archive
  `/pressemitteilungen/archiv/YYYY/pm-N.html` in its own table layout: two thirds exact, one third
  near copies (new lead, an update sentence). They must cluster with their originals.

Text comes from bench/press_text.py (real sentence shapes from the extraction-bench dev split,
other words; 8 % of releases in English). 35 % of the releases are poured into real-world
templates made from the dev split's German pages (bench/real_templates.py), the rest into the press
room's own design (bench/press_render.py). Listings: `/presse/` paginated by `?page=N` (15 a page)
and `/pressemitteilungen/archiv/` by `seite/N/` (25 a page), pagers with a window of neighbours.
Writes `urls.txt` (article paths), `source.toml` (the sources entry, `{origin}` to fill) and
`stories.json` (the article paths that are one story: copies with their original, joint releases,
real stories; everything else stands alone), against which an archive's clusters can be checked.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from press_render import Release, article_body, pager_links, render_archived, render_listing, render_release
from press_text import STOCK, Writer, load_writers
from real_templates import Template, dev_pages, make_template, qualify
from site_generator import slugify, write_file

from crawler.replica.content import articles as replica_articles

SOURCE_NAME = "bench-press"
TEMPLATE_SHARE, ENGLISH_SHARE, JOINT_SHARE = 0.35, 0.08, 0.03
EXACT_COPY_SHARE, NEAR_COPY_SHARE = 0.08, 0.04  # of all article pages, under the archive path
PRESS_PER_PAGE, ARCHIVE_PER_PAGE = 15, 25
SOURCE_ENTRY = """[{name}]
spider = "municipal"
title = "Landesnetzwerk Kommunale Partnerschaften, Presse (generated benchmark site)"
start_urls = ["{{origin}}/presse/", "{{origin}}/pressemitteilungen/archiv/"]
listing_patterns = ['^/presse/(\\?page=\\d+)?$', '^/pressemitteilungen/archiv/(seite/\\d+/)?$']
article_patterns = ['^/presse/\\d{{4}}/\\d{{2}}/pm-\\d+-[a-z0-9-]+/$',
                    '^/pressemitteilungen/archiv/\\d{{4}}/pm-\\d+\\.html$']
page_budget = {budget}
"""


class Newsroom:
    """Writes the releases, newest first, numbering them per year as press offices do."""

    def __init__(self, rng: random.Random, writers: dict[str, Writer], templates: int) -> None:
        self.rng, self.writers, self.templates = rng, writers, templates
        self.day = date(2025, 11, 28)
        self.serial = 0
        self.releases: list[Release] = []
        self.stories: dict[str, list[str]] = {}  # story key -> paths of its releases

    def add(self, title: str, lang: str, blocks: list[tuple[str, str]], story: str | None = None) -> None:
        self.day -= timedelta(days=self.rng.random() < 0.55)
        self.serial += 1
        template = self.rng.randrange(self.templates) if self.templates and self.rng.random() < TEMPLATE_SHARE else None
        slug = slugify(title)[:50].strip("-") or "mitteilung"
        path = f"/presse/{self.day:%Y/%m}/pm-{self.serial}-{slug}/"
        number = f"{self.serial % 997 + 1}/{self.day.year}"
        self.releases.append(Release(path, title, self.day, number, lang, tuple(blocks),
                                     self.rng.randrange(4), template))
        if story:
            self.stories.setdefault(story, []).append(path)

    def standalone(self) -> None:
        lang = "en" if self.rng.random() < ENGLISH_SHARE else "de"
        writer = self.writers[lang]
        blocks = [("lead", writer.paragraph(2, 3))]
        for _ in range(self.rng.randint(3, 10)):
            if self.rng.random() < 0.25:
                blocks.append(("h2", writer.title()))
            blocks.append(("quote", writer.sentence()) if self.rng.random() < 0.12 else ("p", writer.paragraph()))
        if lang == "de":
            for stock in self.rng.sample(STOCK, self.rng.choice((0, 0, 1, 1, 2, 3))):
                at = self.rng.randrange(1, len(blocks))
                if blocks[at][0] == "p":
                    blocks[at] = ("p", f"{blocks[at][1]} {stock}")
        self.add(writer.title(), lang, blocks)

    def joint(self) -> None:
        """One story, released by 2–4 partners: own title, lead and quote around a shared core."""
        writer = self.writers["de"]
        core = [("p", writer.paragraph(3, 5)) for _ in range(self.rng.randint(3, 6))]
        story = f"joint-{self.serial + 1}"
        for _ in range(self.rng.randint(2, 4)):
            self.add(writer.title(), "de", [("lead", writer.paragraph(2, 3)), *core, ("quote", writer.sentence())],
                     story)

    def real_story(self, story: str, title: str, paragraphs: tuple[str, ...]) -> None:
        self.add(title, "de", [("lead", paragraphs[0]), *(("p", p) for p in paragraphs[1:])], story)


def build_releases(count: int, rng: random.Random, writers: dict[str, Writer],
                   templates: int) -> tuple[list[Release], dict[str, list[str]]]:
    """`count` releases, newest first (standalone, joint, the replica's real multi-site stories); stories."""
    room = Newsroom(rng, writers, templates)
    real = [a for a in replica_articles("v1") if a.cluster and a.lang == "de"]
    real_at = {rng.randrange(count): a for a in real} if count >= 4 * len(real) else {}
    while len(room.releases) < count:
        if (story := real_at.pop(len(room.releases), None)) is not None:
            room.real_story(story.cluster, story.title, story.paragraphs)
        elif rng.random() < JOINT_SHARE:
            room.joint()
        else:
            room.standalone()
    kept = {r.path for r in room.releases[:count]}
    stories = {key: [p for p in paths if p in kept] for key, paths in room.stories.items()}
    return room.releases[:count], stories


def archive_copies(releases: list[Release], count: int, rng: random.Random,
                   writer: Writer) -> list[tuple[Release, str]]:
    """`count` (copy, original's path) under the archive path: two thirds exact, the rest near copies."""
    copies = []
    near_share = NEAR_COPY_SHARE / (NEAR_COPY_SHARE + EXACT_COPY_SHARE)
    for original in sorted(rng.sample(releases, count), key=lambda r: r.published, reverse=True):
        blocks = original.blocks
        if rng.random() < near_share:
            update = f"Aktualisierung vom {original.published + timedelta(days=rng.randint(1, 30)):%d.%m.%Y}: "
            blocks = (("lead", writer.paragraph(2, 3)), *blocks[1:], ("p", update + writer.sentence()))
        serial = original.path.split("/pm-")[1].split("-")[0]
        path = f"/pressemitteilungen/archiv/{original.published.year}/pm-{serial}.html"
        copies.append((Release(path, original.title, original.published, original.number, original.lang,
                               blocks, original.contact), original.path))
    return copies


def load_templates(writer: Writer) -> list[Template]:
    """The dev split's German pages that qualify as templates (bench/real_templates.py)."""
    made = (make_template(name, raw) for name, raw in dev_pages("de"))
    return [t for t in made if t and qualify(t, writer.title(), [writer.paragraph() for _ in range(4)])]


def generate_site(root: Path, count: int = 3000, seed: int = 1) -> list[str]:
    """Write the site under `root` (replacing it); the article paths, releases first."""
    rng = random.Random(seed)
    writers = load_writers(rng)
    templates = load_templates(writers["de"])
    copy_count = round(count * (EXACT_COPY_SHARE + NEAR_COPY_SHARE))
    releases, stories = build_releases(count - copy_count, rng, writers, len(templates))
    copied = archive_copies(releases, copy_count, rng, writers["de"])
    story_of = {path: key for key, paths in stories.items() for path in paths}
    for copy, original in copied:
        key = story_of.setdefault(original, f"copied-{original}")
        stories.setdefault(key, [original]).append(copy.path)
    copies = [copy for copy, _ in copied]
    if root.exists():
        shutil.rmtree(root)
    for release in releases:
        if release.template is None:
            page = render_release(release, rng.sample(releases, min(6, len(releases))))
        else:
            page = templates[release.template].fill(release.path, html.escape(release.title),
                                                    release.published.isoformat(), article_body(release))
        write_file(root, release.path, page)
    for copy in copies:
        write_file(root, copy.path, render_archived(copy))
    listings = write_listings(root, "Pressemitteilungen", releases, PRESS_PER_PAGE,
                              lambda n: "/presse/" if n == 1 else f"/presse/?page={n}")
    listings += write_listings(root, "Pressearchiv", copies, ARCHIVE_PER_PAGE,
                               lambda n: "/pressemitteilungen/archiv/" + ("" if n == 1 else f"seite/{n}/"))
    paths = [r.path for r in releases + copies]
    write_file(root, "/robots.txt", "User-agent: *\nDisallow: /suche/\n")
    write_file(root, "/urls.txt", "".join(f"{p}\n" for p in paths))
    groups = sorted(sorted(paths) for paths in stories.values() if len(paths) > 1)
    write_file(root, "/stories.json", json.dumps(groups, indent=0))
    write_file(root, "/source.toml", SOURCE_ENTRY.format(name=SOURCE_NAME, budget=count + listings + 10))
    return paths


def write_listings(root: Path, heading: str, entries: list[Release], per_page: int,
                   url_of: Callable[[int], str]) -> int:
    """Write the paginated listing of `entries`; how many pages it has."""
    last = max(1, math.ceil(len(entries) / per_page))
    for number in range(1, last + 1):
        page_entries = entries[(number - 1) * per_page : number * per_page]
        title = heading if number == 1 else f"{heading} – Seite {number}"
        write_file(root, url_of(number), render_listing(title, page_entries, pager_links(number, last, url_of)))
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    paths = generate_site(options.root, options.articles, options.seed)
    total = sum(f.stat().st_size for f in options.root.rglob("*") if f.is_file())
    print(f"{len(paths)} articles, {total / 1e6:.0f} MB in {options.root}")


if __name__ == "__main__":
    main()
