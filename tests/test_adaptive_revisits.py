"""Adaptive revisits (issue 14): old, unchanged articles are asked less often than nightly, never
less than every `max_interval_days`, spread over the nights; recent ones and those a sitemap says
changed are asked every night; `revisit = "nightly"` still asks every article.

The policy is checked on a clock moved night by night; the crawl on a real server on 127.0.0.1
that records every request, with tonight injected by CRAWLER_REVISIT_TODAY.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hostile_server import HostileServer, Reply, crawl_sources, write_sources

from crawler.revisit_policy import RevisitPolicy, interval_nights, is_due
from spiders.sources import SourceError, parse_source
from storage.db import open_db
from storage.revisits import RevisitState, revisit_states

ADAPTIVE = RevisitPolicy(adaptive=True, recent_days=60, max_interval_days=7)
START = date(2026, 1, 1)


def simulate(policy: RevisitPolicy, changed: dict[str, date], nights: int,
             edits: dict[str, list[date]] | None = None) -> dict[str, list[date]]:
    """Night by night from START: which articles are checked; a check finds the edits made since
    the last one, and the version it stores makes the article recent again."""
    checks: dict[str, list[date]] = {key: [] for key in changed}
    last_checked: dict[str, date | None] = dict.fromkeys(changed)
    for offset in range(nights):
        night = START + timedelta(days=offset)
        for key in changed:
            state = RevisitState("town", changed[key].isoformat(),
                                 last_checked[key].isoformat() if last_checked[key] else None, False)
            if is_due(policy, key, night, state):
                if any((last_checked[key] or START) < day <= night for day in (edits or {}).get(key, ())):
                    changed[key] = night
                checks[key].append(night)
                last_checked[key] = night
    return checks


def test_adaptive_policy_asks_recent_articles_nightly_old_ones_at_least_weekly_spread_over_the_nights():
    rng = random.Random(7)
    # 600 articles last changed 0 to 400 days before the first night, all checked the night before
    changed = {f"https://stadt.example/news/{n}.html": START - timedelta(days=rng.randrange(0, 400)) for n in range(600)}
    checks = simulate(ADAPTIVE, dict(changed), nights=60)
    for key, nights in checks.items():
        recent_until = changed[key] + timedelta(days=ADAPTIVE.recent_days)
        assert all(START + timedelta(days=d) in nights for d in range(60) if START + timedelta(days=d) < recent_until)
        gaps = [(b - a).days for a, b in zip(nights, nights[1:])]
        assert max(gaps) <= ADAPTIVE.max_interval_days, (key, gaps)
        assert nights[0] <= START + timedelta(days=ADAPTIVE.max_interval_days - 1)
    # long unchanged articles are spread evenly: no night takes them all
    old = [k for k in changed if (START - changed[k]).days > ADAPTIVE.recent_days + 14]
    per_night = Counter(night for key in old for night in checks[key][1:])
    assert len(old) > 300
    assert max(per_night.values()) < 1.5 * len(old) / ADAPTIVE.max_interval_days
    assert min(per_night.values()) > 0.5 * len(old) / ADAPTIVE.max_interval_days
    assert sum(len(checks[k]) for k in old) < 0.2 * len(old) * 60  # far fewer requests than nightly


def test_the_interval_doubles_while_unchanged_up_to_the_maximum_and_a_change_makes_an_article_recent_again():
    assert [interval_nights(ADAPTIVE, START + timedelta(days=60 + d), START) for d in (0, 1, 3, 7, 100)] == [1, 2, 4, 7, 7]
    policy = RevisitPolicy(adaptive=True, recent_days=10, max_interval_days=16)
    key = "https://stadt.example/news/a.html"
    edited = START + timedelta(days=90)
    nights = simulate(policy, {key: START}, nights=200, edits={key: [edited]})[key]
    before = [n for n in nights if n < edited]
    gaps = [(b - a).days for a, b in zip(before, before[1:])]
    assert gaps[:9] == [1] * 9  # recent: every night
    assert gaps == sorted(gaps) and set(gaps) <= {1, 2, 4, 8, 16} and gaps[-1] == 16
    found = next(n for n in nights if n >= edited)
    assert (found - edited).days <= policy.max_interval_days
    recent_again = [n for n in nights if found <= n < found + timedelta(days=policy.recent_days)]
    assert len(recent_again) == policy.recent_days  # nightly again after the change


def test_a_listed_lastmod_since_the_last_check_a_missing_article_or_a_missed_week_force_a_check():
    night = date(2026, 6, 1)
    old = RevisitState("town", "2025-01-01T00:00:00+00:00", "2026-05-31T02:00:00+00:00", False)
    key = next(f"https://stadt.example/{n}" for n in range(100) if not is_due(ADAPTIVE, f"https://stadt.example/{n}", night, old))
    assert is_due(ADAPTIVE, key, night, old, listed_modified="2026-05-31T18:00:00+02:00")
    assert not is_due(ADAPTIVE, key, night, old, listed_modified="2026-05-30")
    assert is_due(ADAPTIVE, key, night, RevisitState("town", old.last_changed_at, old.last_checked_at, True))
    assert is_due(ADAPTIVE, key, night, RevisitState("town", old.last_changed_at, "2026-05-25T02:00:00+00:00", False))
    assert is_due(RevisitPolicy(), key, night, old)  # nightly


@pytest.mark.parametrize(("field", "value"), [("revisit", "weekly"), ("recent_days", 0), ("max_interval_days", "7")])
def test_a_bad_revisit_field_in_the_sources_file_is_an_error_naming_it(field, value):
    entry = {"spider": "municipal", "start_urls": ["https://stadt.example/news/"],
             "article_patterns": ["^/news/."], "listing_patterns": ["^/news/$"], field: value}
    with pytest.raises(SourceError, match=field):
        parse_source("town", entry, None)


# --- the crawl --------------------------------------------------------------------------------

WORDS = ("Partnerschaft Wasser Schule Klima Solar Rathaus Verein Jugend Austausch Projekt Brunnen Energie "
         "Bildung Gesundheit Markt Abfall Radweg Garten Bibliothek Feuerwehr Musik Sport Hafen Wald Museum "
         "Kinder Frauen Handwerk Landwirtschaft Verwaltung Digitalisierung Mobilität Kultur Theater").split()


def article_page(n: int) -> bytes:
    rng = random.Random(n)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)) + f" {n * 37 + i}." for i in range(14)]
    body = (f"<html lang='de'><head><title>Meldung {n}</title></head><body><article><h1>Meldung {n}</h1>"
            f"<p>Musterstadt, 3. März 2025. {' '.join(sentences[:7])}</p><p>{' '.join(sentences[7:])}</p>"
            "</article></body></html>")
    return body.encode()


def serve_town(site: HostileServer, count: int, lastmod: dict[int, str] | None = None) -> list[str]:
    paths = [f"/news/{n}.html" for n in range(count)]
    for n, path in enumerate(paths):
        site.routes[path] = Reply(200, article_page(n), {"Content-Type": "text/html; charset=utf-8"})
    site.page("/news/", links=paths)
    entries = "".join(f"<url><loc>{site.origin}{path}</loc><lastmod>{(lastmod or {}).get(n, '2025-03-03')}</lastmod></url>"
                      for n, path in enumerate(paths))
    site.xml("/sitemap.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')
    return paths


def town_sources(tmp_path, site: HostileServer, revisit: str):
    return write_sources(tmp_path, {"town": {
        "spider": "municipal", "start_urls": [f"{site.origin}/news/"], "sitemaps": [f"{site.origin}/sitemap.xml"],
        "listing_patterns": ["^/news/$"], "article_patterns": ["^/news/\\d+\\.html$"],
        "revisit": revisit, "recent_days": 5, "max_interval_days": 4}})


def article_hits(site: HostileServer) -> set[str]:
    return {path for path in site.paths() if path.startswith("/news/") and path.endswith(".html")}


@pytest.mark.parametrize("revisit", ["adaptive", "nightly"])
def test_a_crawl_asks_only_the_due_articles_of_an_adaptive_source_and_every_article_of_a_nightly_one(tmp_path, revisit):
    with HostileServer() as site:
        paths = serve_town(site, 24)
        sources = town_sources(tmp_path, site, revisit)
        first = crawl_sources(tmp_path, sources, [site.netloc])
        assert article_hits(site) == set(paths)
        # a month later, the articles are old: which are due that night follows the policy alone
        night = datetime.now(UTC).date() + timedelta(days=30)
        with open_db(first.db_path) as db:
            # as if the nights between had checked every article, the last one yesterday
            yesterday = f"{night - timedelta(days=1)}T02:00:00+00:00"
            db.execute("UPDATE articles SET last_seen_at = ?", [yesterday])
            db.conn.commit()
            states = revisit_states(db, ["town"])
        policy = RevisitPolicy(revisit == "adaptive", 5, 4)
        due = {path for path in paths if is_due(policy, f"{site.origin}{path}", night, states[f"{site.origin}{path}"])}
        not_due = sorted(set(paths) - due, key=paths.index)
        if revisit == "adaptive":
            assert due and not_due
            # the sitemap says one of the others changed since its last check: asked that night too
            forced = not_due.pop()
            serve_town(site, 24, lastmod={paths.index(forced): night.isoformat()})
            due.add(forced)
        site.hits.clear()
        second = crawl_sources(tmp_path, sources, [site.netloc], CRAWLER_REVISIT_TODAY=night.isoformat())
        assert article_hits(site) == due
        assert second.stat("crawler/revisit/not_due/town") == len(not_due)
        assert {"/news/", "/sitemap.xml"} <= set(site.paths())  # discovery every night
    with sqlite3.connect(second.db_path) as db:
        # held back is not unlinked: every article is still linked, none missing
        assert db.execute("SELECT count(*) FROM articles WHERE unlinked_at IS NULL AND missing_since IS NULL"
                          ).fetchone()[0] == len(paths)
