"""Hard cases for bench/duplicates.py: different stories sharing text, and one site's stock paragraph.

Written for the bench, in German and English, at the lengths such news items have (130-260 words):
- stories quoting the same press statement (2-3 sentences, 31-44 words), one statement quoted by
  three stories (the false cluster of issue 11 grew to three);
- stories sharing a credits or funding line, or a long list (partner towns, programme names);
- other stories on the same partnerships quoting the same statement (their other words overlap);
- true same-story pairs among them: cross-posts with a changed intro;
- one town's releases that all end with the same stock closing paragraph, two of them real
  stories with a copy elsewhere.
Each entry is (story label, source, paragraphs); texts with one label are one story.
"""

from __future__ import annotations

STATEMENT_DE = (
    "„Kommunale Partnerschaften leben vom persönlichen Austausch zwischen Verwaltungen, Schulen und Vereinen. "
    "Wer einmal erlebt hat, wie eine Kläranlage gemeinsam geplant wird, versteht den Wert dieser Arbeit. "
    "Deshalb werden wir die Förderung im kommenden Haushaltsjahr nicht kürzen, sondern verlässlich fortführen“, "
    "erklärte die Ministerin."
)
STATEMENT_EN = (
    "\"Municipal partnerships turn solidarity into everyday practice between city halls. We will keep funding "
    "them because they deliver results that people on both sides can see and touch,\" the minister said."
)
CREDITS_DE = (
    "Diese Veröffentlichung wurde mit finanzieller Unterstützung von Engagement Global im Auftrag des "
    "Bundesministeriums für wirtschaftliche Zusammenarbeit und Entwicklung erstellt. Für den Inhalt ist allein "
    "die herausgebende Stelle verantwortlich; die dargestellten Positionen geben nicht den Standpunkt des "
    "Ministeriums wieder."
)
CREDITS_EN = (
    "This article was produced with the financial support of the European Union. Its contents are the sole "
    "responsibility of the authors and do not necessarily reflect the views of the European Union."
)
TOWNS_DE = (
    "Zum Netzwerk gehören inzwischen Bonn und Cape Coast, Herzogenrath und Kumasi, Jena und San Marcos, "
    "Ludwigsburg und Kongoussi, Magdeburg und Nablus, Neuss und Rybnik, Schwäbisch Gmünd und Bethlehem, "
    "Viernheim und Silly, Würzburg und Mwanza sowie Ziegenhain und Tabora."
)
PROGRAMMES_EN = (
    "The network brings together the programmes Municipal Climate Partnerships, Connective Cities, "
    "Fairtrade Towns, Municipal Know-how for Host Communities, Solidarity Partnerships with Ukraine, "
    "the Small Grants Fund for Local Initiatives and the Global Sustainable Municipality programme."
)
STOCK_CLOSING = (
    "Weitere Informationen erhalten Sie bei der Pressestelle der Stadt Wiesental, Rathausplatz 1, telefonisch "
    "unter 07621 4150 oder per E-Mail an presse@wiesental.example. Die Stadt veröffentlicht alle "
    "Pressemitteilungen auch im Amtsblatt und in ihrem Newsletter, den Sie auf der Internetseite der Stadt "
    "kostenlos abonnieren können."
)

