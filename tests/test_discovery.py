"""Discovery: every pagination scheme by following links, feeds and sitemaps, traps, canonical URLs.

Crawls run in real subprocesses against local servers (tests/hostile_server.py); the
replica-wide recall checks live in tests/test_discovery_replica.py.
"""

from __future__ import annotations

import contextlib
import gzip
from urllib.parse import quote

import pytest
from hostile_server import HostileServer, crawl_sources, write_sources

from crawler.identity import UrlIdentity
from storage.urls import clean_url
from spiders.feeds import Entry, FeedError, is_newer, parse_feed, parse_sitemap

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><item><link>/a1</link><title>&lol3;</title></item></channel></rss>"""
XXE = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&xxe;</loc></url></urlset>"""


@pytest.fixture
def site():
    with HostileServer() as served:
        yield served


def crawl(tmp_path, site, budget=100, **fields):
    """Crawl one source on `site`; upper-case keywords are settings, the rest entry fields."""
    settings = {k: v for k, v in fields.items() if k.isupper()}
    town = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
            "listing_patterns": ["^/news/"], "article_patterns": ["^/artikel/"], "page_budget": budget,
            **{k: v for k, v in fields.items() if not k.isupper()}}
    return crawl_sources(tmp_path, write_sources(tmp_path, {"town": town}), [site.netloc], **settings)


def pages(site, count, link, items_per_page=2, last_next=None):
    """A paginated listing: page n links its articles and, as a CMS does, the next page."""
    for n in range(1, count + 1):
        articles = [f"/artikel/{n}-{i}.html" for i in range(items_per_page)]
        nxt = link(n + 1) if n < count else last_next
        yield n, articles, ([nxt] if nxt else [])


# --- pagination: one test per scheme seen on the real sites, all from one crawl -------------------


def contao(site):
    for n, articles, nxt in pages(site, 4, lambda n: f"news/aktuelles.html?page_a36={n}#pgtop"):
        path = "/news/aktuelles.html" + (f"?page_a36={n}" if n > 1 else "")
        site.page(path, links=[a.lstrip("/") for a in articles] + nxt, head=f'<base href="{site.origin}/">')
        for a in articles:
            site.article(a)
    return {"start_urls": [f"{site.origin}/news/aktuelles.html"]}


def typo3(site):
    def link(n):
        return f"/news/?tx_news_pi1%5BcurrentPage%5D={n}&cHash=c{n}f00d"
    site.page("/news/", links=["/artikel/1-0.html", link(2)])
    for n in (2, 3):
        # the server knows only the exact encoded query; a re-encoded one would be a 404
        site.page(link(n), links=[f"/artikel/{n}-0.html"] + ([link(3)] if n == 2 else []))
    for n in (1, 2, 3):
        site.article(f"/artikel/{n}-0.html")
    return {}


def seite(site):
    for n, articles, nxt in pages(site, 30, lambda n: f"/news/seite/{n}/", items_per_page=1):
        site.page("/news/" if n == 1 else f"/news/seite/{n}/", links=articles + nxt)
        site.article(articles[0])
    return {}


def imperia(site):
    def link(n):
        return f"/news/?page_at_1_0={n}"
    for n, articles, nxt in pages(site, 3, link, last_next=link(4)):
        site.page("/news/" if n == 1 else link(n), links=articles + nxt)
        for a in articles:
            site.article(a)
    return {}


def plain(site):
    for n, articles, nxt in pages(site, 5, lambda n: f"/news/?page={n}"):
        site.page("/news/" if n == 1 else f"/news/?page={n}", links=articles + nxt)
        for a in articles:
            site.article(a)
    return {}


SCHEMES = {"contao": contao, "typo3": typo3, "seite": seite, "imperia": imperia, "plain": plain}


