"""The sources file: the bundled one is valid, bad entries are named and skipped."""

from __future__ import annotations

from pathlib import Path

from spiders.sources import BUNDLED_SOURCES, load_sources

GOOD = """
[town]
start_urls = ["https://www.town.example/news/"]
listing_patterns = ['^/news/(\\?page=\\d+)?$']
article_patterns = ['^/news/\\d+/[^/]+$']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_sources_are_all_valid():
    sources, errors = load_sources(BUNDLED_SOURCES)
    assert errors == []
    assert {s.spider for s in sources} == {"skew", "lag21", "municipal"}


def test_minimal_entry_defaults_hosts_from_start_urls(tmp_path):
    (town,), errors = load_sources(write(tmp_path, GOOD))
    assert errors == []
    assert town.spider == "municipal" and town.allowed_hosts == {"www.town.example"}
    assert town.is_article("/news/2024/partnerschaft") and not town.is_article("/news/")
    assert town.is_listing("/news/?page=2")


def test_bad_entry_names_entry_and_field_and_spares_the_others(tmp_path):
    bad = GOOD + """
[broken]
start_urls = ["ftp://files.example/"]
listing_patterns = ["x"]
article_patterns = ["y"]

[badregex]
start_urls = ["https://a.example/"]
listing_patterns = ["("]
article_patterns = ["y"]
"""
    sources, errors = load_sources(write(tmp_path, bad))
    assert [s.name for s in sources] == ["town"]
    messages = sorted(str(e) for e in errors)
    assert "source 'badregex', field 'listing_patterns'" in messages[0]
    assert "source 'broken', field 'start_urls'" in messages[1]


def test_unknown_field_is_an_error(tmp_path):
    _, (error,) = load_sources(write(tmp_path, GOOD + 'startt_urls = ["https://x.example/"]\n'))
    assert "field 'startt_urls': unknown field" in str(error)


def test_rebase_moves_urls_and_hosts_to_another_origin(tmp_path):
    (town,), _ = load_sources(write(tmp_path, GOOD))
    local = town.rebased({"https://www.town.example": "http://127.0.0.1:8123"})
    assert local.start_urls == ("http://127.0.0.1:8123/news/",)
    assert local.allowed_hosts == {"127.0.0.1:8123"}


def test_new_fields_are_validated_with_entry_and_field_named(tmp_path):
    bad = {
        "mirrors": 'mirrors = { "https://copy.example/path" = "https://www.town.example" }',
        "links_css": 'links_css = "ul[["',
        "depth_limit": "depth_limit = 0",
        "listing_fallback": 'listing_fallback = "yes"',
        "allowed_hosts": 'allowed_hosts = ["https://www.town.example/"]',
        "language": 'language = "Deutsch"',
    }
    for field, line in bad.items():
        _, errors = load_sources(write(tmp_path, GOOD + line + "\n"))
        assert [f"source 'town', field '{field}'" in str(e) for e in errors] == [True], (field, errors)


def test_start_url_outside_the_allowed_hosts_is_an_error(tmp_path):
    _, (error,) = load_sources(write(tmp_path, GOOD + 'allowed_hosts = ["other.example"]\n'))
    assert "field 'start_urls'" in str(error) and "not on an allowed host" in str(error)


def test_www_twin_and_declared_mirrors_map_to_the_primary_host(tmp_path):
    text = GOOD + 'allowed_hosts = ["www.town.example", "town.example"]\n' \
                  'mirrors = { "https://redaktion.town.example" = "https://www.town.example" }\n'
    (town,), _ = load_sources(write(tmp_path, text))
    urls = town.url_identity()
    assert urls.request_url("https://town.example/news/1/x") == "https://www.town.example/news/1/x"
    assert urls.request_url("https://redaktion.town.example/a?b=1") == "https://www.town.example/a?b=1"
    local = town.rebased({"https://www.town.example": "http://127.0.0.1:8123",
                          "https://redaktion.town.example": "http://127.0.0.1:8124"}).url_identity()
    assert local.request_url("http://127.0.0.1:8124/a") == "http://127.0.0.1:8123/a"
    # fetched from the local copy, filed under the real site's URL
    assert local.of("http://127.0.0.1:8124/a") == "https://www.town.example/a"


def test_session_params_are_a_list_of_names_kept_in_lower_case(tmp_path):
    (town,), _ = load_sources(write(tmp_path, GOOD + 'session_params = ["SID", "s"]\n'))
    assert town.session_params == {"sid", "s"}
    assert town.url_identity().of("https://www.town.example/news/1/x?SID=9&id=2") == "https://www.town.example/news/1/x?id=2"
    _, (error,) = load_sources(write(tmp_path, GOOD + 'session_params = "sid"\n'))
    assert "field 'session_params'" in str(error)


METADATA = """
[cloud]
start_urls = ["http://169.254.169.254/latest/"]
allowed_hosts = ["169.254.169.254"]
listing_patterns = ['^/latest/$']
article_patterns = ['^/latest/\\w+$']
"""


def test_allowed_hosts_on_a_metadata_or_private_address_are_refused_when_the_file_loads(tmp_path):
    path = write(tmp_path, GOOD + METADATA + METADATA.replace("cloud", "lan").replace("169.254.169.254", "10.0.0.5"))
    sources, errors = load_sources(path)
    assert [s.name for s in sources] == ["town"]
    messages = sorted(str(e) for e in errors)
    assert "source 'cloud', field 'allowed_hosts': 169.254.169.254 is 169.254.169.254, not a public" in messages[0]
    assert "source 'lan', field 'allowed_hosts': 10.0.0.5 is 10.0.0.5, not a public" in messages[1]


def test_the_private_allowance_setting_admits_an_address_it_names(tmp_path):
    sources, errors = load_sources(write(tmp_path, METADATA.replace("169.254.169.254", "127.0.0.2")), ["127.0.0.2"])
    assert errors == [] and [s.name for s in sources] == ["cloud"]
