"""The word diff's unit, apart from the rest of the model so that the diff alone
imports little (:mod:`clausetrack.model` re-exports both names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OpKind = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Op:
    """One run of the word diff: text kept, inserted or deleted."""

    kind: OpKind
    text: str
