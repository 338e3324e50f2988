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
