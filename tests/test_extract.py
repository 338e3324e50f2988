"""Tests for archive.extract: the feed-page clutter contract, listings, hostile input, and real pages."""

from __future__ import annotations

import collections
import gzip
import json
import pickle
import re
import unicodedata
from pathlib import Path

import pytest

from archive.extract import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    Article,
    ExtractionHints,
    NotAnArticle,
    decode_html,
    extract,
    to_record,
)

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SITE = "https://feed-news.test"

# ------------------------------------------------------------------------------------ feed article pages
# Two article pages shaped like a Ghost-built news site's "News Feed" articles (one with an inline
# related-article link, one without), with every kind of clutter such pages put around the story:
# the story must come out exactly, and none of the clutter.

SEEDS = {
    "bakhmut-escalation": {
        "title": "Defense Ministry reports escalation on Bakhmut front line, advances on southern flank",
        "caption": "Ukrainian soldiers from the 60th Battalion of Territorial Defense are shooting rounds into Russian "
        "positions outside Bakhmut in Donetsk Oblast on June 19. (Photo Anadolu Agency via Getty Images)",
        "paragraphs": [
            'The battlefield situation has "escalated again" in the Bakhmut area, with two sides trying to gain '
            "the initiative, Deputy Defense Minister Hanna Maliar reported on July 3.",
            "Ukrainian forces are advancing on the city's southern flank, near the village of Klishchiivka, "
            "said Maliar.",
            '"However, the situation is changing very rapidly. Control over the same positions can be lost and '
            'regained twice a day," the official added.',
            "According to Maliar, Russian forces quickly react to Ukraine's actions, setting up \"three lines of "
            'defense in threatening directions."',
            "Ukrainian troops started offensive operations in the Bakhmut direction around June 24, gradually "
            "advancing on the southern and northern flanks.",
        ],
        "related": None,
        "author": "Dinara Khalilova",
        "bio": "Dinara Khalilova is a reporter at the Feed News, where she has previously worked as a news editor. "
        "In the early weeks of the full-scale invasion, she worked as a fixer and local producer.",
        "published": "2023-07-03T18:22:05+03:00",
    },
    "advance-south-of-bakhmut": {
        "title": "General Staff: Ukraine continues to advance south of Bakhmut",
        "caption": "Ukrainian soldiers of the 57th Motor Rifle Brigade are seen near the Bakhmut front line on "
        "June 28, 2023. (Photo by Ercin Erturk/Anadolu Agency via Getty Images)",
        "paragraphs": [
            "Ukrainian troops continue to advance south of Bakhmut in the Bila Hora-Andriivka sector, spokesperson "
            "of the General Staff Andrii Kovalov informed on July 14.",
            '"There are successes in the Bila Hora-Andriivka sector, (troops) are solidifying newly taken '
            'positions," Kovalov commented.',
            "Ukrainian forces continue to repel Russian attempts to advance at the Kupiansk, Lyman, Avdiivka, and "
            "Mariinka directions, he added.",
            "In the sectors of Novodanylivka-Balka Shyroka and Mala Tokmachka-Novopokrovka, Ukrainian troops have "
            "advanced and solidified new positions, Maliar informed.",
        ],
        "related": "‘It’s a lottery’: How Ukraine’s assault brigade counterattacks near Bakhmut",
        "author": "Martin Fornusek",
        "bio": "Martin Fornusek is a reporter for the Feed News, specializing in international and regional "
        "politics, history, and disinformation. Based in Lviv, he often reports on international politics.",
        "published": "2023-07-14T15:32:10+03:00",
    },
}

CLUTTER = (
    "members on board",
    "chose to be part of",
    "min read",
    "Getty Images",
    "Photo",
    "Avatar",
    "Reporter",
    "Read more",
    "News Feed",
    "Show More",
    "Video",
    "Follow us",
    "Share this",
    "pic.twitter.com",
    "specializing in",
    "previously worked",
    "Foreign Minister Andrii Sybiha",
    "documentary",
    "lottery",
)


def feed_article_html(slug: str) -> str:
    seed = SEEDS[slug]
    body = "\n".join(f"<p>{p}</p>" for p in seed["paragraphs"][:2])
    if seed["related"]:
        body += f'\n<p><a href="{SITE}/news/its-a-lottery-assault-brigade/">{seed["related"]}</a></p>'
    body += (
        '\n<blockquote class="twitter-tweet"><p lang="en">Front line update, thread below</p>&mdash; Feed News '
        '(@feednews) <a href="https://twitter.com/feednews/status/1">July 3, 2023</a> pic.twitter.com/abc'
        "</blockquote>"
    )
    body += "\n" + "\n".join(f"<p>{p}</p>" for p in seed["paragraphs"][2:])
    teasers = "\n".join(
        f'<article class="feed-item"><h3><a href="{SITE}/news/item-{i}/">Feed headline number {i} about the '
        f"war and diplomacy</a></h3><p>Foreign Minister Andrii Sybiha on Jan. {i} condemned the crackdown and "
        f"called for pressure, drawing parallels with conduct on the global stage.</p></article>"
        for i in range(1, 9)
    )
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Feed News", "url": SITE},
            {
                "@type": "NewsArticle",
                "headline": seed["title"],
                "datePublished": seed["published"],
                "author": [{"@type": "Person", "name": seed["author"]}],
                "publisher": {"@type": "Organization", "name": "Feed News"},
                "mainEntityOfPage": {"@type": "WebPage", "@id": f"{SITE}/news/{slug}/"},
            },
        ],
    }
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<title>{seed["title"]} | Feed News</title>
<link rel="canonical" href="{SITE}/news/{slug}/">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Feed News">
<meta property="og:title" content="{seed["title"]}">
<meta property="og:image" content="/content/images/{slug}.jpg">
<meta property="article:published_time" content="{seed["published"]}">
<meta property="article:tag" content="News Feed">
<meta property="article:section" content="News Feed">
<meta name="description" content="{seed["paragraphs"][0][:120]}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head>
<body class="post-template tag-news-feed">
<header class="site-header">
  <nav class="site-nav"><a href="/">Home</a><a href="/tag/news-feed/">News Feed</a><a href="/video/">Video</a></nav>
  <div class="membership-banner"><span class="members-count">0 members on board</span>
    <p>25,000 people chose to be part of the Feed News community — thank you.</p>
    <a class="button" href="/membership/">Join us</a></div>
</header>
<main class="site-main">
<article class="post tag-news-feed">
  <header class="post-header">
    <a class="post-tag" href="/tag/news-feed/">News Feed</a>
    <h1 class="post-title">{seed["title"]}</h1>
    <div class="post-meta"><span class="reading-time">1 min read</span></div>
  </header>
  <p class="post-feature-title">{seed["title"]}</p>
  <figure class="post-image"><img src="/content/images/{slug}.jpg" alt="{seed["title"]}">
    <figcaption>{seed["caption"]}</figcaption></figure>
  <section class="post-content gh-content">
{body}
  </section>
  <section class="post-share"><span>Share this</span><a href="https://twitter.com/share">Twitter</a>
    <a href="https://facebook.com/share">Facebook</a><span>Follow us</span></section>
  <section class="author-card">
    <div class="author-avatar"><img src="/a.jpg" alt="Avatar"><span>Avatar</span></div>
    <h4 class="author-name"><a href="/author/{seed["author"].lower().replace(" ", "-")}/">{seed["author"]}</a></h4>
    <span class="author-role">Reporter</span>
    <p class="author-bio">{seed["bio"]}</p>
    <a class="read-more" href="/author/x/">Read more</a>
  </section>
</article>
<aside class="news-feed-sidebar">
  <h2>News Feed</h2>
  {teasers}
  <div class="video-block"><h2>Video</h2><p>Russia’s takeover of Crimea did not begin in 2014. In the first part of
  a new documentary, the War Crimes Investigation Unit looks at how it began.</p></div>
  <button class="load-more">Show More</button>
