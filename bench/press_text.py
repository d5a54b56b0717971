"""Text for the press benchmark site: the sentence shapes of real pages, filled with other words.

bench/site_generator.py walks a word-bigram chain over the replica's German articles. Here the
source is other people's text, the extraction-bench dev split (German: what trafilatura reads from
its German pages; English: the ScrapingHub gold article bodies), and the method differs too: a
sentence is a real sentence with most of its long words swapped for corpus words of the same case
and ending. Function words and punctuation stay, so the grammar (and the language detector) stay
plausible, while no generated sentence repeats a real one or another generated one by chance:
repetition on this site comes only from where press_site.py puts it on purpose.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

import trafilatura

from real_templates import EXTRACTION_BENCH, decode, dev_pages

SWAP_SHARE = 0.7  # of a shape's long words
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"])")
WORD = re.compile(r"^([„\"(]?)([A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß-]{4,})([.,;:!?“\")]*)$")

# in every release, as press offices end theirs
CLOSING = {
    "de": ("Weitere Informationen erhalten Sie bei der Pressestelle des Landesnetzwerks Kommunale "
           "Partnerschaften, Telefon 0711 123 45 67, oder per E-Mail an presse@landesnetzwerk.example."),
    "en": ("For further information please contact the press office of the state network for municipal "
           "partnerships, phone +49 711 123 45 67, or email presse@landesnetzwerk.example."),
}
CONTACTS = (
    ("Dr. Miriam Albers", "Pressesprecherin", "0711 123 45 67"),
    ("Jonas Petersen", "Referent für Öffentlichkeitsarbeit", "0711 123 45 68"),
    ("Aylin Demir", "Leiterin Kommunikation", "0711 123 45 69"),
    ("Thomas Weißgerber", "Pressereferent", "0711 123 45 70"),
)
# stock sentences that press offices paste into unrelated releases
STOCK = (
    "Die Teilnahme an der Veranstaltung ist kostenfrei, eine Anmeldung ist jedoch bis eine Woche vorher erforderlich.",
    "Das Landesnetzwerk begleitet seit über zwanzig Jahren Partnerschaften zwischen Kommunen in Europa, "
    "Afrika und Lateinamerika.",
    "Gefördert wird das Vorhaben aus Mitteln des Bundesministeriums für wirtschaftliche Zusammenarbeit "
    "und Entwicklung.",
    "Medienvertreterinnen und Medienvertreter sind herzlich eingeladen, über die Veranstaltung zu berichten.",
    "Die Ergebnisse werden im Anschluss in einer Dokumentation auf der Internetseite des Netzwerks veröffentlicht.",
    "Für Rückfragen steht die Geschäftsstelle montags bis freitags von neun bis sechzehn Uhr zur Verfügung.",
    "Bildmaterial zur honorarfreien Verwendung im Rahmen der Berichterstattung finden Sie im Downloadbereich.",
    "Die Veranstaltung findet barrierefrei statt, eine Übersetzung in Gebärdensprache kann angefragt werden.",
    "Das Programm wird gemeinsam mit den Partnerkommunen und zivilgesellschaftlichen Initiativen vor Ort entwickelt.",
    "Interessierte Kommunen können sich bis zum Ende des Monats bei der Servicestelle um eine Teilnahme bewerben.",
    "Im vergangenen Jahr beteiligten sich mehr als sechzig Städte, Gemeinden und Landkreise an dem Programm.",
    "Eine Übersicht aller bisherigen Projekte ist in der Projektdatenbank des Landesnetzwerks zu finden.",
)


class Writer:
    """Endless sentences in one language, from the shapes and words of the dev split's texts."""

    def __init__(self, texts: list[str], rng: random.Random) -> None:
        self.rng = rng
        self.shapes: list[list[str]] = []
        self.words: dict[tuple[bool, str], list[str]] = defaultdict(list)
        for text in texts:
            for sentence in SENTENCE_END.split(" ".join(text.split())):
                words = sentence.split()
                if 8 <= len(words) <= 32 and sentence.endswith((".", "!", "?")) and "http" not in sentence:
                    self.shapes.append(words)
                    for word in words:
                        if match := WORD.match(word):
                            self.words[_kind(match.group(2))].append(match.group(2))
        if len(self.shapes) < 100:
            raise ValueError(f"only {len(self.shapes)} sentence shapes: is the extraction bench complete?")

    def sentence(self) -> str:
        out = []
        for word in self.rng.choice(self.shapes):
            match = WORD.match(word)
            if match and self.rng.random() < SWAP_SHARE:
                pool = self.words[_kind(match.group(2))]
                word = match.group(1) + self.rng.choice(pool) + match.group(3)
            out.append(word)
        out[0] = out[0][:1].upper() + out[0][1:]
        return " ".join(out)

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def title(self) -> str:
        words = self.sentence().rstrip(".!?").split()
        return " ".join(words[: self.rng.randint(5, 11)]).rstrip(",;:–-")


def load_writers(rng: random.Random, bench: Path = EXTRACTION_BENCH) -> dict[str, Writer]:
    """A German writer (texts of the dev split's German pages) and an English one (gold bodies)."""

    german = [trafilatura.extract(decode(raw)) or "" for _, raw in dev_pages("de", bench)]
    gold = json.loads((bench / "data" / "scrapinghub" / "ground-truth.json").read_text())
    english = [gold[Path(name).name.split(".")[0]]["articleBody"] for name, _ in dev_pages("en", bench)
               if name.startswith("scrapinghub/")]
    return {"de": Writer(german, rng), "en": Writer(english, rng)}


def _kind(word: str) -> tuple[bool, str]:
    return word[0].isupper(), word[-2:].lower()
