"""What a credit line says: the people it names ("By Jane Doe and John Roe", "Text: Anna Muster", "김철수 기자"),
with prefixes, roles, desks and social-media labels taken off. Where on the page a credit sits is `authors.py`'s
job; this module only reads the string, for it and for the byline lines found in the body text (`lines.py`)."""

from __future__ import annotations

import re

from .normalize import clean, norm, strip_tags

# "By X" / "Von X": a preposition, then the name. Role words ("Redaktion", "Text") only count as a prefix
# with a colon: "Redaktion hessenschau.de" is the credit itself, "Text: Anna Muster" is a prefix.
BY_PREFIX = re.compile(
    r"^(?:(?:by|von|por|par|av|door|di|da|af|od|przez|от|written by|reporting by)\s*[:\-]?\s+"
    r"|(?:автор|авторы|text|texte|texto|tekst|author|autor|autorin|auteur|autore|redacción|redaktion|fotos?)"
    r"\s*[:\-]\s*)",
    re.I,
)
NAME_SPLIT = re.compile(
    r"\s*(?:,|;|\||&|/|\band\b|\bund\b|\by\b|\bet\b|\bog\b|\boch\b|\ben\b|\be\b|\bi\b|\bv\b)\s*", re.I
)
_SOCIAL = re.compile(r"\b(?:twitter|facebook|instagram|linkedin|whatsapp|telegram|e-?mail|share|follow)\b", re.I)
_ROLE_SUFFIX = re.compile(r"\s*(?:\([^)]{0,40}\)|기자|특파원|記者|特派員|论说委员|记者)$")
_NOT_PEOPLE = re.compile(
    r"^(?:staff|staff writer|editor|editors|redaktion|redaction|rédaction|admin|administrator|newsroom|"
    r"desk|web desk|news desk|online|team|null|none|unknown|anonymous|guest|reporter|correspondent|"
    # "the newsroom" in other languages: a desk, not a person
    r"redacción|redaccion|redação|redacao|redazione|redactie|redakcja|redakce|redaksjonen|redaktionen|redaksiyon)$",
    re.I,
)

# Role words that say a line credits a person: "編集委員　中沢克二" (senior writer), "김철수 기자" (reporter).
CREDIT_ROLE = re.compile(
    r"^(?:編集委員|論説委員|解説委員|特派員|記者|记者|特约记者|专栏作者|评论员|기자|특파원|논설위원)\s*"
    r"|\s*(?:編集委員|論説委員|特派員|記者|记者|기자|특파원|논설위원)$"
)
# Two to four capitalized words: how a person's name looks where markup gives no other sign of one.
NAME_LIKE = re.compile(r"^(?:[A-ZÀ-ÞĀ-Ž][\w'’.-]+\s+){1,3}[A-ZÀ-ÞĀ-Ž][\w'’.-]+$")


def normalize_authors(names: list[str]) -> tuple[str, ...]:
    """The people the credit strings name, each once, in order. Addresses, URL slugs, desks ("Redaktion"),
    social-media labels and anything too long or with digits to be a name are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        raw = strip_tags(clean(raw))
        if not raw or raw.startswith(("http://", "https://", "www.")) or "@" in raw:
            continue
        parts = NAME_SPLIT.split(raw) if len(raw) > 40 or re.search(r",|;| and | und |&|\S/\S", raw) else [raw]
        for part in parts:
            part = _ROLE_SUFFIX.sub("", BY_PREFIX.sub("", clean(part))).strip(" .,:;-–|")
            if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", part):
                continue  # a URL slug ("sophie-foster") next to the real name
            if not part or len(part) > 60 or len(part.split()) > 6 or re.search(r"(?<!\w)\d", part):
                continue
            if _NOT_PEOPLE.match(part) or _SOCIAL.search(part):
                continue
            key = norm(part)
            if key not in seen:
                seen.add(key)
                out.append(part)
    return tuple(out)
