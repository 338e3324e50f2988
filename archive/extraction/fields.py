"""Metadata fields from declared data, each normalized: title, authors, dates, tags, image, URLs."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import re
import unicodedata
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .structured import PageData, ld_types

_WS = re.compile(r"\s+")


def clean(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return _WS.sub(" ", text.replace("\u00ad", "").replace("\u200b", "")).strip()


def letters(text: str) -> int:
    """Letters, not characters: dates, counts and punctuation beside a link ("2019-09-09 19:28", "评论 683") or an
    address are not prose."""
    return sum(map(str.isalpha, text))


def ld_text(value: Any) -> str | None:
    """A JSON-LD value that should be text: str, {"@value"}, {"name"}, or a list of those."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("@id")
    if isinstance(value, int | float):
        value = str(value)
    out = clean(value) if isinstance(value, str) else ""
    return _strip_tags(out) or None


def _strip_tags(text: str) -> str:
    if "<" in text and ">" in text:
        text = clean(re.sub(r"<[^>]{0,400}>", " ", text))
    if "&" in text:
        import html

        text = html.unescape(text)
    return text


# ----------------------------------------------------------------------------------------------- title

# Full-width separators (CJK titles: "Headline：Site", "Headline｜Site") need no spaces around them.
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•:»/]|::)\s+|\s*[：｜丨]\s*")


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    s = re.sub(r"[\u2018\u2019\u201a\u201b\u2032`´]", "'", s)
    s = re.sub(r"[\u201c\u201d\u201e\u00ab\u00bb]", '"', s)
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    return _WS.sub(" ", s).strip()


def _tokens(s: str) -> list[str]:
    return re.findall(r"\w+", _norm(s))


# "Headline-Sectionㅣ Site": some CMSs glue the suffix on without spaces (Korean sites use the letter ㅣ as a bar).
_GLUED_SITE_SUFFIX = re.compile(r"(?<=\S)[|｜ㅣ](?P<site>\S[^|｜ㅣ]{0,39})$")
_GLUED_SECTION = re.compile(r"-[^\W\d_]{1,8}$")


def _names_site(piece: str, site_names: list[str], edition: bool = False) -> bool:
    """The piece is the site's name: equal to one, or (4+ letters) the start of a longer one, as in
    "Headline：日本経済新聞" on a site that calls itself "日本経済新聞 電子版" (its digital edition). With
    `edition`, also a name that goes on after the site's ("Ultima Hora Mallorca" on ultimahora.es): only for
    text that can be nothing but a name (a link in the headline's tail), as "BBC bosses…" starts with "BBC"."""
    key = _compact(piece)
    if not key:
        return False
    for site in site_names:
        site_key = _compact(site) if site else ""
        if not site_key:
            continue
        if key == site_key:
            return True
        # Only a name-length site (application-name sometimes holds the headline) and most of it.
        if len(site_key) <= 30 and len(key) >= max(4, len(site_key) / 2) and site_key.startswith(key):
            return True
        if edition and len(site_key) >= 4 and key.startswith(site_key) and len(key) <= 40:
            return True
    return False


def _strip_site(title: str, site_names: list[str]) -> str:
    """Drop a "| Site Name" (or "Site Name - ") part: a separator-delimited piece naming the site."""
    glued = _GLUED_SITE_SUFFIX.search(title)
    if glued and _norm(glued.group("site")) in {_norm(s) for s in site_names if s}:
        head = title[: glued.start()].rstrip()
        # With a CJK bar, the piece glued on before the site is the section ("-정치", politics).
        if title[glued.start()] != "|":  # CJK bars only: in "anti-vax|Site" the hyphen is the headline's
            head = _GLUED_SECTION.sub("", head)
        if len(head) >= 10:
            return head
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    kept = [p for p in parts if not _names_site(p, site_names)]
    if kept and len(kept) < len(parts):
        # Rejoin with the separator found in the original text between the kept parts.
        first, last = kept[0], kept[-1]
        start = title.find(first)
        end = title.rfind(last) + len(last)
        if 0 <= start < end:
            return title[start:end].strip()
    return title


# Class words of the kicker (overline, roof line) that themes put inside the <h1> above the headline.
_KICKER_WORDS = frozenset(
    {
        "kicker",
        "overline",
        "eyebrow",
        "topline",
        "dachzeile",
        "roofline",
        "supertitle",
        "pretitle",
        "overtitle",
        "spitzmarke",
        "flag",
        "rubric",
        "occhiello",
        "antetitulo",
        "surtitre",
        "label",
    }
)
_H_CLASS_SPLIT = re.compile(r"[\s_\-:/]+|(?<=[a-z])(?=[A-Z])")


def _hidden(el: HtmlElement) -> bool:
    words = {w.lower() for w in _H_CLASS_SPLIT.split(el.get("class") or "") if w}
    return el.get("aria-hidden") == "true" or bool(words & {"offscreen", "sr", "visually", "hidden"})


