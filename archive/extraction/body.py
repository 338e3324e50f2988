"""The article body: a cleaned tree handed to trafilatura, then fall-backs for script-only bodies."""

from __future__ import annotations

import collections
import copy
import functools
import html
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from .nesting import decode_json_at, load_json
from .normalize import CLASS_SPLIT, WORD, clean, letters

# Class/id tokens of containers that never hold body text. Matched as whole tokens of the class/id
# split on -, _ and spaces (so "share" hits "post-share-buttons" but not "shareholder").
_CLUTTER_TOKENS = frozenset(
    (
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "subscriptions",
        "paywall",
        "membership",
        "members",
        "signup",
        "share",
        "sharing",
        "social",
        "socials",
        "sharebar",
        "sharetools",
        "follow",
        "related",
        "recommended",
        "recommendations",
        "readmore",
        "promo",
        "promotion",
        "advert",
        "advertisement",
        "ads",
        "adslot",
        "ad",
        "outbrain",
        "taboola",
        "sponsored",
        "breadcrumb",
        "breadcrumbs",
        "comments",
        "comment",
        "disqus",
        "authorbio",
        "bio",
        "authorcard",
        "authorbox",
        "tags",
        "taglist",
        "toolbar",
        "readtime",
        "caption",
        "credit",
        "credits",
        "popup",
        "modal",
        "cookie",
        "cookies",
        "banner",
        "sidebar",
        "widget",
        "rail",
        "skip",
        "tweet",
        "twitter",
        "instagram",
        "tiktok",
        "embed",
        "recirc",
        "cta",
        "popular",
    )
)
_CLUTTER_PAIRS = frozenset(
    {
        ("author", "bio"),
        ("author", "card"),
        ("author", "box"),
        ("author", "info"),
        ("read", "more"),
        ("more", "stories"),
        ("reading", "time"),
        ("read", "time"),
        ("news", "feed"),
        ("show", "more"),
        ("load", "more"),
        ("most", "read"),
        ("most", "popular"),
        ("you", "may"),
        ("see", "also"),
        ("also", "read"),
    }
)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
# Never removed by class: the document skeleton, and paragraphs (sites mark metered body paragraphs
# with classes like "paywall").
_PROTECTED = frozenset({"html", "body", "main", "article", "p"})


def _is_clutter(el: HtmlElement) -> bool:
    css_class, css_id = el.get("class"), el.get("id")
    if not css_class and not css_id:
        return False
    return _names_clutter(f"{css_class or ''} {css_id or ''}")


@functools.lru_cache(maxsize=16384)
def _names_clutter(raw: str) -> bool:
    # Cached by the class/id text: a page repeats a few hundred of them over thousands of elements.
    toks = [t.lower() for t in _TOKEN_SPLIT.split(raw) if t]
    if any(t in _CLUTTER_TOKENS for t in toks):
        return True
    return any(pair in _CLUTTER_PAIRS for pair in itertools.pairwise(toks))


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _is_hidden(el: HtmlElement) -> bool:
    """Not shown to a reader: menus, dialogs and duplicate texts the page keeps in the markup, hidden."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


_LINK_LIST_TAGS = frozenset({"ul", "ol", "div", "section", "dl"})


# Elements whose text no reader sees: a page's scripts may carry more letters than its story.
_UNSHOWN_TAGS = frozenset({"script", "style", "noscript", "template"})


class _LetterCounts:
    """Letters of an element's text and of the links in it, remembered per element: nested wrappers would
    otherwise each read the same text again (text_content() at every level of a deep layout). The text of scripts
    and styles is not counted: it is not prose."""

    def __init__(self) -> None:
        # element -> (letters, links, letters in links); a link inside a link counts as the outer one alone.
        self._counts: dict[HtmlElement, tuple[int, int, int]] = {}

    def _count(self, el: HtmlElement) -> tuple[int, int, int]:
        known = self._counts.get(el)
        if known is not None:
            return known
        text = el.text
        n = letters(text) if text else 0
        links = in_links = 0
        for child in el:
            tail = child.tail
            if tail:
                n += letters(tail)
            if isinstance(child.tag, str) and child.tag not in _UNSHOWN_TAGS:
                child_letters, child_links, child_in_links = self._count(child)
                n += child_letters
                links += child_links
                in_links += child_in_links
        counts = (n, 1, n) if el.tag == "a" and n else (n, links, in_links)
        self._counts[el] = counts
        return counts

    def prose(self, el: HtmlElement) -> int:
        """Letters of the block's text outside links."""
        total, _, in_links = self._count(el)
        return total - in_links

    def is_link_list(self, el: HtmlElement) -> bool:
        """A block that is mostly links: three or more, whose letters are most of the block's (rows of other
        stories' headlines with a date, "latest from" boxes, menus), or a list whose every item is one short
        linked headline. The story's own paragraphs are never such a block."""
        total, links, in_links = self._count(el)
        if links < 3:
            return False
        if in_links >= 0.6 * total:
            return True
        if el.tag not in ("ul", "ol"):
            return False
        items = [li for li in el if li.tag == "li"]
        return len(items) >= 3 and all(self._is_headline_item(li) for li in items)

    def _is_headline_item(self, li: HtmlElement) -> bool:
        """<li><span>The struggle to save lives</span> <a>inside the hospitals</a></li>: one story's headline."""
        total, links, in_links = self._count(li)
        return links == 1 and 0 < total <= 160 and in_links >= 0.3 * total


