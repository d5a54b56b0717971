"""A story told on several pages of one source (a joint release, a follow-up repeating its core) is
no site template: its core stays in every page's stored text, while the sidebar still goes."""

from __future__ import annotations

import random
import sqlite3

from change_site import Site, crawl_site, serve
from sidebar_pages import german_sidebar, page, paragraphs

WORDS = ("Partnerschaft Klimaschutz Stadtrat Delegation Solaranlage Schule Wasserversorgung Radweg Bürgermeisterin "
         "Projekt Austausch Fachkräfte Workshop Förderung Kommune Verwaltung Haushalt Beschluss Vertrag Besuch "
         "Jugend Bildung Energie Abfall Landwirtschaft Gesundheit Frauen Kultur Sport Musik Wald Fluss Brücke").split()


def prose(rng: random.Random, sentences: int) -> str:
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + "." for _ in range(sentences))


def test_a_core_repeated_on_three_pages_stays_in_their_texts_and_the_sidebar_is_cut(tmp_path):
    rng = random.Random(11)
    site = Site()
    for number in range(12):  # ordinary articles: one sidebar, each its own words
        site.pages[f"/news/{number}.html"] = page(f"Meldung {number}", paragraphs(prose(rng, 6)), german_sidebar())
    core = prose(rng, 7)
    for number, partner in zip(range(12, 15), ("Gemeinde Nord", "Stadt Süd", "Kreis West"), strict=True):
        intro = f"Gemeinsame Erklärung, veröffentlicht von {partner}: die Partner berichten über das Treffen."
        site.pages[f"/news/{number}.html"] = page(f"Erklärung {number}", paragraphs(f"{intro}\n{core}"),
                                                  german_sidebar())
    site.listed = list(range(15))
    server = serve(site)
    try:
        crawl_site(site, tmp_path, tmp_path / "archive.db")
    finally:
        server.shutdown()
    db = sqlite3.connect(tmp_path / "archive.db")
    texts = {url.rsplit("/", 1)[1]: text for url, text in db.execute(
        "SELECT a.canonical_url, t.text FROM articles a JOIN version_texts t ON t.article_id = a.id")}
    assert len(texts) == 15
    assert not any("Sprechzeiten" in text or "Zimmer 214" in text for text in texts.values())
    for number in range(12, 15):
        assert all(line in texts[f"{number}.html"] for line in core.splitlines()), texts[f"{number}.html"]


def test_story_keys_name_a_near_copy_by_its_first_page_and_forget_pages_past_the_limit():
    from storage.fingerprint import fingerprint
    from crawler.template_learning import StoryKeys

    rng = random.Random(5)
    core = prose(rng, 12)
    keys = StoryKeys(limit=100)
    assert keys.key("release", fingerprint(core)) == "release"
    # other wording, lengths and sizes than the crawl test: a copy with a new first sentence
    assert keys.key("copy", fingerprint("Die Kreisverwaltung teilt mit:\n" + core)) == "release"
    others = [prose(rng, rng.randint(3, 20)) for _ in range(300)]
    assert all(keys.key(f"other {n}", fingerprint(text)) == f"other {n}" for n, text in enumerate(others))
    # 300 pages later the release is out of the window of 100; memory is that window's, not the crawl's
    assert keys.key("late copy", fingerprint(core + "\nEin Nachsatz.")) == "late copy"
    assert keys.signatures.shape[0] == keys.band_lows.shape[1] == len(keys.stories) == 100
    assert keys.key("later copy", fingerprint(core)) == "late copy"


def test_story_keys_match_whole_band_keys_not_their_halves():
    from storage.fingerprint import BANDS, fingerprint, to_int64
    from crawler.template_learning import StoryKeys

    text = fingerprint(prose(random.Random(8), 9))
    bands = text.bands()
    keys = StoryKeys()
    assert keys.key("first", text, bands) == "first"
    # the same signature under band keys that agree with the first page's in their low or high 32 bits only
    for change in (1 << 32, 1, -(1 << 40)):
        other = [(band, to_int64((key + change) % (1 << 64))) for band, key in bands]
        assert keys.key(f"changed {change}", text, other) == f"changed {change}"
    negative = [(band, -1 - band) for band in range(BANDS)]  # halves of negative keys round-trip too
    assert keys.key("negative", text, negative) == "negative"
    assert keys.key("negative again", text, negative) == "negative"
    assert keys.key("first again", text, bands) == "first"
