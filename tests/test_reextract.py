"""Re-extraction from WARC files: rebuild, idempotence, new versions, foreign WARCs, bad input.

Real parts throughout: a real `scrapy crawl` of the sample site, WARCs written by warcio and by
`wget --warc-file` against the sample site, the `newsarchive` command in a subprocess, SQLite files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import io
import json
import shutil
import subprocess
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import archive.extraction.core as extraction_core
from archive import models
from archive.db import open_database
from archive.extract import EXTRACTOR_NAME, EXTRACTOR_VERSION, Article, extract
from archive.reextract import reextract
from archive.sample_site import SampleSite, load_articles
from archive.urls import canonicalize
from archive.warc.digests import digest_matches
from archive.warc.httpblock import dechunk
from archive.warc.reader import Selection, WarcReader
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun

ARTICLES = load_articles()
TABLES = (
    models.Site,
    models.Capture,
    models.Article,
    models.ArticleVersion,
    models.Author,
    models.Tag,
    models.ArticleVersionAuthor,
    models.ArticleVersionTag,
)


# -- helpers -----------------------------------------------------------------------------------
def _export(database_url: str) -> dict[str, dict[str, Any]]:
    done = newsarchive("export", "--format", "jsonl", "--db", database_url)
    assert done.returncode == 0, done.stderr
    return {row["url"]: row for row in map(json.loads, done.stdout.splitlines())}


def _counts(database_url: str) -> dict[str, int]:
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (timestamps of row creation included): equal dumps, equal DBs."""
    sessions = open_database(database_url, create=False)
    dump = {}
    with sessions() as session:
        for table in TABLES:
            columns = list(table.__table__.columns)
            rows = session.execute(select(*columns).order_by(*columns)).all()
            dump[table.__tablename__] = [tuple(r) for r in rows]
    return dump


def _summary(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line and not line.startswith("change"))


def _fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.status, list(response.headers.items()), response.read()


def _chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def _response(writer: WARCWriter, url: str, headers: list[tuple[str, str]], body: bytes, date: str) -> Any:
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)
    return record


