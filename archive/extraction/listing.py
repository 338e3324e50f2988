"""Is this page one article, or a page of teasers (home, section, tag, author, feed pages)?"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .structured import PageData
from .urlshape import ends_in_document, is_front_page, is_listing_path, is_site_page_path
from .xpath import any_of

_INLINE = frozenset(
    {
        "a",
        "b",
        "i",
        "em",
        "strong",
        "span",
        "q",
        "u",
        "sub",
        "sup",
        "mark",
        "small",
        "time",
        "abbr",
        "cite",
        "font",
        "code",
        "s",
        "br",
    }
)
# A block with text of its own, or set in inline wrappers: blogs put a post's text in <span>s and <font>s split by
# <br>, inside a <div> that has none of its own (its own text is counted with the wrappers', by _own_text_len).
_LONG_TEXT = "text()[string-length(normalize-space()) > 15]"
_PROSE_XPATH = any_of(
    ("p", "div", "section", "article", "td", "blockquote"),
    f"[not(ancestor::a)][{_LONG_TEXT} or "
    + " or ".join(f"{tag}[{_LONG_TEXT}]" for tag in ("span", "font", "b", "strong", "em", "i"))
    + "]",
)
_TEASER_XPATH = any_of(("h2", "h3", "h4"), "[.//a[@href] or parent::a]")
# A list item that is one link to another page: the unit of a plain link-list feed ("<li><a>Headline</a></li>").
_LINK_ITEM_XPATH = etree.XPath("//body//li[count(.//a[@href]) = 1]")
# Links that may be a card's headline. Menus and footers repeat links on every page, article or not.
_CARD_LINK_XPATH = etree.XPath("//body//a[@href][not(ancestor::nav or ancestor::header or ancestor::footer)]")
# Han, kana and Hangul pack a headline into far fewer characters than alphabetic scripts.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Unclassed elements say nothing about being one of a kind, except these, which exist to be repeated.
_UNCLASSED_REPEATS = frozenset({"li", "article"})
# How far above its headline link a card's outer element may sit (li > div > div > div > div > a on forums).
_CARD_DEPTH = 6
_MIN_CARDS = 8
# How many prose blocks a card's summary beside its linked heading may have.
_CARD_SUMMARY_BLOCKS = 2
# Inline wrappers a link in running text may sit in: the text around them is the text around the link.
_LINK_WRAPPERS = frozenset({"b", "strong", "em", "i", "u", "span", "font"})


@dataclass(frozen=True, slots=True)
class PageShape:
    teasers: int  # heading-with-link blocks: the unit a listing is made of
    paragraph_cluster: int  # chars of the biggest run of sibling prose blocks: the unit of an article
    main: HtmlElement | None  # the parent of that run: where the article text lives
    prose_parents: tuple[HtmlElement, ...] = ()  # every parent of a run of prose worth keeping
    link_items: int = 0  # list items that are one link with a headline's worth of text
    link_items_chars: int = 0
    cards: int = 0  # distinct stories linked from groups of look-alike sibling blocks, headings or not
    cards_chars: int = 0  # chars of those stories' link texts
    # the teaser headings and card blocks: where other stories are named
    other_stories: tuple[HtmlElement, ...] = ()
    link_item_blocks: tuple[HtmlElement, ...] = ()  # the <li> of each link item


def _own_text_len(el: HtmlElement) -> int:
    n = len((el.text or "").strip())
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            n += len(child.text_content().strip())
        n += len((child.tail or "").strip())
    return n


def _leads_to_a_story(link: HtmlElement, url: str) -> bool:
    """The link goes to another page of this site that is not itself a listing: where a feed's headline leads. A
    blog's sidebar is link lists too, but of other sites (a blogroll) and of its own listings (archive months,
    categories, tags)."""
    if not _links_to_this_site(link, url):
        return False
    try:
        target = urlsplit(_absolute(url, (link.get("href") or "").strip()))
    except ValueError:
        return False
    return not is_listing_path(target.path, target.query)


def _link_items(tree: HtmlElement, url: str) -> list[HtmlElement]:
    found = []
    for item in _LINK_ITEM_XPATH(tree):
        text = " ".join(item.text_content().split())
        link = item.find(".//a[@href]")
        if link is None or len(text) < 15 or not _leads_to_a_story(link, url):
            continue
        if len(" ".join(link.text_content().split())) >= 0.8 * len(text):
            found.append(item)
    return found


def _text_of(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _text_chars(elements: list[HtmlElement]) -> int:
    return sum(len(_text_of(el)) for el in elements)


def _headline_like(text: str) -> bool:
    if len(text) >= 15:
        return any(c.isalpha() for c in text)
    return len(text) >= 6 and _CJK.search(text) is not None


def _in_running_text(link: HtmlElement) -> bool:
    """A link inside a sentence ("the <a>council's report</a> said") is prose, not a card's headline."""
    el = link
    parent = el.getparent()
    while parent is not None and parent.tag in _LINK_WRAPPERS:
        el, parent = parent, parent.getparent()
    if parent is None:
        return False
    previous = el.getprevious()
    before = (previous.tail if previous is not None else parent.text) or ""
    return _headline_like(" ".join((before + " " + (el.tail or "")).split()))


