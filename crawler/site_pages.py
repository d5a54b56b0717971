"""Site-level pages: what a site answers instead of an article. Pure: title and text in, a verdict out.

A 200 is not always the article. Sites answer a missing page with a friendly "Seite nicht
gefunden" (a soft 404), a night of maintenance with a "Wartungsarbeiten" page on every URL,
and a members' area with a login or consent wall. Stored, such a page is a false change of
every article it stands in for, and the next night's real text a second one (issue 11 item 4).

Two signals, both used by the archive (crawler.site_page_watch):

* `site_page_kind`: the page *says* what it is. Its title or the start of its text carries a
  message about the page or the site itself (not found, maintenance, login required), and it
  is short. The phrases name the page or site as their subject ("Diese Seite ist vorübergehend
  nicht erreichbar", "Page not found"), so an article about maintenance on a tram line or a
  bridge "nicht erreichbar" is no match, and shortness keeps a real article about a 404 error.
* `site_key`: a hash of the text with what a site page echoes of the request taken out (URLs,
  paths, the page's own slug, request ids, times of day, long numbers). Short numbers stay:
  generated or serial articles often differ only in one ("Amtsblatt Nr. 12", "Nr. 13"). The
  same key on several article URLs of one source in one run is the site talking, not its articles.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

# a text longer than this is an article, whatever phrase it contains
MAX_SITE_PAGE_CHARS = 700
# the message of a site page is its title or its first lines, not a quote deep in an article
MESSAGE_CHARS = 300

_PAGE = (r"(?:seite|webseite|website|internetseite|homepage|unterseite|datei|dokument|inhalt|url|adresse"
         r"|page|file|document|resource|ressource)")
_SITE = (r"(?:seite|webseite|website|internetseite|homepage|internetauftritt|internetangebot|onlineangebot"
         r"|online-angebot|portal|plattform|site|page)")
_NOT_FOUND = re.compile(
    rf"\b{_PAGE}\b[^.!?\n]{{0,80}}?(?:nicht (?:gefunden|mehr (?:verfügbar|vorhanden|online|abrufbar)|vorhanden"
    r"|abrufbar)|existiert (?:leider )?nicht|gibt es (?:leider )?nicht|wurde (?:leider )?(?:nicht gefunden|entfernt"
    r"|gelöscht)|konnte (?:leider )?nicht gefunden werden|not (?:be )?found|could not be found"
    r"|cannot be found|can[’']t be found|does ?n[o’']t exist|no longer (?:exists|available)"
    r"|has been (?:removed|deleted))"
    r"|\b(?:fehler|error|http|status|code)[\s:-]*404\b"
    r"|\b404\b[\s:–-]*(?:fehler|error|not found|nicht gefunden|seite|page)"
    r"|^\s*(?:fehler |error )?404\s*$|\bnot found\s*$|^\s*nicht gefunden\b",
    re.IGNORECASE | re.MULTILINE,
)
_MAINTENANCE = re.compile(
    r"wartungsmodus|maintenance mode|(?:under|down for|scheduled|undergoing) maintenance"
    rf"|wartungsarbeiten (?:an|auf|in) (?:unserer|unserem|der|dieser|diesem|dem) {_SITE}"
    rf"|\b{_SITE}\b[^.!?\n]{{0,60}}?\b(?:vorübergehend|derzeit|zurzeit|momentan|aktuell|gerade|kurzzeitig"
    r"|(?:wegen|aufgrund(?: von)?) wartung\w*|temporarily|currently)\b[^.!?\n]{0,40}?(?:nicht (?:erreichbar"
    r"|verfügbar|zugänglich|online)|offline|unavailable|not available|down)"
    # "we'll be back" is what a maintenance page says; "wir sind bald wieder für Sie da" a library's notice too
    r"|(?:wir sind|sind wir) gleich (?:wieder )?(?:zurück|da)\b|(?:in kürze|gleich|bald) wieder online\b"
    r"|we(?:[’']ll| will) be (?:right )?back\b|be right back\b|back online soon\b"
    r"|\bservice (?:temporarily )?unavailable\b|temporarily unable to service|maintenance downtime",
    re.IGNORECASE,
)
_LOGIN = re.compile(
    r"bitte (?:melden sie sich|loggen sie sich|melde dich|logge dich)(?: zuerst| erst| hier| jetzt)? (?:an|ein)\b"
    r"|(?:anmeldung|login|registrierung|log-?in|sign-?in) (?:ist )?(?:erforderlich|notwendig|required|needed)"
    r"|(?:sie müssen|du musst) (?:sich |dich )?(?:zuerst |erst )?(?:anmelden|einloggen|angemeldet sein"
    r"|eingeloggt sein)\b|keine (?:berechtigung|zugriffsrechte)\b[^.!?\n]{0,40}(?:seite|inhalt|bereich)"
    r"|(?:do not|don[’']t) have permission to (?:access|view)|\b(?:fehler|error) 403\b|\b403 forbidden\b"
    r"|nur für (?:angemeldete|registrierte|eingeloggte) (?:nutzer|benutzer|mitglieder|leser)"
    r"|please (?:log|sign) ?in\b|(?:you must|you need to|you have to) (?:be )?(?:log|sign)(?:ged)? ?in\b"
    r"|sign in to (?:continue|read|view)|access denied|zugriff verweigert|zugang verweigert",
    re.IGNORECASE,
)
_KINDS = (("soft_404", _NOT_FOUND), ("maintenance", _MAINTENANCE), ("login", _LOGIN))
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_HEAD_BYTES = 200_000  # a title or heading lies this early in any page

# echoed links: a token starting with "/" or "www.", holding "://", or a host followed by a path
_DOMAIN_PATH = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/")
_OPENING = "(\"'«»„“”[<"
_PUNCTUATION = ".,;:!?()[]\"'«»„“”<>"
_DIGIT = re.compile(r"\d")
# what changes per request: ids (a hex run of 8+ with a letter; the token has a digit), times of
# day, long numbers. Short numbers and dates stay: texts differing only in "Nummer 2" and
# "Nummer 12", or in "2026-01-15" and "2026-02-12", are different articles.
_ID = re.compile(r"(?=[0-9-]*[a-f])[0-9a-f-]{8,}")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:h|uhr)?")
_LONG_NUMBER = re.compile(r"\d{6,}")


def site_page_kind(title: str | None, text: str) -> str | None:
    """`soft_404`, `maintenance` or `login` when a short page says it is one; None for an article."""
    if len(text) > MAX_SITE_PAGE_CHARS:
        return None
    message = f"{title or ''}\n{text[:MESSAGE_CHARS]}"
    for kind, pattern in _KINDS:
        if pattern.search(message):
            return kind
    return None


def site_page_kind_of_html(body: bytes) -> str | None:
    """site_page_kind of a page without an article, from its <title> and first <h1>."""
    head = body[:_HEAD_BYTES]
    found = [_inner_text(match.group(1)) for match in (_TITLE.search(head), _H1.search(head)) if match]
    return site_page_kind(found[0], "\n".join(found[1:])) if found else None


def site_key(text: str, url: str) -> str:
    """Hash of `text` without what a site page echoes of the request: URLs, paths, its slug, ids and times.

    Token by token (a fifth of the time of regular expressions over the whole text: it runs for
    every extracted page, in the extraction worker).
    """
    folded = text.casefold()
    for echo in _echoes(url):
        folded = folded.replace(echo, " ")
    kept = []
    for token in folded.split():
        if token.isalpha():  # a plain word (most tokens): no link, no digit
            kept.append(token)
            continue
        if ("/" in token or "www." in token) and _is_link(token.lstrip(_OPENING)):
            continue
        if _DIGIT.search(token):
            core = token.strip(_PUNCTUATION)
            if _TIME.fullmatch(core) or _LONG_NUMBER.search(core) or _ID.fullmatch(core):
                token = "0"  # noqa: S105 (a masked number, not a password)
        kept.append(token)
    return hashlib.sha256(" ".join(kept).encode("utf-8")).hexdigest()


def _is_link(token: str) -> bool:
    return token.startswith(("/", "www.")) or "://" in token or _DOMAIN_PATH.match(token) is not None


def _echoes(url: str) -> list[str]:
    """The request's own path and last segment (with and without extension), longest first.

    A bare number is no echo: "12" of /news/12.html is also the article's own "Nummer 12".
    """
    path = unquote(urlsplit(url).path).casefold()
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    found = {path, slug, slug.rsplit(".", 1)[0]} - {"", "/"}
    return sorted((echo for echo in found if len(echo) >= 3 and not echo.isdigit()), key=len, reverse=True)


def _inner_text(markup: bytes) -> str:
    return " ".join(_TAG.sub(" ", markup.decode("utf-8", "replace")).split())
