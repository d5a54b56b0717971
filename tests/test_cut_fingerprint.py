"""The fingerprint derived for a text stored without some of its lines is the text's own fingerprint."""

from __future__ import annotations

import random

import numpy as np

from storage.cut_fingerprint import _removed_lines, fingerprint_after_cut
from storage.fingerprint import QUOTE_MARK, Fingerprint, fingerprint, passage_hashes

WORDS = ("Stadt Rathaus Bürgermeisterin Sitzung Haushalt Straße Verkehr Schule Kita Feuerwehr Bürger "
         "March April Mai Juli Oktober ΣΟΦΙΑ straße ÉCOLE naïve 2026 12. 3.5 x-ray co-op Öffnungszeiten "
         "the council said on Monday that road works will start in spring").split()
QUOTES = ("„", "“", "”", '"', "«", "»")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.choice((2, 4, 7, 8, 9, 15)))]
    if rng.random() < 0.25:  # a quotation, often spanning into another sentence or line
        at = rng.randrange(len(words))
        words[at] = rng.choice(QUOTES) + words[at]
    if rng.random() < 0.2:
        at = rng.randrange(len(words))
        words[at] = words[at] + rng.choice(QUOTES)
    return " ".join(words) + rng.choice((".", ". ", "!", "?", "", ":", " am 3.", " 27."))


def _line(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.12:
        return rng.choice(("   ", "\t"))
    line = " ".join(_sentence(rng) for _ in range(rng.choice((1, 1, 2, 3))))
    if rng.random() < 0.1:
        line = " " + line
    if rng.random() < 0.1:
        line = line + " "
    return line


def _same(a: Fingerprint, b: Fingerprint) -> bool:
    return (np.array_equal(a.signature, b.signature) and a.shingles == b.shingles and a.passages == b.passages
            and a.words == b.words and a.speech == b.speech)


def test_fingerprint_after_cut_equals_fingerprint_of_the_cut_text() -> None:
    rng = random.Random(17)
    derived = without_passages = 0
    for _ in range(1500):
        lines = [_line(rng) for _ in range(rng.randint(1, 14))]
        # template-like lines repeated, as a sidebar teaser is
        if rng.random() < 0.3 and lines:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
        keep_share = rng.choice((0.5, 0.8, 0.95))
        kept = [line for line in lines if rng.random() < keep_share]
        whole, text = "\n".join(lines), "\n".join(kept)
        removed = _removed_lines(lines, kept)
        if removed is not None and not any(len(QUOTE_MARK.findall(line)) % 2 for line in removed):
            derived += 1
            without_passages += any(passage_hashes(line) for line in removed)
        assert _same(fingerprint_after_cut(text, whole, fingerprint(whole)), fingerprint(text)), (whole, text)
    assert derived > 300 and without_passages > 100  # the cheap paths are taken, not only the fallback


def test_a_removed_teaser_sentence_leaves_the_passages_unless_the_kept_text_prints_it_too() -> None:
    teaser = "Neue Öffnungszeiten der Stadtbibliothek ab dem ersten Januar im Überblick"
    body = ("The council said on Monday that road works on the bridge will start in spring.\n"
            "Residents can comment on the plans at the town hall until the end of March.")
    whole = f"{teaser}\n{body}"
    derived = fingerprint_after_cut(body, whole, fingerprint(whole))
    assert _same(derived, fingerprint(body))
    assert len(derived.passages) == len(fingerprint(whole).passages) - 1
    quoting = f"{body}\n{teaser.upper()}!"  # the kept text prints the teaser's sentence too
    whole = f"{teaser}\n{quoting}"
    derived = fingerprint_after_cut(quoting, whole, fingerprint(whole))
    assert _same(derived, fingerprint(quoting))
    assert sorted(derived.passages) == sorted(fingerprint(whole).passages)


def test_fingerprint_after_cut_of_an_edge_and_a_block_keeps_passages_and_speech() -> None:
    article = ("Die Stadt saniert ab Montag die Brücke über den Fluss am Rathausplatz.\n"
               "„Wir rechnen mit vier Wochen Bauzeit für die gesamte Brücke“, sagte die "
               "Bürgermeisterin am 3. März.\n"
               "Umleitungen sind über die Hauptstraße und den Ring ausgeschildert worden.")
    whole = "Aktuelles\n" + article.replace("\n", "\nÖffnungszeiten: Mo-Fr 8-12 Uhr\n", 1) + "\nNach oben"
    fingerprinted = fingerprint(whole)
    derived = fingerprint_after_cut(article, whole, fingerprinted)
    assert _same(derived, fingerprint(article))
    assert derived.speech and derived.passages == fingerprinted.passages


def test_lines_out_of_order_or_foreign_are_fingerprinted_from_scratch() -> None:
    first = "Erste Zeile mit genug Wörtern für einen ganzen Satz hier."
    second = "Zweite Zeile mit anderen Wörtern als die erste."
    whole = f"{first}\n{second}"
    for text in (f"{second}\n{first}", "Eine ganz andere Zeile mit neuen Wörtern, die nie im Text stand."):
        assert _removed_lines(whole.split("\n"), text.split("\n")) is None
        assert _same(fingerprint_after_cut(text, whole, fingerprint(whole)), fingerprint(text))


def test_a_removed_quote_of_its_own_keeps_the_speech_of_the_kept_text() -> None:
    teaser = "„Wir feiern zehn Jahre Partnerschaft mit unserer Schwesterstadt im Sommer“, sagt der Verein."
    body = ("„Die Brücke wird ab Montag für vier Wochen vollständig gesperrt sein“, sagte die Bürgermeisterin.\n"
            "Umleitungen sind über die Hauptstraße und den Ring ausgeschildert worden.")
    for whole in (f"{teaser}\n{body}", f"{body}\n{teaser}"):
        derived = fingerprint_after_cut(body, whole, fingerprint(whole))
        assert _same(derived, fingerprint(body))
        assert derived.speech and len(derived.speech) == len(fingerprint(whole).speech) - 1
    # a mark the removed line leaves open pairs with the kept text's: fingerprinted from scratch, still right
    whole = f"„Ein offenes Zitat ohne Ende im Teaser der Seitenleiste hier\n{body}"
    assert _same(fingerprint_after_cut(body, whole, fingerprint(whole)), fingerprint(body))
