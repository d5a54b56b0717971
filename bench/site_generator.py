"""A generated municipal news site for throughput benchmarks: static files, deterministic (seeded).

    .venv/bin/python bench/site_generator.py DIR [--articles 3000] [--seed 1]

Writes `robots.txt`, the listing `/aktuelles/` with its pages `/aktuelles/seite-N.html` (20 teasers
each, a pager with first, last and a window of neighbours) and the article pages
`/aktuelles/YYYY/slug.html`, plus `urls.txt` (the article URL paths), `source.toml` (the sources
entry, with `{origin}` to fill) and `stories.json` (each article with its copies, for
bench/stories.py). Article text is German, drawn from a word-bigram chain trained on the
replica's German articles; 10 % of the articles are near copies (new intro, other date) and 5 % exact
copies of an earlier one, as press releases reprinted elsewhere are. Each page wraps its article in a
town template: head with inline CSS and JSON-LD, a mega menu, breadcrumbs, sidebar teasers, footer, and
an inline script; sizes spread log-uniformly from 30 to 120 KB, as perf-notes' real templates do.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from crawler.replica.content import articles as replica_articles

PER_LISTING = 20
PAGER_WINDOW = 4
MIN_BYTES, MAX_BYTES = 30_000, 120_000
NEAR_COPY_SHARE, EXACT_COPY_SHARE = 0.10, 0.05
TOWN = "Musterhausen"
SECTIONS = ("Rathaus", "Leben", "Wirtschaft", "Kultur", "Umwelt", "Bildung", "Soziales", "Verkehr")
SOURCE_ENTRY = """[bench]
spider = "municipal"
title = "Stadt {town} (generated benchmark site)"
start_urls = ["{{origin}}/aktuelles/"]
listing_patterns = ['^/aktuelles/(seite-\\d+\\.html)?$']
article_patterns = ['^/aktuelles/\\d{{4}}/[a-z0-9-]+\\.html$']
page_budget = {budget}
"""


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    published: date
    paragraphs: tuple[str, ...]
    story: int  # the index of the page it copies, else its own: bench/stories.py checks clusters


class Chain:
    """A word-bigram chain over the replica's German sentences: endless plausible German text."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next: dict[str, list[str]] = defaultdict(list)
        for article in replica_articles("v1"):
            if article.lang != "de":
                continue
            for paragraph in article.paragraphs:
                words = ["^", *paragraph.split(), "$"]
                for a, b in zip(words, words[1:]):
                    self.next[a].append(b)

    def sentence(self, max_words: int = 40) -> str:
        words, word = [], "^"
        while len(words) < max_words:
            word = self.rng.choice(self.next[word])
            if word == "$":
                break
            words.append(word)
        text = " ".join(words)
        return text if text.endswith((".", "!", "?")) else text.rstrip(",;:") + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def title(self) -> str:
        words = self.sentence(max_words=self.rng.randint(5, 10)).rstrip(".").split()
        return " ".join(words)


def build_pages(count: int, rng: random.Random, chain: Chain) -> list[Page]:
    """`count` articles, newest first; some near or exact copies of earlier ones."""
    pages: list[Page] = []
    day = date(2025, 11, 1)
    slugs: set[str] = set()
    for _ in range(count):
        day -= timedelta(days=rng.random() < 0.4)
        roll = rng.random()
        story = len(pages)
        if pages and roll < NEAR_COPY_SHARE + EXACT_COPY_SHARE:
            original = rng.choice(pages)
            paragraphs = original.paragraphs
            if roll < NEAR_COPY_SHARE:
                paragraphs = (chain.paragraph(), *paragraphs[1:])
            title, story = original.title, original.story
        else:
            title = chain.title()
            paragraphs = tuple(chain.paragraph() for _ in range(rng.randint(4, 14)))
        slug = slugify(title)[:60].strip("-") or "meldung"
        while slug in slugs:
            slug = f"{slug}-{rng.randint(2, 999)}"
        slugs.add(slug)
        pages.append(Page(f"/aktuelles/{day.year}/{slug}.html", title, day, paragraphs, story))
    return pages


def render_article(page: Page, rng: random.Random, chain: Chain, menu: str, teasers: list[Page]) -> str:
    """The page in the town template, grown with teasers and script to a log-uniform target size."""
    target = int(math.exp(rng.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": page.title,
                     "datePublished": page.published.isoformat(), "publisher": {"name": f"Stadt {TOWN}"}},
                    ensure_ascii=False)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in page.paragraphs)
    figure = (f'<figure class="image"><img src="/bilder/{rng.randint(1, 9999)}.jpg" alt="">'
              f"<figcaption>{html.escape(chain.sentence(12))} Foto: Stadt {TOWN}</figcaption></figure>")
    dateline = page.published.strftime("%d.%m.%Y")
    main = (f'<main id="inhalt"><nav class="breadcrumb"><a href="/">Startseite</a> › <a href="/aktuelles/">'
            f'Aktuelles</a></nav><article class="news-detail"><h1>{html.escape(page.title)}</h1>'
            f'<p class="date">{dateline}</p>{figure}<div class="news-text">{body}</div>'
            f'<div class="contact">Pressestelle der Stadt {TOWN}, Rathausplatz 1</div></article></main>')
    head = (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{html.escape(page.title)} | '
            f'Stadt {TOWN}</title><meta property="og:site_name" content="Stadt {TOWN}">'
            f'<link rel="canonical" href="{page.path}"><style>{_css(rng)}</style>'
            f'<script type="application/ld+json">{ld}</script></head><body>')
    fixed = len(head) + len(menu) + len(main) + 2000
    sidebar = _sidebar(teasers, rng, int((target - fixed) * 0.6))
    footer = _footer(rng)
    padding = max(0, target - fixed - len(sidebar) - len(footer))
    script = f"<script>var tracking={json.dumps(_noise(rng, padding))};</script>"
    return f"{head}{menu}{main}{sidebar}{footer}{script}</body></html>"


