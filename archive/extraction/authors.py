"""Who wrote the story: where the page credits its writers (JSON-LD, meta tags, byline markup, a credit after
the headline, Chinese credit lines, a labelled facts list, a bold name beside the text) and which credits are
people rather than the site's own name or an agency's. The credit strings are read by `credits.py`."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from .credits import CREDIT_ROLE, NAME_LIKE, NAME_SPLIT, normalize_authors
from .normalize import CLASS_SPLIT, clean, compact
from .structured import PageData, ld_types
from .title import heading_by_text, headline_credit, headline_h1
from .xpath import any_of

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


def _is_publisher(name: str, publishers: list[str]) -> bool:
    """The site naming itself as author ("STERN.de", "n-tv NACHRICHTEN"): not a byline."""
    key = compact(name)
    if not key:
        return True
    for pub in publishers:
        pk = compact(pub)
        if pk and (key == pk or (len(pk) >= 3 and (key.startswith(pk) or pk.startswith(key)))):
            return True
    return False


# The first predicate only spares the others' string tests on the elements without any of the three attributes.
_BYLINE_XPATH = etree.XPath(
    "//*[@class or @rel or @itemprop][@rel='author' or @itemprop='author' or contains(@class,'author')"
    " or contains(@class,'byline') or contains(@class,'Author') or contains(@class,'Byline')"
    " or contains(@class,'autor')]"
)


# Bylines inside these belong to other stories (teaser cards, related rails), not to this one.
FOREIGN_BYLINE_WORDS = frozenset(
    {"card", "cards", "teaser", "teasers", "related", "recommended", "recommendations", "promo", "rail", "sidebar"}
)
FOREIGN_BYLINE_TAGS = frozenset({"aside", "nav", "footer"})


def _in_other_story(el: HtmlElement) -> bool:
    """The element sits in an aside, nav or footer, or in a container its class calls another story's (a card,
    a teaser, a related rail); classes above <main> describe the page's template and are not read."""
    for depth, anc in enumerate(el.iterancestors()):
        if depth > 10:
            break
        if anc.tag in FOREIGN_BYLINE_TAGS:
            return True
        if anc.tag in ("body", "html", "main"):
            break  # page-level classes describe the template, not this element
        raw = anc.get("class")
        if raw and FOREIGN_BYLINE_WORDS.intersection(w.lower() for w in CLASS_SPLIT.split(raw)):
            return True
    return False


def _byline_names(tree: HtmlElement) -> list[str]:
    """Names in byline elements of this story (not of teaser cards around it)."""
    found: list[str] = []
    for el in _BYLINE_XPATH(tree)[:40]:
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
        people = [n for n in normalize_authors([names]) if NAME_LIKE.match(n)]
        if people and len(people) == len(NAME_SPLIT.split(names)):
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


# "<li><strong>Author</strong> Julian Tompkin</li>", "<dt>Autor</dt><dd>Jan Novak</dd>": a label, then the name.
_AUTHOR_LABEL = re.compile(
    r"^(?:authors?|written by|writer|autor|autorin|autoren|auteur|autore|autora|text|texto|tekst|reporter)\s*:?$", re.I
)
_LABEL_XPATH = any_of(("strong", "b", "dt", "th", "span", "label"), "[string-length(normalize-space()) < 16]")


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
            n for n in normalize_authors([text]) if NAME_LIKE.match(n) and not _is_publisher(n, publisher_names)
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
        if NAME_LIKE.match(n) and not _is_publisher(n, publisher_names)
    )[:4]
    if byline:
        return byline
    h1 = headline_h1(tree, publisher_names)
    split = headline_credit(h1) if h1 is not None else None
    if split:
        # "<h1>Headline<br>編集委員　中沢克二</h1>": the role word says the line names the writer.
        credited = normalize_authors([CREDIT_ROLE.sub("", split[1])])
        if credited:
            return credited
    start = h1 if h1 is not None else heading_by_text(tree, title)
    credits = normalize_authors(_header_credits(tree, start)) if start is not None else ()
    return credits or tuple(_bold_name_lines(tree)) or _labelled_byline(tree, publisher_names) or fallback
