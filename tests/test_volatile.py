"""Volatile lines: clocks and counters printed inside an article are no edit of it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from archive_items import Art
from change_site import Site, article_text, crawl_site, serving
from click.testing import CliRunner

from partnerwatch.cli import main
from storage.articles import ensure_source, record_article
from storage.db import open_db
from storage.runs import start_run
from storage.volatile import SHORT_LINE_WORDS, may_be_volatile, skeleton

# --- the skeleton ---------------------------------------------------------------------------

SAME_SKELETON = [
    ("Aktualisiert am 03.12.2026 14:02:11 – Besucher heute: 4711",
     "Aktualisiert am 04.12.2026 02:59:00 – Besucher heute: 12"),
    ("Stand: 3. Dezember 2026, 14:05 Uhr", "Stand: 11. Januar 2027, 9.30 Uhr"),
    ("Published Dec 3, 2026 at 2:02 PM", "Published January 11, 2027 at 11:15 a.m."),
    ("Updated 2026-12-03T14:02:11+01:00", "Updated 2027-01-11T09:00:00Z"),
    ("Datum: 12/03/2026", "Datum: 1/11/27"),
    ("Last updated 3 hours ago · 1,234 views", "Last updated yesterday · 1,240 views"),
    ("zuletzt geändert vor 5 Minuten", "zuletzt geändert vor einer Stunde"),
    ("Mise à jour il y a 3 heures", "Mise à jour aujourd'hui à 14h02"),
    ("Donnerstag, 03.12.", "Freitag, 04.12."),
    ("Zustimmung: 12,5 %", "Zustimmung: 13 %"),
    ("Kommentare (12)", "Kommentare (1.024)"),
    ("Sitzung a3f9c2e1d0b4 · Token 9f86d081884c7d65", "Sitzung 00c1ffee77aa · Token 1b4f0e9851971998"),
    ("ID 123e4567-e89b-12d3-a456-426614174000", "ID 9b2e1a3c-0d4f-4e6a-8b7c-1d2e3f4a5b6c"),
]
DIFFERENT_SKELETON = [
    ("Die Stadt spendet 5.000 Euro", "Die Stadt spendet 50.000 Euro"),  # money is never volatile
    ("Zuschuss: € 1,2 Mio.", "Zuschuss: € 2,1 Mio."),
    ("Stand: 14:05 Uhr", "Stand: 14:05 Uhr (korrigiert)"),  # a word more
    ("Besucher heute: 4711", "Besucherinnen heute: 4711"),
]


@pytest.mark.parametrize(("before", "after"), SAME_SKELETON)
def test_lines_differing_only_in_dates_times_counters_and_ids_share_a_skeleton(before, after):
    assert skeleton(before) == skeleton(after)
    assert skeleton(before) != before


@pytest.mark.parametrize(("before", "after"), DIFFERENT_SKELETON)
def test_words_and_money_amounts_stay_in_the_skeleton(before, after):
    assert skeleton(before) != skeleton(after)


PROSE = ("Die Stadt stellt für das Projekt in den kommenden drei Jahren insgesamt {} bereit, "
         "und {} Freiwillige aus beiden Städten haben sich bereits für den Austausch gemeldet.")


def test_only_short_lines_or_lines_made_largely_of_values_may_be_volatile():
    assert may_be_volatile("Aktualisiert am 03.12.2026 14:02:11 – Besucher heute: 4711")
    assert may_be_volatile("Dieser Artikel wurde am 03.12.2026 um 14:02 Uhr aktualisiert und 4711 Mal gelesen.")
    long_prose = PROSE.format("5.000", 120)
    assert len(long_prose.split()) > SHORT_LINE_WORDS and not may_be_volatile(long_prose)
    timetable = " · ".join(f"Linie {n}: {n + 5}:1{n} Uhr, {n + 6}:4{n} Uhr, {n + 7}:0{n} Uhr" for n in range(1, 5))
    assert len(timetable.split()) > SHORT_LINE_WORDS and may_be_volatile(timetable)
    assert not may_be_volatile("Besucher insgesamt")  # no value at all


# --- the archive ----------------------------------------------------------------------------

BODY = article_text(3, paragraphs=3)


def with_line(line: str, body: str = BODY, at: int = 2) -> str:
    """`body` with `line` as its paragraph number `at`."""
    lines = body.split("\n")
    return "\n".join([*lines[:at], line, *lines[at:]])


@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "skew")
    yield db
    db.close()


def night(db, text: str, **fields: object) -> str:
    """Record the article with `text` in a run of its own; the fetch's outcome."""
    run = start_run(db, "skew", "2026-01-01T00:00:00+00:00")
    return record_article(db, replace(Art(), text=text, **fields), source="skew", run_id=run,
                          fetched_at=f"night-{run}").outcome


