"""Word-level diff: two texts in, a tuple of :class:`~clausetrack.model.Op` out.

The only importer of :mod:`diff_match_patch`. How a diff is made:

1. Both texts are split into tokens (:func:`clausetrack.tokenize.tokenize`) and every
   distinct token is mapped to one character, so each text becomes a string with one
   character per token.
2. The encoded strings are aligned. Diff-match-patch's Myers diff is exact but costs
   time proportional to length times edits, so it only ever sees small gaps. The gaps
   come from anchors, coarse to fine:

   * the common prefix and suffix;
   * tokens that occur exactly once in each text, kept in the order both agree on
     (the longest increasing subsequence: patience diff), recursively inside each gap;
   * where no token is unique (long documents repeat themselves), runs of at least *k*
     equal tokens found by walking both texts in step and, at each difference, looking
     for the nearest place where they agree again (*k* = 16, then 8, then 4 in the gaps
     left over).

   A gap small enough goes to diff-match-patch with no timeout (a timeout silently turns a
   diff into "everything replaced"); a large gap with nothing at all in common is a
   replacement.
3. ``diff_cleanupSemantic`` runs on the encoded tokens, and only then is the result decoded
   back to text. So every edit boundary is a token boundary: no word is ever split.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from itertools import chain, islice

from diff_match_patch import diff_match_patch

from clausetrack import parallel
from clausetrack.ops import Op, OpKind
from clausetrack.tokenize import tokenize

__all__ = ["diff_words"]

_EQUAL, _INSERT, _DELETE = 0, 1, -1
_KIND: dict[int, OpKind] = {_EQUAL: "equal", _INSERT: "insert", _DELETE: "delete"}

Diffs = list[tuple[int, str]]

# A gap whose lengths multiply to at most this goes straight to diff-match-patch
# (about 10 ms in the worst case, two unrelated texts of 100 tokens).
_DMP_AREA = 10_000
# A gap with no anchor of any kind goes to diff-match-patch up to this size, and is
# a replacement above it (semantic cleanup would merge its scattered matches anyway).
_LAST_RESORT_AREA = 60_000
# Run lengths, in tokens, that resynchronise the walk: coarse first, finer in what is left.
_RUNS = (16, 8, 4)
# The same for lines, which rarely repeat by chance.
_SEGMENT_RUNS = (4, 2, 1)
# Runs of changed lines closer than this many unchanged lines are diffed together.
_SEGMENT_GAP = 2
# An unchanged run of this many words or more is never merged into the edits around it.
_KEEP_WORDS = 3
# Texts this short (in tokens, both together) count their tokens with str.count.
_SMALL = 200
# How far the walk first looks for the texts to agree again; doubled until found.
_WINDOW = 512

# Characters that stand for tokens. The semantic cleanup scores a cut by the characters
# around it (letters, spaces, line breaks); codes that are none of these score alike, so
# where an edit lands never depends on which character a token happened to get. Private
# use first, then the rest of Unicode, never a surrogate.
_CODE_RANGES = (
    range(0xE000, 0xF900),
    range(0xF0000, 0x110000),
    range(0x30000, 0xF0000),
    range(0x10000, 0x30000),
    range(0xD800),
    range(0xF900, 0x10000),
)


def _neutral_codes() -> Iterator[str]:
    for c in map(chr, chain.from_iterable(_CODE_RANGES)):
        if not c.isalnum() and not c.isspace():
            yield c


# The neutral codes in order, computed as far as any codec has needed them and shared by
# all codecs (each takes them from the start, so a token's code does not depend on which
# codec, or how many before it, ran).
# The list is rebuilt whenever ``_CODE_RANGES`` is replaced.
_code_cache: tuple[tuple[range, ...], list[str], Iterator[str]] | None = None


def _codes(n: int) -> list[str]:
    """The shared list of neutral codes, holding at least ``n`` when there are that many."""
    global _code_cache
    if _code_cache is None or _code_cache[0] is not _CODE_RANGES:
        _code_cache = (_CODE_RANGES, [], _neutral_codes())
    _, codes, source = _code_cache
    if len(codes) < n:
        codes.extend(islice(source, max(n - len(codes), 1024)))
    return codes


# A letter or digit: what str.isalnum accepts (``\w`` is that and the underscore).
_WORD_CHAR = re.compile(r"[^\W_]")


class _Overflow(Exception):
    """More distinct tokens than there are characters to stand for them."""


class _Codec:
    """Maps tokens to single characters and back, consistently across calls."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared  # used for many texts (_token_codec)
        self.ranges = _CODE_RANGES  # what its codes are taken from
        self.code: dict[str, str] = {}
        self.token: dict[str, str] = {}
        self.wordlike: set[str] = set()  # codes of tokens with a letter or digit
        self._used = 0  # codes handed out so far, from the shared list of neutral codes

    def encode(self, tokens: list[str]) -> str:
        code = self.code
        try:  # a shared codec (_token_codec) mostly knows every token already
            return "".join(map(code.__getitem__, tokens))
        except KeyError:
            pass
        new = [t for t in dict.fromkeys(tokens) if t not in code]
        if new:
            start = self._used
            fresh = _codes(start + len(new))[start : start + len(new)]
            if len(fresh) < len(new):
                raise _Overflow
            self._used = start + len(new)
            code.update(zip(new, fresh, strict=True))
            self.token.update(zip(fresh, new, strict=True))
            has_word = _WORD_CHAR.search
            self.wordlike.update(c for t, c in zip(new, fresh, strict=True) if has_word(t))
        return "".join(map(code.__getitem__, tokens))

    def decode(self, s: str) -> str:
        return "".join(map(self.token.__getitem__, s))


