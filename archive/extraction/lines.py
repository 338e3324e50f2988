"""Lines of page chrome inside the extracted text: labels, timestamps, bylines, prompts, the headline again."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .credits import NAME_LIKE, normalize_authors
from .normalize import clean, letters, norm

_BOILERPLATE_LINE = re.compile(
    r"^(?:\d+\s*(?:min|mins|minute|minutes|minuten|minutos|minuti)\.?\s*(?:read|lesezeit|de lectura|di lettura)?"
    r"|read more|show more|load more|see more|advertisement|anzeige|werbung|publicidad|"
    # "read more" in other languages: the label of an embedded link to another story
    r"weiterlesen|mehr lesen|lire la suite|lire aussi|leer más|leia mais|leggi anche|czytaj więcej|czytaj też|"
    r"czytaj także|les mer|läs mer|lees meer|lue lisää|читать далее|читайте также|"
    r"share|share this|share this article|follow us|avatar|news feed|"
    # screen-reader labels and the headings of rails whose items were removed
    r"article|article content|artikel|článek|recommended videos?|related videos?|auch interessant|"
    r"mehr themen(?: auf \S+)?|kommentar abgeben|leave a comment|comments?|kommentare|おすすめ情報|"
    r"分享到|为您推荐|相关推荐|相关阅读|延伸阅读|猜你喜欢|加载更多(?:新闻)?|作者最近文章|小编最近文章|関連記事)\s*[.:!…：]*$",
    re.I,
)

# Lines that differ on every request while the story does not: a relative time ("Updated 5 minutes
# ago", "vor 2 Stunden") and a counter ("1,234 views", "12 comments"). Kept, they would make every
# re-check of an unchanged story a new version.
_ROTATING_LINE = re.compile(
    r"^(?:(?=.*\b(?:ago|vor|il y a|hace|há|updated|published|posted|aktualisiert|mis à jour)\b)"
    r"(?:(?:updated|published|posted|last updated|aktualisiert|mis à jour)\s*:?\s*)?"
    r"(?:(?:about|over|less than|vor|il y a|hace|há)\s+)?(?:\d+|an?|one)\s*"
    r"(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|minuten|stunden?|tagen?|heures?|jours?"
    r"|minutos|horas|días)\.?(?:\s+ago)?"
    r"|[\d.,\s]+[km]?\s*(?:views?|reads?|comments?|shares?|likes?|reactions?|aufrufe|vues|visitas)"
    r")\s*[.·|]*$",
    re.I,
)

# "© Agency 2024" / "Copyright 2024 ...": a rights notice under the story, never part of it.
_RIGHTS_LINE = re.compile(r"^\W{0,3}(?:©|ⓒ|\(c\)\s|copyright\b)|\ball rights reserved\b", re.I)
# Who else worked on the story, under it: "With files from The Associated Press", "… contributed to this report.",
# "Mit Agenturmaterial". A credit, like the byline.
_CONTRIBUTORS_LINE = re.compile(
    r"contributed (?:to )?(?:this|the) (?:report|story|article)\W*$|^\W*(?:with (?:files|reporting) from|"
    r"(?:additional )?reporting by|mit (?:agentur)?material|mit informationen (?:von|der|aus))\b",
    re.I,
)


# A line that is only a timestamp ("Stand: 22.04.2024, 06:00 Uhr", "2025年1月14日 01時28分 (01時40分更新)").
_STAMP_TEXT = (
    "stand updated update aktualisiert published publiziert veröffentlicht erstellt posted uhr am um on at "
    "le à mis jour publié actualizado publicado aggiornato pubblicato utc gmt cet cest mez mesz est edt pst "
    "pdt pm jan feb mar apr may jun jul aug sep sept oct nov dec januar februar märz april mai juni juli "
    "august september oktober november dezember janvier février mars avril juin juillet août septembre "
    "octobre novembre décembre january february march june july october december mon tue wed thu fri sat sun "
    "uppdaterad publicerad oppdatert publisert opdateret udgivet julkaistu päivitetty aktualizováno publikováno "
    "aktualizacja opublikowano bijgewerkt gepubliceerd geplaatst güncelleme güncellendi yayınlanma"
)
_STAMP_WORDS = frozenset(_STAMP_TEXT.split())
# The words that make a date a timestamp wherever it stands ("Updated 3 May 2024"); a bare date in the middle of the
# text ("June 12, 2024" in a timeline, "On 5 May 2024 at 10:00") is a line of the story.
_STAMP_LABEL_TEXT = (
    "stand updated update aktualisiert published publiziert veröffentlicht erstellt posted mis jour publié "
    "actualizado publicado aggiornato pubblicato uppdaterad publicerad oppdatert publisert opdateret udgivet "
    "julkaistu päivitetty aktualizováno publikováno aktualizacja opublikowano bijgewerkt gepubliceerd geplaatst "
    "güncelleme güncellendi yayınlanma"
)
_STAMP_LABELS = frozenset(_STAMP_LABEL_TEXT.split())
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
# "Photo: AFP", "Quelle: dpa": a credit or source note under a picture or a chart, not a sentence of the story.
_CREDIT_LINE = re.compile(
    r"^(?:photos?|fotos?|bild|image|picture|credits?|quelle|source|fuente|fonte|źródło|zdroj|kilde|källa)"
    r"\s*:\s*(?:[^.!?]|\.(?=\S)){1,50}$"  # "Quelle: ntv.de": a dot inside a name, not a sentence's end
    # Chinese news credits: the original headline, the source, the editor in charge, the picture's source.
    r"|^[（(]?(?:原标题|来源|本文来源|责任编辑|编辑|图片来源|图片来自|图源|摄影)\s*[:：]",
    re.I,
)
# "Read also: <another story's headline>", "- Zum Artikel: ...": a link to another story inside the text.
_TEASER_LINE = re.compile(
    r"^(?:also read|read also|read more|see also|more on this|lesen sie auch|lesen sie mehr|mehr dazu|mehr zum thema|"
    r"zum artikel|siehe auch|lire aussi|à lire aussi|voir aussi|leer también|lea también|lee también|leia também|"
    r"leggi anche|czytaj też|czytaj także|czytaj również|les også|läs också|lees ook|læs også)\s*[:>»|–-]\s*\S",
    re.I,
)
# A leading list bullet ("- 3 Minuten Lesezeit") hides a label from the patterns above.
_BULLET = re.compile(r"^[-–•·*]\s+")
# Configuration leaked into the page ("showPaywall:", "false"), and separators ("___", "* * *").
_NOT_WORDS = re.compile(r"^(?:true|false|null|undefined|[a-z]{2,}[A-Z][A-Za-z]*:|[\W_]+)$")
# Prompts under the story: newsletters, donations, feedback and error reports, comment boxes, "follow us". A prompt
# names the site or the reader ("our newsletter", "Senden Sie uns Ihr Feedback") or is one of a few fixed phrases:
# a story's own last line may well say that someone will "support" or "follow" something.
_PROMPT_WORDS = re.compile(
    r"\b(?:newsletter|nyhetsbrev|boletín|sign(?:ing)? up|subscri|abonn|suscri|iscriviti|assine|prenumer|zapisz|"
    r"bookmark|google news|app store|donat|spende|feedback|inscri)",
    re.I,
)
_SITE_OR_READER_WORDS = re.compile(
    r"\b(?:[Oo]ur|[Yy]ou|[Yy]our|[Uu]nser\w*|[Uu]ns|[Nn]otre|[Nn]os|[Nn]ous|[Vv]ous|[Vv]otre|"
    r"[Nn]uestr\w*|[Nn]ostr\w*|[Nn]oss\w*|[Vv]år\w*|oss|[Vv]ores|[Nn]asz\w*|[Oo]nze)\b"
    # German formal "you", capitalised inside a sentence (at its start "Sie" may be "they")
    r"|(?<=[\w,] )(?:Sie|Ihnen|Ihre?[mnrs]?)\b"
)
_PROMPT_PHRASE = re.compile(
    r"fehler gefunden|report an error|spotted an error|found a typo|einen fehler entdeckt|signaler une erreur|"
    r"kommentar abzugeben|to leave a comment|to post a comment|preferred source|support us|follow us|"
    r"unterstützen sie uns|folgen sie uns|soutenez-nous|suivez-nous|síguenos|apóyanos|seguici|sostienici|siga-nos|"
    r"følg oss|följ oss|volg ons|wesprzyj nas|obserwuj nas|二维码|扫码关注|をフォローする",
    re.I,
)
# "(grh)", "(dpa/jk)": the editor's or agency's initials closing a story.
_INITIALS_LINE = re.compile(r"^\(\w{2,5}(?:/\w{2,5})*\)$")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://[!-~]+|www\.[!-~]+")  # printable ASCII: a Chinese sentence may follow with no space
# The paywall's label before its prompt ("［有料会員限定］ この記事は会員限定です").
_BRACKET_LABEL = re.compile(r"^[［\[【][^］\]】]{1,12}[］\]】]\s*")
_NAME_FILLER = re.compile(
    r"\b(?:and|und|et|y|e|og|och|en|i|by|von|par|por|di|av|door|af|od|text|fotos?|photos?|reporter|reporting)\b"
    r"|기자|특파원|記者|외\s*\d+\s*명|[,&;|/·:()\[\]–—-]"
)
# "By Jane Doe and John Roe", "Von: Bill MCCARTHY, Marisha GOLDHAMER": a byline line.
_BYLINE_LINE = re.compile(r"^(?:by|von|par|por|di|av|door|af|od)\s*:?\s+(?P<names>.{2,120})$", re.I)
_CONJUNCTIONS = re.compile(r"\b(?:and|und|et|y|e|og|och|en|i)\b|[,&;|/]")


def byline_authors(text: str) -> tuple[str, ...]:
    """The people a byline at the top of the text names, when the page's markup names nobody."""
    for line in text.split("\n")[:6]:
        match = _BYLINE_LINE.match(_BULLET.sub("", clean(line)))
        if not match or len(match.group("names")) < 3:
            continue
        names = normalize_authors([match.group("names")])
        if names and all(NAME_LIKE.match(name) for name in names):
            return names
    return ()


