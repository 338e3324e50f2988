"""Listing, show (versions, diff, raw WARC bytes), stats and Parquet export, on SQLite and PostgreSQL;
``show --raw`` against a real crawl of the sample site."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from archive.commands.stats import day_chart
from archive.db import open_database
from archive.query import Filters, article_versions, find_article, list_articles, site_stats
from archive.sample_site import SampleSite, load_articles
from tests.support.archive_data import OTHER, SITE, ArchiveDB, populate
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun


def test_list_filters_and_order(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    with sessions() as session:
        rows = list_articles(session, limit=None)
        assert len(rows) == 8
        published = [r["published"] for r in rows if r["published"]]
        assert rows[-1]["published"] is None  # undated last
        assert rows[0]["url"] == urls["/news/heatwave/"]  # 07:30 UTC beats 09:00+02:00 (07:00 UTC)
        assert len(published) == 7
        by_brandt = list_articles(session, Filters(author="Jonas Brandt"))
        assert {r["url"] for r in by_brandt} == {
            urls["/news/bakhmut-shelling/"],
            urls["/news/prime-minister-visit/"],
            urls["other"],
        }
        assert [r["url"] for r in list_articles(session, Filters(site=OTHER))] == [urls["other"]]
        offensive = next(r for r in rows if r["url"] == urls["/news/bakhmut-offensive/"])
        assert offensive["versions"] == 2 and offensive["version"] == 2
        assert offensive["title"] == "Ukrainian forces advance south of Bakhmut"


def test_find_article_by_id_url_and_variants(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    url = urls["/news/bakhmut-offensive/"]
    with sessions() as session:
        article = find_article(session, url)
        assert article is not None
        assert find_article(session, str(article.id)).url == url
        assert find_article(session, url + "?utm_source=feed#top").id == article.id
        assert find_article(session, "https://news.example/nope/") is None
        assert find_article(session, "999999") is None
        versions = article_versions(session, article)
        assert [v.number for v in versions] == [1, 2] and [v.current for v in versions] == [False, True]
        assert versions[0].content_hash != versions[1].content_hash
        assert (versions[0].warc_offset, versions[1].warc_offset) == (1000, 50_000)


def test_stats_per_site(archive_db: ArchiveDB) -> None:
    _, sessions, _ = archive_db
    with sessions() as session:
        stats = {s.site: s for s in site_stats(session)}
    news = stats[SITE]
    assert (news.articles, news.captures, news.versions, news.authors) == (7, 9, 8, 4)
    assert news.first_published.startswith("2023-07-03T06:40") and news.last_published.startswith("2023-07-18T07:30")
    assert news.warc_bytes > 9 * 1000
    assert (stats[OTHER].articles, stats[OTHER].captures) == (1, 1)


def test_day_chart_fills_empty_days() -> None:
    import datetime as dt

    lines = day_chart([(dt.date(2023, 7, 1), 4), (dt.date(2023, 7, 3), 2)], last=30, bar="#")
    assert [line.split()[0] for line in lines] == ["2023-07-01", "2023-07-02", "2023-07-03"]
    assert lines[0].endswith("#" * 50 + " 4") and lines[1].endswith(" 0") and lines[2].endswith("#" * 25 + " 2")


def test_cli_articles_show_diff_stats(archive_db: ArchiveDB) -> None:
    url, _, urls = archive_db
    done = newsarchive("articles", "--format", "json", "--db", url, "--since", "2023-07-10")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 5
    shown = newsarchive("show", urls["/news/bakhmut-offensive/"], "--db", url)
    assert shown.returncode == 0, shown.stderr
    assert "test-00001.warc.gz@50000+" in shown.stdout and "Correction: an earlier version" in shown.stdout
    # Look the story up by URL: ids depend on insertion order, which differs between backends.
    as_json = json.loads(newsarchive("show", urls["/news/bakhmut-offensive/"], "--format", "json", "--db", url).stdout)
    story = str(as_json["id"])
    single = next(str(row["id"]) for row in json.loads(done.stdout) if str(row["id"]) != story)  # one version
    assert [v["version"] for v in as_json["version_list"]] == [1, 2] and len(as_json["captures"]) == 3
    old = newsarchive("show", story, "--version", "1", "--no-text", "--db", url)
    assert "title: Ukrainian forces advance near Bakhmut" in old.stdout
    diff = newsarchive("show", story, "--diff", "--db", url)
    assert "-title: Ukrainian forces advance near Bakhmut" in diff.stdout
    assert "+Correction: an earlier version gave the wrong day." in diff.stdout
    assert (
        newsarchive("show", story, "--diff", "2", "1", "--db", url).stdout.count(
            "+title: Ukrainian forces advance near"
        )
        == 1
    )
    stats = newsarchive("stats", "--db", url)
    assert (
        stats.returncode == 0 and "news.example\t7\t9\t8\t4" in stats.stdout and "2023-07-18 Tue ####" in stats.stdout
    )
    for bad in (
        ["show", "12345"],
        ["show", "https://nowhere.example/x/"],
        ["show", "1", "--version", "9"],
        ["show", single, "--diff"],
        ["articles", "--since", "yesterday"],
        ["articles", "--until", "2023-13-01"],
        ["stats", "--site", "nope.example"],
    ):
        done = newsarchive(*bad, "--db", url)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert done.stderr.count("\n") == 1 and "error" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_export_parquet_streams_typed_batches(archive_db: ArchiveDB, tmp_path: Path) -> None:
    url, _, urls = archive_db
    target = tmp_path / "articles.parquet"
    done = newsarchive("export", "--format", "parquet", "-o", str(target), "--db", url)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(target)
    assert table.num_rows == 8
    assert str(table.schema.field("fetched_at").type) == "timestamp[us, tz=UTC]"
    rows = {r["url"]: r for r in table.to_pylist()}
    assert rows[urls["/news/prime-minister-visit/"]]["authors"] == ["Mira Delacroix", "Jonas Brandt"]
    assert rows[urls["/news/bakhmut-offensive/"]]["version"] == 2
    # batches become row groups: memory holds one batch, not the archive
    from archive.commands.export import write_parquet
    from archive.query import iter_articles

    _, sessions, _ = archive_db
    with sessions() as session:
        assert write_parquet(iter_articles(session), tmp_path / "small.parquet", batch_rows=3) == 8
    assert pq.ParquetFile(tmp_path / "small.parquet").metadata.num_row_groups == 3


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    for command in (["articles"], ["show", "1"], ["stats"], ["search", "x"], ["export", "--format", "parquet"]):
        done = newsarchive(*command, "--db", f"sqlite:///{tmp_path / 'none.db'}")
        assert done.returncode != 0 and done.stderr.count("\n") == 1 and "no database" in done.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_that_fails_midway_leaves_the_earlier_file_whole(fmt: str, tmp_path: Path) -> None:
    """An export that stops (here: a database row it cannot read) is one line, and the file it
    was told to write is the earlier export still: never half of a new one under its name."""
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    populate(open_database(url))
    target = tmp_path / f"articles.{fmt}"
    done = newsarchive("export", "--format", fmt, "-o", str(target), "--db", url)
    assert done.returncode == 0, done.stderr
    earlier = target.read_bytes()
    with sqlite3.connect(tmp_path / "archive.db") as db:  # a value SQLAlchemy cannot read back
        db.execute(
            "UPDATE captures SET fetched_at = 'garbage' WHERE id = (SELECT max(capture_id) FROM article_versions)"
        )
    done = newsarchive("export", "--format", fmt, "-o", str(target), "--db", url)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "garbage" in done.stderr and "Traceback" not in done.stderr
    assert target.read_bytes() == earlier
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("archive.db")] == [target.name]


# ------------------------------------------------------------------ a real crawl


def test_show_raw_prints_the_archived_response_bytes(sample_crawl: CrawlRun, sample_site: SampleSite) -> None:
    sample = load_articles()[0]
    url = f"{sample_site.url}{sample.path}"
    done = newsarchive_bytes(
        "show", url, "--raw", "--db", sample_crawl.database_url, "--warc-dir", str(sample_crawl.warc_dir)
    )
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0]
    assert b"Content-Encoding: gzip" in head  # as received: the body is still gzip
    assert sample.paragraphs[0] in gzip.decompress(body).decode("utf-8")
    # the bytes are the WARC record's block, byte for byte (read back with warcio)
    from warcio.archiveiterator import ArchiveIterator

    found = json.loads(newsarchive("show", url, "--format", "json", "--db", sample_crawl.database_url).stdout)
    version = found["version_list"][-1]
    with (sample_crawl.warc_dir / version["warc_file"]).open("rb") as stream:
        stream.seek(version["warc_offset"])
        record = next(iter(ArchiveIterator(stream)))
        assert record.raw_stream.read() == body
    # search and stats work on crawled data too
    hits = newsarchive("search", f'"{sample.title}"', "--format", "jsonl", "--db", sample_crawl.database_url)
    assert json.loads(hits.stdout.splitlines()[0])["url"].endswith(sample.path)
    missing_warc = newsarchive("show", url, "--raw", "--db", sample_crawl.database_url, "--warc-dir", "/nonexistent")
    assert missing_warc.returncode == 2 and "WARC file not found" in missing_warc.stderr


def newsarchive_bytes(*args: str):
    import subprocess
    import sys

    from tests.support.cli import ROOT

    return subprocess.run([sys.executable, "-m", "archive.cli", *args], cwd=ROOT, capture_output=True, timeout=300)


def test_iter_articles_streams_across_chunks(archive_db: ArchiveDB) -> None:
    from archive.query import iter_articles

    _, sessions, urls = archive_db
    with sessions() as session:
        rows = list(iter_articles(session, chunk=3))  # 8 articles: three partitions
    assert len(rows) == 8 and {r["url"] for r in rows} == set(urls.values())
    assert next(r for r in rows if r["url"] == urls["/news/prime-minister-visit/"])["authors"] == [
        "Mira Delacroix",
        "Jonas Brandt",
    ]
