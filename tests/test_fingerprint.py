"""Fingerprints: MinHash signatures estimate Jaccard, bands find the similar, sentences find quotes."""

from __future__ import annotations

import random
import re
import sys

import numpy as np
import xxhash
from stories import INVITATION, REPORT, REPUBLISHED, SAME_TOPIC, UKRAINE, text

from storage.fingerprint import (
    _A,
    _B,
    _MONTHS,
    _SENTENCE_END,
    BANDS,
    MAX_PASSAGES,
    MINHASH_CHUNK,
    PERMUTATIONS,
    estimate_jaccard,
    fingerprint,
    minhash,
    passage_hashes,
    shingle_hashes,
    signature_from_bytes,
    signature_to_bytes,
    speech_hashes,
    to_int64,
    words_of,
)


def shingle_jaccard(a: str, b: str) -> float:
    sets = [set(shingle_hashes(words_of(t)).tolist()) for t in (a, b)]
    return len(sets[0] & sets[1]) / len(sets[0] | sets[1])


def test_layout_and_punctuation_do_not_change_the_fingerprint():
    plain = fingerprint(text(INVITATION))
    restyled = fingerprint("  ".join(p.upper().replace(",", " –") for p in INVITATION))
    assert (plain.signature == restyled.signature).all()
    assert plain.bands() == restyled.bands()


def test_signature_estimates_jaccard_of_shingle_sets():
    rng = random.Random(6)
    words = text(INVITATION + REPORT + SAME_TOPIC).split()
    for keep in (0.9, 0.7, 0.5):
        edited = " ".join(w for w in words if rng.random() < keep or w.endswith("."))
        truth = shingle_jaccard(" ".join(words), edited)
        estimate = estimate_jaccard(fingerprint(" ".join(words)).signature, fingerprint(edited).signature)
        # 128 permutations: standard error sqrt(J(1-J)/128) <= 0.045; allow three of them
        assert abs(estimate - truth) <= 0.14, (keep, truth, estimate)


def test_text_with_a_new_sentence_shares_a_band_with_its_original():
    long_text = text(INVITATION + REPORT[2:])
    extended = "Neu: die Anmeldefrist wurde verlängert. " + long_text
    assert set(fingerprint(long_text).bands()) & set(fingerprint(extended).bands())


def test_unrelated_texts_share_no_band_and_estimate_near_zero():
    first, second = fingerprint(text(INVITATION)), fingerprint(text(UKRAINE))
    assert not set(first.bands()) & set(second.bands())
    assert estimate_jaccard(first.signature, second.signature) < 0.05
    assert len(first.bands()) == BANDS


def test_quoted_paragraph_is_found_as_shared_sentences():
    invitation = dict(passage_hashes(text(INVITATION)))
    report = dict(passage_hashes(text(REPORT)))
    shared = invitation.keys() & report.keys()
    assert sum(invitation[h] for h in shared) == len(words_of(INVITATION[1]))
    assert not invitation.keys() & dict(passage_hashes(text(SAME_TOPIC))).keys()


def test_short_sentences_and_ordinal_dates_are_not_passages():
    hashes = passage_hashes("Die Teilnahme ist kostenfrei. Das Treffen findet am 27. und 28. März in Siegburg "
                            "statt, wie jedes Jahr.")
    assert [words for _, words in hashes] == [14]


def test_republished_release_keeps_most_sentences():
    original = dict(passage_hashes(text(INVITATION)))
    copy = dict(passage_hashes(text(REPUBLISHED)))
    assert sum(original[h] for h in original.keys() & copy.keys()) >= 60


def test_signature_survives_storage_as_bytes():
    signature = fingerprint(text(REPORT)).signature
    blob = signature_to_bytes(signature)
    assert len(blob) == 4 * PERMUTATIONS
    assert (signature_from_bytes(blob) == signature).all()


def test_empty_text_has_a_signature_matching_no_real_text():
    empty = fingerprint("")
    assert empty.shingles == 0 and empty.passages == ()
    assert estimate_jaccard(empty.signature, fingerprint(text(REPORT)).signature) == 0.0


def test_fingerprint_of_a_huge_text_stays_bounded_in_memory_and_passages():
    import tracemalloc

    # 2.7 MB of distinct sentences: the all-at-once MinHash needed 400k x 128 x 8 bytes twice over
    body = "\n".join(f"Kommune {i} meldet Projekt {i * 7} mit Partner {i * 13} aus Region {i % 97}."
                     for i in range(40_000))
    assert len(body.encode()) > 2_700_000
    tracemalloc.start()
    try:
        print_ = fingerprint(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20, peak
    assert len(print_.passages) == MAX_PASSAGES
    assert print_.words == len(words_of(body)) and print_.shingles > 390_000


def test_chunked_minhash_equals_the_minimum_over_all_shingles_at_once():
    hashes = np.unique(np.random.default_rng(3).integers(0, 1 << 32, size=3 * MINHASH_CHUNK + 17, dtype=np.uint64))
    whole = ((hashes[:, None] * _A + _B) >> np.uint64(32)).min(axis=0).astype(np.uint32)
    assert (minhash(hashes) == whole).all()


def test_huge_texts_sharing_sentences_keep_the_same_sample_of_them():
    lines = [f"Satz {i} über die Partnerschaft von {i * 3} Kommunen im Jahr {i % 50}." for i in range(5_000)]
    first = dict(passage_hashes("\n".join(lines)))
    second = dict(passage_hashes("\n".join(["Ein neuer Anfang des Dokuments mit vielen Worten hier.", *lines[200:]])))
    # bottom-k by hash is a consistent sample: most kept sentences of one are kept by the other
    assert len(first.keys() & second.keys()) >= 0.9 * MAX_PASSAGES


def test_sentence_split_opening_with_a_space_is_the_plain_rule_on_varied_text() -> None:
    """_SENTENCE_END is written for speed; its matches must be those of the rule as first written."""
    plain = re.compile(rf"(?<=[.!?])\s+(?=[^a-zäöüß\s])(?!(?:{_MONTHS})\b)|\n+")
    pieces = [".", "!", "?", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2028", "a", "A", "ä", "Ä", "ß", "März",
              "Mai", "Maier", "1", "„", '"', "wort", "Wort", ". \n", "?\n "]  # fmt: skip
    rng = random.Random(11)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 15))) for _ in range(20_000)]
    spans = [[m.span() for m in _SENTENCE_END.finditer(text)] for text in texts]
    assert spans == [[m.span() for m in plain.finditer(text)] for text in texts]
    assert sum(map(bool, spans)) > 5000


