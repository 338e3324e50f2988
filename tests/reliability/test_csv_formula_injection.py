"""Finding 10, CSV formula injection: `export --format csv` wrote a crawled headline such as
`=HYPERLINK("https://evil.example/",...)` as it was, and a spreadsheet opening the file ran it. In
CSV (only), a cell that starts with = + - @, a tab or a carriage return now gets a leading quote
(OWASP's rule); JSON Lines keep every value exact, and `export --help` says so."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from archive.commands.output import write_csv
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun
from tests.support.hostile_text import (
    ESCAPE_HEADLINE,
    FORMULA_DESCRIPTION,
    FORMULA_HEADLINE,
    FORMULA_SECTION,
    FORMULA_TAGS,
)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _formula_row(rows: list[dict[str, str]]) -> dict[str, str]:
    return next(row for row in rows if row["url"].endswith("/news/breakwater-formula/"))


def test_export_csv_neutralises_every_cell_that_would_run_as_a_formula(
    hostile_text_crawl: CrawlRun, tmp_path: Path
) -> None:
    target = tmp_path / "articles.csv"
    done = newsarchive("export", "--format", "csv", "-o", str(target), "--db", hostile_text_crawl.database_url)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _csv_rows(target.read_text(encoding="utf-8"))
    row = _formula_row(rows)
    assert row["title"] == "'" + FORMULA_HEADLINE
    assert row["description"] == "'" + FORMULA_DESCRIPTION
    assert row["section"] == "'" + FORMULA_SECTION
    assert row["tags"] == "'" + "; ".join(FORMULA_TAGS)
    # Nothing else changes: a cell that starts otherwise, numbers, the other article.
    assert row["url"].startswith("http://127.0.0.1:") and row["version"] == "1"
    assert ESCAPE_HEADLINE in {r["title"] for r in rows}
    for other in rows:
        for value in other.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize("command", [("articles",), ("search", "breakwater")])
def test_csv_of_articles_and_search_is_neutralised_too(hostile_text_crawl: CrawlRun, command: tuple[str, ...]) -> None:
    done = newsarchive(*command, "--format", "csv", "--db", hostile_text_crawl.database_url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _formula_row(_csv_rows(done.stdout))["title"] == "'" + FORMULA_HEADLINE


def test_json_lines_keep_the_values_exact(hostile_text_crawl: CrawlRun) -> None:
    done = newsarchive("export", "--format", "jsonl", "--db", hostile_text_crawl.database_url)
    record = next(
        r for r in map(json.loads, done.stdout.splitlines()) if r["url"].endswith("/news/breakwater-formula/")
    )
    assert (record["title"], record["description"], record["section"]) == (
        FORMULA_HEADLINE,
        FORMULA_DESCRIPTION,
        FORMULA_SECTION,
    )
    assert record["tags"] == list(FORMULA_TAGS)


def test_export_help_documents_it() -> None:
    text = " ".join(newsarchive("export", "--help").stdout.split())
    assert "a cell that starts with = + - @ (or a tab or a carriage return) as a formula" in text
    assert "gets a leading '" in text


def test_tab_carriage_return_and_full_width_starts_are_neutralised() -> None:
    # Extraction collapses a leading tab or CR in a field, so these come from elsewhere (a database
    # another tool wrote): the CSV writer neutralises them all the same.
    out = io.StringIO()
    write_csv(out, ["a", "b", "c", "d", "e"], [["\t=1+1", "\r=1+1", "\uff1d1+1", "plain -1", -1]])
    assert list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1] == [
        "'\t=1+1",
        "'\r=1+1",
        "'\uff1d1+1",
        "plain -1",
        "-1",
    ]