@pytest.fixture(scope="module")
def paginated(tmp_path_factory):
    """One local site per pagination scheme, crawled together as five sources."""
    tmp_path = tmp_path_factory.mktemp("pagination")
    with contextlib.ExitStack() as stack:
        sites = {name: stack.enter_context(HostileServer()) for name in SCHEMES}
        entries = {name: {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
                          "listing_patterns": ["^/news/"], "article_patterns": ["^/artikel/"],
                          **SCHEMES[name](site)} for name, site in sites.items()}
        result = crawl_sources(tmp_path, write_sources(tmp_path, entries), [s.netloc for s in sites.values()])
        yield sites, result


def test_contao_pagination_with_module_id_parameter_and_base_href(paginated):
    site = paginated[0]["contao"]
    fetched = set(site.paths())
    assert {f"/artikel/{n}-{i}.html" for n in range(1, 5) for i in range(2)} <= fetched
    assert "/news/aktuelles.html?page_a36=4" in fetched


def test_typo3_pagination_keeps_the_chash_query_exactly_as_linked(paginated):
    site = paginated[0]["typo3"]
    assert {"/artikel/1-0.html", "/artikel/2-0.html", "/artikel/3-0.html"} <= set(site.paths())
    assert all(hit.path in site.routes or hit.path == "/robots.txt" for hit in site.hits)


def test_seite_n_path_pagination_to_the_end(paginated):
    site = paginated[0]["seite"]
    assert {f"/artikel/{n}-0.html" for n in range(1, 31)} <= set(site.paths())


def test_imperia_pagination_stops_at_the_404_after_the_last_page(paginated):
    site, result = paginated[0]["imperia"], paginated[1]
    assert site.paths().count("/news/?page_at_1_0=4") == 1  # linked, so followed; a 404; nothing after
    assert {f"/artikel/{n}-{i}.html" for n in range(1, 4) for i in range(2)} <= set(site.paths())
    assert result.stat("crawler/discovery/listing_end/imperia") == 1


def test_plain_page_parameter_pagination(paginated):
    site = paginated[0]["plain"]
    assert {f"/artikel/{n}-{i}.html" for n in range(1, 6) for i in range(2)} <= set(site.paths())


# --- canonical URLs and traps ------------------------------------------------------------------------


def test_one_article_linked_many_ways_is_fetched_once(tmp_path, site):
    variants = ["/artikel/1.html", "/artikel/1.html#kommentare", "/artikel/1.html?utm_source=nl&utm_medium=mail",
                "/artikel/1.html?fbclid=abc", "/artikel/1.html;jsessionid=0F3A", "/artikel/1.html?s=e1e7c0",
                "/artikel/1.html?PHPSESSID=77"]
    site.page("/news/", links=variants)
    site.article("/artikel/1.html")
    result = crawl(tmp_path, site, session_params=["s"])  # `s=` is a session id on this site
    assert site.paths().count("/artikel/1.html") == 1
    assert [row["url"] for row in result.fetches()] == [f"{site.origin}/artikel/1.html"]


def test_calendar_trap_stops_at_the_page_budget_with_a_counted_reason(tmp_path, site):
    for month in range(1, 200):  # an endless "next month" chain, each with one article
        site.page(f"/news/kalender?monat={month}", links=[f"/news/kalender?monat={month + 1}", f"/artikel/{month}.html"])
    site.page("/news/", links=["/news/kalender?monat=1"])
    result = crawl(tmp_path, site, budget=20)
    assert len([p for p in site.paths() if p != "/robots.txt"]) == 20
    assert result.stat("crawler/discovery/stopped/page_budget/town") >= 1
    assert "town: page_budget reached" in result.log


def test_depth_limit_stops_a_listing_chain(tmp_path, site):
    for n in range(1, 50):  # every page links an article of its own, so only the depth limit stops it
        site.page("/news/" if n == 1 else f"/news/{n}", links=[f"/news/{n + 1}", f"/artikel/{n}.html"])
    result = crawl(tmp_path, site, depth_limit=5)
    assert "/news/6" in site.paths() and "/news/7" not in site.paths()
    assert result.stat("crawler/discovery/stopped/depth_limit/town") == 1