def heading_without_kicker(tree: HtmlElement, site_names: list[str]) -> str | None:
    """The headline <h1> without a kicker the theme marks up as its own element inside it (and without
    screen-reader-only separators); None when the <h1> has no such kicker."""
    h = headline_h1(tree, site_names)
    if h is None:
        return None
    kids = [c for c in h if isinstance(c.tag, str)]
    if len(kids) < 2 or clean(h.text):
        return None
    words = {w.lower() for w in _H_CLASS_SPLIT.split(kids[0].get("class") or "") if w}
    if not words & _KICKER_WORDS:
        return None
    rest = clean(" ".join(clean(c.text_content()) + " " + clean(c.tail) for c in kids[1:] if not _hidden(c)))
    return rest or None


# Class/id words of the site's logo or name block. Some themes make the logo an <h1> on every page.
_LOGO_WORDS = frozenset({"logo", "brand", "branding", "masthead", "sitename", "sitetitle"})


def _is_logo(h: HtmlElement, site_names: list[str]) -> bool:
    """The <h1> is the site's logo, not a headline: its text is the site's name, or it is a short text
    (a name, not a sentence) in an element the theme calls a logo (h1#website-logo)."""
    text = clean(h.text_content())
    if len(text) > 40 or len(text.split()) > 4:
        return False  # a sentence: the headline, even when application-name repeats it as the "site name"
    if _names_site(text, site_names):
        return True
    for el in (h, *itertools.islice(h.iterancestors(), 2)):
        words = _words(el)
        if words & _LOGO_WORDS or ("site" in words and words & {"title", "name"}):
            return True
    return False


def headline_h1(tree: HtmlElement, site_names: list[str]) -> HtmlElement | None:
    """The <h1> that holds the headline: the first one with text that is not the site's logo."""
    for h in tree.iter("h1"):
        if clean(h.text_content()) and not _is_logo(h, site_names):
            return h
    return None


# Role words that say a line credits a person: "編集委員　中沢克二" (senior writer), "김철수 기자" (reporter).
_CREDIT_ROLE = re.compile(
    r"^(?:編集委員|論説委員|解説委員|特派員|記者|记者|特约记者|专栏作者|评论员|기자|특파원|논설위원)\s*"
    r"|\s*(?:編集委員|論説委員|特派員|記者|记者|기자|특파원|논설위원)$"
)


def _split_at_br(el: HtmlElement) -> list[str]:
    """The element's text in document order, cut into pieces at each <br>."""
    pieces = [""]

    def walk(node: HtmlElement) -> None:
        if node.tag == "br":
            pieces.append("")
        elif isinstance(node.tag, str):
            pieces[-1] += " " + (node.text or "")
            for child in node:
                walk(child)
                pieces[-1] += " " + (child.tail or "")

    walk(el)
    return [clean(p) for p in pieces]


def headline_credit(h: HtmlElement) -> tuple[str, str] | None:
    """(headline, credit) for an <h1> that shows the headline, a <br>, then the author's name and role:
    the credit is not part of the headline. None when the part after the <br> does not credit a person."""
    if h.find(".//br") is None:
        return None
    pieces = [p for p in _split_at_br(h) if p]
    if len(pieces) != 2:
        return None
    head, credit = pieces
    if len(credit) > 40 or not (_BY_PREFIX.match(credit) or _CREDIT_ROLE.search(credit)):
        return None
    return head, credit


def _heading_text(h: HtmlElement, site_names: list[str]) -> str:
    """The <h1>'s text without a site name linked at its end (…<a href="/">Site Name</a>) and without an
    author credit after a <br>: neither is part of the headline."""
    split = headline_credit(h)
    if split:
        return split[0]
    kids = [c for c in h if isinstance(c.tag, str)]
    last = kids[-1] if kids else None
    if (
        last is not None
        and last.tag == "a"
        and not clean(last.tail)
        and _names_site(last.text_content(), site_names, edition=True)
    ):
        head = clean(" ".join([h.text or "", *(clean(c.text_content()) + " " + (c.tail or "") for c in kids[:-1])]))
        if len(head) >= 10:
            return head
    return clean(h.text_content())


def headings(tree: HtmlElement, site_names: list[str]) -> list[str]:
    """The texts of the page's <h1>s, logos left out; the headline <h1> comes first."""
    out = []
    for h in tree.iter("h1"):
        if _is_logo(h, site_names):
            continue
        text = _heading_text(h, site_names)
        if text and len(text) < 400:
            out.append(text)
    return out


# Class words of a breadcrumb trail. Themes that show the headline in an <h2> often put the SEO title in an
# <h1> at the end of the trail: that <h1> is the search-engine title, not the headline a reader sees.
_TRAIL_WORDS = frozenset({"breadcrumb", "breadcrumbs", "breadbar", "crumb", "crumbs", "crumbtrail", "seotitle"})
_TRAIL_TAGS = frozenset({"nav", "li", "ol", "ul"})
# A shown heading inside these is another story's (teaser cards, related rails), not this page's headline.
_OTHER_STORY_WORDS = frozenset({"teaser", "teasers", "card", "cards", "related", "recommended", "promo", "carousel"})


def _words(el: HtmlElement) -> set[str]:
    raw = f"{el.get('class') or ''} {el.get('id') or ''}"
    return {w.lower() for w in _H_CLASS_SPLIT.split(raw) if w}


