"""Site-level pages (maintenance, login walls, soft 404s) are logged as such and never become versions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from archive_items import Art
from change_site import article_text, crawl_site, query_archive as query
from click.testing import CliRunner

from partnerwatch.cli import main
from crawler.site_pages import site_key, site_page_kind, site_page_kind_of_html
from storage.articles import ensure_source, record_article
from storage.db import open_db
from storage.fts import head_version_ids, indexed_version_ids, search
from storage.lifecycle import REACHED
from storage.near_duplicates import DedupThresholds
from storage.site_pages import retract_fetch
from storage.runs import start_run

# --- what a page says it is ------------------------------------------------------------------

SITE_PAGES = [
    ("Wartungsarbeiten", "Aufgrund von Wartungsarbeiten ist diese Website vorübergehend nicht erreichbar.", "maintenance"),
    ("Hinweis", "Unser Internetauftritt ist zurzeit wegen Wartung nicht verfügbar. Wir sind bald wieder da.",
     "maintenance"),
    ("Scheduled maintenance", "Our site is down for maintenance. We'll be back soon.", "maintenance"),
    ("Seite nicht gefunden", "Die angeforderte Seite existiert nicht. Nutzen Sie die Suche.", "soft_404"),
    ("Hoppla!", "Die von Ihnen aufgerufene Seite konnte leider nicht gefunden werden.", "soft_404"),
    ("Fehler 404", "Da ist etwas schiefgegangen.", "soft_404"),
    (None, "Oops! This page could not be found. It may have been moved or deleted.", "soft_404"),
    ("Anmeldung", "Bitte melden Sie sich an, um diesen Beitrag zu lesen.", "login"),
    ("Members only", "You must be logged in to view this page.", "login"),
    # stock wordings of CMSs and servers (WordPress, TYPO3, Joomla, Apache), collected after the rules were written
    ("Nothing Found", "Oops! That page can’t be found. It looks like nothing was found at this location.", "soft_404"),
    ("Page Not Found", "Reason: The page did not exist or was inaccessible.", "soft_404"),
    ("Fehler", "Die Seite kann nicht gefunden werden. Möglicherweise ist sie nicht mehr verfügbar.", "soft_404"),
    ("Error 404", "The requested URL /news/foo was not found on this server.", "soft_404"),
    ("Musterstadt", "Briefly unavailable for scheduled maintenance. Check back in a minute.", "maintenance"),
    ("Wartung", "Die Website ist wegen Wartungsarbeiten offline. Bitte schauen Sie später wieder vorbei!",
     "maintenance"),
    ("Service unavailable", "The server is temporarily unable to service your request due to maintenance "
     "downtime.", "maintenance"),
    ("Kein Zugriff", "Sie haben keine Berechtigung, diese Seite anzuzeigen.", "login"),
]
ARTICLES = [
    ("Wartungsarbeiten an der Stadtbahn", "Wegen Wartungsarbeiten an der Stadtbahn ist die Haltestelle Rathaus "
     "vom 3. bis 7. Mai vorübergehend nicht erreichbar. Die Verkehrsbetriebe richten einen Ersatzverkehr ein."),
    ("Wartungsarbeiten", "Am 5. Mai finden Wartungsarbeiten an der Kläranlage statt. Anwohner müssen mit Lärm "
     "rechnen, teilte die Stadt mit."),
    ("Vermisster Hund nicht gefunden", "Die Suche nach dem Hund Bello blieb auch am Sonntag erfolglos."),
    ("Buslinie 404 fährt wieder", "Ab Montag fährt die Linie 404 wieder nach dem gewohnten Fahrplan."),
    ("Neues Bürgerportal", "Das neue Portal der Stadt ist seit Montag online. Anträge gehen nun digital."),
    ("Zurück aus Ntoro", "Wir sind zurück aus Ntoro: Die Delegation berichtet am Montag im Rathaus."),
    ("Bibliothek geschlossen", "Die Bibliothek ist ab Montag geschlossen, wir sind bald wieder für Sie da."),
    ("Abstimmung vertagt", "Die Beratung über das Dokument zur Partnerschaft wurde auf Mai verschoben."),
    # a real article about a 404 error: the phrase is there, but the text is long
    ("Fehlerseite im Rathaus", "Die Seite der Stadt konnte am Montag nicht gefunden werden. " + "Der Dienstleister "
     "prüft, warum die Server der Stadt ausfielen, und will dem Rat am Freitag berichten. " * 8),
]


@pytest.mark.parametrize(("title", "text", "kind"), SITE_PAGES)
def test_a_short_page_saying_it_is_missing_in_maintenance_or_locked_is_a_site_page(title, text, kind):
    assert site_page_kind(title, text) == kind


@pytest.mark.parametrize(("title", "text"), ARTICLES)
def test_an_article_about_maintenance_or_something_not_found_is_no_site_page(title, text):
    assert site_page_kind(title, text) is None


def test_a_page_without_article_is_judged_by_its_title_and_heading():
    page = b"<html><head><title>404 - Seite nicht gefunden | Musterstadt</title></head><body><h1>Hoppla</h1>"
    assert site_page_kind_of_html(page) == "soft_404"
    assert site_page_kind_of_html(b"<html><head><title>Impressum</title></head><body><p>x</p>") is None


def test_site_key_ignores_the_echoed_request_but_not_the_words():
    def key(text: str, path: str) -> str:
        return site_key(text, f"https://town.example{path}")

    assert key("Die Seite /news/12.html wurde nicht gefunden.", "/news/12.html") == key(
        "Die Seite /news/7.html wurde nicht gefunden.", "/news/7.html")
    assert key("Zum Lesen von „stadtbahn-ausbau“ anmelden (Anfrage 8172391, 02:13 Uhr).", "/aktuelles/stadtbahn-ausbau"
               ) == key("Zum Lesen von „solarpark“ anmelden (Anfrage 994137, 02:14 Uhr).", "/aktuelles/solarpark")
    assert key("Ray ID: 8e1f2a3b4c5d6e7f", "/a") == key("Ray ID: 8e1f2a3b99887766", "/b")
    assert key("Der Rat tagt am Montag.", "/a") != key("Der Rat tagt am Dienstag.", "/b")
    assert key("Der Rat tagt am 2026-01-15.", "/a") != key("Der Rat tagt am 2026-02-12.", "/b")
    # serial articles differing in one short number are different texts, even where the URL echoes it
    assert key("Amtsblatt Nummer 12 ist erschienen.", "/news/12.html") != key(
        "Amtsblatt Nummer 2 ist erschienen.", "/news/2.html")


def test_site_page_is_no_reached_outcome():
    assert "site_page" not in REACHED


# --- taking back a stored fetch ------------------------------------------------------------------

DEDUP = DedupThresholds(jaccard=0.5, shared_words=30, boilerplate_articles=50)
MAINTENANCE = "Wartungsarbeiten. Unsere Website ist vorübergehend nicht erreichbar, bitte versuchen Sie es später."


@pytest.fixture
def db(tmp_path: Path):
    db = open_db(tmp_path / "archive.db")
    ensure_source(db, "town")
    yield db
    db.close()


def town(number: int, **fields: object) -> Art:
    return replace(Art(), **{"url": f"https://town.example/news/{number}.html", "title": f"Meldung {number}",
                             "text": article_text(number), **fields})


def test_taking_back_a_stored_site_page_restores_versions_head_index_and_duplicate_text(db):
    run1 = start_run(db, "municipal", "t1")
    record_article(db, town(1), source="town", run_id=run1, fetched_at="t1", etag='"v1"', dedup=DEDUP)
    run2 = start_run(db, "municipal", "t2")
    changed = record_article(db, town(1, text=MAINTENANCE), source="town", run_id=run2, fetched_at="t2",
                             etag='"wartung"', dedup=DEDUP)
    new = record_article(db, town(2, text=MAINTENANCE), source="town", run_id=run2, fetched_at="t2", dedup=DEDUP)
    assert (changed.outcome, new.outcome) == ("changed", "new")
    # the new article's copy of the text points at the changed one's version
    assert db.execute("SELECT count(*) FROM versions WHERE text_version_id IS NOT NULL").fetchone() == (1,)

    retract_fetch(db, changed, run_id=run2, url=town(1).url, detail="repeated", dedup=DEDUP)
    assert db.execute("SELECT current_version, etag, last_seen_at FROM articles WHERE id = ?",
                      [changed.article_id]).fetchone() == (1, '"v1"', "t1")
    assert [hit["title"] for hit in search(db, "Wartungsarbeiten")] == ["Meldung 2"]  # its text handed on
    assert [hit["title"] for hit in search(db, "Wasserversorgung")] == ["Meldung 1"]
    assert indexed_version_ids(db) == head_version_ids(db)

    retract_fetch(db, new, run_id=run2, url=town(2).url, detail="repeated", dedup=DEDUP)
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM versions").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM clusters").fetchone() == (0,)
    assert db.execute("SELECT cluster_id, duplicate_of FROM articles").fetchone() == (None, None)
    assert search(db, "Wartungsarbeiten") == []
    assert indexed_version_ids(db) == head_version_ids(db)
    assert db.execute("SELECT url, outcome, detail, article_id FROM fetches WHERE run_id = ? ORDER BY id",
                      [run2]).fetchall() == [(town(1).url, "site_page", "repeated", changed.article_id),
                                             (town(2).url, "site_page", "repeated", None)]


def test_a_taken_back_quarantine_is_not_confirmed_next_run(db):
    record_article(db, town(1), source="town", run_id=start_run(db, "municipal", "t1"), fetched_at="t1")
    run2 = start_run(db, "municipal", "t2")
    held = record_article(db, town(1, text=MAINTENANCE), source="town", run_id=run2, fetched_at="t2",
                          shrink_ratio=0.5)
    assert held.outcome == "quarantined"
    retract_fetch(db, held, run_id=run2, url=town(1).url, detail="repeated", dedup=None)
    again = record_article(db, town(1, text=MAINTENANCE), source="town", run_id=start_run(db, "municipal", "t3"),
                           fetched_at="t3", shrink_ratio=0.5)
    assert again.outcome == "quarantined"  # a site page in between confirms nothing
    assert db.execute("SELECT count(*) FROM versions").fetchone() == (1,)


def test_a_taken_back_fetch_leaves_a_tombstoned_article_gone(db):
    record_article(db, town(1), source="town", run_id=start_run(db, "municipal", "t1"), fetched_at="t1")
    db.execute("UPDATE articles SET gone_streak = 3, gone_at = 'g'")
    run2 = start_run(db, "municipal", "t2")
    stored = record_article(db, town(1, text=MAINTENANCE), source="town", run_id=run2, fetched_at="t2")
    assert db.execute("SELECT gone_at FROM articles").fetchone() == (None,)  # the page looked alive
    retract_fetch(db, stored, run_id=run2, url=town(1).url, detail="repeated", dedup=None)
    assert db.execute("SELECT current_version, gone_streak, gone_at FROM articles").fetchone() == (1, 3, "g")


# --- crawls: several nights of a local site -------------------------------------------------------

def page(title: str, lines: list[str]) -> bytes:
    """A page of the test town's layout with `lines` as its main text."""
    body = "".join(f"<p>{line}</p>" for line in lines)
    return (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><a href='/news/'>Aktuelles</a></nav><main><article><h1>{title}</h1>{body}</article></main>"
            "<footer>Impressum</footer></body></html>").encode()