_CAPTION_TOKENS = frozenset({"caption", "credit", "credits", "figcaption"})


def _is_caption(p: HtmlElement) -> bool:
    """<p class="wp-caption-text">: paragraphs are kept whatever their class says, but not a picture's caption."""
    raw = p.get("class")
    return bool(raw) and any(t.lower() in _CAPTION_TOKENS for t in _TOKEN_SPLIT.split(raw))


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _links_off_site(el: HtmlElement, own_host: str) -> bool:
    """Most links of the block go to other sites: sources and references, not this site's other stories."""
    hosts = [_host(a.get("href")) for a in el.iter("a")]
    return bool(own_host) and sum(1 for h in hosts if h and h != own_host) > 0.5 * len(hosts)


def _own_path(url: str | None) -> str:
    try:
        return urlsplit(url or "").path.rstrip("/")
    except ValueError:
        return ""


def _is_link_only_paragraph(p: HtmlElement, page_path: str) -> bool:
    """<p><a href=/other-story>Headline of another story</a></p>: an inline related-article teaser."""
    links = p.findall(".//a")
    if len(links) != 1:
        return False
    link = links[0]
    href = link.get("href") or ""
    if not href or href.startswith(("#", "mailto:", "javascript:")):
        return False
    text = clean(p.text_content())
    ltext = clean(link.text_content())
    if not ltext or len(ltext) < 15 or len(ltext) < 0.9 * len(text):
        return False
    try:
        path = urlsplit(href).path.rstrip("/")
    except ValueError:
        return False
    return path != page_path and len(ltext.split()) >= 3


# Headings of rails of other stories ("More from The Paper", "Related", "Read also"), in a few languages. A block
# that opens with one holds teasers, not the story.
_RAIL_HEADING = re.compile(
    r"^(?:more (?:from|on|about|in|stories)\b|related(?: (?:articles|stories|coverage|content|news))?$"
    r"|(?:most )?popular\b|most read\b|read (?:also|next)\b|you (?:may|might) (?:also )?like\b"
    r"|recommended(?: for you)?$|top stories$|mehr zum thema\b|mehr aus\b|lesen sie auch\b|auch interessant\b"
    r"|meistgelesen|lire aussi\b|à lire aussi\b|leggi anche\b|te puede interesar\b|lea también\b"
    r"|leia também\b|czytaj (?:też|także|więcej)\b|les også\b|läs också\b|lees ook\b|(?:more )?must[- ]reads?\b"
    r"|相关推荐|为您推荐|推荐阅读|相关阅读|延伸阅读|猜你喜欢|热点新闻|热门推荐|作者最近文章|小编最近文章|関連記事|おすすめ)",
    re.I,
)
_RAIL_HEADING_TAGS = ("h2", "h3", "h4")


def _rail_blocks(root: HtmlElement, keep: set[HtmlElement]) -> list[HtmlElement]:
    """For each rail heading, the largest block it opens (the heading is the block's first text) that holds no
    prose of the story."""
    out: list[HtmlElement] = []
    for h in root.iter(*_RAIL_HEADING_TAGS):
        text = clean(h.text_content())
        if not text or len(text) > 60 or not _RAIL_HEADING.match(text):
            continue
        block = _block_opened_by(h, text, keep)
        if block is not None:
            out.append(block)
    return out