def _in_trail(h: HtmlElement) -> bool:
    """The <h1> sits in a breadcrumb trail (a list or <nav>, or an element the theme names so)."""
    if _words(h) & _TRAIL_WORDS or any("breadcrumb" in name.lower() for name in h.attrib):
        return True
    for depth, anc in enumerate(h.iterancestors()):
        if depth > 4 or anc.tag in ("body", "article", "main", "header"):
            break
        if anc.tag in _TRAIL_TAGS or _words(anc) & _TRAIL_WORDS:
            return True
    return False


def trail_heading(tree: HtmlElement, site_names: list[str]) -> str | None:
    """The text of the page's headline <h1> when that <h1> is the end of a breadcrumb trail."""
    h = headline_h1(tree, site_names)
    if h is None or not _in_trail(h):
        return None
    return clean(h.text_content())


def _shown_heading(tree: HtmlElement, declared: list[str]) -> str | None:
    """The <h2> (or a part of it: kicker and headline are often two spans) that shows one of the declared
    titles, outside other stories' teasers: the headline when the <h1> is only the breadcrumb's SEO title."""
    wanted = {_norm(d) for d in declared if d}
    for n, h in enumerate(tree.iter("h2")):
        if n >= 30:
            break
        if any(_words(a) & _OTHER_STORY_WORDS or a.tag in ("aside", "footer") for a in h.iterancestors()):
            continue
        if _words(h) & _OTHER_STORY_WORDS:
            continue
        for el in (h, *(c for c in h if isinstance(c.tag, str))):
            text = clean(el.text_content())
            if text and _norm(text) in wanted:
                return text
    return None


_KICKER_SEP = re.compile(r"[:|/»\-–—]\s*$")
# What may follow the <h1>'s text in a declared title: a "- Site" suffix, or an aside in brackets the page does
# not show in the headline ("Headline (photo: Reuters)", "Headline [video]").
_DECLARED_EXTRA = re.compile(r"[:|/»\-–—(\[【]")


def pick_title(data: PageData, h1s: list[str], site_names: list[str], tree: HtmlElement | None = None) -> str | None:
    """The headline. Pages state it up to three times (JSON-LD headline, og:title, <h1>), often differently:
    SEO variants, "| Site" suffixes, kickers glued on. The version most of them agree on wins; ties go
    to JSON-LD, which is written for the article rather than for the share card or the layout."""
    art = data.ld_article or {}

    def declared(value: str | None) -> str | None:
        return _strip_site(clean(_strip_tags(value)), site_names) if value else None

    cands: dict[str, str | None] = {
        "ld": declared(ld_text(art.get("headline"))),
        "og": declared(data.first("og:title")),
        "h1": h1s[0] if h1s else None,
    }
    shown = None
    if tree is not None and h1s and trail_heading(tree, site_names) is not None:
        # The <h1> is the breadcrumb's SEO title. When an <h2> shows one of the declared titles (other than
        # that SEO title), that is the headline a reader sees, and it takes the <h1>'s vote.
        others = [data.first("twitter:title"), declared(data.title_tag)]
        seo = _norm(h1s[0])
        shown = _shown_heading(tree, [v for v in (cands["ld"], cands["og"], *others) if v and _norm(v) != seo])
        if shown:
            cands["h1"] = shown
    bare = heading_without_kicker(tree, site_names) if tree is not None and shown is None else None
    if bare and cands["h1"] and _norm(cands["h1"]) not in {_norm(v) for v in (cands["ld"], cands["og"]) if v}:
        # The declared titles do not carry the <h1>'s kicker: the headline proper is the rest of it.
        cands["h1"] = bare
    h1 = cands["h1"]
    if h1:
        nh = _norm(h1)
        for key in ("ld", "og"):
            value = cands[key]
            if (
                value
                and len(nh) >= 8
                and _norm(value).startswith(nh)
                and _DECLARED_EXTRA.match(_norm(value)[len(nh) :].strip()[:1] or "x")
            ):
                cands[key] = h1  # "<h1> - Site Name": the h1 shows where the suffix starts
    # An unescaped quote inside the og:title attribute cuts it short (content="Boy writes "help" note" gives
    # "Boy writes "): an og:title that is a strict prefix of another title, which goes on with a quote, is
    # that cut, and the longer title is what it said.
    if cands["og"]:
        cut = _norm(cands["og"])
        for key in ("ld", "h1"):
            full = _norm(cands[key] or "")
            if len(full) > len(cut) and full.startswith(cut) and full[len(cut) :].lstrip()[:1] in ('"', "'"):
                cands["og"] = cands[key]
                break
    # "Kicker: Headline" next to a plain "Headline": the issue asks for the headline without its kicker.
    for a in cands:
        for b in cands:
            va, vb = cands[a], cands[b]
            if a == b or not va or not vb:
                continue
            na, nb = _norm(va), _norm(vb)
            if len(nb) >= 12 and len(na) > len(nb) and na.endswith(nb) and _KICKER_SEP.search(na[: -len(nb)]):
                cands[a] = vb
    values = [v for v in cands.values() if v]
    if values:
        votes: dict[str, int] = {}
        for v in values:
            votes[_norm(v)] = votes.get(_norm(v), 0) + 1
        top = max(votes.values())
        return next(v for v in values if votes[_norm(v)] == top)
    for fallback in (data.first("twitter:title"), ld_text(art.get("name")), data.title_tag):
        if fallback:
            return declared(fallback)
    return None


