"""Texts for the duplicate tests: one press release, its copies and rewrites, and other stories."""

from __future__ import annotations

INVITATION = [
    "Bonn, 20. Februar 2019. Die Servicestelle Kommunen in der Einen Welt lädt alle beteiligten "
    "Kommunen am 27. und 28. März 2019 nach Siegburg ein. Das Netzwerktreffen richtet sich an "
    "Verwaltungsmitarbeitende, Ratsmitglieder und engagierte Bürgerinnen und Bürger.",
    "Im Mittelpunkt der zwei Tage stehen die gemeinsamen Handlungsprogramme, die deutsche Kommunen "
    "mit ihren Partnern in Afrika und Lateinamerika ausgearbeitet haben. Fachleute aus Energieversorgung, "
    "Abfallwirtschaft und Wasserbewirtschaftung schildern, welche Maßnahmen sich bewährt haben.",
    "Erstmals nehmen auch Delegationen aus den Partnerkommunen persönlich teil, darunter Gäste aus Ntoro "
    "in Ghana und aus Santa Lucerna in Mexiko. Für Reisekosten und Visaangelegenheiten stehen "
    "Ansprechpersonen der Servicestelle zur Verfügung.",
    "Anmeldungen nimmt die Servicestelle bis zum 8. März 2019 entgegen. Die Zahl der Plätze ist begrenzt, "
    "deshalb werden pro Partnerschaft höchstens vier Teilnehmende berücksichtigt.",
]

# The same release on a town's site: its own intro and date line, the last paragraph cut.
REPUBLISHED = [
    "Musterstadt, 22. Februar 2019. Auch die Stadt Musterstadt ist mit ihrer Partnerschaft dabei, "
    "wenn sich die Kommunalen Klimapartnerschaften im März in Siegburg treffen.",
    *INVITATION[1:3],
    "Die Veranstaltung findet vom 27. bis 28. März 2019 in Siegburg statt.",
]

# A report of the same event: new text throughout, quoting one paragraph of the invitation verbatim.
REPORT = [
    "Dortmund, 3. April 2019. Rund hundertzwanzig Teilnehmende aus vierzig Partnerschaften kamen Ende "
    "März zum Netzwerktreffen nach Siegburg, unter ihnen erstmals Delegationen aus Ghana und Mexiko.",
    INVITATION[1],
    "Die Landesarbeitsgemeinschaft Agenda 21 war mit einem eigenen Stand vertreten und stellte die "
    "Förderangebote des Landes für kommunale Partnerschaften vor. Viele Gespräche drehten sich um "
    "die Finanzierung kleiner Pilotprojekte vor Ort.",
    "Die Ergebnisse der Arbeitsgruppen veröffentlicht die Servicestelle in den kommenden Wochen "
    "in einer Dokumentation, die allen Kommunen kostenlos zur Verfügung steht.",
]

# The same topic (climate partnerships, a network meeting), but another story: no shared sentence.
SAME_TOPIC = [
    "Bonn, 14. Oktober 2021. Die Servicestelle Kommunen in der Einen Welt lädt die Kommunen der neuen "
    "Runde zu einem digitalen Netzwerktreffen der Klimapartnerschaften ein. Es richtet sich an "
    "Verwaltungsmitarbeitende und Ratsmitglieder aus allen beteiligten Partnerschaften.",
    "Auf dem Programm stehen Berichte aus den Tandems, die ihre Handlungsprogramme bereits umsetzen, "
    "sowie ein Austausch über Hitzeschutz, Trinkwasser und die Beteiligung der Zivilgesellschaft.",
    "Anmeldungen nimmt die Servicestelle bis zum 1. November 2021 entgegen. Die Teilnahme ist kostenfrei, "
    "ein Zugangslink wird nach der Anmeldung verschickt.",
]

UKRAINE = [
    "Leipzig, 9. November 2023. Mehr als dreihundert Gäste aus deutschen und ukrainischen Kommunen haben "
    "zwei Tage lang über Wiederaufbau, Trinkwasserversorgung und Schulbau beraten.",
    "Solidaritätspartnerschaften verbinden deutsche Kommunen mit Städten und Gemeinden in der Ukraine, "
    "die durch den Krieg besonders belastet sind. Im Vordergrund stehen praktische Hilfe und ein "
    "dauerhafter fachlicher Austausch zwischen den Verwaltungen.",
    "Die nächste Konferenz ist für das Frühjahr geplant; bis dahin vermittelt die Servicestelle "
    "weitere Partnerschaften an interessierte Städte und Landkreise.",
]


def text(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)
