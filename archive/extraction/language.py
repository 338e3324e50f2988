"""Language of the page: declared tags first, checked against the body text.

Declarations are missing or wrong often enough (templates hard-coding lang="en"), so the body is scored
with the stop-word lists that jusText ships (~100 languages) plus a few short lists for languages it lacks;
scripts without spaces are told apart by their characters.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from . import stopword_cache
from .stopword_cache import StopwordIndex
from .structured import PageData

_JUSTEXT_CODES = {
    "Afrikaans": "af",
    "Albanian": "sq",
    "Arabic": "ar",
    "Armenian": "hy",
    "Azerbaijani": "az",
    "Basque": "eu",
    "Belarusian": "be",
    "Bengali": "bn",
    "Bosnian": "bs",
    "Breton": "br",
    "Bulgarian": "bg",
    "Catalan": "ca",
    "Croatian": "hr",
    "Czech": "cs",
    "Danish": "da",
    "Dutch": "nl",
    "English": "en",
    "Esperanto": "eo",
    "Estonian": "et",
    "Finnish": "fi",
    "French": "fr",
    "Galician": "gl",
    "Georgian": "ka",
    "German": "de",
    "Greek": "el",
    "Gujarati": "gu",
    "Hebrew": "he",
    "Hindi": "hi",
    "Hungarian": "hu",
    "Icelandic": "is",
    "Indonesian": "id",
    "Irish": "ga",
    "Italian": "it",
    "Kannada": "kn",
    "Kazakh": "kk",
    "Korean": "ko",
    "Kurdish": "ku",
    "Latvian": "lv",
    "Lithuanian": "lt",
    "Luxembourgish": "lb",
    "Macedonian": "mk",
    "Malay": "ms",
    "Malayalam": "ml",
    "Maltese": "mt",
    "Marathi": "mr",
    "Nepali": "ne",
    "Norwegian_Bokmal": "no",
    "Norwegian_Nynorsk": "nn",
    "Persian": "fa",
    "Polish": "pl",
    "Portuguese": "pt",
    "Romanian": "ro",
    "Russian": "ru",
    "Serbian": "sr",
    "Slovak": "sk",
    "Slovenian": "sl",
    "Spanish": "es",
    "Swahili": "sw",
    "Swedish": "sv",
    "Tagalog": "tl",
    "Tamil": "ta",
    "Telugu": "te",
    "Turkish": "tr",
    "Ukrainian": "uk",
    "Urdu": "ur",
    "Uzbek": "uz",
    "Vietnamese": "vi",
    "Welsh": "cy",
    "Yoruba": "yo",
    "Igbo": "ig",
}
# Short lists of very frequent function words for languages jusText has no list for.
_EXTRA_STOPWORDS = {
    "zu": "futhi kanye ukuthi ngoba kodwa uma noma kule kulo lokho wathi bathi kusho ngesikhathi okwenza "
    "kanti ngokusho abantu kakhulu yena bona sona lapho ukuze nokho lokhu kwathi uthe kwi",
    "xh": "kwaye ukuba ukuze kodwa ngoko kule oko ukuthi wathi bathi ngokuba xa okanye kakhulu yena bona "
    "apho kwakhona noko ngexesha kuba ndawo nje ngoku abantu uthe",
}
_SCRIPT_LANGS = (
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
)
_WORD = re.compile(r"[^\W\d_]+")


def primary_subtag(value: str | None) -> str | None:
    if not value:
        return None
    tag = re.split(r"[-_\s,;]", value.strip().lower())[0]
    if not re.fullmatch(r"[a-z]{2}|fil|haw|yue|ckb|gsw|nds|ast|kab|sco", tag):
        return None
    return {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}.get(tag, tag)


def _stoplists() -> Iterator[tuple[str, str | None, frozenset[str]]]:
    """(language code, jusText's name of the language or None, its stop words), one list at a
    time: only the index below is kept."""
    try:
        import justext

        for name, code in _JUSTEXT_CODES.items():
            try:
                yield code, name, frozenset(justext.get_stoplist(name))
            except Exception:
                continue
    except ImportError:
        pass
    for code, words in _EXTRA_STOPWORDS.items():
        yield code, None, frozenset(words.split())


@functools.cache
def _languages() -> tuple[str, ...]:
    """The codes :func:`detect` scores, in the order its ties are decided."""
    return _index()[0]


def _languages_by_word() -> dict[str, tuple[str, ...]]:
    return _index()[1]


@functools.cache
def _index() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(the languages, the languages of each stop word): one pass over a page's words instead of one
    per stop list (~70 of them). An extraction worker holds this for its whole life, so each word
    is kept once and each distinct tuple of languages once (1,700 tuples for 139,000 words).

    Building it takes 0.3-0.4 s of CPU, which every extraction worker paid at its start; it is kept in
    the user's cache directory (:mod:`archive.extraction.stopword_cache`) and read back in 0.04 s."""
    key = stopword_cache.key(_JUSTEXT_CODES, _EXTRA_STOPWORDS)
    built = stopword_cache.read(key)
    if built is None:
        built = _build_index()
        stopword_cache.write(key, built)
    _share_with_trafilatura(built.shared_with_justext)
    return built.languages, built.by_word


def _build_index() -> StopwordIndex:
    languages: list[str] = []
    from_justext: dict[str, str] = {}  # code -> jusText's name
    index: dict[str, list[str]] = {}
    for code, name, words in _stoplists():
        languages.append(code)
        if name is not None:
            from_justext[code] = name
        for word in words:
            index.setdefault(word, []).append(code)
    tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
    by_word = {word: tuples.setdefault(tuple(codes), tuple(codes)) for word, codes in index.items()}
    del index
    return StopwordIndex(tuple(languages), by_word, _justext_words(by_word, from_justext))


def load() -> None:
    """Build the stop-word index now (an extraction worker's start-up), before any page needs it
    and before trafilatura's jusText fallback builds its own copy of the words."""
    _index()


def _justext_words(by_word: dict[str, tuple[str, ...]], from_justext: dict[str, str]) -> frozenset[str] | None:
    """Every word of jusText's lists as one frozenset made of the strings the index holds, for
    :func:`_share_with_trafilatura`; None when jusText is missing or its lower-casing would change
    a word (then both keep their own copies)."""
    try:
        from justext.utils import get_stoplist, get_stoplists
    except ImportError:
        return None
    # Decided once per distinct tuple of languages (~1,700), not once per word (~139,000).
    justext_tuples = {codes for codes in set(by_word.values()) if not from_justext.keys().isdisjoint(codes)}
    words = [word for word, codes in by_word.items() if codes in justext_tuples]
    for language in sorted(get_stoplists() - set(from_justext.values())):
        words.extend(word for word in get_stoplist(language) if word not in by_word)
    shared = frozenset(words)
    if any(map(str.__ne__, shared, map(str.lower, shared))):
        return None
    return shared


def _share_with_trafilatura(shared: frozenset[str] | None) -> None:
    """One copy of jusText's stop words in a worker: trafilatura's jusText fallback keeps every
    list's words (``JT_STOPLIST``, built from fresh strings on first use, 12 MB) and jusText keeps
    a lower-cased copy of those (``define_stoplist``, cached: 15 MB more). The words are lower case
    already, so both are given *shared*; jusText's lower-casing of it would give the same set, so it
    is handed back as it is."""
    if shared is None:
        return
    try:
        import justext.core
        import trafilatura.external as external
    except ImportError:
        return
    if external.JT_STOPLIST is not None:
        return
    define_stoplist = justext.core.define_stoplist

    def defined(stoplist: Any) -> frozenset[str]:
        return shared if stoplist is shared else define_stoplist(stoplist)  # type: ignore[no-any-return]

    justext.core.define_stoplist = defined
    setattr(external, "JT_STOPLIST", shared)  # noqa: B010 (trafilatura types it as a tuple; jusText takes any iterable)


def _script_language(text: str) -> str | None:
    sample = text[:5000]
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return None
    for rx, code in _SCRIPT_LANGS:
        if len(rx.findall(sample)) > letters * 0.15:
            return code
    return None


def detect(text: str) -> tuple[str | None, dict[str, float]]:
    """Best language by share of stop-word tokens, and the shares of all candidates."""
    script = _script_language(text)
    if script:
        return script, {script: 1.0}
    words = _WORD.findall(text[:20000])
    if len(words) < 20:
        return None, {}
    counts = Counter(map(str.lower, words))
    total = len(words)
    hits = dict.fromkeys(_languages(), 0)
    by_word = _languages_by_word()
    for word, count in counts.items():
        for code in by_word.get(word, ()):
            hits[code] += count
    shares = {code: found / total for code, found in hits.items()}
    best = max(shares, key=shares.__getitem__)
    return best, shares


def pick_language(data: PageData, text: str) -> str | None:
    art = data.ld_article or {}
    lang_in = art.get("inLanguage")
    if isinstance(lang_in, dict):
        lang_in = lang_in.get("alternateName") or lang_in.get("name")
    declared = next(
        (
            t
            for t in map(
                primary_subtag,
                (
                    data.html_lang,
                    data.first("content-language", "language", "dc.language"),
                    data.first("og:locale"),
                    lang_in if isinstance(lang_in, str) else None,
                ),
            )
            if t
        ),
        None,
    )
    detected, shares = detect(text)
    if declared is None:
        return detected
    if detected is None or detected == declared:
        return declared
    # Override a declaration only when the body plainly is not in that language: scripts without spaces
    # are unambiguous; for others the declared language's own stop words must be nearly absent.
    if detected in ("ja", "ko", "th", "zh"):
        return detected if declared not in ("ja", "ko", "zh", "th") or declared == "zh" else declared
    own = shares.get(declared)
    ranked = sorted(shares.values(), reverse=True)
    runner_up = ranked[1] if len(ranked) > 1 else 0.0
    if own is not None and own < 0.05 and shares[detected] >= max(0.05, 1.5 * runner_up):
        return detected
    return declared
