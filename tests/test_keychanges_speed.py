"""The key-change detector's shortcuts give the answers of the definitions they replace.

Reading a long clause takes shortcuts: word-level anchors are read once per distinct
whitespace-separated chunk instead of by a pattern per sort of anchor, tokens come from
chunks too, sentence ends and cross-references are found with ``str.find``, the
case-insensitive patterns are matched as lower-case ones on lower-cased text, words are
stemmed only where a stem is looked up, and kept words are counted per sentence rather
than one by one. Each test here puts input on both sides of a shortcut's line (the
characters that behave differently, the edges of chunks, sentences and kept spans) and
checks the shortcut against its definition, or what the user is told.
"""

from __future__ import annotations

import itertools
import re
import sys

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_keychanges import EVAL

from clausetrack import keychanges as kc
from clausetrack.keychanges import find_key_changes
from clausetrack.model import KeyChange, Span

CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that sit on the shortcuts' edges: anchor words in and out of longer words and
# hyphenated ones, digits against letters and punctuation, every sort of whitespace,
# characters that lower-case or match without case unlike ASCII ("İ", "ı", "ſ", the
# Kelvin sign), word characters that are not ASCII letters, and currency signs.
PIECES = [
    *("in", "In", "perpetuity", "perpetual", "indefinitely", "period", "one", "Twenty-one"),
    *("half", "thirds", "if", "unless", "subject", "on", "with", "provided", "shall", "may"),
    *("agrees", "undertakes", "is", "are", "does", "not", "paid", "applies", "liable"),
    *("2025", "12", "1,000", "3.5", "10/12/2025", "5%", "30 days", "USD", "u.s.", "$", "€"),
    *("eur", "aud", "Section", "section", "Art.", "Article IV", "§", "Part", "party", "(a)"),
    *("_", "é", "\u212a", "İ", "ı", "ſ", "²", "½", "Σ", "'", "’", "-", ",", ".", ";", "!", "?"),
    *("e.g.", "No.", "U.S.", "a.", "1one", "one1", "means", '"Fee"', "“Term”", "(the"),
    *("Ltéco.", "Corp.", "Inc.", "para.", "Schedule", "Licensee."),
]
SEPARATORS = [" ", " ", " ", "", "\n", "\n\n", "  ", "\t", ". ", "; ", "\xa0", "\u3000", "\x85"]
texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda parts: "".join(p + s for p, s in parts)
)


def anchors(found: kc._Anchors) -> tuple[object, ...]:
    spans = [(m.span(), m.group()) for m in found.perpetual]
    return found.nums, found.currencies, found.fractions, found.years, spans, found.conditions


@CHECKS
@given(text=texts, picks=st.lists(st.booleans(), max_size=40))
@example(text="in perpetuity, one half", picks=[True])
@example(text="Foo.\n\nIn \n perpetuity; in  perpetuity! indefinite  period", picks=[False, True])
def test_anchors_read_chunk_by_chunk_are_those_the_patterns_find(
    text: str, picks: list[bool]
) -> None:
    lower = kc._lowered(text)
    sentences = kc._split_sentences(text, tokens=False)
    active = {i for i, pick in zip(range(len(sentences)), picks, strict=False) if pick}
    for regions in ([(0, len(text))] if text else [], kc._runs(sentences, active)):
        fast, slow = kc._scan_anchors(lower, regions), kc._anchors_by_patterns(lower, regions)
        assert anchors(fast) == anchors(slow)


@CHECKS
@given(text=texts)
def test_tokens_read_chunk_by_chunk_are_the_pattern_s(text: str) -> None:
    for s in kc._split_sentences(text, tokens=True):
        want = [(m.group(), m.start(), m.end()) for m in kc._TOKEN.finditer(text, s.start, s.end)]
        assert s.tokens == want
        assert s.low == [t.lower() for t, _, _ in want]
        assert s.heads == [k for k, (t, _, _) in enumerate(want) if kc._maybe_head(t.lower())]
        words = [a for t, a, _ in want if kc._is_word(t) or t[:1].isdigit()]
        assert s.words == words
        assert kc._has_head(text, kc._Sentence(s.start, s.end)) == bool(s.heads)


def sentences_by_pattern(text: str) -> list[tuple[int, int]]:
    """The definition: a cut after each end mark that does not close an abbreviation."""
    cuts = [0]
    for m in kc._CUT.finditer(text):
        if m.group() == ".":
            before = re.search(r"([A-Za-z.]+)$", text[max(0, m.start() - 12) : m.start()])
            word = before.group(1).lower() if before else ""
            if word in kc._ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        cuts.append(m.end())
    cuts.append(len(text))
    return [(a, b) for a, b in itertools.pairwise(cuts) if text[a:b].strip()]


@CHECKS
@given(text=texts)
@example(text="Sold by Ltéco. The Buyer pays. The firm of Smith Co. agrees.\n\nU.S. Inc. ends.")
def test_sentences_are_cut_where_the_patterns_cut_them(text: str) -> None:
    got = [(s.start, s.end) for s in kc._split_sentences(text, tokens=False)]
    assert got == sentences_by_pattern(text)