# --------------------------------------------------------------------------------------------- authors

# "By X" / "Von X": a preposition, then the name. Role words ("Redaktion", "Text") only count as a prefix
# with a colon: "Redaktion hessenschau.de" is the credit itself, "Text: Anna Muster" is a prefix.
_BY_PREFIX = re.compile(
    r"^(?:(?:by|von|por|par|av|door|di|da|af|od|przez|от|written by|reporting by)\s*[:\-]?\s+"
    r"|(?:автор|авторы|text|texte|texto|tekst|author|autor|autorin|auteur|autore|redacción|redaktion|fotos?)"
    r"\s*[:\-]\s*)",
    re.I,
)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|/|\band\b|\bund\b|\by\b|\bet\b|\bog\b|\boch\b|\ben\b|\be\b|\bi\b|\bv\b)\s*", re.I)
_SOCIAL = re.compile(r"\b(?:twitter|facebook|instagram|linkedin|whatsapp|telegram|e-?mail|share|follow)\b", re.I)
_ROLE_SUFFIX = re.compile(r"\s*(?:\([^)]{0,40}\)|기자|특파원|記者|特派員|论说委员|记者)$")
_NOT_PEOPLE = re.compile(
    r"^(?:staff|staff writer|editor|editors|redaktion|redaction|rédaction|admin|administrator|newsroom|"
    r"desk|web desk|news desk|online|team|null|none|unknown|anonymous|guest|reporter|correspondent|"
    # "the newsroom" in other languages: a desk, not a person
    r"redacción|redaccion|redação|redacao|redazione|redactie|redakcja|redakce|redaksjonen|redaktionen|redaksiyon)$",
    re.I,
)


# The CMS account that pressed "publish" (WordPress "admin"), named in JSON-LD as if it were the writer.
_CMS_ACCOUNTS = frozenset({"admin", "administrator", "webmaster", "wpadmin", "root", "editor", "user"})


def _is_cms_account(link: Any) -> bool:
    if not isinstance(link, str) or "/author" not in link:
        return False
    slug = link.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    return slug in _CMS_ACCOUNTS


def _author_names(value: Any, depth: int = 0) -> list[str]:
    if depth > 4 or value is None:
        return []
    if isinstance(value, list):
        return [n for v in value for n in _author_names(v, depth + 1)]
    if isinstance(value, dict):
        if _is_cms_account(value.get("url")) or _is_cms_account(value.get("@id")):
            return []
        name = value.get("name")
        if isinstance(name, list | dict):
            return _author_names(name, depth + 1)
        if not name and (value.get("givenName") or value.get("familyName")):
            name = f"{value.get('givenName') or ''} {value.get('familyName') or ''}"
        return [clean(name)] if isinstance(name, str) and clean(name) else []
    if isinstance(value, str):
        return [clean(value)] if clean(value) else []
    return []


def normalize_authors(names: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        raw = _strip_tags(clean(raw))
        if not raw or raw.startswith(("http://", "https://", "www.")) or "@" in raw:
            continue
        parts = _SPLIT.split(raw) if len(raw) > 40 or re.search(r",|;| and | und |&|\S/\S", raw) else [raw]
        for part in parts:
            part = _ROLE_SUFFIX.sub("", _BY_PREFIX.sub("", clean(part))).strip(" .,:;-–|")
            if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", part):
                continue  # a URL slug ("sophie-foster") next to the real name
            if not part or len(part) > 60 or len(part.split()) > 6 or re.search(r"(?<!\w)\d", part):
                continue
            if _NOT_PEOPLE.match(part) or _SOCIAL.search(part):
                continue
            key = _norm(part)
            if key not in seen:
                seen.add(key)
                out.append(part)
    return tuple(out)


_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "twitter:creator:name",
    "cxenseparse:author",
)


def _compact(s: str) -> str:
    return re.sub(r"\W|_", "", _norm(s))


def _is_publisher(name: str, publishers: list[str]) -> bool:
    """The site naming itself as author ("STERN.de", "n-tv NACHRICHTEN"): not a byline."""
    key = _compact(name)
    if not key:
        return True
    for pub in publishers:
        pk = _compact(pub)
        if pk and (key == pk or (len(pk) >= 3 and (key.startswith(pk) or pk.startswith(key)))):
            return True
    return False


_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(@class,'author') or contains(@class,'byline')"
    " or contains(@class,'Author') or contains(@class,'Byline') or contains(@class,'autor')]"
)


# Bylines inside these belong to other stories (teaser cards, related rails), not to this one.
_FOREIGN_BYLINE_WORDS = frozenset(
    {"card", "cards", "teaser", "teasers", "related", "recommended", "recommendations", "promo", "rail", "sidebar"}
)
_FOREIGN_BYLINE_TAGS = frozenset({"aside", "nav", "footer"})
_CLASS_WORDS = re.compile(r"[\s_\-:/\[\]]+|(?<=[a-z])(?=[A-Z])")


