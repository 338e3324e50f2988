"""Foreign WARCs: ``reextract`` over the WARC, ARC and WACZ files of other projects' test data.

usage:
  python benchmarks/foreign_warcs.py build [--out DIR] [--mirrors DIR]
  python benchmarks/foreign_warcs.py run [--out DIR] [--worst N]

``build`` rebuilds the folder from git snapshots of the projects below (fetch them first, e.g. with
the search tool's ``fetch github:webrecorder/warcio``; they land in ``/work/.mirror/OWNER+NAME/repo``):
every ``*.warc``, ``*.warc.gz``, ``*.arc``, ``*.arc.gz`` and ``*.wacz`` of the snapshot's HEAD is
read with ``git ls-tree`` / ``git show`` and written to ``DIR/OWNER+NAME/PATH`` (``/`` as ``__``).
Nothing of theirs is committed here.

``run`` reads each file twice. warcio (``ArchiveIterator``, ``arc2warc``; a WACZ's WARCs out of the
zip) counts the HTML records it reads: ``response`` and ``revisit`` records whose HTTP Content-Type
is HTML, and ``resource`` records of an HTML type, and the payload digests it finds wrong
(``check_digests``). Then ``newsarchive reextract FILE --format json`` runs into a fresh SQLite
database, and the HTML records it accounts for are counted: captures stored with an HTML type, plus
records it explicitly reported (skipped with a reason, or a requisite of a package). Reported per
file and in all:

* HTML records warcio reads vs stored-or-explicitly-reported (target >= 98 %);
* files lost whole: warcio reads HTTP records from it, reextract stores none and reports nothing
  (target 0);
* bad digests: wrong payload digests reextract flagged (records kept) and records it skipped for a
  wrong digest, beside warcio's count.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / ".foreign_warcs"
DEFAULT_MIRRORS = Path("/work/.mirror")
REPOSITORIES = (
    "webrecorder/warcio",
    "webrecorder/pywb",
    "webrecorder/py-wacz",
    "chatnoir-eu/chatnoir-resiliparse",
    "iipc/jwarc",
    "iipc/webarchive-commons",
    "internetarchive/gowarc",
    "N0taN3rd/node-warc",
    "webrecorder/warcio.js",
)
SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")
HTML_TYPES = ("text/html", "application/xhtml+xml")


# -- build -------------------------------------------------------------------------------------
def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=True).stdout


def build(out: Path, mirrors: Path) -> int:
    written = 0
    for name in REPOSITORIES:
        repo = mirrors / name.replace("/", "+") / "repo"
        if not repo.exists():
            print(f"missing snapshot of {name}: fetch github:{name} first ({repo})", file=sys.stderr)
            continue
        paths = [
            p for p in _git(repo, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines() if p.endswith(SUFFIXES)
        ]
        target = out / name.replace("/", "+")
        target.mkdir(parents=True, exist_ok=True)
        kept = 0
        for path in paths:
            data = _git(repo, "show", f"HEAD:{path}")
            if data.startswith(b"version https://git-lfs"):
                continue  # a Git LFS pointer: the file itself is not in the snapshot
            (target / path.replace("/", "__")).write_bytes(data)
            kept += 1
        written += kept
        print(f"{name}: {kept} files ({len(paths) - kept} Git LFS pointers left out)")
    print(f"{written} files in {out}")
    return 0


# -- warcio's view -----------------------------------------------------------------------------
@dataclass(slots=True)
class WarcioCount:
    records: int = 0
    http_records: int = 0
    html: int = 0
    bad_digests: int = 0
    error: str | None = None


def _is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in HTML_TYPES


def _count_stream(stream: IO[bytes], count: WarcioCount) -> None:
    from warcio.archiveiterator import ArchiveIterator

    try:
        for record in ArchiveIterator(stream, arc2warc=True, check_digests=True):
            count.records += 1
            kind = record.rec_type
            http = record.http_headers
            if kind in ("response", "revisit") and http is not None and http.get_statuscode():
                count.http_records += 1
                count.html += _is_html(http.get_header("Content-Type"))
            elif kind == "resource":
                count.html += _is_html(record.rec_headers.get_header("Content-Type"))
            record.content_stream().read()
            checker = record.digest_checker
            count.bad_digests += bool(checker is not None and checker.problems)
    except Exception as exc:  # warcio's view ends at its first error: counted up to there
        count.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:100] if str(exc).strip() else ''}"


def warcio_count(path: Path) -> WarcioCount:
    count = WarcioCount()
    if path.name.endswith(".wacz"):
        try:
            with zipfile.ZipFile(path) as package:
                for member in package.namelist():
                    if member.startswith("archive/") and member.endswith((".warc", ".warc.gz")):
                        _count_stream(io.BytesIO(package.read(member)), count)
        except zipfile.BadZipFile as exc:
            count.error = f"BadZipFile: {exc}"
        return count
    with path.open("rb") as stream:
        _count_stream(stream, count)
    return count


# -- ours --------------------------------------------------------------------------------------
@dataclass(slots=True)
class OurCount:
    html_stored: int = 0
    captures: int = 0
    reported: int = 0  # records skipped with a reason, or kept back as a package's requisites
    bad_digests: int = 0
    exit_code: int = 0
    crashed: str | None = None
    reasons: dict[str, int] | None = None


def our_count(path: Path, scratch: Path) -> OurCount:
    import sqlite3

    database = scratch / f"{path.name or 'all'}.db"
    database.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "archive.cli", "reextract", str(path), "--db", f"sqlite:///{database}", "--workers", "0",
         "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    count = OurCount(exit_code=done.returncode)
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        count.crashed = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return count
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT content_type FROM captures").fetchall()
    count.captures = len(rows)
    count.html_stored = sum(_is_html(content_type) for (content_type,) in rows)
    requisites = sum(
        n for kind in summary["records"].values() for outcome, n in kind["outcomes"].items() if "requisite" in outcome
    )
    count.reported = summary["skipped"] + requisites
    count.bad_digests = summary["wrong_payload_digests"] + sum(
        n for reason, n in summary["skip_reasons"].items() if "Digest" in reason
    )
    count.reasons = summary["skip_reasons"]
    return count


@dataclass(slots=True)
class Totals:
    html: int = 0
    stored: int = 0  # of those, stored as captures (the rest reported)
    accounted: int = 0
    lost: int = 0
    our_digests: int = 0
    warcio_digests: int = 0
    crashed: int = 0


def _compare(path: Path, out: Path, scratch: Path, totals: Totals) -> tuple[int, str]:
    """One file read by warcio and by reextract: (HTML records not stored, its report line)."""
    theirs, ours = warcio_count(path), our_count(path, scratch)
    accounted = min(theirs.html, ours.html_stored + ours.reported)
    lost = theirs.http_records > 0 and ours.captures == 0 and ours.reported == 0
    totals.html += theirs.html
    totals.accounted += accounted
    totals.stored += min(theirs.html, ours.html_stored)
    totals.lost += lost
    totals.our_digests += ours.bad_digests
    totals.warcio_digests += theirs.bad_digests
    totals.crashed += ours.crashed is not None
    name = path.relative_to(out).as_posix()
    note = ours.crashed or ", ".join(f"{r} {n}" for r, n in (ours.reasons or {}).items())
    warcio_note = f" [warcio: {theirs.error}]" if theirs.error else ""
    line = (
        f"{name[-70:]:70} {theirs.records:5} {theirs.html:5} {ours.html_stored:5} {ours.reported:5} "
        f"{ours.bad_digests:3}/{theirs.bad_digests:<3} exit {ours.exit_code}{' LOST' if lost else ''}  "
        f"{note[:120]}{warcio_note}"
    )
    return theirs.html - min(theirs.html, ours.html_stored), line


def run(out: Path, worst: int) -> int:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    if not files:
        print(f"no files under {out}: run `build` first", file=sys.stderr)
        return 2
    totals = Totals()
    with tempfile.TemporaryDirectory() as scratch:
        lines = [_compare(path, out, Path(scratch), totals) for path in files]
        # Once more, every file in one run: revisits find their originals in the other files.
        together = our_count(out, Path(scratch))
    print(f"{'file':70} {'recs':>5} {'html':>5} {'kept':>5} {'rept':>5} dig(us/warcio)")
    for _, line in lines:
        print(line)
    if worst:
        print(f"\nworst {worst}:")
        for _, line in sorted(lines, key=lambda item: -item[0])[:worst]:
            print(line)
    share = 100 * totals.accounted / max(1, totals.html)
    stored_share = 100 * totals.stored / max(1, totals.html)
    print(
        f"\n{len(files)} files; HTML records warcio reads: {totals.html}; stored or explicitly reported: "
        f"{totals.accounted} ({share:.1f} %; stored {stored_share:.1f} %); files lost whole: {totals.lost}; "
        f"reextract crashed: {totals.crashed}; bad digests flagged: {totals.our_digests} "
        f"(warcio: {totals.warcio_digests})"
    )
    together_share = 100 * min(totals.html, together.html_stored + together.reported) / max(1, totals.html)
    crashed = f"; CRASHED {together.crashed}" if together.crashed else ""
    print(
        f"all files in one run: {together.html_stored} HTML captures stored, {together.reported} records reported "
        f"({together_share:.1f} %), exit {together.exit_code}{crashed}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="rebuild the folder from the fetched snapshots")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    r = sub.add_parser("run", help="warcio's count beside reextract's, per file and in all")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT)
    r.add_argument("--worst", type=int, default=0, help="list the N files with the most HTML records not stored")
    args = parser.parse_args()
    return build(args.out, args.mirrors) if args.command == "build" else run(args.out, args.worst)


if __name__ == "__main__":
    sys.exit(main())