# A telephone number the story gives ("+81 158-23-2012", "(030) 1234-567"): digits that only look like a date.
_PHONE = re.compile(r"\+\d|\(\d{2,5}\)\s*\d")


def _is_stamp(line: str, at_edge: bool) -> bool:
    """A timestamp line; away from the edges of the text (`at_edge` false) only one a stamp word labels."""
    if len(line) > 80 or _PHONE.search(line):
        return False
    words = re.findall(r"[^\W\d_]+", _CJK_DATE.sub(" ", line).lower())
    if not all(w in _STAMP_WORDS for w in words):
        return False
    if not at_edge and not ("更新" in line or any(w in _STAMP_LABELS for w in words)):
        return False
    if len(re.findall(r"\d+", line)) < 2:
        # The label of a timestamp the page fills in with a script ("Aktualisiert am").
        return 0 < len(words) <= 3 and not _DATE_OR_TIME.search(line)
    # A date or a time must be there: "3:1 (2:0)" or "2023: 12, 2024: 15" are numbers, not a timestamp.
    return bool(_DATE_OR_TIME.search(line) or _CJK_DATE.search(line) or words)


def _minus_authors(nline: str, authors: tuple[str, ...]) -> str:
    for name in authors:
        nline = nline.replace(norm(name), " ")
    return nline


