"""The headline: which <h1> shows it, and which of the page's versions of it (JSON-LD, og:title, <h1>) to
keep, without "| Site" suffixes, glued-on kickers, breadcrumb SEO titles or an author credit after a <br>."""

from __future__ import annotations

import html
import itertools
import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .credits import BY_PREFIX, CREDIT_ROLE
from .normalize import class_words, clean, compact, ld_text, norm, strip_tags
from .structured import PageData

# Full-width separators (CJK titles: "Headline：Site", "Headline｜Site") need no spaces around them.
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•:»«/]|::)\s+|\s*[：｜丨]\s*")
# "Headline (Site)", "Headline [Site]": the site's name in brackets at the end.
_BRACKETED_SUFFIX = re.compile(r"\s*[(\[【](?P<site>[^()\[\]【】]{2,60})[)\]】]\s*$")


# "Headline-Sectionㅣ Site", "Headline_Section_Site": some CMSs glue the suffix on without spaces (Korean sites use
# the letter ㅣ as a bar, Chinese ones underscores).
_GLUED_SITE_SUFFIX = re.compile(r"(?<=\S)[|｜ㅣ_](?P<site>\S[^|｜ㅣ_]{0,39})$")
_GLUED_SECTION = re.compile(r"[-_][^\W\d_]{1,8}$")


# "The Times of India" calls itself "Times of India" in its title suffix: the article is no part of the name.
_LEADING_THE = re.compile(r"^the\s+(?=\S)")


def _site_key(name: str) -> str:
    return compact(_LEADING_THE.sub("", norm(name)))


def _names_site(piece: str, site_names: list[str], edition: bool = False) -> bool:
    """The piece is the site's name: equal to one, or (4+ letters) the start of a longer one, as in
    "Headline：日本経済新聞" on a site that calls itself "日本経済新聞 電子版" (its digital edition). With
    `edition`, also a name that goes on after the site's ("Ultima Hora Mallorca" on ultimahora.es): only for
    text that can be nothing but a name (a link in the headline's tail), as "BBC bosses…" starts with "BBC"."""
    key = _site_key(piece)
    if not key:
        return False
    for site in site_names:
        site_key = _site_key(site) if site else ""
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
    if glued and norm(glued.group("site")) in {norm(s) for s in site_names if s}:
        head = title[: glued.start()].rstrip()
        # With a CJK bar or an underscore, the piece glued on before the site is the section ("-정치", "_智能").
        if title[glued.start()] != "|":  # CJK bars only: in "anti-vax|Site" the hyphen is the headline's
            head = _GLUED_SECTION.sub("", head)
        if len(head) >= 10:
            return head
    bracketed = _BRACKETED_SUFFIX.search(title)
    if bracketed and len(title[: bracketed.start()]) >= 10 and _names_site(bracketed.group("site"), site_names):
        title = title[: bracketed.start()]
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


def _hidden(el: HtmlElement) -> bool:
    """Screen-reader-only or aria-hidden: a separator between kicker and headline that no reader sees."""
    words = class_words(el, with_id=False)
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
    words = class_words(kids[0], with_id=False)
    if not words & _KICKER_WORDS:
        return None
    rest = clean(" ".join(clean(c.text_content()) + " " + clean(c.tail) for c in kids[1:] if not _hidden(c)))
    return rest or None


# Class/id words of the site's logo or name block. Some themes make the logo an <h1> on every page.
_LOGO_WORDS = frozenset({"logo", "brand", "branding", "masthead", "sitename", "sitetitle"})
# Where a link to the site's front page points ("index.html" from a documentation theme's pages).
_FRONT_PAGE_PATHS = frozenset(
    {"/", "./", "../", "index.html", "/index.html", "index.php", "/index.php", "../index.html"}
)


def _links_home(h: HtmlElement, text: str) -> bool:
    """All of the <h1>'s text is one link to the site's front page: the site's name, as a logo."""
    links = h.findall(".//a")
    if len(links) != 1 or clean(links[0].text_content()) != text:
        return False
    parts = urlsplit((links[0].get("href") or "").strip())
    if parts.query:
        return False
    return parts.path in _FRONT_PAGE_PATHS or (bool(parts.netloc) and parts.path == "")


