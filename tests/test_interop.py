"""Interoperability: the archive of a real crawl, read by the Webrecorder tools archivists use.

CDXJ index (cdxj-indexer, incremental, the crawl-close hook), WACZ package (`wacz validate`), and
replay in pywb: a real `wayback` server over the crawl's WARC directory and our CDXJ index.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archive.sample_site import SampleSite, load_articles
from archive.warc.index import default_index_path
from crawler import settings as project_settings
from crawler.extensions_index import IndexOnClose
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun
from tests.support.pywb import http_get, wayback_server
from tests.support.warc_files import gzip_member, gzipped, response_record, warc_record

ARTICLES = load_articles()


def _article_urls(site: SampleSite) -> set[str]:
    return {f"{site.url}{article.path}" for article in ARTICLES}


def _cdxj(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        key, timestamp, fields = line.split(" ", 2)
        entries.append((key, timestamp, json.loads(fields)))
    return entries


def _assert_sorted(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


# -- CDXJ index ------------------------------------------------------------------------------------


def test_crawl_close_hook_indexes_every_article_after_the_warc_is_closed(
    sample_crawl: CrawlRun, sample_site: SampleSite
) -> None:
    # The hook ran after WarcArchiveMiddleware closed the file: had it run before, the only WARC
    # would still have been .open and the index would be missing or empty.
    index = default_index_path(sample_crawl.warc_dir)
    assert index.is_file(), sample_crawl.log[-2000:]
    entries = _cdxj(index)
    warcs = sorted(p.name for p in sample_crawl.warc_dir.iterdir())
    assert {fields["filename"] for _, _, fields in entries} == set(warcs)
    responses = {fields["url"] for _, _, fields in entries if fields.get("status") == "200"}
    assert _article_urls(sample_site) <= responses
    _assert_sorted(index)


def test_index_command_lists_every_article_and_is_incremental(
    sample_crawl: CrawlRun, sample_site: SampleSite, tmp_path: Path
) -> None:
    warc_dir = tmp_path / "warc"
    shutil.copytree(sample_crawl.warc_dir, warc_dir)
    index = tmp_path / "out" / "index.cdxj"
    done = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert done.returncode == 0, done.stderr
    assert "1 WARC file(s) indexed" in done.stderr
    first = _cdxj(index)
    by_url = {fields["url"]: fields for _, _, fields in first}
    for url in _article_urls(sample_site):
        fields = by_url[url]
        assert fields["status"] == "200" and fields["mime"] == "text/html"
        assert int(fields["offset"]) >= 0 and int(fields["length"]) > 0
    assert first == _cdxj(default_index_path(sample_crawl.warc_dir))  # the hook wrote the same index
    _assert_sorted(index)

    by_env = newsarchive("index", "--warc-dir", str(warc_dir), env={"NEWSARCHIVE_INDEX_FILE": str(tmp_path / "e.cdxj")})
    assert by_env.returncode == 0 and _cdxj(tmp_path / "e.cdxj") == first

    again = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert again.returncode == 0 and "0 WARC file(s) indexed" in again.stderr, again.stderr
    assert _cdxj(index) == first

    # A new WARC file (here: a copy under a new name, so its lines interleave with the old ones)
    # is indexed alone and merged in sorted; old lines are kept as they were.
    original = next(warc_dir.iterdir())
    (warc_dir / "later").mkdir()
    shutil.copy(original, warc_dir / "later" / "zz-newer.warc.gz")
    (warc_dir / "later" / "ignored.warc.gz.open").write_bytes(b"half-written")
    grown = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert grown.returncode == 0 and "1 WARC file(s) indexed" in grown.stderr, grown.stderr
    entries = _cdxj(index)
    assert len(entries) == 2 * len(first)
    assert [e for e in entries if e[2]["filename"] == original.name] == first
    assert {e[2]["filename"] for e in entries} == {original.name, "later/zz-newer.warc.gz"}
    _assert_sorted(index)

    rebuilt = tmp_path / "rebuilt.cdxj"
    full = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(rebuilt), "--rebuild")
    assert full.returncode == 0, full.stderr
    assert rebuilt.read_bytes() == index.read_bytes()


def test_index_update_with_many_new_files_equals_a_rebuild(tmp_path: Path) -> None:
    """Incremental runs, one new WARC file at a time (names that sort before, between and after the
    old ones; URLs that interleave, repeat and are prefixes of one another), give the index a
    rebuild gives, byte for byte."""
    warc_dir, index = tmp_path / "warc", tmp_path / "warc.cdxj"
    warc_dir.mkdir()
    urls = [f"https://example.com/news/{n}{suffix}" for n in range(12) for suffix in ("", "/", "/a", "?p=1")]
    for step, name in enumerate(["m.warc.gz", "a.warc.gz", "z.warc.gz", "k.warc.gz", "sub/b.warc.gz"]):
        path = warc_dir / name
        path.parent.mkdir(exist_ok=True)
        chosen = urls[step::3] + urls[:2]  # every file repeats the first two URLs
        path.write_bytes(b"".join(gzip_member(response_record(url)) for url in chosen))
        done = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
        assert done.returncode == 0 and "1 WARC file(s) indexed" in done.stderr, done.stderr
    rebuilt = tmp_path / "rebuilt.cdxj"
    assert newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(rebuilt), "--rebuild").returncode == 0
    assert index.read_bytes() == rebuilt.read_bytes()
    _assert_sorted(index)
    assert len(index.read_bytes().splitlines()) == len(set(index.read_bytes().splitlines()))


def test_index_command_errors_are_one_line(tmp_path: Path) -> None:
    missing = newsarchive("index", "--warc-dir", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("newsarchive: error: no WARC directory") and "Traceback" not in missing.stderr
    (tmp_path / "warc").mkdir()
    # A record header promising more bytes than follow (a file cut short).
    (tmp_path / "warc" / "broken.warc.gz").write_bytes(
        gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\nshort")
    )
    broken = newsarchive("index", "--warc-dir", str(tmp_path / "warc"))
    # left out with a warning, the rest indexed (tests/reliability/test_index_skips_non_warc_files.py)
    assert broken.returncode == 1
    assert "newsarchive: warning: broken.warc.gz skipped" in broken.stderr and "Traceback" not in broken.stderr
    assert default_index_path(tmp_path / "warc").read_text() == ""


def test_close_hook_is_off_when_the_setting_says_so(tmp_path: Path) -> None:
    warcs = str(tmp_path / "warc")
    with pytest.raises(NotConfigured):
        IndexOnClose.from_crawler(
            get_crawler(settings_dict={"NEWSARCHIVE_INDEX_ON_CLOSE": False, "NEWSARCHIVE_WARC_DIR": warcs})
        )
    # The project's defaults, as a crawl has them (get_crawler alone has Scrapy's only).
    defaults = {k: v for k, v in vars(project_settings).items() if k.startswith("NEWSARCHIVE_")}
    hook = IndexOnClose.from_crawler(get_crawler(settings_dict={**defaults, "NEWSARCHIVE_WARC_DIR": warcs}))
    assert hook.index == tmp_path / "warc.cdxj"


# -- WACZ --------------------------------------------------------------------------------------------


def test_wacz_package_validates_and_lists_the_articles(
    sample_crawl: CrawlRun, sample_site: SampleSite, tmp_path: Path
) -> None:
    package = tmp_path / "site.wacz"
    common = ["--db", sample_crawl.database_url, "--warc-dir", str(sample_crawl.warc_dir)]
    done = newsarchive("wacz", "--site", "127.0.0.1", "--since", "2000-01-01", "-o", str(package), *common)
    assert done.returncode == 0, done.stderr
    assert f"{len(ARTICLES)} page(s)" in done.stderr
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(package)], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0 and "Validation succeeded" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        assert {f"archive/{p.name}" for p in sample_crawl.warc_dir.iterdir()} <= names
        assert {"indexes/index.cdx.gz", "indexes/index.idx", "datapackage.json"} <= names
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        index_text = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode()
    assert pages[0]["format"] == "json-pages-1.0"
    titles = {page["url"]: page["title"] for page in pages[1:]}
    assert titles == {f"{sample_site.url}{a.path}": a.title for a in ARTICLES}
    assert all(page["ts"].endswith("Z") for page in pages[1:])
    for url in titles:
        assert f'"url": "{url}"' in index_text


def test_wacz_refuses_an_empty_selection_in_one_line(sample_crawl: CrawlRun, tmp_path: Path) -> None:
    common = [
        "--db",
        sample_crawl.database_url,
        "--warc-dir",
        str(sample_crawl.warc_dir),
        "-o",
        str(tmp_path / "x.wacz"),
    ]
    for selection in (["--site", "elsewhere.example"], ["--since", "2999-01-01"]):
        done = newsarchive("wacz", *selection, *common)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("newsarchive: error: no captures match") and "Traceback" not in done.stderr
    assert not (tmp_path / "x.wacz").exists()
    wrong = newsarchive("wacz", "--db", sample_crawl.database_url, "-o", str(tmp_path / "x.zip"))
    assert wrong.returncode == 2 and "must end in .wacz" in wrong.stderr


# -- replay in pywb ----------------------------------------------------------------------------------


def test_pywb_replays_every_archived_article(wayback: str, sample_site: SampleSite) -> None:
    for article in ARTICLES:
        url = f"{sample_site.url}{article.path}"
        # id_: the archived payload as served, not rewritten; pywb picks the capture nearest 2023.
        status, body, headers = http_get(f"{wayback}/news/2023id_/{url}")
        assert status == 200, (url, status, body[:500])
        assert "Memento-Datetime" in headers and headers["X-Archive-Orig-Server"] == "SampleSite/1.0"
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        page = body.decode("utf-8")
        assert article.paragraphs[0] in page, url
        assert article.title in page
    # The rewritten page a person sees in the browser (inside pywb's frame: mp_) holds the text too,
    # with its links pointing back into the archive.
    status, body, _ = http_get(f"{wayback}/news/2023mp_/{sample_site.url}{ARTICLES[0].path}")
    assert status == 200
    assert f'href="{wayback}/news/2023mp_/{sample_site.url}/"' in body.decode("utf-8")
    assert ARTICLES[0].paragraphs[0] in body.decode("utf-8")


def test_pywb_cdx_api_lists_every_archived_article(
    wayback: str, sample_crawl: CrawlRun, sample_site: SampleSite
) -> None:
    query = urllib.parse.urlencode({"url": f"{sample_site.url}/", "matchType": "prefix", "output": "json"})
    status, body, _ = http_get(f"{wayback}/news/cdx?{query}")
    assert status == 200, body[:500]
    rows = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    listed = {row["url"] for row in rows if row.get("status") == "200"}
    assert _article_urls(sample_site) <= listed
    # pywb lists exactly what our index holds: nothing lost or added on the way.
    indexed = {f["url"] for _, _, f in _cdxj(default_index_path(sample_crawl.warc_dir)) if f.get("status") == "200"}
    assert listed == indexed
    missing = http_get(f"{wayback}/news/2023id_/{sample_site.url}/never-archived/")
    assert missing[0] == 404


def test_a_later_304_is_not_indexed_and_pywb_replays_the_capture_it_confirmed(tmp_path: Path) -> None:
    """A re-check's 304 (our conditional request answered "not modified") is archived as received,
    but a replay that found it nearest in time would hand the browser a 304 in place of the page or
    its stylesheet. The index leaves it out; pywb serves the earlier full capture."""
    url, alone = "https://example.com/static/site.css", "https://example.com/static/print.css"
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "runs.warc.gz").write_bytes(
        gzipped(
            response_record(url, b"h1 { color: #7a1f1f }", date="2024-05-01T10:00:00Z"),
            response_record(url, b"", date="2024-05-02T10:00:00Z", status="304 Not Modified"),
            response_record(alone, b"", date="2024-05-02T10:00:00Z", status="304 Not Modified"),
        )
    )
    index = tmp_path / "warc.cdxj"
    done = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert done.returncode == 0, done.stderr
    assert [(ts, fields["status"]) for _, ts, fields in _cdxj(index)] == [("20240501100000", "200")]
    with wayback_server(tmp_path / "pywb", {"news": (warc_dir, index)}) as base:
        status, body, _ = http_get(f"{base}/news/20240503id_/{url}")
        assert (status, body) == (200, b"h1 { color: #7a1f1f }")
        assert http_get(f"{base}/news/20240503id_/{alone}")[0] == 404  # a 304 alone: nothing to replay


def test_a_warc_file_that_gives_no_index_line_is_not_read_again_by_every_update(tmp_path: Path) -> None:
    """Finding: a file whose records are all 304s (a re-check run that found everything unchanged),
    or that holds only a warcinfo (a crawl whose every download failed), adds no line, so the
    index never named it: every incremental update read it again and rewrote the whole index."""
    url = "https://example.com/news/story/"
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "a-first.warc.gz").write_bytes(gzipped(response_record(url, date="2024-05-01T10:00:00Z")))
    (warc_dir / "b-rechecks.warc.gz").write_bytes(
        gzipped(response_record(url, b"", date="2024-05-02T10:00:00Z", status="304 Not Modified"))
    )
    info = warc_record("warcinfo", "", b"software: newsarchive\r\n", content_type="application/warc-fields")
    (warc_dir / "c-nothing-fetched.warc.gz").write_bytes(gzipped(info))
    index = tmp_path / "warc.cdxj"
    done = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert done.returncode == 0 and "3 WARC file(s) indexed, 1 record(s) added" in done.stderr, done.stderr
    written = index.stat().st_mtime_ns, index.stat().st_ino
    again = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert again.returncode == 0 and "0 WARC file(s) indexed" in again.stderr, again.stderr
    assert (index.stat().st_mtime_ns, index.stat().st_ino) == written  # not rewritten
    rebuilt = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index), "--rebuild")
    assert rebuilt.returncode == 0 and "3 WARC file(s) indexed" in rebuilt.stderr, rebuilt.stderr
    assert [(ts, fields["status"]) for _, ts, fields in _cdxj(index)] == [("20240501100000", "200")]
    after = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert "0 WARC file(s) indexed" in after.stderr, after.stderr


def test_the_index_is_the_same_once_py_wacz_is_imported(tmp_path: Path) -> None:
    """Finding: importing py-wacz (``newsarchive wacz`` does, and so may a script that packs and then
    indexes) appends "warcinfo" to cdxj-indexer's default record types, class-wide: an index written
    in that process after it gained a line per warcinfo record."""
    import wacz.main  # noqa: F401  (its import is the fault)

    from archive.warc.index import update_index

    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    info = warc_record("warcinfo", "", b"software: newsarchive\r\n", content_type="application/warc-fields")
    story = response_record("https://example.com/news/story/", date="2024-05-01T10:00:00Z")
    (warc_dir / "a.warc.gz").write_bytes(gzipped(info, story))
    index = tmp_path / "warc.cdxj"
    update_index(warc_dir, index)
    lines = _cdxj(index)
    assert [key for key, _, _ in lines] == ["com,example)/news/story"], lines  # no line for the warcinfo
