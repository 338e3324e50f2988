"""Recall on pages nobody here picked (issue 20): lines of the story that the line filter or the cleaning took for
page chrome. Each test is a crafted page of the shape found on the broad set, and fails without the fix it names."""

from __future__ import annotations

from archive.extract import Article, NotAnArticle, extract


def story_page(title: str, paragraphs: tuple[str, ...], *, after: str = "") -> bytes:
    body = "".join(f"<p>{line}</p>" for line in paragraphs)
    return f"""<html lang="en"><head><title>{title}</title></head><body>
<header><nav><a href="/">Home</a> <a href="/tech/">Tech</a></nav></header>
<main><article><h1>{title}</h1><div class="post-body">{body}</div>{after}</article></main>
<footer><a href="/about/">About us</a></footer></body></html>""".encode()


def story_lines(result: Article | NotAnArticle) -> list[str]:
    assert isinstance(result, Article), result
    return result.text.split("\n")


_STREAMING = (
    "The streaming service updated its Android app on Monday with recommendations built from what you play most.",
    "Subscribers now get a daily mix on the home screen, and the app learns from every skipped track as well.",
    "The update also brings offline playlists to phones with memory cards, which subscribers had asked for.",
    "It is free in the Play Store; the service itself still costs ten dollars a month after a trial of two weeks.",
)
_FEEDBACK_TOOL = (
    "Starting today, you can send us feedback about any search result with the new link under each story.",
    "Choose what went wrong, a duplicate story or a wrong picture, and add a comment if you want to tell us more.",
    "The feedback goes to the team that tunes the ranking, which reads every report that comes in every week.",
)


def test_a_last_paragraph_about_what_the_story_is_about_is_not_a_prompt() -> None:
    """The prompt words of a closing line ("subscribers", "feedback") are the story's own subject when the story
    uses them: a question to its readers, the post's last paragraph, not a sign-up box under it."""
    question = (
        "Any subscribers out there, or are the free alternatives good enough for you? "
        "What's your favourite streaming app?"
    )
    lines = story_lines(
        extract(story_page("Music app adds recommendations", (*_STREAMING, question)), "https://blog.test/2012/music")
    )
    assert lines[-1] == question

    closing = (
        "Although we won't be able to reply to your comments individually, your feedback will help us make "
        "the results better. The link launches worldwide, beginning with the U.S."
    )
    lines = story_lines(
        extract(
            story_page("Sending us feedback is now easier", (*_FEEDBACK_TOOL, closing)),
            "https://newsblog.test/2012/01/feedback",
        )
    )
    assert lines[-1] == closing


def test_a_sign_up_prompt_under_the_story_still_goes_after_a_last_paragraph_that_is_kept() -> None:
    question = "Any subscribers out there? What's your favourite streaming app?"
    prompts = (
        "Newsletter: Tech inside",
        "Sign up for our newsletter and get the best stories of the day in your inbox every morning.",
        "Help keep all of our content free - donate today!",
    )
    lines = story_lines(
        extract(
            story_page("Music app adds recommendations", (*_STREAMING, question, *prompts)),
            "https://blog.test/2012/music",
        )
    )
    assert lines[-1] == question
    assert lines[: len(_STREAMING)] == list(_STREAMING)