WARTUNG = page("Wartungsarbeiten", [
    "Aufgrund von Wartungsarbeiten ist unsere Website derzeit nicht erreichbar.",
    "Wir arbeiten daran, Ihnen alle Inhalte schnellstmöglich wieder zur Verfügung zu stellen, und bitten um Ihr "
    "Verständnis.",
    "In dringenden Fällen erreichen Sie das Bürgerbüro telefonisch von Montag bis Freitag zwischen 8 und 16 Uhr."])
# a relaunch notice in words no phrase list knows: only its repetition gives it away
RELAUNCH_LINES = [
    "Liebe Besucherinnen und Besucher, unser Internetauftritt bekommt in diesen Tagen ein neues Gesicht.",
    "Ab dem kommenden Montag finden Sie hier wie gewohnt alle Nachrichten, Termine und Formulare der "
    "Stadtverwaltung in neuer Gestalt.",
    "Vielen Dank für Ihre Geduld, und bis Montag!"]
RELAUNCH = page("Neustart", RELAUNCH_LINES)
NO_VERSIONING = {"CRAWLER_TEMPLATE_ENABLED": False, "CRAWLER_SHRINK_QUARANTINE_RATIO": 0}


def members_only(path: str) -> bytes:
    """A members' wall echoing the requested path, in words no phrase list knows."""
    return page("Mitgliederbereich", [
        "Dieser Beitrag steht den Mitgliedern des Städtepartnerschaftsvereins offen.",
        f"Um {path} zu öffnen, geben Sie Ihren Benutzernamen und Ihr Passwort ein oder legen Sie kostenlos ein "
        "Konto an.", "Mitglieder lesen alle Beiträge, Protokolle und Reiseberichte des Vereins."])