def test_listing_links_outside_the_css_hint_are_not_followed(tmp_path, site):
    site.page("/news/", links=["/artikel/1.html"],
              extra='<aside class="marginal"><a href="/artikel/other-district.html">Neukölln</a></aside>')
    site.routes["/news/"].body = site.routes["/news/"].body.replace(b"<ul>", b'<ul class="list--tablelist">')
    site.article("/artikel/1.html")
    site.article("/artikel/other-district.html")
    crawl(tmp_path, site, links_css="ul.list--tablelist")
    assert "/artikel/1.html" in site.paths() and "/artikel/other-district.html" not in site.paths()


# --- feeds and sitemaps -----------------------------------------------------------------------------


def test_feed_is_read_before_the_listings(tmp_path, site):
    site.xml("/feed.xml", "<rss><channel><item><link>/artikel/1.html</link></item></channel></rss>")
    site.page("/news/", links=["/artikel/2.html"])
    site.article("/artikel/1.html")
    site.article("/artikel/2.html")
    result = crawl(tmp_path, site, feeds=[f"{site.origin}/feed.xml"])
    paths = site.paths()
    assert paths.index("/feed.xml") < paths.index("/news/")
    assert {"/artikel/1.html", "/artikel/2.html"} <= set(paths)
    assert result.stat("crawler/discovery/feed_links/town") == 1


BROKEN_FEEDS = {"entity_bomb": BOMB, "empty": "<rss><channel></channel></rss>", "malformed": "<rss><channel><item>"}


@pytest.fixture(scope="module")
def broken_documents(tmp_path_factory):
    """One source per broken feed, and one with an XXE sitemap, crawled together."""
    tmp_path = tmp_path_factory.mktemp("broken")
    with contextlib.ExitStack() as stack:
        sites = {name: stack.enter_context(HostileServer()) for name in [*BROKEN_FEEDS, "xxe"]}
        entries = {}
        for name, site in sites.items():
            site.page("/news/", links=["/artikel/2.html"])
            site.article("/artikel/2.html")
            document = {"sitemaps": [f"{site.origin}/sitemap.xml"]} if name == "xxe" else {
                "feeds": [f"{site.origin}/feed.xml"], "listing_fallback": True}
            site.xml("/sitemap.xml" if name == "xxe" else "/feed.xml", XXE if name == "xxe" else BROKEN_FEEDS[name])
            entries[name] = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
                             "listing_patterns": ["^/news/"], "article_patterns": ["^/artikel/"], **document}
        result = crawl_sources(tmp_path, write_sources(tmp_path, entries), [s.netloc for s in sites.values()])
        yield sites, result


@pytest.mark.parametrize("name", BROKEN_FEEDS)
def test_bad_feed_is_an_error_of_the_source_and_listings_still_run(broken_documents, name):
    sites, result = broken_documents
    assert result.stat(f"crawler/discovery/feed_error/{name}") == 1
    assert f"source {name}: feed {sites[name].origin}/feed.xml failed" in result.log
    assert "/artikel/2.html" in sites[name].paths()


def test_sitemap_with_external_entity_is_an_error_not_an_empty_night(broken_documents):
    _, result = broken_documents
    assert result.stat("crawler/discovery/sitemap_error/xxe") == 1
    assert "entity declarations are refused" in result.log


def test_listings_are_skipped_when_the_feed_works_and_they_are_only_a_fallback(tmp_path, site):
    site.xml("/feed.xml", "<rss><channel><item><link>/artikel/1.html</link></item></channel></rss>")
    site.page("/news/", links=["/artikel/2.html"])
    site.article("/artikel/1.html")
    crawl(tmp_path, site, feeds=[f"{site.origin}/feed.xml"], listing_fallback=True)
    assert "/artikel/1.html" in site.paths() and "/news/" not in site.paths()


