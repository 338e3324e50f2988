"""A file in the WARC directory that is no WARC (named like one) costs that file's index lines only:
`newsarchive index` and a crawl's index-on-close index every other file and name the one left out."""

from __future__ import annotations

import json
from pathlib import Path

from archive.sample_site import SampleSite
from archive.warc.index import default_index_path
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl

JUNK = {
    "notes.warc": b"my notes\n",  # cdxj-indexer raised on it: the whole index failed
    "five-words.warc": b"these are my own notes\n",  # read as an ARC header: nonsense index lines
    "half-copied.warc.gz": b"\x1f\x8b\x08\x00 cut short",
}


def _indexed_files(index: Path) -> set[str]:
    return {json.loads(line.split(" ", 2)[2])["filename"] for line in index.read_text().splitlines()}


def _real_warcs(warc_dir: Path) -> set[str]:
    return {p.name for p in warc_dir.glob("*.warc.gz")} - JUNK.keys()


def test_index_skips_and_names_a_non_warc_file(sample_crawl_copy: CrawlRun) -> None:
    warc_dir = sample_crawl_copy.warc_dir
    for name, data in JUNK.items():
        (warc_dir / name).write_bytes(data)

    for arguments in ([], ["--rebuild"]):
        done = newsarchive("index", "--warc-dir", str(warc_dir), *arguments)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 1, done.stderr
        for name in JUNK:
            assert f"newsarchive: warning: {name} skipped, not indexed (" in done.stderr
        assert _indexed_files(default_index_path(warc_dir)) == _real_warcs(warc_dir)


def test_index_on_close_indexes_the_crawl_beside_a_non_warc_file(sample_site: SampleSite, tmp_path: Path) -> None:
    (tmp_path / "warc").mkdir()
    (tmp_path / "warc" / "notes.warc").write_bytes(JUNK["notes.warc"])
    run = scrapy_crawl(tmp_path, f"{sample_site.url}/news-feed/")
    assert run.returncode == 0, run.log[-3000:]
    assert "notes.warc left out, not indexed (" in run.log
    assert "could not update the CDXJ index" not in run.log
    crawled = _real_warcs(run.warc_dir)
    assert crawled and _indexed_files(default_index_path(run.warc_dir)) == crawled
