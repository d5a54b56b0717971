"""A gzip, deflate, brotli or zstd body cut short never becomes a version (reliability.md H8 (a))."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from change_site import Site, article_text, crawl_site, serve
from hostile_server import HostileServer, Reply, crawl_sources, write_sources
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.compression import RejectedBody, StrictDecompressionMiddleware, inflate_strict, zstd
from storage.db import open_db
from storage.runs import run_report

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


def test_middleware_rejects_a_cut_stream_and_leaves_unknown_encodings_to_scrapy(middleware):
    packed = gzip.compress(varied_page(1))
    with pytest.raises(RejectedBody) as rejected:
        middleware.process_response(Request("http://127.0.0.1/news/1.html"), packed_response(packed[:300]))
    assert (rejected.value.detail, rejected.value.status) == ("truncated_body", 200)
    assert middleware.stats.get_value("crawler/compression/rejected/truncated_body") == 1
    unknown = packed_response(b"\x1f\x9d\x90page", "compress")
    assert middleware.process_response(Request(unknown.url), unknown) is unknown


# --- brotli and zstd ------------------------------------------------------------------------------

PACKERS = {b"br": brotli.compress, b"zstd": zstd.compress}


def cut_points(packed: bytes) -> list[int]:
    """10 %, half, 90 % of the stream, and all of it but its last byte."""
    return [len(packed) // 10, len(packed) // 2, len(packed) * 9 // 10, len(packed) - 1]


@pytest.mark.parametrize("encoding", PACKERS)
def test_brotli_or_zstd_stream_cut_anywhere_is_rejected_as_truncated(encoding):
    packed = PACKERS[encoding](BODY)
    for cut in cut_points(packed):
        with pytest.raises(RejectedBody) as rejected:
            inflate_strict(packed[:cut], encoding, 0)
        assert (rejected.value.outcome, rejected.value.detail) == ("error", "truncated_body"), cut
    assert inflate_strict(packed, encoding, 0) == BODY


def test_whole_zstd_frames_inflate_with_skippable_frames_and_padding_and_a_cut_second_frame_does_not():
    first, second = zstd.compress(BODY), zstd.compress(b"<p>Nachtrag</p>")
    skippable = (0x184D2A53).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    assert inflate_strict(skippable + first + second + b"\n", b"zstd", 0) == BODY + b"<p>Nachtrag</p>"
    with pytest.raises(RejectedBody, match="cut short"):
        inflate_strict(first + second[:-2], b"zstd", 0)


@pytest.mark.parametrize("encoding", PACKERS)
def test_brotli_or_zstd_that_is_not_compressed_is_corrupt_and_a_bomb_too_large(encoding):
    with pytest.raises(RejectedBody) as rejected:
        inflate_strict(BODY, encoding, 0)
    assert rejected.value.detail == "corrupt_body"
    with pytest.raises(RejectedBody) as rejected:
        inflate_strict(PACKERS[encoding](b"\0" * 20_000_000), encoding, 1_000_000)
    assert rejected.value.outcome == "too_large"


@pytest.mark.parametrize("encoding", PACKERS)
def test_middleware_decodes_a_whole_brotli_or_zstd_page_once(middleware, encoding):
    page = varied_page(3).replace(b"Meldung 1", "Meldung für Köln".encode())
    response = middleware.process_response(Request("http://127.0.0.1/news/1.html"),
                                           packed_response(PACKERS[encoding](page), encoding.decode()))
    assert response.body == page and b"Content-Encoding" not in response.headers
    assert "Meldung für Köln" in response.text


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


# --- a crawl of a site that cuts its brotli and zstd streams ---------------------------------

def packed_reply(body: bytes, encoding: bytes, keep: float = 1.0) -> Reply:
    """`body` compressed; `keep` < 1 sends only that share of the stream, with a Content-Length to match."""
    packed = PACKERS[encoding](body)
    packed = packed[: int(len(packed) * keep)]
    return Reply(200, packed, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": encoding.decode()})


def crawl_town(tmp_path: Path, site: HostileServer, **settings) -> tuple[int, dict]:
    entry = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
             "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/.+\\.html$"]}
    crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry}), [site.netloc], **{**ALONE, **settings})
    db = open_db(tmp_path / "archive.db")
    try:
        run_id = db.execute("SELECT max(id) FROM runs").fetchone()[0]
        return run_id, run_report(db, run_id)
    finally:
        db.close()


def test_cut_brotli_and_zstd_pages_add_no_version_and_are_fetched_whole_next_run(tmp_path):
    # path -> (encoding, first edition): each page its own text, or one would be the other's duplicate
    pages = {"/news/br.html": (b"br", 1), "/news/zstd.html": (b"zstd", 11)}
    db_path = tmp_path / "archive.db"
    with HostileServer() as site:
        site.page("/news/", links=list(pages))
        for path, (encoding, edition) in pages.items():
            site.routes[path] = packed_reply(varied_page(edition), encoding)
        crawl_town(tmp_path, site)
        full_v1 = {path: versions_of(db_path, path) for path in pages}
        assert all(v == [(1, 400)] for v in full_v1.values()), full_v1

        for keep in (0.9, 0.5):
            for path, (encoding, edition) in pages.items():
                site.routes[path] = packed_reply(varied_page(edition + 1), encoding, keep)
            _, report = crawl_town(tmp_path, site)
            for path in pages:
                assert last_fetch(db_path, path) == (200, "error", "truncated_body")
                assert versions_of(db_path, path) == full_v1[path]
            assert report["sources"]["town"]["details"]["error"] == {"truncated_body": 2}
            assert report["errors"] == 2

        for path, (encoding, edition) in pages.items():
            site.routes[path] = packed_reply(varied_page(edition + 1), encoding)
        crawl_town(tmp_path, site)
    for path in pages:
        assert last_fetch(db_path, path)[1] == "changed"
        assert versions_of(db_path, path) == [*full_v1[path], (2, 400)]


def test_without_the_strict_check_cut_brotli_and_zstd_would_be_stored(tmp_path):
    """The fixture bites: Scrapy alone stores 90 % of a brotli stream as a version and a cut zstd frame as nothing."""
    lenient = {**project_settings.DOWNLOADER_MIDDLEWARES, "crawler.compression.StrictDecompressionMiddleware": None}
    with HostileServer() as site:
        site.page("/news/", links=["/news/br.html", "/news/zstd.html"])
        site.routes["/news/br.html"] = packed_reply(varied_page(1), b"br")
        site.routes["/news/zstd.html"] = packed_reply(varied_page(11), b"zstd")
        crawl_town(tmp_path, site)
        site.routes["/news/br.html"] = packed_reply(varied_page(2), b"br", 0.9)
        site.routes["/news/zstd.html"] = packed_reply(varied_page(12), b"zstd", 0.9)
        crawl_town(tmp_path, site, DOWNLOADER_MIDDLEWARES=lenient)
    (_, words_v1), (_, words_cut) = versions_of(tmp_path / "archive.db", "/news/br.html")
    assert last_fetch(tmp_path / "archive.db", "/news/br.html")[1] == "changed"
    assert words_cut < words_v1
    assert last_fetch(tmp_path / "archive.db", "/news/zstd.html")[1:] == ("no_article", "empty body")
