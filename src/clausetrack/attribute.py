"""Word-level blame: who introduced each inserted word and who removed each deleted one.

Comparing two versions that are not adjacent (``us-initial`` → ``signed``) is
decomposed along the ``based_on`` tree: the clause's text is diffed step by
step, each character of every intermediate text remembers where it came from,
and the direct redline's insertions and deletions are then split by origin.
Every diff boundary is a token boundary, so no attribution splits a word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from clausetrack.model import Corpus, Op, Span

DiffFn = Callable[[str, str], tuple[Op, ...]]


@dataclass(frozen=True)
class Step:
    """One edge walked between two versions, and the version credited with its changes."""

    before: str
    after: str
    author: str


def ancestors(corpus: Corpus, version_id: str) -> list[str]:
    """``version_id`` and its ``based_on`` ancestors, nearest first."""
    chain: list[str] = []
    current: str | None = version_id
    while current is not None and current not in chain:
        chain.append(current)
        current = corpus.versions[current].based_on
    return chain


def version_path(corpus: Corpus, old: str, new: str) -> list[Step]:
    """The steps from ``old`` to ``new`` through their nearest common ancestor.

    A forward step (parent → child) is credited to the child. A backward step
    (child → parent, when ``old`` is not an ancestor of ``new``) undoes the
    child's changes and is credited to that child too. Versions with no common
    ancestor are compared directly, credited to ``new``.
    """
    if old == new:
        return []
    up = ancestors(corpus, old)
    down = ancestors(corpus, new)
    in_down = set(down)
    common = next((v for v in up if v in in_down), None)
    if common is None:
        return [Step(old, new, new)]
    backward = up[: up.index(common) + 1]
    forward = list(reversed(down[: down.index(common) + 1]))
    steps = [Step(a, b, a) for a, b in pairwise(backward)]
    steps += [Step(a, b, b) for a, b in pairwise(forward)]
    return steps


# A run of characters and where it came from: ("old", offset into the first text)
# for text that survives from the old version, ("new", version id) for text a
# later step inserted.
_Run = tuple[int, str, int | str]


class _Cursor:
    """Reads a text described by runs from left to right, in linear time overall."""

    def __init__(self, runs: list[_Run]) -> None:
        self.runs = runs
        self.index = 0
        self.offset = 0  # characters already consumed from runs[index]

    def take(self, n: int) -> list[_Run]:
        """The next ``n`` characters' runs."""
        out: list[_Run] = []
        while n > 0:
            length, tag, origin = self.runs[self.index]
            available = length - self.offset
            used = min(n, available)
            start = origin + self.offset if isinstance(origin, int) else origin
            out.append((used, tag, start))
            n -= used
            if used == available:
                self.index += 1
                self.offset = 0
            else:
                self.offset += used
        return out


@dataclass(frozen=True)
class Blame:
    """The origin of every character of the new text and the remover of every character
    of the old text, as sorted, non-overlapping ``(start, end, version)`` ranges.

    Old text absent from ``removed`` survived; new text absent from ``introduced``
    came unchanged from the old version.
    """

    introduced: tuple[tuple[int, int, str], ...]
    removed: tuple[tuple[int, int, str], ...]
    last_author: str | None


def blame(texts: Sequence[str], authors: Sequence[str], diff: DiffFn) -> Blame:
    """Blame along a chain: ``texts[i]`` becomes ``texts[i + 1]`` by ``authors[i]``."""
    changed = [
        (before, after, author)
        for before, after, author in zip(texts, texts[1:], authors, strict=False)
        if before != after
    ]
    if len(changed) == 1:  # one edit (most redlines): its ops say it all
        return _blame_one(*changed[0], diff)
    runs: list[_Run] = [(len(texts[0]), "old", 0)] if texts[0] else []
    removed: list[tuple[int, int, str]] = []
    last_author: str | None = None
    for before, after, author in zip(texts, texts[1:], authors, strict=False):
        if before == after:
            continue
        last_author = author
        runs = _apply(runs, diff(before, after), author, removed)
    introduced: list[tuple[int, int, str]] = []
    pos = 0
    for length, tag, origin in runs:
        if tag == "new":
            introduced.append((pos, pos + length, str(origin)))
        pos += length
    removed.sort()
    return Blame(tuple(_merge(introduced)), tuple(_merge(removed)), last_author)


