"""One meaning per option name across `newsarchive`'s commands, checked on the real parser and on
real runs: `--format json` wherever a command prints a table or a summary (no `--json`), `--limit 0`
is no limit, every command that crawls takes `--log-level`, and a user's mistake is one line, exit 2."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.cli import build_parser
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun

# Commands that print data in formats of their own, not a table: extract prints JSON Lines,
# export writes files; serve, demo's site and warc's group print nothing to format.
NO_TABLE = {"extract", "serve", "warc"}
CRAWLING = {"crawl", "demo"}


def _commands() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    def walk(name: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child, sub in action.choices.items():
                    yield f"{name} {child}".strip(), sub
                    yield from walk(f"{name} {child}".strip(), sub)

    yield from walk("", build_parser())


def _option(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    return next((a for a in parser._actions if name in a.option_strings), None)


COMMANDS = dict(_commands())


def test_the_walk_sees_every_command() -> None:
    assert {"crawl", "demo", "runs", "stats", "reextract", "index", "wacz", "warc recover", "enqueue"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_is_asked_for_one_way(name: str) -> None:
    parser = COMMANDS[name]
    assert _option(parser, "--json") is None, f"{name}: --json; use --format json"
    output = _option(parser, "--format")
    if name in NO_TABLE:
        return
    assert output is not None, f"{name} prints a table or a summary: it needs --format"
    if name == "export":  # a file format, not a view
        assert output.default == "jsonl"
        return
    assert output.default == "table" and "json" in (output.choices or ()), (name, output.choices)


@pytest.mark.parametrize("name", sorted(CRAWLING))
def test_every_command_that_crawls_takes_the_same_voice_options(name: str) -> None:
    parser = COMMANDS[name]
    for option in ("--log-level", "-v", "-q"):
        assert _option(parser, option) is not None, (name, option)
    assert "Exit status: 0" in (parser.description or ""), name


@pytest.mark.parametrize("name", sorted(n for n, p in COMMANDS.items() if _option(p, "--limit") is not None))
def test_limit_help_says_zero_is_all(name: str) -> None:
    limit = _option(COMMANDS[name], "--limit")
    assert limit is not None and "0: all" in (limit.help or ""), (name, limit and limit.help)


@pytest.mark.parametrize(
    ("command", "count"),
    [
        (["runs", "--format", "json"], len),
        (["articles", "--format", "json"], len),
        (["search", "government", "--format", "json"], len),
        (["health", "--format", "json"], len),
    ],
)
def test_limit_zero_means_no_limit(sample_crawl: CrawlRun, command: list[str], count: object) -> None:
    def rows(*limit: str) -> list[object]:
        done = newsarchive(*command, "--db", sample_crawl.database_url, *limit)
        assert done.returncode == 0, done.stderr
        parsed = json.loads(done.stdout)
        return parsed if isinstance(parsed, list) else parsed.get("rows", parsed.get("runs", [parsed]))

    everything = rows("--limit", "100000")
    assert rows("--limit", "0") == everything
    assert len(rows("--limit", "1")) == min(1, len(everything))


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["crawl", "example.com/news/"],
            "no scheme in example.com/news/: give the whole URL, e.g. https://example.com",
        ),
        (["crawl", "--db", "archive.db", "http://127.0.0.1:9/"], "--db wants a database URL"),
        (["crawl", "--log-level", "LOUD", "http://127.0.0.1:9/"], "not a log level: 'LOUD'"),
        (["export", "-o", "{tmp}"], "is a directory; -o wants a file name"),
        (["export", "-o", "{tmp}/missing/articles.jsonl"], "no folder"),
        (["search", "strike", "-teachers"], "quote the whole query: newsarchive search 'strike -teachers'"),
        (["runs", "--limit", "-1"], "--limit must be 0 (all) or more"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(tmp_path: Path, arguments: list[str], says: str) -> None:
    database = ["--db", f"sqlite:///{tmp_path / 'a.db'}"] if "--db" not in arguments else []
    (tmp_path / "a.db").touch()
    done = newsarchive(*[a.replace("{tmp}", str(tmp_path)) for a in arguments], *database)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("newsarchive: error: ") and says in done.stderr, done.stderr


def test_show_body_is_the_decoded_html(sample_crawl: CrawlRun) -> None:
    done = newsarchive(
        "show", "1", "--body", "--db", sample_crawl.database_url, "--warc-dir", str(sample_crawl.warc_dir)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().lower().startswith("<!doctype html") and "</html>" in done.stdout
    # The sample site sends it gzipped: the body shown is the page, not the bytes as stored.
    assert "\x1f" not in done.stdout and "HTTP/1.1" not in done.stdout


def test_show_raw_refuses_a_terminal(sample_crawl: CrawlRun) -> None:
    from tests.support.cli import newsarchive_in_terminal

    places = ("--db", sample_crawl.database_url, "--warc-dir", str(sample_crawl.warc_dir))
    returncode, shown = newsarchive_in_terminal("show", "1", "--raw", *places)
    assert returncode == 2, shown
    assert "redirect it to a file or pipe it" in shown and "HTTP/1.1" not in shown


def test_help_loads_neither_the_database_layer_nor_scrapy() -> None:
    """Every command's parser is built for ``newsarchive --help`` (and for any command): it must not
    load SQLAlchemy, the models or Scrapy, which took 0.55 s more at every start."""
    import subprocess
    import sys

    check = (
        "import sys\n"
        "from archive.cli import build_parser\n"
        "parser = build_parser()\n"
        "parser.format_help()\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'sqlalchemy', 'scrapy', 'twisted', 'trafilatura'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
