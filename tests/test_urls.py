from crawler.urls import canonical_url, clean_url


def test_clean_url_drops_fragment_trackers_and_session_ids():
    assert clean_url("https://a.example/x.html?page_a36=2#pgtop") == "https://a.example/x.html?page_a36=2"
    assert clean_url("https://a.example/p?utm_source=nl&id=3&fbclid=abc") == "https://a.example/p?id=3"
    assert clean_url("https://a.example/d/1.php?s=e1e7ff") == "https://a.example/d/1.php"
    assert clean_url("https://a.example/x;jsessionid=ABC123?y=1") == "https://a.example/x?y=1"


def test_clean_url_keeps_a_typo3_query_byte_for_byte():
    url = "https://a.example/aktuelles/?tx_news_pi1%5BcurrentPage%5D=2&cHash=0a1b"
    assert clean_url(url) == url


def test_canonical_url_folds_case_and_default_port():
    assert canonical_url("HTTPS://WWW.A.example:443/News?PHPSESSID=1") == "https://www.a.example/News"
    assert canonical_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/"
