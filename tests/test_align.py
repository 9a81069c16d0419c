"""Clause alignment: both versions' clauses, in the new order, dropped ones where they were."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clausetrack.compare import align
from clausetrack.model import Version


def version(clauses: list[str]) -> Version:
    return Version("v", "V", "2025-01-01", "p", None, "draft", "", (), tuple(clauses))


def reference(old: list[str], new: list[str]) -> list[str]:
    """The rule, spelled out: each dropped clause goes right after the clause it followed
    in the old version (itself already placed), or first."""
    order = list(new)
    for i, clause in enumerate(old):
        if clause in order:
            continue
        order.insert(order.index(old[i - 1]) + 1 if i else 0, clause)
    return order


IDS = st.lists(st.sampled_from([f"c{i}" for i in range(12)]), unique=True)


@given(IDS, IDS)
def test_alignment_follows_the_rule(old: list[str], new: list[str]) -> None:
    order = align(version(old), version(new))
    assert order == reference(old, new)
    assert sorted(order) == sorted(set(old) | set(new))


def test_dropped_clauses_follow_their_old_neighbours() -> None:
    old, new = ["a", "b", "c", "d", "e"], ["e", "a", "x", "d"]
    assert align(version(old), version(new)) == ["e", "a", "b", "c", "x", "d"]


def test_every_clause_renamed() -> None:
    """Every old clause dropped: they come first, in their order (20,000 of them, which
    took seconds when each was placed by searching the order built so far)."""
    old = [f"a{i}" for i in range(20_000)]
    new = [f"b{i}" for i in range(20_000)]
    assert align(version(old), version(new)) == old + new
