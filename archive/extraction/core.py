"""extract(): response bytes -> Article | NotAnArticle. Never raises."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from . import body as bodymod
from .authors import pick_authors
from .dates import in_language_clock, pick_dates
from .declared import declared_urls, pick_description, pick_image, pick_section, pick_site_name, pick_tags
from .decode import decode_html, non_html_type
from .language import pick_language
from .lines import byline_authors, clean_lines
from .listing import PageShape, ld_article_is_this_page, links_elsewhere, listing_reason, measure, site_page_reason
from .nesting import within_depth
from .normalize import WORD, clean, nfc, norm
from .parse import parse_html
from .scripted import script_built_reason, scripted_shell
from .structured import PageData, read_page_data
from .title import headings, pick_title
from .types import Article, ExtractionHints, NotAnArticle
from .xpath import any_of

MAX_BYTES = 15_000_000  # bigger "pages" are dumps or attacks; nothing a reader would call an article
MAX_ELEMENTS = 300_000

# tree.iter(etree.Element) counted in libxml2: the tree and the elements below it, not comments.
_COUNT_ELEMENTS = etree.XPath("count(descendant-or-self::*)")
_SHOWN_TEXT = any_of(("p", "div", "h2", "span"), "[normalize-space(.)=$d]")


# Given the page's tree as parsed from its decoded text, before extraction reads or edits it.
TreeReader = Callable[[HtmlElement, str], None]


def extract(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    hints: ExtractionHints | None = None,
    on_tree: TreeReader | None = None,
) -> Article | NotAnArticle:
    """body = the payload bytes (Content-Encoding already undone); headers = response headers (any key case).
    Never raises: malformed/empty/binary/huge/deeply nested input returns NotAnArticle.

    *on_tree(tree, text)*, when given, is called with the tree and the decoded text it was parsed
    from, before anything reads or cleans the tree (``archive/page_reading.py`` reads the page's
    requisites and links there instead of parsing the page again); not called when there is no
    tree, or when it is not the plain parse of *text* (a page nested too deep, parsed again)."""
    url = url if isinstance(url, str) else str(url or "")
    try:
        return _extract(body, url, headers, hints, on_tree)
    except (RecursionError, MemoryError) as exc:
        return NotAnArticle(url=url, reason=f"document too complex ({type(exc).__name__})", kind="error")
    except Exception as exc:
        return NotAnArticle(url=url, reason=f"extraction failed ({type(exc).__name__}: {exc})"[:300], kind="error")


def _extract(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None,
    hints: ExtractionHints | None,
    on_tree: TreeReader | None = None,
) -> Article | NotAnArticle:
    tree = _parse(body, url, headers, on_tree)
    if isinstance(tree, NotAnArticle):
        return tree
    data = read_page_data(tree)
    # The metadata is read before the body is cleaned: cleaning edits the tree in place.
    meta = _read_metadata(data, tree, url)
    body_tree = tree
    if hints is not None and hints.body_xpath:
        subtree = _subtree(tree, hints.body_xpath)
        body_tree = subtree if subtree is not None else tree
    hinted = body_tree is not tree
    shape = measure(tree, url)
    listing = listing_reason(data, shape, url, meta.canonical)
    # A site profile's body_xpath that matched has found the story's container: the page is an article.
    if listing and not hinted:
        return NotAnArticle(
            url=url, reason=listing, kind="listing", canonical_url=meta.canonical, title=nfc(meta.title)
        )
    site_page = None if hinted else site_page_reason(data, url, meta.canonical)
    if site_page:
        return NotAnArticle(
            url=url, reason=site_page, kind="site-page", canonical_url=meta.canonical, title=nfc(meta.title)
        )
    shell = None if hinted else scripted_shell(tree)  # before cleaning takes the scripts out
    text = _trafilatura_text(body_tree, shape, url, hints, hinted)
    authors = meta.authors or byline_authors(text)
    ld_text = bodymod.ld_body(data.ld_article) if ld_article_is_this_page(data, url, meta.canonical) else ""
    text = _finished_text(text, ld_text, data, tree, meta, authors)
    text = _with_lead(text, meta.description, tree, [meta.title or "", data.first("og:title") or ""], shape.main, url)
    scripted = script_built_reason(shell, text)
    if scripted:
        return NotAnArticle(
            url=url, reason=scripted, kind="script-built", canonical_url=meta.canonical, title=meta.title
        )
    if not text.strip():
        return NotAnArticle(url=url, reason="empty body", kind="empty", canonical_url=meta.canonical, title=meta.title)
    section = pick_section(data)
    language = pick_language(data, text)
    # One spelling of every character (NFC): pages and trafilatura's bare extraction pass decomposed text through.
    return Article(
        url=url,
        canonical_url=meta.canonical,
        title=nfc(meta.title),
        text=nfc(text),
        authors=tuple(nfc(name) for name in authors),
        published=in_language_clock(meta.published, language),
        modified=in_language_clock(meta.modified, language),
        language=language,
        description=nfc(meta.description) or None,
        section=nfc(section),
        tags=tuple(nfc(tag) for tag in pick_tags(data)),
        image=pick_image(data, url),
        site_name=nfc(meta.site_name) or None,
        declared_urls=meta.declared_urls,
    )


def _parse(
    body: bytes, url: str, headers: Mapping[str, str] | None, on_tree: TreeReader | None = None
) -> HtmlElement | NotAnArticle:
    """The page's tree, or why there is none: empty, huge, binary, not HTML, undecodable or too deep."""
    if isinstance(body, str):
        body = body.encode("utf-8", errors="replace")
    body = bytes(body or b"")
    if not body.strip():
        return NotAnArticle(url=url, reason="empty body", kind="empty")
    if len(body) > MAX_BYTES:
        return NotAnArticle(url=url, reason=f"too large ({len(body)} bytes)", kind="error")
    mtype = non_html_type(body, headers)
    if mtype:
        return NotAnArticle(url=url, reason=f"not HTML ({mtype})", kind="non-html")
    html = decode_html(body, headers)
    if not html.strip():
        return NotAnArticle(url=url, reason="undecodable", kind="error")
    if "\x00" in html[:2000]:
        return NotAnArticle(url=url, reason="binary payload", kind="non-html")
    tree = parse_html(html)
    if tree is None or not isinstance(tree, HtmlElement):
        return NotAnArticle(url=url, reason="unparseable HTML", kind="error")
    parsed, tree = tree, within_depth(tree, html)
    if on_tree is not None and tree is parsed:
        on_tree(tree, html)
    n_elements = int(_COUNT_ELEMENTS(tree))
    if n_elements > MAX_ELEMENTS:
        return NotAnArticle(url=url, reason=f"too many elements ({n_elements})", kind="error")
    return tree


