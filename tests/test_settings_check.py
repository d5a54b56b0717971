"""Every CRAWLER_* setting is checked when a crawl or a command starts, and named when wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.runner import PROJECT_ROOT, crawl_command, crawl_env
from crawler.settings_check import check_settings
from hostile_server import FAST, HostileServer, crawl_sources, write_sources

PARTNERWATCH = Path(sys.executable).with_name("partnerwatch")


def checked(**values: object) -> tuple[list[str], list[str]]:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(values, priority="cmdline")
    return check_settings(settings)


def test_the_project_defaults_pass():
    assert checked() == ([], [])


@pytest.mark.parametrize(("name", "value", "why"), [
    ("CRAWLER_GC_THRESHOLD", "[1, 2]", "three whole numbers"),
    ("CRAWLER_GC_THRESHOLD", "0,10,10", "the first above 0"),
    ("CRAWLER_EXTRACT_WORKERS", "two", "invalid literal"),
    ("CRAWLER_GONE_AFTER_RUNS", "-1", "must not be negative"),
    ("CRAWLER_STORAGE_ENABLED", "perhaps", "boolean"),
    ("CRAWLER_DEDUP_JACCARD", "1.5", "between 0 and 1"),
    ("CRAWLER_SCHEDULE_TIME", "25:00", "time of day"),
    ("CRAWLER_SCHEDULE_TIMEZONE", "Europe/Bonn", "time zone"),
    ("CRAWLER_ORIGIN_MAP", "[1]", "JSON object"),
    ("CRAWLER_DISCOVERY_SINCE", "last week", "isoformat"),
])
def test_a_bad_value_is_an_error_naming_the_setting(name, value, why):
    errors, _ = checked(**{name: value})
    assert len(errors) == 1 and errors[0].startswith(f"{name} = {value!r}: ")
    assert why in errors[0]


@pytest.mark.parametrize("value", ["[]", "", [], "[10000, 20, 20]", "700,10,10"])
def test_gc_threshold_takes_the_forms_the_readme_documents(value):
    assert checked(CRAWLER_GC_THRESHOLD=value) == ([], [])


def test_an_unknown_crawler_setting_is_a_warning_with_the_nearest_name():
    errors, warnings = checked(CRAWLER_GONE_AFTER_RUN=2, CRAWLER_ZZZ=1)
    assert errors == []
    assert warnings[0] == "CRAWLER_GONE_AFTER_RUN is not a partnerwatch setting; did you mean CRAWLER_GONE_AFTER_RUNS?"
    assert warnings[1] == "CRAWLER_ZZZ is not a partnerwatch setting"


def test_a_crawl_with_an_empty_gc_threshold_runs(tmp_path):
    with HostileServer() as site:
        site.page("/news/", links=["/news/a1"])
        site.article("/news/a1")
        entry = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
                 "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/a"]}
        result = crawl_sources(tmp_path, write_sources(tmp_path, {"town": entry}), [site.netloc],
                               CRAWLER_GC_THRESHOLD="[]")
    assert [row["outcome"] for row in result.fetches()] == ["new"]


def test_a_crawl_with_a_bad_setting_stops_before_fetching_and_names_it(tmp_path):
    with HostileServer() as site:
        site.page("/news/", links=[])
        entry = {"start_urls": [f"{site.origin}/news/"], "allowed_hosts": [site.netloc],
                 "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/a"]}
        command = crawl_command("municipal", {"sources": str(write_sources(tmp_path, {"town": entry}))},
                                CRAWLER_STORAGE_PATH=tmp_path / "archive.db",
                                CRAWLER_NETGUARD_ALLOWED_PRIVATE=[site.netloc],
                                **{**FAST, "CRAWLER_EXTRACT_TIMEOUT": "soon"})
        result = subprocess.run(command, env=crawl_env(), cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=120)
        assert site.paths() == []
    assert result.returncode != 0
    assert "CRAWLER_EXTRACT_TIMEOUT = 'soon'" in result.stderr


def test_partnerwatch_crawl_refuses_a_bad_setting_with_exit_2_and_creates_no_archive(tmp_path):
    db = tmp_path / "archive.db"
    result = subprocess.run([str(PARTNERWATCH), "crawl", "--db", str(db), "-s", "CRAWLER_DEDUP_JACCARD=2"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert "CRAWLER_DEDUP_JACCARD = '2': must be between 0 and 1" in result.stderr
    assert "Traceback" not in result.stderr and not db.exists()
