"""An article's identity in real crawls: umlauts and spaces, rel=canonical traps, session ids, story ids.

Each test crawls a local server (tests/hostile_server.py) in a subprocess into a real archive.
The replica-wide check (two replicas on different ports, then v2) is in tests/test_end_to_end.py.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections import Counter
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from hostile_server import HostileServer, Reply, crawl_sources, write_sources

SESSION = "{SESSION}"  # replaced by a fresh value in every page the session server sends


class SessionServer(HostileServer):
    """A CMS that writes a new session id into every link of every page, and ignores it on requests."""

    def __init__(self, param: str, value=lambda: secrets.token_hex(13)) -> None:
        super().__init__()
        self.param, self.value = param, value

    def answer(self, path: str) -> Reply:
        parts = urlsplit(path)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.param]
        reply = super().answer(parts.path + (f"?{urlencode(kept)}" if kept else ""))
        if SESSION.encode() not in reply.body:
            return reply
        return Reply(reply.status, reply.body.replace(SESSION.encode(), self.value().encode()), reply.headers)


def crawl(tmp_path, site, **fields):
    town = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
            "listing_patterns": ["^/news/"], "article_patterns": ["^/artikel/", r"^/story\.php\?"], **fields}
    return crawl_sources(tmp_path, write_sources(tmp_path, {"town": town}), [site.netloc])


def articles(result) -> dict[str, dict]:
    with sqlite3.connect(result.db_path) as db:
        db.row_factory = sqlite3.Row
        return {row["canonical_url"]: dict(row) for row in db.execute("SELECT * FROM articles")}


def article_fetches(site) -> Counter[str]:
    """Requests per article path, whatever query they carried."""
    return Counter(urlsplit(path).path for path in site.paths() if path.startswith(("/artikel/", "/story.php")))


def test_an_article_linked_with_umlauts_and_spaces_is_stored_once_and_never_flagged_unlinked(tmp_path):
    raw = ["/artikel/Bürgerfest im Park.html", "/artikel/Straßenfest-Köpenick.html"]
    with HostileServer() as site:
        # linked raw on one page, percent-encoded on the next: the same two articles
        site.page("/news/", links=[*raw, "/news/seite-2/"])
        site.page("/news/seite-2/", links=[quote(path) for path in raw])
        for path in raw:
            site.article(quote(path), extra_head=f'<link rel="canonical" href="{path}">')  # a raw canonical too
        first = crawl(tmp_path, site)
        second = crawl(tmp_path, site)
    stored = articles(second)
    assert sorted(stored) == sorted(f"{site.origin}{quote(path)}" for path in raw)
    assert [row["unlinked_at"] for row in stored.values()] == [None, None]
    assert [row["current_version"] for row in stored.values()] == [1, 1]
    assert first.stat("crawler/storage/version_new") == 2 and second.stat("crawler/storage/version_new") == 0


def test_rel_canonical_to_the_home_page_a_listing_or_a_non_article_leaves_each_article_its_own(tmp_path):
    declared = {"/artikel/1.html": "/", "/artikel/2.html": "/news/", "/artikel/3.html": "/news/?seite=2",
                "/artikel/4.html": "/impressum", "/artikel/5-druck.html": "/artikel/5.html"}
    with HostileServer() as site:
        site.page("/news/", links=[*declared, "/artikel/5.html", "/news/?seite=2"])
        site.page("/news/?seite=2", links=["/artikel/1.html"])
        for path, canonical in declared.items():
            head = f'<link rel="canonical" href="{site.origin}{canonical}">'
            site.article(path, title=f"Meldung {path}", extra_head=head)
        site.article("/artikel/5.html", title="Meldung /artikel/5-druck.html")
        result = crawl(tmp_path, site)
    # the print view that names its article is that article; the other four are four articles
    expected = [f"{site.origin}/artikel/{name}.html" for name in (1, 2, 3, 4, 5)]
    assert sorted(articles(result)) == expected


@pytest.mark.parametrize("param", ["sessid", "sid", "s"])
def test_a_session_id_new_on_every_page_makes_three_stories_three_articles(tmp_path, param):
    stories = [f"/artikel/{n}.html" for n in (1, 2, 3)]
    with SessionServer(param) as site:
        tagged = [f"{path}?{param}={SESSION}" for path in stories]
        site.page("/news/", links=[*tagged, f"/news/?seite=2&{param}={SESSION}"])
        # page 2 links the same stories and back to page 1, each time with another session id
        site.page("/news/?seite=2", links=[*tagged, f"/news/?{param}={SESSION}", f"/news/?seite=3&{param}={SESSION}"])
        site.page("/news/?seite=3", links=[*tagged, f"/news/?seite=2&{param}={SESSION}"])
        for path in stories:
            site.article(path)
        result = crawl(tmp_path, site)
    assert sorted(articles(result)) == [f"{site.origin}{path}" for path in stories]
    assert article_fetches(site) == dict.fromkeys(stories, 1)
    assert len([p for p in site.paths() if urlsplit(p).path == "/news/"]) == 3  # /news/, ?seite=2, ?seite=3
    if param != "sessid":  # not on the built-in list: found on the first listing page, counted once
        assert result.stat("crawler/discovery/session_param/town") == 1


def test_a_short_numeric_session_id_is_found_by_fetching_its_only_listing_page_again(tmp_path):
    numbers = iter(range(41000, 42000, 7))
    stories = [f"/artikel/{n}.html" for n in range(1, 5)]
    with SessionServer("sid", value=lambda: str(next(numbers))) as site:
        site.page("/news/", links=[f"{p}?sid={SESSION}" for p in stories])
        for path in stories:
            site.article(path)
        first = crawl(tmp_path, site)
        second = crawl(tmp_path, site)
    assert sorted(articles(second)) == [f"{site.origin}{path}" for path in stories]
    assert first.stat("crawler/discovery/session_param/town") == second.stat("crawler/discovery/session_param/town") == 1
    # each night: the listing twice, each story once and without the session id
    assert [p for p in site.paths() if p.startswith("/news/")] == ["/news/"] * 4
    assert article_fetches(site) == dict.fromkeys(stories, 2) and not [p for p in site.paths() if "sid=" in p]


def test_a_short_value_that_stays_the_same_is_kept_after_one_second_look(tmp_path):
    stories = [f"/artikel/{n}.html?jahr=2024" for n in range(1, 5)]
    with HostileServer() as site:
        site.page("/news/", links=[*stories, "/news/?seite=2&jahr=2024"])
        site.page("/news/?seite=2&jahr=2024", links=[f"/artikel/{n}.html?jahr=2024" for n in range(5, 8)])
        for n in range(1, 8):
            site.article(f"/artikel/{n}.html?jahr=2024")
        result = crawl(tmp_path, site)
    assert len(articles(result)) == 7 and result.stat("crawler/discovery/session_param/town") == 0
    assert site.paths().count("/news/") == 2  # asked once more, never again for the same parameter


def test_a_sid_that_is_the_story_id_keeps_every_story_apart(tmp_path):
    ids = (101, 102, 103, 104, 105)
    with HostileServer() as site:
        # each story linked twice (headline and "mehr"), and again from page 2, always with its own id
        site.page("/news/", links=[link for n in ids[:3] for link in (f"/story.php?sid={n}",) * 2] + ["/news/?seite=2"])
        site.page("/news/?seite=2", links=[f"/story.php?sid={n}" for n in (*ids[3:], 101)])
        for n in ids:
            site.article(f"/story.php?sid={n}", title=f"Meldung Nummer {n}")
        result = crawl(tmp_path, site)
    assert sorted(articles(result)) == [f"{site.origin}/story.php?sid={n}" for n in ids]
    assert result.stat("crawler/discovery/session_param/town") == 0


def test_the_migration_reencodes_stored_identities_and_leaves_a_colliding_one_alone(tmp_path):
    from storage.articles import ensure_source
    from storage.db import open_db
    from storage.migrations import m011_url_identity

    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "town")
    old = ["https://www.stadt.example/aktuelles/Bürgerfest im Park.html",  # as the old clean_url kept it
           "https://www.stadt.example/aktuelles/B%c3%bcrgerfest%20im%20Park.html",  # the same page, linked encoded
           "HTTPS://www.stadt.example:443/aktuelles/%7Eplan.html",
           "https://www.stadt.example/aktuelles/?tx_news_pi1%5Bnews%5D=7&cHash=ab12"]
    for url in old:
        db.execute("INSERT INTO articles (canonical_url, source, url, first_seen_at, last_seen_at, current_version, "
                   "text_hash) VALUES (?, 'town', ?, '2025-01-01', '2025-01-01', 1, 'h')", [url, url])
    m011_url_identity(db)
    stored = [row[0] for row in db.execute("SELECT canonical_url FROM articles ORDER BY id")]
    db.close()
    assert stored == ["https://www.stadt.example/aktuelles/B%C3%BCrgerfest%20im%20Park.html",
                      old[1],  # would collide with the first: it keeps its old identity
                      "https://www.stadt.example/aktuelles/~plan.html",
                      old[3]]
