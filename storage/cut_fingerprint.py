"""The fingerprint of a text stored with some of its lines taken out, from that of the whole text.

The extraction workers fingerprint the text they extract (storage.fingerprint). The archive
writer then often stores it with lines taken out: template blocks learned while it was held back,
recurring DOM blocks at its edges (crawler.template_learning). Fingerprinting the stored text
again took an eighth of the writer's time on a town site (bench/writer_cost.py).

Half of that work can be kept. Sentences never span lines (every line break ends one), so when
the quotation marks of each removed line pair up among themselves (none, or a quote of its own),
the stored text has the whole text's passages and speech, in the same order, less the sentences
only removed lines print. A removed line's long sentence
(PASSAGE_MIN_WORDS or more, a sidebar teaser) is one of those unless the stored text's words
repeat its first PASSAGE_MIN_WORDS words in a row; then, and when the whole text kept only a
sample of its passages (MAX_PASSAGES), the text is fingerprinted from scratch. Only the word
shingles cross line breaks: the MinHash is computed again, from the stored text's words. So the
result is always `fingerprint(text)`.
"""

from __future__ import annotations

from storage.fingerprint import (
    MAX_PASSAGES,
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
    lines, whole_lines = text.split("\n"), whole_text.split("\n")
    removed = _removed_lines(whole_lines, lines)
    if removed is None:
        return fingerprint(text)
    if any(QUOTE_MARK.search(line) for line in removed) and not _marks_pair_within(whole_lines, lines):
        return fingerprint(text)
    # a sentence's span decides if it is speech: with quotation marks, a kept line's edges must not move
    if QUOTE_MARK.search(text) and any(line[:1].isspace() or line[-1:].isspace() for line in lines):
        return fingerprint(text)
    words = words_of(text)
    gone = _removed_passages(removed, words)
    if gone is None or (gone and len(whole.passages) >= MAX_PASSAGES):
        return fingerprint(text)
    passages = tuple(passage for passage in whole.passages if passage[0] not in gone) if gone else whole.passages
    hashes = shingle_hashes(words)
    return Fingerprint(minhash(hashes), len(hashes), passages, len(words), whole.speech - gone)


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


def _marks_pair_within(whole: list[str], kept: list[str]) -> bool:
    """Each removed line's quotation marks pair up among themselves (an even number before it and
    in it), so the kept text's marks pair as they did in the whole text: its speech is the same."""
    marks = at = 0
    for line in whole:
        count = len(QUOTE_MARK.findall(line))
        if at < len(kept) and line == kept[at]:
            at += 1
        elif count and (marks % 2 or count % 2):
            return False
        marks += count
    return True


def _removed_passages(removed: list[str], kept_words: list[str]) -> frozenset[int] | None:
    """The passage hashes of the `removed` lines; None if the kept text may print one of them too.

    A passage is a run of at least PASSAGE_MIN_WORDS words: printed in the kept text, its first
    ones stand in a row in `kept_words`. Any window of the removed line found there is suspect.
    """
    gone: set[int] = set()
    joined = None
    for line in removed:
        line_words = words_of(line)
        if len(line_words) < PASSAGE_MIN_WORDS:
            continue
        keys = passage_hashes(line)
        if not keys:
            continue
        if joined is None:
            joined = f" {' '.join(kept_words)} "
        for start in range(len(line_words) - PASSAGE_MIN_WORDS + 1):
            if f" {' '.join(line_words[start : start + PASSAGE_MIN_WORDS])} " in joined:
                return None
        gone.update(key for key, _ in keys)
    return frozenset(gone)
