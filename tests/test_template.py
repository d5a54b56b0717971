import json
import pickle
import re

import pytest

from crawler import boilerplate
from crawler.boilerplate import TemplateLearner, is_boilerplate_line

FOOTER = "Die Servicestelle Kommunen in der Einen Welt ist ein Angebot von Engagement Global."


def feed(learner: TemplateLearner, pages: int, start: int = 0) -> None:
    for i in range(start, start + pages):
        learner.add_page(
            f"https://skew.example/news/{i}", [f"Meldung Nummer {i} mit eigenem Text.", FOOTER]
        )


def test_paragraph_on_enough_pages_is_boilerplate() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=3, min_pages=3)
    feed(learner, 3)
    assert learner.boilerplate() == frozenset({FOOTER})


def test_paragraph_on_too_few_pages_is_not_boilerplate() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=4, min_pages=1)
    feed(learner, 3)
    assert learner.boilerplate() == frozenset()


def test_same_page_fed_twice_counts_once() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=2, min_pages=1)
    learner.add_page("https://skew.example/a", [FOOTER, FOOTER])
    learner.add_page("https://skew.example/a", [FOOTER])
    assert learner.boilerplate() == frozenset()
    learner.add_page("https://skew.example/b", [FOOTER])
    assert learner.boilerplate() == frozenset({FOOTER})


def test_nothing_is_learned_before_min_pages() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=2, min_pages=10)
    feed(learner, 9)
    assert learner.boilerplate() == frozenset()
    feed(learner, 1, start=9)
    assert learner.boilerplate() == frozenset({FOOTER})


def test_whitespace_variants_are_one_paragraph_and_long_ones_ignored() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=2, min_pages=1, max_paragraph_chars=100)
    long = "x" * 101
    learner.add_page("a", ["  Zurück  zur   Übersicht ", long])
    learner.add_page("b", ["Zurück zur Übersicht", long])
    assert learner.boilerplate() == frozenset({"Zurück zur Übersicht"})


def test_learner_round_trips_through_json_and_pickle() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=3, min_pages=3)
    feed(learner, 2)
    restored = TemplateLearner.from_json(learner.to_json())
    json.loads(learner.to_json())
    feed(restored, 1, start=2)
    assert restored.boilerplate() == frozenset({FOOTER})
    assert pickle.loads(pickle.dumps(restored)).boilerplate() == frozenset({FOOTER})


def test_memory_is_bounded_by_dropping_single_page_paragraphs() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=2, min_pages=1, max_entries=10)
    feed(learner, 20)
    assert len(learner.seen_on) <= 11
    assert FOOTER in learner.boilerplate()


@pytest.mark.parametrize(
    "line",
    [
        "Die Delegation im Alten Rathaus. Foto: Stadt Bonn",
        "Mitglieder der Delegation (Bild: privat)",
        "Logo der Partnerschaft © SKEW",
        "Bildvergrößerung: Unterzeichnung im Rathaus",
        "Dies ist der ALT-Text",
        "Diese Seite teilen",
        "Link kopieren",
        "Seite weiterempfehlen",
        "Hauptnavigation",
        "Zum Inhalt springen",
        "Wir verwenden Cookies, um unsere Website zu verbessern.",
        "Abonnieren Sie unseren Newsletter!",
        "Zurück",
        "Weiterlesen …",
        "Stand: 01.03.2024",
        "Teilen auf Facebook",
        "- Drucken",
    ],
)
def test_page_furniture_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Der Fotograf Max Muster begleitete die Reise; seine Bilder sind im Rathaus ausgestellt.",
        "Die Stadt Lahr unterstützt Projekte in Alajuela.",
        "Zurück in Bonn berichtete die Delegation im Rat über ihre Reise nach Tansania.",
        "Stand der Projekte: Drei Schulen wurden bereits mit Solaranlagen ausgestattet.",
        "Der Newsletter-Beitrag erschien im März.",
        "Mehr als 40 Kommunen beteiligen sich an dem Programm.",
        (
            "Zum Abschluss der Reise besuchte die Delegation ein Kooperationsprojekt, das Kinder "
            "in Cajamarca fördert und in dem auch zahlreiche Fotos entstanden sind, die im Rathaus "
            "gezeigt werden, und traf sich danach mit Vertreterinnen der Stadtverwaltung zu einem "
            "langen Gespräch über die nächsten Vorhaben der Partnerschaft. Foto: Stadt Bonn"
        ),
    ],
)
def test_article_sentences_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line)


