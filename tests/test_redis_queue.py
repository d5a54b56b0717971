"""Requests through the sharded queue in a real redis-server: plain data in Redis, the spider's objects back."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy_redis import picklecompat

from crawler import settings as project_settings
from crawler.items import META_ARTICLE, META_IDENTITY, META_LISTED_MODIFIED
from crawler.redis_night import Keys, Night, connect
from crawler.redis_queue import META_QUEUE_ID, ShardQueue
from spiders.municipal import MunicipalSpider
from storage.lifecycle import Known

PLAIN = (str, bytes, int, float, bool, type(None))


def plain(value: Any) -> bool:
    """Only what any machine can read back without our classes: no Source, UrlIdentity, Known."""
    if isinstance(value, dict):
        return all(plain(key) and plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(plain(item) for item in value)
    return isinstance(value, PLAIN)


@pytest.fixture
def spider() -> MunicipalSpider:
    settings = Settings()
    settings.setmodule(project_settings)
    # not frozen, as in a crawl before it starts: the spider sets its sources' download slots
    return MunicipalSpider.from_crawler(Crawler(MunicipalSpider, settings))


def test_an_article_request_crosses_redis_as_plain_data_and_returns_with_the_spiders_source_and_identity(
        spider: MunicipalSpider, redis_url: str) -> None:
    client, keys = connect(redis_url), Keys("t")
    Night(1, 1, ("municipal",), {}).save(client, keys)
    source = spider.sources[0]
    request = spider.article_request(source, source.start_urls[0] + "artikel-1", modified="2026-12-01")
    assert request is not None
    # what the conditional middleware and Scrapy put in meta before a retry queues it again
    request.meta["partnerwatch_known"] = Known("u", "c", source.name, '"e"', None, None, False)
    request.meta["handle_httpstatus_list"] = [304, 404, 410]
    queue = ShardQueue(client, spider, keys.queue("municipal", 0), picklecompat, keys, 0, 1)
    queue.push(request)
    [entry] = client.zrange(keys.queue("municipal", 0), 0, -1)
    stored = pickle.loads(entry[32:])  # noqa: S301 (our own entry)
    assert plain(stored), stored
    assert stored["cb_kwargs"]["source"] == source.name and stored["meta"][META_IDENTITY] == source.name

    back = queue.pop()
    assert back is not None and back.url == request.url and back.callback == spider.parse_article
    assert back.errback == spider.article_failed
    assert back.cb_kwargs["source"] is source
    assert back.meta[META_IDENTITY] is spider.identities[source.name]
    assert back.meta[META_ARTICLE] is True and back.meta[META_LISTED_MODIFIED] == "2026-12-01"
    assert "partnerwatch_known" not in back.meta  # looked up again on the worker that fetches it
    assert client.hlen(keys.in_flight("municipal", 0)) == 1  # popped, not yet done

    retry = back.copy()  # RetryMiddleware's copy carries the queue id: it takes the original's place
    queue.push(retry)
    assert client.hlen(keys.in_flight("municipal", 0)) == 0 and len(queue) == 1
    again = queue.pop()
    assert again is not None and again.meta[META_QUEUE_ID] != back.meta[META_QUEUE_ID]
    queue.done(again)
    assert client.hlen(keys.in_flight("municipal", 0)) == 0 and len(queue) == 0


def test_a_worker_starting_on_a_shard_queues_again_what_a_killed_one_had_in_flight(
        spider: MunicipalSpider, redis_url: str) -> None:
    client, keys = connect(redis_url), Keys("t")
    source = spider.sources[0]
    queue = ShardQueue(client, spider, keys.queue("municipal", 0), picklecompat, keys, 0, 1)
    for number in range(3):
        request = spider.article_request(source, f"{source.start_urls[0]}artikel-{number}")
        assert request is not None
        queue.push(request)
    popped = [queue.pop() for _ in range(2)]  # in the killed worker's downloader
    assert all(popped) and len(queue) == 1
    restarted = ShardQueue(client, spider, keys.queue("municipal", 0), picklecompat, keys, 0, 1)
    assert restarted.resume() == 2
    assert len(restarted) == 3 and client.hlen(keys.in_flight("municipal", 0)) == 0
    urls = {request.url for request in (restarted.pop(), restarted.pop(), restarted.pop()) if request}
    assert len(urls) == 3


def test_the_one_machine_crawl_and_the_command_line_load_no_redis() -> None:
    import subprocess
    import sys

    code = ("import sys, partnerwatch.cli, crawler.archive_pipeline, crawler.pipelines, crawler.conditional, "
            "spiders.news, spiders.municipal; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'scrapy_redis')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_night_commands_say_in_one_line_when_redis_is_unreachable_or_holds_no_night(
        redis_url: str, tmp_path) -> None:
    from click.testing import CliRunner
    from redis_night import free_port

    from partnerwatch.cli import main

    runner = CliRunner()
    down = runner.invoke(main, ["worker", "--redis", f"redis://127.0.0.1:{free_port()}/0"])
    assert down.exit_code == 1 and "cannot reach Redis at redis://127.0.0.1:" in down.output
    empty = runner.invoke(main, ["writer", "--redis", redis_url, "--db", str(tmp_path / "archive.db")])
    assert empty.exit_code == 1 and "run `partnerwatch enqueue` first" in empty.output
    assert empty.exception is None or isinstance(empty.exception, SystemExit)
