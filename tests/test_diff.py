"""The word diff: exact, whole words, and never "everything replaced" on long texts."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from itertools import accumulate, pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clausetrack import diff as diff_module
from clausetrack import parallel
from clausetrack.diff import diff_words
from clausetrack.model import Op
from clausetrack.tokenize import tokenize


def boundaries(text: str) -> set[int]:
    return {0, *accumulate(len(t) for t in tokenize(text))}


def check(old: str, new: str, ops: tuple[Op, ...]) -> None:
    """Everything a consumer of the ops relies on."""
    assert "".join(o.text for o in ops if o.kind != "insert") == old
    assert "".join(o.text for o in ops if o.kind != "delete") == new
    assert all(o.text for o in ops), "empty op"
    assert all(a.kind != b.kind for a, b in pairwise(ops)), "unmerged ops"
    assert all(not (a.kind == "insert" and b.kind == "delete") for a, b in pairwise(ops)), (
        "an insertion before the deletion it replaces"
    )
    old_cuts, new_cuts = boundaries(old), boundaries(new)
    i = j = 0
    for op in ops:
        assert i in old_cuts and j in new_cuts, f"a change splits a token at {op}"
        if op.kind != "insert":
            i += len(op.text)
        if op.kind != "delete":
            j += len(op.text)


def changed(ops: tuple[Op, ...]) -> list[tuple[str, str]]:
    return [(o.kind, o.text) for o in ops if o.kind != "equal"]


def test_words_are_replaced_whole() -> None:
    old, new = "The identical terms apply.", "The perpetual terms apply."
    ops = diff_words(old, new)
    assert ops == (
        Op("equal", "The "),
        Op("delete", "identical"),
        Op("insert", "perpetual"),
        Op("equal", " terms apply."),
    )


def test_short_words_sharing_letters() -> None:
    ops = diff_words("the red car", "the green car")
    assert changed(ops) == [("delete", "red"), ("insert", "green")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "a fund of USD 50 billion",
            "a fund of USD 60 billion",
            [("delete", "USD 50 billion"), ("insert", "USD 60 billion")],
        ),
        ("a share of 50% each", "a share of 55% each", [("delete", "50%"), ("insert", "55%")]),
        (
            "pay $1,000,000 now",
            "pay $1,500,000 now",
            [("delete", "$1,000,000"), ("insert", "$1,500,000")],
        ),
        ("本协议有效", "本合同有效", [("delete", "协议"), ("insert", "合同")]),
        ("ok 👍🏽 then", "ok 👍🏿 then", [("delete", "👍🏽"), ("insert", "👍🏿")]),
        ("le cafe ferme", "le cafe\u0301 ferme", [("delete", "cafe"), ("insert", "cafe\u0301")]),
        ("שָׁלוֹם עוֹלָם", "שָׁלוֹם לְךָ", [("delete", "עוֹלָם"), ("insert", "לְךָ")]),
        ("ที่ดินของรัฐ", "ที่ดินของเรา", [("delete", "รัฐ"), ("insert", "เรา")]),
    ],
)
def test_units_stay_whole(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    ops = diff_words(old, new)
    check(old, new, ops)
    assert changed(ops) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("", "", ()),
        ("same", "same", (Op("equal", "same"),)),
        ("", "new text", (Op("insert", "new text"),)),
        ("old text", "", (Op("delete", "old text"),)),
    ],
)
def test_trivial(old: str, new: str, expected: tuple[Op, ...]) -> None:
    assert diff_words(old, new) == expected


def test_insertion_keeps_its_trailing_space() -> None:
    ops = diff_words("a dog", "a big dog")
    assert ops == (Op("equal", "a "), Op("insert", "big "), Op("equal", "dog"))


def test_nearby_changes_read_as_one_replacement() -> None:
    ops = diff_words("the quick brown fox", "the slow red fox")
    assert changed(ops) == [("delete", "quick brown"), ("insert", "slow red")]


# --- long texts ------------------------------------------------------------------

WORDS = [
    "the",
    "party",
    "shall",
    "provide",
    "notice",
    "of",
    "any",
    "breach",
    "within",
    "thirty",
    "days",
    "after",
    "receipt",
    "agreement",
    "licence",
    "rights",
    "obligations",
    "payment",
    "fund",
    "investment",
    "minerals",
    "revenue",
    "government",
    "council",
    "member",
    "article",
    "section",
    "schedule",
    "annex",
    "term",
]


def document(seed: int, paragraphs: int) -> str:
    rnd = random.Random(seed)
    paras = []
    for n in range(paragraphs):
        lines = []
        for _ in range(rnd.randint(2, 6)):
            lines.append(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 12))))
        paras.append(f"{n + 1}. " + "\n   ".join(lines) + ".")
    return "\n\n".join(paras) + "\n"


def edit(text: str, seed: int, rate: float) -> tuple[str, int]:
    """Replace, drop or add about ``rate`` of the words; return the text and the edit count."""
    rnd = random.Random(seed)
    out: list[str] = []
    edits = 0
    for word in text.split(" "):
        x = rnd.random()
        if x < rate / 3:
            out.append("CHANGED" + str(rnd.randrange(1000)))
            edits += 1
        elif x < 2 * rate / 3 and word.isalpha():
            edits += 1
        elif x < rate:
            out += [word, "ADDED"]
            edits += 1
        else:
            out.append(word)
    return " ".join(out), edits


def regions(ops: tuple[Op, ...]) -> int:
    return sum(
        1 for n, o in enumerate(ops) if o.kind != "equal" and (n == 0 or ops[n - 1].kind == "equal")
    )


def test_long_document_scattered_edits_are_found_not_replaced() -> None:
    """A default diff-match-patch would give up after a second and replace everything."""
    old = document(1, 600)  # about 200 KB
    new, edits = edit(old, 2, 0.02)
    ops = diff_words(old, new)
    check(old, new, ops)
    changed_chars = sum(len(o.text) for o in ops if o.kind != "equal")
    assert changed_chars < 0.1 * (len(old) + len(new))
    assert 0.8 * edits <= regions(ops) <= edits


def test_repetitive_document() -> None:
    """The same clauses over and over: no token is unique, order alone aligns them."""
    old = document(3, 20) * 30
    new, edits = edit(old, 4, 0.02)
    ops = diff_words(old, new)
    check(old, new, ops)
    assert 0.8 * edits <= regions(ops) <= edits


def test_moved_paragraph_is_a_deletion_and_an_insertion() -> None:
    paras = document(5, 30).split("\n\n")
    moved = paras.pop(3)
    paras.insert(25, moved)
    old, new = document(5, 30), "\n\n".join(paras)
    ops = diff_words(old, new)
    check(old, new, ops)
    assert regions(ops) == 2
    assert sum(len(o.text) for o in ops if o.kind != "equal") <= 2 * (len(moved) + 4)


def test_heavy_rewrite() -> None:
    old = document(6, 40)
    new = document(7, 40)
    ops = diff_words(old, new)
    check(old, new, ops)
    check(new, old, diff_words(new, old))


def test_one_long_line() -> None:
    old = document(8, 100).replace("\n", " ")
    new, _ = edit(old, 9, 0.05)
    check(old, new, diff_words(old, new))


def test_same_result_under_any_hash_seed() -> None:
    """Token codes come from the text, not from set or dict order."""
    script = (
        "import sys; from clausetrack.diff import diff_words; "
        "a, b = sys.stdin.read().split('\\x00'); print(repr(diff_words(a, b)))"
    )
    old = document(10, 30)
    new, _ = edit(old, 11, 0.1)
    outputs = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            input=old + "\x00" + new,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


@pytest.fixture
def few_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend Unicode has only 40 characters to stand for tokens."""
    monkeypatch.setattr(diff_module, "_CODE_RANGES", (range(0xE000, 0xE028),))
    yield