def _is_byline(line: str, authors: tuple[str, ...]) -> bool:
    """ "By Jane Doe and John Roe": the byline the page shows above the text, when it names exactly the authors."""
    match = _BYLINE_LINE.match(line)
    if not match or not authors or len(match.group("names")) > 100:
        return False
    return not _CONJUNCTIONS.sub(" ", _minus_authors(norm(match.group("names")), authors)).strip()


def _names_only(line: str, authors: tuple[str, ...]) -> bool:
    """A line that only names the story's authors ("Jane Doe", "박준석 기자 외 1명", "NAME jane@paper.test")."""
    if not authors or len(line) > 150:
        return False
    nline = norm(line)
    rest = _minus_authors(nline, authors)
    if rest == nline:
        return False
    return not _NAME_FILLER.sub(" ", _EMAIL.sub(" ", rest)).strip()


def _is_prompt(line: str, topic: str) -> bool:
    """A prompt under the story; `topic` is the story above it and its headline, casefolded."""
    if len(line) > 300:
        return False
    if _PROMPT_PHRASE.search(line):
        return True
    prompt_words = _PROMPT_WORDS.findall(line)
    if not prompt_words:
        return False
    # Words the story itself uses are its subject: "Any subscribers out there?" under a post on a streaming service,
    # "your feedback will help us" closing one on a feedback tool, are its last lines, not a sign-up box.
    if all(word.casefold() in topic for word in prompt_words):
        return False
    # "Newsletter: Sport inside": the heading of a sign-up box, not a sentence
    return bool(_SITE_OR_READER_WORDS.search(line)) or (len(line) < 60 and not re.search(r"[.!?\"”»]$", line))


