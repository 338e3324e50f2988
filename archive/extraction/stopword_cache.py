"""The language detector's stop-word index, kept in the user's cache directory between processes.

Every extraction worker (the crawl's pool, reextract's, a CLI ``extract``) built the same index from
jusText's ~100 stop lists at its start: 0.3-0.4 s of CPU each, while the crawl's first pages waited
for a worker. It depends only on those lists, the extra lists in ``language.py`` and the Python that
reads it, so it is written once as a marshal file named by a digest of all of them and read back in
about 0.04 s. A file that is missing, stale (another key), unreadable or not of the expected shape is
ignored and built again; a directory that cannot be written only costs the build, never the page.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Bump when what the index holds changes shape or meaning: old files are then never read.
_FORMAT = 1
_PREFIX = "stopwords-"
_SUFFIX = ".marshal"


@dataclass(frozen=True, slots=True)
class StopwordIndex:
    languages: tuple[str, ...]  # the codes scored, in the order ties are decided
    by_word: dict[str, tuple[str, ...]]  # each stop word's languages (one tuple object per distinct tuple)
    shared_with_justext: frozenset[str] | None  # jusText's words made of by_word's strings, for trafilatura


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/newsarchive``, else ``~/.cache/newsarchive`` (the XDG base directory rule)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsarchive"


def _justext_lists() -> list[tuple[str, int, int]]:
    """Name, size and modification time of each of jusText's stop-list files: a reinstall or an
    upgrade of jusText changes them, so the key changes without reading the lists."""
    try:
        import justext
    except ImportError:
        return []
    directory = Path(justext.__file__).parent / "stoplists"
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        stats = [(entry.name, entry.stat()) for entry in entries if entry.name.endswith(".txt")]
        return sorted((name, stat.st_size, stat.st_mtime_ns) for name, stat in stats)
    return []


def key(codes: dict[str, str], extra: dict[str, str]) -> str:
    """A digest of everything the index is built from: the lists, which of them are read under
    which code, and the Python (marshal's format is only promised within one version)."""
    digest = hashlib.sha256()
    for part in (_FORMAT, marshal.version, sys.version, sorted(codes.items()), sorted(extra.items()), _justext_lists()):
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _path(digest: str) -> Path:
    return cache_dir() / f"{_PREFIX}{digest}{_SUFFIX}"


def read(digest: str) -> StopwordIndex | None:
    try:
        data = _path(digest).read_bytes()
        languages, by_word, shared = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (
        isinstance(languages, tuple)
        and isinstance(by_word, dict)
        and (shared is None or isinstance(shared, frozenset))
        and all(isinstance(code, str) for code in languages)
    ):
        return None
    return StopwordIndex(languages, by_word, shared)


def write(digest: str, index: StopwordIndex) -> None:
    """Written under a temporary name and renamed, so a worker starting meanwhile reads the whole
    file or none; files of other keys are removed."""
    directory = cache_dir()
    # One dump of all three: marshal keeps each string and tuple once, as the built index does.
    data = marshal.dumps((index.languages, index.by_word, index.shared_with_justext))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".stopwords-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, _path(digest))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        for stale in directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            if stale.name != _path(digest).name:
                with contextlib.suppress(OSError):
                    stale.unlink()
    except OSError:
        return