# Cached: a page names most links more than once (a card's picture and its headline), and the card, teaser and
# standfirst checks resolve the same links again. Both are pure functions of their strings.
@functools.lru_cache(maxsize=8192)
def _page_key(href: str) -> str:
    return urldefrag(href)[0].rstrip("/")


@functools.lru_cache(maxsize=8192)
def _absolute(url: str, href: str) -> str:
    return urljoin(url, href)


def _cards(tree: HtmlElement, url: str) -> tuple[int, int, set[HtmlElement]]:
    """Stories linked from runs of look-alike siblings: (how many, chars of their link texts, the blocks).

    A home, section or forum page repeats one block per story: same tag, same class, each with a
    headline link to its own page. Whether the headline sits in <h3>, <div class="title"> or the whole
    block is the link varies by theme; the repetition does not. Works from the links up, so the cost
    is the number of headline links times a few parent steps, not a walk over every element.
    """
    this_page = _page_key(url) if url else ""
    # (parent, tag, first class) -> {block: (target, chars of its longest headline link)}
    groups: dict[tuple[HtmlElement, str, str], dict[HtmlElement, tuple[str, int]]] = {}
    for link in _CARD_LINK_XPATH(tree):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        text = " ".join(link.text_content().split())
        if not _headline_like(text) or _in_running_text(link):
            continue
        try:
            target = _page_key(_absolute(url, href) if url else href)
        except ValueError:
            continue
        if target == this_page or (url and not _leads_to_a_story(link, url)):
            continue
        el = link
        for _ in range(_CARD_DEPTH):
            parent = el.getparent()
            if parent is None or parent.tag == "body":
                break
            classes = (el.get("class") or "").split()
            # The first class names the component; modifiers ("card card--top") come after it.
            if classes or el.tag in _UNCLASSED_REPEATS:
                members = groups.setdefault((parent, el.tag, classes[0] if classes else ""), {})
                seen = members.get(el)
                if seen is None or seen[1] < len(text):
                    members[el] = (target, len(text))
            el = parent
    stories: dict[str, int] = {}
    blocks: set[HtmlElement] = set()
    for members in groups.values():
        if len(members) < _MIN_CARDS or len({t for t, _ in members.values()}) < _MIN_CARDS:
            continue
        blocks.update(members)
        for target, n in members.values():
            stories.setdefault(target, n)
    return len(stories), sum(stories.values()), blocks


def _inside(el: HtmlElement, blocks: set[HtmlElement]) -> bool:
    """Is el one of blocks or within a few levels of one (as deep as a card's headline may sit)?"""
    if not blocks:
        return False
    for _ in range(_CARD_DEPTH + 1):
        if el is None:
            return False
        if el in blocks:
            return True
        el = el.getparent()
    return False