def _in_other_story(el: HtmlElement) -> bool:
    for depth, anc in enumerate(el.iterancestors()):
        if depth > 10:
            break
        if anc.tag in _FOREIGN_BYLINE_TAGS:
            return True
        if anc.tag in ("body", "html", "main"):
            break  # page-level classes describe the template, not this element
        raw = anc.get("class")
        if raw and _FOREIGN_BYLINE_WORDS.intersection(w.lower() for w in _CLASS_WORDS.split(raw)):
            return True
    return False


def _byline_names(tree: HtmlElement) -> list[str]:
    """Names in byline elements of this story (not of teaser cards around it)."""
    found: list[str] = []
    for el in tree.xpath(_BYLINE_XPATH)[:40]:
        if el.tag in ("meta", "link", "script", "style", "img") or el.find(".//p") is not None:
            continue
        if _in_other_story(el):
            continue
        links = [a for a in el.iter("a") if clean(a.text_content())]
        texts = [clean(a.text_content()) for a in links] if links else [clean(el.text_content())]
        for text in texts:
            if 3 <= len(text) <= 60:
                found.append(text)
        if len(found) >= 6:
            break
    return found


_NAME_LIKE = re.compile(r"^(?:[A-ZÀ-ÞĀ-Ž][\w'’.-]+\s+){1,3}[A-ZÀ-ÞĀ-Ž][\w'’.-]+$")
_PROSE_MIN = 80


def _bold_name_lines(tree: HtmlElement) -> list[str]:
    """A paragraph that is only a bold name ("<p><strong>Jane Doe</strong></p>") next to body prose: the byline
    many CMS themes put at the top or the bottom of the story text."""
    for p in tree.iter("p"):
        kids = [c for c in p if isinstance(c.tag, str)]
        if len(kids) != 1 or kids[0].tag not in ("strong", "b") or clean(p.text) or clean(kids[0].tail):
            continue
        names = clean(kids[0].text_content())
        if not 4 <= len(names) <= 80:
            continue
        neighbours = [n for n in (p.getprevious(), p.getnext()) if n is not None and n.tag == "p"]
        if not any(len(clean(n.text_content())) >= _PROSE_MIN for n in neighbours):
            continue
        people = [n for n in normalize_authors([names]) if _NAME_LIKE.match(n)]
        if people and len(people) == len(_SPLIT.split(names)):
            return people
    return []


_ORGANIZATION_TYPES = frozenset({"organization", "newsmediaorganization", "corporation", "newsagency"})


def _organizations_only(value: Any) -> bool:
    """JSON-LD names only organizations as the author (no Person, no plain name)."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(i, dict) and bool(types := ld_types(i)) and types <= _ORGANIZATION_TYPES for i in items
    )


# Chinese credit lines at the top of a story: "文/NAME", "作者：NAME", "（记者 NAME）", "扬子晚报记者 NAME". The
# label may be followed by the writer's outlet and role ("文/观察者网专栏作者 王文"): the names are what follows.
_CJK_LABELLED = re.compile(r"^(?:文|作者|撰文|文字)\s*[/／|｜:：]\s*(?P<rest>.+)$")
_CJK_REPORTER = re.compile(r"^[\u4e00-\u9fff]{0,10}?(?:特约记者|见习记者|记者|記者)\s+(?P<rest>.+)$")
_CJK_ROLE_END = re.compile(r"(?:作者|记者|記者|编辑|編集委員|通讯员|评论员|撰稿人)$")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,8}")
_CJK_NOT_NAMES = frozenset({"未知", "佚名", "匿名", "本报", "本站", "综合", "网友", "编辑"})
_BRACKETED = re.compile(r"[【\[（(]([^】\]）)]{2,40})[】\]）)]")


def _cjk_credit(text: str) -> list[str]:
    """The names a Chinese credit line gives, [] when the text is not one."""
    for match in (_CJK_LABELLED.match(text), _CJK_REPORTER.match(text)):
        if not match:
            continue
        names: list[str] = []
        for token in re.split(r"[\s、，,]+", match.group("rest")):
            if ":" in token or "：" in token:
                break  # the next label ("责任编辑：…", the editor) begins
            if _CJK_ROLE_END.search(token):
                names = []  # "观察者网专栏作者": outlet and role come before the names
            elif _CJK_NAME.fullmatch(token) and token not in _CJK_NOT_NAMES:
                names.append(token)
            else:
                break
        if names:
            return names
    return []


_CREDIT_TAGS = frozenset({"p", "div", "span", "em", "strong", "font", "td"})


def _header_credits(tree: HtmlElement, start: HtmlElement) -> list[str]:
    """Names in a Chinese credit line between the headline and the first paragraphs of the story: a short
    block of its own, or a bracketed credit opening a paragraph ("新京报快讯（记者 NAME）今日…")."""
    started = False
    prose = 0
    for el in tree.iter():
        if el is start:
            started = True
            continue
        if not started or el.tag not in _CREDIT_TAGS or start in el.iterancestors():
            continue
        text = clean(el.text_content())
        if len(text) >= 80:
            prose += 1
            if prose > 3:
                break  # well into the story: credits further down are not the byline
        if not text or any(c.tag in ("p", "div", "li", "table") for c in el.iterdescendants()):
            continue
        if _in_other_story(el):
            continue
        opening = _BRACKETED.search(text[:30])
        for cand in (text.strip("【】[]（）() ") if len(text) <= 40 else "", opening.group(1) if opening else ""):
            names = _cjk_credit(clean(cand)) if cand else []
            if names:
                return names
    return []


def _heading_by_text(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The <h1>-<h3> showing the title: the headline element when the page has no headline <h1>."""
    if not title:
        return None
    key = _norm(title)
    for n, h in enumerate(tree.iter("h1", "h2", "h3")):
        if n > 60:
            break
        if _norm(clean(h.text_content())) == key:
            return h
    return None