</aside>
</main>
<footer class="site-footer"><p>© 2023 Feed News. All rights reserved.</p><a href="/about/">About</a></footer>
</body></html>"""


@pytest.mark.parametrize("slug", sorted(SEEDS))
def test_feed_article_body_is_exactly_the_story(slug: str) -> None:
    seed = SEEDS[slug]
    result = extract(
        feed_article_html(slug).encode("utf-8"),
        f"{SITE}/news/{slug}/?utm_source=feed",
        {"content-type": "text/html; charset=utf-8"},
    )
    assert isinstance(result, Article), result
    assert result.text == "\n".join(seed["paragraphs"])
    for phrase in CLUTTER:
        assert phrase not in result.text, phrase


@pytest.mark.parametrize("slug", sorted(SEEDS))
def test_feed_article_metadata(slug: str) -> None:
    seed = SEEDS[slug]
    result = extract(feed_article_html(slug).encode("utf-8"), f"{SITE}/news/{slug}/?utm_source=feed")
    assert isinstance(result, Article)
    assert result.title == seed["title"]
    assert result.authors == (seed["author"],)
    assert result.published == seed["published"]
    assert result.language == "en"
    assert result.canonical_url == f"{SITE}/news/{slug}/"
    assert result.site_name == "Feed News"
    assert result.section == "News Feed"
    assert result.tags == ("News Feed",)
    assert result.image == f"{SITE}/content/images/{slug}.jpg"
    assert result.extractor == EXTRACTOR_NAME
    assert result.extractor_version == EXTRACTOR_VERSION


# ------------------------------------------------------------------------------------------- listings


def listing_html(og_type: str | None = "website", n: int = 12) -> str:
    teasers = "\n".join(
        f'<article class="card"><a href="{SITE}/news/story-{i}/"><img src="/i{i}.jpg" alt=""></a>'
        f'<h2 class="card-title"><a href="{SITE}/news/story-{i}/">Headline of story {i} on the front line</a></h2>'
        f"<p>Teaser {i}: officials said on Monday that the situation near the city had changed overnight, "
        f"with fighting reported in several districts.</p><span>1 min read</span></article>"
        for i in range(n)
    )
    og = f'<meta property="og:type" content="{og_type}">' if og_type else ""
    return f"""<html lang="en"><head><title>News Feed | Feed News</title>{og}
<meta property="og:title" content="News Feed"></head>
<body><header><nav><a href="/">Home</a></nav></header><main><h1>News Feed</h1>{teasers}
<button>Show More</button></main><footer>© Feed News</footer></body></html>"""


@pytest.mark.parametrize(
    ("url", "og_type"),
    [
        (f"{SITE}/tag/news-feed/", "website"),
        (f"{SITE}/", "website"),
        (f"{SITE}/author/martin-fornusek/", "profile"),
        (f"{SITE}/news-feed/", "website"),
        (f"{SITE}/news-feed/", None),
        (f"{SITE}/ukraine/page/2/", None),
    ],
)
def test_listing_pages_are_not_articles(url: str, og_type: str | None) -> None:
    result = extract(listing_html(og_type).encode(), url)
    assert isinstance(result, NotAnArticle), result
    assert result.kind == "listing"
    assert "teasers" in result.reason
    assert result.title == "News Feed"


def test_collection_page_declared_in_json_ld_is_a_listing() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": "Politics",
        "mainEntity": {
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "url": f"{SITE}/news/story-{i}/"} for i in range(10)
            ],
        },
    }
    html = listing_html(None).replace("</head>", f'<script type="application/ld+json">{json.dumps(ld)}</script></head>')
    result = extract(html.encode(), f"{SITE}/politics")
    assert isinstance(result, NotAnArticle)
    assert result.kind == "listing"


def test_short_article_is_still_an_article() -> None:
    html = f"""<html lang="en"><head><title>Brief | Feed News</title>
<meta property="og:type" content="article"></head><body><main><article><h1>Brief news item from the front</h1>
<p>Ukrainian forces repelled 12 attacks near Avdiivka over the past day, the General Staff said on Tuesday.</p>
</article></main><aside>{listing_html().split("<main>")[1].split("</main>")[0]}</aside></body></html>"""
    result = extract(html.encode(), f"{SITE}/news/brief-news-item/")
    assert isinstance(result, Article), result
    assert result.text.startswith("Ukrainian forces repelled 12 attacks")


# -------------------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("body", "headers", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", {"Content-Type": "application/pdf"}, "non-html"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "non-html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"CONTENT-TYPE": "image/png"}, "non-html"),
        (b'{"items": [1, 2, 3]}', {"content-type": "application/json"}, "non-html"),
        (b"<html><body><p>x</p></body></html>", {"Content-Type": "image/jpeg"}, "non-html"),
        (b"", None, "empty"),
        (b"   \n\t  ", None, "empty"),
        (b"<html><head><title>t</title></head><body></body></html>", None, "empty"),
    ],
)
def test_non_articles(body: bytes, headers: dict[str, str] | None, kind: str) -> None:
    result = extract(body, "https://x.test/a", headers)
    assert isinstance(result, NotAnArticle), result
    assert result.kind == kind
    assert result.reason


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 40,
        b"\x00" * 5000,
        b"<" * 50_000,
        b"<div>" * 100_000 + b"deep text " * 50 + b"</div>" * 100_000,
        b"<html><body>" + b"<p>unclosed <b>bold <i>italic " * 2000,
        b"<?xml version='1.0' encoding='utf-8'?><html><body><p>" + "Kyiv ünïcödé ".encode() * 100 + b"</p>",
        "<html><body><p>Лист ".encode("cp1251") * 300,
        b'<html><head><script type="application/ld+json">{"@type": [}</script></head><body><p>' + b"a " * 300,
        b'<html><head><meta charset="no-such-charset"></head><body><p>' + b"text " * 100,
    ],
)
def test_hostile_input_never_raises(body: bytes) -> None:
    result = extract(body, "https://x.test/news/some-story-123")
    assert isinstance(result, Article | NotAnArticle)
    pickle.loads(pickle.dumps(result))


def test_non_string_url_and_odd_headers_do_not_raise() -> None:
    result = extract(
        b"<html><body><p>" + b"word " * 200 + b"</p></body></html>",
        None,  # type: ignore[arg-type]
        {b"Content-Type": b"text/html"},
    )  # type: ignore[dict-item]
    assert isinstance(result, Article | NotAnArticle)


# ------------------------------------------------------------------------------------------- decoding


def test_decode_html_prefers_header_then_meta_then_detection() -> None:
    text = "Zürich: Bürger über Straße geärgert – ein Bericht über Öffnungszeiten und Gebühren. " * 5
    latin = f"<html><head><title>t</title></head><body><p>{text}</p></body></html>".encode("cp1252")
    assert text in decode_html(latin, {"content-type": "text/html; charset=windows-1252"})
    meta = f'<html><head><meta charset="iso-8859-1"></head><body><p>{text}</p></body></html>'.encode("cp1252")
    assert text in decode_html(meta, None)
    assert text in decode_html(latin, None)  # no declaration: detected
    assert decode_html(b"\xef\xbb\xbf<p>BOM</p>", {"Content-Type": "text/html; charset=latin-1"}) == "<p>BOM</p>"
    # A stale legacy declaration on a page that is valid UTF-8.
    assert "人民网" in decode_html('<meta charset="gb2312"><p>人民网</p>'.encode(), None)
    assert decode_html(b"\xff\xfe\xfd broken", {"content-type": "text/html; charset=utf-8"})


# ------------------------------------------------------------------------------------ fallbacks, hints


def test_json_ld_article_body_used_when_dom_has_no_body() -> None:
    story = [
        "First paragraph of the story that only lives in structured data, long enough to count.",
        "Second paragraph, with more detail on what happened and who said what about it.",
    ]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Script-only story",
        "articleBody": "\n".join(story),
        "datePublished": "2024-02-01",
        "inLanguage": "en-GB",
    }
    html = f"""<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>
<body><div id="app"></div><h1>Script-only story</h1></body></html>"""
    result = extract(html.encode(), "https://x.test/news/script-only-story")
    assert isinstance(result, Article), result
    assert result.text == "\n".join(story)
    assert result.published == "2024-02-01"
    assert result.language == "en"


def _hydrated_text(state: dict) -> str:
    """The text extract() finds on a page whose story exists only in a Next.js state blob."""
    html = f"""<html lang="en"><head><meta property="og:type" content="article"><title>Hydrated</title></head>