def links_elsewhere(link: HtmlElement, url: str) -> bool:
    """The link goes to another page than `url` (not to an anchor of it, nor to itself)."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return False
    try:
        return not url or _page_key(_absolute(url, href)) != _page_key(url)
    except ValueError:
        return False


def _site(host: str | None) -> str:
    return (host or "").lower().removeprefix("www.")


def _links_to_this_site(link: HtmlElement, url: str) -> bool:
    """The link goes to another page of this page's site: where a teaser leads."""
    if not links_elsewhere(link, url):
        return False
    try:
        return not url or _site(urlsplit(_absolute(url, (link.get("href") or "").strip())).hostname) == _site(
            urlsplit(url).hostname
        )
    except ValueError:
        return False


def _window_title(tree: HtmlElement) -> str:
    return " ".join((tree.findtext(".//title") or "").split()).casefold()


def _names_the_page(text: str, window_title: str) -> bool:
    """The heading's text is a headline the window title shows: the page's own, wherever the heading links."""
    return _headline_like(text) and text.casefold() in window_title


def _teaser_headings(tree: HtmlElement, url: str) -> list[HtmlElement]:
    """Headings that are links to other pages of the site: a teaser's. A heading whose link is an anchor on this page
    (a table of contents' target, a "¶" permalink) or a small part of its text ("History [edit]") heads a section of
    this one; one that links to another site names what a listicle's item is about; one the window title shows is
    this page's headline linking to its permalink, spelled otherwise than the URL the page was fetched at."""
    found = []
    window_title = _window_title(tree)
    for heading in _TEASER_XPATH(tree):
        parent = heading.getparent()
        if parent is not None and parent.tag == "a":
            if _links_to_this_site(parent, url) and not _names_the_page(_text_of(heading), window_title):
                found.append(heading)
            continue
        linked = sum(len("".join(a.text_content().split())) for a in heading.iter("a") if _links_to_this_site(a, url))
        if not linked:
            continue
        text = _text_of(heading)
        if linked >= 0.5 * len(text.replace(" ", "")) and not _names_the_page(text, window_title):
            found.append(heading)
    return found


