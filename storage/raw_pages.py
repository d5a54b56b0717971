"""The raw archive: every article page's bytes as fetched, zstd-compressed, each distinct body once.

A body is addressed by the SHA-256 of its bytes (the `articles.body_hash` that
crawler.conditional compares), so a page fetched again with the same bytes, or served
byte-identical by a mirror, is stored once. `fetches.raw_page_id` and `versions.raw_page_id`
say which body a fetch brought and which body a version was extracted from.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import zstandard
from sqlite_utils import Database

# level 3: 0.27 ms per page and a ratio of 0.22; level 10 saves 10 % more at 5x the time (perf-notes.md)
ZSTD_LEVEL = 3


@dataclass(frozen=True)
class RawPage:
    sha256: str
    size: int
    content_type: str | None
    zstd: bytes  # the compressed body

    def body(self) -> bytes:
        return zstandard.ZstdDecompressor().decompress(self.zstd, max_output_size=self.size)


@dataclass(frozen=True)
class StoredPage:
    """An article with the raw page of its latest full fetch: what `reextract` works on."""

    article_id: int
    source: str
    url: str
    canonical_url: str
    raw_page_id: int


_compressors = threading.local()  # a ZstdCompressor is reusable but not thread-safe: one per thread


def pack_raw_page(body: bytes, content_type: str | None, sha256: str | None = None) -> RawPage:
    """Compress a fetched body; `sha256` when the caller already hashed it."""
    digest = sha256 or hashlib.sha256(body).hexdigest()
    compressor = getattr(_compressors, "zstd", None)
    if compressor is None:  # setting up a compressor took a quarter of the time compressing a page did
        compressor = _compressors.zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return RawPage(digest, len(body), content_type, compressor.compress(body))


def store_raw_page(db: Database, page: RawPage, fetched_at: str) -> int:
    """The id of `page` in the archive, inserting it unless the same bytes are there already.

    Writes no transaction of its own: callers run it inside theirs (record_article's).
    """
    inserted = db.conn.execute(
        "INSERT INTO raw_pages (sha256, size, content_type, first_fetched_at, zstd) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(sha256) DO NOTHING",
        [page.sha256, page.size, page.content_type, fetched_at, page.zstd],
    )
    if inserted.rowcount == 1:  # new bytes: their id is the row just inserted, no lookup needed
        assert inserted.lastrowid is not None  # an INSERT into a rowid table sets it
        return int(inserted.lastrowid)
    return int(db.conn.execute("SELECT id FROM raw_pages WHERE sha256 = ?", [page.sha256]).fetchone()[0])


def load_raw_page(db: Database, raw_page_id: int) -> RawPage:
    row = db.execute("SELECT sha256, size, content_type, zstd FROM raw_pages WHERE id = ?", [raw_page_id]).fetchone()
    if row is None:
        raise KeyError(f"no raw page {raw_page_id}")
    return RawPage(*row)


def latest_raw_pages(db: Database, source: str | None = None) -> Iterator[StoredPage]:
    """Every article (of `source`) with the raw page of its latest fetch that brought one."""
    sql = (
        "SELECT a.id, a.source, a.url, a.canonical_url, "  # noqa: S608 (fixed WHERE)
        "(SELECT f.raw_page_id FROM fetches f WHERE f.article_id = a.id AND f.raw_page_id IS NOT NULL "
        " ORDER BY f.id DESC LIMIT 1) AS raw_page_id "
        "FROM articles a" + (" WHERE a.source = ?" if source else "") + " ORDER BY a.source, a.id"
    )
    for row in db.execute(sql, [source] if source else []).fetchall():
        if row[4] is not None:
            yield StoredPage(*row)