def _has_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def _words_at_least(s: str, wordlike: set[str], n: int) -> bool:
    """Whether the encoded text ``s`` holds at least ``n`` word tokens."""
    if len(s) < n:
        return False
    count = 0
    for c in s:
        if c in wordlike:
            count += 1
            if count >= n:
                return True
    return False


def _semantic_cleanup(diffs: Diffs, codec: _Codec) -> Diffs:
    """diff-match-patch's semantic cleanup, except that it never dissolves an unchanged
    run of ``_KEEP_WORDS`` words or more into the edits around it.

    The cleanup merges short equalities into their neighbouring edits, which reads
    better ("[-the old-] {+a new+}" rather than scattered one-word marks). Measured in
    tokens it would also swallow whole unchanged phrases and sentences between two
    larger edits, and a redline must not mark text as changed that was not. So the
    diff is cut at such runs and each piece is cleaned up on its own.
    """
    out: Diffs = []
    piece: Diffs = []
    for op, s in diffs:
        if op == _EQUAL and _words_at_least(s, codec.wordlike, _KEEP_WORDS):
            if piece:
                _dmp.diff_cleanupSemantic(piece)
                out.extend(piece)
                piece = []
            out.append((op, s))
        else:
            piece.append((op, s))
    if piece:
        _dmp.diff_cleanupSemantic(piece)
        out.extend(piece)
    return out


def _new_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.0  # never give up: a timeout silently degrades the answer
    return dmp


_dmp = _new_dmp()
_NO_DEADLINE = sys.maxsize


def _match_len(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of ``a[i:]`` and ``b[j:]``, in time linear in it."""
    n = 0
    step = 32
    while True:
        x = a[i + n : i + n + step]
        y = b[j + n : j + n + step]
        if x == y and len(x) == step:
            n += step
            step <<= 1
        else:
            return n + int(_dmp.diff_commonPrefix(x, y))


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by first item) increasing in the second."""
    tails: list[int] = []  # smallest second item ending an increasing run of each length
    ends: list[int] = []  # index in pairs of that item
    back = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k:
            back[n] = ends[k - 1]
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k] = j
            ends[k] = n
    out: list[tuple[int, int]] = []
    n = ends[-1] if ends else -1
    while n >= 0:
        out.append(pairs[n])
        n = back[n]
    out.reverse()
    return out


def _unique_anchors(a: str, b: str) -> list[tuple[int, int, int]]:
    """Runs ``(i, j, length)`` of tokens unique in both texts, in an order both agree on."""
    common = set(a).intersection(b)
    if not common:
        return []
    if len(a) + len(b) <= _SMALL:
        both = {c for c in common if a.count(c) == 1 and b.count(c) == 1}
    else:
        once_a = {c for c, n in Counter(a).items() if n == 1}
        once_b = {c for c, n in Counter(b).items() if n == 1}
        both = once_a & once_b & common
    if not both:
        return []
    if len(both) <= 16:
        pairs = sorted((a.index(c), b.index(c)) for c in both)
    else:
        where = {c: i for i, c in enumerate(b) if c in both}
        pairs = [(i, where[c]) for i, c in enumerate(a) if c in both]
    runs: list[tuple[int, int, int]] = []
    for i, j in _lis(pairs):
        if runs and runs[-1][0] + runs[-1][2] == i and runs[-1][1] + runs[-1][2] == j:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((i, j, 1))
    return runs


