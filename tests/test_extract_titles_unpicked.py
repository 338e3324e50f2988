"""Titles and dates on the page shapes of publishers nobody here picked (issue 20, item 7): each test is one rule,
on a crafted page that shows it, and fails without it."""

from __future__ import annotations

import pytest

from archive.extract import Article, NotAnArticle, extract

_PARAGRAPHS = (
    "The district council approved the new cycling plan on Tuesday evening after a debate of almost four hours.",
    "Under the plan, twenty kilometres of protected lanes will be built along the main roads within three years.",
    "Shop owners on the high street had asked for more delivery bays, and the final version includes eleven of them.",
    "The first works are due to start in March, once the regional government has released its share of the money.",
)


def story_page(*, head: str = "", window: str, headline: str, byline: str = "") -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    return f"""<html lang="en"><head><title>{window}</title>{head}</head><body>
<header><nav><a href="/">Home</a></nav></header><main><h1>{headline}</h1>{byline}
<div class="content">{paragraphs}</div></main></body></html>""".encode()


def assert_article(result: Article | NotAnArticle) -> Article:
    assert isinstance(result, Article), result
    return result


@pytest.mark.parametrize(
    ("window", "headline", "share", "expected"),
    [
        # The <title> opens with the <h1> and goes on with its deck: the og:title is the share card's rewording.
        (
            "Council approves the cycling plan? Twenty kilometres of lanes in three years - City Paper",
            "Council approves the cycling plan?",
            "Hill: the district gets its bike lanes at last",
            "Council approves the cycling plan?",
        ),
        # The CMS's one SEO title in both the <title> and the <h1>: the edited share headline keeps its vote.
        (
            "Council approves the district's long-awaited cycling plan - City Paper",
            "Council approves the district's long-awaited cycling plan",
            "Council approves the cycling plan",
            "Council approves the cycling plan",
        ),
    ],
)
def test_a_window_title_that_opens_with_the_heading_outvotes_a_reworded_share_title(
    window: str, headline: str, share: str, expected: str
) -> None:
    head = f'<meta property="og:title" content="{share}"><meta property="og:site_name" content="City Paper">'
    page = story_page(window=window, headline=headline, head=head)
    assert assert_article(extract(page, "https://paper.test/news/2020/cycling-plan")).title == expected


def _dated_page(head: str = "") -> bytes:
    return story_page(
        window="Council approves the cycling plan", headline="Council approves the cycling plan", head=head
    )


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ('"datePublished": "October 27, 2012"', "2012-10-27"),
        ('"datePublished": "27.10.2012 10:00"', "2012-10-27T10:00:00"),
        ('"datePublished": "Oct 27th, 2012 at 10:00 PM"', "2012-10-27T22:00:00"),
    ],
)
def test_a_declared_date_in_the_display_format_is_the_date(declared: str, expected: str) -> None:
    ld = f'{{"@type": "NewsArticle", "headline": "Council approves the cycling plan", {declared}}}'
    page = _dated_page(head=f'<script type="application/ld+json">{ld}</script>')
    assert assert_article(extract(page, "https://paper.test/news/cycling-plan")).published == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://paper.test/news/council-plan-20120608.html", "2012-06-08"),
        ("https://paper.test/news/20131023/council-plan", "2013-10-23"),
        ("https://paper.test/news/council-plan-2012060812.html", None),  # a longer number: an id, no day
        ("https://paper.test/news/council-plan-20120231.html", None),  # eight digits that name no day
    ],
)
def test_a_day_the_url_names_in_eight_digits_dates_a_page_that_names_none(url: str, expected: str | None) -> None:
    assert assert_article(extract(_dated_page(), url)).published == expected


def test_a_named_publication_date_outranks_a_bare_date_meta_tag() -> None:
    head = '<meta name="date" content="2020-05-03"><meta name="pub_date" content="20200501">'
    assert assert_article(extract(_dated_page(head=head), "https://paper.test/news/plan")).published == "2020-05-01"
