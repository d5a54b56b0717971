"""The net guard judges the address a connection uses: host names resolved by a scripted resolver.

The forbidden target is another loopback address (127.0.0.2), with a real server listening on
it that must never see a request; the allowed one is 127.0.0.1. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from hostile_server import FAST, CrawlResult, HostileServer, write_sources
from scripted_dns import SCRIPT_ENV

RESOLVER = "tests.scripted_dns.ScriptedResolver"


@pytest.fixture
def allowed():
    with HostileServer("127.0.0.1") as served:
        yield served


@pytest.fixture
def forbidden(allowed):
    """A server on 127.0.0.2 at the same port: what a rebinding answer would connect to."""
    forbidden = HostileServer("127.0.0.2")
    with forbidden.bound(allowed.port) as served:
        served.article("/news/a1")
        served.article("/news/a2")
        served.page("/news/", links=["/news/a1", "/news/a2"])
        yield served


def serve_news(site: HostileServer, articles: int) -> list[str]:
    links = [f"/news/a{number}" for number in range(1, articles + 1)]
    site.page("/news/", links=links)
    for link in links:
        site.article(link)
    for reply in site.routes.values():
        reply.headers["Connection"] = "close"  # every request connects, so every one resolves
    return links


def crawl_named(tmp_path, name: str, port: int, script: dict[str, list[str]], allowed_private: list[str],
                **settings) -> CrawlResult:
    sources = write_sources(tmp_path, {"town": {
        "spider": "municipal", "title": "Town", "start_urls": [f"http://{name}:{port}/news/"],
        "article_patterns": ["/news/a\\d+$"], "listing_patterns": ["/news/$"]}})
    db_path = tmp_path / "archive.db"
    command = crawl_command("municipal", {"sources": str(sources)}, CRAWLER_STORAGE_PATH=db_path,
                            CRAWLER_NETGUARD_ALLOWED_PRIVATE=allowed_private, TWISTED_DNS_RESOLVER=RESOLVER,
                            **{**FAST, "RETRY_TIMES": 0, **settings})
    env = {**crawl_env(), SCRIPT_ENV: json.dumps(script)}
    result = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    return CrawlResult(db_path, result.stderr)


def test_a_name_resolving_to_a_forbidden_address_is_never_connected_to(tmp_path, allowed, forbidden):
    result = crawl_named(tmp_path, "intranet.test", allowed.port, {"intranet.test": ["127.0.0.2"]}, ["127.0.0.1"])
    assert forbidden.paths() == []
    assert "127.0.0.2, not a public address" in result.log


def test_a_rebinding_answer_between_requests_reaches_only_the_allowed_address(tmp_path, allowed, forbidden):
    links = serve_news(allowed, 3)
    # robots.txt and the listing get the allowed answer, then the name flips to 127.0.0.2 and back
    script = {"flappy.test": ["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.2", "127.0.0.1"]}
    result = crawl_named(tmp_path, "flappy.test", allowed.port, script, ["127.0.0.1"],
                         CONCURRENT_REQUESTS_PER_DOMAIN=1)
    assert forbidden.paths() == []
    outcomes = {row["url"].rsplit("/", 1)[1]: row["outcome"] for row in result.fetches()}
    assert set(outcomes) == {link.rsplit("/", 1)[1] for link in links}
    assert "refused" in outcomes.values() and "new" in outcomes.values(), [(r["url"], r["outcome"], r["detail"]) for r in result.fetches()]
    assert "resolved to 127.0.0.2" in result.log


def test_an_empty_answer_or_a_failing_lookup_fetches_nothing(tmp_path, allowed):
    serve_news(allowed, 1)
    for name, answers in (("empty.test", [""]), ("broken.test", ["!error"])):
        run_dir = tmp_path / name
        run_dir.mkdir()
        result = crawl_named(run_dir, name, allowed.port, {name: answers}, ["127.0.0.1"])
        assert result.fetches() == []
    assert allowed.paths() == []


def test_a_port_bound_allowance_does_not_open_the_address_to_host_names(tmp_path, allowed):
    serve_news(allowed, 1)
    crawl_named(tmp_path, "local.test", allowed.port, {"local.test": ["127.0.0.1"]}, [allowed.netloc])
    assert allowed.paths() == []
