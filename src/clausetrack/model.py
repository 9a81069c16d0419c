"""The typed data every stage passes on: the corpus as loaded, and the model of the changes.

Everything here is a frozen dataclass holding plain values. The corpus reader
(:mod:`clausetrack.corpus`) builds the first half; :mod:`clausetrack.compare`
builds the second; every output format reads the same :class:`Comparison`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from clausetrack.ops import Op as Op
from clausetrack.ops import OpKind as OpKind

Role = Literal["negotiator", "observer"]
ROLES: tuple[Role, ...] = ("negotiator", "observer")

Status = Literal[
    "proposal", "counter-proposal", "draft", "agreed", "signed", "rejected", "withdrawn"
]
STATUSES: tuple[Status, ...] = (
    "proposal",
    "counter-proposal",
    "draft",
    "agreed",
    "signed",
    "rejected",
    "withdrawn",
)

Stance = Literal["proposes", "supports", "accepts", "reserves", "opposes", "rejects"]
STANCES: tuple[Stance, ...] = ("proposes", "supports", "accepts", "reserves", "opposes", "rejects")

ClauseStatus = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True)
class Loc:
    """Where a value was read: a file, and a 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    short: str
    color: str
    role: Role
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    date: str
    publisher: str = ""
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Event:
    date: str
    title: str
    parties: tuple[str, ...]
    sources: tuple[str, ...]
    description: str = ""
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Agreement:
    title: str
    summary: str
    parties: tuple[Party, ...]
    sources: tuple[Source, ...]
    events: tuple[Event, ...]

    def party(self, party_id: str) -> Party:
        for p in self.parties:
            if p.id == party_id:
                return p
        raise KeyError(party_id)

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


@dataclass(frozen=True)
class Version:
    id: str
    title: str
    date: str
    proposed_by: str
    based_on: str | None
    status: Status
    summary: str
    sources: tuple[str, ...]
    clauses: tuple[str, ...]
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ClauseText:
    """A clause's text in one version, with who wrote it when that differs from the version."""

    text: str
    proposed_by: str | None = None
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Position:
    party: str
    versions: tuple[str, ...]
    stance: Stance
    statement: str = ""
    speaker: str = ""
    date: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    topic: str
    texts: Mapping[str, ClauseText]
    positions: tuple[Position, ...]
    sources: tuple[str, ...] = ()
    loc: Loc | None = field(default=None, compare=False)

    def text_at(self, version_id: str) -> str:
        """The clause's text in ``version_id``; empty when the version does not have it."""
        ct = self.texts.get(version_id)
        return ct.text if ct else ""


@dataclass(frozen=True)
class Corpus:
    """A whole corpus: the agreement manifest, its versions and its clauses, by id.

    ``versions`` and ``clauses`` keep the order of their ids (sorted), so
    iterating them is deterministic.
    """

    root: Path
    agreement: Agreement
    versions: Mapping[str, Version]
    clauses: Mapping[str, Clause]

    def proposer(self, clause_id: str, version_id: str) -> str:
        """The party that wrote ``clause_id`` as it stands in ``version_id``."""
        text = self.clauses[clause_id].texts.get(version_id)
        if text is not None and text.proposed_by:
            return text.proposed_by
        return self.versions[version_id].proposed_by


# --- the model of the changes ------------------------------------------------


class Span(NamedTuple):
    """An attributed run of a redline.

    ``version`` and ``party`` name who made an insertion or deletion; they are
    ``None`` for equal text.

    A named tuple rather than a dataclass, as :class:`Op` is: a long comparison makes
    spans by the hundred thousand (attributed in the workers, made again where their
    results are gathered), and a tuple is made in a fraction of a frozen dataclass's
    time, with the same fields, repr, equality, hash and immutability.
    """

    kind: OpKind
    text: str
    version: str | None = None
    party: str | None = None


@dataclass(frozen=True)
class KeyChange:
    """A material change a negotiator cares about (an amount, a modality, an actor, ...)."""

    kind: str
    before: str | None
    after: str | None
    summary: str
    span_start: int  # index of the first redline span it comes from
    span_end: int  # index one past the last
    party: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class WordStats:
    inserted: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class ClauseDiff:
    clause: Clause
    old_version: str
    new_version: str
    status: ClauseStatus
    old_text: str
    new_text: str
    spans: tuple[Span, ...]
    words: WordStats
    words_by_party: Mapping[str, WordStats]
    old_positions: tuple[Position, ...]
    new_positions: tuple[Position, ...]
    notes: tuple[str, ...] = ()
    key_changes: tuple[KeyChange, ...] = ()


@dataclass(frozen=True)
class Comparison:
    corpus: Corpus
    old: Version
    new: Version
    path: tuple[str, ...]  # the version ids walked from old to new along based_on
    clauses: tuple[ClauseDiff, ...]
    counts: Mapping[ClauseStatus, int]
    words: WordStats
    words_by_party: Mapping[str, WordStats]
    shown: str = ""  # when only some compared clauses are shown, says which

    @property
    def has_changes(self) -> bool:
        """Whether the compared clauses differ (``counts`` covers them all, also when
        ``--material-only`` shows fewer)."""
        return any(n for status, n in self.counts.items() if status != "unchanged")