def test_too_many_distinct_tokens_falls_back_to_lines(few_codes: None) -> None:
    # (spaces before the newlines keep the text one region, so the fallback is reached)
    old = "".join(f"w{n} x{n} y{n} \n" for n in range(20))
    new = old.replace("x5 ", "z5 ")
    ops = diff_words(old, new)
    check(old, new, ops)
    assert changed(ops) == [("delete", "w5 x5 y5 \n"), ("insert", "w5 z5 y5 \n")]


def test_too_many_distinct_lines_is_one_replacement(few_codes: None) -> None:
    old = " ".join(f"w{n}" for n in range(100))
    new = old.replace("w50", "v50")
    ops = diff_words(old, new)
    check(old, new, ops)
    assert changed(ops) == [("delete", old), ("insert", new)]


def fresh_codec_diffs(old: str, new: str) -> list[tuple[int, str]]:
    """The token diff as it was made before codecs were shared: a codec of its own."""
    return diff_module._token_diffs(old, new, diff_module._Codec())


def test_a_shared_codec_with_few_codes_left_diffs_as_a_fresh_one(few_codes: None) -> None:
    """Texts of 30 distinct tokens each, through a codec that has 40 codes in all: the
    second text no longer fits in what the shared codec has left, and must still be
    diffed token by token, as a codec of its own diffs it (not fall back to lines)."""
    texts = [" ".join(f"{w}{n}" for n in range(15)) for w in ("a", "b", "c")]
    for old in texts:
        new = old.replace("7", "8")
        assert diff_module._diff_piece((old, new)) == fresh_codec_diffs(old, new)
        assert len(diff_module._diff_piece((old, new))) > 2  # not one replacement


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=60), st.text(max_size=60)), max_size=8))
def test_texts_diffed_through_one_shared_codec_are_diffed_as_with_their_own(
    pairs: list[tuple[str, str]],
) -> None:
    """What character a token gets never changes a diff, so one codec serves them all."""
    for old, new in pairs:
        assert diff_module._diff_piece((old, new)) == fresh_codec_diffs(old, new)


