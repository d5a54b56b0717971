"""langdetect's language profiles held sparsely: a third of the memory, the same answers.

langdetect keeps, for each of its 87,600 n-grams, a list of one probability per language (55):
58 MB, loaded by the crawl process before it forks its extraction workers and shared by them, the
largest single part of the process tree's memory. 96 % of those probabilities are 0. Here each
n-gram keeps only its non-zero (language index, probability) pairs (about 20 MB in all), and the
detector multiplies by them exactly as langdetect does, so every result is langdetect's to the bit.
"""

from __future__ import annotations

from functools import cache

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.lang_profile import LangProfile

# an n-gram's non-zero probabilities, flat: (language index, probability, language index, ...)
SparseRow = tuple[int | float, ...]


class SparseDetector(Detector):
    """langdetect's Detector over sparse rows."""

    word_lang_prob_map: dict[str, SparseRow]

    def _update_lang_prob(self, prob: list[float], word: str | None, alpha: float) -> bool:
        row = self.word_lang_prob_map.get(word) if word is not None else None
        if row is None:
            return False
        weight = alpha / self.BASE_FREQ
        # langdetect computes prob[i] * (weight + p) for every language; with p == 0 that is
        # prob[i] * weight, so the results are the same floats
        languages, probabilities = row[::2], row[1::2]
        # the even slots hold language indices (ints): SparseRow cannot say which slot is which
        updated = [prob[i] * (weight + p) for i, p in zip(languages, probabilities, strict=True)]  # type: ignore[index]
        prob[:] = [p * weight for p in prob]
        for i, value in zip(languages, updated, strict=True):
            prob[i] = value  # type: ignore[index]
        return True


class SparseDetectorFactory(DetectorFactory):
    """langdetect's DetectorFactory storing each n-gram's non-zero probabilities only."""

    word_lang_prob_map: dict[str, SparseRow]

    def add_profile(self, profile: LangProfile, index: int, langsize: int) -> None:
        if profile.name in self.langlist:
            raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
        self.langlist.append(profile.name)
        rows = self.word_lang_prob_map
        for word, count in profile.freq.items():
            row = rows.get(word, ())
            if 1 <= len(word) <= 3:  # as langdetect: longer n-grams are known, with no probability
                row += (index, 1.0 * count / profile.n_words[len(word) - 1])
            rows[word] = row

    def _create_detector(self) -> SparseDetector:
        if not self.langlist:
            raise LangDetectException(ErrorCode.NeedLoadProfileError, "Need to load profiles.")
        return SparseDetector(self)


@cache
def sparse_factory() -> SparseDetectorFactory:
    """The factory with langdetect's bundled profiles, loaded once per process."""
    factory = SparseDetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory
