"""Language of an extracted text: function words over the whole text, else seeded langdetect.

The page's declared <html lang> is a prior, not the answer: it lowers the bar for the language it
names and decides when the text says too little, but a text whose function words clearly name
another language overrides it (issue 12: a Portuguese article behind a German intro, declared "de").
"""

from __future__ import annotations

import pkgutil
import re
from collections import Counter
from functools import cache

from langdetect import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from crawler.language_profiles import sparse_factory

# langdetect samples randomly; unseeded it gives different answers per call (Mimino666/langdetect#3)
DetectorFactory.seed = 0

UNKNOWN = ("unknown", 0.0)
MIN_LETTERS = 50

# Languages the function words may name on their own: German and the partner countries of German
# towns (France, Poland, Britain/US, Italy, Netherlands, Turkey) and of development partnerships
# (Latin America, Brazil and Lusophone Africa, francophone and anglophone Africa).
FUNCTION_WORD_LANGUAGES = {
    "de": "German", "en": "English", "fr": "French", "es": "Spanish", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "tr": "Turkish",
}
# Scored too, never named: their function words overlap a language above, so that a Catalan,
# Galician, Danish or Luxembourgish text wins for itself and goes to langdetect instead of
# counting for Spanish, Portuguese or German.
NEIGHBOUR_LANGUAGES = {
    "ca": "Catalan", "gl": "Galician", "ast": "Asturian", "oc": "Occitan", "ro": "Romanian",
    "la": "Latin", "da": "Danish", "sv": "Swedish", "nb": "Norwegian_Bokmal", "af": "Afrikaans",
    "fy": "West_Frisian", "lb": "Luxembourgish", "nds": "Low_Saxon", "cs": "Czech", "sk": "Slovak",
    "hr": "Croatian", "sl": "Slovenian", "hu": "Hungarian", "fi": "Finnish", "az": "Azerbaijani",
    "id": "Indonesian",
}
# jusText's lists come from Wikipedia, most frequent first: the head is function words, the tail
# topic words and quoted foreign words ("the" is no. 294 of the German list, "und" no. 2,655 of
# the Polish one).
WORDS_PER_LANGUAGE = 100
# Thresholds on the weighted function-word evidence; on the 351 labelled pages of the shared
# extraction benchmark none of them let a wrong language through (bench/language.py).
MIN_EVIDENCE = 10.0  # weighted hits of a language to name it...
MIN_MARGIN = 2.0  # ...and this many times the runner-up's (whatever was declared)
MIN_EVIDENCE_DECLARED = 5.0  # when none is clear, the declared language wins with this many...
MAX_PRIOR_MARGIN = 1.5  # ...if the best language has at most this many times its evidence
# share of the text's words that must be function words of named languages (about half the text
# in them: in running text of one of them a third to a half of the words are)
MIN_WORD_SHARE = 0.25
# share of the text's characters in scripts the named languages do not write (Cyrillic, Greek,
# Arabic, CJK...), whose words the lists cannot see, above which langdetect decides
MAX_OTHER_SCRIPT_SHARE = 0.3

# langdetect, when function words are unclear: 600 characters and 3 random trials (it averages 7)
# name the same languages as 1,000 and 7 on the benchmark at half the cost; the characters come
# from the start, middle and end of the text, so that an intro in another language cannot decide.
SAMPLE_CHARS = 600
SAMPLE_PARTS = 3
TRIALS = 3
MIN_PROBABILITY = 0.8
MIN_DECLARED_PROBABILITY = 0.2  # a declared language langdetect ranks at least this high wins

_WORD = re.compile(r"[^\W\d_]+")
# anything but ASCII, Latin-1, the Latin extensions, general punctuation and currency signs
_OTHER_SCRIPT = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u20cf]")