# "<li><strong>Author</strong> Julian Tompkin</li>", "<dt>Autor</dt><dd>Jan Novak</dd>": a label, then the name.
_AUTHOR_LABEL = re.compile(
    r"^(?:authors?|written by|writer|autor|autorin|autoren|auteur|autore|autora|text|texto|tekst|reporter)\s*:?$", re.I
)
_LABEL_XPATH = etree.XPath(
    "//body//*[self::strong or self::b or self::dt or self::th or self::span or self::label]"
    "[string-length(normalize-space()) < 16]"
)


# Lower case, as addresses are written: "St.Louis" or "J.R.R." in a name are not one.
_DOMAIN_IN_CREDIT = re.compile(r"\b(?:www\.)?([a-z0-9-]+)\.[a-z]{2,6}\b")


def _names_own_site(credit: str, publisher_names: list[str]) -> bool:
    domain = _DOMAIN_IN_CREDIT.search(credit)
    return domain is not None and _is_publisher(domain.group(1), publisher_names)


def _labelled_byline(tree: HtmlElement, publisher_names: list[str]) -> tuple[str, ...]:
    """A name the page labels as the author's, in a short facts list or table (no byline class, no markup)."""
    for label in _LABEL_XPATH(tree)[:400]:
        if not _AUTHOR_LABEL.match(clean(label.text_content())) or _in_other_story(label):
            continue
        holder = label.getnext() if label.tag in ("dt", "th") else label.getparent()
        if holder is None:
            continue
        text = clean(holder.text_content())
        if label.tag not in ("dt", "th"):
            text = (
                clean(text[len(clean(label.text_content())) :]) if text.startswith(clean(label.text_content())) else ""
            )
        if not text or len(text) > 80:
            continue
        names = tuple(
            n for n in normalize_authors([text]) if _NAME_LIKE.match(n) and not _is_publisher(n, publisher_names)
        )
        if names:
            return names[:4]
    return ()


def pick_authors(
    data: PageData, tree: HtmlElement, publisher_names: list[str], title: str | None = None
) -> tuple[str, ...]:
    """People first: structured data, then meta tags, then byline markup. A page that credits only
    itself or an agency ("DER SPIEGEL", "Associated Press") gets that credit, as the site states it."""
    art = data.ld_article or {}
    fallback: tuple[str, ...] = ()
    ld_value = art.get("author")
    ld_names = _author_names(ld_value)
    if not ld_names:
        ld_value = art.get("creator")
        ld_names = _author_names(ld_value)
    if _organizations_only(ld_value):
        # An organization is a credit, not a person ("日本経済新聞社" on a site named "日本経済新聞 電子版"):
        # it is what the page gets when nothing below names a person.
        fallback = normalize_authors(ld_names)
        ld_names = []
    # "hessenschau.de, Frankfurt, Germany": a credit that opens with the site's name goes on with its address;
    # "Deutsche Welle (www.dw.com)": a credit that gives the site's own address is the site's.
    meta = [
        n
        for n in data.all(*_AUTHOR_META)
        if not ("," in n and _is_publisher(n.split(",")[0], publisher_names))
        and not _names_own_site(n, publisher_names)
    ]
    fallback = fallback or normalize_authors(
        [n for n in data.all(*_AUTHOR_META) if _names_own_site(n, publisher_names)]
    )
    for names in (ld_names, meta):
        authors = normalize_authors(names)
        people = tuple(a for a in authors if not _is_publisher(a, publisher_names))
        if people:
            return people
        fallback = fallback or authors
    # Markup bylines are noisy (share buttons, datelines): only name-shaped strings count.
    byline = tuple(
        n
        for n in normalize_authors(_byline_names(tree))
        if _NAME_LIKE.match(n) and not _is_publisher(n, publisher_names)
    )[:4]
    if byline:
        return byline
    h1 = headline_h1(tree, publisher_names)
    split = headline_credit(h1) if h1 is not None else None
    if split:
        # "<h1>Headline<br>編集委員　中沢克二</h1>": the role word says the line names the writer.
        credited = normalize_authors([_CREDIT_ROLE.sub("", split[1])])
        if credited:
            return credited
    start = h1 if h1 is not None else _heading_by_text(tree, title)
    credits = normalize_authors(_header_credits(tree, start)) if start is not None else ()
    return credits or tuple(_bold_name_lines(tree)) or _labelled_byline(tree, publisher_names) or fallback


# ----------------------------------------------------------------------------------------------- dates

_PUB_META = (
    "article:published_time",
    "og:article:published_time",
    "published_time",
    "datepublished",
    "article.published",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "date",
    "cxenseparse:recs:publishtime",
    "article:published",
    "originalpublicationdate",
    "publication_date",
    "pub_date",
    "release_date",
    "citation_publication_date",
)
_MOD_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "lastmod",
    "article.updated",
    "article:modified",
)


