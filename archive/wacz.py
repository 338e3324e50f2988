"""WACZ packages of the archive: WARC files, their CDXJ index and a pages list, in one zip.

The captures table says which WARC files hold the captures of a site (or since a date), so a
package carries only those files, and those holding each packed page's requisites: the records a
replay of the page at its time loads (archive/requisite_records.py), which may be an earlier run's
full copy of a stylesheet the page's run revalidated with a 304, or a CDN's. The articles become
the package's pages (url, title, ts): that is the list ReplayWeb.page shows, and the url + ts of
each page is the exact response record in the WARC; requisites are records, never pages. The zip
itself, its index (indexes/index.cdx.gz + index.idx, compressed CDXJ) and datapackage.json are
made by py-wacz, so ``wacz validate`` accepts what we write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from archive import models
from archive.db import as_utc
from archive.requisite_records import full_record, requisite_files, requisites_of
from archive.sites import SiteSelector
from archive.warc.index import DigestsBeforeBuffering, Skipped, index_lines, replayable
from archive.warc.reader import OutsideWarcDir, locate, stored_name
from archive.warc.writer import warc_date

logger = logging.getLogger(__name__)


class WaczError(Exception):
    """A package that cannot be made; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # the captured URL, as in the WARC record (not the article's canonical URL)
    ts: dt.datetime
    title: str | None


@dataclass(frozen=True, slots=True)
class Selection:
    warc_files: list[str]  # relative to the WARC directory, sorted
    pages: list[Page]
    requisites: int = 0  # distinct records of the pages' requisites packed (in those files)
    requisites_missing: int = 0  # requisite URLs of the pages with no record to pack


def _captures(site: SiteSelector | None, since: dt.datetime | None) -> Select[models.Capture]:
    C, S = models.Capture, models.Site
    query = select(C)
    if site:
        query = query.join(S, S.id == C.site_id).where(site.sql(S.host))
    if since:
        query = query.where(C.fetched_at >= since)
    return query


def select_for_package(
    session: Session, *, site: SiteSelector | None = None, since: dt.datetime | None = None
) -> Selection:
    """The WARC files holding captures of *site* fetched at or after *since*, and the articles
    among those captures as pages: each article once, at its newest version's capture; with the
    files holding the records those pages' requisites resolve to."""
    captures = _captures(site, since).subquery()
    files = set(session.scalars(select(captures.c.warc_file).distinct()))
    V, A = models.ArticleVersion, models.Article
    rows = session.execute(
        select(V.article_id, captures.c.id, captures.c.url, captures.c.fetched_at, captures.c.record_type, V.title)
        .join(captures, captures.c.id == V.capture_id)
        .join(A, A.id == V.article_id)
        .order_by(V.article_id, V.number.desc())
    )
    pages: list[Page] = []
    page_captures: list[tuple[int, dt.datetime]] = []
    revisits: list[int] = []
    seen: set[int] = set()
    for article_id, capture_id, url, fetched_at, record_type, title in rows:
        if article_id not in seen:
            seen.add(article_id)
            pages.append(Page(url, as_utc(fetched_at), title))
            page_captures.append((capture_id, fetched_at))
            if record_type == "revisit":
                revisits.append(capture_id)
    # A page captured as a revisit is replayed from its original's body, which may lie in a file
    # of no capture selected (archived earlier, or at another URL).
    for capture_id in revisits:
        original = full_record(session, session.get_one(models.Capture, capture_id))
        if original is not None:
            files.add(original.warc_file)
    pages.sort(key=lambda page: (page.ts, page.url))
    loaded = [r for found in requisites_of(session, page_captures).values() for r in found]
    files |= requisite_files(loaded)
    records = {r.id for requisite in loaded for r in (requisite.record, requisite.body) if r is not None}
    missing = sum(1 for requisite in loaded if requisite.record is None)
    return Selection(sorted(files), pages, len(records), missing)