def lines_aligned_with_codes(sa: list[str], sb: list[str]) -> list[tuple[int, list[str]]]:
    """The definition of the line alignment: the lines encoded and aligned."""
    codec = diff_module._Codec()
    a, b = codec.encode(sa), codec.encode(sb)
    return [
        (op, [codec.token[c] for c in s])
        for op, s in diff_module._align(a, b, diff_module._SEGMENT_RUNS)
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "\n"]), max_size=12),
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "x\n", "y\n", "\n"]), max_size=12),
)
def test_lines_aligned_without_codes_are_aligned_as_with_them(sa: list[str], sb: list[str]) -> None:
    """The short cut of ``_line_ops`` (a changed middle with no line in common) gives
    what encoding and aligning the lines gives, and the other cases are aligned so."""
    assert diff_module._line_ops(sa, sb) == lines_aligned_with_codes(sa, sb)


def test_a_paragraph_with_one_line_changed_is_cut_around_that_line() -> None:
    old = "".join(f"line {n} of the clause\n" for n in range(8))
    new = old.replace("line 3 of", "line three of")
    sa, sb = diff_module._segments(old), diff_module._segments(new)
    assert diff_module._line_ops(sa, sb) == lines_aligned_with_codes(sa, sb)
    # (a line's cut is before its newline: a newline begins the line after it)
    cut, rest = old.index("\nline 3"), old.index("\nline 4")
    assert diff_module._pieces(old, new) == [
        (False, old[:cut], ""),
        (True, "\nline 3 of the clause", "\nline three of the clause"),
        (False, old[rest:], ""),
    ]


# --- properties ------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text())
def test_any_two_texts(old: str, new: str) -> None:
    ops = diff_words(old, new)
    check(old, new, ops)
    assert diff_words(old, new) == ops


PIECES = st.sampled_from(
    [
        "the",
        "party",
        "shall",
        "50%",
        "USD 5",
        "本",
        "é",
        "e\u0301",
        "👍🏽",
        " ",
        "  ",
        "\n",
        "\n\n",
        ",",
        ".",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=60), st.data())
def test_edited_texts(pieces: list[str], data: st.DataObject) -> None:
    """Texts that share most of their content, as drafts do."""
    new_pieces = list(pieces)
    for _ in range(data.draw(st.integers(0, 5))):
        at = data.draw(st.integers(0, len(new_pieces)))
        if data.draw(st.booleans()) and at < len(new_pieces):
            del new_pieces[at]
        else:
            new_pieces.insert(at, data.draw(PIECES))
    old, new = "".join(pieces), "".join(new_pieces)
    ops = diff_words(old, new)
    check(old, new, ops)
    check(new, old, diff_words(new, old))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a b c", "d e", "f", "a", " ", "\n", "\n\n", "\t\n"]), max_size=80)
)
def test_repetitive_lines(pieces: list[str]) -> None:
    old = "".join(pieces)
    new = "".join(reversed(pieces))
    check(old, new, diff_words(old, new))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.sampled_from(
            [*"aZ9 .,-'$%\n\t", "\u0301", "\u200d", "\u4e2d", "\u0e01", "é", "’", "€", "\U0001f1fa"]
        ),
        max_size=40,
    )
)
def test_the_fast_token_pattern_gives_the_full_patterns_tokens(text: str) -> None:
    from clausetrack import tokenize as tokenize_module

    assert tokenize(text) == tokenize_module._full().findall(text)


# --- lines first, and shared among processes --------------------------------------

# The definition of where a text is cut into lines (diff._segments is a faster equal).
CUT = re.compile(r"(?<=[^\s\u200d])(?=\n)")


@given(st.text(alphabet=st.sampled_from("ab \n\t\r\u200d\u2028\xa0\x85"), max_size=40))
def test_lines_are_cut_where_the_definition_says(text: str) -> None:
    assert diff_module._segments(text) == CUT.split(text)


def test_long_document_diffed_in_forked_workers_is_the_same(
    monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    old = document(12, 400)
    new, _ = edit(old, 13, 0.03)
    monkeypatch.setenv("CLAUSETRACK_JOBS", "1")
    serial = diff_words(old, new)
    assert forks == []
    monkeypatch.setenv("CLAUSETRACK_JOBS", "2")
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    assert diff_words(old, new) == serial
    assert len(forks) == 2, "the runs of changed lines were not shared out"
    check(old, new, serial)


@given(
    st.sampled_from("abcde"),
    st.text(alphabet="abcdef", max_size=30),
)
def test_one_token_against_others_without_it_is_what_myers_gives(one: str, others: str) -> None:
    """The alignment's short cut for one token (or line) replaced by others that do not
    hold it gives diff-match-patch's own answer, deletion first."""
    assume(one not in others)
    for x, y in ((one, others), (others, one)):
        expected = diff_module._dmp.diff_main(x, y, False)
        assert diff_module._align(x, y, diff_module._RUNS) == expected
