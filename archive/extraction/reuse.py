"""Reusing an earlier extraction: a revisit is given the result its original was given.

A revisit record (the crawl writes one when a URL's payload digest equals its last full record's)
holds content the archive has extracted before. Extraction is a function of its input: the URL,
the decoded body, the headers it reads (``decode.HEADERS_READ``), the site's hints, and the code,
named by ``EXTRACTOR_VERSION``. So a revisit whose input digests as the input of the URL's latest
stored result (:func:`input_digest`, over all of these) would be extracted to that same result,
and is given it instead. ``store()`` keeps that result per URL (``extraction_memos``, by
``archive.memos.memo_rows``); the crawl (``pipelines/reuse.py``) and ``reextract`` ask
``archive.memos.ExtractionReuse.result_for`` alike. A changed page, header, hint or extractor version
digests differently and is extracted as ever.

No database here: the extraction workers import this module (``archive/memos.py`` is the table's side).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from typing import Any

from archive.extraction.decode import HEADERS_READ, header
from archive.extraction.types import EXTRACTOR_VERSION, Article, NotAnArticle
from archive.responses import PageInput

ExtractionResult = Article | NotAnArticle


def input_digest(page: PageInput) -> str:
    """SHA-256 over everything extraction reads of *page*, and the extractor's version."""
    hints = None if page.hints is None else dataclasses.astuple(page.hints)
    read = [header(page.headers, name) for name in HEADERS_READ]
    meta = json.dumps([EXTRACTOR_VERSION, page.url, read, hints, page.error], ensure_ascii=False)
    digest = hashlib.sha256(meta.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(page.body)
    return digest.hexdigest()


def encode(result: ExtractionResult) -> bytes:
    """*result* as stored: every field, so :func:`decode` gives back an equal result."""
    payload: dict[str, Any] = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    payload["_type"] = "article" if isinstance(result, Article) else "not_article"
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def decode(blob: bytes) -> ExtractionResult:
    payload = json.loads(zlib.decompress(blob))
    kind: type[Article] | type[NotAnArticle] = Article if payload.pop("_type") == "article" else NotAnArticle
    # JSON has no tuples; every sequence field of the result types is one.
    values: dict[str, Any] = {
        f.name: tuple(payload[f.name]) if isinstance(payload[f.name], list) else payload[f.name]
        for f in dataclasses.fields(kind)
        if f.name in payload
    }
    return kind(**values)
