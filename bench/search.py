"""Search at archive scale: index size, build time, insert cost and query time of FTS5 designs.

    .venv/bin/python bench/search.py                # 100,000 articles, unicode61 and trigram, 5 rounds
    .venv/bin/python bench/search.py --articles 20000 --designs unicode61,trigram_none --expand
    .venv/bin/python bench/search.py --articles 2000 --rounds 1 --inserts 64          # smoke run, ~1 min

The default run is long: 32 minutes at load 10-14 with prefix23 as well, when the bench got about
a third of a core (the trigram build and its queries are most of it); --articles scales it down.
docs/benchmarks.md "Search at 100,000 articles" has the figures and the decision.

Builds an archive with the project's own migrations (storage.db.open_db on a fresh file) and
fills `articles` and `versions` in bulk, without crawling. Text is German from the word-bigram
chain over the replica's articles (bench/site_generator.py), with nouns compounded at random
(`Partnerschaft` + `Konferenz`), numbers and file references, so that the vocabulary grows with
the archive as a real one does. Then, for each index design over `versions`:

- unicode61: the shipped `versions_fts` (words; the search box asks for prefixes);
- prefix23: unicode61 with `prefix='2 3'` (prefix indexes: faster short prefixes, bigger);
- trigram: `tokenize='trigram'` (any substring of 3+ characters, the middle of a compound too);
- trigram_none: the same with `detail=none` (no positions: smaller, but no phrases, no MATCH on
  substrings, no rank; searched with `text LIKE '%word%'`, which the index narrows down);

it reports the size on disk (dbstat), the build time (`rebuild`), the writer's cost per article
(new articles stored in batches of 64 per commit, as the archive writer does, with that index's
trigger against none) and per query the median time over the rounds and the articles found.
`truth` is what a plain case-insensitive substring scan of title + text finds (every word of the
query somewhere): recall is measured against it. Last, the other way to find the middle of a compound:
expanding each word into the OR of the unicode61 index's terms that hold it (the vocabulary read
once through fts5vocab, as a search server would cache it), with that read's time (`--expand`).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_generator import Chain  # noqa: E402  (bench/ is the script's directory)

from storage.db import open_db  # noqa: E402
from storage.fts import fts_query  # noqa: E402

WRITER_BATCH = 64  # crawler/archive_pipeline.py BATCH_ITEMS: articles per commit
COMPOUND_SHARE = 0.08  # of a sentence's capitalised words, joined with another noun
POOL_SENTENCES = 60_000
DESIGNS = {
    "unicode61": None,  # the shipped versions_fts
    "prefix23": "prefix='2 3'",
    "trigram": "tokenize='trigram'",
    "trigram_none": "tokenize='trigram', detail=none",  # no positions: only LIKE '%word%' (text only)
}
# single words, compounds, the middle and end of compounds, hyphens, phrases, rare and frequent words
QUERIES = (
    "Stadt", "Kommunen", "Klimapartnerschaft", "partnerschaft", "klima", "wasser", "Treptow-Köpenick",
    "Städtepartnerschaft Konferenz", '"fairen Handel"', "Drucksache 4711", "Weltklimakonferenz",
)


def sentence_pool(rng: random.Random, count: int) -> list[str]:
    """Chain sentences, some nouns made compounds: the vocabulary grows as a real archive's does."""
    chain = Chain(rng)
    nouns = sorted({w.strip(".,;:!?„“\"()") for ws in chain.next.values() for w in ws
                    if len(w) > 4 and w[0].isupper() and w.strip(".,;:!?„“\"()").isalpha()})
    pool = []
    for _ in range(count):
        words = chain.sentence().split()
        for i, word in enumerate(words):
            if i and word[:1].isupper() and word.isalpha() and rng.random() < COMPOUND_SHARE:
                words[i] = rng.choice(nouns) + word.lower()
        pool.append(" ".join(words))
    return pool


def article_rows(count: int, words: int, seed: int):
    """(title, text) of `count` articles of about `words` words each."""
    rng = random.Random(seed)
    pool = sentence_pool(rng, POOL_SENTENCES)
    per_sentence = statistics.mean(len(s.split()) for s in pool[:2000])
    for n in range(count):
        picked = rng.choices(pool, k=max(1, round(rng.uniform(0.5, 1.5) * words / per_sentence)))
        picked.insert(rng.randrange(len(picked)), f"Drucksache {rng.randrange(10_000)}/{2000 + n % 26}.")
        paragraphs = [" ".join(picked[i:i + 4]) for i in range(0, len(picked), 4)]
        yield " ".join(rng.choice(pool).split()[:8]).rstrip("."), "\n\n".join(paragraphs)