def _pages_jsonl(pages: Iterable[Page], title: str) -> str:
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title})]
    for page in pages:
        # ts as the record's WARC-Date: py-wacz matches a page to its record by url and 14-digit ts.
        entry = {"url": page.url, "ts": warc_date(page.ts), "title": page.title or page.url}
        lines.append(json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Packaged:
    pages: int  # pages py-wacz matched to a record
    left_out: tuple[Skipped, ...] = ()  # WARC files py-wacz could not read, not in the package


def _warc_paths(root: Path, selection: Selection) -> list[Path]:
    if not selection.warc_files:
        raise WaczError("no captures match: nothing to package")
    try:
        paths = [locate(name, root) for name in selection.warc_files]
    except OutsideWarcDir as exc:
        raise WaczError(f"{exc}: not packaging it (the database names it; is it yours?)") from None
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise WaczError(f"WARC file(s) named in the database are missing: {', '.join(missing[:3])}")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise WaczError("two WARC files share a name in different folders; a WACZ keeps base names only")
    return paths


def _py_wacz(arguments: list[str], paths: list[Path]) -> str:
    """Run py-wacz; what it printed. Raises ``Exception`` as py-wacz does on a record it cannot parse."""
    import wacz.main
    from wacz.waczindexer import WACZIndexer

    class ReplayableOnly(DigestsBeforeBuffering, WACZIndexer):  # type: ignore[misc]
        """py-wacz's indexer, leaving out what our CDXJ index leaves out (a 304, a HEAD's answer),
        and with the payload digests our index has (py-wacz's ``post_append`` buffering loses them)."""

        def filter_record(self, record: Any) -> bool:
            return bool(super().filter_record(record)) and replayable(record)

    # py-wacz reports on stdout as it goes; keep it for the log, off the user's terminal.
    chatter = io.StringIO()
    # py-wacz makes its indexer by this name, with no way to pass one in.
    with contextlib.redirect_stdout(chatter), _replaced(wacz.main, "WACZIndexer", ReplayableOnly):
        status = wacz.main.main([*arguments, *map(str, paths)])
    for line in chatter.getvalue().splitlines():
        logger.info("py-wacz: %s", line)
    if status != 0:
        raise WaczError(f"py-wacz could not create the package: {chatter.getvalue().strip()[-500:]}")
    return chatter.getvalue()


@contextlib.contextmanager
def _replaced(module: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def _unreadable(paths: list[Path], root: Path) -> list[tuple[Path, Skipped]]:
    """The files py-wacz's indexer cannot read, and why: looked for only once py-wacz has failed."""
    found = []
    for path in paths:
        reason = index_lines(path, root, io.StringIO())
        if reason is not None:
            found.append((path, Skipped(stored_name(path, root), reason)))
    return found


def write_wacz(
    warc_dir: str | os.PathLike[str],
    selection: Selection,
    output: str | os.PathLike[str],
    *,
    title: str = "newsarchive",
    description: str | None = None,
) -> Packaged:
    """Package *selection* from *warc_dir* into the WACZ file *output* (replaced atomically).

    A WARC file py-wacz cannot read (a record its parser raises on) is left out, not the package:
    ``Packaged.left_out`` names it."""
    root = Path(warc_dir)
    target = Path(output)
    paths = _warc_paths(root, selection)
    left_out: list[Skipped] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wacz-") as scratch:
        pages_file = Path(scratch) / "pages.jsonl"
        pages_file.write_text(_pages_jsonl(selection.pages, title), encoding="utf-8")
        partial = Path(scratch) / target.name
        arguments = ["create", "-o", str(partial), "-p", str(pages_file), "--title", title]
        if description:
            arguments += ["--desc", description]
        try:
            chatter = _py_wacz(arguments, paths)
        except WaczError:
            raise
        except Exception as exc:
            unreadable = _unreadable(paths, root)
            if not unreadable:
                raise WaczError(f"py-wacz could not create the package ({type(exc).__name__}: {exc})") from None
            left_out = [skip for _, skip in unreadable]
            paths = [p for p in paths if p not in {path for path, _ in unreadable}]
            if not paths:
                first = left_out[0]
                raise WaczError(f"py-wacz can read none of the WARC files: {first.name} ({first.reason})") from None
            partial.unlink(missing_ok=True)
            chatter = _py_wacz(arguments, paths)
        unmatched = sum(1 for line in chatter.splitlines() if line.startswith("Invalid passed page"))
        os.replace(partial, target)
    return Packaged(len(selection.pages) - unmatched, tuple(left_out))
