"""Word-level differences between two versions of a text.

One module for every place that shows or counts what changed between versions (the web reader's
diff view, `newsarchive changes`, the record of what each version changed), so a word counted as
added in one place is shown as added in the other.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Operation = Literal["equal", "insert", "delete"]

# Words with the whitespace that follows them, so joining the pieces gives back the text exactly.
_WORD = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Piece:
    """A run of words that both texts share (equal), or that only the new (insert) or the old (delete) has."""

    operation: Operation
    text: str


@dataclass(frozen=True)
class WordCounts:
    added: int
    removed: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text or "")


def word_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn `old` into `new`, in order; equal pieces joined with the new pieces give `new`."""
    before, after = _tokens(old), _tokens(new)
    # Compare words without their trailing whitespace: a re-wrapped paragraph is not an edit.
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in before], [t.strip() for t in after], autojunk=False)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("equal", "".join(after[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(before[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(after[j1:j2])))
    return pieces


def _word_count(text: str) -> int:
    return len(text.split())


def word_counts(old: str, new: str) -> WordCounts:
    """How many words `new` adds to `old` and how many it removes."""
    added = removed = 0
    for piece in word_diff(old, new):
        if piece.operation == "insert":
            added += _word_count(piece.text)
        elif piece.operation == "delete":
            removed += _word_count(piece.text)
    return WordCounts(added=added, removed=removed)


def _marked(piece: Piece) -> str:
    words = " ".join(piece.text.split())
    return f"[-{words}-]" if piece.operation == "delete" else f"{{+{words}+}}"


def _changed_hunks(pieces: list[Piece], context_words: int) -> Iterator[str]:
    index = 0
    while index < len(pieces):
        if pieces[index].operation == "equal":
            index += 1
            continue
        # A replacement is a delete followed by an insert: one hunk, as a reader reads it.
        first = index
        while index < len(pieces) and pieces[index].operation != "equal":
            index += 1
        lead = " ".join(pieces[first - 1].text.split()[-context_words:]) if first else ""
        tail = " ".join(pieces[index].text.split()[:context_words]) if index < len(pieces) else ""
        marked = " ".join(_marked(piece) for piece in pieces[first:index])
        yield " ".join(part for part in (lead, marked, tail) if part)


def short_diff(old: str, new: str, *, context_words: int = 4, max_hunks: int = 3) -> str:
    """A one-line summary of the changes, `git diff --word-diff` style: `… the [-old-] {+new+} words …`."""
    hunks = list(_changed_hunks(word_diff(old, new), context_words))
    shown = " … ".join(hunks[:max_hunks])
    if len(hunks) > max_hunks:
        shown += f" … (+{len(hunks) - max_hunks} more)"
    return shown
