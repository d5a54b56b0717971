"""Schema of the archive. Shipped migrations are never edited: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.urls import canonical_url

migrations = Migrations("partnerwatch")


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            title TEXT,
            home_url TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            spider TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'running',
            finish_reason TEXT,
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_changed INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            no_article INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            stats TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            canonical_url TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL REFERENCES sources(name),
            url TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            current_version INTEGER NOT NULL,
            text_hash TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT
        )"""
    )
    db.execute("CREATE INDEX articles_source ON articles(source)")
    db.execute(
        """
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            fetched_at TEXT NOT NULL,
            change_kind TEXT NOT NULL,
            title TEXT,
            text TEXT NOT NULL,
            published_at TEXT,
            published_raw TEXT,
            author TEXT,
            language TEXT,
            language_probability REAL,
            text_hash TEXT NOT NULL,
            words_added INTEGER NOT NULL DEFAULT 0,
            words_removed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (article_id, version)
        )"""
    )
    db.execute(
        """
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            source TEXT,
            url TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id),
            fetched_at TEXT NOT NULL,
            http_status INTEGER,
            outcome TEXT NOT NULL,
            detail TEXT
        )"""
    )
    db.execute("CREATE INDEX fetches_run ON fetches(run_id)")


@migrations()
def m002_change_monitoring(db: Database) -> None:
    """Validators, tombstones and link flags on articles; full-text search over current texts."""
    for column in (
        "body_hash TEXT",  # SHA-256 of the last fetched raw body: an identical body skips extraction
        "gone_streak INTEGER NOT NULL DEFAULT 0",  # consecutive completed runs answering 404/410
        "gone_at TEXT",  # the tombstone: set after CRAWLER_GONE_AFTER_RUNS such runs
        "unlinked_at TEXT",  # reachable, but no listing/feed linked it in a completed run
    ):
        db.execute(f"ALTER TABLE articles ADD COLUMN {column}")
    db.execute("ALTER TABLE runs ADD COLUMN articles_gone INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX articles_url ON articles(url)")
    db.execute("CREATE INDEX versions_run ON versions(run_id)")
    db.execute("CREATE INDEX fetches_article ON fetches(article_id)")
    # External-content FTS5 over `versions` that indexes only each article's current version:
    # search never finds words an edit removed, and no text is stored twice. Versions are
    # append-only, so one trigger suffices: it swaps the previous head for the new one.
    db.execute(
        'CREATE VIRTUAL TABLE versions_fts USING fts5(title, text, content="versions", content_rowid="id")'
    )
    db.execute(
        """
        CREATE TRIGGER versions_fts_head AFTER INSERT ON versions BEGIN
            INSERT INTO versions_fts (versions_fts, rowid, title, text)
                SELECT 'delete', id, title, text FROM versions
                WHERE article_id = new.article_id AND version = new.version - 1;
            INSERT INTO versions_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END"""
    )
    # a later rewrite of the current version's text (issue 6 blanks an exact duplicate's copy)
    # must reach the index too, or the next swap would delete words the index never held
    db.execute(
        """
        CREATE TRIGGER versions_fts_rewrite AFTER UPDATE OF title, text ON versions
        WHEN EXISTS (SELECT 1 FROM articles WHERE id = new.article_id AND current_version = new.version)
        BEGIN
            INSERT INTO versions_fts (versions_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO versions_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END"""
    )
    db.execute(
        "INSERT INTO versions_fts (rowid, title, text) SELECT v.id, v.title, v.text FROM versions v "
        "JOIN articles a ON a.id = v.article_id AND v.version = a.current_version"
    )


