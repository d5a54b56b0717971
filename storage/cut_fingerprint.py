"""The fingerprint of a text stored with some of its lines taken out, from that of the whole text.

The extraction workers fingerprint the text they extract (storage.fingerprint). The archive
writer then often stores it with lines taken out: template blocks learned while it was held back,
recurring DOM blocks at its edges (crawler.template_learning). Fingerprinting the stored text
again took an eighth of the writer's time on a town site (bench/writer_cost.py).

Half of that work can be kept. Sentences never span lines (every line break ends one), so when
no removed line holds a sentence long enough to be a passage (PASSAGE_MIN_WORDS) nor a quotation
mark, the stored text has the whole text's passages and speech, in the same order. Only the word
shingles cross line breaks: the MinHash is computed again, from the stored text's words. In any
other case the text is fingerprinted from scratch, so the result is always `fingerprint(text)`.
"""

from __future__ import annotations

from storage.fingerprint import (
    PASSAGE_MIN_WORDS,
    QUOTE_MARK,
    Fingerprint,
    fingerprint,
    minhash,
    passage_hashes,
    shingle_hashes,
    words_of,
)


def fingerprint_after_cut(text: str, whole_text: str, whole: Fingerprint) -> Fingerprint:
    """`fingerprint(text)`, where `text` is `whole_text` (fingerprinted `whole`) without some lines."""
    lines = text.split("\n")
    removed = _removed_lines(whole_text.split("\n"), lines)
    if removed is None or not all(map(_keeps_sentences, removed)):
        return fingerprint(text)
    # a sentence's span decides if it is speech: with quotation marks, a kept line's edges must not move
    if QUOTE_MARK.search(text) and any(line[:1].isspace() or line[-1:].isspace() for line in lines):
        return fingerprint(text)
    words = words_of(text)
    hashes = shingle_hashes(words)
    return Fingerprint(minhash(hashes), len(hashes), whole.passages, len(words), whole.speech)


def _removed_lines(whole: list[str], kept: list[str]) -> list[str] | None:
    """The lines of `whole` not in `kept`; None unless `kept` is `whole` with some lines left out."""
    removed = []
    at = 0
    for line in whole:
        if at < len(kept) and line == kept[at]:
            at += 1
        else:
            removed.append(line)
    return removed if at == len(kept) else None


def _keeps_sentences(line: str) -> bool:
    """Taking `line` out changes no passage and no quotation: it has neither a long sentence nor a mark."""
    if QUOTE_MARK.search(line):
        return False
    return len(words_of(line)) < PASSAGE_MIN_WORDS or not passage_hashes(line)
