"""The meta-refresh check decodes a page only when the part Scrapy reads could name a refresh.

Scrapy's MetaRefreshMiddleware reads the first 4,096 characters of `response.text`, which decodes
(and keeps) the whole body; `may_hold_meta_refresh` looks at bytes first. It must never say no
where Scrapy would find a refresh, in any encoding a page arrives in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh

from crawler.redirects import may_hold_meta_refresh

PAGES = Path(__file__).parent / "pages"
REFRESH = '<html><head><title>Umzug</title><meta http-equiv="{word}" content="0; url=/neu.html"></head><body>{pad}</body></html>'
ENCODINGS = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be", "cp1252", "iso-8859-2", "shift_jis")


def scrapy_refresh(body: bytes, encoding: str | None = None) -> tuple:
    response = HtmlResponse("https://stadt.example/alt.html", body=body, encoding=encoding)
    return get_meta_refresh(response)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("word", ["refresh", "Refresh", "REFRESH"])
def test_a_refresh_scrapy_reads_is_never_skipped_in_any_encoding(encoding, word):
    body = REFRESH.format(word=word, pad="Seite umgezogen. " * 20).encode(encoding)
    assert scrapy_refresh(body, encoding)[1].startswith("https://stadt.example/neu.html")  # a BOM adds a query
    assert may_hold_meta_refresh(body)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_page_naming_no_refresh_is_skipped(encoding):
    body = REFRESH.format(word="content-language", pad="Die Partnerschaft waechst. " * 50).encode(encoding)
    assert scrapy_refresh(body, encoding) == (None, None)
    assert not may_hold_meta_refresh(body)


def test_on_every_test_page_a_skip_is_a_page_where_scrapy_finds_no_refresh():
    pages = sorted(PAGES.glob("*.html"))
    assert len(pages) > 20
    for page in pages:
        body = page.read_bytes()
        if not may_hold_meta_refresh(body):
            assert scrapy_refresh(body) == (None, None), page.name


def test_a_refresh_past_the_4096_characters_scrapy_reads_is_not_one_either_way():
    body = REFRESH.format(word="refresh", pad="").encode()
    late = b"<html><head><title>x</title>" + b"<!-- " + b"x" * 20_000 + b" -->" + body[6:]
    assert scrapy_refresh(late) == (None, None)
    assert not may_hold_meta_refresh(late)