_MWANZA = [
    "Würzburg, 12. Mai 2024. Der Stadtrat hat am Donnerstag einstimmig beschlossen, die Partnerschaft mit der "
    "tansanischen Stadt Mwanza um ein Projekt zur Abfallwirtschaft zu erweitern. Geplant ist eine Sammelstelle "
    "für Wertstoffe am Fischmarkt, die von einer Kooperative junger Frauen betrieben werden soll.",
    "Die Verwaltung rechnet mit Kosten von rund 180.000 Euro über drei Jahre, von denen der größte Teil aus "
    "Fördermitteln des Bundes stammen soll. Zwei Mitarbeitende des Würzburger Entsorgungsbetriebs werden im "
    "Herbst für vier Wochen nach Mwanza reisen, um die Planung vor Ort abzustimmen.",
    "Bei einem Besuch in der vergangenen Woche hatte die Landesentwicklungsministerin das Vorhaben ausdrücklich "
    "gelobt. " + STATEMENT_DE,
    "Oberbürgermeister Schuchardt dankte den Ehrenamtlichen des Partnerschaftsvereins, die seit fast zwanzig "
    "Jahren Kontakte zwischen Schulen und Kirchengemeinden beider Städte pflegen.",
]
_SCHOOL = [
    "Jena, 3. Juni 2024. Zwölf Schülerinnen und Schüler aus San Marcos in Nicaragua haben zwei Wochen lang das "
    "Angergymnasium besucht. Sie wohnten in Gastfamilien, nahmen am Unterricht teil und stellten im Physikkurs "
    "ein Solarprojekt ihrer Schule vor.",
    "Höhepunkt des Besuchs war ein Empfang im Rathaus, bei dem die Jugendlichen mit Vertreterinnen des "
    "Landtags über Klimafolgen in Mittelamerika diskutierten. " + STATEMENT_DE,
    "Im kommenden Frühjahr reist eine Gruppe aus Jena nach San Marcos. Der Förderverein sucht dafür noch "
    "Spenden für Flugkosten und Unterrichtsmaterial und lädt am 21. Juni zu einem Solidaritätskonzert in die "
    "Aula ein, bei dem die Schulband und ein Chor aus Nicaragua auftreten.",
]
_BUDGET = [
    "Magdeburg, 18. September 2024. Im Landtag ist am Mittwoch über den Entwurf des Doppelhaushalts gestritten "
    "worden. Die Opposition warf der Regierung vor, bei der Entwicklungszusammenarbeit der Kommunen zu sparen, "
    "während zugleich neue Aufgaben auf die Städte zukämen.",
    "Die Ministerin wies den Vorwurf zurück und verwies auf die gestiegene Zahl kommunaler Projekte. "
    + STATEMENT_DE,
    "Nach Angaben des Finanzministeriums stehen für Partnerschaftsprojekte im kommenden Jahr 2,4 Millionen Euro "
    "bereit, etwa so viel wie im laufenden Jahr. Die Fraktion der Grünen kündigte an, in den "
    "Haushaltsberatungen eine Aufstockung um eine halbe Million Euro zu beantragen, und verwies auf die "
    "wachsende Zahl von Anträgen aus kleineren Gemeinden, die bisher leer ausgingen.",
]
_GHANA = [
    "Cape Coast, 14 March 2024. A new pumping station built jointly by the water utilities of Bonn and Cape "
    "Coast has started supplying three districts of the Ghanaian city with clean drinking water. Around "
    "forty thousand residents no longer depend on water tankers during the dry season.",
    "Engineers from both cities spent two years planning the station, and local technicians were trained to "
    "run and repair it themselves. Spare parts are sourced in Accra wherever possible.",
    "At the opening ceremony, the German development minister praised the project. " + STATEMENT_EN,
    "The partners now plan a second phase that will connect two schools and a health centre to the network.",
]
_GHANA_CROSSPOST = [
    "Our partner city Cape Coast celebrated a milestone this week: the pumping station we have supported "
    "since 2022 is finally running, and the mayor thanked Bonn's volunteers in a video message.",
    *_GHANA[1:],
]
_CLIMATE = [
    "Berlin, 20 November 2024. More than two hundred mayors and council members from Germany, Latin America "
    "and Africa met in Berlin for the annual conference of the climate partnership network. Workshops "
    "covered heat action plans, flood protection and the financing of solar mini-grids.",
    "Several delegations reported that national funding rules make it hard for small towns to apply. "
    "The conference adopted a declaration asking for simpler procedures and multi-year budgets.",
    "In her keynote the minister addressed the concerns directly. " + STATEMENT_EN,
    "Participants also visited a district heating plant in Adlershof and a community garden run by refugees. "
    "The next conference will take place in Dakar, hosted by the city's environment department.",
]
_FAIRTRADE = [
    "Herzogenrath, 2. April 2024. Die Stadt Herzogenrath ist zum dritten Mal als Fairtrade-Stadt "
    "ausgezeichnet worden. Die Steuerungsgruppe aus Verwaltung, Einzelhandel und Kirchengemeinden hatte "
    "nachgewiesen, dass in Geschäften, Cafés und Kantinen fair gehandelte Produkte angeboten werden.",
    "Neu ist in diesem Jahr ein fairer Stadtrundgang, bei dem Schulklassen erfahren, woher Kaffee, Kakao und "
    "Baumwolle kommen und unter welchen Bedingungen sie hergestellt werden. Der Rundgang kann kostenlos "
    "gebucht werden.",
    "Bürgermeister von den Driesch überreichte den Engagierten eine Urkunde und kündigte an, bei künftigen "
    "Ausschreibungen der Stadt stärker auf soziale Kriterien zu achten.",
    CREDITS_DE,
]
_EXHIBITION = [
    "Schwäbisch Gmünd, 9. Oktober 2024. Im Foyer des Rathauses ist bis Ende November die Ausstellung "
    "„Wasser ist Leben“ zu sehen. Fotografinnen aus Bethlehem zeigen, wie Familien in ihrer Stadt mit "
    "knappem Wasser haushalten und welche Rolle Zisternen auf den Dächern spielen.",
    "Die Ausstellung ist Teil eines Projekts der Stadtwerke beider Städte, die gemeinsam Leckagen im Netz "
    "aufspüren. Seit Beginn der Zusammenarbeit ist der Wasserverlust in Bethlehem um ein Fünftel gesunken.",
    "Zur Eröffnung sprachen die Leiterin der Stadtwerke und eine Fotografin, die per Video zugeschaltet war.",
    CREDITS_DE,
]
_TOWNS_A = [
    "Bonn, 5. Februar 2024. Zehn Jahre nach ihrer Gründung hat die Initiative für kommunale "
    "Klimapartnerschaften Bilanz gezogen. Rund sechzig Projekte wurden in dieser Zeit begonnen, von "
    "Solaranlagen auf Krankenhäusern bis zu Baumschulen für die Aufforstung.",
    TOWNS_DE,
    "Die Servicestelle will in diesem Jahr vor allem kleinere Gemeinden gewinnen und bietet dafür eine "
    "Beratung an, die den Aufwand für den Einstieg in eine Partnerschaft deutlich senken soll.",
    "Eine Broschüre mit den Ergebnissen erscheint im Sommer und kann kostenlos bestellt werden.",
]
_TOWNS_B = [
    "Neuss, 11. Juli 2024. Bei einem Sommerfest im Rosengarten haben Partnerschaftsvereine aus ganz "
    "Nordrhein-Westfalen ihre Arbeit vorgestellt. An Ständen gab es Kaffee aus Tansania, Musik aus Ghana und "
    "Informationen über Austauschprogramme für Auszubildende.",
    "Ein Podium beschäftigte sich mit der Frage, wie junge Menschen für die Vereinsarbeit gewonnen werden "
    "können. Mehrere Vereine berichten von sinkenden Mitgliederzahlen und suchen Nachwuchs für den Vorstand. "
    + TOWNS_DE,
    "Die Organisatoren zählten rund zweitausend Besucherinnen und Besucher und wollen das Fest im nächsten "
    "Jahr in Kumasi gleichzeitig mit einer Partnerveranstaltung ausrichten, per Live-Schaltung verbunden.",
]
_CREDITS_EN_A = [
    "Lviv, 8 May 2024. Engineers from Leipzig and Lviv have completed the repair of a school roof that was "
    "damaged during an air raid last winter. Four hundred pupils have returned to their classrooms.",
    "The work was coordinated by the two cities' building departments, which exchanged plans and drone "
    "footage over several months. A German crew installed new insulation and solar panels.",
    "Both mayors said they would continue the cooperation with the renovation of a kindergarten. "
    + PROGRAMMES_EN,
    CREDITS_EN,
]
_CREDITS_EN_B = [
    "Dakar, 30 September 2024. Young entrepreneurs from Dakar and Hamburg spent a week developing business "
    "ideas for recycling plastic waste. The winning team proposed a deposit system for bottles at markets.",
    "The exchange was organised by the chambers of commerce and will be followed by internships in Hamburg "
    "for six of the participants next spring, funded by a foundation.",
    "The organisers hope to repeat the format in other partner cities next year. " + PROGRAMMES_EN,
    CREDITS_EN,
]

