"""Build the one model of the changes between two versions: a :class:`Comparison`.

Align the clauses of the two versions, diff each clause on its own, attribute
every insertion and deletion (:mod:`clausetrack.attribute`), count words per
party and attach the parties' positions and the key changes. Every output
format renders this same model.
"""

from __future__ import annotations

import contextlib
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any, Protocol

from clausetrack import parallel
from clausetrack.attribute import DiffFn, Step, attribute, blame, version_path
from clausetrack.diff import diff_words
from clausetrack.errors import UsageError
from clausetrack.memory import gc_paused
from clausetrack.model import (
    Clause,
    ClauseDiff,
    ClauseStatus,
    Comparison,
    Corpus,
    KeyChange,
    Op,
    Position,
    Span,
    Version,
    WordStats,
)

_WORD = re.compile(r"\w+")

KeyChangeFinder = Callable[..., tuple[KeyChange, ...]]


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters, digits or underscores."""
    return sum(1 for _ in _WORD.finditer(text))


def _hint(ids: Iterable[str]) -> str:
    listed = sorted(ids)
    shown = ", ".join(listed[:30]) + (", ..." if len(listed) > 30 else "")
    return f"valid ids: {shown}"


def resolve_version(corpus: Corpus, version_id: str) -> Version:
    try:
        return corpus.versions[version_id]
    except KeyError:
        raise UsageError(
            f"no version '{version_id}' in {corpus.root}", _hint(corpus.versions)
        ) from None


def align(old: Version, new: Version) -> list[str]:
    """The clause ids of both versions in the new version's order; a clause the new
    version dropped follows the clause it followed in the old version."""
    present = set(new.clauses)
    followers: dict[str | None, str] = {}  # a clause → the dropped clause right after it
    before: str | None = None
    for clause_id in old.clauses:
        if clause_id not in present:
            followers[before] = clause_id
        before = clause_id
    order: list[str] = []
    for start in (None, *new.clauses):
        if start is not None:
            order.append(start)
        dropped = followers.get(start)
        while dropped is not None:  # a run of dropped clauses, in the old order
            order.append(dropped)
            dropped = followers.get(dropped)
    return order


def _positions(clause: Clause, version_id: str) -> tuple[Position, ...]:
    if not clause.positions:  # most clauses of a long document
        return ()
    return tuple(p for p in clause.positions if version_id in p.versions)


def _status(old_text: str | None, new_text: str | None) -> ClauseStatus:
    if old_text is None:
        return "added"
    if new_text is None:
        return "removed"
    return "unchanged" if old_text == new_text else "changed"


_Stats = tuple[WordStats, dict[str, WordStats]]
Redline = tuple[tuple[Span, ...], tuple[KeyChange, ...], _Stats]
"""A clause's redline between two versions: its attributed spans, its key changes and
its word counts (all, then by party)."""


class KeptRedlines(Protocol):
    """Redlines kept from an earlier run (the report's cache): ``get`` gives one it holds
    for exactly these inputs, ``put`` is handed each one computed."""

    def get(self, clause_id: str, old_id: str, new_id: str) -> Redline | None: ...

    def put(self, clause_id: str, old_id: str, new_id: str, redline: Redline) -> None: ...


def _stats(spans: Sequence[Span]) -> _Stats:
    ins: dict[str, int] = {}
    dels: dict[str, int] = {}
    for span in spans:
        if span.kind == "equal" or span.party is None:
            continue
        bucket = ins if span.kind == "insert" else dels
        bucket[span.party] = bucket.get(span.party, 0) + count_words(span.text)
    parties = sorted(set(ins) | set(dels))
    by_party = {p: WordStats(ins.get(p, 0), dels.get(p, 0)) for p in parties}
    return WordStats(sum(ins.values()), sum(dels.values())), by_party


def sum_stats(items: Iterable[Mapping[str, WordStats]]) -> dict[str, WordStats]:
    total: dict[str, WordStats] = {}
    for mapping in items:
        for party, ws in mapping.items():
            t = total.get(party, WordStats())
            total[party] = WordStats(t.inserted + ws.inserted, t.deleted + ws.deleted)
    return dict(sorted(total.items()))


def diff_clause(
    corpus: Corpus,
    clause: Clause,
    old: Version,
    new: Version,
    diff: DiffFn = diff_words,
    find_key_changes: KeyChangeFinder | None = None,
    steps: Sequence[Step] | None = None,
    known_refs: Collection[str] | None = None,
) -> ClauseDiff:
    """The attributed redline of one clause between ``old`` and ``new``; ``steps`` is
    ``version_path(corpus, old.id, new.id)`` when the caller has it already."""
    if steps is None:
        steps = version_path(corpus, old.id, new.id)
    spans, key = _redline(corpus, clause, old, new, diff, find_key_changes, steps, known_refs)
    return _clause_diff(clause, old, new, spans, key)


def _redline(
    corpus: Corpus,
    clause: Clause,
    old: Version,
    new: Version,
    diff: DiffFn,
    find_key_changes: KeyChangeFinder | None,
    steps: Sequence[Step],
    known_refs: Collection[str] | None,
) -> tuple[tuple[Span, ...], tuple[KeyChange, ...]]:
    """The costly part of :func:`diff_clause`: the attributed spans and the key changes."""
    old_text, new_text = clause.text_at(old.id), clause.text_at(new.id)
    texts = [old_text] + [clause.text_at(s.after) for s in steps]
    diff = _memo(diff)  # adjacent versions: the chain's one step is the redline itself

    def party_of(version_id: str) -> str:
        return corpus.proposer(clause.id, version_id)

    with _reading_ahead(find_key_changes, old_text, new_text, known_refs):
        chain = blame(texts, [s.author for s in steps], diff)
        fallback = chain.last_author or new.id
        ops = diff(old_text, new_text) if old_text != new_text else _equal(old_text)
        spans = attribute(ops, chain, party_of, fallback)
        key: tuple[KeyChange, ...] = ()
        if find_key_changes is not None and old_text != new_text:
            key = find_key_changes(old_text, new_text, spans, known_refs=known_refs)
    return spans, key


def _reading_ahead(
    find_key_changes: KeyChangeFinder | None,
    old_text: str,
    new_text: str,
    known_refs: Collection[str] | None,
) -> contextlib.AbstractContextManager[None]:
    """While a long clause is diffed, a worker splits it into sentences for the key
    changes (:func:`clausetrack.keychanges.reading_ahead`, which decides when that pays)."""
    if find_key_changes is None:
        return contextlib.nullcontext()
    from clausetrack import keychanges

    return keychanges.reading_ahead(old_text, new_text, known_refs)


def _clause_diff(
    clause: Clause,
    old: Version,
    new: Version,
    spans: tuple[Span, ...],
    key: tuple[KeyChange, ...],
    stats: _Stats | None = None,
) -> ClauseDiff:
    """The clause's diff from its redline; ``stats`` are ``_stats(spans)`` when a worker
    counted them already."""
    old_ct, new_ct = clause.texts.get(old.id), clause.texts.get(new.id)
    words, by_party = _stats(spans) if stats is None else stats
    notes = tuple(ct.note for ct in (old_ct, new_ct) if ct and ct.note)
    return ClauseDiff(
        clause=clause,
        old_version=old.id,
        new_version=new.id,
        status=_status(old_ct.text if old_ct else None, new_ct.text if new_ct else None),
        old_text=old_ct.text if old_ct else "",
        new_text=new_ct.text if new_ct else "",
        spans=spans,
        words=words,
        words_by_party=by_party,
        old_positions=_positions(clause, old.id),
        new_positions=_positions(clause, new.id),
        notes=tuple(dict.fromkeys(notes)),
        key_changes=key,
    )


def provision_labels(version: Version) -> tuple[str, ...]:
    """The cross-reference labels that exist in ``version``: its clauses are numbered by
    their order, as the redline numbers them ("Article 3", "Section 3", "Clause 3").
    A reference to a number past the last clause is a dangling cross-reference."""
    n = len(version.clauses)
    return tuple(
        f"{kind} {i}" for kind in ("Article", "Section", "Clause") for i in range(1, n + 1)
    )


def _memo(diff: DiffFn) -> DiffFn:
    seen: dict[tuple[str, str], tuple[Op, ...]] = {}

    def cached(a: str, b: str) -> tuple[Op, ...]:
        if (a, b) not in seen:
            seen[a, b] = diff(a, b)
        return seen[a, b]

    return cached


def _equal(text: str) -> tuple[Op, ...]:
    return (Op("equal", text),) if text else ()


def compare(
    corpus: Corpus,
    old_id: str,
    new_id: str,
    clause_ids: Sequence[str] = (),
    *,
    key_changes: bool = True,
    diff: DiffFn = diff_words,
    jobs: int | None = 1,
    finder: KeyChangeFinder | None = None,
    kept: KeptRedlines | None = None,
) -> Comparison:
    """Compare two versions of ``corpus``, optionally only some clauses.

    ``diff`` is the word diff; the report passes one memo to all its comparisons, so a
    diff between two texts is computed once however many redlines and blames need it.
    ``jobs`` is how many processes may share the clauses: 1 (the default) runs all in
    this one, ``None`` decides by the work and the cores (:mod:`clausetrack.parallel`).
    The result is the same whatever ``jobs`` is. ``finder`` replaces the key-change
    detector (the report passes one that remembers its findings between runs), and
    ``kept`` gives the redlines known from an earlier run (only the others are computed).
    """
    if jobs is None:  # read once, so a bad $CLAUSETRACK_JOBS is an error whatever the size
        jobs = parallel.jobs_from_env()
    old = resolve_version(corpus, old_id)
    new = resolve_version(corpus, new_id)
    order = align(old, new)
    if clause_ids:
        order = _select(corpus, order, clause_ids, old, new)
    if not key_changes:
        finder = None
    elif finder is None:
        finder = _key_change_finder()
    refs = provision_labels(new)
    steps = version_path(corpus, old.id, new.id)
    clauses = [corpus.clauses[c] for c in order]

    def redline_of(clause: Clause) -> Redline:
        spans, key = _redline(corpus, clause, old, new, diff, finder, steps, refs)
        return spans, key, _stats(spans)

    def packed_redline_of(clause: Clause) -> _Packed:
        return _pack(*redline_of(clause))

    # Diffs and key changes, and redlines read from the report's cache, make millions of
    # short-lived objects and no cycles: the cyclic collector would only walk the heap
    # again and again (memory.gc_paused).
    # Each clause's diff is made as its redline comes back, while the workers go on with
    # the next ones, rather than all of them after the last.
    diffs_made: list[ClauseDiff] = []
    with parallel.limited(jobs), gc_paused(), contextlib.ExitStack() as stack:
        known = [kept.get(c.id, old.id, new.id) if kept else None for c in clauses]
        todo = [c for c, k in zip(clauses, known, strict=True) if k is None]
        fresh: Iterator[Redline]
        if jobs == 1:
            fresh = map(redline_of, todo)
        else:
            costs = [_cost(c, old.id, new.id) for c in todo]
            packed = parallel.map_ordered(packed_redline_of, todo, costs, jobs)
            stack.callback(packed.close)  # the workers are stopped however this ends
            fresh = map(_unpack, packed)
        for clause, found in zip(clauses, known, strict=True):
            if found is None:
                found = next(fresh)
                if kept is not None:
                    kept.put(clause.id, old.id, new.id, found)
            spans, key, stats = found
            diffs_made.append(_clause_diff(clause, old, new, spans, key, stats))
    diffs = tuple(diffs_made)
    counts: dict[ClauseStatus, int] = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for d in diffs:
        counts[d.status] += 1
    by_party = sum_stats(d.words_by_party for d in diffs)
    words = WordStats(sum(d.words.inserted for d in diffs), sum(d.words.deleted for d in diffs))
    path = (old.id, *(s.after for s in steps))
    return Comparison(corpus, old, new, path, diffs, counts, words, by_party)


KEY_CHANGE_FIELDS = tuple(f.name for f in fields(KeyChange))
_key_change_fields = operator.attrgetter(*KEY_CHANGE_FIELDS)
_Packed = tuple[
    tuple[tuple[Any, ...], ...],
    tuple[tuple[Any, ...], ...],
    tuple[int, int, tuple[tuple[str, int, int], ...]],
]


def _pack(spans: tuple[Span, ...], key: tuple[KeyChange, ...], stats: _Stats) -> _Packed:
    """A clause's redline and word counts as plain tuples, which cross from a worker
    process ten times faster than dataclasses (and faster than named tuples, whose
    pickles name their class: a span goes as ``tuple(span)``)."""
    words, by_party = stats
    return (
        tuple(map(tuple, spans)),
        tuple(map(_key_change_fields, key)),
        (
            words.inserted,
            words.deleted,
            tuple((p, ws.inserted, ws.deleted) for p, ws in by_party.items()),
        ),
    )


def _unpack(packed: _Packed) -> tuple[tuple[Span, ...], tuple[KeyChange, ...], _Stats]:
    spans, key, (inserted, deleted, by_party) = packed
    stats = (WordStats(inserted, deleted), {p: WordStats(i, d) for p, i, d in by_party})
    return tuple(map(Span._make, spans)), tuple(KeyChange(*k) for k in key), stats


def _cost(clause: Clause, old_id: str, new_id: str) -> int:
    """A clause's share of the work: its two texts' length when they differ."""
    old, new = clause.text_at(old_id), clause.text_at(new_id)
    return 0 if old == new else len(old) + len(new)


def _select(
    corpus: Corpus, order: list[str], wanted: Sequence[str], old: Version, new: Version
) -> list[str]:
    for clause_id in wanted:
        if clause_id not in corpus.clauses:
            raise UsageError(f"no clause '{clause_id}' in {corpus.root}", _hint(corpus.clauses))
        if clause_id not in order:
            raise UsageError(
                f"clause '{clause_id}' is in neither '{old.id}' nor '{new.id}'",
                _hint(order),
            )
    keep = set(wanted)
    return [c for c in order if c in keep]


def _key_change_finder() -> KeyChangeFinder | None:
    """The key-change detector, imported only when a comparison needs it (start-up
    time). Benchmarks and tests replace this hook to measure without it."""
    from clausetrack import keychanges

    finder: KeyChangeFinder = keychanges.find_key_changes
    return finder
