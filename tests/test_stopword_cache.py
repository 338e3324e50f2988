"""The language detector's stop-word index is built once and read back by later workers
(archive/extraction/stopword_cache.py): the same index, never a wrong one, and never a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extraction import language, stopword_cache


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "newsarchive"


def _key() -> str:
    return stopword_cache.key(language._JUSTEXT_CODES, language._EXTRA_STOPWORDS)


def test_the_index_read_back_is_the_index_built(cache_home: Path) -> None:
    built = language._build_index()
    stopword_cache.write(_key(), built)
    read = stopword_cache.read(_key())
    assert read is not None
    assert read.languages == built.languages
    assert read.by_word == built.by_word
    assert read.shared_with_justext == built.shared_with_justext
    # Each distinct tuple of languages is one object, as the built index keeps it (1,700, not 139,000).
    assert len({id(codes) for codes in read.by_word.values()}) == len(set(built.by_word.values()))


# A worker that finds the cache must not build: building is the 0.3-0.4 s of CPU the cache saves each
# worker's start. Run in processes of their own, as workers are.
_START_A_WORKER = """
import sys
from archive.extraction import language
from archive.extraction.worker import init_worker
if sys.argv[1] == "must read":
    def refuse():
        raise SystemExit("built the index although the cache holds it")
    language._build_index = refuse
init_worker()
text = "the cat and the dog were in the house with all of their friends, but it was not for them " * 3
assert language.detect(text)[0] == "en"
print("ok")
"""


def _start_worker(mode: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", _START_A_WORKER, mode], capture_output=True, text=True, timeout=120, env=env
    )


def test_a_second_worker_reads_the_index_the_first_one_wrote(cache_home: Path) -> None:
    assert _start_worker("may build", cache_home.parent).stdout.strip() == "ok"
    assert [p.name.startswith("stopwords-") for p in cache_home.iterdir()] == [True]
    second = _start_worker("must read", cache_home.parent)
    assert second.stdout.strip() == "ok", second.stderr


@pytest.mark.parametrize(
    "damage", [b"", b"not marshal data at all", b"\xe9" * 100, "marshal of another shape"], ids=repr
)
def test_a_damaged_cache_file_is_built_again(cache_home: Path, damage: bytes | str) -> None:
    import marshal

    cache_home.mkdir(parents=True)
    path = cache_home / f"stopwords-{_key()}.marshal"
    path.write_bytes(marshal.dumps({"en": 1}) if isinstance(damage, str) else damage)
    assert stopword_cache.read(_key()) is None
    first = _start_worker("may build", cache_home.parent)
    assert first.stdout.strip() == "ok", first.stderr
    assert stopword_cache.read(_key()) is not None  # written again, whole


def test_a_stale_file_is_neither_read_nor_kept(cache_home: Path) -> None:
    cache_home.mkdir(parents=True)
    stale = cache_home / "stopwords-0123456789abcdef01234567.marshal"
    stopword_cache.write("0123456789abcdef01234567", language._build_index())
    assert stale.exists()
    stopword_cache.write(_key(), language._build_index())
    assert not stale.exists() and (cache_home / f"stopwords-{_key()}.marshal").exists()


def test_a_cache_directory_that_cannot_be_written_costs_only_the_build(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    done = _start_worker("may build", blocked)
    assert done.stdout.strip() == "ok", done.stderr
    assert not (tmp_path / "newsarchive").exists()