def fetches(db_path: Path, run_id: int) -> dict[str, tuple[str, str | None]]:
    found = query(db_path, "SELECT url, outcome, detail FROM fetches WHERE run_id = ?", [run_id])
    return {url.rsplit("/", 1)[1]: (outcome, detail) for url, outcome, detail in found}


def changes_since(db_path: Path, run_id: int) -> str:
    result = CliRunner().invoke(main, ["changes", "--db", str(db_path), "--since", str(run_id)])
    assert result.exit_code == 0, result.output
    return result.output.strip()


CLUSTERS = "SELECT id, origin_article_id, articles FROM clusters ORDER BY id"


def assert_archive_of_six_first_versions(db_path: Path, clusters: list[tuple] | None = None) -> None:
    """Six articles at version 1, searchable, clustered as after the first night (`clusters`)."""
    assert query(db_path, "SELECT count(*), sum(current_version) FROM articles") == [(6, 6)]
    assert query(db_path, "SELECT count(*) FROM versions") == [(6,)]
    if clusters is not None:
        assert query(db_path, CLUSTERS) == clusters
    db = open_db(db_path)
    try:
        assert indexed_version_ids(db) == head_version_ids(db)
    finally:
        db.close()


def run_stat(db_path: Path, run_id: int, key: str) -> int:
    stats = query(db_path, "SELECT stats FROM runs WHERE id = ?", [run_id])[0][0]
    return json.loads(stats).get(key, 0)