def _block_opened_by(heading: HtmlElement, text: str, keep: set[HtmlElement]) -> HtmlElement | None:
    """The largest ancestor of `heading` whose first text is the heading's `text` and that holds none of `keep`."""
    block = None
    for anc in heading.iterancestors():
        if anc in keep or anc.tag in _PROTECTED:
            break
        first = next((t for t in anc.itertext() if t.strip()), "")
        if not text.startswith(clean(first)[:20]):
            break
        block = anc
    return block


# Headings that open a thread of readers' comments, however the theme marks it up (Movable Type and TypePad put each
# comment as plain paragraphs under "<h2>Comments</h2>", signed "Posted by: ..."): "Comments", "12 Comments",
# "Reader comments (3)", "5 responses to “…”", "12 thoughts on “…”", "Leave a reply". A bare "Responses" or
# "Reactions" may be a section of a story, so those need a count or "to"; trackbacks (other blogs' excerpts citing the
# post) are no readers' thread and stay for trafilatura to judge.
_COMMENTS_HEADING = re.compile(
    r"^(?:(?:\d+|no|one)\s+)?(?:reader\s+|user\s+|readers[’']\s+)?(?:comments?|kommentare?|commentaires?|comentarios?"
    r"|commenti|reacties|kommentarer|komentarze)(?:\s*\(\d+\))?(?:\s+(?:to|on|for)\b.*)?$"
    r"|^(?:\d+|one|no)\s+(?:responses?|replies|reply|thoughts?)(?:\s+(?:to|on)\b.*)?$|^responses\s+to\b"
    r"|^(?:leave|post|add|write|submit)\s+(?:a\s+|your\s+)?(?:new\s+)?(?:comment|reply|response)\b"
    r"|^join the (?:discussion|conversation)\b",
    re.I,
)
# Letters of the story's own text (outside links) a comments heading must follow: one at the top of the story (a
# "Comments (3)" link box under the headline) opens no thread below the story.
_STORY_BEFORE_COMMENTS = 300


def _comment_threads(root: HtmlElement, keep: set[HtmlElement]) -> list[HtmlElement]:
    """For each heading that opens readers' comments below the story, the block it opens and every block after it in
    its container: the thread, then its form."""
    headings = [(h, clean(h.text_content())) for h in root.iter(*_RAIL_HEADING_TAGS, "h5", "h6")]
    out: list[HtmlElement] = []
    for h, text in headings:
        named = text.rstrip(":")
        if len(named) > 80 or not _COMMENTS_HEADING.match(named):
            continue
        if h.getparent() is None or _story_letters_before(root, h) < _STORY_BEFORE_COMMENTS:
            continue
        opened = _block_opened_by(h, text, keep)
        block = h if opened is None else opened
        thread = [block, *block.itersiblings()]
        if not any(el.tag == "h1" or el.find(".//h1") is not None for el in thread):
            out.extend(thread)
    return out


def _story_letters_before(root: HtmlElement, stop: HtmlElement) -> int:
    """Letters of the text before `stop` in document order, outside links, scripts and styles."""
    total = 0
    unread: set[HtmlElement] = set()
    for el in root.iter(etree.Element):
        if el is stop:
            break
        parent = el.getparent()
        if parent in unread or el.tag in _UNSHOWN_TAGS or el.tag == "a":
            unread.add(el)
        elif el.text:
            total += letters(el.text)
        if el.tail and parent not in unread:  # a tail is its parent's text
            total += letters(el.tail)
    return total


_DROPPED_TAGS = frozenset(("figure", "figcaption", "aside", "nav", "button", "dialog", "template"))
# What a block is dropped for: a hint about it, weighed against the prose it holds (`_spared_hints`), or a verdict.
_FIGURE_HINT = "figure"
_VERDICTS = frozenset(("tag", "hidden"))