def render_listing(number: int, last: int, entries: list[Page], menu: str) -> str:
    items = "".join(
        f'<li class="news-item"><span class="date">{p.published:%d.%m.%Y}</span> <a href="{p.path}">'
        f"{html.escape(p.title)}</a><p>{html.escape(p.paragraphs[0][:200])} …</p></li>" for p in entries)
    window = range(max(1, number - PAGER_WINDOW), min(last, number + PAGER_WINDOW) + 1)
    pager = "".join(f'<a href="{listing_path(n)}">{n}</a>' for n in sorted({1, *window, last}))
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Aktuelles – Seite {number} | '
            f"Stadt {TOWN}</title></head><body>{menu}<main><h1>Aktuelles</h1><ul>{items}</ul>"
            f'<nav class="pager">{pager}</nav></main></body></html>')


def listing_path(number: int) -> str:
    return "/aktuelles/" if number == 1 else f"/aktuelles/seite-{number}.html"


def generate_site(root: Path, count: int = 3000, seed: int = 1) -> list[str]:
    """Write the site under `root` (replacing it); the article paths, in listing order."""
    rng = random.Random(seed)
    chain = Chain(rng)
    pages = build_pages(count, rng, chain)
    if root.exists():
        shutil.rmtree(root)
    menu = _menu(rng, chain)
    for page in pages:
        write_file(root, page.path, render_article(page, rng, chain, menu, rng.sample(pages, 12)))
    last = math.ceil(len(pages) / PER_LISTING)
    for number in range(1, last + 1):
        entries = pages[(number - 1) * PER_LISTING : number * PER_LISTING]
        write_file(root, listing_path(number), render_listing(number, last, entries, menu))
    write_file(root, "/robots.txt", "User-agent: *\nDisallow: /suche/\n")
    write_file(root, "/urls.txt", "".join(f"{p.path}\n" for p in pages))
    stories = defaultdict(list)
    for page in pages:
        stories[page.story].append(page.path)
    write_file(root, "/stories.json", json.dumps(sorted(g for g in stories.values() if len(g) > 1), indent=0))
    write_file(root, "/source.toml", SOURCE_ENTRY.format(town=TOWN, budget=count + last + 10))
    return [p.path for p in pages]


def _menu(rng: random.Random, chain: Chain) -> str:
    columns = []
    for section in SECTIONS:
        links = "".join(f'<li><a href="/{section.lower()}/{slugify(t)}/">{html.escape(t)}</a></li>'
                        for t in (chain.title()[:40] for _ in range(rng.randint(12, 24))))
        columns.append(f'<li class="menu-section"><a href="/{section.lower()}/">{section}</a><ul>{links}</ul></li>')
    return (f'<header class="site-header"><a class="logo" href="/">Stadt {TOWN}</a><a href="#inhalt">Zum Inhalt '
            f'springen</a><form action="/suche/"><input name="q"></form></header><nav class="main-menu"><ul>'
            f'{"".join(columns)}</ul></nav>')


def _sidebar(teasers: list[Page], rng: random.Random, budget: int) -> str:
    parts, size = [], 0
    while size < budget:
        page = teasers[len(parts) % len(teasers)]
        part = (f'<div class="teaser"><a href="{page.path}"><h3>{html.escape(page.title)}</h3></a>'
                f'<p>{html.escape(page.paragraphs[rng.randrange(len(page.paragraphs))][:300])}</p></div>')
        parts.append(part)
        size += len(part)
    return f'<aside class="sidebar"><h2>Weitere Meldungen</h2>{"".join(parts)}</aside>'


def _footer(rng: random.Random) -> str:
    links = "".join(f'<li><a href="/{name.lower()}/">{name}</a></li>' for name in
                    ("Impressum", "Datenschutz", "Barrierefreiheit", "Kontakt", "Presse", "Karriere"))
    return (f'<footer class="site-footer"><p>Stadt {TOWN} · Rathausplatz 1 · {rng.randint(10000, 99999)} '
            f"{TOWN}</p><ul>{links}</ul><p>Wir verwenden Cookies, um unsere Website zu verbessern.</p></footer>")


def _css(rng: random.Random) -> str:
    rules = (f".c{i}{{margin:{rng.randint(0, 20)}px;color:#{rng.randrange(1 << 24):06x}}}" for i in range(150))
    return "".join(rules)


def _noise(rng: random.Random, size: int) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=size))


def slugify(text: str) -> str:
    text = text.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def write_file(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    paths = generate_site(options.root, options.articles, options.seed)
    total = sum(f.stat().st_size for f in options.root.rglob("*.html"))
    print(f"{len(paths)} articles, {total / 1e6:.0f} MB of HTML in {options.root}")


if __name__ == "__main__":
    main()
