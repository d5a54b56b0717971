"""Language of an extracted text: seeded langdetect, cross-checked with <html lang>."""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples randomly; unseeded it gives different answers per call (Mimino666/langdetect#3)
DetectorFactory.seed = 0

UNKNOWN = ("unknown", 0.0)
SAMPLE_CHARS = 1000  # perf-notes: the first 1000 characters cost 3.7x less than the full text
MIN_LETTERS = 50
MIN_PROBABILITY = 0.8
MIN_DECLARED_PROBABILITY = 0.2  # a declared language langdetect ranks at least this high wins


def detect_language(text: str, declared: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and probability, or ("unknown", 0.0); never raises."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNKNOWN
    try:
        ranked = detect_langs(sample)  # loads the profiles on the first call in a process
    except LangDetectException:
        return UNKNOWN
    scores = {primary_subtag(item.lang): item.prob for item in ranked}
    best = max(scores, key=scores.__getitem__, default=None)
    if best is not None and scores[best] >= MIN_PROBABILITY:
        return best, round(scores[best], 4)
    if declared and scores.get(declared, 0.0) >= MIN_DECLARED_PROBABILITY:
        return declared, round(scores[declared], 4)
    return UNKNOWN


def primary_subtag(code: str | None) -> str | None:
    """Primary subtag of a language code ("de-DE" gives "de"), None if there is none."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None