def iso_date(value: Any) -> str | None:
    """Normalize a declared date to ISO 8601, keeping time and offset when given."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?", s):
        return iso_date(int(s))
    m = re.match(
        r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?\s*"
        r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
        s,
    )
    if m:
        y, mo, d, hh, mi, ss, frac, tz = m.groups()
        try:
            if hh is None:
                return dt.date(int(y), int(mo), int(d)).isoformat()
            micro = int((frac or "0")[:6].ljust(6, "0"))
            tzinfo = None
            if tz:
                if tz in ("Z", "UTC", "GMT"):
                    tzinfo = dt.UTC
                else:
                    sign = -1 if tz[0] == "-" else 1
                    digits = tz[1:].replace(":", "")
                    off = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
                    tzinfo = dt.timezone(sign * off)
            stamp = dt.datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), micro, tzinfo)
            return stamp.isoformat()
        except ValueError:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(s)
        return parsed.isoformat() if parsed else None
    except (TypeError, ValueError, IndexError):
        pass
    return None


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CLOCK = (
    r"(?:(?:T|,?\s*(?:at\s+|um\s+)?)(?P<hh>\d{1,2})[:時](?P<mi>\d{2})(?::(?P<ss>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
_ZONE = r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
# A shown date: "2019-09-05 11:10", "2019年9月5日 11:10", "05.09.2019, 11:10", "Thu, 14 May 2020 17:55 UTC",
# "December 27, 2014 at 12:10 PM". Month names in English only: other languages' are left to htmldate.
_SHOWN_DATES = tuple(
    re.compile(p + _CLOCK + _ZONE, re.I)
    for p in (
        r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?",
        r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d{2})(?!\d)",
        r"\b(?P<d>\d{1,2})\.?\s+(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?P<y>(?:19|20)\d{2})\b",
        r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
        r"(?P<y>(?:19|20)\d{2})\b",
    )
)
_UPDATED = re.compile(r"updat|aktualisiert|更新|修改|mis à jour|actualiz|aggiornat", re.I)


def shown_date(text: str) -> str | None:
    """The first date (with its time and zone when shown) in a line of text, as ISO 8601."""
    for pattern in _SHOWN_DATES:
        m = pattern.search(text)
        if not m or _UPDATED.search(text[: m.start()]):
            continue
        g = m.groupdict()
        month = _MONTHS.index(g["mon"].lower()[:3]) + 1 if g.get("mon") else int(g["m"])
        try:
            day = dt.date(int(g["y"]), month, int(g["d"]))
            if g["hh"] is None:
                return day.isoformat()
            hour = int(g["hh"])
            if g["ampm"]:  # "12:10 PM"
                hour = hour % 12 + (12 if g["ampm"].lower().startswith("p") else 0)
            stamp = dt.datetime(day.year, day.month, day.day, hour, int(g["mi"]), int(g["ss"] or 0))
        except ValueError:
            continue
        zone = g["tz"] or ""
        return iso_date(stamp.isoformat() + ("Z" if zone.upper() in ("UTC", "GMT") else zone))
    return None


# Lists of other stories: a date inside one is that story's.
# The byline check's containers of other stories, and list items: a date in a linked list item is a teaser's.
_STORY_LIST_TAGS = _FOREIGN_BYLINE_TAGS | {"li"}


def _in_story_list(el: HtmlElement, stop: set[HtmlElement]) -> bool:
    """The element sits in a list item, aside, nav or rail below the `stop` ancestors (those holding the
    headline: a header that is an <aside> holds the story's own date)."""
    for anc in (el, *el.iterancestors()):
        if anc in stop or anc.tag in ("body", "html"):
            return False  # page-level classes ("has-sidebar") describe the template
        if anc.tag in _STORY_LIST_TAGS and (anc.tag != "li" or anc.find(".//a") is not None):
            return True  # a list item only when it links somewhere: "<li>Published 3 May</li>" is a meta line
        if _words(anc) & _FOREIGN_BYLINE_WORDS:
            return True
    return False


def _headline_block_date(h1: HtmlElement) -> str | None:
    """The date shown between the headline and the story: a <time>, or a date in a line of text."""
    stop = set(h1.iterancestors())
    seen = 0
    started = False
    for el in h1.getroottree().iter():
        if el is h1:
            started = True
            continue
        if not started or not isinstance(el.tag, str) or el.tag in ("script", "style") or h1 in el.iterancestors():
            continue
        seen += 1
        if seen > 60:
            break
        if _in_story_list(el, stop):
            continue
        declared = iso_date(el.get("datetime")) if el.get("datetime") else None
        if declared:
            return declared
        for text in (el.text, *(c.tail for c in el)):
            text = clean(text)
            if len(text) >= 100:
                return None  # the story has begun
            found = shown_date(text) if text else None
            if found:
                return found
    return None


def pick_dates(
    data: PageData, tree: HtmlElement, site_names: list[str], title: str | None = None
) -> tuple[str | None, str | None]:
    art = data.ld_article or {}
    published = iso_date(art.get("datePublished")) or iso_date(art.get("dateCreated"))
    if not published:
        for name in _PUB_META:
            published = next((d for d in map(iso_date, data.all(name)) if d), None)
            if published:
                break
    if not published:
        for el in tree.xpath('//*[@itemprop="datePublished"]|//time[@pubdate]')[:5]:
            published = iso_date(el.get("datetime") or el.get("content"))
            if published:
                break
    if not published:
        # Nothing declared: the date shown under the headline comes before a <time> elsewhere in the
        # article, which may be a sidebar list's or a site clock.
        h1 = headline_h1(tree, site_names)
        if h1 is None:
            h1 = _heading_by_text(tree, title)
        published = _headline_block_date(h1) if h1 is not None else None
    if not published:
        published = _labelled_date(tree)
    if not published:
        for el in tree.xpath("//article//time[@datetime]|//main//time[@datetime]")[:8]:
            if not _in_story_list(el, set()):
                published = iso_date(el.get("datetime"))
                if published:
                    break
    modified = iso_date(art.get("dateModified"))
    if not modified:
        modified = next((d for d in map(iso_date, data.all(*_MOD_META)) if d), None)
    return published, modified


# "Veröffentlicht am 07.06.2019", "Published on June 7, 2019", "<strong>Date</strong> 10.06.2013": the page says
# which date is the publication's. Site clocks ("Montag, 09.12.2019") and teasers' dates carry no such label.
_PUBLICATION_LABEL = re.compile(
    r"\b(?:veröffentlicht|erschienen|publiziert|published|posted|publié|publicado|pubblicato|gepubliceerd|"
    r"publicerad|publisert|offentliggjort|date|datum|fecha)"
    r"(?:\s+(?:am|on|le|el|il|op|den|em))?\s*:?\s*"
    r"(?P<date>\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+[^\W\d_]{3,10}\.?\s+\d{4}"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2},?\s+\d{4})",
    re.I,
)
_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (
            "jan january januar janvier enero gennaio",
            "feb february februar février febrero febbraio",
            "mar march märz mars marzo",
            "apr april avril abril aprile",
            "may mai mayo maggio",
            "jun june juni juin junio giugno",
            "jul july juli juillet julio luglio",
            "aug august août agosto",
            "sep sept september septembre septiembre settembre",
            "oct october oktober octobre octubre ottobre",
            "nov november novembre noviembre",
            "dec december dezember décembre diciembre dicembre",
        ),
        start=1,
    )
    for name in names.split()
}


