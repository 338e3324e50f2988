"""WARC records gzipped by each deflate library (NEWSARCHIVE_WARC_GZIP_LIBRARY) are the same
archive: a crawl of the sample site with zlib, zlib-ng and ISA-L gives WARC files whose every
member gzip and warcio read, with the same records, payloads and digests."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.sample_site import SampleSite
from archive.warc.compression import GzipSettingError, gzip_codec
from tests.support.crawls import scrapy_crawl

LIBRARIES = ["zlib", "zlib-ng", "isal"]


def _records(warc_dir: Path) -> list[tuple[str, str, str | None, bytes]]:
    """(type, URI, payload digest, payload as received) of every record, in URI order; warcio checks
    every block and payload digest."""
    records = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        assert gzip.decompress(path.read_bytes()).startswith(b"WARC/1.1\r\n")  # every member, by gzip itself
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                payload = record.raw_stream.read()
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                records.append((record.rec_type, uri, digest, payload if record.rec_type == "response" else b""))
    return sorted(records, key=lambda r: (r[1], r[0]))


@pytest.fixture(scope="module")
def crawls(sample_site: SampleSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    warc_dirs = {}
    for library in LIBRARIES:
        if library != "zlib" and importlib.util.find_spec(library.replace("-", "_")) is None:
            continue
        tmp = tmp_path_factory.mktemp(library)
        level = 3 if library == "isal" else 6
        run = scrapy_crawl(
            tmp,
            f"{sample_site.url}/news-feed/",
            f"NEWSARCHIVE_WARC_GZIP_LIBRARY={library}",
            f"NEWSARCHIVE_WARC_GZIP_LEVEL={level}",
        )
        assert run.returncode == 0, run.log[-3000:]
        warc_dirs[library] = run.warc_dir
    return warc_dirs


@pytest.mark.parametrize("library", ["zlib-ng", "isal"])
def test_every_library_writes_the_same_records(crawls: dict[str, Path], library: str) -> None:
    if library not in crawls:
        pytest.skip(f"{library} is not installed")
    expected = _records(crawls["zlib"])
    assert expected and any(kind == "response" for kind, *_ in expected)
    assert _records(crawls[library]) == expected


def test_a_library_not_installed_falls_back_to_zlib(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.warc.compression as compression

    monkeypatch.setitem(compression.LIBRARIES, "zlib-ng", ("no_such_deflate_module", range(0, 10)))
    codec = gzip_codec("zlib-ng", 6)
    assert (codec.library, codec.level) == ("zlib", 6)
    assert gzip.decompress(codec.compress(b"<p>news</p>")) == b"<p>news</p>"


@pytest.mark.parametrize(("library", "level"), [("brotli", 6), ("isal", 6), ("zlib", 10)])
def test_a_library_or_level_it_cannot_use_is_refused(library: str, level: int) -> None:
    with pytest.raises(GzipSettingError):
        gzip_codec(library, level)
