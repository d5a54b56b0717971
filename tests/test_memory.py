"""crawler.memory: the crawl process hands glibc's free heap back to the system while it runs."""

from __future__ import annotations

import re

import pytest
from conftest import run_crawl
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.memory import MemoryTrim, heap_trimmer

PAGE_KB = 4


def resident_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_KB


@pytest.mark.parametrize("block_bytes", [1_000, 3_000])
def test_trimming_returns_freed_heap_in_the_middle_of_the_heap(block_bytes: int) -> None:
    trim = heap_trimmer()
    assert trim is not None  # the crawler runs on glibc
    blocks = [bytes(block_bytes) for _ in range(40_000_000 // block_bytes)]  # above obmalloc's 512 bytes
    kept = blocks[::50]  # one block in 50 stays: glibc cannot shrink its heap from the top
    del blocks
    before = resident_kb()
    assert trim()
    released = before - resident_kb()
    assert released > 0.7 * 40_000 and kept


def test_a_zero_interval_turns_trimming_off() -> None:
    with pytest.raises(NotConfigured):
        MemoryTrim.from_crawler(get_crawler(settings_dict={"CRAWLER_MEMORY_TRIM_INTERVAL": 0}))


def test_a_crawl_trims_its_heap_every_interval(replica, tmp_path) -> None:
    result = run_crawl("skew", tmp_path / "archive.db", replica, {"base_url": replica.urls["skew"]},
                       CRAWLER_MEMORY_TRIM_INTERVAL=0.1)
    trims = re.search(r"'crawler/memory/trim': (\d+)", result.stderr)
    assert trims and int(trims[1]) >= 2