@dataclass(frozen=True, slots=True)
class _Metadata:
    declared_urls: tuple[str, ...]
    site_name: str | None
    h1s: list[str]
    title: str | None
    published: str | None
    modified: str | None
    authors: tuple[str, ...]
    description: str | None

    @property
    def canonical(self) -> str | None:
        return self.declared_urls[0] if self.declared_urls else None


def _read_metadata(data: PageData, tree: HtmlElement, url: str) -> _Metadata:
    """The fields that come from what the page declares and from its headline block, not from the body."""
    declared = declared_urls(data, url)
    canonical = declared[0] if declared else None
    site_name = pick_site_name(data)
    host = canonical or url
    site_names = [
        s
        for s in (site_name, data.ld_publisher, data.first("application-name"), _host_label(host), _host_name(host))
        if s
    ]
    h1s = headings(tree, site_names)
    title = pick_title(data, h1s, site_names, tree)
    published, modified = pick_dates(data, tree, url, site_names, title)
    authors = pick_authors(data, tree, site_names, title)
    return _Metadata(declared, site_name, h1s, title, published, modified, authors, pick_description(data))


def _trafilatura_text(
    body_tree: HtmlElement, shape: PageShape, url: str, hints: ExtractionHints | None, hinted: bool
) -> str:
    """trafilatura's text of the cleaned tree, with the parts of the story it left out recovered. A tree cut to a
    site profile's body_xpath is the story's container already: the page's shape says nothing about it."""
    bodymod.clean_tree(body_tree, url, () if hinted else shape.prose_parents, hints.drop_xpaths if hints else ())
    text = bodymod.run_trafilatura(body_tree, url)
    if not hinted:
        text = _join_split_body(text, shape.main, shape.prose_parents, url)
        text = _with_whole_main(text, shape.main, url)
    return text


