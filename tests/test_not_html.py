"""A crawl meets bodies that are no text page: they are logged as not_html and stored as nothing.

Real crawl subprocesses against HostileServer on 127.0.0.1; the files are those of binary_files.py.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from archive_items import Art
from binary_files import FILES, png_file
from hostile_server import ARTICLE_TEXT, HostileServer, Reply, crawl_sources, write_sources

from crawler.reextract import reextract
from storage.articles import ensure_source, record_article
from storage.db import open_db
from storage.raw_pages import pack_raw_page
from storage.runs import judge_source, run_report

HTML = "text/html; charset=utf-8"


def reply(body: bytes, content_type: str = HTML, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": content_type, **headers})


def page(title: str, text: str, codec: str = "utf-8") -> bytes:
    return (f"<html lang='de'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{text}</p><p>{text}</p></article></body></html>").encode(codec)


def entry(site: HostileServer) -> dict:
    return {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
            "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/.+\\.html$"]}


def crawl(tmp_path: Path, town: HostileServer, downloads: HostileServer) -> tuple:
    sources = write_sources(tmp_path, {"town": entry(town), "downloads": entry(downloads)})
    result = crawl_sources(tmp_path, sources, [town.netloc, downloads.netloc])
    db = open_db(result.db_path)
    try:
        run_id = db.execute("SELECT max(id) FROM runs").fetchone()[0]
        return result, run_report(db, run_id)
    finally:
        db.close()


def fetched(result, run: int) -> dict[str, tuple]:
    """{path: (outcome, detail)} of run `run`."""
    return {row["url"].split("/", 3)[3]: (row["outcome"], row["detail"])
            for row in result.fetches() if row["run_id"] == run}


def article_state(db_path: Path, path: str) -> tuple:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT current_version, gone_at, gone_streak, last_seen_at, "
                          "(SELECT count(*) FROM versions v WHERE v.article_id = a.id) "
                          "FROM articles a WHERE url LIKE ?", [f"%{path}"]).fetchone()


def test_binary_bodies_are_not_html_store_nothing_and_a_known_article_keeps_its_version(tmp_path):
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    with HostileServer() as town, HostileServer() as downloads:
        bodies = {
            "news/1.html": reply(page("Meldung eins", ARTICLE_TEXT)),
            "news/2.html": reply(FILES["jpeg"][0]()),
            "news/3.html": reply(FILES["docx"][0]()),
            "news/4.html": reply(FILES["random"][0](), "application/octet-stream"),
            # compressed twice: the body under Content-Encoding is a gzip file again
            "news/5.html": reply(gzip.compress(gzip.compress(page("Fünf", ARTICLE_TEXT))), **{"Content-Encoding": "gzip"}),
            # text that must still pass: UTF-16 without a BOM or charset, and a page with stray controls
            "news/6.html": reply(page("Sechs", "Schulpartnerschaft mit Ntoro. " * 20, "utf-16-le"), "text/html"),
            "news/7.html": reply(page("Sieben", "Wasserversorgung\x0b in der Partnerstadt\x00 wird ausgebaut. " * 12)),
        }
        town.page("/news/", links=[f"/{path}" for path in bodies])
        for path, answer in bodies.items():
            town.routes[f"/{path}"] = answer
        downloads.page("/news/", links=["/news/plan.html", "/news/logo.html"])
        downloads.routes["/news/plan.html"] = reply(FILES["pdf"][0]())
        downloads.routes["/news/logo.html"] = reply(png_file(), "image/png")

        result, report = crawl(tmp_path, town, downloads)
        assert fetched(result, 1) == {
            "news/1.html": ("new", None), "news/2.html": ("not_html", "image/jpeg"),
            "news/3.html": ("not_html", docx), "news/4.html": ("not_html", "application/octet-stream"),
            "news/5.html": ("not_html", "application/gzip"), "news/6.html": ("new", None),
            "news/7.html": ("new", None),
            "news/plan.html": ("not_html", "application/pdf"), "news/logo.html": ("not_html", "image/png")}
        with sqlite3.connect(result.db_path) as db:
            stored = sorted(url.rsplit("/", 1)[1] for (url,) in db.execute("SELECT url FROM articles"))
        assert stored == ["1.html", "6.html", "7.html"]
        assert result.stat("crawler/extract/not_html") == 6
        assert result.stat("crawler/extract/not_html/image/jpeg") == 1
        # the run report counts them, per source and in the run's no-article total
        town_report, downloads_report = report["sources"]["town"], report["sources"]["downloads"]
        assert town_report["counts"] == {"new": 3, "not_html": 4}
        assert town_report["details"]["not_html"] == {"image/jpeg": 1, docx: 1, "application/octet-stream": 1,
                                                      "application/gzip": 1}
        assert report["no_article"] == 6 and report["articles_new"] == 3
        # a source of downloads only is no failure: it never had an article
        assert (downloads_report["outcome"], downloads_report["counts"]) == ("ok", {"not_html": 2})
        assert report["outcome"] == "ok"

        before = article_state(result.db_path, "/news/1.html")
        town.routes["/news/1.html"] = reply(FILES["pdf"][0]())  # the article's URL now serves its PDF
        result, report = crawl(tmp_path, town, downloads)
        assert fetched(result, 2)["news/1.html"] == ("not_html", "application/pdf")
        assert article_state(result.db_path, "/news/1.html") == before  # same version, no tombstone, not seen
        assert report["sources"]["town"]["outcome"] == "ok"

        town.routes["/news/1.html"] = bodies["news/1.html"]  # the page is back, byte for byte
        result, _ = crawl(tmp_path, town, downloads)
    assert fetched(result, 3)["news/1.html"] == ("unchanged", "same body")
    assert article_state(result.db_path, "/news/1.html")[0::4] == (1, 1)


def source_row(**row) -> dict:
    return {"exit_code": 0, "finish_reason": "finished", "exceptions": None, "requests": 4, "responses_ok": 4,
            **row}


def test_source_judged_on_not_html_fails_only_when_its_known_articles_all_answered_binary():
    assert judge_source(source_row(), {"not_html": 4}, had_articles=False) == []
    assert judge_source(source_row(), {"not_html": 3, "unchanged": 1}, had_articles=True) == []
    assert judge_source(source_row(), {"not_html": 4}, had_articles=True) == [
        "the source had articles but this run found none (4 answered with a body that is no text page: not_html)"]


def test_reextract_leaves_an_article_stored_from_a_pdf_before_sniffing_as_it_is(tmp_path):
    """An archive from before this check holds mojibake "articles" of PDFs: re-extraction says not_html."""
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "skew")
    pdf = FILES["pdf"][0]()
    mojibake = Art(text="ï´Ã=è$ZsÄr¿:r!Œ&ºlEÃ\"×î)¡“‹®B ~®Û“ýZ›í‚Ûáº±i9è Œ2àff<@£üØ", language="vi")
    record_article(db, mojibake, source="skew", run_id=None, fetched_at="2026-01-01T00:00:00+00:00",
                   raw=pack_raw_page(pdf, "text/html"))
    run_id, reports = reextract(db, workers=0)
    row = db.execute("SELECT outcome, detail FROM fetches WHERE run_id = ?", [run_id]).fetchone()
    assert row == ("not_html", "reextract: application/pdf")
    assert (reports["skew"].no_article, reports["skew"].errors) == (1, 0)
    assert db.execute("SELECT count(*) FROM versions").fetchone()[0] == 1
    db.close()
