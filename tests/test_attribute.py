"""Attribution: every inserted word credited to the version that introduced it, every
deleted word to the version that removed it, along the based_on chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausetrack.attribute import Blame, _coalesce, attribute, blame, version_path
from clausetrack.compare import compare
from clausetrack.diff import diff_words
from clausetrack.model import (
    Agreement,
    Clause,
    ClauseText,
    Corpus,
    Op,
    Party,
    Span,
    Version,
)


def make_corpus(
    texts: dict[str, dict[str, ClauseText]], tree: dict[str, tuple[str | None, str]]
) -> Corpus:
    """A corpus from ``{clause: {version: text}}`` and ``{version: (based_on, proposer)}``."""
    parties = (
        Party("a", "Alpha", "A", "#123456", "negotiator"),
        Party("b", "Beta", "B", "#654321", "negotiator"),
    )
    versions = {
        vid: Version(
            vid,
            f"Version {vid}",
            f"2025-01-0{i + 1}",
            proposer,
            base,
            "draft",
            "",
            (),
            tuple(c for c in texts if vid in texts[c]),
        )
        for i, (vid, (base, proposer)) in enumerate(tree.items())
    }
    clauses = {
        cid: Clause(cid, cid.title(), "topic", by_version, ()) for cid, by_version in texts.items()
    }
    return Corpus(Path("."), Agreement("T", "", parties, (), ()), versions, clauses)


CHAIN = {"v1": (None, "a"), "v2": ("v1", "b"), "v3": ("v2", "a")}


def changed(spans: tuple[Span, ...]) -> list[tuple[str, str, str | None, str | None]]:
    return [(s.kind, s.text, s.version, s.party) for s in spans if s.kind != "equal"]


def test_three_version_chain_credits_each_word_to_its_author() -> None:
    corpus = make_corpus(
        {
            "pay": {
                "v1": ClauseText("Ukraine shall pay USD 50 billion to the United States."),
                "v2": ClauseText("Ukraine shall contribute to the Fund."),
                "v3": ClauseText("Ukraine shall contribute 50 percent of revenues to the Fund."),
            }
        },
        CHAIN,
    )
    c = compare(corpus, "v1", "v3", key_changes=False)
    (d,) = c.clauses
    got = changed(d.spans)
    # v2 (Beta) replaced the payment with a contribution to the Fund; v3 (Alpha) added the share.
    assert any(k == "delete" and "USD 50 billion" in t and v == "v2" for k, t, v, _ in got)
    inserted = {t.strip(): (v, p) for k, t, v, p in got if k == "insert"}
    assert any("contribute" in t and vp == ("v2", "b") for t, vp in inserted.items())
    assert any("50 percent of revenues" in t and vp == ("v3", "a") for t, vp in inserted.items())
    # Exactness: the spans rebuild both texts.
    assert "".join(s.text for s in d.spans if s.kind != "insert") == d.old_text
    assert "".join(s.text for s in d.spans if s.kind != "delete") == d.new_text
    assert c.path == ("v1", "v2", "v3")


# Sentences with no words in common, so the expected redline is unambiguous.
FIRST = "Preamble recitals remain untouched."
SECOND = "Repayment of earlier assistance disappears later on."
THIRD = "Governing law stays English."
FOURTH = "Beta inserts arbitration terms."
FIFTH = "Alpha appends ratification wording."


def test_word_counts_per_party_add_up() -> None:
    corpus = make_corpus(
        {
            "x": {
                "v1": ClauseText(f"{FIRST} {SECOND} {THIRD}"),
                "v2": ClauseText(f"{FIRST} {SECOND} {THIRD} {FOURTH}"),
                "v3": ClauseText(f"{FIRST} {THIRD} {FOURTH} {FIFTH}"),
            }
        },
        CHAIN,
    )
    c = compare(corpus, "v1", "v3", key_changes=False)
    assert c.words_by_party["b"].inserted == 4  # the fourth sentence, by Beta in v2
    assert c.words_by_party["a"].inserted == 4  # the fifth sentence, by Alpha in v3
    assert c.words_by_party["a"].deleted == 7  # the second sentence, removed by Alpha in v3
    assert c.words_by_party["b"].deleted == 0
    assert (c.words.inserted, c.words.deleted) == (8, 7)


def test_clause_proposed_by_overrides_the_version_proposer() -> None:
    corpus = make_corpus(
        {
            "sites": {
                "v1": ClauseText("Existing sites shall be transferred."),
                "v2": ClauseText("Existing sites shall not be transferred.", proposed_by="a"),
            }
        },
        {"v1": (None, "a"), "v2": ("v1", "b")},
    )
    (d,) = compare(corpus, "v1", "v2", key_changes=False).clauses
    assert changed(d.spans) == [("insert", "not ", "v2", "a")]


def test_added_and_removed_clauses_are_credited_whole() -> None:
    corpus = make_corpus(
        {
            "demand": {"v1": ClauseText("Pay USD 50 billion.")},
            "fund": {"v2": ClauseText("A Fund is established.")},
        },
        {"v1": (None, "a"), "v2": ("v1", "b")},
    )
    c = compare(corpus, "v1", "v2", key_changes=False)
    status = {d.clause.id: d.status for d in c.clauses}
    assert status == {"demand": "removed", "fund": "added"}
    by_id = {d.clause.id: changed(d.spans) for d in c.clauses}
    assert by_id["demand"] == [("delete", "Pay USD 50 billion.", "v2", "b")]
    assert by_id["fund"] == [("insert", "A Fund is established.", "v2", "b")]
    assert c.counts == {"added": 1, "removed": 1, "changed": 0, "unchanged": 0}


def test_text_changed_and_changed_back_shows_nothing() -> None:
    corpus = make_corpus(
        {
            "x": {
                "v1": ClauseText("The Fund shall be managed jointly."),
                "v2": ClauseText("The Fund shall be managed by the United States."),
                "v3": ClauseText("The Fund shall be managed jointly."),
            }
        },
        CHAIN,
    )
    c = compare(corpus, "v1", "v3", key_changes=False)
    assert c.clauses[0].status == "unchanged"
    assert not c.has_changes


def test_path_through_common_ancestor() -> None:
    corpus = make_corpus(
        {"x": {v: ClauseText(v) for v in ("root", "left", "right")}},
        {"root": (None, "a"), "left": ("root", "a"), "right": ("root", "b")},
    )
    steps = version_path(corpus, "left", "right")
    assert [(s.before, s.after, s.author) for s in steps] == [
        ("left", "root", "left"),
        ("root", "right", "right"),
    ]
    c = compare(corpus, "left", "right", key_changes=False)
    assert changed(c.clauses[0].spans) == [
        ("delete", "left", "left", "a"),
        ("insert", "right", "right", "b"),
    ]


@pytest.mark.parametrize("old,new", [("v1", "v1"), ("v3", "v3")])
def test_same_version_has_no_changes(old: str, new: str) -> None:
    corpus = make_corpus({"x": {v: ClauseText(f"text {v}") for v in CHAIN}}, CHAIN)
    c = compare(corpus, old, new, key_changes=False)
    assert not c.has_changes and c.path == (old,)


def test_dangling_cross_reference_is_a_key_change() -> None:
    corpus = make_corpus(
        {
            "x": {
                "v1": ClauseText("Disputes shall be settled by negotiation."),
                "v2": ClauseText("Disputes shall be settled as provided in Article 9."),
            }
        },
        {"v1": (None, "a"), "v2": ("v1", "b")},
    )
    (d,) = compare(corpus, "v1", "v2").clauses
    refs = [k for k in d.key_changes if k.kind == "cross-reference"]
    assert [k.summary for k in refs] == [
        "Reference to Article 9, which does not exist in this version"
    ]
    assert refs[0].party == "b" and refs[0].version == "v2"


def credited_char_by_char(
    ops: tuple[Op, ...], chain: Blame, party_of: Callable[[str], str], fallback: str
) -> tuple[Span, ...]:
    """The definition of attribution: each changed character is credited to the blame
    range over it (``fallback`` where none is)."""
    spans: list[Span] = []
    old_pos = new_pos = 0
    for op in ops:
        if op.kind == "equal":
            spans.append(Span("equal", op.text))
            old_pos += len(op.text)
            new_pos += len(op.text)
            continue
        ranges, pos = (
            (chain.introduced, new_pos) if op.kind == "insert" else (chain.removed, old_pos)
        )
        for k, char in enumerate(op.text):
            who = next((w for a, b, w in ranges if a <= pos + k < b), fallback)
            spans.append(Span(op.kind, char, who, party_of(who)))
        if op.kind == "insert":
            new_pos += len(op.text)
        else:
            old_pos += len(op.text)
    return _coalesce(spans)  # alike neighbours joined, as attribute joins them


WORDS = st.lists(st.sampled_from(["alpha ", "beta ", "gamma ", "delta ", "\n", ". "]), max_size=16)


@settings(max_examples=500, deadline=None)
@given(st.lists(WORDS.map("".join), min_size=2, max_size=6))
def test_every_changed_character_is_credited_by_the_blame_over_it(texts: list[str]) -> None:
    authors = [f"v{i}" for i in range(1, len(texts))]
    chain = blame(texts, authors, diff_words)
    ops = diff_words(texts[0], texts[-1])
    fallback = chain.last_author or "v0"

    def party_of(version: str) -> str:
        return "party of " + version

    expected = credited_char_by_char(ops, chain, party_of, fallback)
    assert attribute(ops, chain, party_of, fallback) == expected
