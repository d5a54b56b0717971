"""The offline replica itself: real servers on 127.0.0.1, fetched with urllib, nothing mocked."""

from __future__ import annotations

import gzip
import html
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import pytest

from crawler.replica import REAL_ORIGINS, Replica, load_golden
from crawler.replica.txnews import chash

UA = "partnerwatch-tests/0.1 (+https://example.org/partnerwatch)"
SENTENCE_END = re.compile(r"(?<=[^\W\d][.!?])\s+")  # not after "22." in datelines
HREF = re.compile(r'href="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        return self.body.decode(charset)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, **headers: str) -> Response:
    request = urllib.request.Request(url, headers={"User-Agent": UA, **headers})
    try:
        with OPENER.open(request, timeout=5) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with Replica(rate_limit=False) as running:
        yield running


@contextmanager
def state(replica: Replica, name: str) -> Iterator[None]:
    replica.set_state(name)
    try:
        yield
    finally:
        replica.set_state("v1")


def visible(page: str) -> str:
    """Page text as a reader sees it: entities resolved, soft hyphens gone, NBSP as space."""
    return html.unescape(page).replace("\xad", "").replace("\xa0", " ")


@pytest.mark.parametrize("name", ["v1", "v2"])
def test_every_golden_article_answers_200_with_its_title_and_paragraphs(replica: Replica, name: str) -> None:
    golden = load_golden(name)
    with state(replica, name):
        for article in golden.articles:
            answer = fetch(golden.url(replica.urls, article.site, article.path))
            assert answer.status == 200, article.path
            page = visible(answer.text())
            assert article.title in page, article.path
            for paragraph in article.paragraphs:
                assert paragraph in page, (article.path, paragraph[:40])


def test_removed_articles_answer_404_or_410_in_v2(replica: Replica) -> None:
    removed = load_golden("v2").changes["removed"]
    assert removed
    with state(replica, "v2"):
        statuses = {fetch(replica.urls[site] + path).status for site, path in removed}
    assert statuses == {404, 410}
    for site, path in removed:
        assert fetch(replica.urls[site] + path).status == 200  # still there in v1


def test_new_articles_appear_only_in_v2(replica: Replica) -> None:
    new = load_golden("v2").changes["new"]
    assert {site for site, _ in new} >= {"skew", "eg", "lag21", "berlin", "linke", "wolfsburg"}
    for site, path in new:
        assert fetch(replica.urls[site] + path).status == 404


def test_if_none_match_with_the_current_etag_answers_304(replica: Replica) -> None:
    url = replica.urls["skew"] + load_golden("v1").articles[0].path
    first = fetch(url)
    again = fetch(url, **{"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and again.body == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert fetch(url, **{"If-None-Match": '"stale"'}).status == 200


def test_if_modified_since_answers_304_unless_the_page_is_newer(replica: Replica) -> None:
    url = replica.urls["berlin"] + "/ba-treptow-koepenick/aktuelles/pressemitteilungen/2019/pressemitteilung.771630.php"
    first = fetch(url)
    assert first.headers["Last-Modified"] == "Tue, 15 Jan 2019 10:00:00 GMT"
    assert fetch(url, **{"If-Modified-Since": first.headers["Last-Modified"]}).status == 304
    assert fetch(url, **{"If-Modified-Since": "Mon, 14 Jan 2019 10:00:00 GMT"}).status == 200


def test_edited_article_has_a_later_last_modified_in_v2(replica: Replica) -> None:
    url = replica.urls["eg"] + "/de/meldung/mehr-mittel-fuer-vereinsprojekte"
    since = fetch(url).headers["Last-Modified"]
    with state(replica, "v2"):
        assert fetch(url, **{"If-Modified-Since": since}).status == 200


def test_gzip_is_sent_only_when_accepted(replica: Replica) -> None:
    url = replica.urls["lag21"] + "/aktuelles/"
    plain = fetch(url)
    packed = fetch(url, **{"Accept-Encoding": "gzip, deflate"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert packed.headers["ETag"] == plain.headers["ETag"]


def test_content_type_names_the_charset(replica: Replica) -> None:
    assert fetch(replica.urls["linke"] + "/politik/aktuelles/").headers["Content-Type"] == "text/html; charset=UTF-8"
    assert fetch(replica.urls["eg"] + "/de/feed.xml").headers["Content-Type"] == "application/rss+xml; charset=UTF-8"


def _walk_listings(replica: Replica, site: str, starts: list[str], follow: re.Pattern[str]) -> set[str]:
    """Follow only listing links from the start pages; return every href seen (as path+query)."""
    origin = replica.urls[site]
    queue, seen_pages, hrefs = [origin + s for s in starts], set(), set()
    while queue:
        url = queue.pop()
        if url in seen_pages:
            continue
        seen_pages.add(url)
        answer = fetch(url)
        assert answer.status == 200, url
        page = answer.text()
        base = re.search(r'<base href="([^"]+)"', page)
        for raw in HREF.findall(page):
            target = urljoin(base[1] if base else url, html.unescape(raw)).split("#")[0]
            parts = urlsplit(target)
            if target.startswith(origin):
                local = parts.path + (f"?{parts.query}" if parts.query else "")
                hrefs.add(local)
                if follow.fullmatch(local):
                    queue.append(target)
        assert len(seen_pages) < 80, "listing walk does not terminate"
    return hrefs


LISTINGS = {
    "skew": (["/aktuelles.html", "/im-fokus.html"], r"/(aktuelles|im-fokus)\.html(\?.*)?"),
    "eg": (["/de/aktuelles", "/en/news"], r"/(de/aktuelles|en/news)(\?page=\d+)?"),
    "lag21": (["/aktuelles/"], r"/aktuelles/(\?tx_news_pi1%5BcurrentPage%5D=\d+&cHash=\w+)?"),
    "berlin": (["/ba-treptow-koepenick/aktuelles/pressemitteilungen/", "/europabeauftragte-treptow-koepenick/aktuelles/"],
               r"/(ba-treptow-koepenick/aktuelles/pressemitteilungen/|europabeauftragte-treptow-koepenick/aktuelles/\d{4}/)(\?page_at_1_0=\d+)?"),
    "linke": (["/politik/aktuelles/"], r"/politik/aktuelles/(seite/\d+/)?"),
    "wolfsburg": (["/rathaus/bekanntmachungen/neuigkeiten"], r"/rathaus/bekanntmachungen/neuigkeiten"),
}


@pytest.mark.parametrize("name", ["v1", "v2"])
@pytest.mark.parametrize("site", sorted(LISTINGS))
def test_following_listing_links_reaches_every_listed_article(replica: Replica, site: str, name: str) -> None:
    starts, follow = LISTINGS[site]
    with state(replica, name):
        hrefs = _walk_listings(replica, site, starts, re.compile(follow))
    listed = [a.path for a in load_golden(name).articles if a.site == site and "listing" in a.discoverable_from]
    assert listed
    assert not [p for p in listed if p not in hrefs]


@pytest.mark.parametrize("site,path", [
    ("skew", "/aktuelles.html?page_a36=4"),
    ("skew", "/im-fokus.html?page_a607=3"),
    ("skew", "/aktuelles.html?page_a36=abc"),
    ("eg", "/de/aktuelles?page=3"),
    ("berlin", "/ba-treptow-koepenick/aktuelles/pressemitteilungen/?page_at_1_0=3"),
    ("linke", "/politik/aktuelles/seite/4/"),
    ("lag21", f"/aktuelles/?tx_news_pi1%5BcurrentPage%5D=4&cHash={chash([('tx_news_pi1[currentPage]', '4')])}"),
])
def test_pages_after_the_last_answer_404(replica: Replica, site: str, path: str) -> None:
    assert fetch(replica.urls[site] + path).status == 404


def test_last_pages_exist(replica: Replica) -> None:
    assert fetch(replica.urls["skew"] + "/aktuelles.html?page_a36=3").status == 200
    assert fetch(replica.urls["berlin"] + "/ba-treptow-koepenick/aktuelles/pressemitteilungen/?page_at_1_0=2").status == 200
    assert fetch(replica.urls["linke"] + "/politik/aktuelles/seite/3/").status == 200


def test_typo3_pagination_needs_the_matching_chash(replica: Replica) -> None:
    base = replica.urls["lag21"] + "/aktuelles/?tx_news_pi1%5BcurrentPage%5D=2"
    good = chash([("tx_news_pi1[currentPage]", "2")])
    assert fetch(f"{base}&cHash={good}").status == 200
    assert fetch(base).status == 404
    assert fetch(f"{base}&cHash={'0' * 32}").status == 404
    assert f"tx_news_pi1%5BcurrentPage%5D=2&amp;cHash={good}" in fetch(replica.urls["lag21"] + "/aktuelles/").text()


def test_linke_pages_repeat_a_teaser_and_put_a_newer_item_on_page_2(replica: Replica) -> None:
    def titles(path: str) -> list[str]:
        return re.findall(r"<h3><a href=\"([^\"]+)\"", fetch(replica.urls["linke"] + path).text())

    first, second, third = titles("/politik/aktuelles/"), titles("/politik/aktuelles/seite/2/"), titles("/politik/aktuelles/seite/3/")
    golden = {a.path: a for a in load_golden("v1").articles if a.site == "linke"}
    newest = max(golden.values(), key=lambda a: a.modified)
    assert newest.path in second and newest.path not in first
    assert third[0] == second[-1]


def test_berlin_answers_429_with_retry_after_when_hammered() -> None:
    with Replica() as limited:
        answers = [fetch(limited.urls["berlin"] + "/robots.txt") for _ in range(5)]
        assert [a.status for a in answers[:2]] == [200, 200]
        refused = [a for a in answers if a.status == 429]
        assert refused and refused[0].headers["Retry-After"] == "2" and refused[0].body == b"Calm down"
        assert fetch(limited.urls["skew"] + "/robots.txt").status == 200  # other sites are not limited
        time.sleep(1.05)
        assert fetch(limited.urls["berlin"] + "/robots.txt").status == 200
        assert [h.status for h in limited.hits if h.site == "berlin"].count(429) == len(refused)


@pytest.mark.parametrize("agent", ["", "python-requests/2.32.3", "curl/8.5.0", "Python-urllib/3.11",
                                   "Scrapy/2.14.0 (+https://scrapy.org)"])
def test_berlin_refuses_generic_user_agents(replica: Replica, agent: str) -> None:
    url = replica.urls["berlin"] + "/ba-treptow-koepenick/aktuelles/pressemitteilungen/"
    assert fetch(url, **{"User-Agent": agent}).status == 403
    assert fetch(replica.urls["skew"] + "/", **{"User-Agent": agent}).status == 200


def test_robots_txt_per_site(replica: Replica) -> None:
    skew = fetch(replica.urls["skew"] + "/robots.txt").text()
    assert "Disallow: /suche.html" in skew and f"Sitemap: {replica.urls['skew']}/sitemap.xml" in skew
    berlin = fetch(replica.urls["berlin"] + "/robots.txt").text()
    assert "must clearly and uniquely identify itself" in berlin
    assert "Disallow: /*/(S(*))" in berlin and "Disallow: /ba-treptow-koepenick/suche/" in berlin
    assert fetch(replica.urls["linke"] + "/robots.txt").status == 404
    assert "Sitemap: " + replica.urls["wolfsburg"] in fetch(replica.urls["wolfsburg"] + "/robots.txt").text()


def test_forbidden_urls_are_linked_from_the_sites(replica: Replica) -> None:
    forbidden = load_golden("v1").forbidden
    assert {site for site, _ in forbidden} >= {"skew", "eg", "berlin", "wolfsburg"}
    pages = {
        "skew": "/aktuelles.html", "eg": "/de/aktuelles", "wolfsburg": "/rathaus/bekanntmachungen/neuigkeiten",
        "wolfsburg-redaktion": "/rathaus/bekanntmachungen/neuigkeiten",
        "berlin": "/ba-treptow-koepenick/aktuelles/pressemitteilungen/",
    }
    bodies = {site: html.unescape(fetch(replica.urls[site] + path).text()) for site, path in pages.items()}
    for site, path in forbidden:
        assert path in bodies[site] or path.lstrip("/") in bodies[site], (site, path)


def test_boilerplate_only_pages_differ_in_bytes_but_not_in_golden_text(replica: Replica) -> None:
    v1, v2 = load_golden("v1"), load_golden("v2")
    changes = v2.changes
    assert len(changes["boilerplate_only"]) > len(changes["changed"]) > 0
    for kind in ("boilerplate_only", "unchanged"):
        for site, path in changes[kind]:
            url = replica.urls[site] + path
            before = fetch(url)
            with state(replica, "v2"):
                after = fetch(url)
            assert v1.article(site, path).text == v2.article(site, path).text
            assert (before.body == after.body) == (kind == "unchanged"), (kind, site, path)
            assert (before.headers["ETag"] == after.headers["ETag"]) == (kind == "unchanged")


def test_changed_articles_differ_in_title_or_text() -> None:
    v1, v2 = load_golden("v1"), load_golden("v2")
    changed = v2.changes["changed"]
    title_only = [p for p in changed if v1.article(*p).text == v2.article(*p).text]
    assert title_only and len(title_only) < len(changed)
    assert all(v1.article(*p).title != v2.article(*p).title for p in title_only)


def test_latin1_page_decodes_only_as_latin1(replica: Replica) -> None:
    answer = fetch(replica.urls["berlin"] + "/europabeauftragte-treptow-koepenick/aktuelles/2015/artikel.387915.php")
    assert answer.headers["Content-Type"] == "text/html; charset=ISO-8859-1"
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode("utf-8")
    page = answer.body.decode("latin-1")
    assert '<meta charset="iso-8859-1">' in page and "Städtepartnerschaft mit Ostrovia" in page


def test_soft_hyphen_title_is_served_with_entities_and_golden_is_clean(replica: Replica) -> None:
    article = load_golden("v1").article("wolfsburg", "/newsroom/2022/10/klimapartnerschaft-santa-lucerna-delegation")
    assert article.title == "Klimapartnerschaft mit Santa Lucerna: Delegation zu Gast in Wolfsburg"
    page = fetch(replica.urls["wolfsburg"] + article.path).text()
    assert "Klima&shy;partner&shy;schaft mit Santa&nbsp;Lucerna" in page


def test_two_replicas_serve_identical_bytes_apart_from_their_origins(replica: Replica) -> None:
    def normalised(running: Replica, site: str, path: str) -> bytes:
        body = fetch(running.urls[site] + path).body
        for key, url in running.urls.items():
            body = body.replace(url.encode(), REAL_ORIGINS[key].encode())
        return body

    paths = [(a.site, a.path) for a in load_golden("v1").articles]
    paths += [(site, starts[0]) for site, (starts, _) in LISTINGS.items()]
    paths += [("skew", "/sitemap.xml"), ("berlin", "/ba-treptow-koepenick/aktuelles/pressemitteilungen/index.php/rss")]
    with Replica(rate_limit=False) as other:
        for site, path in paths:
            assert normalised(replica, site, path) == normalised(other, site, path), (site, path)


def test_redirects_point_to_the_new_urls(replica: Replica) -> None:
    redirects = load_golden("v1").redirects
    assert {(site, status) for site, _, status, _, _ in redirects} >= {("eg", 301), ("wolfsburg", 301)}
    for site, path, status, target_site, target_path in redirects:
        answer = fetch(replica.urls[site] + path)
        assert answer.status == status
        assert answer.headers["Location"] == replica.urls[target_site] + target_path


def test_soft_404_answers_200_with_a_not_found_page(replica: Replica) -> None:
    (site, path), *_ = load_golden("v1").soft_404
    answer = fetch(replica.urls[site] + path)
    assert answer.status == 200 and "Seite nicht gefunden" in answer.text()
    assert path in fetch(replica.urls[site] + "/rathaus/bekanntmachungen/neuigkeiten").text()


def test_session_variant_serves_the_same_page(replica: Replica) -> None:
    session = [p for s, p in load_golden("v1").forbidden if s == "wolfsburg"][0]
    assert fetch(replica.urls["wolfsburg"] + session).body == fetch(replica.urls["wolfsburg"] + session.split("?")[0]).body


def test_alias_hosts_point_to_the_primary_or_carry_no_canonical(replica: Replica) -> None:
    mirror = load_golden("v1").article("lag21-mirror", "/aktuelles/details/MCPMusterstadt2018/")
    assert mirror.canonical_site == "lag21" and mirror.is_alias
    page = fetch(replica.urls["lag21-mirror"] + mirror.path).text()
    assert f'<link rel="canonical" href="{replica.urls["lag21"]}{mirror.path}">' in page
    redaktion = fetch(replica.urls["wolfsburg-redaktion"] + "/newsroom/2021/05/stadtbibliothek-open-library").text()
    assert 'rel="canonical"' not in redaktion


def test_state_switches_through_the_control_endpoint_without_recording_hits(replica: Replica) -> None:
    new_site, new_path = load_golden("v2").changes["new"][0]
    try:
        replica.clear_hits()
        assert fetch(replica.urls["linke"] + "/_replica/state?set=v2").body == b'{"state": "v2"}'
        assert replica.state == "v2"
        assert fetch(replica.urls[new_site] + new_path).status == 200
        assert fetch(replica.urls["linke"] + "/_replica/state?set=v9").status == 400
    finally:
        replica.set_state("v1")
    assert [(h.site, h.path, h.status, h.method) for h in replica.hits] == [(new_site, new_path, 200, "GET")]
    assert replica.hits[0].request_headers["User-Agent"] == UA


def test_feeds_list_items_with_pubdates(replica: Replica) -> None:
    berlin = replica.urls["berlin"] + "/ba-treptow-koepenick/aktuelles/pressemitteilungen/"
    feed = fetch(berlin + "index.php/rss")
    assert feed.body == fetch(berlin + "index/rss.php").body
    for url in (berlin + "index.php/rss", replica.urls["eg"] + "/de/feed.xml", replica.urls["lag21"] + "/aktuelles/?type=9818"):
        items = ET.fromstring(fetch(url).body).findall("./channel/item")
        assert items and all(re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", i.findtext("pubDate")) for i in items)
    central = replica.urls["berlin"] + "/presse/pressemitteilungen/index/feed?institutions%5B%5D=Bezirksamt+Treptow-K%C3%B6penick"
    assert fetch(central).body == feed.body


def test_sitemaps_carry_lastmod_and_skew_sitemap_is_stale(replica: Replica) -> None:
    index = fetch(replica.urls["wolfsburg"] + "/sitemap.xml").text()
    assert index.count("<lastmod>") == 3 and f"{replica.urls['wolfsburg']}/sitemap-en.xml" in index
    with state(replica, "v2"):
        stale = fetch(replica.urls["skew"] + "/sitemap.xml").text()
        removed = [p for s, p in load_golden("v2").changes["removed"] if s == "skew"]
        assert removed and all(p in stale for p in removed)


def test_content_has_the_planned_languages_clusters_and_dates() -> None:
    articles = load_golden("v2").primary_articles() + tuple(
        a for a in load_golden("v1").primary_articles() if (a.site, a.path) in load_golden("v2").changes["removed"])
    languages = Counter(a.language for a in articles)
    assert languages["en"] == 5 and languages["es"] == 3
    assert [a.key for a in articles if a.language != a.declared_language] == ["linke-kiezfest"]
    clusters = Counter(a.cluster for a in articles if a.cluster)
    assert all(count >= 2 for count in clusters.values())
    assert sum(1 for c in clusters if {a.site for a in articles if a.cluster == c} >= {"skew", "lag21"}) >= 2
    assert 70 <= len(articles) <= 90
    assert 0.25 <= sum(a.on_topic for a in articles) / len(articles) <= 0.4
    assert any(a.published is None for a in articles if a.site == "lag21")
    assert any(a.published is None for a in articles if a.site == "linke")
    assert all("2015-01-01" <= a.modified <= "2025-12-31" for a in articles)


def test_article_texts_are_long_and_share_no_sentence_outside_their_cluster() -> None:
    articles = load_golden("v2").primary_articles() + load_golden("v1").primary_articles()
    owners: dict[str, set[tuple[str | None, str]]] = {}
    for a in articles:
        assert 3 <= len(a.paragraphs) <= 6 and len(a.text) >= 600, a.key
        for sentence in SENTENCE_END.split(a.text.replace("\n", " ")):
            owners.setdefault(sentence, set()).add((a.cluster, a.key))
    for sentence, who in owners.items():
        keys = {key for _, key in who}
        clusters = {cluster for cluster, _ in who}
        assert len(keys) == 1 or (len(clusters) == 1 and None not in clusters), (sentence[:60], keys)


def test_boilerplate_phrases_never_occur_in_golden_text() -> None:
    golden = load_golden("v2")
    for article in golden.articles + load_golden("v1").articles:
        for phrase in golden.boilerplate_phrases[article.site]:
            assert phrase not in article.text, (article.key, phrase)
        assert article.title not in article.text


def test_the_replica_serves_on_the_ports_asked_for_from_the_command_line(tmp_path) -> None:
    import json
    import socket
    import subprocess
    import sys

    def free_run(first: int, count: int = 12) -> bool:
        sockets = []
        try:
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            for opened in sockets:
                opened.close()

    with socket.socket() as probe:  # the OS picks a free port; the sites need the ones after it too
        probe.bind(("127.0.0.1", 0))
        first = probe.getsockname()[1]
    while not free_run(first):
        first += 12
    process = subprocess.Popen([sys.executable, "-m", "crawler.replica", "serve", "--port", str(first),
                                "--no-rate-limit"], stdout=subprocess.PIPE, text=True)
    try:
        urls = json.loads(process.stdout.readline())["urls"]
        assert sorted(int(url.rsplit(":", 1)[1]) for url in urls.values()) == list(range(first, first + len(urls)))
    finally:
        process.terminate()
        process.wait(10)
