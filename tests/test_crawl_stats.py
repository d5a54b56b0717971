"""The crawl's stats collector counts like Scrapy's, without Scrapy's per-access shim."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.crawl_stats import CrawlStats


def test_the_crawl_uses_crawl_stats_and_they_count_keep_maxima_and_close_like_scrapys():
    crawler = get_crawler(settings_dict={"STATS_CLASS": settings.STATS_CLASS})
    assert type(crawler.stats) is CrawlStats
    ours, scrapys = crawler.stats, MemoryStatsCollector(get_crawler())
    for stats in (ours, scrapys):
        stats.inc_value("pages")
        stats.inc_value("pages", 2)
        stats.max_value("largest", 5)
        stats.max_value("largest", 3)
        stats.set_value("reason", "finished")
    assert ours.get_stats() == scrapys.get_stats() == {"pages": 3, "largest": 5, "reason": "finished"}

