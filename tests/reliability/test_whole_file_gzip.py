"""Finding: a WARC gzipped whole (one gzip member for the file, as ``gzip crawl.warc`` leaves it)
was refused under 32 MiB uncompressed ("several records in one gzip member") and, over 32 MiB,
read as 0 records, 0 skipped, exit 0: a silent loss of the file.

Then: read, its records' offsets are offsets in the inflated stream, which only our reader reads
back. pywb and ReplayWeb.page seek to a record's own gzip member: `index` and `wacz` left such a
file out with a warning of warcio's cut before it said what to do (`warcio recompress`), over lines
of its own; `reextract` did not say that its captures are left out of every replay."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.digests import payload_digest
from tests.support.cli import ROOT, newsarchive
from tests.support.pywb import http_get, wayback_server
from tests.support.reader import serving
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, http_response, response_record, warc_record


def _articles(prefix: str, count: int) -> list[bytes]:
    return [response_record(f"https://news.example/{prefix}-{i}/", article_html(f"{prefix} {i}")) for i in range(count)]


def _reextract(tmp_path: Path, data: bytes, *, exit_code: int = 0) -> tuple[str, dict[str, tuple[str, int]]]:
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    (warc_dir / "whole.warc.gz").write_bytes(data)
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == exit_code, done.stdout + done.stderr[-3000:]
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT c.url, c.record_type, count(v.id) FROM captures c"
            " LEFT JOIN article_versions v ON v.capture_id = c.id GROUP BY c.id"
        ).fetchall()
    return done.stdout + done.stderr, {url: (kind, versions) for url, kind, versions in rows}


def test_a_small_whole_file_gzip_is_read_and_its_revisits_resolved(tmp_path: Path) -> None:
    first = article_html("first")
    digest = payload_digest(first)
    records = [
        warc_record("warcinfo", "", b"software: gzip\r\n", content_type="application/warc-fields"),
        response_record("https://news.example/first/", first, warc_headers=(("WARC-Payload-Digest", digest),)),
        *_articles("small", 3),
        warc_record(
            "revisit", "https://news.example/first/", http_response(b""),
            content_type="application/http; msgtype=response", date="2024-05-03T10:00:00Z",
            warc_headers=(("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                          ("WARC-Payload-Digest", digest)),
        ),
    ]  # fmt: skip
    (tmp_path / "check.warc").write_bytes(b"".join(records))
    with (tmp_path / "check.warc").open("rb") as stream:
        assert len(list(ArchiveIterator(stream))) == 6  # warcio reads them uncompressed (it refuses them gzipped)
    data = gzip.compress(b"".join(records))
    output, captures = _reextract(tmp_path, data)
    assert len(captures) == 4, output  # by URL: the revisit shares its original's
    assert all(captures[f"https://news.example/small-{i}/"] == ("response", 1) for i in range(3)), output
    assert "skipped: " not in output and "several records" not in output
    # The revisit is found by its payload digest and its original is read back from the gzip stream.
    assert "revisit records: extracted 1" in output, output


def test_a_whole_file_gzip_over_32_mib_is_streamed(tmp_path: Path) -> None:
    big = warc_record(
        "response",
        "https://news.example/big.jpg",
        http_response(b"\0" * (34 * 1024 * 1024), content_type="image/jpeg"),
        content_type="application/http; msgtype=response",
    )
    data = gzip.compress(b"".join([*_articles("before", 3), big, *_articles("after", 3)]), compresslevel=1)
    output, captures = _reextract(tmp_path, data)
    assert len(captures) == 7, output
    assert all(
        captures[f"https://news.example/{p}-{i}/"] == ("response", 1) for p in ("before", "after") for i in range(3)
    )
    assert captures["https://news.example/big.jpg"] == ("response", 0)
    assert "records read: 7 (response 7)" in output


def test_a_truncated_whole_file_gzip_fails_loudly_keeping_what_came_before(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(_articles("cut", 40)))
    output, captures = _reextract(tmp_path, data[: len(data) * 2 // 3], exit_code=1)
    assert 10 < len(captures) < 40, output
    assert "skipped: corrupt or truncated gzip stream" in output or "skipped: record truncated" in output, output


def _index(warc_dir: Path, *, exit_code: int) -> tuple[list[str], list[dict[str, str]]]:
    """`newsarchive index` of *warc_dir*: its stderr lines, and the index's lines."""
    done = newsarchive("index", "--warc-dir", str(warc_dir))
    assert done.returncode == exit_code, done.stderr
    index = warc_dir.with_name(warc_dir.name + ".cdxj")
    lines = [json.loads(line.split(" ", 2)[2]) for line in index.read_text().splitlines()]
    return done.stderr.splitlines(), lines


