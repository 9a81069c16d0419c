"""The word diff's unit, apart from the rest of the model so that the diff alone
imports little (:mod:`clausetrack.model` re-exports both names)."""

from __future__ import annotations

from typing import Literal, NamedTuple

OpKind = Literal["equal", "insert", "delete"]


class Op(NamedTuple):
    """One run of the word diff: text kept, inserted or deleted.

    A named tuple rather than a dataclass: the word diff alone (``diff_words`` in a
    process of its own, as the benchmarks run it) then never imports :mod:`dataclasses`
    and :mod:`inspect`, 17 ms of its start-up, and an op is made faster."""

    kind: OpKind
    text: str
