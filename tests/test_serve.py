"""``newsarchive serve``: Datasette on a free port on 127.0.0.1, read-only, queried through its JSON
API; the article list rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.archive_data import SITE, populate
from tests.support.cli import newsarchive
from tests.support.reader import CHROMIUM, serving


class Served:
    def __init__(self, base: str, db: str, urls: dict[str, str], path: Path) -> None:
        self.base, self.db, self.urls, self.path = base, db, urls, path

    def get_json(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.base}{path}?{query}", timeout=30) as response:
            return json.load(response)


@pytest.fixture(scope="module")
def served(new_database_url) -> Iterator[Served]:
    from archive.db import open_database

    url = new_database_url("sqlite")
    urls = populate(open_database(url))
    path = Path(url.removeprefix("sqlite:///"))
    with serving(url) as base:
        yield Served(base, path.stem, urls, path)


def test_search_query_ranked_filtered_with_links(served: Served) -> None:
    empty = {"site": "", "author": "", "since": "", "until": ""}
    rows = served.get_json(f"/{served.db}/search.json", q="bakhmut -shelling", _shape="array", **empty)
    assert {r["url"] for r in rows} == {served.urls["/news/bakhmut-offensive/"], served.urls["other"]}
    assert all("**" in r["snippet"] for r in rows)
    rows = served.get_json(f"/{served.db}/search.json", q="bakhmut", _shape="array", **(empty | {"site": SITE}))
    assert {r["url"] for r in rows} == {served.urls["/news/bakhmut-offensive/"], served.urls["/news/bakhmut-shelling/"]}
    rows = served.get_json(
        f"/{served.db}/search.json", q="bakhmut", _shape="array", **(empty | {"since": "2023-07-08"})
    )
    assert [r["url"] for r in rows] == [served.urls["/news/bakhmut-shelling/"]]
    # hostile or empty input: no rows, no error
    for q in ['"unbalanced', "NEAR(x", "-only", ""]:
        assert served.get_json(f"/{served.db}/search.json", q=q, _shape="array", **empty) == []
    rows = served.get_json(f"/{served.db}/search.json", q="'; DROP TABLE articles; --", _shape="array", **empty)
    assert [r["url"] for r in rows] == [served.urls["/news/sql-story/"]]  # searched literally
    # the HTML page links each article to its page (which lists its versions) and highlights
    with urllib.request.urlopen(f"{served.base}/{served.db}/search?q=harvest&site=&author=&since=&until=") as page:
        html = page.read().decode()
    assert "<mark>harvest</mark>" in html and f'href="/{served.db}/articles/5"' in html


def test_versions_facets_and_table_search(served: Served) -> None:
    versions = served.get_json(f"/{served.db}/versions.json", article_id="1", _shape="array")
    assert [v["version"] for v in versions] == [1, 2] and [v["current"] for v in versions] == [0, 1]
    assert versions[1]["warc_file"] == "test-00001.warc.gz" and versions[1]["warc_offset"] == 50_000
    articles = served.get_json(f"/{served.db}/articles.json", _facet="site_id")
    facet = {v["label"]: v["count"] for v in articles["facet_results"]["site_id"]["results"]}
    assert facet == {"news.example": 7, "other.example": 1}
    by_day = served.get_json(f"/{served.db}/article_versions.json", _facet_date="published_at")
    assert by_day["facet_results"]["published_at"]["results"]
    authors = served.get_json(f"/{served.db}/article_version_authors.json", _facet="author_id")
    labels = {v["label"] for v in authors["facet_results"]["author_id"]["results"]}
    assert {"Jonas Brandt", "Mira Delacroix"} <= labels
    # Datasette's table search uses the same FTS index: current versions only
    found = served.get_json(f"/{served.db}/article_versions.json", _search="monday", _shape="array")
    assert found == []
    assert len(served.get_json(f"/{served.db}/article_versions.json", _search="tuesday", _shape="array")) == 1


def test_read_only(served: Served) -> None:
    before = served.path.stat().st_mtime_ns
    for sql in ("delete from articles", "update articles set url = 'x'", "select 1; delete from articles"):
        try:
            served.get_json(f"/{served.db}.json", sql=sql)
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
    articles = served.get_json(f"/{served.db}/articles.json", _shape="array")
    assert len(articles) == 8 and served.path.stat().st_mtime_ns == before


def test_article_list_renders_in_headless_chromium(served: Served, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            f"{served.base}/{served.db}/article_list?site=&author=&since=&until=",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "Ukrainian forces advance south of Bakhmut" in dom and "Hitzewelle bricht Rekord" in dom
    assert dom.count(f'href="/{served.db}/articles/') == 8


def test_serve_refuses_reader_settings_out_of_range(served: Served) -> None:
    url = f"sqlite:///{served.path}"
    for setting, words in (
        ("NEWSARCHIVE_READER_PAGE_SIZE=0", "NEWSARCHIVE_READER_PAGE_SIZE must be 1 or more, not 0"),
        ("NEWSARCHIVE_READER_EDITS_SINCE=soon", "since must be a number and h, d or w"),
        ("NEWSARCHIVE_READER_LATEST=many", "many"),
    ):
        done = newsarchive("serve", "--db", url, "--port", "0", "--set", setting)
        assert done.returncode == 2 and words in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_serve_refuses_postgres_and_missing_files(tmp_path: Path) -> None:
    done = newsarchive("serve", "--db", "postgresql+psycopg://u@127.0.0.1/x")
    assert done.returncode == 2 and "serve needs a SQLite database" in done.stderr and done.stderr.count("\n") == 1
    done = newsarchive("serve", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert done.returncode != 0 and "no database" in done.stderr
