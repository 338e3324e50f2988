"""The WARC files `wacz` and `show --raw` take from the database: a name is followed only into the
WARC directory (whoever can write to a shared database must not make them package or print any file
the user can read), and a file py-wacz cannot read costs that file, not the package."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.cli import ROOT, newsarchive
from tests.support.crawls import CrawlRun
from tests.support.warc_files import gzipped, response_record

SECRET = "TOP-SECRET first line of a file outside the archive\n"


def _rename_a_version_s_warc(crawl: CrawlRun, rename: Callable[[str], str]) -> int:
    """Rename the WARC file of one article version's capture in the database, as another writer to
    a shared database could; that article's id."""
    with closing(sqlite3.connect(crawl.database_url.removeprefix("sqlite:///"))) as database, database:
        article_id, capture_id, name = database.execute(
            "SELECT v.article_id, c.id, c.warc_file FROM article_versions v JOIN captures c ON c.id = v.capture_id"
            " ORDER BY v.id LIMIT 1"
        ).fetchone()
        database.execute("UPDATE captures SET warc_file = ? WHERE id = ?", (rename(name), capture_id))
    return int(article_id)


def _names(tmp_path: Path) -> list[str]:
    # sample_crawl_copy's WARC directory is tmp_path/sample-crawl/warc
    return ["../../secret.txt", str(tmp_path / "secret.txt"), "sub/../../../secret.txt"]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["dot-dot", "absolute", "dot-dot-after-a-folder"])
def test_wacz_and_show_raw_refuse_a_name_outside_the_warc_directory(
    sample_crawl_copy: CrawlRun, tmp_path: Path, which: int
) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    name = _names(tmp_path)[which]
    article_id = _rename_a_version_s_warc(sample_crawl_copy, lambda _: name)
    common = ["--db", sample_crawl_copy.database_url, "--warc-dir", str(sample_crawl_copy.warc_dir)]
    package = tmp_path / "out.wacz"

    done = newsarchive("wacz", "-o", str(package), *common)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith("newsarchive: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "outside the WARC directory" in done.stderr
    assert "TOP-SECRET" not in done.stdout + done.stderr
    assert not package.exists()

    raw = newsarchive("show", str(article_id), "--raw", *common)
    assert raw.returncode == 2, raw.stderr[-2000:]
    assert raw.stderr.startswith("newsarchive: error: ") and "outside the WARC directory" in raw.stderr
    assert "TOP-SECRET" not in raw.stdout + raw.stderr


def test_show_raw_still_reads_a_name_inside_the_warc_directory(sample_crawl_copy: CrawlRun) -> None:
    common = ["--db", sample_crawl_copy.database_url, "--warc-dir", str(sample_crawl_copy.warc_dir)]
    article_id = _rename_a_version_s_warc(sample_crawl_copy, lambda name: f"./sub/../{name}")
    # bytes as stored (a gzip body stays gzip): not text
    raw = subprocess.run(
        [sys.executable, "-m", "archive.cli", "show", str(article_id), "--raw", *common], cwd=ROOT, capture_output=True
    )
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.startswith(b"HTTP/1.1 200")


def test_wacz_leaves_out_a_warc_file_py_wacz_cannot_read(sample_crawl_copy: CrawlRun, tmp_path: Path) -> None:
    # WARC-Date with an offset: our reader takes it, warcio's date parser (py-wacz's) raises on it.
    foreign = sample_crawl_copy.warc_dir / "foreign.warc.gz"
    record = response_record("http://news.example/news/offset-date/", date="2024-05-01T10:00:00+01:00")
    foreign.write_bytes(gzipped(record))
    common = ["--db", sample_crawl_copy.database_url, "--warc-dir", str(sample_crawl_copy.warc_dir)]
    assert newsarchive("reextract", str(foreign), "--workers", "0", *common).returncode == 0
    package = tmp_path / "out.wacz"

    done = newsarchive("wacz", "-o", str(package), *common)

    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr
    assert "newsarchive: warning: foreign.warc.gz left out of the package (TypeError" in done.stderr
    with zipfile.ZipFile(package) as wacz:
        packaged = {Path(name).name for name in wacz.namelist() if name.startswith("archive/")}
    assert packaged == {p.name for p in sample_crawl_copy.warc_dir.glob("*.warc.gz")} - {foreign.name}