def _sync(a: str, b: str, i: int, j: int, k: int) -> tuple[int, int] | None:
    """The nearest ``(i2, j2)`` at or after ``(i, j)`` where ``k`` tokens agree.

    Nearest means the fewest tokens skipped, ``(i2 - i) + (j2 - j)``. The search looks
    within a window first and doubles it until a match is found or the texts end.
    """
    last_a = len(a) - k
    last_b = len(b) - k
    if i > last_a or j > last_b:
        return None
    window = _WINDOW
    while True:
        best: tuple[int, int] | None = None
        cost = window
        d = 0
        while d < cost:
            if i + d <= last_a:
                p = b.find(a[i + d : i + d + k], j, j + cost - d + k - 1)
                if p >= 0 and d + p - j < cost:
                    cost, best = d + p - j, (i + d, p)
            if j + d <= last_b:
                p = a.find(b[j + d : j + d + k], i, i + cost - d + k - 1)
                if p >= 0 and d + p - i < cost:
                    cost, best = d + p - i, (p, j + d)
            d += 1
        if best is not None or window > (len(a) - i) + (len(b) - j):
            return best
        window <<= 1


def _resync_anchors(a: str, b: str, k: int) -> list[tuple[int, int, int]]:
    """Runs ``(i, j, length)`` of at least ``k`` equal tokens, found by walking in step."""
    runs: list[tuple[int, int, int]] = []
    i = j = 0
    while True:
        found = _sync(a, b, i, j, k)
        if found is None:
            return runs
        i, j = found
        n = k + _match_len(a, i + k, b, j + k)
        runs.append((i, j, n))
        i += n
        j += n


def _align(a: str, b: str, run_lengths: tuple[int, ...]) -> Diffs:
    """Diff two encoded strings exactly, never running Myers on a large gap."""
    out: Diffs = []
    # A stack of work, popped in text order: ("solve", a, b, level) or an op to emit.
    stack: list[tuple[int, str, str, int]] = [(2, a, b, 0)]
    while stack:
        op, x, y, level = stack.pop()
        if op != 2:
            out.append((op, x))
            continue
        n = _dmp.diff_commonPrefix(x, y)
        if n:
            out.append((_EQUAL, x[:n]))
            x, y = x[n:], y[n:]
        n = _dmp.diff_commonSuffix(x, y)
        if n:
            stack.append((_EQUAL, x[-n:], "", 0))
            x, y = x[:-n], y[:-n]
        if not x or not y:
            if x:
                out.append((_DELETE, x))
            if y:
                out.append((_INSERT, y))
            continue
        if (len(x) == 1 and x not in y) or (len(y) == 1 and y not in x):
            # One token (or line) for others without it, most often one changed line
            # for another: nothing to anchor or match, Myers' answer is a replacement.
            out.append((_DELETE, x))
            out.append((_INSERT, y))
            continue
        area = len(x) * len(y)
        # Tokens unique in both texts anchor the alignment first (as patience diff does),
        # even in small gaps: Myers alone maximises matched tokens, and would rather match
        # scattered spaces than an unchanged phrase.
        runs = _unique_anchors(x, y)
        if not runs and area <= _DMP_AREA:
            # No common prefix or suffix is left: skip straight to the Myers step.
            out.extend(_dmp.diff_compute(x, y, False, _NO_DEADLINE))
            continue
        next_level = level
        while not runs and next_level < len(run_lengths):
            runs = _resync_anchors(x, y, run_lengths[next_level])
            next_level += 1
        if not runs:
            if area <= _LAST_RESORT_AREA:
                out.extend(_dmp.diff_compute(x, y, False, _NO_DEADLINE))
            else:
                out.append((_DELETE, x))
                out.append((_INSERT, y))
            continue
        todo: list[tuple[int, str, str, int]] = []
        i = j = 0
        for ri, rj, rn in runs:
            todo.append((2, x[i:ri], y[j:rj], next_level))
            todo.append((_EQUAL, x[ri : ri + rn], "", 0))
            i, j = ri + rn, rj + rn
        todo.append((2, x[i:], y[j:], next_level))
        stack.extend(reversed(todo))
    return out