def detect_language(text: str, declared: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and a confidence in (0, 1], or ("unknown", 0.0); never raises."""
    return guess_from_function_words(text, declared) or guess_with_langdetect(text, declared)


def guess_from_function_words(text: str, declared: str | None) -> tuple[str, float] | None:
    """The language the text's function words clearly name, else the declared one if they back it.

    None when they say too little (langdetect decides). The confidence is the language's evidence
    over its own plus the strongest other language's.
    """
    if len(_OTHER_SCRIPT.findall(text)) > MAX_OTHER_SCRIPT_SHARE * len(text):
        return None
    evidence: Counter[str] = Counter()  # named languages only
    hits: Counter[str] = Counter()
    seen = 0  # words that are function words of some named language
    index = _function_word_index()
    # split, not a word pattern, at a third of the cost: a function word with punctuation attached
    # is not counted, there are enough others
    tokens = text.split()
    words = sum(map(str.isalpha, tokens))  # all words
    # the function words only are counted, in C, in the text's order (the float sums keep theirs)
    for word, count in Counter(filter(index.__contains__, tokens)).items():
        named, neighbours = index[word]
        seen += count if named else 0
        for language, weight in named:
            evidence[language] += count * weight  # type: ignore[assignment]  # typeshed's Counter holds ints only
            hits[language] += count
        for language in neighbours:
            hits[language] += count
    # a German intro must not name an article in a language the lists do not see (Swahili,
    # Lithuanian): the named languages' function words must be a share of all words
    if seen < MIN_WORD_SHARE * words:
        return None
    ranked = evidence.most_common(2)
    if not ranked:
        return None
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    # more of its words than any neighbour's: Catalan is not Spanish
    min_hits = max(hits[neighbour] for neighbour in NEIGHBOUR_LANGUAGES) + 1
    if score >= MIN_EVIDENCE and score >= MIN_MARGIN * runner_up and hits[best] >= min_hits:
        return best, round(score / (score + runner_up), 4)
    if declared in FUNCTION_WORD_LANGUAGES and evidence[declared] >= MIN_EVIDENCE_DECLARED \
            and hits[declared] >= min_hits and score <= MAX_PRIOR_MARGIN * evidence[declared]:
        rival = runner_up if best == declared else score
        return declared, round(evidence[declared] / (evidence[declared] + rival), 4)
    return None


def guess_with_langdetect(text: str, declared: str | None) -> tuple[str, float]:
    """langdetect's best language if it is sure, else the declared one if it is plausible."""
    sample = spread_sample(text)
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNKNOWN
    try:
        ranked = rank_languages(sample, TRIALS)
    except LangDetectException:
        return UNKNOWN
    scores = {primary_subtag(item.lang): item.prob for item in ranked}
    best = max(scores, key=scores.__getitem__, default=None)
    if best is not None and scores[best] >= MIN_PROBABILITY:
        return best, round(scores[best], 4)
    if declared and scores.get(declared, 0.0) >= MIN_DECLARED_PROBABILITY:
        return declared, round(scores[declared], 4)
    return UNKNOWN


def spread_sample(text: str, chars: int = SAMPLE_CHARS, parts: int = SAMPLE_PARTS) -> str:
    """`chars` characters of the text taken in `parts` pieces spread from its start to its end."""
    if len(text) <= chars:
        return text
    size = chars // parts
    step = (len(text) - size) / (parts - 1) if parts > 1 else 0
    return "\n".join(text[round(i * step):round(i * step) + size] for i in range(parts))


def primary_subtag(code: str | None) -> str | None:
    """Primary subtag of a language code ("de-DE" gives "de"), None if there is none."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def rank_languages(text: str, trials: int) -> list:
    """langdetect's detect_langs with `trials` instead of its 7 (it has no parameter for it)."""
    _function_word_index()  # langdetect's profiles load with the lists (see there)
    detector = sparse_factory().create()
    detector.n_trial = trials
    detector.append(text)
    return detector.get_probabilities()


@cache
def _function_word_index() -> dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]]:
    """Each function word's named languages, each weighing 1 / their number, and neighbours.

    Loads langdetect's profiles (21 MB, crawler.language_profiles) too, so that a process that
    detects one language before it forks its extraction workers (pipelines._warm_up) shares both
    with them.
    """
    sparse_factory()
    owners: dict[str, list[str]] = {}
    for code, name in (FUNCTION_WORD_LANGUAGES | NEIGHBOUR_LANGUAGES).items():
        # read in file order: justext.get_stoplist returns a set, which loses the frequency rank
        try:
            data = pkgutil.get_data("justext", f"stoplists/{name}.txt") or b""
        except OSError:  # a jusText release without this list: the language is not scored
            continue
        words: dict[str, None] = {}
        for line in data.splitlines():  # most of a list is never read: decode line by line
            word = line.decode("utf-8", "replace").strip().lower()
            if _WORD.fullmatch(word):
                words[word] = None
                if len(words) == WORDS_PER_LANGUAGE:
                    break
        for word in words:
            owners.setdefault(word, []).append(code)
    # a neighbour's words weigh nothing: they count only to tell its texts from a named language's
    index = {}
    for word, codes in owners.items():
        named = [code for code in codes if code in FUNCTION_WORD_LANGUAGES]
        neighbours = tuple(code for code in codes if code not in FUNCTION_WORD_LANGUAGES)
        index[word] = (tuple((code, 1 / len(named)) for code in named), neighbours)
    return index