def _blame_one(before: str, after: str, author: str, diff: DiffFn) -> Blame:
    """The blame of a single edit: what :func:`blame` gives, read straight off the ops."""
    introduced: list[tuple[int, int, str]] = []
    removed: list[tuple[int, int, str]] = []
    old_pos = new_pos = 0
    for op in diff(before, after):
        n = len(op.text)
        if op.kind == "insert":
            introduced.append((new_pos, new_pos + n, author))
            new_pos += n
        elif op.kind == "delete":
            removed.append((old_pos, old_pos + n, author))
            old_pos += n
        else:
            old_pos += n
            new_pos += n
    return Blame(tuple(_merge(introduced)), tuple(_merge(removed)), author)


def _apply(
    runs: list[_Run], ops: Sequence[Op], author: str, removed: list[tuple[int, int, str]]
) -> list[_Run]:
    out: list[_Run] = []
    cursor = _Cursor(runs)
    for op in ops:
        n = len(op.text)
        if op.kind == "insert":
            out.append((n, "new", author))
            continue
        piece = cursor.take(n)
        if op.kind == "equal":
            out.extend(piece)
        else:
            removed.extend(
                (int(o), int(o) + length, author) for length, tag, o in piece if tag == "old"
            )
    return out


def _merge(ranges: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, who in ranges:
        if merged and merged[-1][1] == start and merged[-1][2] == who:
            merged[-1] = (merged[-1][0], end, who)
        else:
            merged.append((start, end, who))
    return merged


def _split(
    text: str,
    offset: int,
    ranges: Sequence[tuple[int, int, str]],
    first: int,
    fallback: str,
) -> list[tuple[str, str]]:
    """Cut ``text`` (at ``offset`` in its document) by the blame ``ranges``, of which
    ``ranges[first]`` is the first to end after ``offset``."""
    pieces: list[tuple[str, str]] = []
    end = offset + len(text)
    pos = offset
    for i in range(first, len(ranges)):
        start, stop, who = ranges[i]
        if start >= end:
            break
        if start > pos:
            pieces.append((text[pos - offset : start - offset], fallback))
        lo, hi = max(start, pos), min(stop, end)
        pieces.append((text[lo - offset : hi - offset], who))
        pos = hi
    if pos < end:
        pieces.append((text[pos - offset :], fallback))
    return pieces


def attribute(
    ops: Sequence[Op],
    chain: Blame,
    party_of: Callable[[str], str],
    fallback: str,
) -> tuple[Span, ...]:
    """Turn the direct redline ``ops`` into attributed spans.

    Text the direct diff marks as changed but which the chain carried through
    unchanged (the two alignments can differ on repeated words) is credited to
    ``fallback``, the last version that changed the clause.
    """
    spans: list[Span] = []
    old_pos = new_pos = 0
    introduced, removed = chain.introduced, chain.removed
    # The ops go through both texts in order, so the first blame range to end after
    # an op's offset only ever moves on (a bisection for each op would find the same).
    ins_at = del_at = 0
    parties: dict[str, str] = {}
    for op in ops:
        kind, text = op.kind, op.text
        if kind == "equal":
            spans.append(Span("equal", text))
            old_pos += len(text)
            new_pos += len(text)
            continue
        if kind == "insert":
            while ins_at < len(introduced) and introduced[ins_at][1] <= new_pos:
                ins_at += 1
            pieces = _split(text, new_pos, introduced, ins_at, fallback)
            new_pos += len(text)
        else:
            while del_at < len(removed) and removed[del_at][1] <= old_pos:
                del_at += 1
            pieces = _split(text, old_pos, removed, del_at, fallback)
            old_pos += len(text)
        for t, v in pieces:
            if t:
                party = parties.get(v)
                if party is None:
                    party = parties[v] = party_of(v)
                spans.append(Span(kind, t, v, party))
    return _coalesce(spans)


def _coalesce(spans: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev and (prev.kind, prev.version, prev.party) == (span.kind, span.version, span.party):
            out[-1] = Span(span.kind, prev.text + span.text, span.version, span.party)
        else:
            out.append(span)
    return tuple(out)