# Other stories on the same partnerships, quoting the same statements: their words overlap, so
# only the share of the shorter text keeps them apart.
_MWANZA_VISIT = [
    "Würzburg, 2. Oktober 2024. Eine Delegation aus Mwanza hat eine Woche lang Würzburg besucht. Die Gäste "
    "aus der tansanischen Partnerstadt informierten sich im Klärwerk, bei der Berufsfeuerwehr und in zwei "
    "Grundschulen, die seit Jahren Briefe und Zeichnungen mit Schulen am Viktoriasee austauschen.",
    "Im Mittelpunkt stand jedoch die Partnerschaft der Krankenhäuser: Ärztinnen aus Mwanza hospitierten in der "
    "Universitätsklinik und vereinbarten eine Fortbildung für Hebammen, die im Frühjahr beginnen soll. Die "
    "Kosten übernimmt zum größten Teil eine Würzburger Stiftung.",
    "Beim Abschlussabend im Ratssaal erinnerte der Oberbürgermeister an die Worte der Landesministerin bei "
    "ihrem Besuch im Mai. " + STATEMENT_DE,
    "Die Delegation lud den Stadtrat zu einem Gegenbesuch ein. Dabei sollen auch die Fortschritte beim "
    "Wertstoffhof am Fischmarkt begutachtet werden, den die Kooperative inzwischen selbst betreibt, und "
    "ein gemeinsames Konzept für die Entsorgung von Elektroschrott besprochen werden, das beide "
    "Stadtverwaltungen bis zum Jahresende ausarbeiten wollen.",
]
_GHANA_SCHOOLS = [
    "Bonn, 6 December 2024. Two schools in Cape Coast have been connected to the drinking water network "
    "that the water utilities of Bonn and Cape Coast built together. Pupils no longer carry water from "
    "a well more than a kilometre away, and the school kitchens can cook on site again.",
    "The second phase of the partnership project also includes hand-washing stations and rainwater tanks. "
    "Teachers report that absences during the dry season have fallen noticeably since the autumn.",
    "Bonn's mayor recalled the minister's visit to the pumping station in March. " + STATEMENT_EN,
    "The health centre in the Abura district is due to be connected next year. The utilities are also "
    "training a team of young plumbers from Cape Coast, who will maintain the pipes in the schools and "
    "teach pupils how to report leaks.",
]