def _class_hint(el: HtmlElement) -> str:
    css_class = el.get("class") or ""
    # By the class when it bears the word: blocks of one kind share it, and each has an id of its own
    # ("caption-image" blocks with ids "image-159373", "image-159374"...) that would weigh them one by one.
    if css_class and _names_clutter(css_class):
        return f"class {css_class}"
    return f"class {css_class} #{el.get('id') or ''}"


def _hint(el: HtmlElement, counts: _LetterCounts, in_story: bool, own_host: str) -> str | None:
    """Why `el` looks like clutter: "class <its class>", "figure", "links", "tag", "hidden"; None when it does not.
    Inside the story a list of links to other sites is the story's references, not a rail of this site's stories."""
    tag = el.tag
    if tag in _DROPPED_TAGS:
        return _FIGURE_HINT if tag in ("figure", "figcaption") else "tag"
    if _is_hidden(el):
        return "hidden"
    if el.find(".//h1") is not None:
        return None
    if _is_clutter(el):
        return _class_hint(el)
    if tag in _LINK_LIST_TAGS and counts.is_link_list(el) and not (in_story and _links_off_site(el, own_host)):
        return "links"
    return None


def _doomed(
    root: HtmlElement,
    keep: set[HtmlElement],
    story: set[HtmlElement],
    spared: set[str],
    counts: _LetterCounts,
    own_host: str,
) -> list[tuple[HtmlElement, str]]:
    """The blocks to drop, each with its hint. Depth first, in document order, not descending into what goes: its
    inside goes with it."""
    doomed: list[tuple[HtmlElement, str]] = []
    stack = [(child, False) for child in reversed(root) if isinstance(child.tag, str)]
    while stack:
        el, in_story = stack.pop()
        tag = el.tag
        # Paragraphs stay even when hidden: metered sites hide the rest of the story until a script shows it.
        if (tag not in _PROTECTED or (tag == "p" and _is_caption(el))) and el not in keep:
            hint = _hint(el, counts, in_story, own_host)
            if hint is not None and hint not in spared:
                doomed.append((el, hint))
                continue
        if tag == "p" and el.get("aria-hidden") == "true":
            del el.attrib["aria-hidden"]  # trafilatura would drop it
        inner = in_story or el in story
        stack.extend((child, inner) for child in reversed(el) if isinstance(child.tag, str))
    return doomed


def _spared_hints(
    doomed: list[tuple[HtmlElement, str]],
    keep: set[HtmlElement],
    main_lineage: list[HtmlElement],
    root: HtmlElement,
    counts: _LetterCounts,
) -> set[str]:
    """Hints that would take most of the page's prose: on this page the class names the story's own blocks (a
    Blogger "widget", Elementor's text "widget"s, a live ticker's "comment"s, a video page's "caption"s), or the
    figures are a gallery whose captions are the text. A class is spared when the story's container bears it too or
    its blocks lie inside the story; figures by their share alone."""
    groups: dict[str, list[HtmlElement]] = {}
    for el, hint in doomed:
        if hint.startswith("class ") or hint == _FIGURE_HINT:
            groups.setdefault(hint, []).append(el)
    # A first cut on raw text lengths, which lxml gives at C speed: a group with half the page's prose has a tenth
    # of its text however much of that text is links and layout whitespace, and most groups have far less.
    page_chars = len(root.text_content()) - sum(len(el.text or "") for el in root.iter(*_UNSHOWN_TAGS))
    groups = {h: m for h, m in groups.items() if sum(len(el.text_content()) for el in m) >= 0.1 * page_chars}
    if not groups:
        return set()
    page = counts.prose(root)
    if not page:
        return set()
    kept_classes = {_class_hint(el) for el in keep}
    # The main prose block and its ancestors, by the class each bears (the innermost first).
    story_classes: dict[str, HtmlElement] = {}
    for el in main_lineage:
        story_classes.setdefault(_class_hint(el), el)
    spared = set()
    for hint, members in groups.items():
        prose = sum(counts.prose(el) for el in members)
        story_block = story_classes.get(hint)
        # The story's own block bears the class: its like are its siblings (a post told in its pictures' captions)
        # when, with it, they hold most of the prose of the container they share with it.
        if story_block is not None and prose + counts.prose(story_block) >= 0.5 * counts.prose(
            _container_of(story_block, members)
        ):
            spared.add(hint)
            continue
        if prose < 0.5 * page:
            continue
        if hint == _FIGURE_HINT or hint in kept_classes or any(keep.intersection(el.iterancestors()) for el in members):
            spared.add(hint)
    return spared