def _is_logo(h: HtmlElement, site_names: list[str]) -> bool:
    """The <h1> is the site's logo, not a headline: its text is the site's name or one link to the front page,
    or it is a short text (a name, not a sentence) in an element the theme calls a logo (h1#website-logo)."""
    text = clean(h.text_content())
    if len(text) <= 60 and _links_home(h, text):
        return True  # a long name ("Notes of the district council") is still the front page's name
    if len(text) > 40 or len(text.split()) > 4:
        return False  # a sentence: the headline, even when application-name repeats it as the "site name"
    if _names_site(text, site_names):
        return True
    for el in (h, *itertools.islice(h.iterancestors(), 2)):
        words = class_words(el)
        if words & _LOGO_WORDS or ("site" in words and words & {"title", "name"}):
            return True
    return False


def logo_names(tree: HtmlElement | None, site_names: list[str]) -> list[str]:
    """The texts of the <h1>s that are the site's logo: the site's name as the page shows it (a "Headline_好奇心日报"
    window title names the site by its logo, where no meta tag does)."""
    if tree is None:
        return []
    return [text for h in tree.iter("h1") if _is_logo(h, site_names) and (text := clean(h.text_content()))]


def headline_h1(tree: HtmlElement, site_names: list[str]) -> HtmlElement | None:
    """The <h1> that holds the headline: the first one with text that is not the site's logo."""
    for h in tree.iter("h1"):
        if clean(h.text_content()) and not _is_logo(h, site_names):
            return h
    return None


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
    if len(credit) > 40 or not (BY_PREFIX.match(credit) or CREDIT_ROLE.search(credit)):
        return None
    return head, credit


# Documentation and blog themes end a heading with a link to itself ("¶", "#", "§", "🔗"): no part of the headline.
_PERMALINK_WORDS = frozenset({"headerlink", "anchor", "anchorjs", "permalink", "heading-anchor", "hash"})
_PERMALINK_GLYPHS = frozenset({"¶", "#", "§", "🔗", "⚓", "¶#"})


def _is_permalink(el: HtmlElement) -> bool:
    if el.tag != "a" or not (el.get("href") or "").startswith("#"):
        return False
    text = clean(el.text_content())
    return text in _PERMALINK_GLYPHS or (len(text) <= 2 and bool(class_words(el, with_id=False) & _PERMALINK_WORDS))


def _glued(left: str, right: str) -> bool:
    """Two elements' texts that meet with no space where one word ends and a capitalised one begins
    ("<span>Nationale Demo</span>Der 9. Juli"): the theme shows them on two lines, so they are two words."""
    if len(left) < 2 or not right or left[-1].isspace() or right[0].isspace():
        return False
    return (left[-1].islower() or left[-1] in ".:!?") and right[0].isupper()


_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")
# Elements that end a line wherever they are: their text and the next never make one word.
_LINE_BREAKING = frozenset({"br", "div", "p", "li", "ul", "ol", "section", "header", "h2", "h3", "h4", "h5", "h6"})


def heading_text(h: HtmlElement) -> str:
    """The heading's text as a reader sees it: without a permalink anchor, and with a space at a line break and
    where the texts of two of its elements would otherwise run into one word."""
    pieces: list[str] = []

    def add(text: str | None) -> None:
        if text:
            if pieces and _glued(pieces[-1], text):
                pieces.append(" ")
            pieces.append(text)

    def walk(node: HtmlElement) -> None:
        add(node.text)
        for child in node:
            if isinstance(child.tag, str) and not _is_permalink(child):
                breaks = child.tag in _LINE_BREAKING
                if breaks:
                    pieces.append(" ")
                walk(child)
                if breaks:
                    pieces.append(" ")
            add(child.tail)

    walk(h)
    text = clean("".join(pieces))
    # Escaped twice by the CMS, the page shows "council&#8217;s": the headline is what the entity stands for.
    return html.unescape(text) if _ENTITY.search(text) else text


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
    return heading_text(h)


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


