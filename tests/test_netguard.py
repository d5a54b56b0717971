"""Address rules as pure functions: nothing here opens a connection."""

from __future__ import annotations

import ipaddress

import pytest

from crawler.netguard import (
    Refused,
    check_addresses,
    check_host_entry,
    check_resolved,
    private_allowance,
    check_url,
    is_allowed_endpoint,
    is_public,
    normalize_host_entry,
    parse_ip,
)

NOT_PUBLIC = [
    "127.0.0.1", "127.5.6.7", "10.0.0.1", "172.16.3.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
    "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "2002:7f00:1::1", "192.0.2.10", "ff02::1",
    # NAT64 and IPv4-compatible forms: a gateway or the stack delivers them to the IPv4 inside
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::5db8:d822", "64:ff9b:1::7f00:1", "::7f00:1", "::a9fe:a9fe",
]
PUBLIC = ["93.184.216.34", "141.30.1.1", "2a00:1450:4001:80b::200e", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_global_unicast_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_ip_literals_are_unwrapped_from_brackets_and_ipv4_mapped_form():
    assert parse_ip("[::ffff:127.0.0.1]") == ipaddress.ip_address("127.0.0.1")
    assert parse_ip("[fe80::1%eth0]") == ipaddress.ip_address("fe80::1")
    assert parse_ip("www.berlin.de") is None


@pytest.mark.parametrize("url", ["file:///etc/hostname", "data:text/html,x", "ftp://a.example/",
                                 "http://user:pw@a.example/", "http:///nohost", "http://a.example:99999/"])
def test_only_plain_http_urls_with_a_host_pass(url):
    with pytest.raises(Refused):
        check_url(url)


def test_metadata_address_is_refused_even_when_a_public_address_comes_with_it():
    addresses = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("169.254.169.254")]
    with pytest.raises(Refused, match="169.254.169.254, not a public address"):
        check_addresses("rebind.example", 80, addresses)


def test_private_address_passes_only_when_allowed_with_its_port():
    loopback = [ipaddress.ip_address("127.0.0.1")]
    check_addresses("127.0.0.1", 8001, loopback, ["127.0.0.1:8001"])
    check_addresses("127.0.0.1", 9999, loopback, ["127.0.0.1"])  # no port: any port
    with pytest.raises(Refused):
        check_addresses("127.0.0.1", 8002, loopback, ["127.0.0.1:8001"])
    with pytest.raises(Refused, match="has no address"):
        check_addresses("nowhere.example", 80, [], ["127.0.0.1"])


def test_allowed_hosts_match_host_and_port():
    allowed = ["www.lag21.de", "127.0.0.1:8001"]
    assert is_allowed_endpoint("https://www.lag21.de/aktuelles/", allowed)
    assert is_allowed_endpoint("http://WWW.LAG21.DE:80/x", allowed)
    assert not is_allowed_endpoint("https://www.lag21.de:8443/x", allowed)  # another service
    assert not is_allowed_endpoint("https://lag21.de.evil.example/x", allowed)
    assert is_allowed_endpoint("http://127.0.0.1:8001/", allowed)
    assert not is_allowed_endpoint("http://127.0.0.1:8002/", allowed)
    assert not is_allowed_endpoint("http://localhost:8001/", allowed)


def test_host_entries_normalize_case_and_ipv6_brackets():
    assert normalize_host_entry("WWW.Berlin.de") == "www.berlin.de"
    assert normalize_host_entry("[::1]:8080") == "[::1]:8080"
    assert normalize_host_entry("127.0.0.1:80") == "127.0.0.1:80"
    with pytest.raises(Refused):
        normalize_host_entry(":80")


def test_a_resolved_private_address_passes_only_with_a_portless_allowance():
    loopback = ipaddress.ip_address("127.0.0.2")
    check_resolved("intranet.test", ipaddress.ip_address("93.184.216.34"))
    check_resolved("intranet.test", loopback, ["127.0.0.2"])
    for allowance in ([], ["127.0.0.2:8001"], ["127.0.0.1"]):
        with pytest.raises(Refused, match="resolved to 127.0.0.2"):
            check_resolved("intranet.test", loopback, allowance)


@pytest.mark.parametrize("entry", ["169.254.169.254", "10.1.2.3:8080", "[::1]:80", "127.0.0.2", "[64:ff9b::7f00:1]"])
def test_allowed_hosts_naming_a_non_public_address_are_refused(entry):
    with pytest.raises(Refused, match="not a public address"):
        check_host_entry(entry)


def test_allowed_hosts_pass_when_public_a_name_or_allowed_explicitly():
    check_host_entry("www.berlin.de")
    check_host_entry("93.184.216.34:8080")
    check_host_entry("127.0.0.2:8001", ["127.0.0.2:8001"])
    check_host_entry("127.0.0.2:8001", ["127.0.0.2"])


def test_private_allowance_reads_lists_json_and_comma_text():
    assert private_allowance(None) == []
    assert private_allowance('["127.0.0.1:80"]') == ["127.0.0.1:80"]
    assert private_allowance("127.0.0.1:80, 127.0.0.2") == ["127.0.0.1:80", "127.0.0.2"]
    with pytest.raises(Refused, match="CRAWLER_NETGUARD_ALLOWED_PRIVATE"):
        private_allowance({"127.0.0.1": 1})