def _lineage(block: HtmlElement) -> list[HtmlElement]:
    return [block, *block.iterancestors()]


def _container_of(block: HtmlElement, others: list[HtmlElement]) -> HtmlElement:
    """The nearest ancestor of `block` that holds every one of `others`."""
    lineage = _lineage(block)
    depth = {el: number for number, el in enumerate(lineage)}
    deepest = 0
    for el in others:
        deepest = max(deepest, next((depth[a] for a in el.iterancestors() if a in depth), len(lineage) - 1))
    return lineage[deepest]


_SPARING_ROUNDS = 4


def _drop_spared_classes(root: HtmlElement, spared: set[str]) -> None:
    """The story's blocks lose the class words found not to be clutter here, so that trafilatura, which reads the
    same words ("widget") as boilerplate, does not drop them either."""
    for el in root.iter(etree.Element):
        if (el.get("class") or el.get("id")) and _class_hint(el) in spared:
            el.attrib.pop("class", None)
            el.attrib.pop("id", None)


def clean_tree(
    tree: HtmlElement, url: str, prose_parents: tuple[HtmlElement, ...], drop_xpaths: tuple[str, ...] = ()
) -> None:
    """Remove clutter in place before trafilatura sees the tree. `prose_parents` hold the main prose; they and
    their ancestors are kept whatever their class says (themes name wrappers "paywall", "widget"...), and a class
    word that would take most of the page's prose is not clutter on that page."""
    for xp in drop_xpaths:
        try:
            for el in tree.xpath(xp):
                if isinstance(el, HtmlElement) and el.getparent() is not None:
                    el.drop_tree()
        except (etree.XPathError, TypeError, ValueError):
            continue
    body = tree.find("body")
    root = body if body is not None else tree
    keep: set[HtmlElement] = set()
    for parent in prose_parents:
        keep.add(parent)
        keep.update(parent.iterancestors())
    story = set(prose_parents)
    counts = _LetterCounts()
    main_lineage = _lineage(max(prose_parents, key=counts.prose)) if prose_parents else []
    own_host = _host(url)
    spared: set[str] = set()
    found = _doomed(root, keep, story, spared, counts, own_host)
    # Sparing a wrapper opens it to the walk, which may meet the next wrapper of the same story ("widget-container").
    for _ in range(_SPARING_ROUNDS):
        more = _spared_hints(found, keep, main_lineage, root, counts) - spared
        if not more:
            break
        spared |= more
        found = _doomed(root, keep, story, spared, counts, own_host)
    if spared:
        _drop_spared_classes(root, spared)
    doomed = [el for el, _ in found]
    doomed.extend(_rail_blocks(root, keep))
    doomed.extend(_comment_threads(root, keep))
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    # A link wrapping a whole card (headline, summary) is a teaser for another page.
    for a in list(root.iter("a")):
        if a.getparent() is not None and a not in keep and a.find(".//p") is not None:
            a.drop_tree()
    page_path = _own_path(url)
    for p in list(root.iter("p")):
        if p.getparent() is not None and _is_link_only_paragraph(p, page_path):
            p.drop_tree()
    _keep_dates_in_sentences(root)


# Blocks of running text. A <time> inside one with a sentence around it is a date the story gives.
_SENTENCE_BLOCKS = frozenset({"p", "li", "td", "dd", "blockquote"})
_SENTENCE_LETTERS = 30


def _keep_dates_in_sentences(root: HtmlElement) -> None:
    """trafilatura drops every <time> element, and with it the date a sentence gives ("the works start on , once"):
    a <time> in running text becomes its text. One in a short line ("Published <time>") stays for trafilatura."""
    for el in list(root.iter("time")):
        block = next((a for a in el.iterancestors() if a.tag in _SENTENCE_BLOCKS), None)
        if block is None or not clean(el.text_content()):
            continue
        if letters(block.text_content()) - letters(el.text_content()) >= _SENTENCE_LETTERS:
            el.drop_tag()


