"""One test per hostile endpoint of the town: its `fetches` row and what the archive kept.

The table is `hostile_site.town_endpoints`: each endpoint names its reliability.md §3 row. A
first-night endpoint must leave exactly one row with its outcome and no version unless it is a
page worth storing; a known article misbehaving on night 2 must keep its night-1 version.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hostile_site import Endpoint, town_endpoints

_PLACEHOLDER = SimpleNamespace(port=0, origin="http://127.0.0.1:0", routes={})
ENDPOINTS = town_endpoints(_PLACEHOLDER, _PLACEHOLDER, _PLACEHOLDER, 0)  # for the ids; served ones come from `town`


def params(endpoints: list[Endpoint]) -> list:
    return [pytest.param(e.path, id=f"{e.row}-{e.behaviour}",
                         marks=[pytest.mark.xfail(strict=True, reason=e.missing)] if e.missing else [])
            for e in endpoints]


def served(town, path: str) -> tuple[Endpoint, str]:
    endpoint = next(e for e in town.endpoints if e.path == path)
    return endpoint, endpoint.row_url or f"{town.site.origin}/news/{path}"


@pytest.mark.parametrize("path", params([e for e in ENDPOINTS if e.night == 1]))
def test_first_fetch_of_a_hostile_endpoint(path, town, night1, night2):
    endpoint, url = served(town, path)
    rows = town.rows(1, url)
    assert len(rows) == 1, rows  # every scheduled URL ends in exactly one outcome
    row = rows[0]
    assert (row["outcome"], row["http_status"]) == (endpoint.outcome, endpoint.status), row
    assert endpoint.detail_matches(row["detail"]), row["detail"]
    versions = town.versions(url)
    assert len(versions) == endpoint.versions
    for version in versions:
        assert version["run_id"] == 1 and version["text"].strip()
        assert "Ã" not in version["text"] and "â€" not in version["text"]  # no mojibake (C4–C7)
    if endpoint.text:
        assert endpoint.text in versions[-1]["text"]


@pytest.mark.parametrize("path", params([e for e in ENDPOINTS if e.night == 2]))
def test_known_article_misbehaving_on_the_second_night_keeps_its_version(path, town, night1, night2):
    endpoint, url = served(town, path)
    assert [row["outcome"] for row in town.rows(1, url)] == ["new"]
    rows = town.rows(2, url)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["outcome"], row["http_status"]) == (endpoint.outcome, endpoint.status), row
    assert endpoint.detail_matches(row["detail"]), row["detail"]
    versions = town.versions(url)
    assert [(v["version"], v["run_id"]) for v in versions] == [(1, 1)]  # nothing new, nothing empty
    assert len(versions[0]["text"]) > 200
    assert town.article_row(url)["current_version"] == 1
