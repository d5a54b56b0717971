"""What flows between the crawl steps. Plain dataclasses: picklable, no Scrapy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.extract import Article
    from crawler.identity import UrlIdentity
    from storage.fingerprint import Fingerprint


@dataclass
class PageItem:
    """A fetched article page, or a failed fetch of one, as discovery hands it on."""

    url: str
    source: str
    fetched_at: str
    http_status: int | None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    outcome: str | None = None  # set when the page will store no version: error, gone, no_article…
    detail: str | None = None  # why, for the fetches log (error class, extractor's reason)
    identity: UrlIdentity | None = None  # the source's URL identity rules (crawler/identity.py)
    body_hash: str | None = None  # SHA-256 of the raw body (crawler.conditional), kept per article
    canonical_url: str | None = None  # identity.of(url), which the archive writer files the fetch under


@dataclass
class ArticleItem:
    """An article extracted from a page, ready for the archive."""

    source: str
    fetched_at: str
    http_status: int
    article: Article
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    body: bytes = b""  # the raw page, for the raw archive (storage/raw_pages.py)
    content_type: str | None = None
    fingerprint: Fingerprint | None = None  # of article.text, computed by the extraction worker
    site_key: str | None = None  # crawler.site_pages.site_key of article.text, computed by the extraction worker


# request meta keys shared by the spider and crawler.conditional
META_ARTICLE = "partnerwatch_article"  # an article request: may be made conditional
META_OUTCOME = "partnerwatch_outcome"  # not_modified (a 304) or unchanged (same bytes): skip extraction
META_BODY_HASH = "partnerwatch_body_hash"  # SHA-256 of the response body
META_IDENTITY = "partnerwatch_identity"  # the source's UrlIdentity: how the article is filed
META_LISTED_MODIFIED = "partnerwatch_listed_modified"  # a sitemap lastmod / feed updated for the link


def now_iso() -> str:
    """Now, as the archive writes times: UTC ISO 8601 to the microsecond.

    To the second, a run that ended and the next that started in the same second could not be
    told apart by their times, and "since run N" took in the end of run N-1.
    """
    return (datetime.now(UTC) + CLOCK_SHIFT).isoformat(timespec="microseconds")


# A simulation's clock (bench/revisit.py runs sixty nights in minutes): every time the archive
# writes, and the night the revisit policy sees, moved by this many days. Never set in production.
CLOCK_SHIFT = timedelta(days=int(os.environ.get("PARTNERWATCH_CLOCK_SHIFT_DAYS") or 0))