def test_sitemap_index_children_and_lastmod_filter(tmp_path, site):
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.xml("/sitemap.xml", f"<sitemapindex {ns}><sitemap><loc>{site.origin}/sitemap-de.xml.gz</loc>"
             "<lastmod>2025-01-01</lastmod></sitemap><sitemap><loc>/sitemap-old.xml</loc>"
             "<lastmod>2019-01-01</lastmod></sitemap></sitemapindex>")
    child = (f"<urlset {ns}><url><loc>{site.origin}/artikel/new.html</loc><lastmod>2025-02-01</lastmod></url>"
             f"<url><loc>{site.origin}/artikel/old.html</loc><lastmod>2020-02-01</lastmod></url>"
             f"<url><loc>{site.origin}/impressum.html</loc></url></urlset>")
    site.xml("/sitemap-de.xml.gz", gzip.compress(child.encode()), content_type="application/x-gzip")
    site.xml("/sitemap-old.xml", child)
    site.article("/artikel/new.html")
    site.page("/news/", links=[])
    result = crawl(tmp_path, site, sitemaps=[f"{site.origin}/sitemap.xml"], CRAWLER_DISCOVERY_SINCE="2024-06-01")
    paths = set(site.paths())
    assert {"/sitemap-de.xml.gz", "/artikel/new.html"} <= paths
    assert not paths & {"/sitemap-old.xml", "/artikel/old.html", "/impressum.html"}
    assert result.stat("crawler/discovery/sitemap_skipped_old/town") == 1


# --- pure parts ------------------------------------------------------------------------------------


def test_feed_parser_reads_rss_atom_and_rdf_links_with_dates():
    rss = b"<rss><channel><item><link> /a </link><pubDate>Fri, 15 May 2026 08:00:00 +0200</pubDate></item></channel></rss>"
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="enclosure" href="/x.pdf"/>'
            b'<link href="/b"/><updated>2024-05-02T10:00:00Z</updated></entry></feed>')
    rdf = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
           b"<item><link>http://h.example/c</link></item></rdf:RDF>")
    assert parse_feed(rss, "http://h.example/feed") == [Entry("http://h.example/a", "2026-05-15T08:00:00+02:00")]
    assert parse_feed(atom, "http://h.example/feed") == [Entry("http://h.example/b", "2024-05-02T10:00:00Z")]
    assert parse_feed(rdf, "http://h.example/feed") == [Entry("http://h.example/c", None)]


@pytest.mark.parametrize("body", [BOMB.encode(), XXE.encode(), b"", b"<html><body>Wartung</body></html>"])
def test_feed_and_sitemap_parsers_refuse_bombs_and_nothing(body):
    with pytest.raises(FeedError):
        parse_feed(body, "http://h.example/")
    with pytest.raises(FeedError):
        parse_sitemap(body, "http://h.example/")


def test_gzip_sitemap_bomb_stops_at_the_size_limit():
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(FeedError, match="bad gzip"):
        parse_sitemap(bomb, "http://h.example/", max_size=1_000_000)


def test_lastmod_filter_keeps_undated_entries():
    assert is_newer(Entry("u", None), "2024-01-01") and is_newer(Entry("u", "2024-01-01"), "2024-01-01")
    assert not is_newer(Entry("u", "2023-12-31T23:00:00Z"), "2024-01-01")


def test_rel_canonical_counts_only_on_the_sources_own_hosts():
    hosts = frozenset({"www.lag21.de", "127.0.0.1:8003"})
    mirrors = {"http://127.0.0.1:8004": "http://127.0.0.1:8003", "https://lag21.de": "https://www.lag21.de"}
    identity = UrlIdentity(hosts, mirrors)
    url = "https://www.lag21.de/aktuelles/details/x/"
    assert identity.of_article(url, "https://copycat.example/x") == url
    assert identity.of_article("http://127.0.0.1:8004/a?utm_source=x", None) == "http://127.0.0.1:8003/a"
    assert identity.of_article(url + "?print=1", url) == url
    assert identity.of_article("https://lag21.de/a", None) == "https://www.lag21.de/a"


def test_clean_url_keeps_typo3_encoding_when_nothing_is_dropped():
    query = f"tx_news_pi1{quote('[currentPage]')}=2&cHash=ab12"
    assert clean_url(f"https://www.lag21.de/aktuelles/?{query}#c1") == f"https://www.lag21.de/aktuelles/?{query}"



