"""The word diff every version view and count shares (archive/textdiff.py)."""

from archive.textdiff import short_diff, word_counts, word_diff


def test_the_new_text_is_the_equal_and_inserted_pieces_in_order() -> None:
    old = "The council voted 7 to 2 on Monday.\n\nThe mayor agreed."
    new = "The council voted 6 to 3 on Monday evening.\n\nThe mayor agreed."
    pieces = word_diff(old, new)
    assert "".join(p.text for p in pieces if p.operation != "delete") == new
    assert "".join(p.text for p in pieces if p.operation != "insert") == old


def test_counts_words_added_and_removed_and_ignores_rewrapping() -> None:
    counts = word_counts("a corrected figure of 12 people", "a corrected figure of 14 injured people")
    assert (counts.added, counts.removed) == (2, 1)
    assert not word_counts("one two\nthree", "one  two three").changed


def test_short_diff_marks_the_change_with_its_context() -> None:
    line = short_diff("the mayor said no to the plan", "the mayor said yes to the plan")
    assert line == "the mayor said [-no-] {+yes+} to the plan"
