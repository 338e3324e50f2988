"""Precision of the body on the broad set (issue 20, class 3): what is kept as the story that is not, and the story
lost for a class word or a widget around it. Each test is a small page of one failure class and fails without the
fix it names."""

from __future__ import annotations

from archive.extract import Article, NotAnArticle, extract

_POST = (
    "When a story breaks, the news page is designed to give you the most relevant articles from many sources.",
    "Our new realtime coverage page is now available for every story as soon as the first articles are published.",
    "Many stories inspire vibrant discussions, and today we are starting to add them to the coverage pages too.",
    "We are rolling out all of these features over the next week, so do not worry if you do not see them at once.",
)


def assert_article(result: Article | NotAnArticle) -> Article:
    assert isinstance(result, Article), result
    return result


def test_a_post_in_a_widget_is_kept_however_much_script_the_page_carries() -> None:
    # Blogger: the post is one "widget" among the sidebar's, its text two inline wrappers deep (span > b > span, split
    # by <br>), so no paragraph marks it as the page's prose; the page carries its scripts' text in <body>. The
    # widget holds most of what a reader sees: script text is not prose, and the class word is no verdict there.
    wrapped = "<br /><br />".join(f'<span class="byline-author"><b><span>{line}</span></b></span>' for line in _POST)
    entries = ", ".join(f'"key{i}": "value number {i} of the state"' for i in range(300))
    state = f"var _WidgetManager = {{{entries}}};"
    archive = "".join(
        f'<li><a href="/2012/{m:02d}/">{["January", "February", "March", "April"][m % 4]} 2012</a> (3)</li>'
        for m in range(1, 13)
    )
    html = f"""<html><head><title>News blog: Updates to the coverage page</title></head><body>
<script>{state}</script>
<div id="outer-wrapper"><div id="main-wrapper"><div class="main section" id="main">
<div class="widget Blog" id="Blog1"><div class="blog-posts"><div class="post">
<h3 class="post-title">Updates to the coverage page</h3>
<div class="post-header">Wednesday, May 16, 2012 10:00 AM</div>
<div class="post-body">{wrapped}</div>
<div class="post-footer">Labels: <a href="/search/label/features">features</a></div>
</div></div></div></div></div>
<div id="sidebar-wrapper"><div class="sidebar section" id="sidebar">
<div class="widget BlogArchive" id="BlogArchive1"><h2>Blog Archive</h2><ul>{archive}</ul></div>
<div class="widget Profile" id="Profile1"><h2>About</h2>
<div>The official news blog of the product team, with updates about features and partners.</div></div>
</div></div></div>
<script>{state.replace("_WidgetManager", "_Other")}</script>
</body></html>"""
    result = assert_article(extract(html.encode(), "https://newsblog.test/2012/05/updates-to-the-coverage-page.html"))
    for line in _POST:
        assert line in result.text


_STORY = (
    "On Friday the statistics office reported that the economy grew at a two percent annual rate in the third quarter.",
    "That compares with an average growth rate of more than three percent over the last sixty years of the series.",
    "Residential investment has finally begun to make a positive contribution, but business investment fell again.",
    "The biggest boost to growth came from federal spending, which alone added more than half a percentage point.",
)
_COMMENTS = (
    ("matt", "I'm curious why you didn't think it was relevant that the drought depressed the figure this quarter?"),
    ("jonathan", "I'm amazed by the report, amazed in a good way, because so many signs pointed to another recession."),
    ("Ben", "The rise in defence spending is interesting: this probably happens each year before the budget ends."),
)


def blog_post_with_comments(heading: str) -> str:
    story = "".join(f"<p>{line}</p>" for line in _STORY)
    thread = "".join(
        f'<div id="c{i}"><p>{said}</p></div><p class="posted">Posted by: <a href="mailto:r{i}@mail.test">{who}</a>'
        f" at October 28, 2012 0{i}:30 PM</p>"
        for i, (who, said) in enumerate(_COMMENTS)
    )
    return f"""<html><head><title>Yet another discouraging report</title></head><body><div id="container">
<div class="content"><h2>October 28, 2012</h2><h3>Yet another discouraging report</h3>{story}
<p class="posted">Posted by James at October 28, 2012 01:23 PM</p>
{heading}{thread}<h2 id="comments-form">Post a comment</h2><form><p>Name: <input name="author"></p></form>
</div></div></body></html>"""


def test_readers_comments_under_a_comments_heading_are_not_the_story() -> None:
    # Movable Type and TypePad: each comment is plain paragraphs in the post's own container, no "comment" class,
    # under "<h2>Comments</h2>" and signed "Posted by: ...". The heading opens the thread: what follows is not story.
    result = assert_article(extract(blog_post_with_comments('<h2 id="comments">Comments</h2>').encode(), URL))
    for line in _STORY:
        assert line in result.text
    for _, said in _COMMENTS:
        assert said not in result.text


def test_a_story_s_own_section_headed_reactions_is_kept() -> None:
    # A news story's section of reactions (quotes of those concerned) is the story's text.
    result = assert_article(extract(blog_post_with_comments("<h2>Reactions</h2>").encode(), URL))
    for _, said in _COMMENTS:
        assert said in result.text


URL = "https://econ.test/archives/2012/10/yet_another_discouraging_report.html"
