"""Boilerplate lines: generic patterns, and paragraphs a source repeats across its pages."""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterable
from typing import Self

import xxhash

from crawler.page_blocks import PageBlockCounter
from crawler.page_blocks import _pack as pack
from crawler.page_blocks import _unpack as unpack

SHORT_LINE = 250
COOKIE_LINE = 400
_TRAILING = " .:…›»>|→-–"
# whole lines (lower case, list mark and trailing arrows or colons removed) that are widgets
# fmt: off
_STUBS = frozenset({
    "zurück", "zurück zur übersicht", "zurück zur liste", "zurück zu den nachrichten",
    "zur übersicht", "alle meldungen", "alle nachrichten", "weiterlesen", "weiter lesen",
    "mehr lesen", "mehr erfahren", "mehr", "mehr dazu", "mehr informationen", "read more", "more",
    "continue reading", "nach oben", "zum seitenanfang", "seitenanfang", "top", "back to top",
    "hauptnavigation", "navigation", "menü", "menu", "suche", "search", "inhalt", "teilen",
    "share", "diese seite teilen", "seite teilen", "artikel teilen", "beitrag teilen",
    "link kopieren", "link copied", "seite weiterempfehlen", "weiterempfehlen", "empfehlen",
    "drucken", "seite drucken", "diese seite drucken", "druckversion", "e-mail", "mail",
    "facebook", "twitter", "x", "linkedin", "xing", "whatsapp", "instagram", "mastodon",
    "bluesky", "threads", "tweet", "pinterest", "schließen", "close", "newsletter abonnieren",
    "jetzt abonnieren", "abonnieren", "zum newsletter", "vorlesen", "diese seite vorlesen",
    "seite vorlesen", "leichte sprache", "gebärdensprache", "barrierefreiheit", "sitemap",
    "impressum", "datenschutz", "kontakt", "datenschutzerklärung", "cookie-einstellungen",
    "cookie settings",
})
# fmt: on
_FURNITURE = (
    r"^(?:bildvergrößerung|bild vergrößern|vergrößern|großansicht|zoom)\b",
    r"dies ist der alt-text",
    (
        r"^(?:direkt |springe |springen |gehe |skip )?(?:zum|zur|zu den|to)"
        r" (?:haupt)?(?:inhalt|navigation|menü|suche|fußzeile|footer|seitenanfang|content"
        r"|main content|kontakt)(?: springen| wechseln)?$"
    ),
    r"^(?:hauptnavigation|navigation überspringen|skip navigation)\b",
    (
        r"^(?:teilen|share|posten|tweet)(?: auf| on| via| bei| per)? (?:facebook|twitter|x"
        r"|linkedin|xing|whatsapp|e-mail|mastodon|threads|bluesky|pinterest)"
    ),
    (
        r"^(?:stand|letzte änderung|letzte aktualisierung|zuletzt aktualisiert|aktualisiert"
        r"|last updated|updated)(?: am| on)?:?\s*\d{1,2}\.?\s?(?:\d{1,2}\.|[a-zäé]+\.?)"
        r"\s?\d{2,4}[\d:., uhr]*$"
    ),
)
_PATTERNS = re.compile("|".join(_FURNITURE), re.IGNORECASE)
# What a match must contain, in a lower-cased line: of _PATTERNS and _NOTICE away from the line's
# start (their branches without "^" each hold one of these words), of _CREDIT anywhere. A line
# without any is matched at its start only, or not at all: a search costs 10-40 times as much
# (issue 17). Under IGNORECASE "ı" and "İ" (lower-cased "i̇") match "i", "ſ" matches "s".
_UNCASED = ("ı", "\u0307", "ſ")
_PATTERNS_ANYWHERE = ("alt-text", *_UNCASED)
_NOTICE_ANYWHERE = ("kommentar", " sein", "n sie ", "jederzeit", "affiliate", "provisions", "werbelink",
                    "product advertising", *_UNCASED)
