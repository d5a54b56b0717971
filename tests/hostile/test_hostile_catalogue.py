"""The index of reliability.md §3: every row names the tests that hold the crawler to it.

A row points at endpoints of the hostile town (`endpoint:PATH`) or at test functions
(`FILE::NAME`, relative to tests/). The test fails when a row has no test or a name rots.
"""

from __future__ import annotations

import re
from pathlib import Path

from hostile_site import endpoint_table

TESTS = Path(__file__).parent.parent
HOSTS = "hostile/test_hostile_town.py"
ENDPOINTS = endpoint_table()
ROWS = [f"H{n}" for n in range(1, 22)] + [f"C{n}" for n in range(1, 19)] + [f"T{n}" for n in range(1, 9)]
# the S rows about a crawl against a server (the rest are storage and scheduler rows)
CRAWL_S_ROWS = ["S2", "S3", "S14"]

ELSEWHERE = {
    "H1": [f"{HOSTS}::test_h1_a_500_is_retried_once_then_given_up"],
    "H2": [f"{HOSTS}::test_h2_503_with_retry_after_waits_that_long_then_stores_the_page",
           "test_politeness.py::test_retry_after_reads_seconds_and_http_dates",
           "test_politeness.py::test_retry_after_beyond_the_cap_defers_the_host_to_the_next_night"],
    "H3": [f"{HOSTS}::test_h3_429_with_retry_after_slows_the_host_to_one_request_at_a_time",
           "test_politeness.py::test_429_with_retry_after_delays_the_next_request_to_that_host"],
    "H4": ["test_changes.py::"],
    "H5": [f"{HOSTS}::test_h5_h6_hanging_pages_cost_at_most_two_timeouts_each"],
    "H8": ["test_truncated.py::test_cut_gzip_page_adds_no_version_and_the_whole_page_next_run_does",
           "test_quarantine.py::test_crawl_quarantines_a_page_with_a_third_of_its_text_and_stores_it_when_it_stays"],
    "H13": ["test_politeness.py::test_redirect_loops_and_overlong_chains_are_errors_under_the_linked_url"],
    "H14": [f"{HOSTS}::test_h14_h15_no_forbidden_service_is_ever_reached",
            "test_netguard.py::test_non_public_addresses_are_not_public",
            "test_dns_guard.py::test_a_rebinding_answer_between_requests_reaches_only_the_allowed_address"],
    "H16": [f"{HOSTS}::test_h16_a_non_http_redirect_is_never_followed"],
    "H20": [f"{HOSTS}::test_h20_an_invalid_certificate_is_recorded_on_the_fetch"],
    "H21": [f"{HOSTS}::test_h21_a_site_down_or_relaunched_fails_its_source_and_tombstones_nothing",
            f"{HOSTS}::test_h21_a_site_where_most_article_fetches_fail_fails_its_source_and_a_minority_does_not"],
    "C1": ["test_not_html.py::test_binary_bodies_are_not_html_store_nothing_and_a_known_article_keeps_its_version"],
    "C3": [f"{HOSTS}::test_c3_a_page_served_as_octet_stream_is_read_but_logged_and_counted"],
    "C13": [f"{HOSTS}::test_c13_a_page_slower_to_extract_than_the_timeout_is_an_extract_timeout"],
    "C15": ["test_volatile.py::"],
    "C17": [f"{HOSTS}::test_c17_one_article_linked_with_trackers_and_session_ids_is_fetched_once",
            "test_discovery.py::test_one_article_linked_many_ways_is_fetched_once"],
    "C18": [f"{HOSTS}::test_c18_language_is_confident_or_unknown_and_the_same_both_nights"],
    "T1": [f"{HOSTS}::test_t1_an_endless_calendar_stops_where_it_brings_nothing_new",
           "test_discovery.py::test_calendar_trap_stops_at_the_page_budget_with_a_counted_reason"],
    "T2": [f"{HOSTS}::test_t2_endless_pagination_stops_two_pages_after_the_last_new_article",
           "test_discovery.py::test_endless_pagination_stops_after_two_pages_without_a_new_article"],
    "T3": [f"{HOSTS}::test_t3_session_ids_in_every_link_are_cleaned_away"],
    "T4": [f"{HOSTS}::test_t4_an_ever_growing_path_is_not_followed_past_two_repeats"],
    "T5": [f"{HOSTS}::test_t5_a_sitemap_loop_is_read_once_and_an_index_is_capped"],
    "T6": [f"{HOSTS}::test_t6_t7_a_billion_laughs_or_gzip_bomb_sitemap_is_an_error_of_the_source",
           "test_discovery.py::test_sitemap_with_external_entity_is_an_error_not_an_empty_night"],
    "T7": [f"{HOSTS}::test_t6_t7_a_billion_laughs_or_gzip_bomb_sitemap_is_an_error_of_the_source",
           "test_discovery.py::test_gzip_sitemap_bomb_stops_at_the_size_limit"],
    "T8": [f"{HOSTS}::test_t8_a_page_of_a_thousand_links_is_cut_to_the_link_cap"],
    "S2": [f"{HOSTS}::test_s2_s14_a_second_night_adds_no_version_and_no_callback_ever_raised", "test_kill9.py::"],
    "S3": ["test_runs.py::test_sigterm_stops_the_crawl_and_records_the_run_as_aborted"],
    "S14": [f"{HOSTS}::test_s2_s14_a_second_night_adds_no_version_and_no_callback_ever_raised",
            "test_runs.py::test_spider_exception_fails_run_with_nonzero_exit_and_other_sources_still_crawled"],
}


def index() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {row: [] for row in ROWS + CRAWL_S_ROWS}
    for endpoint in ENDPOINTS:
        rows[endpoint.row].append(f"endpoint:{endpoint.path}")
    for row, tests in ELSEWHERE.items():
        rows[row] += tests
    return rows


def test_every_catalogue_row_has_a_test():
    assert [row for row, tests in index().items() if not tests] == []


def test_every_test_the_index_names_exists():
    for row, tests in index().items():
        for test in tests:
            if test.startswith("endpoint:"):
                continue
            file, _, name = test.partition("::")
            source = (TESTS / file).read_text(encoding="utf-8")
            assert not name or re.search(rf"^def {name}\(", source, re.MULTILINE), (row, test)


def test_the_hostile_town_has_at_least_45_endpoints_and_covers_every_section():
    assert len(ENDPOINTS) >= 45
    assert {endpoint.row[0] for endpoint in ENDPOINTS} >= {"H", "C", "S"}
