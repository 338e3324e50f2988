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


_GALLERY_POST = (
    "First up are the new T-shirts of the festival! Here is the blue design, printed on organic cotton.",
    "Every shirt comes with a set of two cards, one of each character, and a sticker sheet for the laptop.",
    "We also have a small selection of glossy posters featuring the artwork of six illustrators we admire.",
    "Each poster comes with a card too, so if you buy ten posters you will end up with ten of them.",
    "All purchases come with a free bag! One side shows the mascot, the other one the festival's logo.",
    "This is where we are located in the exhibition hall, right next to the shop at the main entrance.",
)
_GALLERY_INTRO = (
    "It is that time of year again: the festival takes place this weekend, with a huge exhibition hall.",
    "For the past few years I only showed our mascot at the booth; this time I will be selling things too.",
    "The colours have not faded after months of washing, so I can finally bring the shirts to the market.",
)


def _gallery_image(number: int, paragraphs: tuple[str, ...]) -> str:
    text = "".join(f"<p>{line}</p>" for line in paragraphs)
    return (
        f'<div class="image-wrapper"><div class="caption-image" id="image-{number}">'
        f'<img src="/img/{number}.jpg" alt="Festival merchandise"><div class="description">{text}</div></div></div>'
    )


def test_a_post_told_in_its_pictures_captions_keeps_every_caption() -> None:
    """Each picture's caption block carries its own id ("image-159373"): blocks of one class are weighed together,
    not one by one as if each id named another kind of block."""
    images = _gallery_image(1, _GALLERY_INTRO) + "".join(
        _gallery_image(number, (line,)) for number, line in enumerate(_GALLERY_POST, 2)
    )
    page = f"""<html lang="en"><head><title>Festival merchandise</title></head><body>
<header><nav><a href="/">Home</a> <a href="/blog/">Blog</a></nav></header>
<div id="content"><h1>Festival merchandise</h1><div class="post">{images}</div></div>
<footer><a href="/about/">About us</a></footer></body></html>""".encode()
    lines = story_lines(extract(page, "https://blog.test/post/en/26724"))
    assert lines == [*_GALLERY_INTRO, *_GALLERY_POST]


_TYPE_FOUNDRIES = (
    (
        "The first studio on the list cuts wood type by hand and prints posters for the theatres of its city.",
        "More: http://woodtype.test",
    ),
    (
        "The second one publishes a small magazine on lettering, four issues a year, each in a new binding.",
        "More: http://lettering-magazine.test/issues/",
    ),
    (
        "The third is a foundry of two designers who draw typefaces for the signs of railway stations.",
        "More: http://stationsigns.test",
    ),
)


def test_an_address_the_story_gives_after_each_of_its_items_is_kept_and_a_footer_of_profiles_still_goes() -> None:
    """ "More: http://…" under each item of a story is where it points its readers; a label and an address are chrome
    at the edges of the text or stacked with others ("Facebook: …", "Website: …" under the post)."""
    intro = (
        "Three small studios from the same city have shaped the way its streets look over the last twenty years.",
        "We visited each of them in October and asked what they are working on for the coming season.",
        "Each of them prints, cuts or draws letters by hand, and none of them has more than four people.",
    )
    items = tuple(line for item in _TYPE_FOUNDRIES for line in item)
    closing = ("All three will show their work at the book fair in March, in the hall next to the main entrance.",)
    profiles = ("Facebook: www.facebook.com/typewalks", "Website: www.typewalks.test")
    lines = story_lines(
        extract(
            story_page("Three type studios", (*intro, *items, *closing, *profiles)),
            "https://typewalks.test/2012/11/three-type-studios",
        )
    )
    assert lines == [*intro, *items, *closing]