def _assert_lines_frame_their_records(warc_dir: Path, lines: list[dict[str, str]]) -> None:
    """Every line's offset and length frame the record it names, read as pywb reads it (warcio,
    from that offset of the file as stored)."""
    for line in lines:
        with (warc_dir / line["filename"]).open("rb") as stream:
            stream.seek(int(line["offset"]))
            (record,) = ArchiveIterator(io.BytesIO(stream.read(int(line["length"]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == line["url"]


def test_index_leaves_it_out_in_one_line_naming_the_command_that_makes_it_indexable(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "whole.warc.gz").write_bytes(gzip.compress(b"".join(_articles("whole", 3))))
    (warc_dir / "members.warc.gz").write_bytes(gzipped(*_articles("members", 2)))
    said, lines = _index(warc_dir, exit_code=1)
    assert len(said) == 2, said  # the summary, and one line for the file left out
    assert said[1].startswith("newsarchive: warning: whole.warc.gz skipped, not indexed (gzipped whole"), said
    command = "warcio recompress whole.warc.gz whole-recompressed.warc.gz"
    assert f"`{command}`" in said[1], said
    assert {line["filename"] for line in lines} == {"members.warc.gz"}  # no line points into the inflated stream
    # Doing what it says makes the file one pywb can serve.
    subprocess.run([sys.executable, "-m", "warcio.cli", *command.split()[1:]], cwd=warc_dir, check=True)
    (warc_dir / "whole.warc.gz").unlink()
    said, lines = _index(warc_dir, exit_code=0)
    assert len(lines) == 5, said
    _assert_lines_frame_their_records(warc_dir, lines)
    # Given lines at the reader's offsets into the inflated stream instead, pywb serves the first
    # record (offset 0) and answers 503 for every other: why the file is left out, not indexed so.
    with wayback_server(tmp_path / "pywb", {"news": (warc_dir, warc_dir.with_name("warc.cdxj"))}) as base:
        for i in range(3):
            status, body, _ = http_get(f"{base}/news/20240501100000id_/https://news.example/whole-{i}/")
            assert status == 200 and f"whole {i}".encode() in body, (status, body[:200])


def test_reextract_and_wacz_say_replay_tools_cannot_seek_into_it(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "whole.warc.gz").write_bytes(gzip.compress(b"".join(_articles("whole", 3))))
    (warc_dir / "members.warc.gz").write_bytes(gzipped(*_articles("members", 2)))
    database = f"sqlite:///{tmp_path / 'archive.db'}"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", database, "--workers", "0")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "gzipped whole" in line]
    assert len(notes) == 1 and notes[0].startswith("newsarchive: note: whole.warc.gz is gzipped whole"), notes
    assert "`warcio recompress whole.warc.gz whole-recompressed.warc.gz`" in notes[0]
    done = newsarchive("wacz", "-o", str(tmp_path / "all.wacz"), "--db", database, "--warc-dir", str(warc_dir))
    assert done.returncode == 1, done.stderr
    said = done.stderr.splitlines()
    assert len(said) == 2, said
    assert said[1].startswith("newsarchive: warning: whole.warc.gz left out of the package (gzipped whole"), said
    assert "`warcio recompress whole.warc.gz whole-recompressed.warc.gz`" in said[1]


def test_a_name_that_misstates_the_framing_still_gets_offsets_that_frame_each_record(tmp_path: Path) -> None:
    """Same class, found right: framing is read from the bytes, never the name, by our reader and
    by warcio (pywb's): a `.warc` of gzip members and a `.warc.gz` never compressed, and a WARC
    gzipped whole under a `.warc` name, left out as above."""
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "members.warc").write_bytes(gzipped(*_articles("members", 2)))
    (warc_dir / "plain.warc.gz").write_bytes(b"".join(_articles("plain", 2)))
    (warc_dir / "whole.warc").write_bytes(gzip.compress(b"".join(_articles("whole", 2))))
    said, lines = _index(warc_dir, exit_code=1)
    assert len(said) == 2 and "whole.warc skipped, not indexed (gzipped whole" in said[1], said
    assert len(lines) == 4
    _assert_lines_frame_their_records(warc_dir, lines)


def test_show_raw_and_the_reader_read_its_records_at_their_offsets_in_the_inflated_stream(tmp_path: Path) -> None:
    """What does read it: `show --raw` prints the third record's HTTP message as stored; the reader
    serves the record itself for download (uncompressed: no gzip member of its own exists)."""
    records = _articles("read", 3)
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "whole.warc.gz").write_bytes(gzip.compress(b"".join(records)))
    database = f"sqlite:///{tmp_path / 'archive.db'}"
    common = ("--db", database, "--warc-dir", str(warc_dir))
    assert newsarchive("reextract", *common, "--workers", "0").returncode == 0
    url = "https://news.example/read-2/"
    shown = subprocess.run(  # bytes: text mode would turn the CRLFs into LFs
        [sys.executable, "-m", "archive.cli", "show", url, "--raw", *common], cwd=ROOT, capture_output=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == http_response(article_html("read 2"))
    with sqlite3.connect(tmp_path / "archive.db") as db:
        (capture,) = db.execute("SELECT id FROM captures WHERE url = ?", (url,)).fetchone()
    with serving(database, "--warc-dir", str(warc_dir)) as base:
        status, body, _ = http_get(f"{base}/capture/{capture}.warc")
    assert (status, body) == (200, records[2])