def measure(tree: HtmlElement, url: str = "") -> PageShape:
    link_items = _link_items(tree, url)
    items, item_chars = len(link_items), _text_chars(link_items)
    n_cards, card_chars, card_blocks = _cards(tree, url)
    chars: dict[HtmlElement, int] = {}
    blocks: dict[HtmlElement, int] = {}
    teaser_headings = _teaser_headings(tree, url)
    other_stories = (*teaser_headings, *card_blocks)
    # A card: a linked headline with its summary beside it. Those summaries are not article prose.
    teaser_blocks = {h.getparent() for h in teaser_headings}
    teaser_blocks |= {h.getparent().getparent() for h in teaser_headings if h.getparent() is not None}
    prose = [(el, _own_text_len(el)) for el in _PROSE_XPATH(tree)]
    # A card's summary is a paragraph or two; a block that holds a run of them beside a linked heading (a post under
    # its title's link, a story with a "related" heading in its column) is a story, not a card.
    runs: dict[HtmlElement, int] = {}
    for el, n in prose:
        if n >= 40 and el.getparent() in teaser_blocks:
            runs[el.getparent()] = runs.get(el.getparent(), 0) + 1
    teaser_blocks = {b for b in teaser_blocks if runs.get(b, 0) <= _CARD_SUMMARY_BLOCKS}
    for el, n in prose:
        # Repeated cards hold other stories' summaries (or comments, or thread openers), never this page's body.
        if el.getparent() in teaser_blocks or _inside(el, card_blocks):
            continue
        if n >= 40:
            # Count each block for its parent and grandparent: themes wrap every paragraph in its own
            # <div>, and then the run of prose is only visible one level up.
            parent = el.getparent()
            for container in (parent, parent.getparent() if parent is not None else None):
                if container is not None:
                    chars[container] = chars.get(container, 0) + n
                    blocks[container] = blocks.get(container, 0) + 1
    if not chars:
        return PageShape(
            len(teaser_headings), 0, None, (), items, item_chars, n_cards, card_chars, other_stories, tuple(link_items)
        )
    main = max(chars, key=chars.__getitem__)
    best = chars[main]
    # Bodies split over several layout containers (between ads, in "widgets"): every run of at least two
    # prose blocks of a good size is body, not a one-paragraph author bio or teaser summary.
    floor = max(300, best // 4)
    parents = tuple(p for p, n in chars.items() if p is main or (n >= floor and blocks[p] >= 2))
    return PageShape(
        len(teaser_headings),
        best,
        main,
        parents,
        items,
        item_chars,
        n_cards,
        card_chars,
        other_stories,
        tuple(link_items),
    )


def _same_page(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return pa.path.rstrip("/") == pb.path.rstrip("/")


def _latin_equivalent(shape: PageShape) -> float:
    """The body run's length in Latin-script characters: a Han, kana or Hangul character carries
    about as much as a three-letter stretch of English (one word is ~1.5-2 CJK characters, ~5-6 Latin)."""
    if shape.main is None or not shape.paragraph_cluster:
        return 0.0
    text = "".join(shape.main.text_content().split())
    share = len(_CJK.findall(text)) / len(text) if text else 0.0
    return shape.paragraph_cluster * (1 + 2 * share)


# schema.org's types of a site's pages about itself.
_SITE_PAGE_TYPES = frozenset(("aboutpage", "contactpage"))


def site_page_reason(data: PageData, url: str, canonical: str | None) -> str | None:
    """Why the page is one of the site's pages about itself (About us, Contact, Privacy policy, Impressum), None when
    it is not: it declares itself one, or its URL names one and it declares no article. WordPress themes give such
    pages og:type=article and a WebPage in Yoast's @graph, so only an article in JSON-LD counts against the URL."""
    if data.ld_types & _SITE_PAGE_TYPES:
        return f"site page (declared {'/'.join(sorted(data.ld_types & _SITE_PAGE_TYPES))})"
    if data.ld_article is not None:
        return None
    for candidate in (canonical, url):
        try:
            path = urlsplit(candidate or "").path
        except ValueError:
            continue
        if is_site_page_path(path):
            return f"site page (URL {path})"
    return None


def _listing_url(url: str, canonical: str | None) -> tuple[str, bool]:
    """The path the page is known by and whether it is a listing's. A canonical URL that names the site's front page
    from a page that is not one is the theme's default, not the page's place: it says nothing of the page."""
    try:
        own, declared = urlsplit(url), urlsplit(canonical or url)
    except ValueError:
        return "", False
    if is_front_page(declared.path, declared.query) and not is_front_page(own.path, own.query):
        declared = own
    return declared.path, is_listing_path(declared.path, declared.query)


def ld_article_is_this_page(data: PageData, url: str, canonical: str | None) -> bool:
    """The JSON-LD article is this page's story, not one it links to: it names no other page as its own, and it has a
    headline or a body."""
    art = data.ld_article
    if art is None:
        return False
    main = art.get("mainEntityOfPage")
    ld_url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else art.get("url")
    this_page = not isinstance(ld_url, str) or _same_page(ld_url, canonical or url) or _same_page(ld_url, url)
    return this_page and bool(art.get("headline") or art.get("articleBody"))


@dataclass(frozen=True, slots=True)
class StorySpan:
    """The stretch of the page from its headline to the end of the prose the headline heads, in document order."""

    order: dict[HtmlElement, int]
    start: int
    end: int

    def holds(self, el: HtmlElement) -> bool:
        return self.start < self.order[el] <= self.end


def _page_headline(heading: HtmlElement, window_title: str) -> bool:
    """The heading is the page's own headline: an <h1>, or an <h2>/<h3> the window title names (a blog's post title
    under the blog's name), not a link, not in the navigation or the footer."""
    text = _text_of(heading)
    if not text or (heading.tag != "h1" and not _names_the_page(text, window_title)):
        return False
    return not any(el.tag in ("a", "nav", "footer") for el in heading.iterancestors())


def _story_under_headline(shape: PageShape) -> StorySpan | None:
    """The page's run of prose as what its headline heads: the last headline of the page's own (`_page_headline`)
    before the run's end opens it, and no teaser heading or card sits between that headline and the run's end. A
    story puts its text under its headline and the other stories' teasers beside or below it; a listing puts its
    teasers under its name, whatever text it has about itself. None when the page shows no such story."""
    main = shape.main
    if main is None:
        return None
    root = main.getroottree().getroot()
    order = {el: i for i, el in enumerate(root.iter())}
    end = order[main] + sum(1 for _ in main.iter()) - 1
    other_stories = set(shape.other_stories)
    window_title = _window_title(root)
    own = [
        order[heading]
        for heading in root.iter("h1", "h2", "h3")
        if order[heading] <= end and heading not in other_stories and _page_headline(heading, window_title)
    ]
    if not own:
        return None
    span = StorySpan(order, max(own), end)
    return None if any(span.holds(el) for el in shape.other_stories) else span


def listing_reason(data: PageData, shape: PageShape, url: str, canonical: str | None) -> str | None:
    """A human-readable reason when the page is a listing, None when it is an article."""
    ld_is_this_page = ld_article_is_this_page(data, url, canonical)
    og_type = (data.first("og:type") or "").lower()
    declared_article = ld_is_this_page or og_type == "article" or data.first("article:published_time") is not None
    path, listing_path = _listing_url(url, canonical)
    listing_declared = bool(data.ld_types & {"collectionpage", "itemlist", "searchresultspage", "profilepage"})

    teaser_note = f"{shape.teasers} teasers"
    if listing_path and not ld_is_this_page and shape.teasers >= 3:
        return f"listing page ({teaser_note}, URL {path or '/'})"
    # A tag or author page with one or two stories is still a listing: its URL says so and nothing
    # on the page claims to be an article.
    if listing_path and not declared_article and shape.teasers >= 1 and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, URL {path or '/'})"
    if listing_declared and not ld_is_this_page and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, declared collection)"
    if ld_is_this_page or (declared_article and not (og_type == "website" and shape.paragraph_cluster < 300)):
        return None
    # Undeclared page: judge by shape. An article has a run of prose; a listing has teasers.
    # The run is measured as Latin text: a short CJK story says in 400 characters what takes 1200 in
    # English and must not pass for "no body text".
    body = _latin_equivalent(shape)
    # Rails of related and featured stories and the site's menus sit beside a short post as they do beside a long
    # one: when the prose is what the page's headline heads, at a URL that names one document, the teasers, cards and
    # link lists outside that stretch are the rails and menus, not the page.
    story = (
        _story_under_headline(shape)
        if ends_in_document(path) and (shape.teasers >= 4 or shape.cards >= _MIN_CARDS or shape.link_items >= 10)
        else None
    )
    if shape.teasers >= 6 and body < 600 and story is None:
        return f"listing page ({teaser_note}, no body text)"
    if og_type in ("website", "object") and shape.teasers >= 4 and body < 1200 and story is None:
        return f"listing page ({teaser_note}, og:type {og_type})"
    # A plain feed of headline links, no teaser markup: many one-link items and next to no prose.
    cluster = shape.paragraph_cluster
    items, items_chars = shape.link_items, shape.link_items_chars
    if story is not None:
        in_story = [item for item in shape.link_item_blocks if story.holds(item)]
        items, items_chars = len(in_story), _text_chars(in_story)
    if items >= 10 and body < 600 and items_chars > 2 * cluster:
        return f"listing page ({items} linked headlines, no body text)"
    # Cards without teaser headings (forum threads, grids of linked titles): the same test, by repetition.
    # Related rails repeat cards on article pages too, so only the body decides.
    if shape.cards >= _MIN_CARDS and body < 600 and shape.cards_chars > 2 * cluster and story is None:
        return f"listing page ({shape.cards} cards, no body text)"
    return None
