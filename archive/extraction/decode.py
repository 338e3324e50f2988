"""Bytes -> text, and the content-type gate in front of the HTML parser."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

_CHARSET_RE = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# How far into the document a <meta charset> counts; browsers look at the first 1024 bytes, but real pages
# put kilobytes of inline scripts first, so look further.
_META_SCAN = 16384

# Magic numbers of formats that sometimes arrive without (or with a wrong) Content-Type.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"RIFF", "application/octet-stream"),
    (b"\x00\x00\x00", "application/octet-stream"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"wOF", "font/woff"),
)
# The response headers extraction reads (`header()` calls below): what an earlier result of the same
# bytes must have been given too to be reused (archive/extraction/reuse.py).
HEADERS_READ = ("Content-Type",)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "application/html")


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup on any mapping (plain dicts arrive with any key case)."""
    if not headers:
        return None
    try:
        value = headers.get(name)
        if value is None:
            lname = name.lower()
            for key, val in headers.items():
                if str(key).lower() == lname:
                    value = val
                    break
    except Exception:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", errors="replace")
    elif isinstance(value, list | tuple):
        value = value[0] if value else None
        if isinstance(value, bytes):
            value = value.decode("latin-1", errors="replace")
    return str(value) if value is not None else None


def _valid_codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", errors="ignore")
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    # A page that says latin-1 is, per the WHATWG encoding standard, windows-1252.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Charset from the Content-Type header, then <meta charset>/http-equiv, then detection
    (charset_normalizer), errors='replace'. Never raises."""
    try:
        if isinstance(body, str):
            return body
        body = bytes(body or b"")
        for bom, codec in _BOMS:
            if body.startswith(bom):
                return body[len(bom) :].decode(codec, errors="replace")
        # Valid UTF-8 with multi-byte sequences is UTF-8 whatever the page says: legacy-charset text
        # almost never validates by accident, while stale charset declarations on re-encoded pages are common.
        if re.search(rb"[\x80-\xff]", body):
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                # A UTF-8 page cut mid-character or with a few stray bytes is still UTF-8: reading
                # it as a legacy charset would turn every accented letter into mojibake.
                text = body.decode("utf-8", errors="replace")
                bad = text.count("\ufffd")
                if len(_NON_ASCII.findall(text)) - bad >= 4 * bad:
                    return text
        ctype = header(headers, "Content-Type") or ""
        m = _HEADER_CHARSET_RE.search(ctype)
        declared = _valid_codec(m.group(1)) if m else None
        if declared is None:
            mm = _CHARSET_RE.search(body[:_META_SCAN])
            declared = _valid_codec(mm.group(1)) if mm else None
        if declared and declared.startswith("utf-16") and b"\x00" not in body[:200]:
            declared = None  # pages that say utf-16 in a meta tag are ASCII-compatible in practice
        if declared:
            if declared == "utf-8":
                try:
                    return body.decode("utf-8")
                except UnicodeDecodeError:
                    pass  # a wrong declaration is common; fall through to detection
            else:
                return body.decode(declared, errors="replace")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(body[:200_000]).best()
            if best is not None and best.encoding:
                return body.decode(best.encoding, errors="replace")
        except Exception:
            pass
        return body.decode("cp1252" if declared is None else "utf-8", errors="replace")
    except Exception:
        return ""


def non_html_type(body: bytes, headers: Mapping[str, str] | None) -> str | None:
    """The media type when the payload is clearly not HTML, else None."""
    ctype = (header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    # Many servers send HTML as application/octet-stream or text/plain; trust the bytes then.
    if (
        ctype
        and ctype not in _HTML_TYPES
        and not ctype.endswith("+xml")
        and ctype != "text/plain"
        and (ctype not in ("application/octet-stream", "binary/octet-stream") or not _looks_like_html(body))
    ):
        return ctype
    head = body[:16]
    for magic, mtype in _BINARY_MAGIC:
        if head.startswith(magic):
            return ctype or mtype
    if ctype in ("text/plain", "application/octet-stream") and not _looks_like_html(body):
        return ctype
    if head.lstrip()[:1] in (b"{", b"[") and not _looks_like_html(body):
        return ctype or "application/json"
    return None


def _looks_like_html(body: bytes) -> bool:
    return bool(re.search(rb"<(!doctype|html|head|body|div|p|meta|title)\b", body[:4096], re.I))