def fill_archive(db_path: Path, count: int, words: int, seed: int) -> tuple[float, int]:
    """Articles and their first versions, without any index triggers; seconds and text bytes."""
    db = open_db(db_path)
    for trigger in ("versions_fts_head", "versions_fts_rewrite"):
        db.execute(f"DROP TRIGGER {trigger}")  # each design is built by `rebuild` below
    db.execute("INSERT INTO sources (name, title) VALUES ('bench', 'bench')")
    started, text_bytes = time.perf_counter(), 0
    with db.conn:
        for n, (title, text) in enumerate(article_rows(count, words, seed), 1):
            text_bytes += len(text.encode())
            insert_article(db.conn, n, title, text)
    db.close()
    return time.perf_counter() - started, text_bytes


def insert_article(conn, n: int, title: str, text: str) -> None:
    conn.execute("INSERT INTO articles (id, canonical_url, source, url, first_seen_at, last_seen_at, "
                 "current_version, text_hash) VALUES (?, ?, 'bench', ?, '2026-01-01', '2026-01-01', 1, ?)",
                 (n, f"https://bench.example/{n}", f"https://bench.example/{n}", str(n)))
    conn.execute("INSERT INTO versions (article_id, version, fetched_at, change_kind, title, text, text_hash) "
                 "VALUES (?, 1, '2026-01-01', 'new', ?, ?, ?)", (n, title, text, str(n)))


def table_name(design: str) -> str:
    return "versions_fts" if DESIGNS[design] is None else f"versions_{design}"


def build_index(conn, design: str) -> tuple[float, int]:
    """Build the design's index over every current version: seconds and bytes on disk."""
    table = table_name(design)
    if DESIGNS[design] is not None:
        conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(title, text, content='versions', "
                     f"content_rowid='id', {DESIGNS[design]})")
    started = time.perf_counter()
    with conn:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    seconds = time.perf_counter() - started
    size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?", (table + "%",)).fetchone()[0]
    return seconds, size


def insert_cost(conn, design: str | None, articles: int, seed: int) -> float:
    """Milliseconds per article to store new articles with `design`'s trigger (None: no index)."""
    if design is not None:
        table = table_name(design)
        conn.execute(f"""CREATE TEMP TRIGGER bench_head AFTER INSERT ON main.versions BEGIN
            INSERT INTO {table} ({table}, rowid, title, text) SELECT 'delete', id, title, text FROM versions
                WHERE article_id = new.article_id AND version = new.version - 1;
            INSERT INTO {table} (rowid, title, text) VALUES (new.id, new.title, new.text); END""")
    first = conn.execute("SELECT max(id) FROM articles").fetchone()[0] + 1
    rows = list(article_rows(articles, 600, seed))
    started = time.perf_counter()
    for start in range(0, articles, WRITER_BATCH):
        with conn:
            for n, (title, text) in enumerate(rows[start:start + WRITER_BATCH], first + start):
                insert_article(conn, n, title, text)
    seconds = time.perf_counter() - started
    with conn:  # leave the archive as it was
        if design is not None:
            conn.execute("DROP TRIGGER bench_head")
            conn.execute(f"INSERT INTO {table} ({table}, rowid, title, text) "
                         "SELECT 'delete', id, title, text FROM versions WHERE article_id >= ?", (first,))
        conn.execute("DELETE FROM versions WHERE article_id >= ?", (first,))
        conn.execute("DELETE FROM articles WHERE id >= ?", (first,))
    return seconds * 1000 / articles


def match_for(design: str, query: str) -> str:
    """The search box's query; for trigram without the `*` (any substring matches there anyway)."""
    match = fts_query(query)
    return match.replace('"*', '"') if design == "trigram" else match


def time_query(conn, design: str, query: str, rounds: int) -> tuple[float, int]:
    """Median ms of the search (ranked, first 100, as the canned query) and the articles matched."""
    table = table_name(design)
    if design == "trigram_none":
        words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', query)]
        where = " AND ".join(f"{table}.text LIKE ?" for _ in words)
        params = [f"%{w}%" for w in words]
        sql = f"SELECT v.title FROM {table} JOIN versions v ON v.id = {table}.rowid WHERE {where} LIMIT 100"
        count_sql = f"SELECT count(*) FROM {table} WHERE {where}"
    else:
        params = [match_for(design, query)]
        sql = (f"SELECT v.title, snippet({table}, 1, '[', ']', '…', 12) FROM {table} "
               f"JOIN versions v ON v.id = {table}.rowid WHERE {table} MATCH ? ORDER BY rank LIMIT 100")
        count_sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), conn.execute(count_sql, params).fetchone()[0]


def truth(haystacks: list[str], query: str) -> int:
    """Articles holding every word of the query as a case-insensitive substring (phrases whole)."""
    words = [w.strip('"').lower() for w in re.findall(r'"[^"]*"|\S+', query)]
    return sum(all(w in haystack for w in words) for haystack in haystacks)


