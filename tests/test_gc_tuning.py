"""The crawl process sets the garbage collector's thresholds from CRAWLER_GC_THRESHOLD."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.gc_tuning import GarbageCollectorTuning


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
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": []}))
    assert gc.get_threshold() == (700, 10, 10)


def test_a_malformed_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="three numbers"):
        GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"CRAWLER_GC_THRESHOLD": [0, 1]}))
