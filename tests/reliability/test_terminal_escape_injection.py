"""Finding 9, terminal escape injection: a crawled headline carrying `ESC ] 0 ; ... BEL` (set the
terminal's title) and `ESC [ 2 J` (clear the screen) was printed raw by `search`, `articles` and
`show`, and its rich markup (`[/b]`, `[link=...]`) restyled the table or crashed it. Human output,
on a terminal or piped, now shows the text without escapes or control characters, and markup as the
characters it is; JSON stays exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import newsarchive, newsarchive_in_terminal
from tests.support.crawls import CrawlRun
from tests.support.hostile_text import ESCAPE_HEADLINE, ESCAPE_SECTION, MARKUP_HEADLINE, PARAGRAPHS
from tests.support.raw_site import RawSite, response

# What an archived text must never send to the terminal (rich's own colours are SGR sequences,
# "ESC [ ... m", which these are not).
HOSTILE = ("\x1b]", "\x07", "\x1b[2J", "\x9b")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _db(run: CrawlRun) -> tuple[str, str]:
    return "--db", run.database_url


def _article_id(run: CrawlRun) -> str:
    rows = json.loads(newsarchive("articles", "--format", "json", *_db(run)).stdout)
    return str(next(row["id"] for row in rows if row["url"].endswith("/news/breakwater-escapes/")))


def _assert_harmless(output: str) -> None:
    for sequence in HOSTILE:
        assert sequence not in output, f"{sequence!r} reached the terminal"


COMMANDS = {
    "articles": ("articles",),
    "search": ("search", "breakwater"),
    "show": ("show", "{id}"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_on_a_terminal_archived_text_is_shown_without_escapes_and_markup_as_typed(
    hostile_text_crawl: CrawlRun, command: str
) -> None:
    args = [a.format(id=_article_id(hostile_text_crawl)) for a in COMMANDS[command]]
    returncode, output = newsarchive_in_terminal(*args, *_db(hostile_text_crawl), columns=400)
    assert returncode == 0, output[-3000:]
    assert "Traceback" not in output
    _assert_harmless(output)
    shown = _SGR.sub("", output)
    assert MARKUP_HEADLINE in shown  # "[/b]", "[link=...]" are text, not markup


@pytest.mark.parametrize("command", COMMANDS)
def test_piped_archived_text_has_no_control_characters(hostile_text_crawl: CrawlRun, command: str) -> None:
    args = [a.format(id=_article_id(hostile_text_crawl)) for a in COMMANDS[command]]
    done = newsarchive(*args, *_db(hostile_text_crawl))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x9b" not in done.stdout
    assert MARKUP_HEADLINE in done.stdout


def test_show_keeps_the_lines_of_the_text(hostile_text_crawl: CrawlRun) -> None:
    done = newsarchive("show", _article_id(hostile_text_crawl), *_db(hostile_text_crawl))
    assert "\n".join(PARAGRAPHS) in done.stdout
    assert "section: World\n" in done.stdout


def test_json_keeps_every_character(hostile_text_crawl: CrawlRun) -> None:
    rows = json.loads(newsarchive("articles", "--format", "json", *_db(hostile_text_crawl)).stdout)
    assert ESCAPE_HEADLINE in {row["title"] for row in rows}
    detail = json.loads(
        newsarchive("show", _article_id(hostile_text_crawl), "--format", "json", *_db(hostile_text_crawl)).stdout
    )
    assert (detail["title"], detail["section"]) == (ESCAPE_HEADLINE, ESCAPE_SECTION)
    hits = [
        json.loads(line)
        for line in newsarchive(
            "search", "breakwater", "--format", "jsonl", *_db(hostile_text_crawl)
        ).stdout.splitlines()
    ]
    assert ESCAPE_HEADLINE in {hit["title"] for hit in hits}


def test_stats_and_runs_on_a_terminal(hostile_text_crawl: CrawlRun) -> None:
    for command in ("stats", "runs"):
        returncode, output = newsarchive_in_terminal(command, *_db(hostile_text_crawl))
        assert returncode == 0, output[-3000:]
        _assert_harmless(output)


def test_show_raw_refuses_a_terminal_and_writes_bytes_to_a_pipe(hostile_text_crawl: CrawlRun) -> None:
    article = _article_id(hostile_text_crawl)
    returncode, output = newsarchive_in_terminal("show", article, "--raw", *_db(hostile_text_crawl))
    assert returncode == 2
    assert output.strip() == (
        "newsarchive: error: --raw prints the archived bytes exactly as stored: redirect it to a file or pipe it"
    )
    piped = newsarchive(
        "show", article, "--raw", *_db(hostile_text_crawl), "--warc-dir", str(hostile_text_crawl.warc_dir)
    )
    assert piped.returncode == 0 and piped.stdout.startswith("HTTP/1.1 200")


def test_a_search_for_markup_is_a_search(hostile_text_crawl: CrawlRun) -> None:
    returncode, output = newsarchive_in_terminal("search", "[/x]", *_db(hostile_text_crawl))
    assert "Traceback" not in output and "MarkupError" not in output
    assert returncode == 1  # nothing matches
    assert "best matches for '[/x]'" in _SGR.sub("", output)


def test_the_crawl_summary_shows_paths_with_brackets(tmp_path: Path) -> None:
    listing = b'<html><body><ul><li><a href="/news/story/">Story</a></li></ul></body></html>'
    routes = {"/news-feed/": response(listing, ("Content-Type", "text/html"))}
    target = tmp_path / "[" / "x]"  # a path that reads "[/x]", a closing tag rich has no opening for
    target.mkdir(parents=True)
    with RawSite(routes) as site:
        done = newsarchive(
            "crawl",
            f"{site.url}/news-feed/",
            "--db",
            f"sqlite:///{target / 'a.db'}",
            "--warc-dir",
            str(target / "warc"),
            "--set",
            "NEWSARCHIVE_EXTRACT_WORKERS=1",
        )
    assert "MarkupError" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[/x]" in done.stderr