def _is_link_label(line: str) -> bool:
    """ "Facebook https://fb.me/paper", "PayPal: https://paypal.me/paper": a label and an address, not a sentence."""
    if not _URL.search(line):
        return False
    rest = _URL.sub(" ", line)
    # A bare address is what the story points the reader to ("http://www.openpetition.de"); a label makes it chrome.
    return 0 < letters(rest) < 25 and len(rest.split()) <= 4


def _beside_link_label(lines: list[str], number: int) -> bool:
    return any(_is_link_label(_BULLET.sub("", lines[n])) for n in (number - 1, number + 1) if 0 <= n < len(lines))


# How a contact line under the story opens: "Write to Jane Doe at ...", "Contact the author: ...", "E-Mail: ...".
_CONTACT_OPENING = re.compile(r"^\W*(?:write to|contact|reach|e-?mail|mail|kontakt|schreiben sie)\b", re.I)


def _is_contact(line: str, authors: tuple[str, ...]) -> bool:
    """ "Write to Jane Doe at jane@paper.test": how to reach the author, under the story. An address the story gives
    its readers ("Hinweise an info@polizei.example") is a sentence of the story."""
    if len(line) >= 150 or _EMAIL.search(line) is None:
        return False
    return _CONTACT_OPENING.match(line) is not None or _minus_authors(norm(line), authors) != norm(line)


def _repeats_headline(line: str, ntitle: str) -> bool:
    """The headline above the text, with its kicker glued on ("Kicker: Headline", "KickerHeadline")."""
    nline = norm(line)
    if nline == ntitle:
        return True
    if len(ntitle) < 15 or not nline.endswith(ntitle):
        return False
    # The kicker is a label ("Analysis:", "EXKLUSIV"), not a sentence that happens to end in the headline's words.
    kicker = nline[: len(nline) - len(ntitle)]
    return len(kicker) <= 60 and not re.search(r"[.!?。]\s*\S", kicker)


def clean_lines(text: str, headlines: Sequence[str | None], authors: tuple[str, ...]) -> str:
    """The extracted text without the lines of page chrome that sit inside the story's container. `headlines`
    are the ways the page words its headline (the title picked, the <h1>, og:title): any of them repeated
    above the text is the headline again."""
    ntitles = {norm(h) for h in headlines if h}
    out: list[str] = []
    lines = [clean(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    for number, line in enumerate(lines):
        bare = _BULLET.sub("", line)
        if _BOILERPLATE_LINE.match(bare) or _ROTATING_LINE.match(bare):
            continue
        if len(bare) < 160 and _RIGHTS_LINE.search(bare):
            continue
        if norm(line) in ntitles or (number < 3 and any(_repeats_headline(line, t) for t in ntitles)):
            continue  # the headline repeated above the image
        at_edge = number < 4 or number >= len(lines) - 2
        if (
            _is_stamp(bare, at_edge)
            or _CLIP_LENGTH.search(line)
            or _CONSENT_LINE.match(line)
            or _is_byline(bare, authors)
        ):
            continue
        if _CREDIT_LINE.match(bare) or (len(bare) < 200 and _TEASER_LINE.match(bare)) or _NOT_WORDS.match(bare):
            continue
        if _is_link_label(bare) and (at_edge or _beside_link_label(lines, number)):
            # Among the story's lines ("More: http://…" after each item) the address is where it points its
            # readers; chrome stands at the edges of the text or stacked ("Facebook: …", "Website: …").
            continue
        if (number < 2 or number >= len(lines) - 2) and _names_only(bare, authors):
            continue
        if len(line) < 200 and _PAYWALL_LINE.match(_BRACKET_LABEL.sub("", line)):
            # Where the free part ends, what follows is the sign-up pitch: shorter than the story above it.
            if out and sum(map(len, lines[number + 1 :])) < sum(map(len, out)):
                break
            continue
        out.append(line)
    # Prompts close the story: drop them from the end, up to the last line of the story proper, which is what the
    # lines before them are (prompts stacked under a story name each other's words).
    story_end = len(out)
    while story_end and _closes_story(out[story_end - 1], authors, ""):
        story_end -= 1
    topic = " ".join([*out[:story_end], *(h for h in headlines if h)]).casefold()
    while out and _closes_story(out[-1], authors, topic):
        out.pop()
    return "\n".join(out)


def _closes_story(line: str, authors: tuple[str, ...], topic: str) -> bool:
    """A prompt, a contact line, a credit of the contributors or an editor's initials: lines under the story."""
    return bool(
        _is_prompt(line, topic)
        or _is_contact(line, authors)
        or _CONTRIBUTORS_LINE.search(line)
        or _INITIALS_LINE.match(line)
    )
