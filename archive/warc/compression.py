"""The deflate library WARC records are gzipped with: zlib-ng, ISA-L or the standard zlib.

All three write ordinary gzip members (RFC 1952) that warcio, FastWARC, ``gzip`` and ``zcat`` read;
they differ in CPU and size only. Measured on the fundus pages (``benchmarks/warc_gzip.py``, 143
pages of 324 KB mean): zlib level 6 4.6 ms a page at 0.190 of the input; zlib-ng level 6 2.3 ms at
0.192; ISA-L level 3 (its highest) 0.75 ms at 0.212. zlib-ng is the default: half the CPU for 1% more
bytes, where ISA-L's six times less CPU costs 12% more archive, kept for ever. A library that is
not installed falls back to zlib at the same level, with one warning.
"""

from __future__ import annotations

import importlib
import logging
import zlib
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

logger = logging.getLogger(__name__)

# setting value -> (module with zlib's compressobj API, the levels it accepts)
LIBRARIES: dict[str, tuple[str, range]] = {
    "zlib": ("zlib", range(0, 10)),
    "zlib-ng": ("zlib_ng.zlib_ng", range(0, 10)),
    "isal": ("isal.isal_zlib", range(0, 4)),
}
_warned: set[str] = set()


class GzipSettingError(ValueError):
    """A library name or level the writer cannot use."""


class Compressor(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...

    def flush(self, mode: int = ..., /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Gzip:
    """How each record becomes a gzip member: the library actually used and its level."""

    library: str
    level: int
    module: ModuleType

    def compressobj(self) -> Compressor:
        compressor: Compressor = self.module.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor

    def compress(self, data: bytes) -> bytes:
        compressor = self.compressobj()
        return compressor.compress(data) + compressor.flush()


def gzip_codec(library: str = "zlib", level: int = 6) -> Gzip:
    """The codec for *library* at *level*; zlib at *level* when *library* is not installed."""
    if library not in LIBRARIES:
        raise GzipSettingError(f"unknown WARC gzip library {library!r}: one of {', '.join(LIBRARIES)}")
    module_name, levels = LIBRARIES[library]
    if level not in levels:
        raise GzipSettingError(f"{library} gzip levels are {levels.start}-{levels.stop - 1}, not {level}")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        if library not in _warned:
            _warned.add(library)
            logger.warning("%s is not installed: WARC records are gzipped with zlib", library)
        return Gzip("zlib", min(level, 9), zlib)
    return Gzip(library, level, module)


__all__ = ["LIBRARIES", "Gzip", "GzipSettingError", "gzip_codec"]