<body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script>
</body></html>"""
    result = extract(html.encode(), "https://x.test/news/hydrated-story")
    assert isinstance(result, Article), result
    return result.text


def test_hydration_blob_used_when_dom_has_no_body() -> None:
    paras = [
        f"Paragraph {i} of a story rendered only by client-side JavaScript, with enough words to be prose."
        for i in range(6)
    ]
    state = {"props": {"pageProps": {"article": {"title": "Hydrated", "body": "".join(f"<p>{p}</p>" for p in paras)}}}}
    assert _hydrated_text(state) == "\n".join(paras)


_STORY_BLOCKS = [
    "The council voted on Tuesday to close the old bridge.",
    "Residents had complained for years about cracks in the concrete and lorries at night, the mayor said.",
    '"We had no choice," she said.',
    "Engineers will inspect the structure next month and a decision on a replacement is expected before the winter.",
    "Traffic will be diverted through the town centre.",
    "Shop owners on the high street fear the diversion will bring congestion, but some welcome the passing trade.",
    "The bridge, built in 1962, carried about eleven thousand vehicles a day before the weight limit was lowered.",
]
_RELATED = [
    {
        "headline": f"Other story {i}",
        "description": f"The summary of another story, number {i}, shown in the related "
        "rail with enough words in it to pass for a paragraph of prose.",
    }
    for i in range(4)
]


def _client_rendered_page(script: str) -> bytes:
    return f"""<html lang="en"><head><meta property="og:type" content="article"><title>Bridge closes</title></head>
<body><div id="app"><h1>Bridge closes</h1></div>{script}</body></html>""".encode()


def test_hydration_body_is_the_story_s_list_of_blocks_short_paragraphs_kept_other_stories_left_out() -> None:
    blocks = [{"type": "paragraph", "text": t} for t in _STORY_BLOCKS]
    blocks.insert(2, {"type": "image", "caption": "The bridge in 1962, a caption long enough to read as a sentence."})
    # GraphQL names block types in CamelCase
    blocks.insert(
        3, {"__typename": "ImageBlock", "text": "The bridge at dusk, another caption that reads like a sentence."}
    )
    blocks.insert(4, {"type": "interstitial_link", "content": "Read also: the town's other bridge is fine, says mayor"})
    state = {"props": {"pageProps": {"article": {"blocks": blocks}, "related": _RELATED}}}
    html = f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script>'
    result = extract(_client_rendered_page(html), "https://x.test/news/bridge-closes")
    assert isinstance(result, Article), result
    assert result.text == "\n".join(_STORY_BLOCKS)


@pytest.mark.parametrize(
    "template",
    [
        # Arc XP: several statements in one script, the story in the second.
        'window.Fusion=window.Fusion||{{}};Fusion.arcSite="paper";Fusion.globalContent={state};'
        'Fusion.globalContentConfig={{"source":"content-api"}};Fusion.spa=false;',
        # Redux-style state assigned to window, followed by another assignment.
        'window.__PRELOADED_STATE__ = {state};\nwindow.__ENV__ = {{"release": "1.2.3"}};',
    ],
    ids=["arc-fusion", "window-state"],
)
def test_hydration_body_found_in_a_script_of_several_statements(template: str) -> None:
    state = {
        "headlines": {"basic": "Bridge closes"},
        "content_elements": [{"type": "text", "content": t, "_id": str(i)} for i, t in enumerate(_STORY_BLOCKS)],
        "related_content": {"basic": _RELATED},
    }
    script = "<script>" + template.format(state=json.dumps(state)) + "</script>"
    result = extract(_client_rendered_page(script), "https://x.test/news/bridge-closes")
    assert isinstance(result, Article), result
    assert result.text == "\n".join(_STORY_BLOCKS)


def test_hydration_body_replaces_a_dom_that_shows_only_the_first_lines_of_the_story() -> None:
    story = [
        *_STORY_BLOCKS,
        *(f"Further paragraph {i} of the story, which the page renders in the browser." for i in range(8)),
    ]
    state = {"props": {"pageProps": {"article": {"blocks": [{"type": "paragraph", "text": t} for t in story]}}}}
    shown = "".join(f"<p>{t}</p>" for t in story[:2])
    html = f"""<html lang="en"><head><meta property="og:type" content="article"><title>Bridge closes</title></head>
<body><article><h1>Bridge closes</h1>{shown}<button>Continue reading</button></article>
<script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script></body></html>"""
    result = extract(html.encode(), "https://x.test/news/bridge-closes")
    assert isinstance(result, Article), result
    assert result.text == "\n".join(story)


def test_a_short_story_in_the_dom_is_not_replaced_by_a_longer_list_of_comments_in_the_state() -> None:
    story = _STORY_BLOCKS[:4]
    comments = [
        {
            "type": "comment",
            "text": f"Comment {i}: I drove over that bridge every day for years and "
            "I never thought it was unsafe, what a waste of money.",
        }
        for i in range(12)
    ]
    state = {"props": {"pageProps": {"comments": comments}}}
    html = f"""<html lang="en"><head><meta property="og:type" content="article"><title>Bridge closes</title></head>
<body><article><h1>Bridge closes</h1>{"".join(f"<p>{t}</p>" for t in story)}</article>
<script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script></body></html>"""
    result = extract(html.encode(), "https://x.test/news/bridge-closes")
    assert isinstance(result, Article), result
    assert result.text == "\n".join(story)


def test_a_paragraph_that_is_a_picture_s_caption_is_dropped() -> None:
    html = (
        _story_page([], [])
        .decode()
        .replace('<div class="text">', '<div class="text"><p class="wp-caption-text">The breakwater at dawn (R)</p>')
    )
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_the_headline_repeated_in_another_of_the_page_s_wordings_is_dropped() -> None:
    # JSON-LD and og:title agree on one wording (the title), the <h1> shows another: both are the headline.
    h1 = "Port finishes its new breakwater before the storms"
    html = (
        _story_page([h1], [])
        .decode()
        .replace(
            "<title>Breakwater done by autumn</title>",
            '<title>Breakwater done by autumn</title><meta property="og:title" content="Breakwater done by autumn">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Breakwater done by autumn"}'
            "</script>",
        )
        .replace("<h1>Breakwater done by autumn</h1>", f"<h1>{h1}</h1>")
    )
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.title == "Breakwater done by autumn"
    assert result.text.split("\n") == list(_STORY)


def test_a_body_taken_from_json_ld_gets_the_same_line_cleanup() -> None:
    story = [*_STORY, "Write to Nina Magoley at nina.magoley@paper.test", "Copyright 2024 Paper. All rights reserved."]
    ld = {"@type": "NewsArticle", "headline": "Breakwater done by autumn", "articleBody": "\n".join(story)}
    html = f"""<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>
<body><div id="app"></div><h1>Breakwater done by autumn</h1></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article), result
    assert result.text.split("\n") == list(_STORY)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("<p>VERÖFFENTLICHT AM 07.06.2019</p>", "2019-06-07"),
        ("<ul><li><strong>Date</strong> 10.06.2013</li><li><strong>Author</strong> Jane Doe</li></ul>", "2013-06-10"),
        ("<p>Published on June 7, 2019</p>", "2019-06-07"),
        ("<p>Publié le 7 juin 2019</p>", "2019-06-07"),
    ],
)
def test_a_labelled_publication_date_beats_site_clocks_and_teasers_when_nothing_is_declared(
    label: str, expected: str
) -> None:
    story = "".join(f"<p>{p}</p>" for p in _STORY)
    html = f"""<html><head><title>Breakwater done by autumn</title></head><body>
<div class="topbar">Montag, 09.12.2019</div><article><h1>Breakwater done by autumn</h1>{story}{label}</article>
<div class="more"><h2><a href="/other">Sour grapes <span class="date">01.08.2019</span></a></h2></div></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.published == expected


def test_hints_select_and_drop() -> None:
    html = """<html><body><div class="story"><p>Kept paragraph one, long enough to be a real paragraph of text.</p>