def _lines(tokens: list[str]) -> list[str]:
    """Tokens grouped into lines: coarser tokens, for texts with too many distinct ones."""
    out: list[str] = []
    start = 0
    for n, t in enumerate(tokens):
        if "\n" in t:
            out.append("".join(tokens[start : n + 1]))
            start = n + 1
    if start < len(tokens):
        out.append("".join(tokens[start:]))
    return out


def _token_diffs(old: str, new: str, codec: _Codec) -> Diffs:
    """The cleaned-up diff of the tokens of two texts, decoded."""
    ta, tb = tokenize(old), tokenize(new)
    try:
        try:
            a, b = codec.encode(ta), codec.encode(tb)
        except _Overflow:
            if not codec.shared:
                raise
            codec = _Codec()  # the codes a shared codec has left may be too few
            a, b = codec.encode(ta), codec.encode(tb)
    except _Overflow:  # over a million distinct tokens: diff whole lines instead
        codec = _Codec()
        try:
            a, b = codec.encode(_lines(ta)), codec.encode(_lines(tb))
        except _Overflow:  # and as many distinct lines: one replacement
            return [(_DELETE, old), (_INSERT, new)]
    diffs = _align(a, b, _RUNS)
    _dmp.diff_cleanupMerge(diffs)
    diffs = _semantic_cleanup(diffs, codec)
    return [(op, codec.decode(s)) for op, s in diffs if s]


def _segments(text: str) -> list[str]:
    """The text cut before every newline that follows a character other than whitespace
    or a zero-width joiner. No token spans such a cut and none looks across it, so the
    lines tokenized one by one give the same tokens as the whole text.

    The same cuts as ``re.split(r"(?<=[^\\s\\u200d])(?=\\n)", text)`` (``\\s`` is
    ``str.isspace``), four times faster: a look-behind at every character of a long
    document costs more than splitting at its newlines and joining back."""
    lines = text.split("\n")
    out: list[str] = []
    held = [lines[0]]  # pieces of the current segment, joined by newlines
    for line in lines[1:]:
        before = held[-1][-1:]  # the character before this newline, if any
        if before and not before.isspace() and before != "\u200d":
            out.append("\n".join(held))
            held = ["", line]  # the new segment starts with the newline
        else:
            held.append(line)
    out.append("\n".join(held))
    return out


Piece = tuple[bool, str, str]


def _pieces(old: str, new: str) -> list[Piece]:
    """Lines first: the unchanged text ``(False, text, "")`` and the runs of changed lines
    to diff token by token ``(True, old_run, new_run)``, in the order of the texts.

    Lines are aligned as units; each run of changed lines (with any single unchanged
    line between two such runs) is then diffed token by token, semantic cleanup
    included. Most of a long document with scattered edits is never tokenized, and the
    runs are independent of each other (:func:`_diff_piece`).
    """
    sa, sb = _segments(old), _segments(new)
    if len(sa) <= 2 and len(sb) <= 2:
        return [(True, old, new)]
    ops = _line_ops(sa, sb)
    if ops is None:
        return [(True, old, new)]
    out: list[Piece] = []
    pending_a: list[str] = []
    pending_b: list[str] = []
    for op, lines in ops:
        if op == _EQUAL and (len(lines) >= _SEGMENT_GAP or not (pending_a or pending_b)):
            if pending_a or pending_b:
                out.append((True, "".join(pending_a), "".join(pending_b)))
                pending_a.clear()
                pending_b.clear()
            out.append((False, "".join(lines), ""))
            continue
        text = "".join(lines)
        if op != _INSERT:
            pending_a.append(text)
        if op != _DELETE:
            pending_b.append(text)
    if pending_a or pending_b:
        out.append((True, "".join(pending_a), "".join(pending_b)))
    return out


# Up to this many lines, two texts whose changed lines have none in common are aligned
# without a codec (:func:`_line_ops`); far below the number of codes there are.
_DIRECT_LINES = 100_000