@pytest.mark.parametrize(("body", "detail", "settings", "taken_back"), [
    (WARTUNG, "maintenance", {}, 0),
    (RELAUNCH, "repeated", {}, 0),  # the first sighting waits in the template learner's hold-back
    (RELAUNCH, "repeated", NO_VERSIONING, 1),  # nothing holds the first sighting back: it is taken back
], ids=["says-maintenance", "only-repeated", "only-repeated-stored-then-taken-back"])
def test_two_nights_of_one_page_on_every_url_store_nothing_and_the_real_pages_are_unchanged(
        site, tmp_path, body, detail, settings, taken_back):
    assert site_page_kind("Neustart", "\n".join(RELAUNCH_LINES)) is None
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path, **settings)
    clusters = query(db_path, CLUSTERS)
    real = dict(site.pages)
    site.pages = dict.fromkeys(real, body)
    for night in (2, 3):
        crawl_site(site, tmp_path, db_path, **settings)
        assert fetches(db_path, night) == {f"{n}.html": ("site_page", detail) for n in range(6)}
        assert_archive_of_six_first_versions(db_path, clusters)
    assert run_stat(db_path, 2, "crawler/site_pages/retracted") == taken_back
    site.pages = real
    crawl_site(site, tmp_path, db_path, **settings)
    assert {outcome for outcome, _ in fetches(db_path, 4).values()} <= {"not_modified", "unchanged"}
    assert_archive_of_six_first_versions(db_path, clusters)
    assert changes_since(db_path, 2) == "no changes"