_CREDIT_WORDS = ("foto", "bild", "photo", "image", "credit", "copyright", "©", *_UNCASED)
# a caption ends in a credit: "… Foto: Stadt Bonn", "(Bild: privat)", "© SKEW"
_CREDIT = re.compile(
    r"(?:^|[\s(\[|/,;])(?:fotos?|bild(?:er|quelle|nachweis)?|fotonachweis|fotograf(?:ie)?|photo"
    r"(?:graph)?s?|image|credits?|copyright|quelle bild)\s*:\s*[^:]{1,100}[)\]]?$"
    r"|©\s*[^©]{0,100}$",
    re.IGNORECASE,
)
_COOKIE_CONTEXT = re.compile(
    r"verwende|nutze|setze|einsetze|speicher|akzeptier|zustimm|stimme|einverstanden|einstellung"
    r"|datenschutz|we use|uses|accept|consent|settings|privacy|browser",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(
    r"newsletter.{0,80}(?:abonnier|anmeld|bestell|registrier|eintrag|subscribe|sign up)"
    r"|(?:abonnier|anmeld|bestell|registrier|subscribe|sign up).{0,80}newsletter"
    r"|\b(?:unser(?:em|en)?|our) newsletter",
    re.IGNORECASE,
)
# calls to act and notices around an article: comments, consent, affiliate links, ads
_NOTICE = re.compile(
    r"in den kommentaren|kommentare? (?:zu )?(?:schreiben|verfassen|hinterlassen)"
    r"|(?:eingeloggt|angemeldet) sein,? um|^gefällt (?:dir|ihnen|euch) (?:unser|dieser|der|die|das)"
    r"|(?:akzeptieren|bestätigen) sie (?:unsere|die) (?:datenschutz|nutzungsbedingungen|agb)"
    r"|jederzeit widerrufen|affiliate[- ]?links?|provisions-?links?|werbelinks?"
    r"|product advertising api|^(?:anzeige|werbung|advertisement|sponsored)(?:$|\s*[:|–-])"
    r"|^(?:beitragsbild|titelbild|symbolbild|vorschaubild|headerbild)\b",
    re.IGNORECASE,
)
_LIST_MARK = re.compile(r"^[-•·*]\s+")
# "more articles" headings and "Read more: <title>" teasers
_RELATED = re.compile(
    r"^(?:auch interessant|ebenfalls interessant|das (?:könnte|dürfte) (?:dich|sie|euch) (?:auch )?"
    r"interessieren|(?:das )?interessiert (?:dich|sie) (?:vielleicht )?auch|schon gelesen"
    r"|lesen sie auch|lesen sie (?:dazu|mehr)|lies auch|mehr zum thema"
    r"|mehr (?:aus|zu) (?:der|dem|den) (?:rubrik|kategorie)"
    r"|weitere (?:artikel|beiträge|themen|meldungen|nachrichten|news|aktuelle themen|beiträge aus)"
    r"|ähnliche (?:artikel|beiträge|themen)|verwandte (?:artikel|beiträge|themen)|passend zum thema"
    r"|empfohlene (?:artikel|beiträge)|beliebte (?:artikel|beiträge)"
    r"|meist-?(?:gelesen|diskutiert|kommentiert)|top[- ]themen"
    r"|related(?: articles| posts| stories| content| coverage| reading)?|read more|read next"
    r"|read also|see also|you (?:may|might) also like|more from|more stories"
    r"|recommended(?: for you)?|most popular|most read|popular posts|recent posts"
    r"|contenido relacionado|noticias relacionadas|más sobre|lee también|te puede interesar"
    r"|lire aussi|à lire aussi|sur le même sujet|leggi anche|czytaj także|zobacz też"
    r"|przeczytaj też)\b",
    re.IGNORECASE,
)
RELATED_HEADING = 80
RELATED_INLINE = 200


def is_boilerplate_line(line: str) -> bool:
    """A short line that is page furniture: caption credit, share widget, skip link, notice."""
    if len(line) > COOKIE_LINE:
        return False
    lower = line.lower()  # casefold() would turn ß into ss
    if ("cookie" in lower and _COOKIE_CONTEXT.search(lower)) or _search(_NOTICE, lower, _NOTICE_ANYWHERE):
        return True
    if len(line) > SHORT_LINE:
        return False
    bare = _LIST_MARK.sub("", lower).strip(_TRAILING)
    return (
        bare in _STUBS
        or _search(_PATTERNS, bare, _PATTERNS_ANYWHERE)
        or ((":" in line or "©" in line) and _holds_any(lower, _CREDIT_WORDS) and _CREDIT.search(line) is not None)
        or ("newsletter" in lower and _NEWSLETTER.search(lower) is not None)
    )


def _search(pattern: re.Pattern[str], lower: str, anywhere: tuple[str, ...]) -> bool:
    """pattern.search(lower) is not None, given what its unanchored branches hold (`anywhere`)."""
    if pattern.match(lower):
        return True
    return _holds_any(lower, anywhere) and pattern.search(lower) is not None


def _holds_any(text: str, parts: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, parts))


def cut_related(lines: list[str]) -> list[str]:
    """Drop "Lesen Sie auch: …" teasers, and "Weitere Artikel" headings with their teaser titles."""
    kept: list[str] = []
    in_block = False
    for line in lines:
        bare = _LIST_MARK.sub("", line)
        match = _RELATED.match(bare) if len(bare) <= RELATED_INLINE else None
        if match:
            # a heading starts a block of teaser titles; "Read more: <title>" is one teaser
            rest = bare[match.end() :].strip()
            in_block = len(bare) <= RELATED_HEADING and (rest == ":" or not rest.startswith(":"))
        elif not (in_block and len(bare) <= RELATED_INLINE and not bare.endswith((".", "!", ":"))):
            in_block = False
            kept.append(line)
    return kept