def _finished_text(
    text: str, ld_text: str, data: PageData, tree: HtmlElement, meta: _Metadata, authors: tuple[str, ...]
) -> str:
    """The text without chrome lines, taken from this story's JSON-LD `articleBody` (`ld_text`) or the page's script
    state when the DOM shows less of the story."""
    headlines = (meta.title, meta.h1s[0] if meta.h1s else None, data.first("og:title"))
    text = clean_lines(text, headlines, authors)
    # trafilatura's own fall-back may already have returned articleBody, flattened to one line.
    if ld_text and (len(text) < 0.5 * len(ld_text) or text.split() == ld_text.split()):
        text = clean_lines(ld_text, headlines, authors)
    if len(text) < 1000:
        blob = bodymod.hydration_body(tree)
        # The DOM shows nothing, or only the first lines of the story the state holds (a client-side "continue").
        if len(blob) > 2 * len(text) and (len(text) < 200 or _begins(blob, text)):
            text = clean_lines(blob, headlines, authors)
    return text


def _extract_alone(el: HtmlElement, url: str) -> str:
    """trafilatura on one container as a page of its own, so it cannot settle on another part of the page."""
    root = etree.Element("html")
    etree.SubElement(etree.SubElement(root, "body"), "article").append(deepcopy(el))
    return bodymod.run_trafilatura(load_html(etree.tostring(root, encoding="unicode")), url)


def _join_split_body(text: str, main: HtmlElement | None, parents: tuple[HtmlElement, ...], url: str) -> str:
    """Bodies cut into sections of the same container between ads or paywall wrappers: trafilatura keeps the
    section it scores best. When sibling sections of the same class hold prose the text lacks, all of them
    are extracted together, in page order."""
    if main is None or len(parents) < 2 or not main.get("class"):
        return text  # an unclassed container says nothing about which other containers continue it
    sig = (main.tag, main.get("class"))
    same = [p for p in parents if (p.tag, p.get("class")) == sig and p.getparent() is not None]
    same = [p for p in same if not any(q is not p and q in set(p.iterancestors()) for q in same)]
    # Sections of one story share its <article>; pages that load the next story below repeat the class.
    if len({next(p.iterancestors("article"), None) for p in same}) > 1:
        return text
    if len(same) < 2:
        return text
    have = " ".join(text.split())
    missing = False
    for section in same:
        para = next((clean(p.text_content()) for p in section.iter("p") if len(clean(p.text_content())) > 80), "")
        if para and para[:60] not in have:
            missing = True
            break
    if not missing:
        return text
    order = {el: i for i, el in enumerate(same[0].getroottree().getroot().iter())}
    same.sort(key=lambda el: order.get(el, 0))
    same = _before_next_headline(same, order)
    if len(same) < 2:
        return text
    pieces: list[str] = []
    for section in same:
        piece = _extract_alone(section, url)
        if piece:
            pieces.append(piece)
    joined = "\n".join(pieces)
    return joined if len(joined) > 1.15 * len(text) else text


def _before_next_headline(sections: list[HtmlElement], order: dict[HtmlElement, int]) -> list[HtmlElement]:
    """The sections up to the next story's headline: an <h1> after the first section opens the story the page loads
    below this one, whose sections share this one's class."""
    first = order.get(sections[0], 0)
    inside = set(sections)
    later = [i for el, i in order.items() if el.tag == "h1" and i > first and inside.isdisjoint(el.iterancestors())]
    return [el for el in sections if order.get(el, 0) < min(later)] if later else sections


_TEXT_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote")


def _with_whole_main(text: str, main: HtmlElement | None, url: str) -> str:
    """trafilatura scores containers by their paragraphs and may settle on one inside the story's, leaving out
    what sits beside it: subheadings, key-point lists, a live blog's timed entries. When a good share of the
    text blocks of the largest run of prose are missing, the story's container is extracted on its own, and
    that wins if it holds everything the first pass found and more."""
    if main is None or not text:
        return text
    have = _word_key(text)
    blocks = [key for key in (_word_key(el.text_content()) for el in main.iter(*_TEXT_BLOCKS)) if len(key) >= 20]
    missing = sum(1 for key in blocks if key[:50] not in have)
    if len(blocks) < 5 or missing < 0.2 * len(blocks):
        return text
    whole = _extract_alone(main, url)
    if len(whole) < 1.1 * len(text):
        return text
    got = _word_key(whole)
    lines = [key for key in map(_word_key, text.split("\n")) if key]
    return whole if sum(1 for key in lines if key[:50] in got) >= 0.9 * len(lines) else text