def _searched_in_full(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.search(text) is not None


@pytest.mark.parametrize(
    "phrase",
    [
        "in den Kommentaren", "Kommentar hinterlassen", "angemeldet sein, um", "Bestätigen Sie die AGB",
        "jederzeit widerrufen", "Affiliate Links", "Provisions-Link", "Werbelink", "Product Advertising API",
        "Gefällt dir dieser", "Anzeige:", "Symbolbild", "Dies ist der Alt-Text", "Zum Inhalt springen",
        "Teilen auf Facebook", "Stand: 3. März 2024", "Foto: Stadt Bonn", "© Stadt Lahr", "Bildquelle: privat",
    ],
)
def test_boilerplate_rules_read_only_at_the_start_find_what_a_full_search_finds(phrase: str) -> None:
    """Where a line holds none of a rule's required words, it is matched at its start only: each
    phrase, at the start, inside a sentence and spelled with the letters IGNORECASE takes for i, s, k
    (ı, İ, ſ, Kelvin sign), is judged as the full regular expression searches would judge it."""
    variants = [phrase, phrase.upper(), phrase.replace("i", "ı"), phrase.replace("I", "İ").replace("i", "İ"),
                phrase.replace("s", "ſ"), phrase.replace("k", "\u212a")]
    lines = [line for v in variants for line in (v, f"- {v}", f"Wie es hieß, {v} und mehr.", f"Ende {v}")]
    rules = vars(boilerplate)  # the module's own patterns, each searched in full below
    for line in lines:
        lower = line.lower()
        bare = rules["_LIST_MARK"].sub("", lower).strip(rules["_TRAILING"])
        expected = (
            ("cookie" in lower and _searched_in_full(rules["_COOKIE_CONTEXT"], lower))
            or _searched_in_full(rules["_NOTICE"], lower)
            or bare in rules["_STUBS"]
            or _searched_in_full(rules["_PATTERNS"], bare)
            or ((":" in line or "©" in line) and _searched_in_full(rules["_CREDIT"], line))
            or ("newsletter" in lower and _searched_in_full(rules["_NEWSLETTER"], lower))
        )
        assert is_boilerplate_line(line) == expected, line


def test_paragraphs_seen_once_are_kept_as_hashes_until_a_second_page_shows_them() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=3, min_pages=2)
    feed(learner, 200)
    # the 200 own paragraphs are hashed; only the footer, on every page, is kept as text
    assert set(learner.seen_on) == {FOOTER} and len(learner.seen_once) == 200
    learner.add_page("https://skew.example/news/copy", ["Meldung Nummer 7 mit eigenem Text."])
    learner.add_page("https://skew.example/news/other", ["Meldung  Nummer 7 mit eigenem Text."])
    assert learner.boilerplate() == frozenset({FOOTER, "Meldung Nummer 7 mit eigenem Text."})
    restored = TemplateLearner.from_json(learner.to_json())
    assert restored.seen_once == learner.seen_once and restored.seen_on == learner.seen_on
    restored.add_page("https://skew.example/news/a", ["Meldung Nummer 9 mit eigenem Text."])
    restored.add_page("https://skew.example/news/b", ["Meldung Nummer 9 mit eigenem Text."])
    assert "Meldung Nummer 9 mit eigenem Text." in restored.boilerplate()


def test_a_learner_saved_with_single_page_paragraphs_as_text_loads_them_as_hashes() -> None:
    learner = TemplateLearner(min_pages_per_paragraph=2, min_pages=1)
    feed(learner, 3)
    state = json.loads(learner.to_json())
    state["seen_on"].update({f"Meldung Nummer {i} mit eigenem Text.": [key] for i, key in
                             zip(range(3), sorted(learner.seen_once.values()), strict=True)})
    del state["seen_once"]
    restored = TemplateLearner.from_json(json.dumps(state))
    assert set(restored.seen_on) == {FOOTER} and len(restored.seen_once) == 3
    restored.add_page("https://skew.example/news/x", ["Meldung Nummer 1 mit eigenem Text."])
    assert "Meldung Nummer 1 mit eigenem Text." in restored.boilerplate()