class TemplateLearner:
    """Learn the paragraphs one source repeats on many of its pages (its site template).

    Most paragraphs are an article's own and are seen on one page only: those are counted by a
    64-bit hash of their text (`seen_once`), a tenth of the memory of the text and a set; a
    paragraph enters `seen_on`, text and page keys, when a second page shows it.
    """

    def __init__(self, min_pages_per_paragraph: int = 5, min_pages: int = 10,
                 max_paragraph_chars: int = 600, max_entries: int = 100_000) -> None:  # fmt: skip
        self.min_pages_per_paragraph = min_pages_per_paragraph
        self.min_pages = min_pages
        self.max_paragraph_chars = max_paragraph_chars
        self.max_entries = max_entries
        self.pages: set[str] = set()
        # paragraph -> keys of the pages it was seen on (two or more), capped at the threshold
        self.seen_on: dict[str, set[str]] = {}
        # paragraph_hash(paragraph) -> key of the one page it was seen on
        self.seen_once: dict[int, str] = {}
        # the same for the text blocks of the pages' DOM, extracted or not (crawler.page_blocks)
        self.page_blocks = PageBlockCounter(cap=min_pages_per_paragraph)

    def add_page(self, page: str, paragraphs: Iterable[str], page_blocks: Iterable[int] = (),
                 is_normalized: bool = False) -> None:
        """Count the paragraphs of one page (e.g. its URL and Article.text.split("\\n")) and its DOM blocks.

        `is_normalized`: the paragraphs are whitespace-folded already (the archive writer's are).
        """
        key = hashlib.blake2b(page.encode("utf-8", "replace"), digest_size=8).hexdigest()
        self.pages.add(key)
        self.page_blocks.add_page(int(key, 16), page_blocks)
        # a set built anew either way: counted in its order, which the saved counts keep
        for paragraph in set(paragraphs) if is_normalized else {" ".join(p.split()) for p in paragraphs}:
            if not paragraph or len(paragraph) > self.max_paragraph_chars:
                continue
            self._count(paragraph, key)
        if len(self.seen_on) + len(self.seen_once) > self.max_entries:
            self.seen_once = {}  # paragraphs seen on one page only are forgotten first

    def _count(self, paragraph: str, key: str) -> None:
        pages = self.seen_on.get(paragraph)
        if pages is None:
            if self.min_pages_per_paragraph > 1:
                digest = paragraph_hash(paragraph)
                first = self.seen_once.setdefault(digest, key)
                if first == key:
                    return
                del self.seen_once[digest]
                pages = self.seen_on[paragraph] = {first}
            else:
                pages = self.seen_on[paragraph] = set()
        if len(pages) < self.min_pages_per_paragraph:
            pages.add(key)

    def boilerplate(self) -> frozenset[str]:
        """Paragraphs seen on enough distinct pages, once the source has enough pages."""
        if len(self.pages) < self.min_pages:
            return frozenset()
        threshold = self.min_pages_per_paragraph
        return frozenset(p for p, keys in self.seen_on.items() if len(keys) >= threshold)

    def to_json(self) -> str:
        return json.dumps(
            {
                "min_pages_per_paragraph": self.min_pages_per_paragraph,
                "min_pages": self.min_pages,
                "max_paragraph_chars": self.max_paragraph_chars,
                "max_entries": self.max_entries,
                "pages": sorted(self.pages),
                "seen_on": {p: sorted(keys) for p, keys in sorted(self.seen_on.items())},
                "seen_once": {"hashes": pack(array("Q", self.seen_once)),
                              "pages": pack(array("Q", (int(key, 16) for key in self.seen_once.values())))},
                "page_blocks": self.page_blocks.to_state(),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> Self:
        state = json.loads(data)
        learner = cls(state["min_pages_per_paragraph"], state["min_pages"],
                      state["max_paragraph_chars"], state["max_entries"])  # fmt: skip
        learner.pages = set(state["pages"])
        keys = {key: key for key in learner.pages}  # one string object per page key
        for paragraph, seen in state["seen_on"].items():
            if len(seen) == 1 and learner.min_pages_per_paragraph > 1:  # saved before seen_once existed
                learner.seen_once[paragraph_hash(paragraph)] = keys.get(seen[0], seen[0])
            else:
                learner.seen_on[paragraph] = {keys.get(key, key) for key in seen}
        if "seen_once" in state:
            pages = (keys.get(key, key)
                     for key in (f"{page:016x}" for page in unpack("Q", state["seen_once"]["pages"])))
            learner.seen_once.update(zip(unpack("Q", state["seen_once"]["hashes"]), pages, strict=True))
        if "page_blocks" in state:  # saved before DOM blocks were counted: start counting now
            learner.page_blocks = PageBlockCounter.from_state(state["page_blocks"])
        return learner


def paragraph_hash(paragraph: str) -> int:
    return xxhash.xxh64_intdigest(paragraph.encode("utf-8", "replace"))