def _line_ops(sa: list[str], sb: list[str]) -> list[tuple[int, list[str]]] | None:
    """The alignment of two texts' lines: runs of lines kept, deleted and inserted;
    None when there are more distinct lines than codes to stand for them.

    The alignment (:func:`_align` of the lines encoded) first strips the lines the
    texts begin and end with alike. Most edits of a clause leave a middle of changed
    lines of which neither text's are the other's: then nothing is left to align, and
    it gives the common lines, the old middle deleted and the new one inserted (with
    no line in common there is neither an anchor nor a match for Myers' diff). That
    case is found here with list comparisons, and only the others are encoded.
    """
    if len(sa) + len(sb) <= _DIRECT_LINES:
        most = min(len(sa), len(sb))
        head = 0
        while head < most and sa[head] == sb[head]:
            head += 1
        tail = 0
        while tail < most - head and sa[-1 - tail] == sb[-1 - tail]:
            tail += 1
        mid_a, mid_b = sa[head : len(sa) - tail], sb[head : len(sb) - tail]
        if not mid_a or not mid_b or set(mid_a).isdisjoint(mid_b):
            direct = [
                (_EQUAL, sa[:head]),
                (_DELETE, mid_a),
                (_INSERT, mid_b),
                (_EQUAL, sa[len(sa) - tail :]),
            ]
            return [(op, lines) for op, lines in direct if lines]
    codec = _Codec()
    try:
        a, b = codec.encode(sa), codec.encode(sb)
    except _Overflow:
        return None
    token = codec.token
    return [(op, [token[c] for c in s]) for op, s in _align(a, b, _SEGMENT_RUNS)]


# Codes the token diffs of one process share before they start afresh: a document's
# vocabulary fits many times over, and the codec's tables stay within a few megabytes.
_SHARED_CODES = 1 << 16
_shared: _Codec | None = None


def _token_codec(size: int) -> _Codec:
    """The codec the token diffs of this process share, for texts of ``size`` characters.

    What character a token gets never changes where an edit lands (the codes are
    neutral), so runs and clauses can be diffed with any codec, in any order, in any
    process; sharing one spares encoding every clause's vocabulary afresh. A text that
    could take the shared codec past :data:`_SHARED_CODES` (it has at most ``size``
    distinct tokens) starts a new one, and a text that finds too few codes left in it
    is encoded again with a fresh codec (:func:`_token_diffs`), as every text was
    before: no text falls back to lines that a fresh codec would have encoded.
    """
    global _shared
    codec = _shared
    if codec is None or codec.ranges is not _CODE_RANGES or codec._used + size > _SHARED_CODES:
        codec = _shared = _Codec(shared=True)
    return codec


def _diff_piece(pair: tuple[str, str]) -> Diffs:
    """One run of changed lines diffed token by token (:func:`_token_codec`)."""
    size = len(pair[0]) + len(pair[1])
    return _token_diffs(pair[0], pair[1], _token_codec(size))


def _segment_diffs(old: str, new: str) -> Iterator[tuple[int, str]]:
    """The diff, lines first (:func:`_pieces`); the changed runs of a long document are
    shared among processes (:mod:`clausetrack.parallel`)."""
    pieces = _pieces(old, new)
    jobs = [(a, b) for changed, a, b in pieces if changed]
    costs = [len(a) + len(b) for a, b in jobs]
    diffs = parallel.map_ordered(_diff_piece, jobs, costs)
    for changed, text, _ in pieces:
        if changed:
            yield from next(diffs)
        else:
            yield _EQUAL, text


def diff_words(old: str, new: str) -> tuple[Op, ...]:
    """Diff ``old`` against ``new`` token by token: what is kept, deleted and inserted.

    The equal and deleted texts concatenate to ``old``, the equal and inserted texts to
    ``new``, exactly. No op is empty, no two neighbours have the same kind, a deletion
    comes before the insertion that replaces it, and every boundary between ops is a
    token boundary of both texts: a changed word is deleted and inserted whole.

    >>> diff_words("The identical terms.", "The perpetual terms.")  # doctest: +NORMALIZE_WHITESPACE
    (Op(kind='equal', text='The '), Op(kind='delete', text='identical'),
     Op(kind='insert', text='perpetual'), Op(kind='equal', text=' terms.'))
    """
    if old == new:
        return (Op("equal", old),) if old else ()
    ops: list[Op] = []
    for op, text in _segment_diffs(old, new):
        kind = _KIND[op]
        if ops and ops[-1].kind == kind:
            ops[-1] = Op(kind, ops[-1].text + text)
        else:
            ops.append(Op(kind, text))
    return tuple(ops)