def kinds(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT change_kind FROM versions ORDER BY id")]


def test_a_ticking_line_in_the_middle_makes_no_version_and_is_remembered(db):
    lines = [f"Stand: {h}:0{h % 10} Uhr, {1000 + 37 * h} Aufrufe" for h in range(10, 15)]
    assert [night(db, with_line(line)) for line in lines] == ["new"] + ["unchanged"] * 4
    assert kinds(db) == ["new"]
    details = db.execute("SELECT detail FROM fetches WHERE outcome = 'unchanged'").fetchall()
    assert details == [("volatile only",)] * 4
    assert db.execute("SELECT skeleton, seen FROM volatile_lines").fetchall() == [("Stand: # Aufrufe", 4)]


def test_a_real_edit_beside_a_ticking_line_is_changed_and_counts_only_its_own_words(db):
    for minute in range(3):
        night(db, with_line(f"Last updated {minute + 2} hours ago · {1200 + minute},{minute}00 views"))
    edited = BODY.replace("gemeinsam mit Fachleuten", "gemeinsam mit Schulen und Fachleuten", 1)
    assert night(db, with_line("Last updated 9 hours ago · 1,999 views", edited)) == "changed"
    delta = db.execute("SELECT change_kind, words_added, words_removed FROM versions WHERE version = 2").fetchone()
    assert delta == ("changed", 2, 0)  # "Schulen und": the counter line is left out
    assert "1,999 views" in db.execute("SELECT text FROM versions WHERE version = 2").fetchone()[0]


def test_a_remembered_volatile_line_may_vanish_and_come_back(db):
    for day in range(1, 4):
        night(db, with_line(f"+++ 0{day}.12.2026 – Besucher heute: {day * 311} +++"))
    assert night(db, BODY) == "unchanged"  # the counter widget failed to render
    assert night(db, with_line("+++ 07.12.2026 – Besucher heute: 5 +++", at=1)) == "unchanged"
    assert kinds(db) == ["new"]


def test_a_figure_edited_in_prose_is_changed(db):
    night(db, with_line(PROSE.format("5.000 Euro", 120)))
    assert night(db, with_line(PROSE.format("50.000 Euro", 120))) == "changed"
    assert night(db, with_line(PROSE.format("50.000 Euro", 180))) == "changed"  # no money, but a long line
    assert kinds(db) == ["new", "changed", "changed"]
    assert db.execute("SELECT words_added, words_removed FROM versions WHERE version = 3").fetchone() == (1, 1)


def test_a_remembered_line_is_left_out_for_every_article_of_the_source(db):
    for day in range(1, 4):
        night(db, with_line(f"Seitenaufrufe seit {day}.12.2026: {day * 97}"))
    other = Art(url="https://example.org/b", title="Zweite Meldung")
    record_article(db, replace(other, text=with_line("Seitenaufrufe seit 1.12.2026: 3", article_text(4))),
                   source="skew", run_id=None, fetched_at="t")
    # the line vanished from the other article: no change, since the source knows the line ticks
    recorded = record_article(db, replace(other, text=article_text(4)), source="skew", run_id=None, fetched_at="t")
    assert recorded.outcome == "unchanged"
    # an unknown line that vanishes is a change
    third = Art(url="https://example.org/c", title="Dritte Meldung")
    record_article(db, replace(third, text=with_line("Teilnehmer: 40", article_text(5))), source="skew",
                   run_id=None, fetched_at="t")
    assert record_article(db, replace(third, text=article_text(5)), source="skew", run_id=None,
                          fetched_at="t").outcome == "changed"


def test_new_title_with_only_a_ticking_line_is_metadata_never_changed(db):
    night(db, with_line("Aktualisiert: 03.12.2026 14:02:11"))
    assert night(db, with_line("Aktualisiert: 04.12.2026 01:00:07"), title="Neuer Titel") == "metadata"
    assert kinds(db) == ["new", "metadata"]
    assert db.execute("SELECT words_added, words_removed FROM versions WHERE version = 2").fetchone() == (0, 0)


# --- crawls of a local site whose article prints a clock and a counter ---------------------

# the served pages' clock runs well ahead of the crawl's: their footer dates are never a publication
# date (one a day ahead is, within the extractor's day of slack), so the text alone is under test.
# It was a fixed 2026-12-03: on that day and the next, whichever page got the first request had a
# date inside the slack, and the test depended on the order of two concurrent requests.
CLOCK = datetime.now() + timedelta(days=30)
REQUESTS = itertools.count(1)  # every request to any article renders new values


def ticking_page(number: int, line: Callable[[int], str], at: int, edition: int = 1) -> Callable[[], bytes]:
    """Article `number` rendered anew on every request, with `line(request)` as paragraph `at`."""

    def render() -> bytes:
        text = with_line(line(next(REQUESTS)), article_text(number, edition), at=at)
        paragraphs = "".join(f"<p>{p}</p>" for p in text.splitlines())
        return (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Meldung {number}</title>"
                f"</head><body><nav><a href='/news/'>Aktuelles</a></nav><main><article><h1>Meldung {number}</h1>"
                f"{paragraphs}</article></main><footer>Impressum</footer></body></html>").encode()

    return render


def german_footer(request: int) -> str:
    now = CLOCK + timedelta(hours=23 * request, seconds=request * 7)
    return f"Aktualisiert am {now:%d.%m.%Y %H:%M:%S} – Besucher heute: {4711 + 13 * request}"


def english_counter(request: int) -> str:
    return f"Last updated {request + 1} hours ago · {1234 + 111 * request:,} views"


class RenderedPages(dict):
    """Site.pages whose values may be callables, rendered on each request."""

    def get(self, path: str, default: object = None) -> bytes | None:
        value = super().get(path, default)
        return value() if callable(value) else value


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site(pages=RenderedPages())
    served.listed = [0, 1]
    with serving(served):
        yield served


def version_rows(db_path: Path) -> list[tuple]:
    db = open_db(db_path)
    try:
        return db.execute("SELECT substr(a.url, -6), v.version, v.change_kind, v.words_added, v.words_removed "
                          "FROM versions v JOIN articles a ON a.id = v.article_id "
                          "ORDER BY a.url, v.version").fetchall()
    finally:
        db.close()


def test_five_nights_of_a_ticking_footer_line_leave_one_version(site, tmp_path):
    db_path = tmp_path / "archive.db"
    site.pages["/news/0.html"] = ticking_page(0, german_footer, at=5)
    site.pages["/news/1.html"] = ticking_page(1, english_counter, at=2)
    for _ in range(5):
        crawl_site(site, tmp_path, db_path)
    assert [row[:3] for row in version_rows(db_path)] == [("0.html", 1, "new"), ("1.html", 1, "new")]
    db = open_db(db_path)
    outcomes = db.execute("SELECT outcome, detail, count(*) FROM fetches GROUP BY 1, 2").fetchall()
    remembered = db.execute("SELECT skeleton FROM volatile_lines WHERE seen >= 2 ORDER BY 1").fetchall()
    db.close()
    assert outcomes == [("new", None, 2), ("unchanged", "volatile only", 8)]
    assert remembered == [("Aktualisiert am # – Besucher #",), ("Last updated # views",)]


def test_real_edit_on_night_four_beside_a_ticking_line_is_one_changed_version(site, tmp_path):
    db_path = tmp_path / "archive.db"
    site.pages["/news/0.html"] = ticking_page(0, english_counter, at=3)
    site.pages["/news/1.html"] = ticking_page(1, german_footer, at=5)
    for edition in (1, 1, 1, 2, 2):
        if edition == 2:
            site.pages["/news/0.html"] = ticking_page(0, english_counter, at=3, edition=2)
        crawl_site(site, tmp_path, db_path)
    rows = version_rows(db_path)
    assert [row[:3] for row in rows] == [("0.html", 1, "new"), ("0.html", 2, "changed"), ("1.html", 1, "new")]
    assert rows[1][3:] == (11, 0)  # the Nachtrag's words: the remembered counter line is left out
    result = CliRunner().invoke(main, ["diff", "--db", str(db_path), f"{site.origin}/news/0.html"])
    assert result.exit_code == 0, result.output
    assert "{+Nachtrag 2: Der Stadtrat hat die Förderung für Klimapartnerschaft 0 verlängert.+}" in result.output
