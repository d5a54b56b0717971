"""The crawl process's collector: thresholds from CRAWLER_GC_THRESHOLD, a full pass per memory step."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.gc_tuning import GarbageCollectorTuning, resident_bytes


@pytest.fixture(autouse=True)
def keep_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_crawler_sets_the_configured_thresholds():
    gc.set_threshold(700, 10, 10)
    GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": [12_345, 7, 8]}))
    assert gc.get_threshold() == (12_345, 7, 8)


def test_an_empty_setting_keeps_pythons_thresholds():
    gc.set_threshold(700, 10, 10)
    GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": [],
                                                                   "CRAWLER_GC_MEMORY_STEP": 64}))
    assert gc.get_threshold() == (700, 10, 10)


def test_no_thresholds_and_no_memory_step_leave_the_collector_alone():
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": [],
                                                                       "CRAWLER_GC_MEMORY_STEP": 0}))


class Cycle:
    """A few objects in a reference cycle holding a megabyte: what a parsed response is to the collector."""

    def __init__(self) -> None:
        self.itself = self
        self.body = b"x" * 1024 * 1024


def test_garbage_in_cycles_is_collected_once_memory_grew_by_the_step():
    crawler = get_crawler(settings_dict={"CRAWLER_GC_MEMORY_STEP": 16})
    tuning = GarbageCollectorTuning.from_crawler(crawler)
    gc.disable()  # only the memory step may collect, as at thresholds no crawl reaches in time
    try:
        tuning.baseline = resident_bytes()
        below = [weakref.ref(Cycle()) for _ in range(4)]
        tuning.collect_if_grown()
        assert all(ref() is not None for ref in below)  # 4 MB: under the step, no pass
        above = [weakref.ref(Cycle()) for _ in range(40)]
        # 40 MB more may not all show as new resident pages: in a long-lived test process the
        # allocator can reuse pages earlier tests freed, so the growth the process would see is set
        tuning.baseline = resident_bytes() - tuning.memory_step
        tuning.collect_if_grown()
        assert all(ref() is None for ref in below + above)
        assert crawler.stats.get_value("crawler/gc/memory_collections") == 1
        assert resident_bytes() - tuning.baseline < 16 * 1024 * 1024
    finally:
        gc.enable()


def test_a_malformed_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="three numbers"):
        GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": [0, 1]}))
