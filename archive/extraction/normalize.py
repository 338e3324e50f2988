"""Text normalization the metadata fields share: whitespace, markup left in declared values, comparison keys
and class/id words. No field is picked here."""

from __future__ import annotations

import html
import re
import string
import unicodedata
from typing import Any, overload

from lxml.html import HtmlElement

# Two class splitters, which differ only at brackets: the body and byline checks cut utility classes such as
# "w-[40%]" apart, the headline and date checks never did. One splitter for both would change which words
# some elements are found to carry, and with them some pages' output.
CLASS_SPLIT = re.compile(r"[\s_\-:/\[\]]+|(?<=[a-z])(?=[A-Z])")
_HEADING_CLASS_SPLIT = re.compile(r"[\s_\-:/]+|(?<=[a-z])(?=[A-Z])")


def clean(text: Any) -> str:
    """Text with whitespace collapsed and soft hyphens / zero-width spaces gone; "" for anything not a str."""
    if not isinstance(text, str):
        return ""
    # str.split() and re's \s are one definition of whitespace (Py_UNICODE_ISSPACE); the split is the faster.
    return " ".join(text.replace("\u00ad", "").replace("\u200b", "").split())


@overload
def nfc(text: str) -> str: ...
@overload
def nfc(text: None) -> None: ...
def nfc(text: str | None) -> str | None:
    """The composed form of a text (NFC): "u" + combining diaeresis and "ü" are one string to store and search."""
    return unicodedata.normalize("NFC", text) if text else text


_ASCII_LETTERS = string.ascii_letters.encode("ascii")


def letters(text: str) -> int:
    """Letters, not characters: dates, counts and punctuation beside a link ("2019-09-09 19:28", "评论 683") or an
    address are not prose."""
    if text.isascii():
        # What str.isalpha() counts in ASCII, deleted at C speed: most of a page's text nodes are layout whitespace.
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_LETTERS))
    return sum(map(str.isalpha, text))


def strip_tags(text: str) -> str:
    """Declared values sometimes carry escaped markup ("&lt;b&gt;", "<em>Headline</em>"): the reader sees text."""
    if "<" in text and ">" in text:
        text = clean(re.sub(r"<[^>]{0,400}>", " ", text))
    if "&" in text:
        text = html.unescape(text)
    return text


def ld_text(value: Any) -> str | None:
    """A JSON-LD value that should be text: str, {"@value"}, {"name"}, or a list of those."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("@id")
    if isinstance(value, int | float):
        value = str(value)
    out = clean(value) if isinstance(value, str) else ""
    return strip_tags(out) or None


# Each quote and dash by the one character that stands for all of its kind; none of those three is replaced.
_ONE_SPELLING = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`´", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
_SPELLED_OTHERWISE = re.compile("[" + "".join(_ONE_SPELLING) + "]")


def _one_spelling(match: re.Match[str]) -> str:
    return _ONE_SPELLING[match.group()]


def norm(s: str) -> str:
    """The comparison key of a text: the same headline or name typed with other quotes, dashes or case is equal."""
    # normalize() makes a new string even of a text that is in NFKC already, as most are; the check is cheaper.
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    # One pass for quotes and dashes: what the replacements put in is none of what they replace.
    s = _SPELLED_OTHERWISE.sub(_one_spelling, s.casefold())
    return " ".join(s.split())


WORD = re.compile(r"\w+")  # a run of word characters: what word counts and word keys compare
_NOT_WORD = re.compile(r"\W|_")


def compact(s: str) -> str:
    """`norm` without spaces or punctuation: "n-tv NACHRICHTEN" and "ntv Nachrichten" are one site name."""
    return _NOT_WORD.sub("", norm(s))


def class_words(el: HtmlElement, with_id: bool = True) -> set[str]:
    """The lower-cased words of the element's class (and id): what the theme calls the element."""
    raw = f"{el.get('class') or ''} {el.get('id') or ''}" if with_id else el.get("class") or ""
    return {w.lower() for w in _HEADING_CLASS_SPLIT.split(raw) if w}
