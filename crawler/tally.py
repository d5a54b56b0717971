"""What one spider process saw of each source, for the run's per-source verdict.

Scrapy counts exceptions per process and closes with "finished" even when every callback
raised (reliability.md finding 8), so the tally attributes requests, good responses and
exceptions to the source whose request it was (`cb_kwargs["source"]`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure


class SourceTally:
    """Per-source counters fed by Scrapy signals; owned by StoragePipeline."""

    def __init__(self, sources: list[str]) -> None:
        self.sources = sources
        self.requests: Counter[str] = Counter()
        self.responses_ok: Counter[str] = Counter()
        self.exceptions: dict[str, Counter[str]] = {name: Counter() for name in sources}

    @classmethod
    def connect(cls, crawler: Crawler, sources: list[str]) -> SourceTally:
        tally = cls(sources)
        crawler.signals.connect(tally.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(tally.response_received, signal=signals.response_received)
        crawler.signals.connect(tally.spider_error, signal=signals.spider_error)
        crawler.signals.connect(tally.item_error, signal=signals.item_error)
        return tally

    def request_scheduled(self, request: Request) -> None:
        if source := _source_of(request):
            self.requests[source] += 1

    def response_received(self, response: Response, request: Request) -> None:
        # an error status is a response but not a success; 404 and 410 are (a vanished article)
        if (source := _source_of(request)) and (response.status < 400 or response.status in (404, 410)):
            self.responses_ok[source] += 1

    def spider_error(self, failure: Failure, response: Response | Failure) -> None:
        assert failure.type is not None  # a Failure always wraps an exception
        request = getattr(response, "request", None)
        self._count(_source_of(request) if request is not None else None, f"callback/{failure.type.__name__}")

    def item_error(self, item: Any, failure: Failure) -> None:
        assert failure.type is not None  # a Failure always wraps an exception
        self._count(getattr(item, "source", None), f"pipeline/{failure.type.__name__}")

    def _count(self, source: str | None, key: str) -> None:
        # an exception we cannot place counts against every source of this process
        for name in [source] if source in self.exceptions else self.sources:
            self.exceptions[name][key] += 1


def _source_of(request: Request) -> str | None:
    source = request.cb_kwargs.get("source")
    return getattr(source, "name", None)
