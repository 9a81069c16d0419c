"""The tokenizer: exact round trip, and tokens a reader would call words and amounts."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausetrack import tokenize as tokenize_module
from clausetrack.tokenize import tokenize

CASES = [
    # plain prose: words, spaces, punctuation
    ("The Parties agree.", ["The", " ", "Parties", " ", "agree", "."]),
    ("a  \n\n b", ["a", "  \n\n ", "b"]),
    # apostrophes inside words; a trailing one is punctuation
    ("don't", ["don't"]),
    ("the Party’s rights", ["the", " ", "Party’s", " ", "rights"]),
    ("the parties' rights", ["the", " ", "parties", "'", " ", "rights"]),
    # hyphenated words are words and a hyphen
    ("non-exclusive", ["non", "-", "exclusive"]),
    # amounts stay whole
    ("USD 50 billion", ["USD 50 billion"]),
    ("pay $50.", ["pay", " ", "$50", "."]),
    ("up to 50%", ["up", " ", "to", " ", "50%"]),
    ("50 percent of it", ["50 percent", " ", "of", " ", "it"]),
    ("12.5 per cent", ["12.5 per cent"]),
    ("EUR 1,000,000 or 1000 €", ["EUR 1,000,000", " ", "or", " ", "1000 €"]),
    ("at -3.5 degrees", ["at", " ", "-3.5", " ", "degrees"]),
    # a hyphen between numbers is a range, not a sign
    ("pages 10-20", ["pages", " ", "10", "-", "20"]),
    ("Section 1.2.3 applies", ["Section", " ", "1.2.3", " ", "applies"]),
    ("the 5th day", ["the", " ", "5th", " ", "day"]),
    ("50 percentage points", ["50", " ", "percentage", " ", "points"]),
    # leaders and rules are one token
    ("Title....3", ["Title", "....", "3"]),
    ("-----", ["-----"]),
    # scripts without spaces: one token per character
    ("本协议有效", ["本", "协", "议", "有", "效"]),
    ("契約は有効です", ["契", "約", "は", "有", "効", "で", "す"]),
    # Thai: each base letter keeps its vowel and tone marks
    ("ที่ดิน", ["ที่", "ดิ", "น"]),
    # Korean is written with spaces: words
    ("계약 조항", ["계약", " ", "조항"]),
    # combining marks stay with their letter, in either normal form
    ("naïve", ["naïve"]),
    ("nai\u0308ve", ["nai\u0308ve"]),
    ("नमस्ते दुनिया", ["नमस्ते", " ", "दुनिया"]),
    # right-to-left scripts, with vowel points
    ("שָׁלוֹם עוֹלָם", ["שָׁלוֹם", " ", "עוֹלָם"]),
    ("مرحبا بالعالم", ["مرحبا", " ", "بالعالم"]),
    # emoji: modifiers, joined sequences and flags are one token each
    ("ok 👍🏽!", ["ok", " ", "👍🏽", "!"]),
    ("👨\u200d👩\u200d👧", ["👨\u200d👩\u200d👧"]),
    ("🇫🇷🇩🇪", ["🇫🇷", "🇩🇪"]),
    ("𝐀𝐁 x", ["𝐀𝐁", " ", "x"]),
]


@pytest.mark.parametrize(("text", "tokens"), CASES, ids=[c[0] for c in CASES])
def test_tokens(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_empty() -> None:
    assert tokenize("") == []


def test_no_quadratic_backtracking_input_is_still_exact() -> None:
    text = "1." * 20_000 + "a"
    assert "".join(tokenize(text)) == text


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_round_trip(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_round_trip_with_lone_surrogates(text: str) -> None:
    assert "".join(tokenize(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "1", ".", ",", "'", " ", "\n", "$", "%", "-", "é"])))
def test_round_trip_dense_punctuation(parts: list[str]) -> None:
    text = "".join(parts)
    assert "".join(tokenize(text)) == text


def test_mark_table_matches_this_python() -> None:
    """The hard-coded combining-mark ranges are every mark of this Python's Unicode."""
    marks = re.compile(f"[{tokenize_module._MARKS}]")
    wrong = [
        f"U+{cp:04X}"
        for cp in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(cp))[0] == "M") != bool(marks.match(chr(cp)))
    ]
    assert not wrong, (
        f"_MARKS in tokenize.py is out of date for Unicode {unicodedata.unidata_version}: "
        f"{wrong[:10]}; regenerate it from unicodedata"
    )
