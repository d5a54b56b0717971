"""CMS pages with a sidebar: a German contact and office-hours column, the page, its paragraphs."""

from __future__ import annotations


def german_sidebar(hours: str = "Montag bis Donnerstag 8:30 – 12:00 Uhr, Donnerstag auch 14:00 – 17:30 Uhr") -> str:
    """Contact and office hours in a CMS's marginal column, five lines."""
    return ("<div class='marginal'><div class='kontaktbox'><h3>Ihr Kontakt</h3>"
            "<p>Büro für Städtepartnerschaften<br>Rathaus, Zimmer 214 (zweites Obergeschoss)<br>"
            "Marktplatz 1, 12345 Musterstadt</p>"
            "<p>Telefon 01234 567-214, E-Mail partnerschaften@musterstadt.example</p></div>"
            f"<div class='sprechzeiten'><h3>Sprechzeiten</h3><p>{hours}</p></div></div>")


def page(title: str, body: str, box: str, lang: str = "de") -> bytes:
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><a href='/news/'>Aktuelles</a></nav><div id='content'><h1>{title}</h1>{body}</div>"
            f"{box}<footer>Impressum · Datenschutz</footer></body></html>").encode()


def paragraphs(text: str) -> str:
    return "".join(f"<p>{line}</p>" for line in text.splitlines())
