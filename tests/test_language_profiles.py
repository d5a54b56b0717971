"""crawler.language_profiles: langdetect's profiles held sparsely give langdetect's own answers,
to the bit, in far less memory."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

from crawler.language_profiles import SparseDetectorFactory, sparse_factory

PAGES = Path(__file__).parent / "pages"

WRITTEN = [
    "Der Gemeinderat hat am Dienstag den Haushalt für das kommende Jahr beschlossen.",
    "The council approved next year's budget on Tuesday after a long debate.",
    "Le conseil municipal a adopté mardi le budget de l'année prochaine.",
    "Rada miasta przyjęła we wtorek budżet na przyszły rok po długiej debacie.",
    "A câmara aprovou na terça-feira o orçamento do próximo ano.",
    "Belediye meclisi salı günü gelecek yılın bütçesini kabul etti.",
    "Городской совет во вторник утвердил бюджет на следующий год.",
    "市议会周二批准了明年的预算。",
    "وافق المجلس البلدي يوم الثلاثاء على ميزانية العام المقبل",
    "Baraza la mji liliidhinisha bajeti ya mwaka ujao siku ya Jumanne.",
    "Das Projekt in Maputo wird fortgesetzt. O projeto em Maputo continua no próximo ano.",
]


def page_texts() -> list[str]:
    """Visible text of the saved test pages, a few hundred characters each."""
    texts = []
    for page in sorted(PAGES.glob("*.html")):
        html = page.read_text(errors="replace")
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style).*?</\1>", " ", html)))
        if len(text.strip()) > 40:
            texts.append(text.strip()[:600])
    return texts


def ranked(factory: DetectorFactory, text: str, trials: int) -> list[tuple[str, float]] | str:
    detector = factory.create()
    detector.n_trial = trials
    detector.append(text)
    try:
        return [(language.lang, language.prob) for language in detector.get_probabilities()]
    except LangDetectException as error:
        return str(error)


@pytest.mark.parametrize("trials", [3, 7])
def test_sparse_profiles_rank_languages_exactly_as_langdetect(trials: int) -> None:
    DetectorFactory.seed = 0
    detector_factory.init_factory()
    dense = detector_factory._factory  # noqa: SLF001 (langdetect's own loaded factory)
    texts = WRITTEN + page_texts()
    assert len(texts) > 30
    for text in texts:
        assert ranked(sparse_factory(), text, trials) == ranked(dense, text, trials), text[:80]


def test_sparse_profiles_take_under_half_of_langdetects_memory() -> None:
    def loaded_bytes(factory: DetectorFactory) -> int:
        tracemalloc.start()
        try:
            factory.load_profile(detector_factory.PROFILES_DIRECTORY)
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    sparse, dense = SparseDetectorFactory(), DetectorFactory()
    assert loaded_bytes(sparse) < 0.5 * loaded_bytes(dense)
    assert sparse.langlist == dense.langlist
    assert sparse.word_lang_prob_map.keys() == dense.word_lang_prob_map.keys()
