"""A gzip body cut short never becomes a version (reliability.md H8 (a))."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from change_site import Site, article_text, crawl_site, serve
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.compression import RejectedBody, StrictDecompressionMiddleware, inflate_strict
from storage.db import open_db

PAGE = "/news/1.html"
WORDS = sorted({word.strip(".:") for n in range(10) for word in article_text(n).split()})


def varied_page(edition: int) -> bytes:
    """An article of 400 words in no repeating order: half its gzip stream is about half its text.

    (The site's usual pages repeat one sentence, so half their stream holds little beyond the head.)
    """
    rng = random.Random(f"page-{edition}")
    paragraphs = "".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(40))}.</p>" for _ in range(10))
    return (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Meldung 1</title></head>"
            f"<body><nav><a href='/news/'>Aktuelles</a></nav><main><article><h1>Meldung 1</h1>"
            f"{paragraphs}</article></main><footer>Impressum</footer></body></html>").encode()


# --- inflating ----------------------------------------------------------------------------------

BODY = varied_page(1) * 20


@pytest.mark.parametrize("keep", [0.5, 0.99, 10 / 11])
def test_gzip_stream_cut_anywhere_is_rejected_as_truncated(keep):
    packed = gzip.compress(BODY)
    with pytest.raises(RejectedBody) as rejected:
        inflate_strict(packed[: int(len(packed) * keep)], b"gzip", 0)
    assert (rejected.value.outcome, rejected.value.detail) == ("error", "truncated_body")


def test_gzip_without_its_last_trailer_byte_is_rejected():
    packed = gzip.compress(BODY)
    with pytest.raises(RejectedBody, match="cut short"):
        inflate_strict(packed[:-1], b"gzip", 0)


def test_whole_gzip_deflate_and_concatenated_members_inflate_to_the_body():
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert inflate_strict(gzip.compress(BODY), b"gzip", 0) == BODY
    assert inflate_strict(gzip.compress(BODY) + gzip.compress(b"<p>Nachtrag</p>"), b"x-gzip", 0) == BODY + b"<p>Nachtrag</p>"
    assert inflate_strict(gzip.compress(BODY) + b"\n", b"gzip", 0) == BODY  # padding after the end marker
    assert inflate_strict(zlib.compress(BODY), b"deflate", 0) == BODY
    assert inflate_strict(raw_deflate.compress(BODY) + raw_deflate.flush(), b"deflate", 0) == BODY


def test_cut_deflate_and_a_cut_second_gzip_member_are_rejected():
    packed = zlib.compress(BODY)
    with pytest.raises(RejectedBody, match="cut short"):
        inflate_strict(packed[: len(packed) // 2], b"deflate", 0)
    with pytest.raises(RejectedBody, match="cut short"):
        inflate_strict(gzip.compress(BODY) + gzip.compress(BODY)[:40], b"gzip", 0)


def test_gzip_with_a_wrong_checksum_or_no_gzip_at_all_is_rejected_as_corrupt():
    packed = gzip.compress(BODY)
    wrong_crc = packed[:-8] + bytes(4) + packed[-4:]
    for body in (wrong_crc, BODY):
        with pytest.raises(RejectedBody) as rejected:
            inflate_strict(body, b"gzip", 0)
        assert rejected.value.detail == "corrupt_body"


def test_gzip_bomb_stops_at_the_size_limit_as_too_large():
    bomb = gzip.compress(b"\0" * 20_000_000)
    with pytest.raises(RejectedBody) as rejected:
        inflate_strict(bomb, b"gzip", 1_000_000)
    assert rejected.value.outcome == "too_large"


# --- the middleware -----------------------------------------------------------------------------

@pytest.fixture
def middleware() -> StrictDecompressionMiddleware:
    return build_from_crawler(StrictDecompressionMiddleware, get_crawler(Spider, {"DOWNLOAD_MAXSIZE": 1_000_000}))


def packed_response(body: bytes, encoding: str = "gzip") -> Response:
    return HtmlResponse("http://127.0.0.1/news/1.html", body=body,
                        headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": encoding})


def test_middleware_hands_on_the_inflated_page_with_no_encoding_left(middleware):
    page = varied_page(1).replace(b"Meldung 1", "Meldung für Köln".encode())
    response = middleware.process_response(Request("http://127.0.0.1/news/1.html"), packed_response(gzip.compress(page)))
    assert response.body == page
    assert b"Content-Encoding" not in response.headers
    assert "Meldung für Köln" in response.text  # the text encoding comes from the inflated page


def test_middleware_rejects_a_cut_stream_and_leaves_brotli_to_scrapy(middleware):
    packed = gzip.compress(varied_page(1))
    with pytest.raises(RejectedBody) as rejected:
        middleware.process_response(Request("http://127.0.0.1/news/1.html"), packed_response(packed[:300]))
    assert (rejected.value.detail, rejected.value.status) == ("truncated_body", 200)
    assert middleware.stats.get_value("crawler/compression/rejected/truncated_body") == 1
    brotli_response = packed_response(b"\x8b\x03\x80page\x03", "br")
    assert middleware.process_response(Request(brotli_response.url), brotli_response) is brotli_response


# --- a crawl of a site that cuts its gzip stream ----------------------------------------------

@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.publish(3)
    served.pages[PAGE] = varied_page(1)
    server = serve(served)
    yield served
    server.shutdown()


def versions_of(db_path: Path, path: str) -> list[tuple[int, int]]:
    """(version, words) of the article at `path`."""
    db = open_db(db_path)
    try:
        rows = db.execute("SELECT v.version, v.text FROM versions v JOIN articles a ON a.id = v.article_id "
                          "WHERE a.url LIKE ? ORDER BY v.version", [f"%{path}"]).fetchall()
    finally:
        db.close()
    return [(version, len(text.split())) for version, text in rows]


def last_fetch(db_path: Path, path: str) -> tuple[int, str, str | None]:
    db = open_db(db_path)
    try:
        return db.execute("SELECT http_status, outcome, detail FROM fetches WHERE url LIKE ? ORDER BY id DESC",
                          [f"%{path}"]).fetchone()
    finally:
        db.close()


# no quarantine: only the gzip check stands between the cut page and the archive
ALONE = {"CRAWLER_SHRINK_QUARANTINE_RATIO": 0, "CRAWLER_EXTRACT_WORKERS": 0}


@pytest.mark.parametrize("cut", ["half", "half-unframed"])
def test_cut_gzip_page_adds_no_version_and_the_whole_page_next_run_does(site, tmp_path, cut):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, **ALONE)
    full_v1 = versions_of(db_path, PAGE)
    assert [version for version, _ in full_v1] == [1]

    site.pages[PAGE], site.gzipped[PAGE] = varied_page(2), cut
    result = crawl_site(site, tmp_path, db_path, **ALONE)
    assert last_fetch(db_path, PAGE) == (200, "error", "truncated_body")
    assert versions_of(db_path, PAGE) == full_v1
    assert "'crawler/compression/rejected/truncated_body': 1" in result.stderr

    site.gzipped[PAGE] = "whole"
    crawl_site(site, tmp_path, db_path, **ALONE)
    assert last_fetch(db_path, PAGE)[1] == "changed"
    assert versions_of(db_path, PAGE) == [*full_v1, (2, 400)]


def test_without_the_strict_check_the_cut_page_would_become_a_version(site, tmp_path):
    """The fixture bites: Scrapy alone turns the half stream into a 200 and a version of a third of the text."""
    lenient = {**project_settings.DOWNLOADER_MIDDLEWARES, "crawler.compression.StrictDecompressionMiddleware": None}
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, **ALONE)
    site.pages[PAGE], site.gzipped[PAGE] = varied_page(2), "half"
    crawl_site(site, tmp_path, db_path, DOWNLOADER_MIDDLEWARES=lenient, **ALONE)
    (_, words_v1), (_, words_cut) = versions_of(db_path, PAGE)
    assert last_fetch(db_path, PAGE)[1] == "changed"
    assert words_cut < words_v1 / 2