@migrations()
def m003_duplicates(db: Database) -> None:
    # One row per story found on two or more pages; single articles have no cluster.
    db.execute(
        """
        CREATE TABLE clusters (
            id INTEGER PRIMARY KEY,
            origin_article_id INTEGER REFERENCES articles(id),
            articles INTEGER NOT NULL DEFAULT 0,
            sources INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("ALTER TABLE articles ADD COLUMN cluster_id INTEGER REFERENCES clusters(id)")
    db.execute("ALTER TABLE articles ADD COLUMN is_cluster_origin INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE articles ADD COLUMN duplicate_of INTEGER REFERENCES articles(id)")
    db.execute("CREATE INDEX articles_cluster ON articles(cluster_id)")
    # An exact duplicate's version stores its text once: text '' and a pointer to the version holding it.
    db.execute("ALTER TABLE versions ADD COLUMN text_version_id INTEGER REFERENCES versions(id)")
    db.execute("CREATE INDEX versions_text_hash ON versions(text_hash)")
    db.execute(
        """
        CREATE VIEW version_texts AS
        SELECT v.id AS version_id, v.article_id, v.version, COALESCE(src.text, v.text) AS text
        FROM versions v LEFT JOIN versions src ON src.id = v.text_version_id"""
    )
    # The near-duplicate index: derived data, rebuilt per article on each new version.
    db.execute(
        """
        CREATE TABLE minhash_signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            signature BLOB NOT NULL,
            shingles INTEGER NOT NULL,
            passages BLOB NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE minhash_bands (
            band INTEGER NOT NULL,
            hash INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (band, hash, article_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """
        CREATE TABLE passages (
            hash INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (hash, article_id)
        ) WITHOUT ROWID"""
    )


@migrations()
def m004_run_reports(db: Database) -> None:
    # A run is one crawl job (nightly or `partnerwatch crawl`); it may start several spider
    # processes, which all write their fetches under the job's run id (CRAWLER_RUN_ID).
    db.execute("ALTER TABLE runs ADD COLUMN trigger TEXT")  # schedule | catch-up | manual | scrapy
    db.execute("ALTER TABLE runs ADD COLUMN run_date TEXT")  # the night a scheduled run serves
    db.execute("ALTER TABLE runs ADD COLUMN failures TEXT")  # JSON list of reasons it failed
    db.execute("ALTER TABLE runs ADD COLUMN report_path TEXT")
    db.execute("CREATE INDEX runs_run_date ON runs(run_date)")
    db.execute(
        """
        CREATE TABLE run_sources (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source TEXT NOT NULL,
            spider TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            finish_reason TEXT,
            exit_code INTEGER,
            requests INTEGER NOT NULL DEFAULT 0,
            responses_ok INTEGER NOT NULL DEFAULT 0,
            exceptions TEXT,
            outcome TEXT NOT NULL DEFAULT 'running',
            failures TEXT,
            PRIMARY KEY (run_id, source)
        )"""
    )
    db.execute("CREATE INDEX fetches_run_source ON fetches(run_id, source, outcome)")
    # counts are never stored twice: they are always this grouping of the fetch log
    db.execute(
        """
        CREATE VIEW run_source_counts AS
        SELECT run_id, source, outcome, detail, count(*) AS fetches
        FROM fetches GROUP BY run_id, source, outcome, detail"""
    )


@migrations()
def m005_raw_pages_and_templates(db: Database) -> None:
    # Raw archive: each distinct body once (keyed by its SHA-256, the articles.body_hash of
    # crawler.conditional), zstd-compressed; fetches and versions point at the body they came from.
    db.execute(
        """
        CREATE TABLE raw_pages (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            content_type TEXT,
            first_fetched_at TEXT NOT NULL,
            zstd BLOB NOT NULL
        )"""
    )
    db.execute("ALTER TABLE fetches ADD COLUMN raw_page_id INTEGER REFERENCES raw_pages(id)")
    db.execute("ALTER TABLE versions ADD COLUMN raw_page_id INTEGER REFERENCES raw_pages(id)")
    # the latest raw page of an article: its last fetch that carries one
    db.execute("CREATE INDEX fetches_article_raw ON fetches(article_id, raw_page_id)")
    # Site templates: the paragraphs a source repeats on many of its pages, never stored as text.
    db.execute(
        """
        CREATE TABLE template_blocks (
            source TEXT NOT NULL,
            block TEXT NOT NULL,
            learned_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            PRIMARY KEY (source, block)
        )"""
    )
    # the learner's counts (crawler.boilerplate.TemplateLearner.to_json, zstd), so later runs go on counting
    db.execute(
        """
        CREATE TABLE template_learners (
            source TEXT PRIMARY KEY,
            pages INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            state BLOB NOT NULL
        )"""
    )


@migrations()
def m006_cluster_roots(db: Database) -> None:
    # Clusters become a union-find forest (issue 17): a merge points the smaller root at the larger
    # (`parent_id`) instead of rewriting members, and only a root's origin and counts are kept.
    # `articles.cluster_id` stays the cluster an article joined; its story is that cluster's root.
    db.execute("ALTER TABLE clusters ADD COLUMN parent_id INTEGER REFERENCES clusters(id)")
    db.execute("CREATE INDEX clusters_parent ON clusters(parent_id)")
    # members per source of each root, so `clusters.sources` is counted, never recounted
    db.execute(
        """
        CREATE TABLE cluster_sources (
            cluster_id INTEGER NOT NULL REFERENCES clusters(id),
            source TEXT NOT NULL,
            articles INTEGER NOT NULL,
            PRIMARY KEY (cluster_id, source)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO cluster_sources (cluster_id, source, articles) "
        "SELECT cluster_id, source, COUNT(*) FROM articles WHERE cluster_id IS NOT NULL GROUP BY cluster_id, source"
    )
    # words of each indexed text: a quote links only when it is a large share of the shorter text;
    # texts indexed before this migration are estimated from their shingle count
    db.execute("ALTER TABLE minhash_signatures ADD COLUMN words INTEGER")
    db.execute("UPDATE minhash_signatures SET words = shingles + 4")
    # Each clustered article with its story (the root) and the story's origin, resolved through the
    # forest: what `duplicate_of` and `is_cluster_origin` mean to readers (export, Datasette).
    db.execute(
        """
        CREATE VIEW article_clusters AS
        WITH RECURSIVE roots (cluster_id, root_id) AS (
            SELECT id, id FROM clusters WHERE parent_id IS NULL
            UNION ALL
            SELECT c.id, r.root_id FROM clusters c JOIN roots r ON c.parent_id = r.cluster_id
        )
        SELECT a.id AS article_id, r.root_id AS cluster_id, c.origin_article_id,
               a.id = c.origin_article_id AS is_cluster_origin,
               CASE WHEN a.id = c.origin_article_id THEN NULL ELSE c.origin_article_id END AS duplicate_of
        FROM articles a JOIN roots r ON r.cluster_id = a.cluster_id JOIN clusters c ON c.id = r.root_id"""
    )


@migrations()
def m007_volatile_lines(db: Database) -> None:
    # Lines of a source's texts that differed only in clocks and counters (storage/volatile_lines.py):
    # one row per line skeleton; `seen` >= 2 fetches means remembered, and such lines never make a change.
    db.execute(
        """
        CREATE TABLE volatile_lines (
            source TEXT NOT NULL,
            skeleton_hash TEXT NOT NULL,
            skeleton TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            seen INTEGER NOT NULL,
            PRIMARY KEY (source, skeleton_hash)
        ) WITHOUT ROWID"""
    )


@migrations()
def m008_article_status(db: Database) -> None:
    # A 404 is news at once ("missing since last night"), a tombstone only after
    # CRAWLER_GONE_AFTER_RUNS completed runs of them (a 410: the first).
    db.execute("ALTER TABLE articles ADD COLUMN missing_since TEXT")  # first 404/410 of the current streak
    db.execute("ALTER TABLE articles ADD COLUMN returned_at TEXT")  # last answer with its text after one
    # an archive from before: missing since the first 404/410 after the last answer with its text
    # (the fetch outcomes that reach the text, as of this migration)
    db.execute(
        """
        UPDATE articles SET missing_since = (
            SELECT min(f.fetched_at) FROM fetches f WHERE f.article_id = articles.id AND f.outcome = 'gone'
            AND f.id > coalesce((SELECT max(r.id) FROM fetches r WHERE r.article_id = articles.id AND r.outcome IN
                ('new', 'changed', 'metadata', 'unchanged', 'not_modified', 'revived', 'quarantined')), 0))"""
    )
    # the one definition of an article's status, read by export, `changes` and Datasette
    db.execute(
        """
        CREATE VIEW article_status AS
        SELECT id AS article_id, source, canonical_url,
            CASE WHEN gone_at IS NOT NULL THEN 'gone'
                 WHEN missing_since IS NOT NULL THEN 'missing'
                 WHEN unlinked_at IS NOT NULL THEN 'unlinked'
                 ELSE 'live' END AS status,
            missing_since, gone_at, unlinked_at, returned_at, last_seen_at
        FROM articles"""
    )


@migrations()
def m009_site_pages(db: Database) -> None:
    # Site-level pages (maintenance, login or cookie walls, soft 404s) recognised by their text
    # being served under many article URLs of one source in one run (storage/site_pages.py).
    # `key` is crawler.site_pages.site_key of the text: a later run knows it at once, on one URL.
    db.execute(
        """
        CREATE TABLE site_pages (
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            urls INTEGER NOT NULL,
            first_run_id INTEGER REFERENCES runs(id),
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            title TEXT,
            excerpt TEXT,
            PRIMARY KEY (source, key)
        ) WITHOUT ROWID"""
    )


@migrations()
def m013_run_owner(db: Database) -> None:
    # the process that runs the run ("pid:start ticks", storage.lock.process_identity): a run left
    # `running` is aborted only once that process is gone, never while it still crawls
    db.execute("ALTER TABLE runs ADD COLUMN owner TEXT")


@migrations()
def m011_url_identity(db: Database) -> None:
    # Article identities in today's form (storage/urls.py canonical_url: spaces and umlauts
    # percent-encoded, IDNA host, escapes in upper case), so a page fetched again after the
    # upgrade finds its article. When two old identities become one, the older article keeps it
    # and the other keeps its old identity (OR IGNORE): merging histories is not a migration's call.
    db.conn.create_function("url_identity", 1, canonical_url, deterministic=True)
    db.execute("UPDATE OR IGNORE articles SET canonical_url = url_identity(canonical_url) "
               "WHERE canonical_url != url_identity(canonical_url)")