def _in_trail(h: HtmlElement) -> bool:
    """The <h1> sits in a breadcrumb trail (a list or <nav>, or an element the theme names so)."""
    if class_words(h) & _TRAIL_WORDS or any("breadcrumb" in name.lower() for name in h.attrib):
        return True
    for depth, anc in enumerate(h.iterancestors()):
        if depth > 4 or anc.tag in ("body", "article", "main", "header"):
            break
        if anc.tag in _TRAIL_TAGS or class_words(anc) & _TRAIL_WORDS:
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
    wanted = {norm(d) for d in declared if d}
    for n, h in enumerate(tree.iter("h2")):
        if n >= 30:
            break
        if any(class_words(a) & _OTHER_STORY_WORDS or a.tag in ("aside", "footer") for a in h.iterancestors()):
            continue
        if class_words(h) & _OTHER_STORY_WORDS:
            continue
        for el in (h, *(c for c in h if isinstance(c.tag, str))):
            text = clean(el.text_content())
            if text and norm(text) in wanted:
                return text
    return None


def heading_by_text(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The <h1>-<h3> showing the title: the headline element when the page has no headline <h1>."""
    if not title:
        return None
    key = norm(title)
    for n, h in enumerate(tree.iter("h1", "h2", "h3")):
        if n > 60:
            break
        if norm(clean(h.text_content())) == key:
            return h
    return None


# The punctuation that closes a kicker glued before the headline ("Ukraine: ", "LIVE | ").
_KICKER_SEP = re.compile(r"[:|/»\-–—]\s*$")
# What may follow the <h1>'s text in a declared title: a "- Site" suffix, or an aside in brackets the page does
# not show in the headline ("Headline (photo: Reuters)", "Headline [video]").
_DECLARED_EXTRA = re.compile(r"[:|/»\-–—(\[【]")


# The versions of the headline by source. Their order is the tie-break of the vote: JSON-LD is written for the
# article rather than for the share card or the layout.
_Candidates = dict[str, str | None]


def pick_title(data: PageData, h1s: list[str], site_names: list[str], tree: HtmlElement | None = None) -> str | None:
    """The headline. Pages state it up to three times (JSON-LD headline, og:title, <h1>), often differently:
    SEO variants, "| Site" suffixes, kickers glued on. The version most of them agree on wins; ties go
    to JSON-LD."""
    art = data.ld_article or {}
    ld = _declared_title(ld_text(art.get("headline")), site_names)
    og = _declared_title(data.first("og:title"), site_names)
    h1 = _heading_vote(data, h1s, site_names, tree, ld, og)
    if not ld and not og:
        h1 = _heading_the_title_tag_names(data, h1, h1s, [*site_names, *logo_names(tree, site_names)])
    # A JSON-LD `name` other than its `headline` is a second version from the same markup: Wikipedia's headline is
    # the article's one-line description ("constitutional monarchy in Oceania"), its name the <h1> ("New Zealand").
    name = _declared_title(ld_text(art.get("name")), site_names)
    cands: _Candidates = {
        "ld": ld,
        "og": og,
        "h1": h1,
        "name": name if name and ld and norm(name) != norm(ld) else None,
    }
    _cut_at_heading(cands)
    _mend_cut_og_title(cands)
    _mend_truncated(cands)
    if tree is not None and h1s and h1 == h1s[0]:
        _mend_cut_from_the_front(cands, tree, site_names, data.title_tag)
        _mend_cut_from_the_back(cands, data.title_tag)
    _drop_kickers(cands)
    # An og:title that is another field copied over (the standfirst, the SEO window title) is no vote of its own.
    copied = (
        _og_is_the_standfirst(data, cands)
        or (tree is not None and _og_is_the_window_title(data, cands, tree, site_names))
        or _window_shows_only_the_heading(data, cands, site_names)
    )
    if copied:
        cands["og"] = None
    values = [v for v in cands.values() if v]
    if values:
        return _most_agreed(values)
    for fallback in (data.first("twitter:title"), ld_text(art.get("name"))):
        title = _declared_title(fallback, site_names)
        if title:
            return title
    return _window_title(data.title_tag, site_names)


# The last piece of a window title after a spaced separator: "Headline – My website", "Headline | Jane Doe".
_LAST_PIECE = re.compile(r"\s+(?:[|\-–—·•»]|::)\s+(?P<tail>[^|\-–—·•»:]+)$")


_NOT_A_NAME = re.compile(r"\d|[?!]$")


def _window_title(title_tag: str | None, site_names: list[str]) -> str | None:
    """The <title> tag as the headline, when the page gives no other: without the site's name, and without a short
    last piece after a spaced separator even when nothing on the page names the site so, as "Headline – My website"
    is how window titles end."""
    title = _declared_title(title_tag, site_names)
    if not title:
        return None
    last = _LAST_PIECE.search(title)
    if last is None:
        return title
    tail, head = last.group("tail").strip(), title[: last.start()].rstrip()
    # A name is short and has no number or closing mark: "– Chapter 1", "| Why now?" are the headline's own.
    if len(tail) <= 30 and len(tail.split()) <= 3 and len(head.split()) >= 3 and not _NOT_A_NAME.search(tail):
        return head
    return title


def _declared_title(value: str | None, site_names: list[str]) -> str | None:
    """The declared value without the site's name; None when the site's name is all it says (a share card
    written for the front page). Only name-like site names count there: application-name may be the headline."""
    if not value:
        return None
    title = _strip_site(clean(strip_tags(value)), site_names)
    names = [s for s in site_names if len(s) <= 40 and len(s.split()) <= 5]
    return None if _names_site(title, names) else title


def _heading_vote(
    data: PageData,
    h1s: list[str],
    site_names: list[str],
    tree: HtmlElement | None,
    ld: str | None,
    og: str | None,
) -> str | None:
    """The headline as the page shows it: the first <h1>, unless that <h1> is a breadcrumb's SEO title or
    carries a kicker that the declared titles (`ld`, `og`) leave out."""
    h1 = h1s[0] if h1s else None
    shown = None
    if tree is not None and h1s and trail_heading(tree, site_names) is not None:
        # The <h1> is the breadcrumb's SEO title. When an <h2> shows one of the declared titles (other than
        # that SEO title), that is the headline a reader sees, and it takes the <h1>'s vote.
        others = [data.first("twitter:title"), _declared_title(data.title_tag, site_names)]
        seo = norm(h1s[0])
        shown = _shown_heading(tree, [v for v in (ld, og, *others) if v and norm(v) != seo])
        if shown:
            h1 = shown
    bare = heading_without_kicker(tree, site_names) if tree is not None and shown is None else None
    if bare and h1 and norm(h1) not in {norm(v) for v in (ld, og) if v}:
        # The declared titles do not carry the <h1>'s kicker: the headline proper is the rest of it.
        h1 = bare
    return h1


def _cut_at_heading(cands: _Candidates) -> None:
    """ "<h1> - Site Name": a declared title that goes on past the <h1>'s text with a separator or a bracketed
    aside is the <h1>'s text plus a suffix, and the <h1> shows where the suffix starts."""
    h1 = cands["h1"]
    if not h1:
        return
    nh = norm(h1)
    for key in ("ld", "og"):
        value = cands[key]
        if (
            value
            and len(nh) >= 8
            and norm(value).startswith(nh)
            and _DECLARED_EXTRA.match(norm(value)[len(nh) :].strip()[:1] or "x")
        ):
            cands[key] = h1


def _mend_cut_og_title(cands: _Candidates) -> None:
    """An unescaped quote inside the og:title attribute cuts it short (content="Boy writes "help" note" gives
    "Boy writes "): an og:title that is a strict prefix of another title, which goes on with a quote, is
    that cut, and the longer title is what it said."""
    if not cands["og"]:
        return
    cut = norm(cands["og"])
    for key in ("ld", "h1"):
        full = norm(cands[key] or "")
        if len(full) > len(cut) and full.startswith(cut) and full[len(cut) :].lstrip()[:1] in ('"', "'"):
            cands["og"] = cands[key]
            break


_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")


def _mend_truncated(cands: _Candidates) -> None:
    """A version cut to a length limit ("How the council approved the…", JSON-LD headlines are often cut at 110
    characters) is the start of a longer version: it votes for that one."""
    for key, value in cands.items():
        if not value or not _ELLIPSIS.search(value):
            continue
        stem = norm(_ELLIPSIS.sub("", value))
        if len(stem) < 12:
            continue
        longer = [
            v for k, v in cands.items() if k != key and v and len(norm(v)) > len(stem) and norm(v).startswith(stem)
        ]
        if longer:
            cands[key] = longer[0]


def _mend_cut_from_the_front(
    cands: _Candidates, tree: HtmlElement, site_names: list[str], title_tag: str | None
) -> None:
    """Share titles shortened by dropping the headline's first words ("three journalists … released" for "Under
    the press law three journalists … released"): a declared version that is the end of the <h1>, after a word
    break and no kicker's punctuation, votes for the <h1> when the <title> tag shows all of it too. Not when the
    dropped words are an element of their own in the <h1>: that is a kicker line, and the shorter version the
    headline."""
    h1 = cands["h1"]
    if not h1 or not title_tag or norm(h1) not in norm(title_tag):
        return
    nh = norm(h1)
    cut = []
    for key in ("ld", "og", "name"):
        value = cands[key]
        nv = norm(value) if value else ""
        if len(nv) >= 12 and len(nh) > len(nv) and nh.endswith(nv):
            dropped = nh[: -len(nv)]
            # More than an article: "Seven secrets…" for "The seven secrets…" is the share card's own wording.
            if dropped.endswith(" ") and len(dropped) >= max(8, len(nh) // 5) and not _KICKER_SEP.search(dropped):
                cut.append(key)
    h = headline_h1(tree, site_names) if cut else None
    if h is None or any(clean(child.text_content()) for child in h if isinstance(child.tag, str)):
        return
    for key in cut:
        cands[key] = h1


# Where a headline's second part starts: "Headline: what it means", "見出し：副題", "Headline – the subtitle".
_SUBTITLE_SEP = re.compile(r"^\s*(?:[:：]|\s[|\-–—]\s)")


def _mend_cut_from_the_back(cands: _Candidates, title_tag: str | None) -> None:
    """Share titles shortened to the headline's first part ("Intel NUC SSDs compared" for "Intel NUC SSDs compared:
    farewell to water cooling"): a declared version that is the start of the <h1>, which goes on after a subtitle's
    separator, votes for the <h1> when the <title> tag shows all of it too."""
    h1 = cands["h1"]
    if not h1 or not title_tag or norm(h1) not in norm(title_tag):
        return
    nh = norm(h1)
    for key in ("ld", "og", "name"):
        value = cands[key]
        nv = norm(value) if value else ""
        if len(nv) >= 12 and len(nh) > len(nv) + 8 and nh.startswith(nv) and _SUBTITLE_SEP.match(nh[len(nv) :]):
            cands[key] = h1


def _drop_kickers(cands: _Candidates) -> None:
    """ "Kicker: Headline" next to a plain "Headline": the issue asks for the headline without its kicker."""
    for a in cands:
        for b in cands:
            va, vb = cands[a], cands[b]
            if a == b or not va or not vb:
                continue
            na, nb = norm(va), norm(vb)
            if len(nb) >= 12 and len(na) > len(nb) and na.endswith(nb) and _KICKER_SEP.search(na[: -len(nb)]):
                cands[a] = vb


def _og_is_the_window_title(data: PageData, cands: _Candidates, tree: HtmlElement, site_names: list[str]) -> bool:
    """An article's og:title that only repeats its <title> tag (and twitter:title, if any) is the CMS's one SEO title,
    not a share card written for the story: against the <h1> the page shows above the story, with no JSON-LD headline
    to break the tie, it is no second opinion. It still counts when the page shows it as a heading too (the first <h1>
    a "Log In" dialog's, a show's name), and on a page that calls itself a website's (og:type website: a product or
    landing page, whose title is its SEO title)."""
    og, h1 = cands["og"], cands["h1"]
    if cands["ld"] or cands["name"] or not og or not h1 or norm(og) == norm(h1):
        return False
    if norm(data.first("og:type") or "") == "website":
        return False
    key = norm(og)
    window = _declared_title(data.title_tag, site_names)
    twitter = _declared_title(data.first("twitter:title"), site_names)
    if not window or norm(window) != key or (twitter and norm(twitter) != key):
        return False
    return heading_by_text(tree, og) is None


def _window_shows_only_the_heading(data: PageData, cands: _Candidates, site_names: list[str]) -> bool:
    """An og:title and an <h1> that say different things, with no JSON-LD headline to break the tie: the <title>
    tag is the page's third version. When it opens with the <h1> and goes on with more of the story's words (its
    deck), and says nothing of the og:title's, the og:title is the share card's rewording ("Hill: Meyer, Saban
    grandstanding about agents" above "Florida, Alabama grandstanding?", whose window title is "Florida, Alabama
    grandstanding? Urban Meyer, Nick Saban take stands on agents"). A window title that is the <h1> alone is the
    CMS's one SEO title, no third version: the share card may be the edited headline."""
    og, h1 = cands["og"], cands["h1"]
    window = _declared_title(data.title_tag, site_names)
    if cands["ld"] or cands["name"] or not og or not h1 or not window:
        return False
    nwindow, nog, nh1 = norm(window), norm(og), norm(h1)
    if nog == nh1 or nog in nh1 or nh1 in nog:
        return False  # one is the other with a kicker or a suffix: the other rules weigh those
    deck = nwindow[len(nh1) :].split() if nwindow.startswith(nh1) else []
    return len(nh1) >= 12 and len(deck) >= 3 and nog not in nwindow


_CLOSING_STOP = re.compile(r"[.!…]+$")


def _og_is_the_standfirst(data: PageData, cands: _Candidates) -> bool:
    """og:title that repeats the page's description (give or take its full stop) is the standfirst a CMS copied
    into the share title, not a headline: the <h1>, which says something else, is the headline."""
    og, h1 = cands["og"], cands["h1"]
    if not og or not h1 or norm(og) == norm(h1):
        return False
    key = _CLOSING_STOP.sub("", norm(og))
    return len(key) >= 20 and any(
        _CLOSING_STOP.sub("", norm(clean(strip_tags(d)))) == key
        for d in data.all("description", "og:description", "twitter:description")
    )


def _most_agreed(values: list[str]) -> str:
    """The first of the versions that most of them are equal to (compared as `norm` keys)."""
    votes: dict[str, int] = {}
    for v in values:
        votes[norm(v)] = votes.get(norm(v), 0) + 1
    top = max(votes.values())
    agreed = [v for v in values if votes[norm(v)] == top]
    # The same words in capitals ("COUNCIL APPROVES THE PLAN" in JSON-LD) are a style, not the headline's wording.
    return next((v for v in agreed if not _shouted(v)), agreed[0])


def _shouted(value: str) -> bool:
    cased = [c for c in value if c.lower() != c.upper()]
    return len(cased) >= 8 and all(c.isupper() for c in cased)


def _heading_the_title_tag_names(data: PageData, h1: str | None, h1s: list[str], site_names: list[str]) -> str | None:
    """With no JSON-LD or og:title, the <title> tag tells which <h1> is the headline: a site's logo and a section's
    name are <h1>s too. When it names none of them, the <title> tag (without the site's name) is the headline."""
    if not data.title_tag:
        return h1
    tag = norm(data.title_tag)
    # The longest: the site's name in the <title> tag's suffix may be a logo <h1> too.
    named = [h for h in ([h1] if h1 else []) + h1s if len(norm(h)) >= 8 and norm(h) in tag]
    if named:
        return max(named, key=len)
    # Dublin Core's title is the document's own; the <title> tag is the window's, often with a file or draft name.
    dublin_core = _declared_title(data.first("dc.title", "dc:title", "dcterms.title", "dcterms:title"), site_names)
    if dublin_core:
        return dublin_core
    stripped = _window_title(data.title_tag, [*site_names, *h1s[:1]])
    return stripped if stripped and len(stripped) >= 20 else h1