def vocabulary(conn) -> tuple[list[str], float]:
    """Every term of the unicode61 index (fts5vocab reads the whole index) and the seconds it took."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab USING fts5vocab(main, versions_fts, row)")
    started = time.perf_counter()
    terms = [term for (term,) in conn.execute("SELECT term FROM temp.bench_vocab")]
    return terms, time.perf_counter() - started


def fold(word: str) -> str:
    """A word as unicode61 indexes it: lower case, without diacritics (ß stays)."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def expanded_query(terms: list[str], query: str) -> str:
    """Each plain word of 4+ letters as the OR of the index's terms holding it (mid-compound too)."""
    parts = []
    for word in re.findall(r'"[^"]*"|\S+', query):
        folded = fold(word)
        holding = [t for t in terms if folded in t] if folded.isalpha() and len(folded) >= 4 else []
        parts.append("(" + " OR ".join(f'"{t}"' for t in holding) + ")" if holding else fts_query(word))
    return " AND ".join(parts)  # FTS5 wants an explicit AND next to a parenthesised group


def time_expanded(conn, terms: list[str], query: str, rounds: int) -> tuple[float, int, int]:
    """Median ms of expanding the query over the vocabulary and running it; articles and terms."""
    sql = ("SELECT v.title, snippet(versions_fts, 1, '[', ']', '…', 12) FROM versions_fts "
           "JOIN versions v ON v.id = versions_fts.rowid WHERE versions_fts MATCH ? ORDER BY rank LIMIT 100")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        match = expanded_query(terms, query)
        conn.execute(sql, (match,)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    found = conn.execute("SELECT count(*) FROM versions_fts WHERE versions_fts MATCH ?", (match,)).fetchone()[0]
    return statistics.median(times), found, match.count(" OR ") + match.count("(")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=600, help="mean words per article")
    parser.add_argument("--rounds", type=int, default=5, help="timings per query")
    parser.add_argument("--inserts", type=int, default=1024, help="articles stored to time the writer's cost")
    parser.add_argument("--designs", default="unicode61,trigram", help=f"of {','.join(DESIGNS)}")
    parser.add_argument("--expand", action="store_true", help="also time the vocabulary expansion")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="archive file (default: a temporary one, removed)")
    args = parser.parse_args()
    designs = args.designs.split(",")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    import sqlite3
    print(f"# bench/search.py {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
          f"SQLite {sqlite3.sqlite_version}, {args.articles:,} articles, {args.rounds} rounds, load {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "search.db"
        seconds, text_bytes = fill_archive(db_path, args.articles, args.words, args.seed)
        print(f"filled in {seconds:.0f} s: {text_bytes / 1e6:.0f} MB of text, "
              f"{os.path.getsize(db_path) / 1e6:.0f} MB archive without search index")
        conn = open_db(db_path).conn
        conn.isolation_level = ""  # `with conn` commits; sqlite3 opens the transactions
        base_ms = insert_cost(conn, None, args.inserts, args.seed + 1)
        print(f"\n| design | index size | build | writer ms/article (+ index) | load |\n| --- | --- | --- | --- | --- |")
        print(f"| none | 0 | - | {base_ms:.2f} | {load()} |")
        for design in designs:
            build_s, size = build_index(conn, design)
            ms = insert_cost(conn, design, args.inserts, args.seed + 1)
            print(f"| {design} | {size / 1e6:.0f} MB ({size / text_bytes:.2f}× text) | {build_s:.0f} s "
                  f"| {ms:.2f} (+{ms - base_ms:.2f}) | {load()} |")
        print("\n| query | truth | " + " | ".join(f"{d} found / ms" for d in designs) + " |")
        print("| --- | --- |" + " --- |" * len(designs))
        haystacks = [f"{title}\n{text}".lower() for title, text in conn.execute("SELECT title, text FROM versions")]
        for query in QUERIES:
            cells = [time_query(conn, design, query, args.rounds) for design in designs]
            print(f"| `{query}` | {truth(haystacks, query):,} | "
                  + " | ".join(f"{found:,} / {ms:.1f}" for ms, found in cells) + " |")
        if args.expand and "unicode61" in designs:
            terms, seconds = vocabulary(conn)
            print(f"\nvocabulary expansion over unicode61: {len(terms):,} terms read in {seconds:.1f} s (fts5vocab)\n")
            print("| query | truth | expanded found / ms | terms |\n| --- | --- | --- | --- |")
            for query in QUERIES:
                ms, found, count = time_expanded(conn, terms, query, args.rounds)
                print(f"| `{query}` | {truth(haystacks, query):,} | {found:,} / {ms:.1f} | {count:,} |")
        conn.close()
    print(f"# done, load {load()}")


if __name__ == "__main__":
    main()
