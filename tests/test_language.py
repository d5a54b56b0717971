"""detect_language: function words over the whole text, langdetect when they are unclear, and the
declared <html lang> as a prior that a clear text overrides (issue 12). Texts written for these
tests, none taken from the benchmark the thresholds were checked on."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import extract_article
from crawler.language import (
    SAMPLE_CHARS,
    detect_language,
    guess_from_function_words,
    primary_subtag,
    spread_sample,
)

PAGES = Path(__file__).parent / "pages"

GERMAN_INTRO = (
    "Die Partnerschaft zwischen unserer Stadt und Maputo besteht seit mehr als zwanzig Jahren. "
    "Im folgenden Beitrag berichtet die Koordinatorin vor Ort, was in diesem Jahr erreicht "
    "wurde. Wir veröffentlichen den Text in der Originalsprache. Eine deutsche Zusammenfassung "
    "folgt in der nächsten Ausgabe des Amtsblatts; Fragen zur Partnerschaft beantwortet das Büro "
    "für internationale Beziehungen im Rathaus, das auch Spenden für die Schulprojekte "
    "entgegennimmt."
)
PORTUGUESE_BODY = (
    "Este ano foi muito importante para a nossa cooperação. Com o apoio da cidade alemã, "
    "conseguimos renovar duas escolas primárias no bairro de Chamanculo e instalar painéis "
    "solares no centro de saúde. As obras começaram em março e terminaram antes da época das "
    "chuvas. Os professores receberam formação sobre educação ambiental, e os alunos plantaram "
    "mais de trezentas árvores nos terrenos das escolas. Também organizámos uma visita de uma "
    "delegação do município, que se reuniu com o presidente do conselho municipal e com as "
    "associações de mulheres que gerem as hortas comunitárias. Para o próximo ano, queremos "
    "alargar o projeto a mais três bairros e criar um programa de intercâmbio para jovens "
    "técnicos. Nem tudo correu bem: a entrega dos painéis atrasou quase dois meses por causa da "
    "alfândega, e uma das escolas teve de fechar durante três semanas depois de uma tempestade. "
    "Mesmo assim, a comunidade ajudou a limpar o recinto e as aulas recomeçaram mais cedo do que "
    "esperávamos. Os pais dos alunos formaram uma comissão que se reúne todos os meses com a "
    "direção da escola e com os técnicos do município para decidir onde o dinheiro da parceria "
    "deve ser usado. Esta forma de trabalhar dá mais confiança às famílias e torna os projetos "
    "mais duradouros. Agradecemos a todos os que tornaram este trabalho possível e esperamos "
    "continuar esta parceria por muitos anos."
)
ENGLISH = (
    "Volunteers from the twin town spent two weeks in our district this summer. They helped to "
    "repair the roof of the youth centre, cooked for the street festival and gave a concert in "
    "the old market hall. The mayor thanked them at a reception and said that the friendship "
    "between the two towns had never been as lively as it is now. A return visit is planned for "
    "next spring."
)
FRENCH = (
    "Le conseil municipal a voté jeudi soir un budget de quarante mille euros pour le jumelage "
    "avec la commune allemande. Cette somme servira surtout à financer le voyage des élèves du "
    "collège, qui passeront une semaine chez leurs correspondants au mois de mai. Le maire a "
    "rappelé que les deux villes se connaissent depuis plus de trente ans et qu'il souhaite "
    "ouvrir les échanges aux clubs de sport et aux associations de quartier."
)
SPANISH = (
    "La asociación de vecinos presentó ayer el nuevo proyecto de agua potable que se construirá "
    "con el apoyo de la ciudad hermana en Alemania. Según la coordinadora, las obras empezarán "
    "después de la temporada de lluvias y darán servicio a unas ochocientas familias de la "
    "comunidad. Además, un grupo de técnicos alemanes llegará en octubre para formar a los "
    "jóvenes que se encargarán del mantenimiento de la red."
)
DUTCH = (
    "De gemeenteraad heeft dinsdag besloten om de stedenband met de Duitse partnerstad te "
    "verlengen. Volgend jaar komt er een uitwisseling voor leerlingen van de basisschool, en de "
    "harmonie gaat in het voorjaar op bezoek. Volgens de wethouder is het contact tussen de "
    "verenigingen van beide steden de afgelopen jaren sterk gegroeid en willen veel inwoners er "
    "graag aan meedoen."
)
GERMAN = (
    "Der Gemeinderat hat am Dienstag beschlossen, die Partnerschaft mit der französischen Stadt "
    "zu verlängern. Im nächsten Jahr ist ein Austausch für die Klassen der Grundschule geplant, "
    "und der Musikverein reist im Frühjahr zu einem Konzert. Nach Angaben der Bürgermeisterin "
    "ist der Kontakt zwischen den Vereinen beider Städte in den letzten Jahren stark gewachsen."
)
CATALAN = (
    "L'ajuntament va aprovar dimarts la renovació de l'agermanament amb la ciutat alemanya. "
    "L'any que ve hi haurà un intercanvi per als alumnes de l'escola i la banda de música farà "
    "un concert a la primavera. Segons la regidora, la relació entre les entitats de les dues "
    "ciutats ha crescut molt durant els últims anys i molts veïns hi volen participar."
)
DANISH = (
    "Byrådet besluttede i tirsdags at forlænge venskabsbysamarbejdet med den tyske by. Næste år "
    "bliver der en udveksling for eleverne fra folkeskolen, og byens orkester rejser derned til "
    "foråret. Ifølge borgmesteren er kontakten mellem foreningerne i de to byer vokset meget i "
    "de senere år, og mange borgere vil gerne være med."
)

RUSSIAN = (
    "В этом году наш город получил помощь от немецкого города-партнёра. На эти деньги мы "
    "отремонтировали две школы и детский сад, а также купили новое оборудование для больницы. "
    "Работы начались весной и закончились до начала учебного года. Учителя прошли курсы по "
    "экологическому образованию, а ученики посадили больше трёхсот деревьев во дворах школ. "
    "Летом к нам приезжала делегация из Германии, которая встретилась с мэром и с "
    "представителями общественных организаций. В следующем году мы хотим расширить проект ещё на "
    "три района и создать программу обмена для молодых специалистов."
)
SWAHILI = (
    "Mwaka huu ushirikiano wetu na mji wa Ujerumani umeleta mabadiliko makubwa katika kijiji "
    "chetu. Tumejenga kisima kipya cha maji safi, na sasa wanawake hawalazimiki kutembea umbali "
    "mrefu kila asubuhi. Shule ya msingi imepata madawati mapya na vitabu vya kusoma, na walimu "
    "wawili wamehudhuria mafunzo ya kompyuta. Wakulima wamejifunza njia mpya za kuhifadhi udongo "
    "na kupanda miti kando ya mashamba yao. Mwezi ujao tutawakaribisha wageni kutoka Ujerumani, "
    "na tunatarajia kuwaonyesha kazi yote iliyofanyika kwa msaada wao. Bado kuna changamoto: "
    "barabara ya kwenda mjini huharibika wakati wa mvua, na zahanati haina dawa za kutosha. "
    "Kamati ya kijiji imeandaa mpango wa miaka mitatu, na tutaujadili pamoja na marafiki zetu "
    "wakati wa ziara yao. Vijana wa kikundi cha sanaa wanajiandaa kucheza ngoma za jadi na "
    "kuimba nyimbo walizotunga wenyewe kuhusu maji na mazingira. Watoto wa shule wataandika "
    "barua kwa wenzao wa Ujerumani, na barua hizo zitapelekwa na wageni watakaporudi nyumbani."
)


def test_german_intro_does_not_make_a_portuguese_article_german() -> None:
    text = f"{GERMAN_INTRO}\n{PORTUGUESE_BODY}"
    assert detect_language(text, "de")[0] == "pt"
    assert detect_language(text, None)[0] == "pt"


@pytest.mark.parametrize(("body", "expected"), [(RUSSIAN, "ru"), (SWAHILI, "sw")])
def test_german_intro_does_not_name_an_article_in_a_language_without_function_words(
        body: str, expected: str) -> None:
    # Cyrillic, or Latin letters in a language the nine lists do not cover: langdetect decides
    text = f"{GERMAN_INTRO}\n{body}"
    assert guess_from_function_words(text, "de") is None
    assert detect_language(text, "de")[0] == expected


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [(ENGLISH, "de", "en"), (DUTCH, "de", "nl"), (GERMAN, "en", "de"), (FRENCH, "es", "fr")],
)
def test_clear_text_overrides_a_declared_language_that_disagrees(text: str, declared: str,
                                                                 expected: str) -> None:
    language, confidence = detect_language(text, declared)
    assert language == expected
    assert 0.5 < confidence <= 1.0


CLEAR_TEXTS = [(FRENCH, "fr"), (SPANISH, "es"), (ENGLISH, "en"), (GERMAN, "de"), (DUTCH, "nl"),
               (PORTUGUESE_BODY, "pt")]


@pytest.mark.parametrize(("text", "expected"), CLEAR_TEXTS)
def test_clear_text_is_named_by_its_function_words_without_langdetect(text: str,
                                                                      expected: str) -> None:
    for declared in (None, expected, "it"):
        guess = guess_from_function_words(text, declared)
        assert guess is not None and guess[0] == expected
        assert detect_language(text, declared) == guess


def test_short_unclear_text_falls_back_to_the_declared_language() -> None:
    text = "Hotel Restaurant Museum Park Festival Konzert Programm Information Kontakt Service"
    assert guess_from_function_words(text, "de") is None  # no function words
    assert detect_language(text, "de")[0] == "de"
    assert detect_language(text, "en")[0] == "en"
    assert detect_language(text, None) == ("unknown", 0.0)  # langdetect is not sure of either


def test_text_in_two_languages_in_equal_parts_follows_the_declared_one() -> None:
    english = ("The twin towns agreed on a new exchange of apprentices, and the first group will "
               "travel in May.")
    german = ("Die Partnerstädte haben einen neuen Austausch von Auszubildenden vereinbart, die "
              "erste Gruppe reist im Mai.")
    text = f"{german}\n{english}\n{german}\n{english}"
    assert detect_language(text, "de")[0] == "de"
    assert detect_language(text, "en")[0] == "en"


@pytest.mark.parametrize(("text", "declared", "expected"),
                         [(CATALAN, "es", "ca"), (DANISH, "de", "da"), (CATALAN, None, "ca")])
def test_neighbour_language_is_not_taken_for_the_language_it_resembles(text: str,
                                                                       declared: str | None,
                                                                       expected: str) -> None:
    assert guess_from_function_words(text, declared) is None
    assert detect_language(text, declared)[0] == expected


@pytest.mark.parametrize("text", ["", "   ", "12345 67890", "2026-01-01 | 12:00 | 4,5 %" * 20,
                                  "— · — · —", "Start Aktuelles Cookies", "🙂" * 80])
def test_empty_numeric_or_symbol_text_is_unknown(text: str) -> None:
    assert detect_language(text, "de") == ("unknown", 0.0)
    assert detect_language(text, None) == ("unknown", 0.0)


def test_langdetect_sample_reaches_from_the_start_to_the_end_of_a_long_text() -> None:
    text = "Anfang " + "x" * 5000 + " Mitte " + "y" * 5000 + " Schluss"
    sample = spread_sample(text)
    assert sample.startswith("Anfang") and sample.endswith("Schluss")
    assert len(sample) <= SAMPLE_CHARS + 2  # two line breaks join the three pieces
    assert spread_sample(GERMAN_INTRO) == GERMAN_INTRO


def test_detection_is_repeatable() -> None:
    for text in (GERMAN_INTRO + PORTUGUESE_BODY, "Partnerschaft Klima Energie Schule Austausch"):
        assert detect_language(text, "de") == detect_language(text, "de")


def test_primary_subtag_reads_region_and_underscore_variants() -> None:
    assert primary_subtag("pt-BR") == primary_subtag("pt_br") == "pt"
    assert primary_subtag(" DE ") == "de"
    assert primary_subtag("") is None and primary_subtag("x-klingon") is None


def test_extracted_portuguese_article_behind_a_german_intro_is_portuguese() -> None:
    article = extract_article((PAGES / "lang_german_intro_portuguese.html").read_bytes(),
                              "https://www.stadt.example/partnerschaft/maputo-bericht.html")
    assert article is not None
    assert article.declared_language == "de"
    assert article.language == "pt"
    assert article.text.startswith("Seit 2019") and "Magoanine" in article.text
    assert "Impressum" not in article.text