def run_trafilatura(tree: HtmlElement, url: str) -> str:
    """trafilatura's text of the cleaned tree. A story written as lists (no <p> text) looks to trafilatura like a
    failed extraction of its own, and it swaps in a fallback's (readability, then jusText), which keeps only the long
    items: headings, one-link items and short items go. On such a page its own extraction is read as well, and kept
    when it holds the words the fallback kept, and more."""
    own_tree = copy.deepcopy(tree) if _written_as_lists(tree) else None
    text = _bare_text(tree, url, fast=False)
    if own_tree is not None:
        own = _bare_text(own_tree, url, fast=True)
        if len(own) > len(text) and _holds_words(own, text):
            return own
    return text


def _bare_text(tree: HtmlElement, url: str, fast: bool) -> str:
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            fast=fast,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            include_images=False,
        )
    except Exception:
        return ""
    if doc is None:
        return ""
    text = getattr(doc, "text", None)
    if text is None and isinstance(doc, dict):
        text = doc.get("text")
    return text or ""


def _written_as_lists(tree: HtmlElement) -> bool:
    """More of the page's text is in list items than in paragraphs (after cleaning: menus are gone)."""
    in_items = sum(len(li.text_content().strip()) for li in tree.iter("li") if li.find(".//li") is None)
    if in_items < 500:  # trafilatura turns to its fallbacks only past twice its minimum size (250)
        return False
    return in_items > sum(len(p.text_content().strip()) for p in tree.iter("p"))


# Of the fallback's words, the share the page's own extraction must hold: the two cut blocks into lines differently
# (jusText glues an item's parts, "Ankush Duacontributed a fix"), so lines do not compare.
_HELD_SHARE = 0.97


def _holds_words(longer: str, shorter: str) -> bool:
    """`longer` has (nearly) every word of `shorter`, as often."""
    have = collections.Counter(WORD.findall(longer.casefold()))
    want = collections.Counter(WORD.findall(shorter.casefold()))
    total = sum(want.values())
    return not total or sum(min(n, have[w]) for w, n in want.items()) >= _HELD_SHARE * total


_BLOCK_TAG = re.compile(r"</?(?:p|br|div|h\d|li)\b", re.I)
_ANY_TAG = re.compile(r"<[^>]{0,2000}>")


