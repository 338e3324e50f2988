"""Undoing ``Content-Encoding`` (gzip, deflate, br, zstd) within a size limit.

The crawl's decoding middleware and the WARC reader both call :func:`decode_content`, so a page
decodes the same way whichever path reads it, and a small compressed body that inflates to
gigabytes (a decompression bomb) stops at the limit in both instead of filling memory.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Iterator

import brotli  # a dependency of Scrapy, which decodes br with it too

_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class ContentDecodingError(ValueError):
    """A declared content coding that cannot be undone (corrupt, unknown, or over the limit)."""


class TooLarge(ContentDecodingError):
    def __init__(self, limit: int) -> None:
        # The limit is the crawl's DOWNLOAD_MAXSIZE on both paths: name it, so the user knows what to raise.
        super().__init__(f"decoded body exceeded DOWNLOAD_MAXSIZE ({limit:,} bytes)")
        self.limit = limit


def _check(size: int, limit: int) -> None:
    if limit and size > limit:
        raise TooLarge(limit)


def _zlib(body: bytes, wbits: int, limit: int) -> bytes:
    """Inflate every member of *body* (gzip files may hold several); a truncated end keeps what
    was inflated, as browsers and Scrapy do."""
    out: list[bytes] = []
    size = 0
    data = body
    while data:
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(data, _CHUNK)
        while True:
            size += len(chunk)
            _check(size, limit)
            out.append(chunk)
            if inflater.eof or not inflater.unconsumed_tail:
                break
            chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
        if not inflater.eof:
            tail = inflater.flush()
            size += len(tail)
            _check(size, limit)
            out.append(tail)
            break
        data = inflater.unused_data
        if not data.startswith(_GZIP_MAGIC):
            break  # padding after the last member
    return b"".join(out)


def _gzip(body: bytes, limit: int) -> bytes:
    return _zlib(body, zlib.MAX_WBITS | 32, limit)  # a gzip or a zlib header


def _deflate(body: bytes, limit: int) -> bytes:
    try:
        return _zlib(body, zlib.MAX_WBITS, limit)
    except zlib.error:
        return _zlib(body, -zlib.MAX_WBITS, limit)  # raw deflate, as some servers send


def _gathered(chunks: Iterator[bytes], limit: int) -> bytes:
    out: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        _check(size, limit)
        out.append(chunk)
    return b"".join(out)


def _brotli(body: bytes, limit: int) -> bytes:
    def chunks() -> Iterator[bytes]:
        decompressor = brotli.Decompressor()
        yield decompressor.process(body, output_buffer_limit=_CHUNK)
        while not decompressor.is_finished():
            chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
            if not chunk:
                return
            yield chunk

    return _gathered(chunks(), limit)


def _zstd(body: bytes, limit: int) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        from backports import zstd  # a dependency of Scrapy

    def chunks() -> Iterator[bytes]:
        with zstd.ZstdFile(io.BytesIO(body)) as stream:
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except EOFError:
                    return  # truncated: keep what was decoded
                if not chunk:
                    return
                yield chunk

    return _gathered(chunks(), limit)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}


def codings(values: Iterable[str]) -> list[str]:
    """The content codings of ``Content-Encoding`` header values, in the order they were applied."""
    found: list[str] = []
    for value in values:
        found.extend(c.strip().lower() for c in value.split(",") if c.strip())
    return [c for c in found if c != "identity"]


def decode_content(body: bytes, applied: list[str], limit: int) -> bytes:
    """*body* with the codings *applied* (first applied first) undone, at most *limit* bytes
    (0: no limit). Raises :class:`ContentDecodingError`."""
    for coding in reversed(applied):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ContentDecodingError(f"unknown Content-Encoding {coding!r}")
        try:
            body = decoder(body, limit)
        except ContentDecodingError:
            raise
        except Exception as exc:  # zlib.error, brotli.error, zstd errors: all "corrupt"
            raise ContentDecodingError(f"cannot undo Content-Encoding {coding} ({exc})") from None
    return body
