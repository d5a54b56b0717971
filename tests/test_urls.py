"""URL identity as a pure function: cleaning, encoding, mirrors, replica origins, rel=canonical, session ids."""

import re

from crawler.identity import UrlIdentity
from storage.urls import canonical_url, clean_url


def test_clean_url_drops_fragment_trackers_and_session_ids():
    assert clean_url("https://a.example/x.html?page_a36=2#pgtop") == "https://a.example/x.html?page_a36=2"
    assert clean_url("https://a.example/p?utm_source=nl&id=3&fbclid=abc") == "https://a.example/p?id=3"
    assert clean_url("https://a.example/x;jsessionid=ABC123?y=1") == "https://a.example/x?y=1"
    assert clean_url("https://a.example/p?sessid=9f8e7d6c&id=3&PHPSESSID=1") == "https://a.example/p?id=3"
    assert clean_url("https://a.example/amt/(S(x7k2p9aq))/presse/") == "https://a.example/amt/presse/"


def test_s_and_sid_are_kept_unless_the_source_names_them():
    # a story id on one CMS, a session id on another
    assert clean_url("https://a.example/story.php?sid=4711") == "https://a.example/story.php?sid=4711"
    assert clean_url("https://a.example/d/1.php?s=e1e7ff&x=1", {"s"}) == "https://a.example/d/1.php?x=1"


def test_clean_url_keeps_a_typo3_query_byte_for_byte():
    url = "https://a.example/aktuelles/?tx_news_pi1%5BcurrentPage%5D=2&cHash=0a1b"
    assert clean_url(url) == url
    # a tracker dropped, the rest of the query still exactly as linked
    assert clean_url(url + "&utm_source=nl") == url
    assert canonical_url(url + "#c12") == url


def test_canonical_url_folds_case_and_default_port():
    assert canonical_url("HTTPS://WWW.A.example:443/News?PHPSESSID=1") == "https://www.a.example/News"
    assert canonical_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/"
    assert canonical_url("http://a.example:80/x") == canonical_url("http://A.example/x") == "http://a.example/x"


def test_umlauts_and_spaces_are_one_url_whether_linked_raw_or_encoded():
    raw = "https://www.stadt.example/aktuelles/Bürgerfest im Park.html?ort=Köln"
    encoded = "https://www.stadt.example/aktuelles/B%C3%BCrgerfest%20im%20Park.html?ort=K%C3%B6ln"
    assert clean_url(raw) == encoded
    assert canonical_url(raw) == canonical_url(encoded) == canonical_url(encoded.replace("%C3%BC", "%c3%bc"))


def test_percent_escapes_of_unreserved_characters_are_the_characters():
    assert canonical_url("https://a.example/%7Euser/a%2Db%41") == "https://a.example/~user/a-bA"
    assert canonical_url("https://a.example/a%2fb") == "https://a.example/a%2Fb"  # a slash stays escaped


def test_an_idn_host_is_filed_under_its_ascii_form():
    assert canonical_url("https://www.Köln.example/presse/") == "https://www.xn--kln-sna.example/presse/"
    assert canonical_url("https://www.xn--kln-sna.example/presse/") == "https://www.xn--kln-sna.example/presse/"


def test_a_replica_on_any_port_files_articles_under_the_real_origin():
    real = "https://www.lag21.de/aktuelles/details/a/"
    first = UrlIdentity(frozenset({"127.0.0.1:41001"}), real_origins={"http://127.0.0.1:41001": "https://www.lag21.de"})
    second = UrlIdentity(frozenset({"127.0.0.1:52002"}), real_origins={"http://127.0.0.1:52002": "https://www.lag21.de"})
    assert first.of("http://127.0.0.1:41001/aktuelles/details/a/") == real
    assert second.of("http://127.0.0.1:52002/aktuelles/details/a/") == real
    # a revisit goes to tonight's port, not to last night's or to the real site
    assert second.revisit_url("http://127.0.0.1:41001/aktuelles/details/a/", real) == "http://127.0.0.1:52002/aktuelles/details/a/"


SITE = UrlIdentity(frozenset({"www.town.example"}), article_patterns=(re.compile(r"^/presse/\d{4}/[^/]+$"),),
                   listing_patterns=(re.compile(r"^/presse/(\?seite=\d+)?$"),),
                   landing_urls=frozenset({"https://www.town.example/presse/", "https://www.town.example/"}))


def test_rel_canonical_to_the_home_page_a_listing_or_a_start_url_is_not_believed():
    article = "https://www.town.example/presse/2024/klimapartnerschaft"
    for declared in ("https://www.town.example/", "https://www.town.example/presse/",
                     "https://www.town.example/presse/?seite=2", "https://www.town.example/impressum"):
        assert SITE.of_article(article, declared) == article, declared
    # a print view that names its article is believed
    assert SITE.of_article(article + "?print=1", article) == article


def test_session_ids_with_a_random_value_on_every_link_of_a_listing_are_detected():
    identity = UrlIdentity(frozenset({"www.town.example"}))
    links = [f"https://www.town.example/presse/2024/{slug}?sid=a81f2c99e0b3" for slug in ("a", "b", "c")]
    assert identity.notice_session_params("https://www.town.example/presse/", links) == ({"sid"}, set())
    assert identity.of(links[0]) == "https://www.town.example/presse/2024/a"


def test_a_short_session_value_is_undecided_until_the_next_fetch_brings_another():
    identity = UrlIdentity(frozenset({"www.town.example"}))
    page1 = [f"https://www.town.example/p/{n}?s=4411" for n in range(4)]
    again = [f"https://www.town.example/p/{n}?s=9023" for n in range(4)]
    assert identity.notice_session_params("https://www.town.example/p/", page1) == (set(), {"s"})
    assert identity.notice_session_params("https://www.town.example/p/", again) == ({"s"}, set())
    assert identity.of(page1[0]) == "https://www.town.example/p/0"


def test_story_ids_language_and_filter_parameters_are_not_session_ids():
    identity = UrlIdentity(frozenset({"www.town.example"}))
    stories = [f"https://www.town.example/story.php?sid={n}" for n in (4711, 4712, 4713, 4714)]
    language = [f"https://www.town.example/p/{n}?L=1" for n in range(5)]
    category = [f"https://www.town.example/p/{n}?cat=k7x2p9q4r1" for n in range(5)]
    assert identity.notice_session_params("https://www.town.example/", stories + language) == (set(), set())
    assert identity.notice_session_params("https://www.town.example/?L=1&seite=2", language) == (set(), set())
    # the category page's own value rides on its links: it selects content
    category_page = "https://www.town.example/liste?cat=k7x2p9q4r1"
    assert identity.notice_session_params(category_page, category) == (set(), set())
    # a year on every link of an archive page is asked about once, and stays when it stays the same
    years = [f"https://www.town.example/p/{n}?jahr=2024" for n in range(5)]
    assert identity.notice_session_params("https://www.town.example/archiv", years) == (set(), {"jahr"})
    assert identity.notice_session_params("https://www.town.example/archiv", years) == (set(), {"jahr"})
    assert identity.of(stories[0]) == stories[0]