def html_to_paragraphs(value: str) -> str:
    """articleBody values are plain text or HTML; one paragraph a line either way."""
    if "<" in value and _BLOCK_TAG.search(value):
        value = _without_clutter(value)
        value = re.sub(r"(?i)<br\s*/?>|</(p|div|h\d|li|blockquote)>", "\n", value)
        value = html.unescape(_ANY_TAG.sub("", value))
    lines = (clean(line) for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


# "$$ARTICLEAD$$": a CMS placeholder for an ad slot left in the stored body HTML.
_PLACEHOLDER = re.compile(r"\$\$[A-Z][A-Z0-9_]{2,40}\$\$")


def _without_clutter(fragment: str) -> str:
    """Body HTML from a script (hydration state, articleBody) gets the clutter rules a page gets: figures,
    captions and other clutter containers go, and ad-slot placeholders with them."""
    fragment = _PLACEHOLDER.sub("", fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment
    doomed = [
        el
        for el in root.iter(etree.Element)
        if el is not root and (el.tag in ("figure", "figcaption", "script", "style") or _is_clutter(el))
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    return etree.tostring(root, encoding="unicode")


def ld_body(article: dict[str, Any] | None) -> str:
    if not article:
        return ""
    body = article.get("articleBody") or article.get("text")
    if isinstance(body, list):
        body = "\n".join(b for b in body if isinstance(b, str))
    return html_to_paragraphs(body) if isinstance(body, str) else ""


# Where a JSON value may start inside a script: after an assignment, a call's "(" or an argument's ",".
_STATE_VALUE_START = re.compile(r"[=(,:]\s*(?=[\[{])")
_MAX_STATE_ATTEMPTS = 300  # decode attempts a script; minified code offers thousands of "={" that are not state
# Block types ("type", "_type", "__typename") that carry no body text: media, embeds, ads, links to other stories.
_NON_TEXT_BLOCK_WORDS = frozenset(
    [
        "image",
        "images",
        "photo",
        "picture",
        "video",
        "audio",
        "gallery",
        "ad",
        "ads",
        "advert",
        "advertisement",
        "embed",
        "oembed",
        "related",
        "interstitial",
        "link",
        "links",
        "promo",
        "teaser",
        "caption",
        "credit",
        "social",
        "tweet",
        "newsletter",
        "raw",
        "html",
        "script",
        "widget",
        "comment",
        "comments",
    ]
)
_BLOCK_TEXT_KEYS = ("content", "text", "html", "value", "body", "paragraph", "markup")


def _script_values(raw: str, min_chars: int) -> Iterator[Any]:
    """JSON objects and arrays inside a script: the whole script (type=application/json), or the values assigned
    or passed in JavaScript ("window.__STATE__ = {...};", "Fusion.globalContent={...};", "push([...])")."""
    text = raw.strip()
    if text[:1] in "{[":
        try:
            yield load_json(text)
            return
        except ValueError:  # not JSON, or nested too deep: look for values inside it as a script
            pass
    decoder = json.JSONDecoder()
    consumed = attempts = 0
    for match in _STATE_VALUE_START.finditer(raw):
        start = match.end()
        if start < consumed:
            continue  # inside a value already decoded
        attempts += 1
        if attempts > _MAX_STATE_ATTEMPTS:
            return
        try:
            value, end = decode_json_at(decoder, raw, start)
        except ValueError:
            continue
        if end - start >= min_chars:
            consumed = end
            yield value


def _is_prose(text: str) -> bool:
    """A sentence or more: ten words, or (scripts written without spaces) forty characters with few spaces."""
    words = len(text.split())
    return words >= 10 or (len(text) >= 40 and words <= len(text) / 15)


def _plain(value: str) -> str:
    if "<" in value and ">" in value:
        if _BLOCK_TAG.search(value):
            return html_to_paragraphs(value)
        value = html.unescape(_ANY_TAG.sub("", _PLACEHOLDER.sub("", value)))
    return clean(value)


def _block_text(item: Any) -> str:
    """The text of one block of a structured body (a string, or a dict naming its type and holding its text)."""
    if isinstance(item, str):
        return "" if item.lstrip().startswith(("{", "[", "http")) else _plain(item)
    if not isinstance(item, dict):
        return ""
    kind = item.get("type") or item.get("_type") or item.get("__typename") or item.get("blockType")
    if isinstance(kind, str) and _NON_TEXT_BLOCK_WORDS.intersection(w.lower() for w in CLASS_SPLIT.split(kind) if w):
        return ""
    for key in _BLOCK_TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return _block_text(value)
    children = item.get("children")  # rich-text editors (Slate, Portable Text): a block is a list of spans
    if isinstance(children, list):
        return clean("".join(c["text"] for c in children if isinstance(c, dict) and isinstance(c.get("text"), str)))
    return ""


def _body_candidates(node: Any, out: list[str], depth: int) -> None:
    """Every list of text blocks (two or more of them prose) and every HTML string of paragraphs, as text."""
    if depth > 40:
        return
    if isinstance(node, dict):
        for value in node.values():
            _body_candidates(value, out, depth + 1)
    elif isinstance(node, list):
        if len(node) >= 2:
            texts = [_block_text(item) for item in node]
            if sum(1 for t in texts if _is_prose(t)) >= 2:
                out.append("\n".join(t for t in texts if t))
        for value in node:
            _body_candidates(value, out, depth + 1)
    elif isinstance(node, str) and len(node) >= 80 and "<p" in node and not node.lstrip().startswith(("{", "[")):
        out.append(html_to_paragraphs(node))


def hydration_body(tree: HtmlElement, min_chars: int = 400) -> str:
    """The story in a <script> state blob (Next.js, Nuxt payloads, Arc Fusion, Redux/Apollo state), for pages that
    render their body client-side: the longest list of text blocks, or the longest HTML string of paragraphs.
    A list keeps its short paragraphs and drops its image, embed and related-story blocks; other stories'
    summaries elsewhere in the state are never mixed in."""
    best = ""
    for script in tree.iter("script"):
        raw = script.text or ""
        if len(raw) < min_chars or "ld+json" in (script.get("type") or "") or script.get("src"):
            continue
        for value in _script_values(raw, min_chars):
            found: list[str] = []
            _body_candidates(value, found, 0)
            for candidate in found:
                if len(candidate) > len(best):
                    best = candidate
    return best if len(best) >= min_chars else ""