@pytest.mark.parametrize("link", [
    '<link REL="NEXT" href="/artikel/lang-2.html">',
    '<a rel="prefetch next" href="/artikel/lang-2.html">Seite 2</a>',
    "<A Rel='Next' HREF='/artikel/lang-2.html'>weiter</A>",
    "<a rEl='nExt' href='/artikel/lang-2.html'>weiter</a>",  # no usual spelling of either word
])
def test_the_second_page_of_an_article_is_found_whatever_the_case_of_rel_next(tmp_path, site, link):
    site.page("/news/", links=["/artikel/lang-1.html"])
    site.article("/artikel/lang-1.html", extra_head=link if link.startswith("<link") else "")
    if not link.startswith("<link"):  # an anchor in the body, after the article
        reply = site.routes["/artikel/lang-1.html"]
        reply.body = reply.body.replace(b"</body>", link.encode() + b"</body>")
    site.article("/artikel/lang-2.html")
    crawl(tmp_path, site)
    assert "/artikel/lang-2.html" in site.paths()


def test_endless_pagination_stops_after_two_pages_without_a_new_article(tmp_path, site):
    # ?page=N always answers 200; past page 3 it repeats page 3's articles, as many CMSs do
    for n in range(1, 100):
        shown = min(n, 3)
        site.page(f"/news/?page={n}" if n > 1 else "/news/",
                  links=[f"/artikel/{shown}-a.html", f"/artikel/{shown}-b.html", f"/news/?page={n + 1}"])
    for n in (1, 2, 3):
        site.article(f"/artikel/{n}-a.html")
        site.article(f"/artikel/{n}-b.html")
    result = crawl(tmp_path, site)
    listings = [p for p in site.paths() if p.startswith("/news/")]
    assert listings == ["/news/", "/news/?page=2", "/news/?page=3", "/news/?page=4", "/news/?page=5"]
    assert len(result.fetches()) == 6
    assert result.stat("crawler/discovery/stopped/barren_listings/town") == 1


def test_a_section_index_without_articles_is_still_walked(tmp_path, site):
    site.page("/news/", links=["/news/2025/", "/news/2024/"])  # the start page: sections only
    site.page("/news/2025/", links=["/news/2025/maerz/"])  # a year index: months only
    site.page("/news/2025/maerz/", links=["/artikel/maerz.html"])
    site.page("/news/2024/", links=["/artikel/alt.html"])
    site.article("/artikel/maerz.html")
    site.article("/artikel/alt.html")
    crawl(tmp_path, site)
    assert {"/artikel/maerz.html", "/artikel/alt.html"} <= set(site.paths())


def test_no_spider_callback_is_a_generator_returning_a_value():
    # what WARN_ON_GENERATOR_RETURN_VALUE would warn about at every response; crawler/settings.py turns it off
    from scrapy.utils.misc import is_generator_with_return_value

    from spiders.news import NewsSpider

    callbacks = [value for name, value in vars(NewsSpider).items() if callable(value) and name.startswith("parse")]
    assert len(callbacks) >= 4
    assert [c.__name__ for c in callbacks if is_generator_with_return_value(c)] == []


def test_the_spiders_memo_of_joined_links_stays_bounded_and_joins_right_after_it_is_cleared():
    # every article link is root-relative: remembered for the whole crawl, the memo grew by ~250
    # bytes an article (a 100,000-article crawl: ~25 MB of the crawl process)
    from urllib.parse import urljoin

    from spiders.municipal import MunicipalSpider
    from spiders.news import JOIN_MEMO_SIZE

    spider = MunicipalSpider()
    bases = ["http://127.0.0.1:8000/presse/?page=3", "https://127.0.0.2/aktuelles/"]
    for number in range(3 * JOIN_MEMO_SIZE):
        base, href = bases[number % 2], f"/presse/{number}/meldung.html"
        assert spider._join(base, href) == urljoin(base, href)
        assert len(spider.joined) <= JOIN_MEMO_SIZE
    assert spider._join(bases[1], "/rathaus/") == "https://127.0.0.2/rathaus/"  # host of the base, not of an earlier one
    assert spider._join(bases[0], "//127.0.0.3/x") == "http://127.0.0.3/x"  # scheme-relative: not memoised
