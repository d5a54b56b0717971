"""The replica crawled three times: v1, v1 again (conditional, no version), v2 (the golden changes)."""

from __future__ import annotations

from pathlib import Path

from conftest import crawl_all

from storage.db import open_db


def fetch_outcomes(db_path: Path, runs: tuple[int, ...]) -> dict[str, str]:
    db = open_db(db_path)
    marks = ", ".join("?" * len(runs))
    found = dict(db.execute(f"SELECT url, outcome FROM fetches WHERE run_id IN ({marks})", runs).fetchall())
    db.close()
    return found


def count(db_path: Path, sql: str) -> int:
    db = open_db(db_path)
    (value,) = db.execute(sql).fetchone()
    db.close()
    return value


def test_recrawls_of_the_replica_store_exactly_the_golden_changes(own_replica, tmp_path):
    from crawler.replica import load_golden

    db_path = tmp_path / "archive.db"
    crawl_all(own_replica, db_path)
    stored = count(db_path, "SELECT count(*) FROM versions")
    assert stored > 0

    own_replica.clear_hits()
    crawl_all(own_replica, db_path)
    assert count(db_path, "SELECT count(*) FROM versions") == stored
    article_paths = {a.path for a in load_golden("v1").articles}
    article_hits = [hit for hit in own_replica.hits if hit.path in article_paths]
    conditional = [hit for hit in article_hits if {"if-none-match", "if-modified-since"} & {
        name.lower() for name in hit.request_headers}]
    assert conditional and len(conditional) >= 0.9 * len(article_hits)
    assert sum(hit.status == 304 for hit in article_hits) >= 0.9 * len(article_hits)

    own_replica.set_state("v2")
    crawl_all(own_replica, db_path)
    golden = load_golden("v2")
    v1 = {(a.site, a.path): a for a in load_golden("v1").articles}
    v2 = {(a.site, a.path): a for a in golden.articles}
    outcomes = fetch_outcomes(db_path, (7, 8, 9))
    ever_fetched = fetch_outcomes(db_path, tuple(range(1, 10)))
    expected = {"new": {"new"}, "changed": {"changed", "metadata"}, "removed": {"gone"},
                "boilerplate_only": {"unchanged"}, "unchanged": {"unchanged", "not_modified"}}
    wrong, checked = [], dict.fromkeys(expected, 0)
    for kind, pairs in golden.changes.items():
        for site, path in pairs:
            article = v2.get((site, path)) or v1[(site, path)]
            url = own_replica.urls[site] + path
            # a mirror's copy is the same article (its outcome depends on fetch order); pages the
            # spiders cannot discover yet (sitemap-only, other languages) are discovery's business
            if article.is_alias or url not in ever_fetched:
                continue
            checked[kind] += 1
            if outcomes.get(url) not in expected[kind]:
                wrong.append((kind, url, outcomes.get(url)))
    assert all(checked.values()), checked
    assert wrong == [], "\n".join(map(str, wrong))
    boilerplate_urls = [own_replica.urls[s] + p for s, p in golden.changes["boilerplate_only"]]
    assert boilerplate_urls
    marks = ", ".join(f"'{url}'" for url in boilerplate_urls)
    assert count(db_path, f"SELECT count(*) FROM versions v JOIN articles a ON a.id = v.article_id "
                          f"WHERE v.run_id > 6 AND a.url IN ({marks})") == 0