<div class="promo-x"><p>Promotional paragraph that a site profile knows to be junk and wants removed.</p></div>
<p>Kept paragraph two, also long enough to be a real paragraph of body text.</p></div>
<div class="other"><p>Unrelated text outside of the story container that should not be part of it.</p></div>
</body></html>"""
    hints = ExtractionHints(drop_xpaths=('//div[@class="promo-x"]',), body_xpath='//div[@class="story"]')
    result = extract(html.encode(), "https://x.test/news/a-story", None, hints)
    assert isinstance(result, Article), result
    assert "Kept paragraph one" in result.text and "Kept paragraph two" in result.text
    assert "Promotional" not in result.text and "Unrelated" not in result.text
    # A broken hint is ignored, not fatal.
    assert isinstance(
        extract(html.encode(), "https://x.test/a", None, ExtractionHints(body_xpath="//[")), Article | NotAnArticle
    )


# ------------------------------------------------------------------------------------- result contract


def test_results_pickle_and_hash_ignores_url_and_version() -> None:
    result = extract(feed_article_html("advance-south-of-bakhmut").encode(), f"{SITE}/news/advance/")
    assert isinstance(result, Article)
    clone = pickle.loads(pickle.dumps(result))
    assert clone == result
    assert len(result.content_hash()) == 64
    moved = Article(
        **{f: getattr(result, f) for f in Article.__slots__} | {"url": "https://y.test/", "extractor_version": "9"}
    )
    assert moved.content_hash() == result.content_hash()
    edited = Article(**{f: getattr(result, f) for f in Article.__slots__} | {"text": result.text + "!"})
    assert edited.content_hash() != result.content_hash()
    pickle.loads(pickle.dumps(ExtractionHints(drop_xpaths=("//x",))))
    assert pickle.loads(pickle.dumps(extract)) is extract


def test_to_record_shapes() -> None:
    art = to_record(extract(feed_article_html("advance-south-of-bakhmut").encode(), f"{SITE}/news/advance/"))
    keys = {
        "url",
        "canonical_url",
        "title",
        "authors",
        "published",
        "modified",
        "language",
        "description",
        "section",
        "tags",
        "image",
        "site_name",
        "text",
        "extractor",
        "extractor_version",
        "is_article",
        "reason",
    }
    assert keys <= set(art)
    assert art["is_article"] is True and isinstance(art["authors"], list)
    bad = to_record(NotAnArticle(url="u", reason="not HTML (application/pdf)", kind="non-html"))
    assert keys <= set(bad)
    assert bad["is_article"] is False and bad["text"] == "" and bad["reason"]
    json.dumps(art), json.dumps(bad)


# ---------------------------------------------------------------------------------- real-page regressions

_NOSPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(f"[{_NOSPACE}]|[^\\W{_NOSPACE}]+")


def token_f1(pred: str, true: str) -> float:
    """The corpus metric: bag-of-tokens F1 (NFKC, casefold; CJK characters are tokens)."""
    p = collections.Counter(_TOKEN.findall(unicodedata.normalize("NFKC", pred).casefold()))
    t = collections.Counter(_TOKEN.findall(unicodedata.normalize("NFKC", true).casefold()))
    tp = sum((p & t).values())
    if not tp:
        return 0.0
    prec, rec = tp / sum(p.values()), tp / sum(t.values())
    return 2 * prec * rec / (prec + rec)


CASES = [json.loads(line) for line in (FIXTURES / "expected.jsonl").read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_real_pages(case: dict) -> None:
    body = gzip.decompress((FIXTURES / case["file"]).read_bytes())
    result = extract(body, case["url"])
    assert isinstance(result, Article), result
    assert token_f1(result.text, case["text"]) >= 0.92
    assert result.published is not None and result.published[:10] == case["published"][:10]
    assert result.language == case["language"]
    if "People" not in case["id"]:  # fundus keeps "--时政--人民网" in that title and credits the editors
        assert result.title == case["title"]
        assert list(result.authors) == case["authors"]
    for clutter in case.get("absent", ()):
        assert clutter not in result.text


# ------------------------------------------------------------------------------ generic rules (synthetic)

_BODY_PARAGRAPHS = (
    "The city council voted on Tuesday to expand the tram network by twelve kilometres over the next decade.",
    "Supporters said the plan would cut commuting times, while opponents warned about the cost to taxpayers.",
    "Construction of the first section is expected to begin next spring, according to the transport office.",
)


def article_page(header: str = "", body_extra: str = "", head: str = "", after: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in _BODY_PARAGRAPHS)
    return f"""<html lang="en"><head><title>Tram network to grow | City Paper</title>
<meta property="og:type" content="article">{head}</head><body><main><article>
<header><h1>Tram network to grow by twelve kilometres</h1>{header}</header>
<div class="article-body">{paragraphs}{body_extra}</div>{after}</article></main></body></html>""".encode()


def test_standfirst_between_headline_and_body_is_kept() -> None:
    lead = "The council backs the largest transport investment in a generation, despite the cost."
    html = article_page(
        f'<p class="article-lead">{lead}</p>'
        '<div class="image-caption">A tram in the old town, seen from the bridge over the river.</div>'
        '<p class="kicker-label">City transport and planning</p>'
    )
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    lines = result.text.split("\n")
    assert lines[0] == lead
    assert lines[1] == _BODY_PARAGRAPHS[0]
    assert "old town" not in result.text and "City transport and planning" not in result.text


def test_standfirst_recognised_by_matching_the_description_without_a_class() -> None:
    lead = "Twelve more kilometres of tram lines are planned, the council decided after a long debate."
    head = '<meta name="description" content="Twelve more kilometres of tram lines are planned, the council decided.">'
    result = extract(article_page(f"<p>{lead}</p>", head=head), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.text.split("\n")[0] == lead


def _ld(author: object) -> str:
    obj = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Tram network to grow by twelve kilometres",
        "author": author,
        "publisher": {"@type": "Organization", "name": "City Paper"},
    }
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Redaktion hessenschau.de"], ("Redaktion hessenschau.de",)),  # the credit itself, not a prefix
        (["Redaktion: Anna Muster"], ("Anna Muster",)),
        (["Text: Jan Novak"], ("Jan Novak",)),
        (["BR24 Redaktion"], ("BR24 Redaktion",)),  # a digit inside a word is a brand, not a date
        (["Jan Novak, 12.03.2024"], ("Jan Novak",)),
        (["Mathatisi Sebusi/Mohalenyane Phakela"], ("Mathatisi Sebusi", "Mohalenyane Phakela")),
        (["Redacción"], ()),  # "the newsroom", a desk
        (["Redazione", "Ana Sánchez"], ("Ana Sánchez",)),
    ],
)
def test_author_name_normalization(names: list[str], expected: tuple[str, ...]) -> None:
    from archive.extraction.credits import normalize_authors

    assert normalize_authors(names) == expected


def test_byline_of_a_teaser_card_is_not_this_story_s_author() -> None:
    card = (
        '<ul class="article-list"><li><article class="card"><h3><a href="/other">Other story about buses</a></h3>'
        '<span class="byline"><a rel="author" href="/authors/rebecca">Rebecca Astill</a></span></article></li></ul>'
    )
    html = article_page(
        '<div class="article-byline"><a rel="author" href="/authors/madeleine">Madeleine Howell</a></div>', after=card
    )
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("Madeleine Howell",)


def test_bold_name_paragraph_is_the_byline_when_structured_data_names_only_the_site() -> None:
    prose = "Residents of the valley said the works had gone on for months. " * 2
    body = f"<p><strong>Lerato Mokoena</strong></p><p>{prose}</p>"
    html = article_page(
        body_extra=body,
        head='<meta name="author" content="City Paper"><meta property="og:site_name" content="City Paper">',
    )
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("Lerato Mokoena",)


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("By Jane Doe and John Roe", ("Jane Doe", "John Roe")),
        ("- Von: Bill MCCARTHY, Marisha GOLDHAMER", ("Bill MCCARTHY", "Marisha GOLDHAMER")),
        ("Von Montag an fahren die Fähren nach einem neuen Fahrplan.", ()),  # a sentence, not a byline
    ],
)
def test_a_byline_at_the_top_of_the_text_names_the_authors_when_the_markup_does_not(
    byline: str, authors: tuple[str, ...]
) -> None:
    story = "".join(f"<p>{p}</p>" for p in _STORY)
    html = f"""<html lang="en"><head><title>Breakwater done by autumn</title>
<meta property="og:type" content="article"></head><body><article><h1>Breakwater done by autumn</h1>
<div class="text"><p>{byline}</p>{story}</div></article></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.authors == authors
    assert (byline in result.text) == (not authors)


