"""Address rules for every request the crawler makes: pure functions, no connections.

A news crawler follows links and redirects chosen by other people's servers, so any of them
could point it at the machine's own services or the cloud metadata address (SSRF,
reliability.md §2.1). These rules decide, from a URL and the addresses its host resolves to,
whether a request may go out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from crawler.setting_values import parse_list

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
# IPv6 ranges that carry an IPv4 address a gateway or the host stack may deliver it to, whatever
# that IPv4 address is: NAT64 (RFC 6052, RFC 8215) and the deprecated IPv4-compatible form.
# `is_global` calls them global, so they are judged here as never public.
_TRANSLATED = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"),
               ipaddress.ip_network("::/96"))
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(ValueError):
    """A request the address rules do not allow; the message says why."""


def parse_ip(host: str) -> IPAddress | None:
    """The address a host names literally (IPv4-mapped IPv6 unwrapped), or None for a host name."""
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # [::ffff:127.0.0.1] is 127.0.0.1
    return address


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only.

    `is_global` already excludes loopback, RFC 1918, link-local (169.254/16, fe80::/10, the
    metadata address), CGNAT 100.64/10, unique-local fc00::/7, 0.0.0.0 and documentation ranges;
    multicast is excluded on top because a crawler never talks to a group.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        address = address.sixtofour  # 2002:7f00:1::/48 tunnels to 127.0.0.1
    if isinstance(address, ipaddress.IPv6Address) and any(address in net for net in _TRANSLATED):
        return False  # 64:ff9b::7f00:1 is 127.0.0.1 behind a NAT64 gateway
    return address.is_global and not address.is_multicast


def host_port(url: str) -> tuple[str, int]:
    """(lower-case host without brackets, port with the scheme's default filled in)."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError as error:
        raise Refused(f"bad port in {url!r}") from error
    return (parts.hostname or "").lower(), port


def endpoint(host: str, port: int) -> str:
    """`host:port` as the allow lists write it; IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def normalize_host_entry(entry: str, default_port: int | None = None) -> str:
    """An allow-list entry ("Host", "host:8080", "[::1]:80") as `host:port`, or bare `host` when
    no port is given and there is no default (any default port of http/https then matches)."""
    entry = entry.strip().lower()
    parts = urlsplit(f"//{entry}")
    host = parts.hostname or ""
    try:
        port = parts.port or default_port
    except ValueError as error:
        raise Refused(f"bad port in {entry!r}") from error
    if not host:
        raise Refused(f"no host in {entry!r}")
    return endpoint(host, port) if port else host


def is_allowed_endpoint(url: str, allowed: Iterable[str]) -> bool:
    """True when the URL's host and port are in `allowed` (entries `host` or `host:port`).

    A bare `host` allows the scheme's default port only: a redirect to the same name on
    another port reaches another service, which Scrapy's off-site filter does not notice.
    """
    host, port = host_port(url)
    scheme_default = DEFAULT_PORTS.get(urlsplit(url).scheme.lower())
    wanted = endpoint(host, port)
    for entry in allowed:
        normalized = normalize_host_entry(entry)
        if normalized == wanted or (normalized == host and port == scheme_default):
            return True
    return False


def check_url(url: str) -> None:
    """Raise Refused unless the URL is http(s) with a host; says nothing yet about addresses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise Refused(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise Refused("URL has no host")
    if parts.username or parts.password:
        raise Refused("URL carries credentials")
    host_port(url)


def check_addresses(host: str, port: int, addresses: Iterable[IPAddress],
                    private_allowed: Iterable[str] = ()) -> None:
    """Raise Refused if any address of the host is not public and not explicitly allowed.

    Every address must pass, not just one: a resolver may return a public and a private
    answer, and the connection may use either (DNS rebinding).
    """
    allowed = {normalize_host_entry(entry) for entry in private_allowed}
    found = False
    for address in addresses:
        found = True
        if is_public(address):
            continue
        literal = str(address)
        if endpoint(literal, port) in allowed or literal in allowed:
            continue
        raise Refused(f"{host} is {literal}, not a public address")
    if not found:
        raise Refused(f"{host} has no address")


def private_allowance(value: object) -> list[str]:
    """CRAWLER_NETGUARD_ALLOWED_PRIVATE as a list: a list, JSON text or comma-separated text."""
    try:
        entries = parse_list(value)
    except ValueError:
        entries = [value]  # refused below, with the value named
    if not all(isinstance(entry, str) for entry in entries):
        raise Refused(f"CRAWLER_NETGUARD_ALLOWED_PRIVATE must be a list of addresses, not {value!r}")
    return [normalize_host_entry(entry) for entry in entries if entry.strip()]


def check_resolved(host: str, address: IPAddress, private_allowed: Iterable[str] = ()) -> None:
    """Raise Refused unless the address a host name resolved to may be connected to.

    Called with the very address the connection will use (crawler.resolver). An allowance
    entry counts here only without a port: the resolver does not know the port, and an entry
    `127.0.0.1:8001` must not open the address's other ports to a host name.
    """
    if is_public(address):
        return
    literal = str(address)
    if literal in {normalize_host_entry(entry) for entry in private_allowed}:
        return
    raise Refused(f"{host} resolved to {literal}, not a public address")


def check_host_entry(entry: str, private_allowed: Iterable[str] = ()) -> None:
    """Raise Refused for an allowed-hosts entry that names a non-public address literal
    (`169.254.169.254`, `[::1]:8080`) unless the private allowance names it too."""
    normalized = normalize_host_entry(entry)
    address = parse_ip(urlsplit(f"//{entry.strip()}").hostname or "")
    if address is None or is_public(address):
        return
    allowed = {normalize_host_entry(item) for item in private_allowed}
    if normalized in allowed or str(address) in allowed:
        return
    raise Refused(f"{entry} is {address}, not a public address")


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is a loopback address literal (127.0.0.0/8, ::1): a local copy."""
    address = parse_ip(urlsplit(url).hostname or "")
    return address is not None and address.is_loopback