def touched_by_pattern(sentences: list[kc._Sentence], changes: list[tuple[int, int]]) -> set[int]:
    """The definition: the sentences at each change's first and last character (the one
    before too, for an insertion at a sentence's start)."""
    act: set[int] = set()
    for a, b in changes:
        first, last = kc._sent_at(sentences, a), kc._sent_at(sentences, max(a, b - 1))
        act.update(range(first, last + 1))
        if b == a and first > 0 and sentences[first].start >= a - 1:
            act.add(first - 1)
    return act


@CHECKS
@given(old=texts, new=texts)
def test_the_sentences_a_change_touches_are_those_its_ends_fall_in(old: str, new: str) -> None:
    spans = EVAL.redline(old, new)
    ranges = [r for r, s in zip(kc._span_ranges(spans), spans, strict=True) if s.kind != "equal"]
    for text, changes in ((old, [r[:2] for r in ranges]), (new, [r[2:] for r in ranges])):
        sentences = kc._split_sentences(text, tokens=False)
        if sentences:
            want = touched_by_pattern(sentences, changes)
            assert kc._touched([s.start for s in sentences], changes) == want


def test_an_insertion_between_two_sentences_touches_both() -> None:
    sentences = kc._split_sentences("One. Two. Three.", tokens=False)
    starts = [s.start for s in sentences]
    for at in range(len("One. Two. Three.") + 1):
        for b in (at, at + 1):
            assert kc._touched(starts, [(at, b)]) == touched_by_pattern(sentences, [(at, b)])


@CHECKS
@given(text=texts)
def test_sentence_ends_and_references_found_by_find_are_the_patterns(text: str) -> None:
    assert kc._cut_points(text) == [m.span() for m in kc._CUT.finditer(text)]
    assert [m.span() for m in kc._ref_matches(text)] == [m.span() for m in kc._REF.finditer(text)]


def test_the_whitespace_replaced_is_what_split_and_the_patterns_take_for_it() -> None:
    space = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(kc._ASCII_SPACES + kc._OTHER_SPACES + " ") == space
    assert all(re.fullmatch(r"\s", c) for c in space)


def test_only_the_trap_characters_match_an_ascii_letter_without_case_unlike_lower() -> None:
    letter = re.compile("[a-z]", re.IGNORECASE)
    ascii_lower = set("abcdefghijklmnopqrstuvwxyz")
    matched = [chr(c) for c in range(sys.maxunicode + 1) if letter.fullmatch(chr(c))]
    assert {c for c in matched if c.lower() not in ascii_lower} == set(kc._CASE_TRAPS)


@CHECKS
@given(text=texts)
def test_lower_case_twins_match_where_the_case_insensitive_patterns_do(text: str) -> None:
    lower = kc._lowered(text)
    caseless = kc._caseless(lower)
    if caseless is None:
        assert any(c in text for c in kc._CASE_TRAPS)
        return
    for pattern in (kc._AMOUNT_SUFFIX, kc._PERCENT, kc._DURATION, kc._COND_START):
        for pos in range(len(text)):
            a, b = pattern.nocase.match(text, pos), pattern.low.match(caseless, pos)
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert a.regs == b.regs
                assert [(g or "").lower() for g in a.groups()] == [g or "" for g in b.groups()]


@CHECKS
@given(text=texts, extra=st.lists(st.sampled_from(PIECES), max_size=6))
def test_a_stem_looked_up_is_there_exactly_when_the_text_has_a_word_with_it(
    text: str, extra: list[str]
) -> None:
    side = kc._Side(text, [], [], [], [], [])
    every = kc._side_lemmas(side)
    asked = kc._Side(text, [], [], [], [], [])  # one side asked everything, twice
    for word in [*extra, "pay", "apply", "agr", "undertak", "liable", "party’s", "y"]:
        for stem in {word, kc._lemma(word)}:
            assert kc._Side(text, [], [], [], [], []).has_lemma(stem) == (stem in every)
            assert asked.has_lemma(stem) == asked.has_lemma(stem) == (stem in every)


def counted_one_by_one(
    old: list[kc._Sentence], new: list[kc._Sentence], ranges: list[tuple[int, int, int, int]]
) -> dict[tuple[int, int], int]:
    """The definition: each old word in a kept span, paired with the new word at its place."""
    new_at = {off: j for j, s in enumerate(new) for off in s.words}
    shared: dict[tuple[int, int], int] = {}
    for i, s in enumerate(old):
        for off in s.words:
            span = next((r for r in ranges if r[0] <= off < r[1]), None)
            if span is None:
                continue
            j = new_at.get(off - span[0] + span[2])
            if j is not None:
                shared[(i, j)] = shared.get((i, j), 0) + 1
    return shared


@CHECKS
@given(old=texts, new=texts)
def test_kept_words_counted_per_sentence_are_those_counted_one_by_one(old: str, new: str) -> None:
    spans = EVAL.redline(old, new)
    ranges = kc._span_ranges(spans)
    kept = [r for r, s in zip(ranges, spans, strict=True) if s.kind == "equal"]
    a, b = kc._split_sentences(old), kc._split_sentences(new)
    words_a, words_b = kc._word_tokens(a), kc._word_tokens(b)
    got = kc._aligned_words(old, a, b, words_a, words_b, kept, [True] * len(kept))
    want = counted_one_by_one(a, b, kept)
    if want or len(words_a.offsets) + len(words_b.offsets) > 1500:
        assert got == want