def _labelled_date(tree: HtmlElement) -> str | None:
    body = tree.find("body")
    if body is None:
        return None
    match = _PUBLICATION_LABEL.search(" ".join(body.text_content()[:300_000].split()))
    if match is None:
        return None
    value = match.group("date")
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    month_name = re.search(r"[^\W\d_]+", value)
    try:
        if month_name is None:
            year, month, day = numbers if "-" in value else numbers[::-1]
        else:
            month = _MONTH_NUMBERS.get(month_name.group().lower().rstrip("."), 0)
            day, year = numbers
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ other fields


def absolute(url: str | None, base: str) -> str | None:
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not url or url.startswith(("javascript:", "data:", "#")):
        return None
    try:
        out = urljoin(base, url)
    except ValueError:
        return None
    return out if urlsplit(out).scheme in ("http", "https") else None


def pick_canonical(data: PageData, url: str) -> str | None:
    art = data.ld_article or {}
    main = art.get("mainEntityOfPage")
    ld_url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else None
    for cand in (data.canonical_link, data.first("og:url"), ld_text(art.get("url")), ld_url):
        out = absolute(cand, url)
        if out:
            return out
    return None


def pick_image(data: PageData, url: str) -> str | None:
    art = data.ld_article or {}
    img = art.get("image") or art.get("thumbnailUrl")
    if isinstance(img, list):
        img = img[0] if img else None
    if isinstance(img, dict):
        img = img.get("url") or img.get("contentUrl") or img.get("@id")
    return absolute(
        data.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
        or (img if isinstance(img, str) else None),
        url,
    )


def pick_tags(data: PageData) -> tuple[str, ...]:
    art = data.ld_article or {}
    raw: list[str] = []
    kw = art.get("keywords")
    if isinstance(kw, str):
        raw.extend(kw.split(","))
    elif isinstance(kw, list):
        raw.extend(k for k in kw if isinstance(k, str))
    raw.extend(data.all("article:tag"))
    if not raw:
        for v in data.all("news_keywords", "keywords"):
            raw.extend(v.split(","))
    out: list[str] = []
    seen: set[str] = set()
    for t in raw:
        t = clean(t)
        if t and len(t) <= 80 and _norm(t) not in seen:
            seen.add(_norm(t))
            out.append(t)
    return tuple(out[:50])


def pick_section(data: PageData) -> str | None:
    art = data.ld_article or {}
    return ld_text(art.get("articleSection")) or data.first("article:section", "parsely-section", "section")


def pick_description(data: PageData) -> str | None:
    art = data.ld_article or {}
    return clean(_strip_tags(data.first("og:description", "description", "twitter:description") or "")) or ld_text(
        art.get("description")
    )


def pick_site_name(data: PageData) -> str | None:
    return clean(data.first("og:site_name", "application-name", "publisher") or "") or data.ld_publisher