def test_a_labelled_author_beats_the_site_s_own_credit() -> None:
    story = "".join(f"<p>{p}</p>" for p in _STORY)
    html = f"""<html lang="en"><head><title>Breakwater done by autumn</title><meta property="og:type" content="article">
<meta name="author" content="Paper Online (www.paper.test)"></head><body><article><h1>Breakwater done by autumn</h1>
{story}</article><div class="facts"><ul><li><strong>Date</strong> 10.06.2013</li>
<li><strong>Author</strong> Julian Tompkin</li></ul></div></body></html>"""
    result = extract(html.encode(), "https://www.paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.authors == ("Julian Tompkin",)
    # Without the label, the site's credit is what the page gives.
    result = extract(html.replace("<strong>Author</strong> Julian Tompkin", "").encode(), "https://www.paper.test/x/y")
    assert isinstance(result, Article)
    assert result.authors == ("Paper Online",)


def test_cms_admin_account_is_not_an_author() -> None:
    admin = {"@id": "https://paper.test/author/admin/", "name": "Umhlaba D"}
    body = f"<p><b>THANDO NDLOVU</b></p><p>{'The school said the animals had been removed from the grounds. ' * 2}</p>"
    result = extract(article_page(body_extra=body, head=_ld(admin)), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("THANDO NDLOVU",)


def test_body_split_into_sections_between_ads_is_joined() -> None:
    from trafilatura.utils import load_html

    from archive.extraction.core import _join_split_body
    from archive.extraction.listing import measure

    one = [
        f"Part one, paragraph {i}: the committee met in the morning and heard evidence from residents and engineers."
        for i in range(6)
    ]
    two = [
        f"Part two, paragraph {i}: after the break the members argued about the budget and the timetable."
        for i in range(4)
    ]
    ads = '<div class="row"><div class="advert-slot">Advertisement</div></div>'
    section = '<div class="row"><div class="story-body">{}</div></div>'
    html = f"""<html><head><title>Council vote</title></head><body><main><article><h1>Council votes</h1>
{section.format("".join(f"<p>{p}</p>" for p in one))}{ads}{section.format("".join(f"<p>{p}</p>" for p in two))}
</article></main></body></html>"""
    tree = load_html(html)
    shape = measure(tree)
    # What trafilatura returns on such pages: the best-scored section only.
    joined = _join_split_body("\n".join(one), shape.main, shape.prose_parents, "https://paper.test/news/council-vote")
    assert joined.split("\n") == one + two
    # Nothing missing: the text is left alone.
    assert _join_split_body("\n".join(one + two), shape.main, shape.prose_parents, "https://x.test/") == "\n".join(
        one + two
    )


def _live_blog() -> tuple[str, list[str], list[str]]:
    paragraphs = [
        f"Paragraph {i} of the live coverage: the ministers met again and the talks went on into the night."
        for i in range(8)
    ]
    entries = [f"1{i}.04 Uhr: Entry {i}, the ministers' talks resume" for i in range(4)]
    blocks = "".join(
        f"<h5>{e}</h5><p>{paragraphs[2 * i]}</p><p>{paragraphs[2 * i + 1]}</p>" for i, e in enumerate(entries)
    )
    comments = "".join(
        f"<p>Reader comment {i}: the talks will fail again, mark my words, as they always do.</p>" for i in range(6)
    )
    html = f"""<html><body><div class="page"><section class="container"><h1>Talks go on</h1>
<h2>Live blog</h2>{blocks}</section><div class="comments">{comments}</div></div></body></html>"""
    return html, paragraphs, entries


def test_what_trafilatura_left_beside_the_story_s_paragraphs_is_recovered_from_its_container() -> None:
    from trafilatura.utils import load_html

    from archive.extraction.core import _with_whole_main
    from archive.extraction.listing import measure

    html, paragraphs, entries = _live_blog()
    tree = load_html(html)
    main = measure(tree).main
    # What trafilatura's fall-back returns on such pages: the paragraphs without the headings between them.
    text = _with_whole_main("\n".join(paragraphs), main, "https://paper.test/news/live")
    assert all(entry in text for entry in entries) and all(p in text for p in paragraphs)
    # A container that does not hold what was found is not the story's: the text stays.
    comments = tree.find(".//div[@class='comments']")
    assert _with_whole_main("\n".join(paragraphs), comments, "https://paper.test/news/live") == "\n".join(paragraphs)


def test_next_story_loaded_below_is_not_joined() -> None:
    story = "".join(
        f"<p>First story, paragraph {i}: the harbour reopened after the storm damage was repaired "
        f"and ferries resumed their normal timetable.</p>"
        for i in range(6)
    )
    other = "".join(
        f"<p>Other story, paragraph {i}: a new library opened in the north of the city with a "
        f"large collection of books and a cafe.</p>"
        for i in range(3)
    )
    html = f"""<html><head><title>Harbour</title><meta property="og:type" content="article"></head><body><main>
<article><h1>Harbour reopens</h1><div class="bodytext">{story}</div></article>
<article><h2>Library opens</h2><div class="bodytext">{other}</div></article></main></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/harbour-reopens")
    assert isinstance(result, Article)
    assert "Other story" not in result.text


def test_unclassed_footer_prose_is_not_joined_to_an_unclassed_story_container() -> None:
    story = "".join(
        f"<p>Paragraph {i} of the recipe review: the soup needs an hour and a good stock, the critic found.</p>"
        for i in range(6)
    )
    legal = "".join(
        f"<p>Legal note {i}: use of this site constitutes acceptance of our user agreement and privacy policy.</p>"
        for i in range(4)
    )
    html = f"""<html><head><title>Soup</title><meta property="og:type" content="article"></head><body>
<div id="article_container"><h1>The soup of the winter</h1>{story}</div>
<footer id="footer"><ul><li><div id="disclaimer">{legal}</div></li></ul></footer></body></html>"""
    result = extract(html.encode(), "https://paper.test/food/soup-of-the-winter")
    assert isinstance(result, Article)
    assert "Paragraph 5" in result.text and "Legal note" not in result.text


def test_elements_hidden_from_the_reader_are_not_text() -> None:
    hidden = [
        '<div class="pulldown" style="display: none"><p>Save this article to read it later in your account.</p></div>',
        "<div hidden><p>Register for free to unlock the rest of this story and the newsletter.</p></div>",
        '<div aria-hidden="true"><p>Menu: Home, Politics, Business, Sport, Culture, Opinion.</p></div>',
    ]
    html = _story_page([], []).decode().replace('<div class="text">', '<div class="text">' + "".join(hidden))
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_hidden_paragraphs_of_a_metered_story_stay() -> None:
    html = _story_page([], []).decode()
    html = html.replace(f"<p>{_STORY[2]}</p>", f'<p class="paywall" aria-hidden="true">{_STORY[2]}</p>')
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_blocks_that_are_mostly_links_are_not_text_but_a_story_s_own_list_is() -> None:
    related = (
        "<ul>"
        + "".join(
            f'<li><a href="/news/other-{i}">Other story number {i} about the port</a> 2024-05-0{i} 10:1{i}</li>'
            for i in range(1, 6)
        )
        + "</ul>"
    )
    recent = (
        '<div class="box"><h4>Latest from the editor</h4>'
        + "".join(
            f'<div><a href="/news/recent-{i}">A recent headline, number {i}, on another topic</a><span>2024-05-0{i}'
            "</span></div>"
            for i in range(1, 5)
        )
        + "</div>"
    )
    facts = [
        "The breakwater is 1.2 kilometres long and protects the ferry berths.",
        "It was designed by the port's own engineers with help from a Dutch firm.",
        "The final inspection report will be published on the port authority's website.",
    ]
    own_list = "<ul>" + "".join(f"<li>{f}</li>" for f in facts[:2]) + f'<li><a href="/report">{facts[2]}</a></li></ul>'
    html = _story_page([], []).decode().replace("</div></article>", f"{own_list}{related}</div></article>{recent}")
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == [*_STORY, *(f"- {fact}" for fact in facts)]


@pytest.mark.parametrize(
    "rail",
    [
        # rows of other stories: the headline is the link, a date and a section beside it
        "<ul>"
        + "".join(f'<li><a href="/n/{i}">港口新闻标题第{i}条</a> 2019-09-0{i} 19:2{i} 香港</li>' for i in range(1, 6))
        + "</ul>",
        # a list whose every item is one story's headline, half of it linked
        "<ul>"
        + "".join(
            f'<li><span>The struggle number {i} to save </span><a href="/s/{i}">the old harbour</a></li>'
            for i in range(5)
        )
        + "</ul>",
    ],
    ids=["headline-rows-with-dates", "half-linked-headlines"],
)
def test_lists_of_other_stories_headlines_are_not_text(rail: str) -> None:
    html = _story_page([], []).decode().replace("</div></article>", f"{rail}</div></article>")
    result = extract(html.encode(), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_rights_notice_under_the_story_is_dropped() -> None:
    html = article_page(body_extra="<p>© The Financial Times Ltd. 2024</p><p>Copyright 2024 City Paper</p>")
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert "Financial Times" not in result.text and "Copyright" not in result.text
    assert result.text.split("\n")[-1] == _BODY_PARAGRAPHS[-1]


def test_sample_site_tag_and_author_pages_with_few_stories_are_listings() -> None:
    import urllib.request

    from archive.sample_site import SampleSite

    with SampleSite() as site:
        for path in ("/tag/culture/", "/tag/weather/", "/author/anton-reiss/", "/news-feed/page/3/"):
            body = urllib.request.urlopen(site.url + path).read()
            result = extract(body, site.url + path, {"Content-Type": "text/html; charset=utf-8"})
            assert isinstance(result, NotAnArticle) and result.kind == "listing", (path, result)


def _trail_page(h2: str, og: str, headline: str, extra_h2: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in _BODY_PARAGRAPHS)
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline})
    return f"""<html lang="en"><head><title>Tram plan: council votes | City Paper</title>
<meta property="og:title" content="{og}"><meta property="og:site_name" content="City Paper">
<script type="application/ld+json">{ld}</script></head><body>
<nav><ol class="crumbs"><li><a href="/">Home</a></li><li><h1>Tram plan: council votes</h1></li></ol></nav>
<main><article><header>{extra_h2}<h2>{h2}</h2></header><div class="article-body">{paragraphs}</div>
</article></main></body></html>""".encode()


def test_breadcrumb_h1_is_the_seo_title_and_the_shown_h2_headline_wins() -> None:
    # The <h1> ends the breadcrumb trail and repeats the SEO title (as <title> and og:title do); the reader
    # sees the <h2>, which says what JSON-LD says.
    shown = "Twelve more kilometres of tram lines for the city"
    html = _trail_page(shown, og="Tram plan: council votes", headline=shown)
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.title == shown


def test_shown_headline_found_inside_an_h2_with_a_kicker_span() -> None:
    shown = "Twelve more kilometres of tram lines for the city"
    h2 = f'<span class="kicker">Transport</span> <span class="headline">{shown}</span>'
    teaser = '<div class="teaser"><h2>Tram plan: council votes</h2></div>'
    html = _trail_page(h2, og=shown, headline="Tram plan: council votes", extra_h2=teaser)
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.title == shown


def test_breadcrumb_h1_without_a_shown_heading_keeps_its_vote() -> None:
    html = _trail_page("Transport", og="Tram plan: council votes", headline="A quite different SEO headline")
    result = extract(html, "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.title == "Tram plan: council votes"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        # A CJK bar glues on "-Section" and the site: both go.
        ("장동혁, 한동훈 제명했지만 부담 커졌다-정치ㅣ한국일보", "장동혁, 한동훈 제명했지만 부담 커졌다"),
        # An ASCII bar glued on: the site goes, the headline's own hyphen stays.
        ("Protests against the anti-vax law|City Paper", "Protests against the anti-vax law"),
        # Not the site's name: nothing goes.
        ("Budget talks|Opinion", "Budget talks|Opinion"),
    ],
)
def test_a_site_name_glued_on_without_spaces_is_dropped(declared: str, expected: str) -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in _BODY_PARAGRAPHS)
    site = "한국일보" if "ㅣ" in declared else "City Paper"
    html = f"""<html><head><title>{declared}</title><meta property="og:title" content="{declared}">
<meta property="og:site_name" content="{site}"></head><body><div class="story">{paragraphs}</div></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/a-story")
    assert isinstance(result, Article)
    assert result.title == expected


def test_hydration_body_html_loses_figures_captions_placeholders_and_json_strings() -> None:
    paras = [
        f"Paragraph {i} of a story rendered only by client-side JavaScript, with enough words to be prose."
        for i in range(6)
    ]
    figure = (
        '<div class="editor-img-box"><img src="/a.jpg"><div class="caption"><p>The minister at the lectern '
        "in parliament on Thursday. Photo agency</p></div></div>"
    )
    html_body = figure + "$$ARTICLEAD$$" + "".join(f"<p>{p}</p>" for p in paras[:3]) + "<figure><figcaption>"
    html_body += "A second photo caption that is not part of the story text.</figcaption></figure>"
    html_body += "".join(f"<p>{p}</p>" for p in paras[3:])
    summary = '{"subtitle":"A serialized JSON value stored as a string inside the state, with many words in it"}'
    state = {"props": {"pageProps": {"article": {"body": html_body, "meta": summary}}}}
    assert _hydrated_text(state) == "\n".join(paras)


def test_rail_of_other_stories_opened_by_a_more_from_heading_is_dropped() -> None:
    teasers = "".join(
        f'<div class="item"><h3><a href="/news/other-{i}">Other story number {i} about the harbour</a></h3>'
        f"<p>A summary of other story number {i}, which is about something else entirely than trams.</p></div>"
        for i in range(4)
    )
    rail = f'<section class="collections"><div class="container"><h2>More from City Paper</h2>{teasers}</div></section>'
    result = extract(article_page(body_extra=rail), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_BODY_PARAGRAPHS)


def test_call_to_action_and_popular_blocks_are_clutter() -> None:
    extra = (
        '<div class="cta"><p>Support our journalism today and become a member of the City Paper community.</p></div>'
        '<section class="popular-articles"><p>The most popular story this week was about a cat in a tram.</p></section>'
    )
    result = extract(article_page(body_extra=extra), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_BODY_PARAGRAPHS)


@pytest.mark.parametrize("label", ["Czytaj więcej", "Weiterlesen", "Lire aussi", "Läs mer"])
def test_read_more_label_in_other_languages_is_dropped(label: str) -> None:
    result = extract(article_page(body_extra=f"<p>{label}</p>"), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert label not in result.text


def _link_list(count: int) -> str:
    link = '<li><a href="/news/story-{0}/">Council approves budget item number {0}</a></li>'
    items = "".join(link.format(i) for i in range(count))
    return f"<ul>{items}</ul>"


def test_a_plain_feed_of_headline_links_is_a_listing() -> None:
    # No teaser headings, no og:type, no structured data: a <ul> of one-link items is still a feed.
    html = f"<html><head><title>News feed</title></head><body><h1>News feed</h1>{_link_list(30)}</body></html>"
    result = extract(html.encode(), "https://paper.test/news-feed/")
    assert isinstance(result, NotAnArticle) and result.kind == "listing", result


def test_an_undeclared_article_with_a_list_of_related_links_stays_an_article() -> None:
    paragraphs = "".join(f"<p>{p} {p}</p>" for p in _BODY_PARAGRAPHS)
    html = f"""<html><head><title>Tram plan</title></head><body><h1>Tram network to grow by twelve kilometres</h1>
<div class="story">{paragraphs}</div><h3>More news</h3>{_link_list(12)}</body></html>"""
    result = extract(html.encode(), "https://paper.test/news/tram-network/")
    assert isinstance(result, Article)
    assert _BODY_PARAGRAPHS[0] in result.text and "budget item" not in result.text


_CARD_TOPICS = ("harbour", "library", "tram line", "school", "bridge", "market", "stadium", "museum", "park", "clinic")


def _card_grid(count: int, summary: str = "") -> str:
    """Home-page cards as many themes build them: no heading, the headline is a classed link."""
    cards = []
    for i in range(count):
        topic = _CARD_TOPICS[i % len(_CARD_TOPICS)]
        size = "wide" if i % 3 == 0 else "std"
        teaser = f"<p>{summary.format(topic=topic)}</p>" if summary else ""
        cards.append(
            f'<div class="card card--{size}">'
            f'<a class="card__title" href="/news/story-{i}/">Council says the new {topic} opens in spring</a>'
            f'<a class="card__section" href="/city/">City</a><span class="card__time">{i + 1} hours ago</span>'
            f"{teaser}</div>"
        )
    return f'<div class="grid">{"".join(cards)}</div>'


@pytest.mark.parametrize("url", ["https://paper.test/", "https://paper.test/latest"])
def test_a_home_page_of_cards_without_headings_is_a_listing(url: str) -> None:
    html = f"""<html><head><title>City Paper</title></head><body><header><a href="/">City Paper</a></header>
<main>{_card_grid(12)}</main><footer>© City Paper</footer></body></html>"""
    result = extract(html.encode(), url)
    assert isinstance(result, NotAnArticle) and result.kind == "listing", result
    assert "12 cards" in result.reason


def test_a_forum_thread_list_with_several_links_per_item_is_a_listing() -> None:
    # Each item: reply count, title link, first line of the post, author and last-reply links. Several
    # links per item, so not a link list; no headings, so no teasers; the first lines are not a body.
    threads = "".join(
        f'<li class="thread thread--{"top" if i < 2 else "std"}"><div class="thread__replies">{(i * 37) % 500}</div>'
        f'<div class="thread__main"><div class="thread__title"><a href="/t/{1000 + i}">'
        f"Anyone else waiting for the new {_CARD_TOPICS[i % 10]} to open?</a></div>"
        f'<div class="thread__first">I asked at the council office about the {_CARD_TOPICS[i % 10]} last week and '
        f"nobody could tell me when it opens, does anyone here know more?</div></div>"
        f'<div class="thread__meta"><a href="/u/user{i}">user{i}</a> <a href="/u/user{i + 7}">user{i + 7}</a>'
        f' <a href="/t/{1000 + i}?page=2">2</a></div></li>'
        for i in range(20)
    )
    html = f"""<html><head><title>City forum</title></head><body><h1>City forum</h1>
<ul class="threads">{threads}</ul></body></html>"""
    result = extract(html.encode(), "https://forum.paper.test/f/city")
    assert isinstance(result, NotAnArticle) and result.kind == "listing", result


def test_a_short_cjk_story_with_a_rail_of_teasers_stays_an_article() -> None:
    # About 330 characters of Chinese: short for English, a full news item in Chinese.
    story = "".join(
        f"<p>{p}</p>"
        for p in (
            "据本报记者报道，市议会周二投票通过了一项计划，将在未来十年内把有轨电车网络扩展十二公里，"
            "新线路将连接城市北部的住宅区和南部的工业园区。",
            "支持者表示，该计划将大大缩短通勤时间，减少道路拥堵和空气污染；反对者则警告说，"
            "项目成本过高，将给纳税人带来沉重负担，而且施工期间会严重影响沿线商户的正常经营。",
            "交通部门表示，第一段工程预计将于明年春天开工，全部工程计划在二零三五年之前完成，"
            "届时每天可运送乘客约十五万人次。市长在会后对记者说，这是本市几十年来最重要的交通投资。",
        )
    )
    rail = "".join(f'<h3><a href="/news/{i}/">市图书馆新馆将于明年春天正式开放第{i}号</a></h3>' for i in range(8))
    html = f"""<html lang="zh"><head><title>有轨电车网络将扩展十二公里</title></head><body>
<h1>有轨电车网络将扩展十二公里</h1><div class="story">{story}</div><aside>{rail}</aside></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/tram-network/")
    assert isinstance(result, Article), result
    assert result.text.startswith("据本报记者报道")


def test_an_undeclared_article_with_a_rail_of_ten_cards_stays_an_article() -> None:
    from trafilatura.utils import load_html

    from archive.extraction.listing import measure

    story = "".join(f"<p>{p} {p}</p>" for p in _BODY_PARAGRAPHS)
    summary = (
        "The council said on Monday that work on the {topic} was ahead of schedule and that the contractor "
        "expected to hand over the keys before the first warm weekend of the year."
    )
    html = f"""<html><head><title>Tram plan</title></head><body><h1>Tram network to grow by twelve kilometres</h1>
<div class="story">{story}</div><aside><h3>Read next</h3>{_card_grid(10, summary)}</aside></body></html>"""
    url = "https://paper.test/news/tram-network/"
    result = extract(html.encode(), url)
    assert isinstance(result, Article), result
    assert _BODY_PARAGRAPHS[0] in result.text and "ahead of schedule" not in result.text
    # The rail's summaries outweigh the story, but they are other stories' teasers, not this one's prose.
    shape = measure(load_html(html))
    assert shape.main is not None and shape.main.get("class") == "story"
    assert shape.cards == 10


_STORY = (
    "The harbour authority confirmed on Tuesday that the new breakwater will be finished before the autumn storms.",
    "Engineers said the last concrete blocks were placed overnight and that inspections would begin next week.",
    "The project, delayed twice by winter weather, cost the port about forty million euros over three years.",
)


def _story_page(lines_before: list[str], lines_after: list[str], author: str = "Nina Magoley") -> bytes:
    before = "".join(f"<p>{line}</p>" for line in lines_before)
    after = "".join(f"<p>{line}</p>" for line in lines_after)
    story = "".join(f"<p>{p}</p>" for p in _STORY)
    return f"""<html lang="en"><head><title>Breakwater done by autumn</title>
<meta property="og:type" content="article"><meta name="author" content="{author}"></head><body><article>
<h1>Breakwater done by autumn</h1><div class="text">{before}{story}{after}</div></article></body></html>""".encode()


@pytest.mark.parametrize(
    "clutter",
    [
        "Stand: 22.04.2024, 06:00 Uhr",  # a timestamp line
        "2025年1月14日 01時28分 (1月14日 01時40分更新)",
        "Updated: 14 May 2024 at 15:44",
        "02:57 Min.. Verfügbar bis 06.05.2024.",  # a clip's length
        "Ministers met in Brussels on Thursday to agree on new sanctions. 18.04.2024 | 0:21 min",  # a video teaser
        "Ein Klick für den Datenschutz",  # an embed waiting for consent
        "Von Nina Magoley",  # the byline again, naming exactly the author
        "Nina Magoley",  # the author's name alone
        "- 3 Minuten Lesezeit",  # a label behind a list bullet
        "Uppdaterad 15.59 | Publicerad 14.14",
        "Article content",  # a screen-reader label
        "Photo: AFP",  # a credit
        "Read also: Port strike called off after late-night talks",  # a link to another story
        "- Zum Artikel: Tarifrunde im ÖPNV: Das wird verhandelt",
        "Kicker of the day: Breakwater done by autumn",  # the headline again, with its kicker
        "showPaywall:",  # configuration leaked into the page
        "___",
        "（原标题：防波堤将在秋季前完工）",  # Chinese credits: the original headline, the editor in charge
        "责任编辑：王小明",
        "分享到：",
        "Facebook https://fb.me/paper",  # a label and an address
        "&lt;Copyright ⓒ Paper. All rights reserved. No redistribution&gt;",  # escaped: the page shows the brackets
        "Quelle: ntv.de",
        "- -Aktualisiert am",  # a timestamp's label, filled in by a script
    ],
)
def test_page_chrome_lines_inside_the_text_are_dropped(clutter: str) -> None:
    result = extract(_story_page([clutter], []), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


@pytest.mark.parametrize(
    "prompts",
    [
        ["Check out more of our latest travel stories by signing up to our free weekly newsletter"],
        ["Newsletter: Sport inside", "Follow Paper on Google News and add us as a preferred source."],
        ["Hat Ihnen dieser Artikel gefallen? Dann unterstützen Sie uns bitte mit einer Spende."],
        ["Ihre Meinung ist uns wichtig. Senden Sie uns Ihr Feedback zu diesem Artikel an: briefe@paper.test"],
        ["Fehler gefunden? Jetzt melden."],
        ["Kommentar abgeben", "Du musst dich einloggen um einen Kommentar abzugeben."],
        ["Write to Nina Magoley at nina.magoley@paper.test"],  # how to reach the author
        ["With files from The Associated Press"],  # who else worked on it
        ["Paper's Jane Roe and John Doe contributed to this report."],
        ["(grh)"],  # the editor's initials
    ],
)
def test_prompts_under_the_story_are_dropped(prompts: list[str]) -> None:
    result = extract(_story_page([], prompts), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


@pytest.mark.parametrize(
    "last_line",
    [
        '"We will continue to support the port through the winter," the minister said.',
        "The company said subscribers would get a refund for the weeks the ferry did not sail.",
        "Sie spenden jedes Jahr für die Seenotretter, sagte der Hafenmeister.",  # "Sie" = they
        "A newsletter for the port's workers will report on the progress every month.",
        # a web address inside a sentence written without spaces
        "铁路部门提醒旅客，请通过官方网站（www.12306.cn）和客户端购票，避免非正常渠道购票带来的风险。",
    ],
)
def test_a_story_s_own_last_line_is_not_a_prompt(last_line: str) -> None:
    result = extract(_story_page([], [last_line]), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == [*_STORY, last_line]


def test_lines_that_only_look_like_chrome_stay() -> None:
    kept = [
        "Von Montag an gilt im Hafen ein neuer Fahrplan für die Fähren nach Helgoland und Sylt.",  # not a byline
        "On 14 May 2024 the council will vote again, the mayor said at 15:44 on Tuesday in the harbour office.",
        "3:1 (2:0)",  # a final score, not a timestamp
        "2023: 12, 2024: 15",
    ]
    result = extract(_story_page(kept, []), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == [*kept, *_STORY]


def test_a_paywall_prompt_ends_the_story_and_drops_the_sign_up_pitch() -> None:
    pitch = ["This article is for subscribers only.", "Subscribe now", "Unlimited articles", "Newsletters"]
    result = extract(_story_page([], pitch), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_a_paywall_prompt_behind_a_bracketed_label_ends_the_story() -> None:
    pitch = [
        "［有料会員限定］ この記事は会員限定です。電子版に登録すると続きをお読みいただけます。",
        "会員の方はこちら",
    ]
    result = extract(_story_page([], pitch), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


def test_a_paywall_label_above_a_whole_story_drops_only_the_label() -> None:
    result = extract(_story_page(["This article is for subscribers only."], []), "https://paper.test/news/breakwater")
    assert isinstance(result, Article)
    assert result.text.split("\n") == list(_STORY)


# ------------------------------------------------------------------- headline, byline and date (generic)


def _page(body: str, head: str = "") -> tuple[bytes, str]:
    paragraphs = "".join(f"<p>{p}</p>" for p in _BODY_PARAGRAPHS)
    html = f"""<html><head><meta property="og:type" content="article">{head}</head><body>{body}
<div class="article-body">{paragraphs}</div></body></html>"""
    return html.encode(), "https://paper.test/news/tram-network"


def test_an_og_title_cut_at_an_unescaped_quote_is_the_longer_title() -> None:
    # content="Boy throws "help" note…" ends the attribute at the second quote.
    headline = 'Boy throws "help" note from a window and the police arrive'
    body, url = _page(f"<h1>{headline}</h1>", head='<meta property="og:title" content="Boy throws " help" note">')
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.title == headline


def test_a_site_name_after_a_full_width_colon_is_dropped() -> None:
    head = (
        '<meta property="og:title" content="米朝首脳直通電話の成否：日本経済新聞">'
        '<meta property="og:site_name" content="日本経済新聞 電子版">'
    )
    body, url = _page('<div class="headline">米朝首脳直通電話の成否</div>', head=head)
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.title == "米朝首脳直通電話の成否"


def test_a_logo_h1_is_not_the_headline() -> None:
    logo = '<div id="website-logo-block"><h1 id="website-logo"><a href="/node">Prachatai</a></h1></div>'
    body, url = _page(f"{logo}<h1 class='title'>DNA test confirms the body found in the river</h1>")
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.title == "DNA test confirms the body found in the river"


def test_a_site_name_linked_at_the_end_of_the_h1_is_dropped() -> None:
    h1 = '<h1><span class="define">Prosecutors will decide on an appeal</span><a href="/">Paper Mallorca</a></h1>'
    body, url = _page(h1)
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.title == "Prosecutors will decide on an appeal"


def test_an_author_credit_after_a_br_in_the_h1_is_the_byline_not_the_headline() -> None:
    org = _ld({"@type": "Organization", "name": "日本経済新聞社"}).replace(
        "Tram network to grow by twelve kilometres",
        "米朝首脳直通電話 習氏に挑む戦術の成否 （写真＝ロイター） ：日本経済新聞",
    )
    head = f'{org}<meta property="og:title" content="米朝首脳直通電話 習氏に挑む戦術の成否（写真＝ロイター）">'
    h1 = "<h1><span>米朝首脳直通電話　習氏に挑む戦術の成否</span><br><span>編集委員　中沢克二</span></h1>"
    body, url = _page(h1, head=head + '<meta property="og:site_name" content="日本経済新聞 電子版">')
    result = extract(body, url)
    assert isinstance(result, Article)
    assert (
        result.title == "米朝首脳直通電話 習氏に挑む戦術の成否"
    )  # the declared titles' "(photo: Reuters)" is not shown
    assert result.authors == ("中沢克二",)


def test_an_organization_author_yields_to_a_person_named_in_the_byline() -> None:
    agency = {"@type": "NewsMediaOrganization", "name": "Harbour News Agency"}
    byline = '<div class="article-byline"><a rel="author" href="/authors/ana">Ana Lima</a></div>'
    result = extract(article_page(byline, head=_ld(agency)), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("Ana Lima",)
    result = extract(article_page(head=_ld(agency)), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("Harbour News Agency",)  # nobody else named: the organization's credit stays


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("<p>【文/观察者网专栏作者 王文】</p>", ("王文",)),
        ("<p>作者：张三 李四</p>", ("张三", "李四")),
        (
            "<p>新京报快讯（记者 裴剑飞）今日有网友爆料，有六十万个账号在暗网低价出售，铁路部门随即回应称不实。</p>",
            ("裴剑飞",),
        ),
        ("<div>作者：未知 责任编辑：棒棒不是糖</div>", ()),  # unknown writer; the editor is not the author
        ("<p>记者注意到，从五大芯片企业的主打产品来看，大多采用的是最新的七纳米技术。</p>", ()),
    ],
)
def test_chinese_credit_line_under_the_headline(line: str, expected: tuple[str, ...]) -> None:
    body, url = _page(f"<h3>中美贸易持久战</h3>{line}", head="<title>中美贸易持久战</title>")
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.authors == expected


def test_the_date_under_the_headline_wins_over_a_time_in_a_list_of_other_stories() -> None:
    rail = (
        '<aside class="rail"><ul><li><a href="/other">Other story</a>'
        '<time datetime="2019-09-04T08:00">4 Sep</time></li></ul></aside>'
    )
    body, url = _page(f"<main>{rail}<article><h1>Tram network to grow</h1><span>2019-09-05 11:10 City Paper</span>")
    result = extract(body.replace(b"</body>", b"</article></main></body>"), url)
    assert isinstance(result, Article)
    assert result.published == "2019-09-05T11:10:00"


def test_a_time_in_a_list_of_other_stories_is_not_the_article_s_date() -> None:
    rail = (
        '<aside class="rail"><ul><li><a href="/other">Other story</a>'
        '<time datetime="2019-09-04T08:00">4 Sep</time></li></ul></aside>'
    )
    paragraphs = "".join(f"<p>{p}</p>" for p in _BODY_PARAGRAPHS)
    html = f"""<html><head><meta property="og:type" content="article"></head><body><main>{rail}<article>
<h1>Tram network to grow</h1><div class="article-body">{paragraphs}</div>
<div class="meta"><time datetime="2019-09-05T11:10:00+02:00">5 Sep</time></div></article></main></body></html>"""
    result = extract(html.encode(), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.published == "2019-09-05T11:10:00+02:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Max Blumenthal The Grayzone Thu, 14 May 2020 17:55 UTC", "2020-05-14T17:55:00+00:00"),
        ("December 27, 2014 at 12:10 PM", "2014-12-27T12:10:00"),
        ("2019年9月5日 08:05 来源：新华网", "2019-09-05T08:05:00"),
        ("Veröffentlicht 05.09.2019, 11:10 Uhr", "2019-09-05T11:10:00"),
        ("最后更新: 2019-09-07 09:27:48", None),  # an update, not the publication
        ("Version 2.2019.1", None),
    ],
)
def test_dates_shown_as_text(text: str, expected: str | None) -> None:
    from archive.extraction.dates import shown_date

    assert shown_date(text) == expected


def test_a_meta_author_that_is_the_site_and_its_address_names_no_people() -> None:
    # "City Paper, Frankfurt, Germany": the site and where it is; the organization's credit stays.
    head = _ld({"@type": "NewsMediaOrganization", "name": "Redaktion City Paper"}) + (
        '<meta name="author" content="City Paper, Frankfurt, Germany">'
        '<meta property="og:site_name" content="City Paper">'
    )
    result = extract(article_page(head=head), "https://paper.test/news/tram-network")
    assert isinstance(result, Article)
    assert result.authors == ("Redaktion City Paper",)


def test_a_headline_repeated_as_application_name_is_still_the_headline() -> None:
    # Some CMSs put the headline in application-name, which is read as a site name: the <h1> is no logo then,
    # and no part of the declared title is dropped as "the site's name".
    headline = "Künstliche Intelligenz in der Schule - Kinder werden schneller"
    head = f'<meta name="application-name" content="{headline}"><meta property="og:title" content="{headline}">'
    body, url = _page(f"<h1>{headline}</h1>", head=head)
    result = extract(body, url)
    assert isinstance(result, Article)
    assert result.title == headline