def test_words_at_the_start_of_a_kept_span_are_looked_up_one_by_one() -> None:
    # the kept "-bar 2x" begins inside "foo-bar" (one token) but after "1" ("1", "-",
    # "bar"): "bar" is a word of the old text with no word at its place in the new one
    for old, new, cut in (("1-bar 2x z", "foo-bar 2x z", 1), ("foo-bar 2x", "1-bar 2x", 3)):
        spans = [
            Span("delete", old[:cut]),
            Span("insert", new[: len(new) - len(old) + cut]),
            Span("equal", old[cut:]),
        ]
        ranges = kc._span_ranges(spans)
        a, b = kc._split_sentences(old), kc._split_sentences(new)
        kept = [ranges[2]]
        got = kc._aligned_words(old, a, b, kc._word_tokens(a), kc._word_tokens(b), kept, [True])
        assert got == counted_one_by_one(a, b, kept)


def heaviest_by_trying_all(cells: list[tuple[int, int, int]]) -> int:
    best = 0
    for n in range(len(cells) + 1):
        for chain in itertools.combinations(sorted(cells), n):
            if all(p[0] < q[0] and p[1] < q[1] for p, q in itertools.pairwise(chain)):
                best = max(best, sum(w for _, _, w in chain))
    return best


@settings(max_examples=200, deadline=None)
@given(
    cells=st.dictionaries(
        st.tuples(st.integers(0, 5), st.integers(0, 5)), st.integers(1, 4), max_size=7
    )
)
def test_the_chain_of_sentence_pairs_is_the_heaviest(cells: dict[tuple[int, int], int]) -> None:
    listed = [(i, j, w) for (i, j), w in cells.items()]
    pairs = kc._heaviest_chain(listed, 6)
    chain = sorted(pairs.items())
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in itertools.pairwise(chain))
    assert sum(cells[c] for c in chain) == heaviest_by_trying_all(listed)


def changes(old: str, new: str) -> tuple[KeyChange, ...]:
    return find_key_changes(old, new, EVAL.redline(old, new), known_refs=None)


def kinds(found: tuple[KeyChange, ...]) -> list[tuple[str, str | None, str | None]]:
    return [(k.kind, k.before, k.after) for k in found]


def test_a_text_with_a_dotted_capital_i_still_reads_its_amounts_and_conditions() -> None:
    # "İ" lower-cases to two characters and matches "i" without case: the detector
    # falls back to the case-insensitive patterns on the text itself
    old = "İstanbul office. The Buyer shall pay USD 5 million, subject to Approval."
    new = "İstanbul office. The Buyer shall pay USD 6 million, unless the Seller objects."
    assert kinds(changes(old, new)) == [
        ("amount", "USD 5,000,000", "USD 6,000,000"),
        ("condition", "subject to Approval", None),
        ("condition", None, "unless the Seller objects"),
    ]
    # "ſ" matches "s" without case, so "dollarſ" is read as "dollars" was
    old, new = "The Buyer shall pay 5 dollarſ.", "The Buyer shall pay 6 dollarſ."
    assert kinds(changes(old, new)) == [("amount", "DOLLARS 5", "DOLLARS 6")]


def test_a_long_clause_and_its_short_self_say_the_same() -> None:
    # the same change in a clause below and above the size where sentences are paired by
    # characters rather than words, and only changed sentences are read
    filler = "The Parties note the recitals. " * 40
    old = filler + "The Licensee shall pay USD 5 million within thirty (30) days. " + filler
    new = filler + "The Licensee may pay USD 6 million within sixty (60) days. " + filler
    small = set(kinds(changes(old, new)))
    large = set(kinds(changes(old * 20, new * 20)))
    assert small == {
        ("amount", "USD 5,000,000", "USD 6,000,000"),
        ("duration", "30 days", "60 days"),
        ("modality", "shall pay", "may pay"),
    }
    assert large == small


def test_an_added_obligation_whose_verb_the_old_text_has_in_another_form_is_no_finding() -> None:
    long_old = "The Buyer paid the deposit. " + "The Parties note the recitals. " * 200
    new = long_old + "The Seller shall pay the balance."
    assert [k.kind for k in changes(long_old, new)] == []
    new = long_old + "The Seller shall indemnify the Buyer."
    assert [k.kind for k in changes(long_old, new)] == ["modality"]


def test_the_remembered_chunks_do_not_change_an_answer() -> None:
    old = "The Licensee shall pay EUR 10 within 5 days, subject to Section 4."
    new = "The Licensee may pay EUR 12 within 7 days, unless Section 9 applies."
    first = changes(old, new)
    for memo in (kc._CHUNK_ANCHORS, kc._ONE_TOKEN, kc._TOKENS_OF, kc._CHUNK_HEADS):
        memo.clear()
    assert changes(old, new) == first
    assert changes(old, new) == first
