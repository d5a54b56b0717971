"""Politeness and safety against a misbehaving local server, in real crawl subprocesses.

Every "forbidden" target is another loopback port or name: no test traffic leaves 127.0.0.0/8.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hostile_server import HostileServer, Reply, crawl_sources, write_sources

from crawler.middlewares import parse_retry_after


@pytest.fixture
def site():
    with HostileServer() as served:
        yield served


@pytest.fixture
def other():
    """A second local service: the crawler must never reach it unless a source allows it."""
    with HostileServer() as served:
        served.article("/secret")
        yield served


def entry(site: HostileServer, **extra) -> dict:
    return {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
            "listing_patterns": ["^/news/"], "article_patterns": ["^/(a|old|secret)"], **extra}


def test_robots_503_means_nothing_is_fetched_from_that_host(tmp_path, site):
    site.robots = (503, "Service Unavailable")
    site.page("/news/", links=["/a1", "/a2"])
    site.article("/a1")
    with HostileServer() as listing_host:
        # a listing on a healthy host links to articles on the host whose robots.txt fails
        listing_host.page("/news/", links=[f"{site.origin}/a1", f"{site.origin}/a2"])
        sources = write_sources(tmp_path, {"town": {
            "start_urls": [f"{listing_host.origin}/news/"], "allowed_hosts": [listing_host.netloc, site.netloc],
            "listing_patterns": ["^/news/"], "article_patterns": ["^/a\\d"]}})
        result = crawl_sources(tmp_path, sources, [listing_host.netloc, site.netloc])
    assert set(site.paths()) == {"/robots.txt"}
    outcomes = {row["url"]: (row["outcome"], row["detail"]) for row in result.fetches()}
    assert outcomes == {f"{site.origin}/a{n}": ("robots", "robots.txt answered HTTP 503") for n in (1, 2)}
    assert "robots.txt answered HTTP 503; the host is disallowed for this run" in result.log
    assert result.stat(f"crawler/robots/unreadable/{site.netloc}") == 1


def test_robots_404_allows_everything_but_disallow_rules_are_obeyed(tmp_path, site):
    site.page("/news/", links=["/a1", "/a2"])
    site.article("/a1")
    site.article("/a2")
    site.robots = (200, "User-agent: *\nDisallow: /a2\n")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc])
    assert "/a2" not in site.paths() and "/a1" in site.paths()
    outcomes = {row["url"]: row["outcome"] for row in result.fetches()}
    assert outcomes[f"{site.origin}/a2"] == "robots"


def test_429_with_retry_after_delays_the_next_request_to_that_host(tmp_path, site):
    site.page("/news/", links=["/a1"])
    site.article("/a1")
    site.status("/news/", 429, times=1, headers={"Retry-After": "2"})
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc])
    listing = site.hits_of("/news/")
    assert len(listing) == 2, site.paths()
    refused_at = listing[0].at
    later = [hit.at for hit in site.hits if hit.at > refused_at]
    assert later and min(later) - refused_at >= 2.0
    assert "/a1" in site.paths()
    assert result.stat("crawler/politeness/slowed_hosts") == 1


def test_redirects_to_another_port_or_host_are_refused_and_recorded(tmp_path, site, other):
    site.page("/news/", links=["/old1", "/old2", "/old3", "/a1"])
    site.redirect("/old1", f"{other.origin}/secret")  # another local port: another service
    site.redirect("/old2", f"http://localhost:{site.port}/secret")  # same port, another host name
    site.redirect("/old3", f"http://[::ffff:127.0.0.1]:{site.port}/secret")  # IPv4-mapped form
    site.article("/a1")
    site.article("/secret")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc, other.netloc])
    assert other.paths() == [] and "/secret" not in site.paths()
    rows = {row["url"]: row for row in result.fetches()}
    assert {url: row["outcome"] for url, row in rows.items() if row["outcome"] != "new"} == {
        f"{other.origin}/secret": "refused",
        f"http://localhost:{site.port}/secret": "refused",
        f"http://[::ffff:127.0.0.1]:{site.port}/secret": "refused",
    }
    assert "redirected from" in rows[f"{other.origin}/secret"]["detail"]
    assert result.stat("crawler/refused/netguard") == 3


def test_a_source_listing_a_private_port_the_setting_does_not_allow_is_refused_at_load(tmp_path, site, other):
    # the entry lists both ports, but only the first is an allowed private address
    site.page("/news/", links=["/old1", "/a1"])
    site.redirect("/old1", f"{other.origin}/secret")
    site.article("/a1")
    sources = write_sources(tmp_path, {"town": entry(site, allowed_hosts=[site.netloc, other.netloc])})
    result = crawl_sources(tmp_path, sources, [site.netloc])
    assert other.paths() == [] and site.paths() == []
    assert f"field 'allowed_hosts': {other.netloc} is 127.0.0.1, not a public address" in result.log
    assert result.stat("crawler/sources/invalid") == 1


def test_start_url_on_a_private_address_is_refused_without_the_setting(tmp_path, site):
    site.page("/news/", links=["/a1"])
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [])
    assert site.paths() == []
    assert result.stat("crawler/sources/invalid") == 1


def test_user_agent_names_the_project_and_a_contact_url(tmp_path, site):
    site.page("/news/", links=[])
    crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc])
    agents = {hit.headers.get("User-Agent") for hit in site.hits}
    (agent,) = agents
    assert agent.startswith("partnerwatch/") and "+https://" in agent


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None


@pytest.mark.parametrize("autothrottle", [False, True])
def test_robots_crawl_delay_spaces_every_request_to_the_host(tmp_path, site, autothrottle):
    site.robots = (200, "User-agent: *\nCrawl-delay: 1.5\nAllow: /\n")
    site.page("/news/", links=["/a1", "/a2", "/a3"])
    for n in (1, 2, 3):
        site.article(f"/a{n}")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc],
                           AUTOTHROTTLE_ENABLED=autothrottle, AUTOTHROTTLE_START_DELAY=0.1,
                           CONCURRENT_REQUESTS_PER_DOMAIN=4)
    pages = [hit.at for hit in site.hits if hit.path != "/robots.txt"]
    assert len(pages) == 4
    gaps = [later - earlier for earlier, later in zip(pages, pages[1:])]
    assert min(gaps) >= 1.45, gaps  # the server's clock: a little slack for thread scheduling only
    assert result.stat("crawler/politeness/crawl_delay_hosts") == 1


def test_retry_after_beyond_the_cap_defers_the_host_to_the_next_night(tmp_path, site):
    site.page("/news/", links=["/a1", "/a2", "/a3", "/a4", "/a5"])
    site.status("/a1", 429, headers={"Retry-After": "7200"})
    for n in (2, 3, 4, 5):
        site.article(f"/a{n}")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc],
                           CONCURRENT_REQUESTS_PER_DOMAIN=1, CRAWLER_RETRY_AFTER_MAX=60)
    assert len(site.hits_of("/a1")) == 1  # not retried at the cap, not retried at all
    outcomes = {row["url"].rsplit("/", 1)[1]: (row["outcome"], row["detail"]) for row in result.fetches()}
    assert outcomes["a1"] == ("deferred", "Retry-After 7200 s exceeds CRAWLER_RETRY_AFTER_MAX 60 s")
    # what was queued for the host waits for the next night: nothing is sent once the 429 is read
    # (requests already on their way when it came back may still arrive, within milliseconds)
    answered = site.hits_of("/a1")[0].at
    sent_after = [hit.path for hit in site.hits if hit.at > answered + 0.05]
    assert sent_after == []
    for n in (2, 3, 4, 5):  # each article was fetched before the pause was asked for, or deferred
        fetched = f"/a{n}" in site.paths()
        assert outcomes[f"a{n}"][0] == ("new" if fetched else "deferred")
    assert result.stat("crawler/politeness/deferred_hosts") == 1


def test_redirect_loops_and_overlong_chains_are_errors_under_the_linked_url(tmp_path, site):
    site.page("/news/", links=["/a-self", "/a-ping", "/a-chain0", "/a-meta1", "/a2"])
    site.redirect("/a-self", "/a-self")
    site.redirect("/a-ping", "/a-pong")
    site.redirect("/a-pong", "/a-ping")
    for hop in range(10):
        site.redirect(f"/a-chain{hop}", f"/a-chain{hop + 1}")
    site.article("/a-chain10")
    site.page("/a-meta1", head='<meta http-equiv="refresh" content="0; url=/a-meta2">')
    site.page("/a-meta2", head='<meta http-equiv="refresh" content="0; url=/a-meta1">')
    site.article("/a2")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc])
    rows = {row["url"].rsplit("/", 1)[1]: (row["outcome"], row["detail"]) for row in result.fetches()}
    assert rows == {"a-self": ("error", "redirect_loop"), "a-ping": ("error", "redirect_loop"),
                    "a-chain0": ("error", "too_many_redirects"), "a-meta1": ("error", "redirect_loop"),
                    "a2": ("new", None)}
    assert "redirect loop: /" not in result.log and "redirect loop: http" in result.log
    # REDIRECT_MAX_TIMES = 5: the linked URL and five hops fetched, the sixth hop never
    assert sorted(p for p in site.paths() if p.startswith("/a-chain")) == [f"/a-chain{n}" for n in range(6)]


def test_a_page_past_download_maxsize_is_too_large_announced_or_streamed(tmp_path, site):
    site.page("/news/", links=["/a-big", "/a-stream", "/a1"])
    big = b"<html><body><p>" + b"Klimapartnerschaft " * 700_000 + b"</p></body></html>"  # 13 MB
    site.routes["/a-big"] = Reply(200, big, {"Content-Type": "text/html"})
    site.routes["/a-stream"] = Reply(200, big, {"Content-Type": "text/html"}, declared_length=None)
    site.article("/a1")
    result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry(site)}), [site.netloc])
    rows = {row["url"].rsplit("/", 1)[1]: (row["outcome"], row["detail"]) for row in result.fetches()}
    assert rows["a-big"] == rows["a-stream"] == ("too_large", "over DOWNLOAD_MAXSIZE (10485760 bytes)")
    assert rows["a1"] == ("new", None)