def test_a_wall_echoing_the_path_on_half_the_urls_is_a_site_page_and_known_next_night_on_one(site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl_site(site, tmp_path, db_path)
    real = dict(site.pages)
    for number in (0, 2, 4):
        site.pages[f"/news/{number}.html"] = members_only(f"/news/{number}.html")
    crawl_site(site, tmp_path, db_path)
    assert fetches(db_path, 2) == {f"{n}.html": ("site_page", "repeated") if n % 2 == 0 else ("not_modified", None)
                                   for n in range(6)}
    assert query(db_path, "SELECT source, urls FROM site_pages") == [("town", 3)]
    site.pages = {**real, "/news/5.html": members_only("/news/5.html")}
    crawl_site(site, tmp_path, db_path)
    assert fetches(db_path, 3)["5.html"] == ("site_page", "repeated")  # one URL: known from last night
    assert {fetches(db_path, 3)[f"{n}.html"][0] for n in range(5)} == {"not_modified"}
    assert_archive_of_six_first_versions(db_path)
    assert changes_since(db_path, 2) == "no changes"


def test_a_soft_404_answered_with_200_is_logged_as_such_and_stores_no_version(site, tmp_path):
    db_path = tmp_path / "archive.db"
    site.pages["/news/6.html"] = (b"<html><head><title>Seite nicht gefunden</title></head><body><h1>Hoppla!</h1>"
                                  b"<p>Diese Seite gibt es nicht.</p></body></html>")
    site.listed.append(6)
    crawl_site(site, tmp_path, db_path)
    assert fetches(db_path, 1)["6.html"] == ("site_page", "soft_404")
    site.pages["/news/2.html"] = page("Page not found", [
        "Sorry, the page you requested could not be found on this server.",
        "It may have been moved, renamed or deleted. Please check the address, use the search box above or "
        "start again from the home page of the town's website."])
    crawl_site(site, tmp_path, db_path)
    assert fetches(db_path, 2)["2.html"] == ("site_page", "soft_404")
    assert query(db_path, "SELECT article_id IS NOT NULL FROM fetches WHERE run_id = 2 AND url LIKE '%/2.html'") == [
        (1,)]  # counted against the known article, like a 404
    assert_archive_of_six_first_versions(db_path)


def test_short_articles_one_about_maintenance_and_a_press_release_on_three_urls_are_stored(site, tmp_path):
    db_path = tmp_path / "archive.db"
    extra = {
        6: page("Bürgersprechstunde", ["Die Bürgermeisterin lädt am Donnerstag zur offenen Sprechstunde ins "
                                       "Rathaus ein. Anmeldung ist nicht nötig; Anliegen aller Art sind "
                                       "willkommen, auch zu den Partnerschaften mit Kommunen in Afrika.",
                                       "Die Sprechstunde beginnt um 16 Uhr im Ratssaal im ersten Stock."]),
        7: page("Neue Bänke im Stadtpark", ["Im Stadtpark stehen seit Mittwoch zwölf neue Bänke aus Holz "
                                           "der Partnerregion. Die Jugendgruppe des Austauschprogramms hat sie "
                                           "gemeinsam mit dem Bauhof aufgestellt und bemalt.",
                                           "Weitere Bänke folgen im Herbst am Ufer des Stadtweihers."]),
        8: page("Wartungsarbeiten an der Stadtbahn", [
            "Wegen Wartungsarbeiten an der Stadtbahn ist die Haltestelle Rathaus vom 3. bis 7. Mai vorübergehend "
            "nicht erreichbar.", "Die Verkehrsbetriebe richten einen Ersatzverkehr mit Bussen ein; Fahrgäste "
            "sollten mehr Zeit einplanen."]),
    }
    # one press release under three URLs, each with its own title: a republication, no site page
    extra |= {number: page(f"Pressemitteilung {number}", [article_text(42)]) for number in (9, 10, 11)}
    for number, body in extra.items():
        site.pages[f"/news/{number}.html"] = body
        site.listed.append(number)
    crawl_site(site, tmp_path, db_path)
    assert set(fetches(db_path, 1).values()) == {("new", None)}
    assert query(db_path, "SELECT count(*) FROM versions") == [(12,)]
    # the release's later copies were held a while: still stored once and linked to the first
    assert query(db_path, "SELECT count(*) FROM versions WHERE text_version_id IS NOT NULL") == [(2,)]


CONSENT_LINES = [
    "Ihre Privatsphäre ist uns wichtig.",
    "Diese Website nutzt Dienste von Drittanbietern, um Inhalte darzustellen und die Nutzung zu messen. Mit einem "
    "Klick auf „Alle akzeptieren“ stimmen Sie der Verarbeitung Ihrer Daten durch diese Anbieter zu.",
    "Unter „Einstellungen“ wählen Sie selbst aus, welchen Diensten Sie zustimmen."]


def test_a_consent_wall_with_one_title_on_three_new_urls_is_a_site_page_on_the_first_crawl(site, tmp_path):
    assert site_page_kind("Datenschutzeinstellungen", "\n".join(CONSENT_LINES)) is None
    db_path = tmp_path / "archive.db"
    for number in (6, 7, 8):
        site.pages[f"/news/{number}.html"] = page("Datenschutzeinstellungen", CONSENT_LINES)
        site.listed.append(number)
    crawl_site(site, tmp_path, db_path)
    assert fetches(db_path, 1) == {f"{n}.html": ("new", None) if n < 6 else ("site_page", "repeated")
                                   for n in range(9)}
    assert_archive_of_six_first_versions(db_path)