def test_fingerprint_reads_each_sentence_once_and_matches_its_parts() -> None:
    """fingerprint shares each sentence's words between shingles, passages and speech: the result is
    what the parts give on their own, also for case folding that changes a word's length."""
    text = ("STRASSE und Straße: „Wir bauen die Brücke über den Fluss bis zum Jahr 2026 neu“, sagte sie. "
            "İstanbul grüßt ΣΊΣΥΦΟΣ! Die Partnerschaft mit der Stadt besteht seit vielen Jahren schon.\n"
            "Am 27. März wird gefeiert. ﬁnal ǅemal")  # fmt: skip
    found = fingerprint(text)
    hashes = shingle_hashes(words_of(text))
    assert found.words == len(words_of(text)) and found.shingles == len(hashes)
    assert np.array_equal(found.signature, minhash(hashes))
    assert found.passages == passage_hashes(text) and found.speech == speech_hashes(text) != frozenset()
    assert np.array_equal(hashes, np.unique([xxhash.xxh3_64_intdigest(" ".join(words_of(text)[i : i + 5]).encode())
                                             & 0xFFFFFFFF for i in range(len(words_of(text)) - 4)]))


def test_words_read_in_bytes_are_the_words_of_the_regular_expression_in_any_script_and_mark() -> None:
    """fingerprint reads words by a byte translation, not by _WORD: the words, passages and speech
    must be those words_of gives, whatever marks, spaces and scripts a text mixes."""
    pieces = ["wort", "Wort", "für", "STRASSE", "Straße", "_", "a_b", "42", "x²", "½", " ", "  ", "\n", "\t",
              "\u00a0", "\u2009", "\u3000", ".", ",", "-", "–", "„", "“", '"', "«", "'", "’", "…", "§", "€", "|",
              "\u00ad", "\u200b", "\ufeff", "e\u0301", "İ", "ﬁ", "Σ", "中文", "한국어", "😀", "𝐀", "\x1c", "\x00",
              "\x7f", "\ud800", "©"]  # fmt: skip
    rng = random.Random(17)
    for sample in ("".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(20_000)):
        words = words_of(sample)
        found = fingerprint(sample)
        assert found.words == len(words), sample
        assert np.array_equal(found.signature, minhash(shingle_hashes(words))), sample
    sentences = ". ".join(f"{' '.join(rng.choice(pieces[:10] + pieces[18:]) for _ in range(12))} „Zitat“ ende"
                          for _ in range(200))
    keys = {to_int64(xxhash.xxh3_64_intdigest(" ".join(words_of(s)).encode())): len(words_of(s))
            for s in _SENTENCE_END.split(sentences) if len(words_of(s)) >= 8}
    assert dict(passage_hashes(sentences)) == keys and len(keys) > 100


def test_a_word_character_is_one_isalnum_accepts_or_an_underscore() -> None:
    # fingerprint takes a piece that isalnum() accepts for one word of _WORD (\w+)
    word = re.compile(r"\w")
    for char in map(chr, range(sys.maxunicode + 1)):
        assert bool(word.match(char)) == (char.isalnum() or char == "_"), hex(ord(char))


def _speech_by_definition(text: str) -> frozenset[int]:
    """Each sentence of 8+ words more than half inside paired quotation marks, all spans against each."""
    marks = [m.start() for m in re.finditer(r'[„“”"«»]', text)]
    spans = list(zip(marks[::2], marks[1::2], strict=False))
    bounds = [0, *(x for m in _SENTENCE_END.finditer(text) for x in m.span()), len(text)]
    found = set()
    for begin, end in zip(bounds[::2], bounds[1::2], strict=True):
        words = words_of(text[begin:end])
        inside = sum(max(0, min(end, close) - max(begin, start)) for start, close in spans)
        if len(words) >= 8 and 2 * inside > end - begin:
            found.add(to_int64(xxhash.xxh3_64_intdigest(" ".join(words).encode())))
    return frozenset(found)


def test_speech_is_the_long_sentences_mostly_inside_quotation_marks_on_varied_text() -> None:
    words = ["Die", "Stadt", "baut", "eine", "Brücke", "über", "den", "Fluss", "im", "März", "und", "sagte", "27."]
    marks = ["„", "“", "”", '"', "«", "»", ". ", "! ", "? ", "\n", "\n\n", " ", ", ", "  "]
    rng = random.Random(23)
    with_speech = 0
    for _ in range(3000):
        sample = "".join(rng.choice(words) + " " if rng.random() < 0.7 else rng.choice(marks)
                         for _ in range(rng.randint(0, 80)))
        expected = _speech_by_definition(sample)
        assert fingerprint(sample).speech == speech_hashes(sample) == expected, sample
        with_speech += bool(expected)
    assert with_speech > 500
