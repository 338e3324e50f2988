"""Lines of page chrome inside the extracted text: labels, timestamps, bylines, prompts, the headline again."""

from __future__ import annotations

import re

from .fields import _norm, clean

_BOILERPLATE_LINE = re.compile(
    r"^(?:\d+\s*(?:min|mins|minute|minutes|minuten|minutos|minuti)\.?\s*(?:read|lesezeit|de lectura|di lettura)?"
    r"|read more|show more|load more|see more|advertisement|anzeige|werbung|publicidad|"
    # "read more" in other languages: the label of an embedded link to another story
    r"weiterlesen|mehr lesen|lire la suite|lire aussi|leer más|leia mais|leggi anche|czytaj więcej|czytaj też|"
    r"czytaj także|les mer|läs mer|lees meer|lue lisää|читать далее|читайте также|"
    r"share|share this|share this article|follow us|avatar|news feed)\s*[.:!…]*$",
    re.I,
)


# "© Agency 2024" / "Copyright 2024 ...": a rights notice under the story, never part of it.
_RIGHTS_LINE = re.compile(r"^(?:©|\(c\)\s|copyright\b)", re.I)


# A line that is only a timestamp ("Stand: 22.04.2024, 06:00 Uhr", "2025年1月14日 01時28分 (01時40分更新)").
_STAMP_TEXT = (
    "stand updated update aktualisiert published publiziert veröffentlicht erstellt posted uhr am um on at "
    "le à mis jour publié actualizado publicado aggiornato pubblicato utc gmt cet cest mez mesz est edt pst "
    "pdt pm jan feb mar apr may jun jul aug sep sept oct nov dec januar februar märz april mai juni juli "
    "august september oktober november dezember janvier février mars avril juin juillet août septembre "
    "octobre novembre décembre january february march june july october december mon tue wed thu fri sat sun"
)
_STAMP_WORDS = frozenset(_STAMP_TEXT.split())
_CJK_DATE = re.compile(r"[年月日時分秒]|更新|午前|午後")
_DATE_OR_TIME = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b")
# The length of a video or audio clip, shown as a line of its own or after a teaser ("… 18.04.2024 | 0:21 min",
# "02:57 Min.. Verfügbar bis 06.05.2024.").
_CLIP_LENGTH = re.compile(
    r"(?:^|\|\s*)\d{1,2}:\d{2}(?::\d{2})?\s*(?:min|minuten|mins|std)\b[.\s]*(?:verfügbar bis [\d.]+)?\.?$", re.I
)
# The paywall's prompt where the free part of a story ends; what follows it is the sign-up pitch.
_PAYWALL_LINE = re.compile(
    r"^(?:この記事は(?:会員|有料会員)限定です"
    r"|this (?:article|story|content) is (?:for|only for|available to|exclusive to) (?:subscribers|members)"
    r"|(?:dieser artikel|dieser beitrag) ist (?:nur )?für (?:abonnenten|abonnentinnen|abonnierende)"
    r"|cet article est réservé aux abonnés|este artículo es exclusivo para (?:suscriptores|socios)"
    r"|questo articolo è riservato agli abbonati|este conteúdo é exclusivo para assinantes)\b",
    re.I,
)
# Placeholders of embeds that wait for consent ("Ein Klick für den Datenschutz").
_CONSENT_LINE = re.compile(
    r"^(?:ein klick für den datenschutz|externer inhalt|empfohlener externer inhalt|click to load|"
    r"click here to load|content not available|contenu externe)\s*[.:!…]*$",
    re.I,
)
_BYLINE_LINE = re.compile(r"^(?:by|von|par|por|di|av|door|af|od)\s+(?P<names>.{2,100})$", re.I)


def _is_stamp(line: str) -> bool:
    if len(line) > 80 or len(re.findall(r"\d+", line)) < 2:
        return False
    words = re.findall(r"[^\W\d_]+", _CJK_DATE.sub(" ", line).lower())
    if not all(w in _STAMP_WORDS for w in words):
        return False
    # A date or a time must be there: "3:1 (2:0)" or "2023: 12, 2024: 15" are numbers, not a timestamp.
    return bool(_DATE_OR_TIME.search(line) or _CJK_DATE.search(line) or words)


def _is_byline(line: str, authors: tuple[str, ...]) -> bool:
    """ "By Jane Doe and John Roe": the byline the page shows above the text, when it names exactly the authors."""
    match = _BYLINE_LINE.match(line)
    if not match or not authors:
        return False
    rest = _norm(match.group("names"))
    for name in authors:
        rest = rest.replace(_norm(name), " ")
    return not re.sub(r"\b(?:and|und|et|y|e|og|och|en|i)\b|[,&;|/]", " ", rest).strip()


def clean_lines(text: str, title: str | None, authors: tuple[str, ...] = ()) -> str:
    """The extracted text without the lines of page chrome that sit inside the story's container."""
    ntitle = _norm(title) if title else None
    out: list[str] = []
    lines = [clean(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    for number, line in enumerate(lines):
        if _BOILERPLATE_LINE.match(line) or (len(line) < 120 and _RIGHTS_LINE.match(line)):
            continue
        if ntitle and _norm(line) == ntitle:
            continue  # the headline repeated above the image
        if _is_stamp(line) or _CLIP_LENGTH.search(line) or _CONSENT_LINE.match(line) or _is_byline(line, authors):
            continue
        if len(line) < 200 and _PAYWALL_LINE.match(line):
            # Where the free part ends, what follows is the sign-up pitch: shorter than the story above it.
            if out and sum(map(len, lines[number + 1 :])) < sum(map(len, out)):
                break
            continue
        out.append(line)
    return "\n".join(out)