def _begins(story: str, shown: str) -> bool:
    """Each line of `shown` is one of the first lines of `story`."""
    head = [_word_key(line) for line in story.split("\n")[: 2 * shown.count("\n") + 4]]
    starts = [_word_key(line)[:60] for line in shown.split("\n") if line.strip()]
    return all(any(h.startswith(start) for h in head) for start in starts)


def _host_label(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    parts = [p for p in host.split(".") if p not in ("www", "m", "amp")]
    return parts[-2] if len(parts) >= 2 else None


def _host_name(url: str) -> str | None:
    """The host without "www.": sites name themselves by it in title suffixes ("- Tageblatt.lu")."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def _subtree(tree: HtmlElement, xpath: str) -> HtmlElement | None:
    try:
        found = [el for el in tree.xpath(xpath) if isinstance(el, HtmlElement)]
    except (etree.XPathError, TypeError, ValueError):
        return None
    if not found:
        return None
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    for el in found:
        body.append(deepcopy(el))
    return load_html(etree.tostring(root, encoding="unicode"))


# Class words sites give the standfirst block (deck, lead, intro...) in several languages. Only consulted for
# blocks between the headline and the body's first line, so a "teaser" elsewhere on the page is never read.
_LEAD_WORDS = frozenset(
    (
        "lead",
        "lede",
        "leadtext",
        "intro",
        "introtext",
        "standfirst",
        "summary",
        "subtitle",
        "subheadline",
        "subhead",
        "subheading",
        "strapline",
        "deck",
        "dek",
        "description",
        "epigraph",
        "excerpt",
        "abstract",
        "perex",
        "chapeau",
        "entradilla",
        "ingress",
        "sottotitolo",
        "speakable",
        "teaser",
        "vorspann",
    )
)
_LEAD_PAIRS = frozenset({("sub", "title"), ("sub", "headline"), ("sub", "head"), ("teaser", "text")})
_HEADLINE_WORDS = frozenset({"title", "headline", "heading", "kicker", "overline", "label"})
# Ancestors that make a block chrome rather than a standfirst, whatever it says.
_LEAD_BAD_ANCESTOR_WORDS = frozenset(
    (
        "nav",
        "navigation",
        "menu",
        "sidebar",
        "sticky",
        "topbar",
        "caption",
        "credit",
        "credits",
        "media",
        "image",
        "photo",
        "video",
        "figure",
        "gallery",
        "share",
        "social",
        "author",
        "byline",
        "tooltip",
        "related",
        "comments",
        "newsletter",
        "promo",
        "ad",
        "ads",
        "advert",
    )
)
_LEAD_TAGS = frozenset({"p", "div", "h2", "h3", "h4", "span", "section", "strong"})
_LEAD_BLOCKERS = frozenset(
    {"a", "figure", "figcaption", "nav", "button", "ul", "ol", "li", "time", "aside", "form", "label", "footer"}
)
_BLOCK_CHILDREN = frozenset({"p", "div", "h2", "h3", "h4", "section", "ul", "ol", "figure", "table"})
_CLASS_SPLIT = re.compile(r"[\s_\-:/\[\]]+|(?<=[a-z])(?=[A-Z])")


def _class_words(el: HtmlElement) -> list[str]:
    raw = f"{el.get('class') or ''} {el.get('id') or ''}"
    return [w.lower() for w in _CLASS_SPLIT.split(raw) if w] if raw.strip() else []


def _word_key(s: str) -> str:
    return " ".join(WORD.findall(norm(s)))


def _overlap(a: str, b_words: set[str]) -> float:
    words = set(a.split())
    return len(words & b_words) / max(len(words), len(b_words), 1)


def _header_lead(
    tree: HtmlElement, text: str, description: str | None, titles: list[str], main: HtmlElement | None, url: str
) -> str | None:
    """The standfirst shown between the headline and the first line of the body. A block qualifies by its
    class words or by saying (nearly) what the page's description says; it must be a leaf block of prose
    that is not the headline again, a caption, page chrome or another story's teaser."""
    body = tree.find("body")
    start = _word_key(text.split("\n", 1)[0])[:60]
    if body is None or not start:
        return None
    desc_words = set(_word_key(description or "").split())
    title_words = [set(_word_key(t).split()) for t in titles if t]
    seen_h1 = body.find(".//h1") is None
    looked = 0
    for el in body.iter(etree.Element):
        tag = el.tag
        if tag == "h1":
            seen_h1 = True
            continue
        if not seen_h1 or tag not in _LEAD_TAGS:
            continue
        words = _class_words(el)
        pairs = list(itertools.pairwise(words))
        headline_like = any(w in _HEADLINE_WORDS for w in words[:1]) or any(
            b in _HEADLINE_WORDS and a != "sub" for a, b in pairs
        )
        by_class = not headline_like and (bool(_LEAD_WORDS.intersection(words)) or any(p in _LEAD_PAIRS for p in pairs))
        if (not by_class and tag not in ("p", "h2", "h3")) or _LEAD_BAD_ANCESTOR_WORDS.intersection(words):
            continue
        if any(c.tag in _BLOCK_CHILDREN for c in el.iterdescendants()):
            continue
        value = clean(el.text_content())
        key = _word_key(value)
        if not key:
            continue
        if key.startswith(start) or (len(key) >= 60 and start.startswith(key[:60])):
            return None  # reached the body without meeting a standfirst
        looked += 1
        if looked > 40:
            return None
        if not 30 <= len(value) <= 800 or len(key.split()) < 5:
            continue
        if not re.search(r"[.!?…:;»\"“”。！？]$", value) and len(value) < 60:
            continue  # a short line without a sentence end is a label or a headline variant
        if any(_overlap(key, tw) >= 0.6 for tw in title_words):
            continue
        if any(a.tag in _LEAD_BLOCKERS for a in el.iterancestors()) or any(
            _LEAD_BAD_ANCESTOR_WORDS.intersection(_class_words(a)) for a in itertools.islice(el.iterancestors(), 3)
        ):
            continue
        if _other_story(el, main, url):
            continue
        if by_class or (len(desc_words) >= 5 and _overlap(key, desc_words) >= 0.6):
            return value
    return None


def _other_story(el: HtmlElement, main: HtmlElement | None, url: str) -> bool:
    """The block belongs to another story: it sits in an <article> that does not hold the body, or in a card beside
    a headline link to another page."""
    article = next(el.iterancestors("article"), None)
    if article is not None and main is not None and article is not main and article not in set(main.iterancestors()):
        return True
    for block in itertools.islice(el.iterancestors(), 2):
        for link in block.iter("a"):
            words = len(clean(link.text_content()).split())
            in_heading = (
                any(a.tag in ("h2", "h3", "h4") for a in link.iterancestors()) or link.find(".//h2") is not None
            )
            if (words >= 5 or (in_heading and words >= 2)) and links_elsewhere(link, url):
                return True
    return False


def _with_lead(
    text: str, description: str | None, tree: HtmlElement, titles: list[str], main: HtmlElement | None, url: str
) -> str:
    """The text with the standfirst in front."""
    if not text:
        return text
    lead = _header_lead(tree, text, description, titles, main, url)
    if not lead:
        return _with_standfirst(text, description, tree)
    if _word_key(lead)[:80] in _word_key(text):
        return text
    return f"{lead}\n{text}"


def _with_standfirst(text: str, description: str | None, tree: HtmlElement) -> str:
    """The standfirst is part of the story but often sits in the header, outside what trafilatura keeps.
    It is taken only when the page shows it (a visible element with exactly that text), not from meta alone."""
    if not description or len(description) < 40 or not text:
        return text
    standfirst = " ".join(description.split())
    if standfirst[:60] in " ".join(text.split()):
        return text
    if len(standfirst) > 1000:
        return text
    if _SHOWN_TEXT(tree, d=standfirst):
        return f"{standfirst}\n{text}"
    return text