NEGATIVES: list[tuple[str, str, list[str]]] = [
    ("mwanza", "wuerzburg", _MWANZA),
    ("school", "jena", _SCHOOL),
    ("budget", "landtag", _BUDGET),
    ("ghana", "bonn", _GHANA),
    ("ghana", "cape-coast-friends", _GHANA_CROSSPOST),  # the same story, cross-posted with a new intro
    ("climate", "conference", _CLIMATE),
    ("fairtrade", "herzogenrath", _FAIRTRADE),
    ("exhibition", "gmuend", _EXHIBITION),
    ("towns-a", "servicestelle", _TOWNS_A),
    ("towns-b", "neuss", _TOWNS_B),
    ("lviv", "leipzig", _CREDITS_EN_A),
    ("dakar", "hamburg", _CREDITS_EN_B),
    ("mwanza-visit", "mainpost", _MWANZA_VISIT),
    ("ghana-schools", "bonn-utilities", _GHANA_SCHOOLS),
]

_WIESENTAL = [
    ("Der Gemeinderat hat den Bau eines Radwegs entlang der Wiese beschlossen. Die Strecke verbindet die "
     "Ortsteile Hausen und Brombach auf einer Länge von 3,2 Kilometern und soll bis zum Sommer 2025 fertig "
     "sein. Das Land übernimmt siebzig Prozent der Kosten, den Rest trägt die Stadt aus Rücklagen."),
    ("Die Stadtbibliothek erweitert ihre Öffnungszeiten. Ab dem 1. März ist sie auch am Samstagvormittag "
     "geöffnet, möglich macht das ein neues Selbstverbuchungssystem. Zudem gibt es künftig eine Sprechstunde "
     "für Seniorinnen und Senioren, die Hilfe beim Ausleihen elektronischer Bücher suchen."),
    ("Vom 14. bis 16. Juni feiert Wiesental die zwanzigjährige Partnerschaft mit der burkinischen Gemeinde "
     "Silly. Eine Delegation aus Silly wird erwartet, auf dem Marktplatz gibt es Musik, Essen und eine "
     "Fotoausstellung über die gemeinsam gebauten Brunnen. Der Erlös des Festes fließt in ein Schulprojekt."),
    ("Wegen Bauarbeiten an der Wasserleitung ist die Hauptstraße zwischen Kirchplatz und Bahnhof ab Montag "
     "für drei Wochen voll gesperrt. Die Buslinie 7 wird über die Schillerstraße umgeleitet, die Haltestelle "
     "Rathaus entfällt in dieser Zeit. Anlieger können ihre Grundstücke über die Mühlgasse erreichen."),
    ("Die Stadt sucht Gastfamilien für acht Jugendliche aus Silly, die im August zwei Wochen in Wiesental "
     "verbringen. Die Jugendlichen absolvieren Praktika in Handwerksbetrieben und besuchen die Berufsschule. "
     "Interessierte Familien werden zu einem Informationsabend am 12. Mai ins Rathaus eingeladen."),
    ("Im Haushalt 2025 plant die Stadt Investitionen von 14 Millionen Euro, davon fast die Hälfte für die "
     "Sanierung der Grundschule am Dinkelberg. Die Gewerbesteuer bleibt unverändert. Kämmerin Brenner warnte "
     "jedoch vor steigenden Personalkosten und mahnte eine Überprüfung aller freiwilligen Leistungen an."),
]

# One town's releases, each closing with the same stock paragraph; releases 3 and 5 are real
# stories with a copy elsewhere (a partner association's cross-post with its own intro).
STOCK_SITE: list[tuple[str, str, list[str]]] = [
    *((f"wiesental-{i}", "wiesental", [f"Wiesental, {i + 2}. April 2024. {body}", STOCK_CLOSING])
      for i, body in enumerate(_WIESENTAL)),
    ("wiesental-2", "silly-verein", ["Der Partnerschaftsverein weist auf das Fest hin, das er mit der Stadt "
                                     "vorbereitet hat, und sucht noch Helferinnen für den Kuchenstand.",
                                     _WIESENTAL[2], STOCK_CLOSING]),
    ("wiesental-4", "silly-verein", ["Auch der Partnerschaftsverein bittet seine Mitglieder, sich als "
                                     "Gastfamilie zu melden.", _WIESENTAL[4]]),
]