def _revisit(writer: WARCWriter, url: str, original: Any, date: str, *, refers_to_id: bool, status: str = "200 OK"):
    headers = [("Content-Type", "text/html; charset=utf-8")]
    record = writer.create_revisit_record(
        url,
        original.rec_headers.get_header("WARC-Payload-Digest"),
        url,
        original.rec_headers.get_header("WARC-Date"),
        http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
    )
    record.rec_headers.replace_header("WARC-Date", date)
    if refers_to_id:  # Heritrix style; Browsertrix style names only the target URI and date
        record.rec_headers.add_header("WARC-Refers-To", original.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(record)
    return record


def _warcio_responses(path: Path) -> list[tuple[int, int, str, str]]:
    found = []
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            if record.rec_type in ("response", "revisit"):
                record.raw_stream.read()
                found.append(
                    (
                        iterator.get_record_offset(),
                        iterator.get_record_length(),
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Target-URI").strip("<>"),
                    )
                )
    return found


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rebuilt(
    sample_crawl: CrawlRun, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """`newsarchive reextract` of the crawl's WARC directory into an empty database."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('rebuilt') / 'rebuilt.db'}"
    done = newsarchive("reextract", "--warc-dir", str(sample_crawl.warc_dir), "--db", database_url, "--workers", "2")
    return database_url, done


# -- rebuild and idempotence ---------------------------------------------------------------------
def test_rebuild_into_empty_database_matches_the_crawl(
    sample_crawl: CrawlRun, rebuilt: tuple[str, subprocess.CompletedProcess[str]]
) -> None:
    database_url, done = rebuilt
    assert done.returncode == 0, done.stderr
    summary = _summary(done.stdout)
    assert summary["skipped (bad input)"] == "0"
    assert summary["articles new"] == str(len(ARTICLES))
    assert "reextract: 100%" in done.stderr  # plain progress lines when not on a terminal
    crawled, rebuilt_rows = _export(sample_crawl.database_url), _export(database_url)
    assert set(rebuilt_rows) == set(crawled) and len(crawled) == len(ARTICLES)
    for url, row in crawled.items():
        again = rebuilt_rows[url]
        for name in ("text", "title", "authors", "tags", "published", "language", "section", "content_hash"):
            assert again[name] == row[name], (url, name)
        # the same record: the rebuild's captures point where the crawl's do
        for name in ("warc_file", "warc_offset", "warc_length", "fetched_at", "status"):
            assert again[name] == row[name], (url, name)
    assert _counts(database_url) == _counts(sample_crawl.database_url)


def test_second_run_changes_nothing(
    sample_crawl: CrawlRun, rebuilt: tuple[str, subprocess.CompletedProcess[str]]
) -> None:
    database_url, _ = rebuilt
    before = _dump(database_url)
    result = reextract([sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0)
    assert result.read.responses > len(ARTICLES) and result.articles == len(ARTICLES)
    assert (result.captures_new, result.store.articles_new, result.store.versions_new) == (0, 0, 0)
    assert result.store.unchanged == len(ARTICLES)
    assert _dump(database_url) == before


def _requisite_rows(database_url: str) -> list[tuple[str, int, int, str]]:
    sessions = open_database(database_url, create=False)
    C, R = models.Capture, models.CaptureRequisite
    with sessions() as session:
        rows = session.execute(
            select(C.warc_file, C.warc_offset, R.position, R.url)
            .join(R, R.capture_id == C.id)
            .order_by(C.id, R.position)
        )
        return [tuple(row) for row in rows]


def test_a_second_run_reads_no_page_again_for_the_requisites_it_stored(
    sample_crawl: CrawlRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requisites are stored once a capture (store() keeps the rows it has): a page whose capture has
    them is not parsed again for them, and one whose rows are missing is read and filled alike.
    The crawl ran at level none: the level is set, as the user sets it, to read them at all."""
    import archive.requisites
    from archive.crawl import project_settings
    from archive.reextract import ReextractSettings

    layout = ReextractSettings.from_settings(project_settings({"NEWSARCHIVE_REQUISITES": "layout"}))

    database_url = f"sqlite:///{tmp_path / 'again.db'}"
    reextract(
        [sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0, settings=layout
    )
    first = _requisite_rows(database_url)
    assert len({(name, offset) for name, offset, _, _ in first}) > 3, first  # pages that name requisites
    # One capture without its rows, as a capture stored before the table existed.
    lost_file, lost_offset = first[0][:2]
    sessions = open_database(database_url, create=False)
    with sessions.begin() as session:
        C, R = models.Capture, models.CaptureRequisite
        capture_id = session.scalar(select(C.id).where(C.warc_file == lost_file, C.warc_offset == lost_offset))
        session.execute(R.__table__.delete().where(R.capture_id == capture_id))  # type: ignore[attr-defined]
    read_for_requisites: list[str] = []
    named_requisites = archive.requisites.named_requisites

    def counted(response: Any, *args: Any, **kwargs: Any) -> Any:
        read_for_requisites.append(response.url)
        return named_requisites(response, *args, **kwargs)

    monkeypatch.setattr(archive.requisites, "named_requisites", counted)
    result = reextract(
        [sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0, settings=layout
    )
    assert result.articles == len(ARTICLES) and result.store.versions_new == 0
    assert _requisite_rows(database_url) == first
    assert read_for_requisites == [_url_at(database_url, lost_file, lost_offset)]


def _url_at(database_url: str, warc_file: str, warc_offset: int) -> str:
    sessions = open_database(database_url, create=False)
    C = models.Capture
    with sessions() as session:
        url = session.scalar(select(C.url).where(C.warc_file == warc_file, C.warc_offset == warc_offset))
    assert url is not None
    return url


def test_reextract_over_the_crawls_own_database_adds_nothing(sample_crawl: CrawlRun, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(sample_crawl.database_url.removeprefix("sqlite:///"), copy)
    before = _dump(f"sqlite:///{copy}")
    done = newsarchive(
        "reextract", "--warc-dir", str(sample_crawl.warc_dir), "--db", f"sqlite:///{copy}", "--workers", "1"
    )
    assert done.returncode == 0, done.stderr
    assert _summary(done.stdout)["captures new"].startswith("0 of ")
    assert _dump(f"sqlite:///{copy}") == before


def test_changed_extraction_adds_a_version_and_dry_run_predicts_it(
    sample_crawl: CrawlRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'changed.db'}"
    # An older extractor, honestly simulated: the same function, but its output carried a footer
    # the current one no longer keeps, and it said so in its version.
    old_version = "0.0.1-test"

    def older_extract(body: bytes, url: str, headers: Any = None, hints: Any = None, on_tree: Any = None) -> Any:
        result = extract(body, url, headers, hints, on_tree)
        if isinstance(result, Article):
            return dataclasses.replace(result, text=result.text + "\nShare this story", extractor_version=old_version)
        return result

    monkeypatch.setattr(extraction_core, "extract", older_extract)
    first = reextract([sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0)
    assert first.store.versions_new == len(ARTICLES)
    monkeypatch.undo()

    # a dry run says what would change and writes nothing
    before = _dump(database_url)
    dry = reextract(
        [sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0, dry_run=True
    )
    assert _dump(database_url) == before
    assert dry.store.versions_new == len(ARTICLES) and dry.store.articles_new == 0 and dry.captures_new == 0
    assert len(dry.changes) == len(ARTICLES)
    for change in dry.changes:
        assert change.summary.startswith("v1 -> v2: text +0/-1 paragraphs"), change
        assert f"extractor {old_version} -> {EXTRACTOR_VERSION}" in change.summary

    real = reextract([sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0)
    assert dataclasses.astuple(real.store) == dataclasses.astuple(dry.store)
    assert real.captures_new == dry.captures_new == 0
    crawled, now = _export(sample_crawl.database_url), _export(database_url)
    for url, row in now.items():
        assert row["version"] == 2
        assert (row["extractor"], row["extractor_version"]) == (EXTRACTOR_NAME, EXTRACTOR_VERSION)
        assert row["text"] == crawled[url]["text"]
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        old = session.scalars(select(models.ArticleVersion).where(models.ArticleVersion.number == 1)).all()
        assert len(old) == len(ARTICLES) and all(v.extractor_version == old_version for v in old)
    again = reextract([sample_crawl.warc_dir], database_url=database_url, warc_dir=sample_crawl.warc_dir, workers=0)
    assert again.store.versions_new == 0


def test_dry_run_into_missing_database_creates_nothing(sample_crawl: CrawlRun, tmp_path: Path) -> None:
    target = tmp_path / "never.db"
    dry = reextract(
        [sample_crawl.warc_dir],
        database_url=f"sqlite:///{target}",
        warc_dir=sample_crawl.warc_dir,
        workers=0,
        dry_run=True,
    )
    assert not target.exists()
    assert dry.store.articles_new == len(ARTICLES) and dry.captures_new == dry.read.responses
    assert all(c.summary.startswith("new article: ") for c in dry.changes)
    real = reextract(
        [sample_crawl.warc_dir], database_url=f"sqlite:///{target}", warc_dir=sample_crawl.warc_dir, workers=0
    )
    assert dataclasses.astuple(real.store) == dataclasses.astuple(dry.store)
    assert real.captures_new == dry.captures_new


def test_filters_select_records(sample_crawl: CrawlRun, sample_site: SampleSite, tmp_path: Path) -> None:
    def run(selection: Selection) -> Any:
        return reextract(
            [sample_crawl.warc_dir], database_url=f"sqlite:///{tmp_path / 'f.db'}", warc_dir=sample_crawl.warc_dir,
            selection=selection, workers=0, dry_run=True,
        )  # fmt: skip

    everything = run(Selection())
    only_news = run(Selection(url_glob=f"{sample_site.url}/news/*"))
    assert only_news.store.articles_new == len(ARTICLES)
    assert only_news.read.responses == len(ARTICLES) < everything.read.responses
    assert only_news.read.filtered == everything.read.responses - len(ARTICLES)
    assert run(Selection(site="other-site.example")).read.responses == 0
    assert run(Selection(site="127.0.0.1")).read.responses == everything.read.responses
    future = run(Selection(since=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)))
    assert future.read.responses == 0 and future.read.filtered == everything.read.responses


def test_reader_agrees_with_warcio_on_offsets(sample_crawl: CrawlRun) -> None:
    for path in sample_crawl.warc_dir.iterdir():
        mine = [
            (r.capture.warc_offset, r.capture.warc_length, r.capture.record_type, r.capture.url)
            for r in WarcReader([path], warc_dir=sample_crawl.warc_dir)
        ]
        assert mine == _warcio_responses(path)


# -- foreign WARCs -----------------------------------------------------------------------------
def test_warcio_warc_1_0_uncompressed_with_revisits(sample_site: SampleSite, tmp_path: Path) -> None:
    """Heritrix- and Browsertrix-style revisits, chunked + gzip bodies stored raw, WARC/1.0, no gzip."""
    brotli = pytest.importorskip("brotli", reason="brotli (Scrapy's optional decoder) is not installed")
    a, b, c = ARTICLES[0], ARTICLES[1], ARTICLES[2]
    url_a, url_b, url_c = (f"{sample_site.url}{x.path}" for x in (a, b, c))
    status, headers_a, gz_a = _fetch(url_a, {"Accept-Encoding": "gzip"})
    assert status == 200 and dict(headers_a).get("Content-Encoding") == "gzip"
    headers_a = [(k, v) for k, v in headers_a if k.lower() != "content-length"] + [("Transfer-Encoding", "chunked")]
    _, headers_b, body_b = _fetch(url_b)
    _, headers_c, body_c = _fetch(url_c)
    brotli_c = [(k, v) for k, v in headers_c if k.lower() != "content-length"] + [("Content-Encoding", "br")]

    first, second = tmp_path / "first.warc", tmp_path / "second.warc"
    with first.open("wb") as out:
        writer = WARCWriter(out, gzip=False, warc_version="WARC/1.0")
        original_a = _response(writer, url_a, headers_a, _chunked(gz_a), "2024-05-01T10:00:00Z")
        original_b = _response(writer, url_b, headers_b, body_b, "2024-05-01T10:00:01Z")
        _revisit(writer, url_a, original_a, "2024-05-02T10:00:00Z", refers_to_id=True)
        _revisit(writer, url_b, original_b, "2024-05-02T10:00:01Z", refers_to_id=False)
        _revisit(writer, url_b, original_b, "2024-05-03T10:00:00Z", refers_to_id=False, status="304 Not Modified")
    with second.open("wb") as out:
        writer = WARCWriter(out, gzip=False, warc_version="WARC/1.0")
        original_c = writer.create_warc_record(
            url_c, "response", payload=io.BytesIO(brotli.compress(body_c)),
            http_headers=StatusAndHeaders("200 OK", brotli_c, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-04-30T09:00:00Z"},
        )  # fmt: skip
        writer.write_record(original_c)
    with first.open("ab") as out:  # a revisit whose original is in a file read after this one
        _revisit(WARCWriter(out, gzip=False, warc_version="WARC/1.0"), url_c, original_c, "2024-05-04T10:00:00Z",
                 refers_to_id=True)  # fmt: skip

    records = list(WarcReader([first, second]))
    by_type = [(r.capture.record_type, r.capture.url, r.capture.status) for r in records]
    assert by_type.count(("revisit", url_b, 200)) == 1 and ("revisit", url_b, 304) in by_type
    assert len(records) == 7
    page_a = gzip.decompress(gz_a)
    for record in records:
        if record.capture.url == url_a:
            assert record.payload == page_a and "Transfer-Encoding" not in record.headers
        elif record.capture.url == url_c:
            assert record.payload == body_c
        elif record.capture.status == 200:
            assert record.payload == body_b
    assert [(r.capture.warc_offset, r.capture.warc_length, r.capture.record_type, r.capture.url)
            for r in records if r.path == second] == _warcio_responses(second)  # fmt: skip

    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    inside = warc_dir / "second.warc"
    shutil.move(second, inside)
    database_url = f"sqlite:///{tmp_path / 'foreign.db'}"
    result = reextract([first, inside], database_url=database_url, warc_dir=warc_dir, workers=0)
    assert result.skipped == 0 and result.read.revisits == 4
    assert result.store.articles_new == 3 and result.store.versions_new == 3
    exported = _export(database_url)
    for article in (a, b, c):
        row = exported[canonicalize(f"{sample_site.url}{article.path}")]
        assert row["title"] == article.title
        for paragraph in article.paragraphs:
            assert paragraph in row["text"]
        page = {a.path: gzip.decompress(gz_a), b.path: body_b, c.path: body_c}[article.path]
        assert row["text"] == extract(page, f"{sample_site.url}{article.path}", {"Content-Type": "text/html"}).text
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        captures = session.scalars(select(models.Capture)).all()
        names = {c.warc_file for c in captures}
        # outside the WARC directory: absolute; inside: relative, as the crawl stores names
        assert names == {str(first.resolve()), "second.warc"}
        revisits = [c for c in captures if c.record_type == "revisit"]
        assert len(revisits) == 4
        for capture in revisits:
            with Path(capture.warc_file).open("rb") as stream:
                stream.seek(capture.warc_offset)
                assert next(iter(ArchiveIterator(stream))).rec_type == "revisit"
    assert reextract([first, inside], database_url=database_url, warc_dir=warc_dir, workers=0).store.versions_new == 0


def _wget(site: SampleSite, directory: Path, name: str, *extra: str) -> Path:
    subprocess.run(
        ["wget", "-q", "--recursive", "--level=1", "--delete-after", "--no-directories", f"--warc-file={name}",
         *extra, f"{site.url}/news-feed/"],
        cwd=directory, check=False, timeout=120,
    )  # fmt: skip
    path = directory / f"{name}.warc.gz"
    assert path.is_file()
    return path


def test_wget_warcs_and_revisits_resolved_through_the_database(sample_site: SampleSite, tmp_path: Path) -> None:
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed (apt-get install wget)")
    first = _wget(sample_site, tmp_path, "first", "--warc-cdx")
    second = _wget(sample_site, tmp_path, "second", f"--warc-dedup={tmp_path / 'first.cdx'}")
    # what wget fetched, as warcio reads it: the articles linked from the first listing page
    by_url = {canonicalize(f"{sample_site.url}{a.path}"): a for a in ARTICLES}
    fetched = {canonicalize(url) for _, _, kind, url in _warcio_responses(first) if kind == "response"}
    linked = [by_url[url] for url in sorted(fetched & by_url.keys())]
    assert len(linked) >= 5

    database_url = f"sqlite:///{tmp_path / 'wget.db'}"
    done = newsarchive("reextract", str(first), "--db", database_url, "--warc-dir", str(tmp_path / "warc"))
    assert done.returncode == 0, done.stderr
    exported = _export(database_url)
    # (tag pages with one or two teasers also pass as articles: the extractor's call, not ours)
    assert {canonicalize(f"{sample_site.url}{a.path}") for a in linked} <= exported.keys()
    for article in linked:
        row = exported[canonicalize(f"{sample_site.url}{article.path}")]
        assert row["title"] == article.title and row["authors"] == list(article.authors)
        assert row["warc_file"] == str(first.resolve())

    # The second WARC holds revisits only; their originals are found through the captures table.
    done = newsarchive("reextract", str(second), "--db", database_url, "--warc-dir", str(tmp_path / "warc"))
    assert done.returncode == 0, done.stderr
    summary = _summary(done.stdout)
    assert summary["response records"].endswith("revisits)") and summary["versions new"] == "0"
    assert summary["articles"] == str(len(exported))

    # Alone, into an empty database, the HTML revisits cannot be followed: skipped, counted, exit 1.
    lonely = newsarchive("reextract", str(second), "--db", f"sqlite:///{tmp_path / 'lonely.db'}", "--workers", "0")
    assert lonely.returncode == 1
    html_revisits = sum(
        1 for line in lonely.stderr.splitlines() if "revisit whose original record was not found" in line
    )
    assert html_revisits >= len(linked)
    assert _summary(lonely.stdout)["skipped (bad input)"] == str(html_revisits)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_is_skipped_counted_and_the_run_goes_on(sample_crawl: CrawlRun, tmp_path: Path) -> None:
    source = next(sample_crawl.warc_dir.iterdir())
    data = source.read_bytes()
    responses = [r for r in WarcReader([source]) if r.capture.url.rstrip("/").rsplit("/", 2)[-2] == "news"]
    assert len(responses) == len(ARTICLES)
    victim_cut, victim_flip = responses[-1].capture, responses[3].capture

    bad = tmp_path / "bad"
    bad.mkdir()
    # 1. the file ends inside a gzip member
    (bad / "truncated.warc.gz").write_bytes(data[: victim_cut.warc_offset + victim_cut.warc_length // 2])
    # 2. flipped bytes inside a gzip member: its CRC (or the inflater) fails, the next member is read
    flipped = bytearray(data)
    middle = victim_flip.warc_offset + victim_flip.warc_length // 2
    flipped[middle : middle + 4] = bytes(x ^ 0xFF for x in flipped[middle : middle + 4])
    (bad / "flipped.warc.gz").write_bytes(bytes(flipped))
    # 3. an uncompressed record whose payload was altered: its digests no longer match
    plain = io.BytesIO()
    writer = WARCWriter(plain, gzip=False, warc_version="WARC/1.1")
    page = b"<html><head><title>Altered</title></head><body><p>" + b"original words " * 40 + b"</p></body></html>"
    _response(writer, "http://altered.example/news/a/", [("Content-Type", "text/html")], page, "2024-01-01T00:00:00Z")
    (bad / "altered.warc").write_bytes(plain.getvalue().replace(b"original words", b"0riginal words", 1))
    # 4. not a WARC at all
    (bad / "notes.warc.gz").write_bytes(gzip.compress(b"just some notes, not a WARC\n"))

    database_url = f"sqlite:///{tmp_path / 'bad.db'}"
    done = newsarchive("reextract", str(bad), "--db", database_url, "--warc-dir", str(bad), "--workers", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert _summary(done.stdout)["skipped (bad input)"] == "4"
    assert "4 record(s) skipped" in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "skipped " in line and " at offset " in line]
    assert len(warnings) == 4
    assert any(f"truncated.warc.gz at offset {victim_cut.warc_offset}" in w for w in warnings)
    assert any(f"flipped.warc.gz at offset {victim_flip.warc_offset}" in w for w in warnings)
    assert any("altered.warc at offset 0: wrong WARC-Block-Digest" in w for w in warnings)
    assert any("notes.warc.gz at offset 0" in w for w in warnings)
    # every intact article record still made it: all of flipped.warc.gz but one, truncated.warc.gz but its last
    exported = _export(database_url)
    assert len(exported) == len(ARTICLES)
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        offsets = {(c.warc_file, c.warc_offset) for c in session.scalars(select(models.Capture))}
    assert ("flipped.warc.gz", victim_flip.warc_offset) not in offsets
    assert ("truncated.warc.gz", victim_flip.warc_offset) in offsets
    assert ("truncated.warc.gz", victim_cut.warc_offset) not in offsets


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    missing = newsarchive("reextract", str(tmp_path / "nope.warc.gz"), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == f"newsarchive: error: no such WARC file: {tmp_path / 'nope.warc.gz'}"
    )
    empty = newsarchive("reextract", "--warc-dir", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert empty.returncode == 2 and empty.stderr.startswith("newsarchive: error: no WARC files under")
    helped = newsarchive("reextract", "--help")
    assert helped.returncode == 0 and "example" in helped.stdout and "--dry-run" in helped.stdout


# -- codings and digests -------------------------------------------------------------------------
def test_codings_and_digest_forms() -> None:
    brotli = pytest.importorskip("brotli", reason="brotli (Scrapy's optional decoder) is not installed")
    body = b"<p>" + b"x" * 5000 + b"</p>"
    assert dechunk(_chunked(body, 777)) == body
    with pytest.raises(ValueError):
        dechunk(body)
    from archive.warc.httpblock import HttpBlock, decode_payload

    deflated = zlib.compress(body)
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = raw_deflate.compress(body) + raw_deflate.flush()
    for coding, encoded in (("gzip", gzip.compress(body)), ("deflate", deflated), ("deflate", raw),
                            ("br", brotli.compress(body))):  # fmt: skip
        headers = [("Content-Type", "text/html"), ("Content-Encoding", coding), ("Transfer-Encoding", "chunked")]
        payload = decode_payload(HttpBlock(200, headers, _chunked(encoded)), limit=len(body))
        assert payload.body == body and payload.headers == [("Content-Type", "text/html")] and payload.error is None
        too_big = decode_payload(HttpBlock(200, headers, _chunked(encoded)), limit=len(body) - 1)
        assert too_big.error is not None and "DOWNLOAD_MAXSIZE" in too_big.error
    broken = decode_payload(HttpBlock(200, [("Content-Encoding", "gzip")], b"\x00\x01 not gzip"), limit=0)
    assert broken.error is not None and broken.error.startswith("cannot undo Content-Encoding gzip")
    assert broken.body == b"\x00\x01 not gzip" and broken.headers == [("Content-Encoding", "gzip")]
    import base64
    import hashlib

    digest = hashlib.sha1(body).digest()
    assert digest_matches("sha1:" + base64.b32encode(digest).decode(), body)
    assert digest_matches("sha1:" + digest.hex(), body)
    assert digest_matches("sha1:" + base64.b64encode(digest).decode(), body)
    assert digest_matches("sha1:" + base64.b32encode(digest).decode(), body + b"!") is False
    assert digest_matches("whirlpool9:ABC", body) is None


def test_a_later_404_marks_the_article_removed_and_dry_run_says_so(sample_site: SampleSite, tmp_path: Path) -> None:
    article = ARTICLES[4]
    url = canonicalize(f"{sample_site.url}{article.path}")
    _, headers, body = _fetch(url)
    path = tmp_path / "gone.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        _response(writer, url, headers, body, "2024-05-01T10:00:00Z")
        gone = writer.create_warc_record(
            url, "response", payload=io.BytesIO(b"gone"), warc_headers_dict={"WARC-Date": "2024-06-01T10:00:00Z"},
            http_headers=StatusAndHeaders("404 Not Found", [("Content-Type", "text/plain")], protocol="HTTP/1.1"),
        )  # fmt: skip
        writer.write_record(gone)
    database_url = f"sqlite:///{tmp_path / 'gone.db'}"
    dry = reextract([path], database_url=database_url, workers=0, dry_run=True)
    real = reextract([path], database_url=database_url, workers=0)
    assert real.store.removed == dry.store.removed == 1
    assert dataclasses.astuple(real.store) == dataclasses.astuple(dry.store)
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        stored = session.scalars(select(models.Article)).one()
        assert stored.url == url and stored.removed_at is not None
    assert reextract([path], database_url=database_url, workers=0, dry_run=True).store.removed == 0
