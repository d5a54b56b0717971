"""Ask a replica served by another process (`python -m crawler.replica serve`) for its origins."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from crawler.netguard import is_loopback_url


class ReplicaUnreachable(Exception):
    """No replica answers at the URL given, or the URL is not a local one."""


def served_origin_map(url: str, timeout: float = 5.0) -> dict[str, str]:
    """Real origin -> local origin of the replica serving `url` (any of its site ports).

    Only a loopback URL is asked: the replica is a local copy, and this request runs before the
    crawl's net guard does.
    """
    if not is_loopback_url(url):
        raise ReplicaUnreachable(f"{url}: a replica is served on a loopback address (127.0.0.1)")
    parts = urlsplit(url)
    origins_url = f"{parts.scheme or 'http'}://{parts.netloc}/_replica/origins"
    try:
        with urllib.request.urlopen(origins_url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            origin_map = json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as error:
        raise ReplicaUnreachable(f"no replica answers at {url}: {error}") from None
    if not isinstance(origin_map, dict) or not all(isinstance(v, str) for v in origin_map.values()):
        raise ReplicaUnreachable(f"{origins_url} did not answer with an origin map")
    return origin_map


def replica_crawl_settings(url: str) -> tuple[dict[str, str], list[str]]:
    """The origin map of the replica at `url`, and the `NAME=VALUE` settings that crawl it under
    the real sites' URLs."""
    origin_map = served_origin_map(url)
    local_hosts = sorted({urlsplit(local).netloc for local in origin_map.values()})
    return origin_map, [f"CRAWLER_ORIGIN_MAP={json.dumps(origin_map)}",
                        f"CRAWLER_NETGUARD_ALLOWED_PRIVATE={json.dumps(local_hosts)}"]
