"""ExtractPipeline: extraction runs on both cores, beside Scrapy's event loop, never inside it."""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Iterator

import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.items import ArticleItem, PageItem
from crawler.pipelines import ExtractPipeline
from crawler.replica.content import articles

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def german_pages(count: int, repeat: int = 20) -> list[PageItem]:
    """Article pages built from the replica's German texts, long enough to keep a worker busy."""
    texts = [a for a in articles("v1") if a.lang == "de"]
    pages = []
    for i in range(count):
        article = texts[i % len(texts)]
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs * repeat)
        body = (f"<html lang='de'><head><title>{html.escape(article.title)}</title></head><body>"
                f"<nav><a href='/'>Start</a></nav><article><h1>{html.escape(article.title)}</h1>{paragraphs}"
                f"</article></body></html>").encode()
        pages.append(PageItem(url=f"http://127.0.0.1/{i}.html", source="test", fetched_at="2026-01-01T00:00:00",
                              http_status=200, body=body, content_type="text/html; charset=utf-8"))
    return pages


@pytest.fixture
def pipeline(request: pytest.FixtureRequest) -> Iterator[ExtractPipeline]:
    ours = {name: getattr(settings, name) for name in dir(settings) if name.startswith("CRAWLER_EXTRACT_")}
    param = request.param if isinstance(request.param, dict) else {"workers": request.param}
    ours.update({f"CRAWLER_EXTRACT_{name.upper()}": value for name, value in param.items()})
    crawler = get_crawler(settings_dict=ours)
    extract = build_from_crawler(ExtractPipeline, crawler)
    extract.open_spider()
    yield extract
    extract.close_spider()


async def extract_while_ticking(pipeline: ExtractPipeline, pages: list[PageItem]) -> tuple[list, int]:
    """Extract `pages` concurrently; count how often another coroutine ran meanwhile."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0  # count only what ran while extractions were under way
    results = await asyncio.gather(*(pipeline.process_item(page) for page in pages))
    done.set()
    await ticking
    return results, ticks


@pytest.mark.parametrize("pipeline", [2], indirect=True)
def test_event_loop_keeps_running_while_workers_extract(pipeline):
    results, ticks = asyncio.run(extract_while_ticking(pipeline, german_pages(6)))
    assert all(isinstance(r, ArticleItem) and r.article.language == "de" for r in results)
    assert ticks >= 6  # the loop went round at least once per page while the workers extracted


@pytest.mark.parametrize("pipeline", [0], indirect=True)
def test_extracting_in_the_crawl_process_stalls_the_event_loop(pipeline):
    """The control: without workers the same pages block the loop, so the test above can fail."""
    results, ticks = asyncio.run(extract_while_ticking(pipeline, german_pages(6)))
    assert all(isinstance(r, ArticleItem) for r in results)
    assert ticks < 6  # it only went round between batches of pages


@pytest.mark.parametrize("pipeline", [2], indirect=True)
def test_both_workers_extract(pipeline):
    async def extract_twice() -> tuple[dict[int, float], list]:
        await extract_while_ticking(pipeline, german_pages(4))  # forks the workers
        before = {p.pid: cpu_seconds(p.pid) for p in pipeline.pool._processes.values()}
        results, _ = await extract_while_ticking(pipeline, german_pages(24))
        return before, results

    before, results = asyncio.run(extract_twice())
    assert len(before) == 2 and os.getpid() not in before
    assert all(isinstance(r, ArticleItem) for r in results)
    assert all(cpu_seconds(pid) > cpu for pid, cpu in before.items())


@pytest.mark.parametrize("pipeline", [{"workers": 2, "timeout": 2}], indirect=True)
def test_a_timeout_costs_the_other_pages_in_the_killed_pool_nothing(pipeline):
    """A stuck page kills its pool; pages that were in it are extracted again, not lost."""
    stuck, then = slow_page("first"), [slow_page("second"), *german_pages(8, repeat=1)]

    async def crawl() -> list:
        first = asyncio.ensure_future(pipeline.process_item(stuck))
        await asyncio.sleep(1)  # the second stuck page is still running when the first one's pool dies
        rest = asyncio.gather(*(pipeline.process_item(page) for page in then))
        return [await first, *await rest]

    first, second, *others = asyncio.run(crawl())
    assert (first.outcome, first.detail) == (second.outcome, second.detail) == ("error", "extract_timeout")
    assert all(isinstance(r, ArticleItem) for r in others)
    assert pipeline.stats.get_value("crawler/extract/retried", 0) >= 1


def slow_page(name: str) -> PageItem:
    """A page of 55,000 paragraphs: trafilatura needs seconds for it, far over a 2 s timeout."""
    paragraphs = "".join(f"<p>Absatz {i} der Meldung über die Partnerschaft.</p>" for i in range(55_000))
    body = f"<html lang='de'><body><article>{paragraphs}</article></body></html>".encode()
    return PageItem(url=f"http://127.0.0.1/{name}.html", source="test", fetched_at="2026-01-01T00:00:00",
                    http_status=200, body=body, content_type="text/html; charset=utf-8")


@pytest.mark.parametrize("pipeline", [2], indirect=True)
def test_pages_that_need_no_extraction_start_no_workers(pipeline):
    """A re-crawl of 304s forks no workers; the first page to extract starts them."""
    not_modified = [PageItem(url=f"http://127.0.0.1/{i}.html", source="test", fetched_at="2026-01-01T00:00:00",
                             http_status=304, body=b"", outcome="not_modified") for i in range(3)]
    results, _ = asyncio.run(extract_while_ticking(pipeline, not_modified))
    assert [r.outcome for r in results] == ["not_modified"] * 3
    assert pipeline.pool is None
    asyncio.run(extract_while_ticking(pipeline, german_pages(1)))
    assert pipeline.pool is not None and len(pipeline.pool._processes) >= 1


@pytest.mark.parametrize("pipeline", [2], indirect=True)
def test_workers_inherit_the_loaded_language_profiles(pipeline):
    asyncio.run(extract_while_ticking(pipeline, german_pages(1)))  # starts the pool
    future = pipeline.pool.submit(language_profiles_loaded)
    assert future.result(timeout=60) is True


def language_profiles_loaded() -> bool:
    """Runs in a worker: were langdetect's profiles loaded before this process forked?"""
    from crawler.language_profiles import sparse_factory

    return sparse_factory.cache_info().currsize == 1


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
