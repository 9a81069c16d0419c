"""Key changes: the material changes a negotiator cares about, for one clause pair.

:func:`find_key_changes` reads an old and a new clause text, with the attributed
redline between them, and states what changed in substance: sums of money,
percentages, dates, periods, the strength of an obligation, a negation, who is
bound, the conditions attached, defined terms, and references to provisions
that do not exist.

The rules are deterministic and lean towards precision: a wrong key change costs
the reader's trust, so a value restated differently ("USD 50 billion", "$50bn",
"fifty billion dollars") is never a finding, and where the rules are unsure
they say nothing.

How it works, in order:

1. Both texts are split into sentences, and the sentences are paired through the
   characters the redline keeps; when it keeps no word, a short clause's sentences
   are paired through a :mod:`difflib` alignment of their words.
2. Facts are read only from the sentences with a change in them and their
   partners (a fact in an untouched sentence is on both sides and cancels):
   values (amount, percentage, date, duration), predicates (who *shall*, *may*,
   *supports* ... do what, negated or not), conditions and definitions.
   Patterns are tried only where a cheap scan of the lower-cased text finds a
   place a value or condition can begin, so reading is linear in the text. The
   scan, and the tokeniser, read whitespace-separated chunks, each distinct chunk
   worked out once and remembered; long texts repeat their words.
3. Values, conditions and definitions present on both sides with the same
   normalised meaning cancel out (a condition first with its copy in the paired
   sentence). What is left is paired within paired sentences ("changed") or
   stands alone ("added" / "removed").
4. Predicates are paired within paired sentences (same verb first, then in
   order) and compared for strength, negation and actor. A fronted negative
   ("In no event shall the Supplier be liable") negates the predicate, whose
   subject follows the modal; a negation finding quotes such a sentence from
   its first words.
5. A sentence added or removed whole gives one finding that says what it does
   (its first obligation, quoted from the subject on), or its values' findings
   when it has values; its conditions are told too, and a term it defines is
   not told again. A plain statement reworded as an obligation ("is perpetual"
   → "shall continue") is no change of strength.
6. Every finding is tied to the redline spans its words come from; its party and
   version are those of the first insertion or deletion there.
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from clausetrack import parallel
from clausetrack.model import KeyChange, Span

__all__ = ["KINDS", "find_key_changes", "normalise_value"]

#: The kinds of finding, in the order a reader is told about them at one place.
KINDS: tuple[str, ...] = (
    "amount",
    "percentage",
    "date",
    "duration",
    "modality",
    "negation",
    "actor",
    "condition",
    "defined-term",
    "cross-reference",
)
_VALUE_KINDS = ("amount", "percentage", "date", "duration")

# --- numbers -------------------------------------------------------------------

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
}
_WORD = "(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_SCALE = "(?:hundred|thousand|million|billion|trillion)"
_WORDS = rf"(?:{_WORD}|{_SCALE})(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}|{_SCALE})){{0,9}}"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number in words or digits, or both: "thirty (30)", "Two Thousand (2,000)".
_NUMBER = (
    rf"(?:(?P<w>\b{_WORDS})\s*\(\s*(?P<wd>{_DIGITS})\s*\)"
    rf"|(?P<d>(?<![\d.,:/]){_DIGITS})|(?P<ww>\b{_WORDS}\b))"
)


# Where a value or a condition can begin, on the lower-cased text; each full pattern
# is then tried only there, with ``match``. The places are defined by these patterns
# (see :func:`_anchors_by_patterns`), and found by :func:`_scan_anchors` in one pass.
_Regions = Sequence[tuple[int, int]]
_NUM_ANCHOR = re.compile(
    r"\d+|\b(?:" + "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True)) + r")\b"
)
# "[$€£¥₴]" spelt as single characters: every branch then opens with a literal, which
# lets the regex engine skip ahead to the next possible first character
_CUR_ANCHOR = re.compile(r"us\$|u\.s\.\s?\$|usd|eur|gbp|uah|chf|jpy|cad|aud|cny|rub|\$|€|£|¥|₴")
_FRAC_ANCHOR = re.compile(r"\b(?:half|thirds?|quarters?|fourths?)\b")
_YEAR_ANCHOR = re.compile(r"\b\d{4}\b")
_COND_WORDS = (
    "unless|except|where|save|other|only|if|in|provided|providing|on|conditional|"
    "contingent|subject|so|as|upon|with|without|after|following"
)
_COND_ANCHOR = re.compile(rf"\b(?:{_COND_WORDS})\b")
# (matched on the lower-cased text, where case does not matter)
_PERPETUAL_LOW = re.compile(
    r"\bin\s+perpetuity\b|\bperpetual(?:ly)?\b|\bindefinite(?:ly)?\b(?:\s+period\b)?"
)


@dataclass(frozen=True)
class _Anchors:
    """The places in the regions read where a value or a condition can begin."""

    nums: list[int]  # a number: digits (not inside "1.5" or "2,000") or a number word
    currencies: list[int]  # a currency sign or code
    fractions: list[int]  # "half", "thirds" ...
    years: list[int]  # a four-digit number
    perpetual: list[re.Match[str]]  # "in perpetuity", "perpetual", "indefinite (period)"
    conditions: list[int]  # a word that can open a condition: "if", "unless", "subject" ...
    # the lower-cased text when the case-insensitive patterns can be matched on it as
    # case-sensitive ones (see :func:`_caseless`), else None
    caseless: str | None = None


# Characters that a case-insensitive pattern matches to an ASCII letter they do not
# lower-case to ("İ" and "ı" to "i", "ſ" to "s"); with none in a text, a lower-case
# pattern matched on the lower-cased text finds what the case-insensitive one finds
# on the text (the same places; groups differ only in case, and every group is
# lower-cased or compared without case where it is read). Matching without case is
# several times slower in the regex engine, and these patterns are tried often.
_CASE_TRAPS = "\u0130\u0131\u017f"


def _caseless(lower: str) -> str | None:
    """``lower`` (a lower-cased text) if case-sensitive lower-case patterns may be
    matched on it in place of case-insensitive ones on the text; else None."""
    return None if any(c in lower for c in _CASE_TRAPS) else lower


class _Caseless:
    """A case-insensitive pattern, matched as its lower-case twin on lower-cased text
    when :func:`_caseless` allows (almost always); the case-insensitive one is compiled
    only when a text needs it, since compiling these long patterns costs start-up time.

    ``lower`` turns the source into the twin's (for a class such as "[A-Z]").
    """

    def __init__(self, source: str, lower: Callable[[str], str] = lambda s: s) -> None:
        self.source = source
        self.low = re.compile(lower(source))

    @functools.cached_property
    def nocase(self) -> re.Pattern[str]:
        return re.compile(self.source, re.IGNORECASE)

    def matches(self, text: str, caseless: str | None, at: list[int]) -> list[re.Match[str]]:
        """:func:`_matches` of the pattern on ``text``, or of the twin on ``caseless``."""
        if caseless is None:
            return _matches(self.nocase, text, at)
        return _matches(self.low, caseless, at)


def _number_anchor(lower: str, pos: int) -> bool:
    """Whether a number found at ``pos`` begins one: digits inside "1.5" or "2,000" do not."""
    return not (pos and lower[pos].isdigit() and lower[pos - 1] in ".,:/")


def _anchors_by_patterns(lower: str, regions: _Regions) -> _Anchors:
    """The anchors as their patterns define them: each pattern run over each region.

    The reference for :func:`_scan_anchors`, which finds the same in one pass.
    """

    def starts(pattern: re.Pattern[str]) -> list[int]:
        return [m.start() for a, b in regions for m in pattern.finditer(lower, a, b)]

    return _Anchors(
        [pos for pos in starts(_NUM_ANCHOR) if _number_anchor(lower, pos)],
        starts(_CUR_ANCHOR),
        starts(_FRAC_ANCHOR),
        starts(_YEAR_ANCHOR),
        [m for a, b in regions for m in _PERPETUAL_LOW.finditer(lower, a, b)],
        starts(_COND_ANCHOR),
    )


_WORD_RUN = re.compile(r"\w+")
_DIGIT_RUN = re.compile(r"\d+")
# The words that are anchors, by sort; "perpetuity" is one only after "in"
_NUM, _FRAC, _PERP, _COND, _PERPETUITY = range(5)
_ANCHOR_WORDS: dict[str, int] = {
    **dict.fromkeys([*_UNITS, *_SCALES], _NUM),
    **dict.fromkeys(["half", "third", "thirds", "quarter", "quarters", "fourth", "fourths"], _FRAC),
    **dict.fromkeys(["perpetual", "perpetually", "indefinite", "indefinitely"], _PERP),
    **dict.fromkeys(_COND_WORDS.split("|"), _COND),
    "perpetuity": _PERPETUITY,
}


# What a stretch of text without whitespace (a "chunk") holds, at offsets in it
_A_NUM, _A_COND, _A_FRAC, _A_YEAR, _A_PERP, _A_PERPETUITY = range(6)
# Every currency anchor holds one of these within one chunk ("u.s. $" has "$")
_CURRENCY_HINTS = (
    *("$", "€", "£", "¥", "₴"),
    *("usd", "eur", "gbp", "uah", "chf", "jpy", "cad", "aud", "cny", "rub"),
)
# The characters :meth:`str.split` and ``\\s`` take for whitespace, ASCII ones first
_ASCII_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_OTHER_SPACES = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_ChunkAnchors = tuple[str, bool, tuple[tuple[int, int], ...]]
_T = TypeVar("_T")
_CHUNK_ANCHORS: dict[str, _ChunkAnchors | None] = {}


def _chunk_anchors(chunk: str) -> _ChunkAnchors | None:
    """The anchors in one lower-cased chunk, at offsets in it, as ``(needle, currency,
    anchors)``; None when it has none.

    ``needle`` is the chunk between spaces, to find it by; ``currency`` says whether a
    currency anchor can begin in or at it. A chunk is whitespace on both sides (or a
    sentence edge, which is whitespace or a sentence end), so its word runs, and
    whether a number begins at a digit, are the same in it as in the text.
    """
    currency = any(hint in chunk for hint in _CURRENCY_HINTS)
    found: list[tuple[int, int]] = []
    get = _ANCHOR_WORDS.get
    for m in _WORD_RUN.finditer(chunk):
        word = m.group()
        kind = get(word)
        start = m.start()
        if kind is None:
            if word.isalpha():
                continue
            if len(word) == 4 and word.isdecimal():
                found.append((start, _A_YEAR))
            for d in _DIGIT_RUN.finditer(chunk, start, m.end()):
                if _number_anchor(chunk, d.start()):
                    found.append((d.start(), _A_NUM))
        elif kind == _NUM:
            found.append((start, _A_NUM))
        elif kind == _COND:
            found.append((start, _A_COND))
        elif kind == _FRAC:
            found.append((start, _A_FRAC))
        elif kind == _PERP:
            found.append((start, _A_PERP))
        else:  # _PERPETUITY
            found.append((start, _A_PERPETUITY))
    if not found and not currency:
        return None
    return (f" {chunk} ", currency, tuple(found))


def _remembered(memo: dict[str, _T], chunks: list[str], fn: Callable[[str], _T]) -> list[_T]:
    """``fn`` of each chunk, remembered in ``memo`` per distinct chunk.

    ``fn`` is pure, so what is remembered never changes a result; the memo is
    emptied when it grows past 131,072 chunks.
    """
    try:
        return list(map(memo.__getitem__, chunks))
    except KeyError:
        if len(memo) > 1 << 17:
            memo.clear()
        for chunk in set(chunks).difference(memo):
            memo[chunk] = fn(chunk)
        return list(map(memo.__getitem__, chunks))


def _chunks_anchors(chunks: list[str]) -> list[_ChunkAnchors | None]:
    """:func:`_chunk_anchors` of each chunk, remembered per distinct chunk."""
    return _remembered(_CHUNK_ANCHORS, chunks, _chunk_anchors)


def _spaced(text: str) -> str:
    """``text`` with every whitespace character a space."""
    for c in _ASCII_SPACES if text.isascii() else _ASCII_SPACES + _OTHER_SPACES:
        if c in text:
            text = text.replace(c, " ")
    return text


def _scan_anchors(lower: str, regions: _Regions) -> _Anchors:
    """The anchors of :func:`_anchors_by_patterns`, read chunk by chunk.

    Every anchor but a currency's is a whole word (a maximal run of word characters,
    as ``\\b`` delimits it) or digits within one: a number word, "half", "if", a run of
    four digits, a run of digits. No word crosses whitespace, so what each distinct
    chunk of the text holds is worked out once and remembered; a region's chunks are
    looked up together, and only those that hold an anchor are placed in the text.
    "in perpetuity" spans two chunks: it is matched where "perpetuity" begins one.
    Currency anchors are matched by their pattern, in the regions with a chunk that
    can hold one.
    """
    nums: list[int] = []
    fractions: list[int] = []
    years: list[int] = []
    perpetual: list[re.Match[str]] = []
    conditions: list[int] = []
    currencies: list[int] = []
    for a, b in regions:
        spaced = _spaced(lower[a:b])
        chunks = spaced.split()
        infos = _chunks_anchors(chunks)
        if not any(infos):
            continue
        padded = f" {spaced} "
        find = padded.find
        at = 0  # in padded: the space before the next chunk to place (where it begins in spaced)
        currency = False
        for needle, cur, found in filter(None, infos):
            at = find(needle, at)
            currency = currency or cur
            for rel, kind in found:
                pos = a + at + rel
                if kind == _A_NUM:
                    nums.append(pos)
                elif kind == _A_COND:
                    conditions.append(pos)
                elif kind == _A_FRAC:
                    fractions.append(pos)
                elif kind == _A_YEAR:
                    years.append(pos)
                elif kind == _A_PERP:
                    m = _PERPETUAL_LOW.match(lower, pos, b)
                    if m is not None:
                        perpetual.append(m)
                elif rel == 0:  # "perpetuity" opening a chunk: after "in" and spaces?
                    j = at
                    while j and spaced[j - 1] == " ":
                        j -= 1
                    if 2 <= j < at and spaced.startswith("in", j - 2):
                        m = _PERPETUAL_LOW.match(lower, a + j - 2, b)
                        if m is not None:
                            perpetual.append(m)
            at += len(needle) - 1
        if currency:
            currencies += [m.start() for m in _CUR_ANCHOR.finditer(lower, a, b)]
    return _Anchors(nums, currencies, fractions, years, perpetual, conditions, _caseless(lower))


# Letters that Python's caseless matching takes for ASCII ones ("dayſ" matches
# "days", "K" (Kelvin sign) matches "k", "ı" and "İ" match "i").
_ASCII_FOLD = str.maketrans({"ſ": "s", "\u212a": "k", "ı": "i", "İ": "i"})


def _fold(word: str) -> str:
    """A word matched by a caseless pattern of ASCII words, in lower-case ASCII."""
    return word.translate(_ASCII_FOLD).lower()


def _lowered(text: str) -> str:
    """``text`` lower-cased at the same offsets."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


_WORDS_SPLIT = re.compile(r"[\s-]+")
_GROUPING = re.compile(r"[,\s]")


def _words_value(text: str) -> Decimal | None:
    total = 0
    current = 0
    seen = False
    for word in _WORDS_SPLIT.split(text.lower()):
        if word in ("", "and"):
            continue
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
            seen = True
        else:
            return None
    return Decimal(total + current) if seen else None


def _digits_value(text: str) -> Decimal | None:
    try:
        return Decimal(_GROUPING.sub("", text))
    except InvalidOperation:
        return None


def _number_value(m: re.Match[str]) -> Decimal | None:
    if m.group("wd"):
        return _digits_value(m.group("wd"))
    if m.group("d"):
        return _digits_value(m.group("d"))
    return _words_value(m.group("ww") or "")


def _fmt_decimal(value: Decimal, places: int | None = None) -> str:
    """``1234567`` → ``1,234,567``; ``4.5`` → ``4.50`` with ``places=2``."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    if places is not None:
        return f"{value.quantize(Decimal(10) ** -places, rounding=ROUND_HALF_UP):,}"
    return f"{value.normalize():,f}"


def _plain(value: Decimal) -> str:
    """A number without grouping, trailing zeros dropped: ``37.50`` → ``37.5``."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


# --- the facts read from one text ------------------------------------------------


@dataclass(slots=True)
class _Value:
    """An amount, percentage, date or duration, read at ``start:end`` of its text."""

    kind: str
    key: tuple[object, ...]
    value: str  # normalised, as a finding's before/after
    human: str  # as the summary says it
    start: int
    end: int


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    tokens: list[tuple[str, int, int]] = field(default_factory=list)
    low: list[str] = field(default_factory=list)  # the tokens lower-cased
    heads: list[int] = field(default_factory=list)  # tokens that can head a predicate
    words: list[int] = field(default_factory=list)  # offsets of the words and numbers


@dataclass(slots=True)
class _Predicate:
    """Who shall, may, supports ... do what: one verb phrase of a sentence."""

    sent: int
    start: int  # of the phrase (the modal or lexical verb)
    end: int  # end of the main verb
    phrase: str  # "shall guarantee", "may not disclose", "supports"
    level: int | None  # 5 obligation ... 1 permission, 0 non-binding, None a plain statement
    negated: bool
    subject_negates: bool  # "No party may ...", "Neither party will ..."
    lemma: str
    actor: str | None  # who is bound or empowered, as written
    actor_start: int
    actor_end: int
    subordinate: bool
    clause_start: int = -1  # where the subject begins (for a summary that reads as a clause)
    agent: str | None = None  # "by the United States" of a passive, when it names a party
    fronted_start: int = -1  # where "In no event" begins, when it negates the predicate


@dataclass(slots=True)
class _Condition:
    sent: int
    start: int
    end: int
    text: str
    key: tuple[bool, frozenset[str]]


@dataclass(slots=True)
class _Term:
    sent: int
    start: int
    end: int
    term: str


@dataclass(slots=True)
class _Ref:
    start: int
    end: int
    label: str  # "Section 12.2"
    norm: str  # "section 12.2"
    external: bool


@dataclass
class _Side:
    text: str
    sentences: list[_Sentence]
    values: list[_Value]
    predicates: list[_Predicate]
    conditions: list[_Condition]
    terms: list[_Term]
    lower: str | None = None  # the text lower-cased by _lowered, when it was read
    # has_lemma's answers: a long text has thousands of predicates and a few hundred
    # lemmas, and each answer not found in it reads the whole text
    looked_up: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def sent_of(self, pos: int) -> int:
        return _sent_at(self.sentences, pos, self.sentence_starts)

    @functools.cached_property
    def sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @functools.cached_property
    def value_index(self) -> tuple[list[int], int]:
        """The values' starts (they are in text order) and the longest value's length:
        enough to find the values over a stretch of text without scanning them all."""
        return [v.start for v in self.values], max(
            (v.end - v.start for v in self.values), default=0
        )

    def values_near(self, start: int, end: int) -> list[_Value]:
        """The values that may overlap ``start:end`` (a few more, never fewer)."""
        starts, longest = self.value_index
        lo = bisect.bisect_right(starts, start - longest)
        return self.values[lo : bisect.bisect_left(starts, end)]

    def has_values(self, start: int, end: int) -> bool:
        """Whether a value overlaps ``start:end``."""
        return any(v.start < end and start < v.end for v in self.values_near(start, end))

    def mask(self, start: int, end: int) -> str:
        """``text[start:end]`` with values, references and numbers masked (see :func:`_mask`)."""
        return _mask(self.text, self.values_near(start, end), start, end)

    @functools.cached_property
    def main_sentences(self) -> frozenset[int]:
        """The sentences with a main (not subordinate) predicate of known strength."""
        return frozenset(
            p.sent for p in self.predicates if not p.subordinate and p.level is not None
        )

    @functools.cached_property
    def lemmas(self) -> frozenset[str]:
        """The stems of every word of the side (see :func:`_side_lemmas`)."""
        return frozenset(_side_lemmas(self))

    @functools.cached_property
    def spaced_lower(self) -> str | None:
        """The text lower-cased, "’" as "'", every whitespace character a space: where
        :meth:`has_lemma` looks for words; None when lower-casing changes its length."""
        if "\u0130" in self.text:  # the one character that lower-cases to two
            return None
        low = self.text.lower() if self.lower is None else self.lower
        return _spaced(low.replace("’", "'") if "’" in low else low)

    def has_lemma(self, lemma: str) -> bool:
        """``lemma in self.lemmas``, without stemming every word of a long text.

        A word stems to ``lemma`` only if it begins with it, or with it less a final
        "y" plus "i" ("applies" → "apply"), or is an irregular form of it ("paid").
        So each whitespace-separated chunk where one of those begins is read, until a
        word of it stems to ``lemma``. Where the look-up would not be cheap (a very
        common beginning, or a text that lower-cases to another length), the stems of
        every word are taken instead.
        """
        known = self.__dict__.get("lemmas")
        if known is not None:
            return lemma in known
        found = self.looked_up.get(lemma)
        if found is None:
            found = self.looked_up[lemma] = self._find_lemma(lemma)
        return found

    def _find_lemma(self, lemma: str) -> bool:
        text = self.spaced_lower
        if text is None:
            return lemma in self.lemmas
        leads = [lemma, *_IRREGULAR_OF.get(lemma, ())]
        if lemma.endswith("y"):
            leads.append(lemma[:-1] + "i")
        budget = 2000  # chunks read before the whole text is stemmed instead
        for lead in leads:
            at = text.find(lead)
            while at >= 0:
                budget -= 1
                if budget < 0:
                    return lemma in self.lemmas
                start = text.rfind(" ", 0, at) + 1
                end = text.find(" ", at)
                end = len(text) if end < 0 else end
                if any(_lemma(w) == lemma for w in _LOWER_WORDS.findall(text, start, end)):
                    return True
                at = text.find(lead, end)
        return False


def _sent_at(sentences: list[_Sentence], pos: int, starts: list[int] | None = None) -> int:
    """The index of the sentence at ``pos`` (the one before it, between two).

    ``starts`` are the sentences' starts, when the caller asks many times.
    """
    if starts is None:
        return max(0, bisect.bisect_right(sentences, pos, key=lambda s: s.start) - 1)
    return max(0, bisect.bisect_right(starts, pos) - 1)


# --- sentences and tokens ----------------------------------------------------------

_ABBREV = {
    "u.s",
    "no",
    "art",
    "sec",
    "e.g",
    "i.e",
    "inc",
    "ltd",
    "co",
    "corp",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "p.m",
    "a.m",
    "cent",
    "para",
    "cl",
    "v",
    "vs",
    "etc",
}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d|[^\sA-Za-z\d]")


# Where a sentence or limb ends: after ".", ";", "!" or "?" before whitespace or the
# end, or after a blank line. The two sorts never overlap (a blank line is whitespace).
_CUT = re.compile(r"[.;!?](?=\s+|$)|\n\s*\n")
_BLANK_LINE = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")


def _cut_points(text: str) -> list[tuple[int, int]]:
    """``[m.span() for m in _CUT.finditer(text)]``: the marks found with :meth:`str.find`
    (the pattern's scan is several times slower), blank lines by their own pattern."""
    size = len(text)
    found = [m.span() for m in _BLANK_LINE.finditer(text)] if "\n" in text else []
    for mark in ".;!?":
        find = text.find
        at = find(mark)
        while at >= 0:
            after = at + 1
            if after == size or text[after].isspace():
                found.append((at, after))
            at = find(mark, after)
    found.sort()
    return found


def _split_sentences(text: str, tokens: bool = True) -> list[_Sentence]:
    """Sentences and semicolon-separated limbs, with their word tokens (``tokens``)."""
    cuts = [0]
    for dot, end in _cut_points(text):
        if text[dot] == "." and end == dot + 1:
            tail = text[dot - 5 : dot] if dot >= 5 else ""
            if tail.isalpha() and tail.isascii():
                cuts.append(end)  # after a word of five letters or more: no abbreviation
                continue
            before = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
            word = before.group(1).lower() if before else ""
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        cuts.append(end)
    cuts.append(len(text))
    sentences = [
        _Sentence(a, b, [], [], [], [])
        for a, b in itertools.pairwise(cuts)
        if a < b and not text[a:b].isspace()
    ]
    if tokens:
        for s in sentences:
            _tokenise(text, s, words=True)
    return sentences


# What a chunk (a stretch without whitespace) holds, learnt once per distinct chunk:
# for a chunk that is one token, (lower-cased, can head a predicate, is a word or a
# number); else, per token, (text, start, end in the chunk, and the same three).
_OneToken = tuple[str, bool, bool]
_Tokens6 = tuple[tuple[str, int, int, str, bool, bool], ...]
_ONE_TOKEN: dict[str, _OneToken] = {}
_TOKENS_OF: dict[str, _Tokens6] = {}


def _learn_chunk(chunk: str) -> None:
    """Tokenise one chunk into :data:`_ONE_TOKEN` or :data:`_TOKENS_OF`."""
    if len(_ONE_TOKEN) + len(_TOKENS_OF) > 1 << 17:
        _ONE_TOKEN.clear()
        _TOKENS_OF.clear()
    found = tuple(
        (t, a, b, t.lower(), _maybe_head(t.lower()), _is_word(t) or t[:1].isdigit())
        for t, a, b in ((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(chunk))
    )
    if len(found) == 1 and found[0][0] == chunk:
        _ONE_TOKEN[chunk] = found[0][3:]
    else:
        _TOKENS_OF[chunk] = found


def _tokenise(text: str, s: _Sentence, words: bool = False) -> None:
    """The sentence's tokens (``_TOKEN`` matches), lower-cased tokens and the indexes of
    those that can head a predicate; with ``words`` the offsets of its words and numbers.

    A token never holds whitespace, so the tokens of a sentence are those of its
    whitespace-separated chunks; each distinct chunk is tokenised once and remembered,
    and most chunks are one word, one token.
    """
    if s.tokens:
        return
    tokens: list[tuple[str, int, int]] = []
    low: list[str] = []
    heads: list[int] = []
    offsets: list[int] = []
    one, many = _ONE_TOKEN, _TOKENS_OF
    pos = s.start  # where the next part begins
    for part in _spaced(text[s.start : s.end]).split(" "):
        if not part:
            pos += 1
            continue
        end = pos + len(part)
        info = one.get(part)
        if info is None and part not in many:
            _learn_chunk(part)
            info = one.get(part)
        if info is not None:
            lower, head, word = info
            if head:
                heads.append(len(tokens))
            if word and words:
                offsets.append(pos)
            tokens.append((part, pos, end))
            low.append(lower)
        else:
            for tok, a, b, lower, head, word in many[part]:
                if head:
                    heads.append(len(tokens))
                if word and words:
                    offsets.append(pos + a)
                tokens.append((tok, pos + a, pos + b))
                low.append(lower)
        pos = end + 1
    s.tokens, s.low, s.heads, s.words = tokens, low, heads, offsets


def _is_word(tok: str) -> bool:
    return tok[:1].isalpha()


# --- values ------------------------------------------------------------------------

_CURRENCY_CODES = {
    "usd": "USD",
    "us$": "USD",
    "u.s.$": "USD",
    "$": "USD",
    "eur": "EUR",
    "€": "EUR",
    "gbp": "GBP",
    "£": "GBP",
    "uah": "UAH",
    "₴": "UAH",
    "chf": "CHF",
    "jpy": "JPY",
    "¥": "JPY",
    "cad": "CAD",
    "aud": "AUD",
    "cny": "CNY",
    "rub": "RUB",
}
_CURRENCY_WORDS = [
    (r"(?:united\s+states|u\.?s\.?)\s+dollars?", "USD"),
    (r"dollars?", "USD"),
    (r"euros?", "EUR"),
    (r"pounds?(?:\s+sterling)?", "GBP"),
    (r"hryvnias?|hryvnia", "UAH"),
    (r"swiss\s+francs?", "CHF"),
    (r"yen", "JPY"),
    (r"usd|eur|gbp|uah|chf", ""),
]
_MAGNITUDES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "m": 10**6,
    "mn": 10**6,
    "mm": 10**6,
    "mio": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
}
_CUR_PREFIX = r"(?P<cur>US\$|U\.S\.\s?\$|USD|EUR|GBP|UAH|CHF|JPY|CAD|AUD|CNY|RUB|\$|€|£|¥|₴)"
_MAG = r"(?P<mag>thousand|million|billion|trillion|bn|mn|mm|mio|tn|k|m|b)\b"
_SPACED = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])"  # "15 000": a European grouping
_AMOUNT_PREFIX = re.compile(
    rf"{_CUR_PREFIX}\s?(?P<n>{_SPACED}|{_DIGITS})(?:\s?{_MAG})?(?![\d,.]?\d)", re.IGNORECASE
)
_CUR_WORDS_RE = "|".join(p for p, _ in _CURRENCY_WORDS)
_AMOUNT_SUFFIX = _Caseless(
    rf"(?<![\w$€£¥₴]){_NUMBER}(?:\s+(?P<mag>thousand|million|billion|trillion))?\s+"
    rf"(?P<curw>{_CUR_WORDS_RE})\b"
)


def _currency_of_word(word: str) -> str:
    w = word.lower()
    for pattern, code in _CURRENCY_WORDS:
        if re.fullmatch(pattern, w):
            return code or w.upper()
    return w.upper()


def _money(cur: str, amount: Decimal) -> tuple[str, str]:
    value = f"{cur} {_fmt_decimal(amount, 2)}"
    human = value
    for scale, name in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if amount >= scale and (amount * 100 / scale) == (amount * 100 / scale).to_integral():
            human = f"{cur} {_plain(amount / scale)} {name}"
            break
    return value, human


def _whole(text: str) -> _Anchors:
    """The anchors of a whole text."""
    return _scan_anchors(_lowered(text), [(0, len(text))])


def _matches(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    for pos in starts:
        m = pattern.match(text, pos)
        if m is not None and m.end() > m.start():
            out.append(m)
    return out


def _amounts(text: str, anchors: _Anchors | None = None) -> list[_Value]:
    if anchors is None:
        anchors = _whole(text)
    out: list[_Value] = []
    for m in _matches(_AMOUNT_PREFIX, text, anchors.currencies):
        cur = _CURRENCY_CODES[re.sub(r"\s", "", _fold(m.group("cur")))]
        n = _digits_value(m.group("n"))
        if n is None:
            continue
        mag = _fold(m.group("mag") or "")
        if mag in ("m", "b", "k") and m.group("mag") not in ("m", "b", "k", "M", "B", "K"):
            continue
        n *= _MAGNITUDES.get(mag, 1)
        value, human = _money(cur, n)
        out.append(_Value("amount", (cur, n), value, human, m.start(), m.end()))
    for m in _AMOUNT_SUFFIX.matches(text, anchors.caseless, anchors.nums):
        n = _number_value(m)
        if n is None:
            continue
        n *= _MAGNITUDES.get(_fold(m.group("mag") or ""), 1)
        cur = _currency_of_word(m.group("curw"))
        value, human = _money(cur, n)
        out.append(_Value("amount", (cur, n), value, human, m.start(), m.end()))
    return out


_FRACTIONS = {
    "half": Decimal(50),
    "third": Decimal(100) / 3,
    "thirds": Decimal(100) / 3,
    "quarter": Decimal(25),
    "quarters": Decimal(25),
    "fourth": Decimal(25),
    "fourths": Decimal(25),
}
_PERCENT = _Caseless(rf"{_NUMBER}\s*(?P<unit>%|per\s?cent\b\.?|percent\b|basis\s+points?\b|bps\b)")
_FRACTION = re.compile(
    r"\b(?P<count>one|a|two|three)[\s-](?P<frac>half|thirds?|quarters?|fourths?)(?:\s+of)\b"
    r"|\b(?P<bare>half)\s+of\b",
    re.IGNORECASE,
)


def _percent_value(pct: Decimal, start: int, end: int) -> _Value:
    rounded = pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shown = f"{_plain(rounded)}%"
    return _Value("percentage", (rounded,), shown, shown, start, end)


def _percentages(text: str, anchors: _Anchors | None = None) -> list[_Value]:
    if anchors is None:
        anchors = _whole(text)
    out: list[_Value] = []
    for m in _PERCENT.matches(text, anchors.caseless, anchors.nums):
        n = _number_value(m)
        if n is None:
            continue
        if _fold(m.group("unit")).startswith(("basis", "bps")):
            n = n / 100
        out.append(_percent_value(n, m.start(), m.end()))
    fractions: dict[tuple[int, int], re.Match[str]] = {}
    for pos in anchors.fractions:
        for m in _FRACTION.finditer(text, max(0, pos - 8), pos + 16):
            if m.start() <= pos < m.end():
                fractions[m.span()] = m
    for m in fractions.values():
        if m.group("bare"):
            pct = Decimal(50)
        else:
            count = {"one": 1, "a": 1, "two": 2, "three": 3}[_fold(m.group("count"))]
            pct = _FRACTIONS[_fold(m.group("frac"))] * count
        out.append(_percent_value(pct, m.start(), m.end() - 3))
    return out


_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = r"(?P<m>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.IGNORECASE
    ),
    re.compile(r"\b(?P<y>\d{4})-(?P<mm>\d{2})-(?P<d>\d{2})\b"),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<y>\d{{4}})\b", re.IGNORECASE),
    re.compile(
        r"\b(?P<edge>end|close|beginning|start)\s+of\s+(?:the\s+)?(?:calendar\s+)?(?:year\s+)?"
        r"(?P<y>\d{4})\b",
        re.IGNORECASE,
    ),
]


def _date_matches(text: str, years: list[int]) -> list[re.Match[str]]:
    """Every date names a year: the patterns are tried around each four-digit number."""
    found: dict[tuple[int, int, int], re.Match[str]] = {}
    for pos in years:
        for n, pattern in enumerate(_DATE_PATTERNS):
            for m in pattern.finditer(text, max(0, pos - 60), pos + 12):
                if m.start() <= pos < m.end():
                    found[(n, *m.span())] = m
    return [found[k] for k in sorted(found)]


def _dates(text: str, anchors: _Anchors | None = None) -> list[_Value]:
    if anchors is None:
        anchors = _whole(text)
    out: list[_Value] = []
    for m in _date_matches(text, anchors.years):
        groups = m.groupdict()
        year = int(groups["y"])
        if groups.get("edge"):
            first = _fold(groups["edge"]) in ("beginning", "start")
            when = date(year, 1, 1) if first else date(year, 12, 31)
            human = f"{_fold(groups['edge'])} of {year}"
            out.append(
                _Value("date", (when.isoformat(),), when.isoformat(), human, m.start(), m.end())
            )
            continue
        if groups.get("a"):
            a, b = int(groups["a"]), int(groups["b"])
            if a > 12 >= b:
                day, month = a, b
            elif b > 12 >= a:
                day, month = b, a
            else:  # 01/02/2025: day and month cannot be told apart
                raw = m.group()
                out.append(_Value("date", (raw,), raw, raw, m.start(), m.end()))
                continue
        else:
            month = int(groups["mm"]) if groups.get("mm") else _MONTHS[_fold(groups["m"])]
            if not groups.get("d"):
                if _fold(groups["m"]) == "may" and groups["m"] != "May":
                    continue  # "May 2025" is a month; "may 2025" in running text is not
                shown = f"{year:04d}-{month:02d}"
                out.append(_Value("date", (shown,), shown, shown, m.start(), m.end()))
                continue
            day = int(groups["d"])
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        iso = when.isoformat()
        human = f"{when.day} {when.strftime('%B')} {when.year}"
        out.append(_Value("date", (iso,), iso, human, m.start(), m.end()))
    return out


_UNIT = r"(?P<unit>days?|weeks?|months?|years?|hours?|minutes?)"
_QUAL = r"(?:(?P<q>business|working|calendar|banking|clear)\s+)?"
_DURATION = _Caseless(rf"{_NUMBER}(?:\s+|-){_QUAL}{_UNIT}\b(?!\s+(?:of\s+age|old)\b)")
_UNIT_BASE = {"day": 1, "week": 7, "month": 1, "year": 12, "hour": 60, "minute": 1}
_UNIT_CLASS = {
    "day": "days",
    "week": "days",
    "month": "months",
    "year": "months",
    "hour": "minutes",
    "minute": "minutes",
}


def _durations(text: str, anchors: _Anchors | None = None) -> list[_Value]:
    if anchors is None:
        anchors = _whole(text)
    out: list[_Value] = []
    for m in _DURATION.matches(text, anchors.caseless, anchors.nums):
        n = _number_value(m)
        if n is None:
            continue
        unit = _fold(m.group("unit")).rstrip("s")
        qual = _fold(m.group("q") or "")
        qual = {"working": "business", "banking": "business", "calendar": "", "clear": ""}.get(
            qual, qual
        )
        cls = _UNIT_CLASS[unit] + (f" {qual}" if qual else "")
        plural = "" if n == 1 else "s"
        shown = f"{_plain(n)} {qual + ' ' if qual else ''}{unit}{plural}"
        out.append(
            _Value("duration", (cls, n * _UNIT_BASE[unit]), shown, shown, m.start(), m.end())
        )
    for m in anchors.perpetual:
        out.append(_Value("duration", ("perpetual",), "perpetual", "perpetual", m.start(), m.end()))
    return out


def _drop_overlaps(values: list[_Value]) -> list[_Value]:
    """Keep the longest of overlapping readings, then drop restatements.

    "Two Thousand Dollars ($2,000)" and "fifty per cent (50%)" state one value twice:
    a value repeated in brackets right after itself counts once.
    """
    values = sorted(values, key=lambda v: (v.start, -(v.end - v.start)))
    kept: list[_Value] = []
    for v in values:
        if kept and v.start < kept[-1].end:
            if v.end - v.start > kept[-1].end - kept[-1].start:
                kept[-1] = v
            continue
        kept.append(v)
    return kept


def _overlaps(taken: list[_Value], v: _Value) -> bool:
    """Whether ``v`` overlaps one of ``taken``: non-empty values that do not overlap each
    other, in text order (so only the last one starting before ``v`` ends can)."""
    k = bisect.bisect_left(taken, v.end, key=lambda t: t.start) - 1
    return k >= 0 and taken[k].end > v.start


def _read_values(text: str, anchors: _Anchors) -> list[_Value]:
    """The values of ``text`` that begin at ``anchors``, in order."""
    starts = (anchors.nums, anchors.currencies, anchors.fractions, anchors.years)
    if not any(starts) and not anchors.perpetual:
        return []  # every reader starts from one of these
    found: list[_Value] = []
    # amounts first: "USD 50 billion" must not also read as a duration or a date
    taken: list[_Value] = []
    for mine in (
        _amounts(text, anchors),
        _percentages(text, anchors),
        _dates(text, anchors),
        _durations(text, anchors),
    ):
        mine = _drop_overlaps(mine)
        mine = [v for v in mine if not _overlaps(taken, v)]
        taken = sorted([*taken, *mine], key=lambda v: v.start)
        found.extend(mine)
    found.sort(key=lambda v: v.start)
    out: list[_Value] = []
    last: dict[str, _Value] = {}  # the last value kept of each kind
    for v in found:
        prev = last.get(v.kind)
        if prev is not None and prev.key == v.key:
            gap = text[prev.end : v.start]
            if _BRACKET_GAP.fullmatch(gap) and "(" in gap:
                continue
        out.append(v)
        last[v.kind] = v
    return out


_BRACKET_GAP = re.compile(r"[\s(,]*")


# --- predicates ----------------------------------------------------------------------

_SPACES = re.compile(r"\s+")

_MODALS = {"shall": 5, "must": 5, "will": 5, "should": 2, "may": 1, "can": 1}
_STRONG_VERBS = {  # present tense, no modal: a commitment
    "undertake": 5,
    "agree": 5,
    "commit": 5,
    "guarantee": 5,
    "warrant": 5,
    "covenant": 5,
    "endeavour": 3,
    "endeavor": 3,
    "seek": 3,
    "strive": 3,
    "intend": 2,
    "aim": 2,
    "support": 0,
    "welcome": 0,
    "encourage": 0,
    "recognise": 0,
    "recognize": 0,
    "acknowledge": 0,
    "note": 0,
    "hope": 0,
    "grant": -1,
    "waive": -1,
    "assign": -1,
    "represent": -1,
}
_TO_VERBS = {
    "undertake",
    "agree",
    "commit",
    "endeavour",
    "endeavor",
    "seek",
    "strive",
    "intend",
    "aim",
}
_COPULAR = {
    "required": 5,
    "obliged": 5,
    "obligated": 5,
    "bound": 5,
    "encouraged": 2,
    "expected": 2,
    "invited": 2,
    "urged": 2,
    "entitled": 1,
    "permitted": 1,
    "allowed": 1,
    "authorised": 1,
    "authorized": 1,
    "free": 1,
    "liable": -1,
    "responsible": -1,
}
_WEAK_VERBS = {
    "support",
    "encourage",
    "consider",
    "seek",
    "endeavour",
    "endeavor",
    "strive",
    "try",
    "aim",
    "welcome",
    "explore",
}
_EFFORTS = re.compile(
    r"^use\s+(?:its|their|his|her|all|every|our|your)?\s*(?P<q>(?:all\s+)?(?:commercially\s+)?"
    r"(?:best|reasonable|diligent|good\s+faith)\s+)?(?:efforts|endeavours|endeavors)\s+to\s+"
    r"(?P<v>[A-Za-z]+)",
    re.IGNORECASE,
)
_ADVERBS = {
    "also",
    "hereby",
    "thereafter",
    "only",
    "forthwith",
    "promptly",
    "immediately",
    "jointly",
    "severally",
    "each",
    "both",
    "further",
    "first",
    "then",
    "still",
    "expressly",
    "fully",
}
_IRREGULAR = {
    "paid": "pay",
    "made": "make",
    "given": "give",
    "taken": "take",
    "borne": "bear",
    "held": "hold",
    "kept": "keep",
    "sold": "sell",
    "sent": "send",
    "brought": "bring",
    "bought": "buy",
    "built": "build",
    "found": "find",
    "known": "know",
    "shown": "show",
    "drawn": "draw",
    "withdrawn": "withdraw",
    "laid": "lay",
    "led": "lead",
    "left": "leave",
    "lent": "lend",
    "met": "meet",
    "put": "put",
    "set": "set",
    "spent": "spend",
    "written": "write",
    "chosen": "choose",
    "undertaken": "undertake",
    "seen": "see",
    "done": "do",
    "dealt": "deal",
    "bound": "bind",
    "won": "win",
    "struck": "strike",
    "understood": "understand",
    "forgiven": "forgive",
    "overseen": "oversee",
}
_SUBORDINATORS = {
    "which",
    "that",
    "who",
    "whom",
    "whose",
    "if",
    "unless",
    "where",
    "when",
    "whenever",
    "as",
    "than",
    "until",
    "before",
    "after",
    "provided",
    "because",
    "since",
    "whether",
    "so",
    "although",
    "though",
    "while",
    "whereas",
}
_THAT_MAIN = {
    "agree",
    "agrees",
    "acknowledge",
    "acknowledges",
    "confirm",
    "confirms",
    "understand",
    "understands",
    "undertake",
    "undertakes",
    "declare",
    "declares",
    "recognise",
    "recognises",
    "recognize",
    "recognizes",
    "accept",
    "accepts",
    "ensure",
    "ensures",
    "covenant",
    "covenants",
    "certify",
    "certifies",
}
_PARTY_NOUNS = {
    "party",
    "parties",
    "side",
    "sides",
    "tenant",
    "landlord",
    "lessee",
    "lessor",
    "licensee",
    "licensor",
    "employer",
    "employee",
    "company",
    "buyer",
    "seller",
    "purchaser",
    "vendor",
    "supplier",
    "customer",
    "client",
    "contractor",
    "government",
    "state",
    "states",
    "fund",
    "board",
    "committee",
    "lender",
    "borrower",
    "guarantor",
    "recipient",
    "discloser",
    "provider",
    "processor",
    "controller",
    "agent",
    "distributor",
    "partner",
    "partners",
    "investor",
    "shareholder",
    "shareholders",
    "you",
    "donor",
    "member",
    "members",
    "authority",
    "court",
    "tribunal",
    "arbitrator",
    "arbitrators",
    "minister",
    "ministry",
}
_THING_NOUNS = {
    "code",
    "software",
    "program",
    "agreement",
    "license",
    "licence",
    "goods",
    "products",
    "premises",
    "property",
    "information",
    "data",
    "services",
    "service",
    "works",
    "fees",
    "costs",
    "laws",
    "law",
    "rights",
    "terms",
    "clause",
    "section",
    "article",
    "document",
    "documents",
    "notice",
    "notices",
    "term",
    "loan",
    "facility",
    "price",
    "payment",
    "payments",
    "revenues",
    "resources",
    "sites",
    "assistance",
    # the nouns of a fronted negative ("in no event", "under no circumstances")
    "event",
    "case",
    "circumstances",
    "time",
}
_PRONOUNS = {"it", "they", "them", "he", "she", "this", "these", "those", "which", "who", "such"}
_DETERMINERS = {"the", "each", "either", "any", "all", "both", "no", "neither", "every", "such"}
_PREPOSITIONS = {
    "in",
    "on",
    "at",
    "to",
    "from",
    "for",
    "with",
    "without",
    "within",
    "under",
    "upon",
    "after",
    "before",
    "by",
    "during",
    "into",
    "against",
    "subject",
    "notwithstanding",
}
_NON_AGENTS = {
    "date",
    "day",
    "time",
    "period",
    "deadline",
    "means",
    "way",
    "reason",
    "virtue",
    "operation",
    "reference",
    "notice",
    "law",
    "mail",
    "post",
    "courier",
    "email",
    "transfer",
    "cheque",
    "check",
    "wire",
    "end",
    "close",
}


@functools.lru_cache(maxsize=1 << 16)
def _lemma(word: str) -> str:
    """A crude stem that is the same for "agree", "agrees" and "agreed"."""
    w = word.lower().replace("’", "'")
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
    for suffix, repl in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            if suffix in ("ed", "ing") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lse":
                w = w[:-1]
            break
    return w.rstrip("e") or w


_STRONG = {_lemma(k): v for k, v in _STRONG_VERBS.items()}
# The irregular forms that stem to each stem ("paid" → "pay")
_IRREGULAR_OF: dict[str, list[str]] = {}
for _form in _IRREGULAR:
    _IRREGULAR_OF.setdefault(_lemma(_form), []).append(_form)
_TO = {_lemma(k) for k in _TO_VERBS}
_WEAK = {_lemma(k) for k in _WEAK_VERBS}


def _is_participle(word: str) -> bool:
    w = word.lower()
    return w in _IRREGULAR or (w.endswith("ed") and len(w) > 3) or w.endswith(("en", "wn"))


def _np_end(tokens: list[tuple[str, int, int]], i: int) -> int:
    """The index after a noun phrase starting at ``i`` (for an agent after "by")."""
    j = i
    while j < len(tokens):
        tok = tokens[j][0]
        low = tok.lower()
        if not _is_word(tok) or (low in _PREPOSITIONS and low != "of") or low in _SUBORDINATORS:
            break
        if low in ("with", "each", "having", "and") and j > i and low != "and":
            break
        j += 1
    while j > i and tokens[j - 1][0].lower() in ("and", "or", "of", "the"):
        j -= 1
    return j


_PHRASE_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")


# Words that cannot begin a party's name: prepositions and conjunctions.
_LINKS = _PREPOSITIONS | {"and", "or", "but", "nor"}


@functools.lru_cache(maxsize=1 << 12)
def _party_like(phrase: str) -> bool:
    """Whether a subject or agent names a party ("the Licensee", "Ukraine", "either party").

    Only its head counts (the words before "of", a preposition or a participle), so
    "the laws of the State of New York" and "the products listed in Annex B" are not
    parties.
    """
    words = _PHRASE_WORDS.findall(phrase)
    if words and words[0].lower() in _LINKS:
        return False  # a fragment ("and under no circumstances"), not a noun phrase
    head: list[str] = []
    for w in words:
        lw = w.lower()
        if head and (
            lw in _PREPOSITIONS
            or lw in ("of", "over")
            or (lw == w and lw.endswith("ed") and "-" not in lw)
        ):
            break
        head.append(w)
    if head and head[-1].lower() in _THING_NOUNS:
        return False
    if any(w.lower().rstrip("'s’") in _PARTY_NOUNS for w in head):
        return True
    if any(w[0].isupper() and w.lower() not in _DETERMINERS for w in head[1:]):
        return True
    return len(head) == 1 and head[0][0].isupper() and head[0].lower() not in _DETERMINERS


def _plural_subject(word: str) -> bool:
    """Whether a base-form verb after ``word`` has a plural party for subject.

    "the Parties agree", "you undertake", "the Guarantor States support".
    """
    low = word.lower()
    if low in ("you", "we", "they"):
        return True
    return low.endswith("s") and (low in _PARTY_NOUNS or (word[:1].isupper() and len(word) > 3))


@dataclass
class _Head:
    """The verb phrase of a predicate, as read forwards from its head word."""

    end_tok: int
    level: int | None
    phrase_words: list[str]
    lemma: str
    negated: bool = False
    passive: bool = False
    passive_agent: tuple[int, int] | None = None
    # the subject after the modal, after a fronted negative ("In no event shall the
    # Supplier be liable"): its first and last tokens
    inverted: tuple[int, int] | None = None


_Tokens = list[tuple[str, int, int]]


def _is_adverb(w: str) -> bool:
    return w in _ADVERBS or (w.endswith("ly") and len(w) > 4)


def _modal_lead(low: list[str], toks: _Tokens, j: int, head: _Head) -> int:
    """After a modal: skip adverbs and "at its (sole) discretion", note "not"."""
    while j < len(toks):
        w = low[j]
        if w in ("not", "never"):
            head.negated = True
            head.phrase_words.append("not")
            j += 1
        elif (_is_adverb(w) and w not in ("apply", "supply", "rely", "reply")) or w == ",":
            j += 1
        elif w == "at" and j + 1 < len(toks) and low[j + 1] in ("its", "their", "his", "her"):
            k = j + 2
            while k < len(toks) and low[k] not in ("discretion", ",") and k < j + 6:
                k += 1
            j = k + 1 if k < len(toks) and low[k] == "discretion" else j + 1
        elif w == "no" and j + 1 < len(toks) and low[j + 1] == "longer":
            head.negated = True
            head.phrase_words.append("not")
            j += 2
        else:
            break
    return j


def _be_phrase(low: list[str], toks: _Tokens, j: int, head: _Head) -> bool:
    """ "shall be required to pay", "shall be paid by ...", "shall be liable"."""
    k = j + 1
    while k < len(toks) and _is_adverb(low[k]):
        k += 1
    if k < len(toks) and low[k] == "not":
        head.negated = True
        k += 1
    if k >= len(toks) or not _is_word(toks[k][0]):
        return False
    verb = low[k]
    head.phrase_words.extend(["be", verb])
    head.lemma = _lemma(verb)  # stemmed, as has_lemma finds it ("liable" → "liabl")
    if verb in _COPULAR and not (k + 1 < len(toks) and low[k + 1] == "by"):
        if _COPULAR[verb] >= 0 and k + 2 < len(toks) and low[k + 1] == "to":
            level = head.level
            head.level = min(level, _COPULAR[verb]) if level not in (None, 5) else _COPULAR[verb]
            head.phrase_words.extend(["to", low[k + 2]])
            head.lemma = _lemma(low[k + 2])
            k += 2
    elif _is_participle(verb):
        head.passive = True
        head.lemma = _lemma(verb)
        m = k + 1
        while m < len(toks) and _is_adverb(low[m]):
            m += 1
        if m < len(toks) and low[m] == "by" and m + 1 < len(toks):
            end = _np_end(toks, m + 1)
            if end > m + 1:
                head.passive_agent = (m + 1, end)
    head.end_tok = k
    return True


# A negative phrase that opens a sentence and puts its subject after the modal.
_FRONTED_NEGATIVES = ("in no event", "in no case", "under no circumstances", "at no time")


def _fronted(low: list[str], at: int) -> bool:
    """Whether the three words before token ``at`` are a fronted negative."""
    return at >= 3 and " ".join(low[at - 3 : at]) in _FRONTED_NEGATIVES


def _inverted_subject(low: list[str], toks: _Tokens, i: int, j: int) -> int | None:
    """After a fronted negative, the modal at ``i`` is followed by the subject and then
    "be" ("In no event shall the Supplier be liable"): where that "be" is, if the
    subject (from ``j``) is a few words without punctuation."""
    if not _fronted(low, i):
        return None
    for k in range(j + 1, min(j + 9, len(toks))):
        if low[k] == "be":
            return k
        if not (_is_word(toks[k][0]) or toks[k][0] in ("'", "’")):
            return None
    return None


def _modal_head(side_text: str, s: _Sentence, low: list[str], i: int) -> _Head | None:
    """ "shall pay", "may not disclose", "shall use reasonable efforts to deliver" ..."""
    toks = s.tokens
    if low[i] == "may" and i + 1 < len(toks) and toks[i + 1][0][:1].isdigit():
        return None  # "May 2025"
    head = _Head(i, _MODALS[low[i]], [low[i]], "")
    j = _modal_lead(low, toks, i + 1, head)
    if j < len(toks) and _is_word(toks[j][0]):
        be = _inverted_subject(low, toks, i, j)
        if be is not None:
            head.inverted = (j, be - 1)
            j = be
    if j >= len(toks) or not _is_word(toks[j][0]):
        return None
    rest = side_text[toks[j][1] : s.end]
    eff = _EFFORTS.match(rest)
    if eff:
        q = _fold(eff.group("q") or "")
        head.level = 4 if {"best", "all"} & set(q.split()) else 3
        head.lemma = _lemma(eff.group("v"))
        head.phrase_words.extend(re.sub(r"\s+", " ", rest[: eff.end()]).lower().split())
        head.end_tok = j + len(re.findall(r"\S+", rest[: eff.end()])) - 1
        return head
    if low[j] == "be":
        return head if _be_phrase(low, toks, j, head) else None
    if (
        low[j] == "have"
        and j + 4 < len(toks)
        and low[j + 1] in ("the", "a", "no")
        and low[j + 2] == "right"
        and low[j + 3] == "to"
        and _is_word(toks[j + 4][0])
    ):
        head.level = 1
        head.negated = head.negated or low[j + 1] == "no"
        head.phrase_words.extend(["have", low[j + 1], "right", "to", low[j + 4]])
        head.end_tok = j + 4
        head.lemma = _lemma(low[j + 4])
        return head
    verb = low[j]
    head.lemma = _lemma(verb)
    head.phrase_words.append(verb)
    head.end_tok = j
    if head.lemma in _TO:
        if j + 2 < len(toks) and low[j + 1] == "to" and _is_word(toks[j + 2][0]):
            head.phrase_words.extend(["to", low[j + 2]])
            head.lemma = _lemma(low[j + 2])
            head.end_tok = j + 2
            if head.level == 5:
                head.level = 3
    elif head.lemma in _WEAK and head.level == 5:
        head.level = 3
    return head


def _is_strong_head(toks: _Tokens, low: list[str], i: int) -> bool:
    """ "Ukraine undertakes", "the Parties agree", "the United States supports"."""
    word = low[i]
    if i == 0 or not _is_word(toks[i - 1][0]):
        return False
    prev = low[i - 1]
    if (
        _lemma(word) in _STRONG
        and word.endswith("s")
        and (toks[i - 1][0][0].isupper() or prev in _PARTY_NOUNS or _is_adverb(prev))
        and prev not in ("the", "a", "an", "this", "its", "their")
    ):
        return True
    return word in _BASE_FORMS and _plural_subject(toks[i - 1][0])


_BASE_FORMS = ("agree", "undertake", "commit", "acknowledge", "support", "recognise", "recognize")


def _strong_head(low: list[str], toks: _Tokens, i: int) -> _Head | None:
    lemma = _lemma(low[i])
    level: int | None = _STRONG[lemma]
    head = _Head(i, level, [low[i]], lemma)
    if lemma in _TO:
        if not (i + 2 < len(toks) and low[i + 1] == "to"):
            return None  # "agree that ...", "agrees with ..."
        k = i + 2
        while k < len(toks) and _is_adverb(low[k]):
            k += 1
        if k < len(toks) and _is_word(toks[k][0]):
            head.phrase_words.extend(["to", low[k]])
            head.lemma = _lemma(low[k])
            head.end_tok = k
    if level is not None and level < 0:
        head.level = None
    return head


def _copula_head(low: list[str], toks: _Tokens, i: int) -> _Head | None:
    """ "is required to pay", "are encouraged to take", "is not liable"."""
    k = i + 1
    if k >= len(toks):
        return None
    neg = low[k] == "not"
    k += neg
    if k >= len(toks) or low[k] not in _COPULAR:
        return None
    words = [low[i]] + (["not"] if neg else [])
    if _COPULAR[low[k]] >= 1 and k + 2 < len(toks) and low[k + 1] == "to":
        return _Head(
            k + 2, _COPULAR[low[k]], [*words, low[k], "to", low[k + 2]], _lemma(low[k + 2]), neg
        )
    if _COPULAR[low[k]] < 0:
        return _Head(k, None, [*words, low[k]], low[k], neg)
    return None


def _head_at(side_text: str, s: _Sentence, low: list[str], i: int) -> _Head | None:
    """The predicate whose head word is token ``i``, if it is one."""
    toks = s.tokens
    word = low[i]
    if word in _MODALS and not (toks[i][0] == "May" and i > 0):
        return _modal_head(side_text, s, low, i)
    if _is_strong_head(toks, low, i):
        return _strong_head(low, toks, i)
    if word in ("is", "are"):
        return _copula_head(low, toks, i)
    if (
        word in ("does", "do")
        and i + 2 < len(toks)
        and low[i + 1] == "not"
        and _is_word(toks[i + 2][0])
    ):
        return _Head(i + 2, None, [word, "not", low[i + 2]], _lemma(low[i + 2]), True)
    return None


_HEAD_WORDS = frozenset(_MODALS) | {"is", "are", "does", "do"} | set(_BASE_FORMS)


def _maybe_head(word: str) -> bool:
    return word in _HEAD_WORDS or (word.endswith("s") and _lemma(word) in _STRONG)


_CHUNK_HEADS: dict[str, bool] = {}


def _has_head(text: str, s: _Sentence) -> bool:
    """Whether a token of the sentence can head a predicate (:func:`_maybe_head`).

    A token never holds whitespace, so the sentence's tokens are those of its
    whitespace-separated chunks: the answer is remembered per distinct chunk, and a
    sentence is tokenised only when one of its chunks has a head.
    """
    heads: list[bool] = _remembered(_CHUNK_HEADS, text[s.start : s.end].split(), _chunk_has_head)
    return any(heads)


def _chunk_has_head(chunk: str) -> bool:
    return any(_maybe_head(t.lower()) for t in _TOKEN.findall(chunk))


def _subject_start(low: list[str], toks: _Tokens, head: int, prev_end: int) -> tuple[int, int]:
    """Where the subject of the predicate headed at ``head`` begins, and ends (a, b)."""
    a = head
    while a > 0 and _is_adverb(low[a - 1]):
        a -= 1
    b = a
    while b > 0:
        t = toks[b - 1]
        if t[2] <= prev_end:
            break
        if not (_is_word(t[0]) or t[0] in ("'", "’")) or low[b - 1] in _SUBORDINATORS:
            break
        b -= 1
    if prev_end >= 0 and b < a:
        # after an earlier predicate: the subject follows the last "and"/"or"
        conj = [k for k in range(b, a) if low[k] in ("and", "or", "but")]
        if conj:
            b = conj[-1] + 1
    return b, a


_DIGIT = re.compile(r"\d")


def _predicate(
    side_text: str,
    s: _Sentence,
    sent_index: int,
    low: list[str],
    i: int,
    h: _Head,
    out: list[_Predicate],
) -> _Predicate:
    """A predicate from its head, with its subject (who is bound) read backwards."""
    toks = s.tokens
    prev_end = max((p.end for p in out), default=-1)
    b, a = _subject_start(low, toks, i, prev_end)
    negated = h.negated
    ellipsis = b == a and a > 0 and low[a - 1] in ("and", "or", "but")
    before_subject = low[b - 1] if b > 0 else ""
    subordinate = before_subject in _SUBORDINATORS and not (
        before_subject == "that" and b > 1 and low[b - 2] in _THAT_MAIN
    )
    while b < a and len(toks[b][0]) == 1 and toks[b][0].isalpha() and toks[b][0] not in "AI":
        b += 1  # a list label: "(c) You must ..."
    subject_toks = toks[b:a]
    clause_start = toks[b][1] if b < a else toks[i][1]
    actor: str | None = None
    actor_start = actor_end = toks[i][1]
    subject_negates = False
    fronted_start = -1
    if a - b >= 3 and _fronted(low, a):
        negated = True  # "In no event shall ...", also after other words
        fronted_start = toks[a - 3][1]
        if h.inverted is not None:
            actor_start, actor_end = toks[h.inverted[0]][1], toks[h.inverted[1]][2]
            actor = side_text[actor_start:actor_end]
    elif ellipsis and out:
        actor = out[-1].actor
        actor_start, actor_end = out[-1].actor_start, out[-1].actor_end
        subject_negates = out[-1].subject_negates
        negated = negated or out[-1].subject_negates
    elif subject_toks and len(subject_toks) <= 10 and low[b] not in _PREPOSITIONS:
        actor_start, actor_end = subject_toks[0][1], subject_toks[-1][2]
        actor = side_text[actor_start:actor_end]
        if low[b] in ("no", "neither", "nothing", "none"):
            subject_negates = negated = True
    agent = None
    if h.passive:
        actor = None
        if h.passive_agent is not None:
            ag = toks[h.passive_agent[0] : h.passive_agent[1]]
            text = side_text[ag[0][1] : ag[-1][2]]
            if (
                _party_like(text)
                and ag[-1][0].lower() not in _NON_AGENTS
                and not _DIGIT.search(text)
            ):
                actor, actor_start, actor_end = text, ag[0][1], ag[-1][2]
                agent = text
    if actor is not None and actor.lower() in _PRONOUNS:
        actor = None
    return _Predicate(
        sent=sent_index,
        start=toks[i][1],
        end=toks[min(h.end_tok, len(toks) - 1)][2],
        phrase=" ".join(w for w in h.phrase_words if w),
        level=h.level,
        negated=negated,
        subject_negates=subject_negates,
        lemma=h.lemma,
        actor=actor,
        actor_start=actor_start,
        actor_end=actor_end,
        subordinate=subordinate,
        clause_start=clause_start,
        agent=agent,
        fronted_start=fronted_start,
    )


def _predicates(side_text: str, sentences: list[_Sentence], sent_index: int) -> list[_Predicate]:
    """The predicates of one sentence, in order: modal, "undertakes to", "is required to" ..."""
    s = sentences[sent_index]
    low, heads = s.low, s.heads
    if not heads:
        return []
    out: list[_Predicate] = []
    i = 0
    for k in heads:
        if k < i:
            continue
        h = _head_at(side_text, s, low, k)
        if h is None:
            continue
        out.append(_predicate(side_text, s, sent_index, low, k, h, out))
        i = max(h.end_tok, k) + 1
    return _continuations(side_text, s, sent_index, out)


_AND_TO = re.compile(r"(?:,\s*|\s)and\s+to\s+(?:\w+ly\s+)?([a-z]+)")


def _continuations(
    text: str, s: _Sentence, sent_index: int, preds: list[_Predicate]
) -> list[_Predicate]:
    """ "You agree to stop ... and to destroy ...": the second verb is an obligation too."""
    out: list[_Predicate] = []
    for n, p in enumerate(preds):
        out.append(p)
        if " to " not in f" {p.phrase} ":
            continue
        stop = preds[n + 1].start if n + 1 < len(preds) else s.end
        for m in _AND_TO.finditer(text[p.end : stop]):
            verb = m.group(1)
            head = p.phrase.rsplit(" to ", 1)[0]
            out.append(
                _Predicate(
                    sent_index,
                    p.end + m.start(1),
                    p.end + m.end(1),
                    f"{head} to {verb}",
                    p.level,
                    p.negated,
                    p.subject_negates,
                    _lemma(verb),
                    p.actor,
                    p.actor_start,
                    p.actor_end,
                    p.subordinate,
                )
            )
    return out


_APOSTROPHE_S = re.compile(r"'s\b")
_ACTOR_PARTS = re.compile(r"\s*(?:,|\band\b|\bor\b|/)\s*")
_ACTOR_WORDS = re.compile(r"[a-z0-9][a-z0-9'-]*")


@functools.lru_cache(maxsize=1 << 12)
def _actor_key(actor: str) -> frozenset[str]:
    """ "The Buyer and the Seller" and "the Seller and the Buyer" are one actor."""
    text = actor.lower().replace("’", "'")
    text = _APOSTROPHE_S.sub("", text)
    parts = _ACTOR_PARTS.split(text)
    keys: set[str] = set()
    for p in parts:
        words = [w for w in _ACTOR_WORDS.findall(p) if w not in _DETERMINERS]
        if words:
            keys.add(" ".join(words))
    return frozenset(keys)


# --- conditions -------------------------------------------------------------------

_COND_NOUNS = (
    r"approval|ratification|consent|authori[sz]ation|confirmation|receipt|request|demand|"
    r"satisfaction|fulfil?ment|completion|occurrence|delivery|acceptance|verification|"
    r"certification|payment|presentation|notification|registration|adoption|agreement|"
    r"recommendation|proposal|instructions?|decision"
)
_COND_START = _Caseless(
    r"\bunless\b|\bexcept\s+(?:if|where|when)\b"
    r"|\b(?:except|save)\s+as\s+(?:otherwise\s+)?(?:provided|set\s+out|stated|specified|agreed)\b"
    r"|\b(?:only\s+)?if\b(?!\s+(?:any|applicable|so|necessary|appropriate|not)\b)"
    r"(?!\s+and\s+(?:only\s+)?to\s+the\s+extent\b)"
    r"|\b(?:except|save|other\s+than)\s+in\s+(?:the\s+)?(?:case|event)\s+(?:of|that)\b"
    r"|\bin\s+the\s+event\s+(?:that|of)\b|\bin\s+case\s+(?:of|that)?"
    r"|\b(?:after|following|upon|on)\s+(?:the\s+)?(?:date\s+of\s+(?:the\s+)?)?"
    r"(?:deposit|exchange)\s+of\s+(?:the\s+)?(?:[a-z]+\s+)?instruments?\s+of\b"
    r"|\bprovided\s*(?:,\s*however,?\s*)?(?:that|always\s+that)\b|\bproviding\s+that\b"
    r"|\bon\s+(?:the\s+)?condition\s+that\b|\b(?:conditional|contingent)\s+(?:up)?on\b"
    r"|\bsubject\s+to\b|\b(?:so|as)\s+long\s+as\b"
    rf"|\b(?:upon|on)\s+(?:the\s+(?:date|day)\s+of\s+)?(?:the\s+|its\s+|their\s+|[A-Z][\w-]*['’]s\s+)?"
    rf"(?:(?:prior|written|final|formal|express|due|full)\s+)*(?:{_COND_NOUNS})\b"
    r"|\b(?:only\s+)?(?:with|without)\s+(?:the\s+)?(?:[A-Z][\w-]*['’]s\s+)?"
    r"(?:(?:prior|written|express|specific|general|explicit)\s+)*"
    r"(?:consent|approval|authori[sz]ation|permission)\b",
    # "[A-Z]" without case is "[a-z]" on lower-case text
    lower=lambda source: source.replace("[A-Z]", "[a-z]"),
)
_COND_END = re.compile(
    r",\s|;|:|\.(?:\s|$)|$|\s(?=(?:and|or|but)\s+(?:shall|must|may|will|should|can)\b)"
)
# "without the Landlord's consent, such consent not to be unreasonably withheld"
_COND_QUALIFIER = re.compile(
    r",\s*(?:such|which|whose)\s+(?:consent|approval|authori[sz]ation|permission)\s+"
    r"(?:shall\s+|is\s+)?not\s+(?:to\s+)?be\s+unreasonably\b",
    re.IGNORECASE,
)
_NEGATIVE_MARKERS = re.compile(r"^(?:unless|except|save|without|only\s+without)\b", re.IGNORECASE)
_COND_STOP = {
    "the",
    "a",
    "an",
    "of",
    "by",
    "to",
    "in",
    "on",
    "upon",
    "its",
    "their",
    "his",
    "her",
    "this",
    "that",
    "such",
    "any",
    "if",
    "only",
    "provided",
    "however",
    "subject",
    "event",
    "case",
    "condition",
    "save",
    "otherwise",
    "conditional",
    "contingent",
    "with",
    "without",
    "unless",
    "except",
    "where",
    "when",
    "so",
    "as",
    "long",
    "is",
    "are",
    "be",
    "been",
    "has",
    "have",
    "shall",
    "will",
    "s",
    "there",
    "which",
    "and",
    "or",
    "must",
    "may",
    "should",
    "can",
}


_CONDITION_WORDS = re.compile(r"[a-z0-9<>-]+")
_POSSESSIVE = re.compile(r"['’]s\b")


def _conditions(
    side: _Side, lower: str, active: Collection[int], found: _Anchors
) -> list[_Condition]:
    """The conditions of the ``active`` sentences: from an opening word to a comma.

    ``found`` holds where a condition can begin (covering those sentences).
    """
    text = side.text
    anchors = found.conditions
    start_at = (
        functools.partial(_COND_START.nocase.match, text)
        if found.caseless is None
        else functools.partial(_COND_START.low.match, found.caseless)
    )
    out: list[_Condition] = []
    for si in sorted(active):
        s = side.sentences[si]
        first = bisect.bisect_left(anchors, s.start)
        last = bisect.bisect_left(anchors, s.end, first)
        for pos in anchors[first:last]:
            if out and out[-1].start <= pos < out[-1].end:
                continue
            if lower.startswith("where", pos):
                m = _WHERE.match(text, pos) if not text[s.start : pos].strip() else None
            else:
                m = start_at(pos)
            if m is None:
                continue
            start = m.start()
            stop = _COND_END.search(text, m.end(), min(s.end, m.end() + 400))
            end = stop.start() if stop else s.end
            if _COND_QUALIFIER.match(text, end):
                more = _COND_END.search(text, end + 2, min(s.end, end + 400))
                end = more.start() if more else s.end
            cond_text = text[start:end].rstrip()
            end = start + len(cond_text)
            if not cond_text:
                continue
            # values, references and numbers are masked: their own findings tell of them
            masked = side.mask(start, end).lower()
            words = _CONDITION_WORDS.findall(_POSSESSIVE.sub("", masked))
            content = frozenset([_lemma(w) for w in words if w not in _COND_STOP])
            negative = bool(_NEGATIVE_MARKERS.match(cond_text))
            out.append(_Condition(si, start, end, cond_text, (negative, content)))
    return out


_WHERE = re.compile(r"where\b", re.IGNORECASE)


# --- defined terms ----------------------------------------------------------------------

_Q_OPEN = "\"“'‘"
_Q_CLOSE = "\"”'’"
_TERM_PAREN = re.compile(
    r"\(\s*(?:(?:the|this|a|an|each|together|collectively|jointly|hereinafter|herein|referred\s+to\s+as|"
    r"called|as)[\s,]+)*"
    rf"[{_Q_OPEN}](?P<t>[A-Z][^{_Q_CLOSE}()]{{0,80}}?)[{_Q_CLOSE}]\s*\)"
)
_TERM_MEANS = re.compile(
    rf"[{_Q_OPEN}](?P<t>[A-Z][^{_Q_CLOSE}]{{0,80}}?)[{_Q_CLOSE}]\s+(?:shall\s+)?(?:means?|includes?|"
    r"has\s+the\s+meaning|shall\s+have\s+the\s+meaning|refers?\s+to)\b"
)
_TERM_BARE = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?(?P<t>[A-Z][A-Za-z-]*(?:\s+[A-Z][A-Za-z-]*){0,4})\s+means\b"
)


def _terms(text: str, sentences: list[_Sentence], active: Collection[int]) -> list[_Term]:
    out: list[_Term] = []
    starts: set[int] = set()
    for si in sorted(active):
        s = sentences[si]
        body = text[s.start : s.end]
        # a definition quotes its term, or says "means": a sentence with neither has none
        quoted = any(q in body for q in _Q_OPEN)
        if not quoted and "means" not in body:
            continue
        for pattern in (_TERM_PAREN, _TERM_MEANS, _TERM_BARE):
            for m in pattern.finditer(body):
                start, end = s.start + m.start("t"), s.start + m.end("t")
                if start in starts:
                    continue
                starts.add(start)
                out.append(_Term(si, start, end, m.group("t").strip()))
    out.sort(key=lambda t: t.start)
    return out


def _term_key(term: str) -> str:
    return _SPACES.sub(" ", term).strip().lower()


# --- cross-references ------------------------------------------------------------------------

_REF_WORDS = {
    "article": "Article",
    "articles": "Article",
    "art": "Article",
    "section": "Section",
    "sections": "Section",
    "sec": "Section",
    "§": "Section",
    "§§": "Section",
    "clause": "Clause",
    "clauses": "Clause",
    "schedule": "Schedule",
    "schedules": "Schedule",
    "annex": "Annex",
    "annexes": "Annex",
    "appendix": "Appendix",
    "appendices": "Appendix",
    "exhibit": "Exhibit",
    "exhibits": "Exhibit",
    "paragraph": "Paragraph",
    "paragraphs": "Paragraph",
    "part": "Part",
    "parts": "Part",
    "chapter": "Chapter",
    "chapters": "Chapter",
}
_REF_ID = r"(?:\d+[A-Za-z]?(?:\.\d+[A-Za-z]?)*(?:\([a-z0-9]{1,4}\))*|[IVXLC]+\b|[A-Z]\b)"
_REF = re.compile(
    r"(?P<kw>\b(?:[Aa]rticles?|[Ss]ections?|[Cc]lauses?|Schedules?|Annex(?:es)?|Appendix|Appendices|"
    r"Exhibits?|Paragraphs?|Parts?|Chapters?|Art\.|Sec\.)|§§?)\s*"
    rf"(?P<ids>{_REF_ID}(?:\s*(?:,|and/or|and|or|to|through|-|–)\s*{_REF_ID})*)"
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# How a reference's keyword can begin: every match of :data:`_REF` begins with one.
_REF_STARTS = (
    *("Art", "article", "Sec", "section", "Clause", "clause", "Schedule", "Annex", "Appendi"),
    *("Exhibit", "Paragraph", "Part", "Chapter", "§"),
)


def _ref_matches(text: str) -> list[re.Match[str]]:
    """``list(_REF.finditer(text))``, trying :data:`_REF` only where a keyword begins.

    Every match begins with one of :data:`_REF_STARTS`, which :meth:`str.find`
    finds far faster than the pattern can scan; :data:`_REF` is tried at each in
    turn, as :meth:`re.Pattern.finditer` would (the next try after a match's end).
    """
    starts: list[int] = []
    for lead in _REF_STARTS:
        find = text.find
        at = find(lead)
        while at >= 0:
            starts.append(at)
            at = find(lead, at + 1)
    out: list[re.Match[str]] = []
    end = 0
    for at in sorted(starts):
        if at < end:
            continue
        m = _REF.match(text, at)
        if m is not None:
            out.append(m)
            end = m.end()
    return out


def _roman(s: str) -> int | None:
    if not s or any(c not in _ROMAN for c in s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=False):
        va = _ROMAN[a]
        total += -va if b in _ROMAN and _ROMAN[b] > va else va
    return total


def _ref_norm(keyword: str, ident: str) -> str:
    kw = _REF_WORDS.get(keyword.lower().rstrip("."), keyword)
    if kw in ("Article", "Chapter") and (n := _roman(ident)) is not None:
        ident = str(n)
    return f"{kw} {ident}".lower()


_KNOWN_LABEL = re.compile(r"\s*(\S+?)\.?\s*(\S+)\s*")
# The keywords as references are written normalised ("Article"): a label such as
# "Article 12" (every label that compare.provision_labels makes) is its own norm,
# lower-cased, with no pattern to match (tens of thousands of labels in a long document).
_CANONICAL_WORDS = frozenset(_REF_WORDS.values())


def _parse_known(label: str) -> str:
    """A known label's norm, as :func:`_parse_label` gives it."""
    keyword, space, ident = label.partition(" ")
    if space and keyword in _CANONICAL_WORDS and ident.isascii() and ident.isdigit():
        return label.lower()
    return _parse_label(label)


def _parse_label(label: str) -> str:
    m = _KNOWN_LABEL.fullmatch(label)
    if m and m.group(1).lower() in _REF_WORDS:
        return _ref_norm(m.group(1), m.group(2))
    return _SPACES.sub(" ", label).strip().lower()


_REF_EXTERNAL = re.compile(
    r"\s+(?:of|to)\s+(?!this\b|the\s+present\b|these\b)(?:the\s+)?([A-Za-z]+)"
)
_REF_ID_RE = re.compile(_REF_ID)


def _refs(text: str) -> list[_Ref]:
    out: list[_Ref] = []
    for m in _ref_matches(text):
        keyword = m.group("kw")
        kw = _REF_WORDS.get(keyword.lower().rstrip("."), keyword)
        after = text[m.end() : m.end() + 40]
        ext = _REF_EXTERNAL.match(after)
        external = bool(ext) and not (ext is not None and ext.group(1).lower() in _REF_WORDS)
        for idm in _REF_ID_RE.finditer(m.group("ids")):
            ident = idm.group()
            start = m.start("ids") + idm.start()
            out.append(
                _Ref(start, start + len(ident), f"{kw} {ident}", _ref_norm(kw, ident), external)
            )
    return out


@dataclass(frozen=True)
class _Known:
    """The labels that exist in a version, parsed once for every clause checked
    against them: the labels, their sorts ("section"), and every prefix that has
    sub-provisions listed ("section 2" when "section 2.1" or "section 2(a)" is)."""

    norms: frozenset[str]
    kinds: frozenset[str]
    with_children: frozenset[str]


def _known(known_refs: Collection[str]) -> _Known:
    norms = frozenset(map(_parse_known, known_refs))
    prefixes = {
        k[: m.start()] for k in norms if "." in k or "(" in k for m in _SUB_MARK.finditer(k)
    }
    return _Known(norms, frozenset(k.split(" ", 1)[0] for k in norms), frozenset(prefixes))


_SUB_MARK = re.compile(r"[.(]")
_KNOWN_MEMO: list[tuple[Collection[str], _Known]] = []


def _known_memo(known_refs: Collection[str]) -> _Known:
    """:func:`_known`, remembered for the last immutable collection passed: a comparison
    checks every clause against the same tuple of labels."""
    if not isinstance(known_refs, tuple | frozenset):
        return _known(known_refs)
    for refs, parsed in _KNOWN_MEMO:
        if refs is known_refs:
            return parsed
    parsed = _known(known_refs)
    _KNOWN_MEMO[:] = [(known_refs, parsed)]
    return parsed


def _dangling(ref: _Ref, known: _Known) -> bool:
    if ref.norm in known.norms:
        return False
    kw = ref.norm.split(" ", 1)[0]
    if kw not in known.kinds:
        return False  # no references of this sort are known: nothing to check against
    ident = ref.norm.split(" ", 1)[1]
    while True:
        parent = re.sub(r"(?:\([a-z0-9]+\)|\.\d+[a-z]?)$", "", ident)
        if parent == ident:
            return True
        if f"{kw} {parent}" in known.norms:
            # the parent exists: the reference dangles only if its siblings are listed
            return f"{kw} {parent}" in known.with_children
        ident = parent


# --- reading one side ------------------------------------------------------------------------


def _mask(text: str, values: list[_Value], start: int, end: int) -> str:
    """``text[start:end]`` with values, references and numbers blanked out, at the same offsets.

    Each masked run reads as one placeholder ("<v>"), whatever it was, so "within 12
    months" and "within 6 months" mask alike.
    """
    sub = text[start:end]
    size = len(sub)
    spans = [(v.start - start, v.end - start) for v in values if v.start < end and start < v.end]
    spans += [m.span() for m in _ref_matches(sub)]
    spans += [m.span() for m in _NUMERAL.finditer(sub)]
    if not spans:
        return sub
    # the masked runs: the spans clipped to the text, overlapping or touching ones merged
    runs: list[list[int]] = []
    for a, b in sorted(spans):
        a, b = max(a, 0), min(b, size)
        if a >= b:
            continue
        if runs and a <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    pieces: list[str] = []
    k = 0
    for a, b in runs:
        pieces.append(sub[k:a])
        pieces.append(("<v>" if b - a >= 3 else "#" * (b - a)).ljust(b - a))
        k = b
    pieces.append(sub[k:])
    return "".join(pieces)


_NUMERAL = re.compile(r"\d[\d,.]*")


def _runs(sentences: list[_Sentence], active: Collection[int]) -> list[tuple[int, int]]:
    """The stretches of text the ``active`` sentences cover, consecutive ones merged."""
    runs: list[tuple[int, int]] = []
    for i in sorted(active):
        s = sentences[i]
        if runs and runs[-1][1] >= s.start - 2:
            runs[-1] = (runs[-1][0], s.end)
        else:
            runs.append((s.start, s.end))
    return runs


def _read(text: str, sentences: list[_Sentence], active: Collection[int]) -> _Side:
    """The facts of the ``active`` sentences of one side (the others are left unread)."""
    if not active:
        return _Side(text, sentences, [], [], [], [])
    lower = _lowered(text)
    anchors = _scan_anchors(lower, _runs(sentences, active))
    side = _Side(text, sentences, _read_values(text, anchors), [], [], [], lower)
    for i in sorted(active):
        s = sentences[i]
        if not s.tokens and not _has_head(text, s):
            continue  # no word of it can head a predicate: there is none to read
        _tokenise(text, s)
        side.predicates.extend(_predicates(text, sentences, i))
        s.tokens, s.low, s.heads = [], [], []  # read: let a long text's tokens go
    side.conditions = _conditions(side, lower, active, anchors)
    side.terms = _terms(text, sentences, active)
    return side


_ReadJob = tuple[str, list[_Sentence], Collection[int]]
# what a worker read: the facts as plain tuples, and the text lower-cased (_lowered)
_Facts = tuple[tuple[list[tuple[Any, ...]], ...], str | None]
_FACT_CLASSES = (_Value, _Predicate, _Condition, _Term)
_FACT_FIELDS = tuple(tuple(f.name for f in fields(c)) for c in _FACT_CLASSES)


def _read_sides(old: _ReadJob, new: _ReadJob) -> tuple[_Side, _Side]:
    """:func:`_read` of both sides. The two are independent, so a long clause has the
    new side read by a worker while this process reads the old (:mod:`clausetrack.parallel`),
    with the same result."""
    costs = [len(old[0]), len(new[0])]
    if not parallel.would_fork(costs):
        return _read(*old), _read(*new)
    with parallel.ahead(functools.partial(_read_facts, new), costs[1]) as new_facts:
        old_side = _read(*old)
        return old_side, _side_of(new, new_facts())


def _read_facts(job: _ReadJob) -> _Facts:
    """:func:`_read` in a worker: the facts found, as plain tuples (a worker's result
    comes back pickled, and tuples cross several times faster than dataclasses), and
    the lower-cased text it made (sent back rather than made again in the parent)."""
    side = _read(*job)
    found: tuple[Sequence[object], ...] = (
        side.values,
        side.predicates,
        side.conditions,
        side.terms,
    )
    facts = tuple(
        [tuple(getattr(x, name) for name in names) for x in facts]
        for facts, names in zip(found, _FACT_FIELDS, strict=True)
    )
    return facts, side.lower


def _side_of(job: _ReadJob, facts: _Facts) -> _Side:
    """The :class:`_Side` that :func:`_read` gives for ``job``, from what a worker read.

    Reading leaves the read sentences without tokens (:func:`_read` lets them go); the
    same is done here, so the sentences end as they would have in this process."""
    text, sentences, active = job
    for i in active:
        s = sentences[i]
        s.tokens, s.low, s.heads = [], [], []
    if not active:
        return _Side(text, sentences, [], [], [], [])
    (values, predicates, conditions, terms), lower = facts
    return _Side(
        text,
        sentences,
        [_Value(*t) for t in values],
        [_Predicate(*t) for t in predicates],
        [_Condition(*t) for t in conditions],
        [_Term(*t) for t in terms],
        lower,
    )


@dataclass(slots=True)
class _Words:
    """The words and numbers of a side: their offsets, each one's sentence, and how
    many each sentence has."""

    offsets: list[int]
    sent: list[int]
    sizes: list[int]


def _word_tokens(sentences: list[_Sentence]) -> _Words:
    offsets: list[int] = []
    sent: list[int] = []
    sizes: list[int] = []
    for si, s in enumerate(sentences):
        # a word or a number begins with a letter or a digit
        offsets += s.words
        sent += [si] * len(s.words)
        sizes.append(len(s.words))
    return _Words(offsets, sent, sizes)


def _lower_words(sentences: list[_Sentence]) -> list[str]:
    """The words and numbers of a side lower-cased, in the order of :func:`_word_tokens`."""
    return [
        t[0].lower() for s in sentences for t in s.tokens if (c := t[0][0]).isalpha() or c.isdigit()
    ]


_SPACE = re.compile(r"\s")


def _aligned_words(
    old_text: str,
    old: list[_Sentence],
    new: list[_Sentence],
    a: _Words,
    b: _Words,
    ranges: list[tuple[int, int, int, int]],
    equal: list[bool],
) -> dict[tuple[int, int], int]:
    """How many words each (old sentence, new sentence) pair shares.

    The redline's equal spans say which words are kept, in linear time: an old word in
    a kept span is shared with the new word at the same place in it, if a word begins
    there. When the redline keeps no word at all (a diff that replaced the whole clause)
    and the texts are small, a word alignment of their own is made with :mod:`difflib`.

    Whether a token begins at a place depends only on the text from the whitespace
    before it, so after a kept span's first whitespace a word begins at the same
    places on both sides: those words are counted by sentence, a few look-ups per
    span, and only the words before it are looked up one by one.
    """
    new_at = dict(zip(b.offsets, b.sent, strict=True))
    new_starts = [s.start for s in new]
    firsts = list(itertools.accumulate(a.sizes, initial=0))  # each sentence's first word
    offsets, sent = a.offsets, a.sent
    left, right = bisect.bisect_left, bisect.bisect_right
    shared: dict[tuple[int, int], int] = {}
    for (os_, oe, ns, _), kept in zip(ranges, equal, strict=True):
        if not kept:
            continue
        lo, hi = left(offsets, os_), left(offsets, oe)
        if lo >= hi:
            continue
        shift = ns - os_
        space = _SPACE.search(old_text, os_, oe)
        mid = hi if space is None else min(hi, right(offsets, space.start()))
        for k in range(lo, mid):  # before the first whitespace: looked up
            sj = new_at.get(offsets[k] + shift)
            if sj is not None:
                cell = (sent[k], sj)
                shared[cell] = shared.get(cell, 0) + 1
        k = mid
        while k < hi:  # after it: counted per old sentence, per new sentence
            si = sent[k]
            stop = min(hi, firsts[si + 1])
            while k < stop:
                sj = right(new_starts, offsets[k] + shift) - 1
                nxt = stop
                if sj + 1 < len(new_starts):
                    nxt = left(offsets, new_starts[sj + 1] - shift, k, stop)
                cell = (si, sj)
                shared[cell] = shared.get(cell, 0) + nxt - k
                k = nxt
    if shared or len(a.offsets) + len(b.offsets) > 1500:
        return shared
    matcher = difflib.SequenceMatcher(None, _lower_words(old), _lower_words(new), autojunk=False)
    for blk in matcher.get_matching_blocks():
        for n in range(blk.size):
            cell = (a.sent[blk.a + n], b.sent[blk.b + n])
            shared[cell] = shared.get(cell, 0) + 1
    return shared


#: Above this many characters (old and new together) a clause is large: a worker
#: splits its sentences while it is diffed (:func:`reading_ahead`), and when its
#: redline keeps no word its sentences are left unpaired rather than aligned word by
#: word.
_LARGE = 20_000
# A letter or a digit: a kept span with one keeps (part of) a word.
_WORD_CHAR = re.compile(r"[^\W_]")


def _char_weights(
    old: list[_Sentence],
    new: list[_Sentence],
    ranges: list[tuple[int, int, int, int]],
    equal: list[bool],
) -> tuple[dict[tuple[int, int], int], list[int], list[int]]:
    """Characters each (old, new) sentence pair shares through the kept spans; sizes."""
    weight: dict[tuple[int, int], int] = {}
    at_old, at_new = [s.start for s in old], [s.start for s in new]
    end_old, end_new = [s.end for s in old], [s.end for s in new]
    n_old, n_new = len(old), len(new)
    after = bisect.bisect_right
    for (os_, oe, ns, _), kept in zip(ranges, equal, strict=True):
        if not kept:
            continue
        pos = os_
        shift = ns - os_  # new offset - old offset, in this span
        while pos < oe:
            # the sentences at pos on each side, as _sent_at finds them
            i = after(at_old, pos) - 1
            i = i if i > 0 else 0
            j = after(at_new, pos + shift) - 1
            j = j if j > 0 else 0
            # up to the next edge on either side: a sentence's end, or, in the white
            # space between two sentences (a dropped blank piece), the next one's start
            stop = oe
            edge = end_old[i] if pos < end_old[i] else at_old[i + 1] if i + 1 < n_old else oe
            if pos < edge < stop:
                stop = edge
            at = pos + shift
            edge = end_new[j] if at < end_new[j] else at_new[j + 1] if j + 1 < n_new else at
            if at < edge and edge - shift < stop:
                stop = edge - shift
            if stop <= pos:
                stop = pos + 1
            cell = (i, j)
            weight[cell] = weight.get(cell, 0) + stop - pos
            pos = stop
    return weight, [s.end - s.start for s in old], [s.end - s.start for s in new]


def _word_weights(
    old_text: str,
    old: list[_Sentence],
    new: list[_Sentence],
    ranges: list[tuple[int, int, int, int]],
    equal: list[bool],
) -> tuple[dict[tuple[int, int], int], list[int], list[int]]:
    """Words each (old, new) sentence pair shares; the sentences' sizes in words."""
    a, b = _word_tokens(old), _word_tokens(new)
    return _aligned_words(old_text, old, new, a, b, ranges, equal), a.sizes, b.sizes


def _pair_sentences(
    old_text: str,
    old: list[_Sentence],
    new: list[_Sentence],
    ranges: list[tuple[int, int, int, int]],
    equal: list[bool],
    weak: set[int],
    by_chars: bool = False,
) -> dict[int, int]:
    """Old sentence index → new sentence index, in order, through what the redline keeps.

    Old sentences paired only because each stands alone between two pairs (a
    rewrite that keeps too few words) are added to ``weak``. With ``by_chars`` the
    kept characters are counted instead of words (no tokens needed).
    """
    no, nn = len(old), len(new)
    if not no or not nn:
        return {}
    if by_chars:
        weight, size_a, size_b = _char_weights(old, new, ranges, equal)
    else:
        weight, size_a, size_b = _word_weights(old_text, old, new, ranges, equal)
    least = 12 if by_chars else 2
    cells = [
        (i, j, w)
        for (i, j), w in weight.items()
        if w >= max(least, 0.25 * min(size_a[i], size_b[j]))
    ]
    pairs = _heaviest_chain(cells, nn)
    # a single unpaired sentence on each side of a gap is a rewrite of the other
    anchors = [(-1, -1), *sorted(pairs.items()), (no, nn)]
    for (i0, j0), (i1, j1) in itertools.pairwise(anchors):
        if i1 - i0 == 2 and j1 - j0 == 2:
            pairs[i0 + 1] = j0 + 1
            weak.add(i0 + 1)
    return pairs


def _active(
    old: list[_Sentence],
    new: list[_Sentence],
    ranges: list[tuple[int, int, int, int]],
    equal: list[bool],
    pairs: dict[int, int],
) -> tuple[set[int], set[int]]:
    """The sentences with a change in them, on each side, and their partners."""
    changed = [r for r, kept in zip(ranges, equal, strict=True) if not kept]
    act_old = _touched([s.start for s in old], [(r[0], r[1]) for r in changed])
    act_new = _touched([s.start for s in new], [(r[2], r[3]) for r in changed])
    back = {j: i for i, j in pairs.items()}
    act_new.update(pairs[i] for i in list(act_old) if i in pairs)
    act_old.update(back[j] for j in list(act_new) if j in back)
    return act_old, act_new


def _touched(starts: list[int], changes: list[tuple[int, int]]) -> set[int]:
    """The sentences (by their ``starts``) that the changed stretches ``a:b`` touch."""
    act: set[int] = set()
    if not starts:
        return act
    after = bisect.bisect_right
    for a, b in changes:
        # the sentences at a and at b - 1, as _sent_at finds them
        first = after(starts, a) - 1
        first = first if first > 0 else 0
        last = after(starts, b - 1 if b - 1 > a else a) - 1
        last = last if last > 0 else 0
        if first == last:
            act.add(first)
        else:
            act.update(range(first, last + 1))
        if b == a and first > 0 and starts[first] >= a - 1:
            act.add(first - 1)  # a change at a sentence boundary touches both
    return act


def _heaviest_chain(cells: list[tuple[int, int, int]], width: int) -> dict[int, int]:
    """The heaviest set of cells (i, j, weight) increasing in both i and j.

    A weighted longest increasing subsequence: cells by i, and by j downwards within
    one i so that no i is used twice; a Fenwick tree keeps the best chain ending
    below each j. O(k log k) for k cells.
    """
    cells = sorted(cells, key=lambda c: (c[0], -c[1]))
    if all(a[0] < b[0] and a[1] < b[1] for a, b in itertools.pairwise(cells)):
        # already a chain (weights are positive): all of it, in the order the walk
        # back from its end gives
        return {i: j for i, j, _ in reversed(cells)}
    # a chain's (total, last cell index) as one number, compared as the pair would be
    scale = len(cells) + 1
    tree = [0] * (width + 1)  # per column: the best code below it (0: none)
    best: list[tuple[int, int]] = []  # per cell: (total, previous cell index)
    for n, (_, j, w) in enumerate(cells):
        found = 0  # the best chain over columns < j
        k = j
        while k > 0:
            if tree[k] > found:
                found = tree[k]
            k -= k & -k
        total = found // scale + w
        best.append((total, found % scale - 1))
        code = total * scale + n + 1
        k = j + 1
        while k <= width:
            if code > tree[k]:
                tree[k] = code
            k += k & -k
    pairs: dict[int, int] = {}
    n = max(range(len(best)), key=lambda k: (best[k][0], -k), default=-1)
    while n >= 0:
        pairs[cells[n][0]] = cells[n][1]
        n = best[n][1]
    return pairs


# --- findings ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Finding:
    kind: str
    before: str | None
    after: str | None
    summary: str
    old_ranges: tuple[tuple[int, int], ...]
    new_ranges: tuple[tuple[int, int], ...]


_AMOUNT_LABELS = [
    ("purchase price", "Purchase price"),
    ("price", "Price"),
    ("rent\\b", "Rent"),
    ("deposit", "Deposit"),
    ("salary", "Salary"),
    ("bonus", "Bonus"),
    ("royalty", "Royalty"),
    ("fee", "Fee"),
    ("fine\\b", "Fine"),
    ("penalty", "Penalty"),
    ("liquidated damages", "Liquidated damages"),
    ("liability", "Liability cap"),
    ("insurance", "Insurance cover"),
    ("grant", "Grant"),
    ("loan", "Loan"),
    ("facility", "Facility"),
    ("indebtedness", "Threshold"),
    ("threshold", "Threshold"),
    ("maximum", "Cap"),
    ("contribut", "Contribution"),
    ("invest", "Investment"),
    ("revenue", "Revenue"),
    ("pay", "Payment"),
    ("provid", "Payment"),
    ("transfer", "Transfer"),
    ("remit", "Payment"),
    ("sum\\b", "Sum"),
]
_PERCENT_LABELS = [
    ("contribut", "Contribution"),
    ("revenue", "Revenue share"),
    ("royalt", "Royalty share"),
    ("profit", "Profit share"),
    ("proceeds", "Share of proceeds"),
    ("interest", "Interest rate"),
    ("commission", "Commission"),
    ("margin", "Margin"),
    ("availability", "Availability commitment"),
    ("voting", "Voting threshold"),
    ("shares", "Shareholding"),
    ("dut(?:y|ies)", "Duty rate"),
    ("vat\\b", "VAT rate"),
]
_DURATION_LABELS = [
    ("notice", "Notice period"),
    ("surviv", "Survival period"),
    ("warrant", "Warranty period"),
    ("cure", "Cure period"),
    ("probation", "Probationary period"),
    ("compet", "Non-compete period"),
    ("solicit", "Non-solicitation period"),
    ("leave", "Leave entitlement"),
    ("working hours", "Working time"),
    ("term\\b", "Term"),
    ("invoice", "Payment period"),
    ("pay", "Payment period"),
    ("within", "Deadline"),
    ("no later than", "Deadline"),
]
_DATE_LABELS = [
    ("expir", "Expiry date"),
    ("effective", "Effective date"),
    ("take effect", "Effective date"),
    ("completion", "Completion date"),
    ("commenc", "Start date"),
    ("until", "Deadline"),
    ("no later than", "Deadline"),
    ("due\\b", "Due date"),
    ("by\\b", "Deadline"),
    ("before", "Deadline"),
]
_GENERIC = {"amount": "Amount", "percentage": "Percentage", "date": "Date", "duration": "Period"}


def _label(kind: str, text: str, sent: _Sentence, v: _Value) -> str:
    """What the value is, from the nearest cue word: "rent", "notice", "revenues" ..."""
    lexicon = {
        "amount": _AMOUNT_LABELS,
        "percentage": _PERCENT_LABELS,
        "duration": _DURATION_LABELS,
        "date": _DATE_LABELS,
    }[kind]
    before = text[max(sent.start, v.start - 60) : v.start].lower()
    after = text[v.end : min(sent.end, v.end + {"percentage": 40, "duration": 25}.get(kind, 0))]
    after = after.lower()
    best: tuple[int, str] | None = None
    for needle, name in lexicon:
        for m in re.finditer(rf"\b{needle}", before):
            distance = len(before) - m.end()
            if kind == "percentage" and distance <= 12:
                distance = -200  # the verb that governs it: "contribute 50 percent of ..."
            if best is None or distance < best[0]:
                best = (distance, name)
        for m in re.finditer(rf"\b{needle}", after):
            # "50 percent of the revenues", "30 days' notice": what follows names it first
            distance = m.start() - 100
            if best is None or distance < best[0]:
                best = (distance, name)
    if best is None:
        return _GENERIC[kind]
    name = best[1]
    # "Ukraine shall provide the United States with USD 50 billion": a demand on a party
    demand = r"\b(?:shall|must|will)\s+(?:\w+\s+)?(?:pay|provide|transfer|remit)"
    if (
        kind == "amount"
        and name in ("Payment", "Transfer", "Revenue")
        and re.search(demand, before)
    ):
        return "Payment demand"
    return name


def _value_findings(old: _Side, new: _Side, pairs: dict[int, int]) -> list[_Finding]:
    out: list[_Finding] = []
    for kind in _VALUE_KINDS:
        olds = [v for v in old.values if v.kind == kind]
        news = [v for v in new.values if v.kind == kind]
        left_new = list(news)
        left_old: list[_Value] = []
        for v in olds:
            twin = next((w for w in left_new if w.key == v.key), None)
            if twin is not None:
                left_new.remove(twin)
            else:
                left_old.append(v)
        for v in left_old:
            si = old.sent_of(v.start)
            target = pairs.get(si)
            partner = next(
                (w for w in left_new if target is not None and new.sent_of(w.start) == target), None
            )
            label = _label(kind, old.text, old.sentences[si], v)
            if partner is not None:
                left_new.remove(partner)
                out.append(
                    _Finding(
                        kind,
                        v.value,
                        partner.value,
                        f"{label} changed: {v.human} → {partner.human}",
                        ((v.start, v.end),),
                        ((partner.start, partner.end),),
                    )
                )
            else:
                noun = f"{label} of {v.human}" if label != _GENERIC[kind] else f"{label} {v.human}"
                out.append(
                    _Finding(kind, v.value, None, f"{noun} removed", ((v.start, v.end),), ())
                )
        for w in left_new:
            si = new.sent_of(w.start)
            label = _label(kind, new.text, new.sentences[si], w)
            noun = f"{label} of {w.human}" if label != _GENERIC[kind] else f"{label} {w.human}"
            out.append(_Finding(kind, None, w.value, f"{noun} added", (), ((w.start, w.end),)))
    return out


def _strength_word(level: int | None) -> str:
    if level is None:
        return "Provision"
    if level >= 4:
        return "Obligation"
    if level >= 2:
        return "Qualified commitment"
    if level == 1:
        return "Permission"
    return "Non-binding statement"


def _effective_level(p: _Predicate) -> int | None:
    if p.level is None:
        return None
    if p.negated:  # "shall not", "may not", "must not": all prohibitions
        return 5 if p.level in (1, 5) else p.level
    return p.level


def _neg_phrase(p: _Predicate, with_subject: bool, side: _Side, quoted: bool = False) -> str:
    """The predicate as a negation finding shows it: its phrase ("may not disclose"), with
    its subject when that negates ("no party may assign"); ``quoted``, as written from
    its subject or its fronted negative ("in no event shall the Supplier be liable")."""
    if p.fronted_start >= 0:
        if p.actor is None:  # the subject was not found: the sentence's first words
            return _lower_lead(_gist(side.text, side.sentences[p.sent], p.fronted_start, 10))
        return _lower_lead(_one_line(side.text[p.fronted_start : p.end]))
    if quoted and p.actor and p.actor_start < p.start:
        return _lower_lead(_one_line(side.text[p.actor_start : p.end]))
    if with_subject and p.actor:
        actor = (
            p.actor[:1].lower() + p.actor[1:]
            if p.actor[:1].isupper()
            and (p.actor.split(" ", 1)[0].lower() in _DETERMINERS | {"nothing", "none"})
            else p.actor
        )
        return f"{actor} {p.phrase}"
    return p.phrase


_LOWERED_LEADS = _DETERMINERS | {"in", "under", "at"}


def _lower_lead(said: str) -> str:
    """``said`` with its first word lower-cased when it is a determiner or the start of
    a fronted negative written in sentence case ("The", "In"); "IN NO EVENT" stays."""
    first = said.split(" ", 1)[0]
    if first.lower() in _LOWERED_LEADS and said[1:2].islower():
        return said[:1].lower() + said[1:]
    return said


def _said_from(p: _Predicate) -> int:
    """Where a predicate quoted with its subject begins: at its fronted negative (which
    comes before the subject after the modal), else at its subject or its modal."""
    return p.fronted_start if p.fronted_start >= 0 else min(p.start, p.actor_start)


def _actor_shown(actor: str) -> str:
    return (
        actor[:1].lower() + actor[1:]
        if actor.split(" ", 1)[0] in ("The", "Each", "Either", "Any")
        else actor
    )


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


# A changed phrase this many words long or shorter is quoted whole; a longer one from a
# few words before its first difference to a few after its last.
_WHOLE_WORDS = 16
_AROUND = 5
_LEAD = 2  # opening words kept before a cut
_MIDDLE_WORDS = 24  # at most, of what differs


def _contrast(before: str, after: str) -> tuple[str, str]:
    """Two versions of a phrase as a summary quotes them: whole when they are short,
    else cut to where they differ ("… been advised of the possibility of such damages"
    → "… been advised of the possibility of initial such damages"), so that a long
    condition changed in one word does not fill the line twice over."""
    a, b = _one_line(before).split(" "), _one_line(after).split(" ")
    if max(len(a), len(b)) <= _WHOLE_WORDS:
        return " ".join(a), " ".join(b)
    same = 0  # words alike at the start
    while same < len(a) and same < len(b) and a[same] == b[same]:
        same += 1
    end = 0  # and at the end, not counting those again
    while end < len(a) - same and end < len(b) - same and a[-1 - end] == b[-1 - end]:
        end += 1
    lo = max(0, same - _AROUND)
    lo = 0 if lo <= _LEAD + 1 else lo  # a gap of a word or two is not worth an ellipsis
    keep_end = max(0, end - _AROUND)

    def cut(words: list[str]) -> str:
        hi = len(words) - keep_end
        middle = words[lo:hi]
        tail = hi < len(words)
        if len(middle) > _MIDDLE_WORDS:
            middle, tail = middle[:_MIDDLE_WORDS], True
        # the opening words say what sort of phrase it is ("subject to", "if")
        head = " ".join(words[:_LEAD]) + " … " if lo else ""
        return head + " ".join(middle) + (" …" if tail else "")

    return cut(a), cut(b)


def _clause_text(text: str, p: _Predicate) -> str:
    """ "the Licensee shall indemnify", "the natural resources ... shall be operated by ..."."""
    said = _one_line(text[p.clause_start : p.end]) if p.clause_start >= 0 else p.phrase
    if len(said.split()) > 14:
        said = f"{p.actor} {p.phrase}" if p.actor and not p.agent else p.phrase
    if p.agent:
        said += f" by {_one_line(p.agent)}"
    return (
        said[:1].lower() + said[1:] if said.split(" ", 1)[0] in ("The", "Each", "Either") else said
    )


def _side_lemmas(side: _Side) -> set[str]:
    """The stems of every word of a side (each distinct word stemmed once).

    A word holds no whitespace, and lower-casing maps no letter differently for being
    cut off at a space, so the words are read from each distinct whitespace-separated
    chunk: the same words as from the whole text lower-cased, at a fraction of the work.
    """
    words: set[str] = set()
    for chunk in set(side.text.split()):
        words.update(_LOWER_WORDS.findall(chunk.lower()))
    return set(map(_lemma, words))


_LOWER_WORDS = re.compile(r"[a-z][a-z'’\-]*[a-z]|[a-z]")


def _match_predicates(
    old: _Side, new: _Side, pairs: dict[int, int]
) -> tuple[list[tuple[_Predicate, _Predicate]], list[_Predicate], set[int]]:
    """Predicates paired within paired sentences: same verb first, then main verbs in order.

    Returns the pairs, the old predicates left alone and the indexes of the new ones paired.
    """
    matched_new: set[int] = set()
    unmatched_old: list[_Predicate] = []
    matches: list[tuple[_Predicate, _Predicate]] = []
    by_sent_new: dict[int, list[int]] = {}
    for idx, q in enumerate(new.predicates):
        by_sent_new.setdefault(q.sent, []).append(idx)
    by_sent_old: dict[int, list[_Predicate]] = {}
    for p in old.predicates:
        by_sent_old.setdefault(p.sent, []).append(p)
    for si, ps in by_sent_old.items():
        target = pairs.get(si)
        free = [k for k in by_sent_new.get(target, [])] if target is not None else []
        rest: list[_Predicate] = []
        for p in ps:
            k = next((k for k in free if new.predicates[k].lemma == p.lemma), None)
            if k is not None:
                free.remove(k)
                matched_new.add(k)
                matches.append((p, new.predicates[k]))
            else:
                rest.append(p)
        main_rest = [p for p in rest if not p.subordinate]
        main_free = [k for k in free if not new.predicates[k].subordinate]
        if main_rest and len(main_rest) == len(main_free):
            for p, k in zip(main_rest, main_free, strict=True):
                matched_new.add(k)
                matches.append((p, new.predicates[k]))
            rest = [p for p in rest if p.subordinate]
        unmatched_old.extend(rest)
    return matches, unmatched_old, matched_new


def _gist(text: str, sent: _Sentence, start: int, words: int = 18) -> str:
    """What a sentence says, from ``start`` (its subject), cut to a few words."""
    said = _one_line(text[max(start, sent.start) : sent.end]).rstrip(" .;,:")
    parts = said.split(" ")
    if len(parts) > words:
        said = " ".join(parts[:words]).rstrip(",;:") + " …"
    first = said.split(" ", 1)[0]
    return said[:1].lower() + said[1:] if first in ("The", "Each", "Either", "Any") else said


def _strength_of(p: _Predicate) -> str:
    """ "Obligation", "Permission" ...; "Provision" when no party is bound by it."""
    level = _effective_level(p)
    if level is not None and level >= 4 and not p.agent:
        passive = " be " in f" {p.phrase} "
        if p.subject_negates or not (passive or (p.actor and _party_like(p.actor))):
            return "Provision"
    return _strength_word(level)


def _lone_predicate_findings(
    side: _Side,
    lone: Sequence[_Predicate],
    other: _Side,
    pairs: dict[int, int],
    value_sents: set[int],
    whole: set[int],
    added: bool,
) -> list[_Finding]:
    """Obligations with no counterpart: added (``added``) or removed.

    ``pairs`` maps this side's sentences to the other's. A sentence that went (or
    came) whole gives one finding that says what it does; its values, when it has
    some, say it instead. ``whole`` collects those sentences.
    """
    out: list[_Finding] = []
    for p in lone:
        if p.subordinate or p.level is None or other.has_lemma(p.lemma):
            continue
        target = pairs.get(p.sent)
        if target is None and (p.sent in value_sents or p.sent in whole):
            continue
        if target is not None and not _has_main_predicate(other, target):
            continue  # an obligation reworded as a plain statement ("is perpetual"), or back
        what = "added" if added else "removed"
        if target is None:
            whole.add(p.sent)
            start = p.clause_start if p.clause_start >= 0 else p.start
            said = _gist(side.text, side.sentences[p.sent], start)
        else:
            said = _clause_text(side.text, p)
        rng = ((p.start, p.end),)
        out.append(
            _Finding(
                "modality",
                None if added else p.phrase,
                p.phrase if added else None,
                f"{_strength_of(p)} {what}: {said}",
                () if added else rng,
                rng if added else (),
            )
        )
    return out


def _predicate_findings(
    old: _Side,
    new: _Side,
    pairs: dict[int, int],
    strong: dict[int, int],
    value_sents: tuple[set[int], set[int]],
    whole: tuple[set[int], set[int]],
) -> list[_Finding]:
    matches, unmatched_old, matched_new = _match_predicates(old, new, pairs)
    out: list[_Finding] = []
    for p, q in matches:
        out.extend(_compare_predicates(p, q, old, new))
    # a sentence rewritten beyond recognition is, for its obligations, one gone and one come
    back = {j: i for i, j in strong.items()}
    lone_new = [q for k, q in enumerate(new.predicates) if k not in matched_new]
    out += _lone_predicate_findings(
        old, unmatched_old, new, strong, value_sents[0], whole[0], False
    )
    out += _lone_predicate_findings(new, lone_new, old, back, value_sents[1], whole[1], True)
    return out


def _compare_predicates(p: _Predicate, q: _Predicate, old: _Side, new: _Side) -> list[_Finding]:
    out: list[_Finding] = []
    if p.subordinate or q.subordinate:
        return out
    rng_old = ((p.start, p.end),)
    rng_new = ((q.start, q.end),)
    if p.negated != q.negated:
        fronted = p.fronted_start >= 0 or q.fronted_start >= 0
        with_subject = p.subject_negates or q.subject_negates or fronted
        before = _neg_phrase(p, with_subject, old, quoted=fronted)
        after = _neg_phrase(q, with_subject, new, quoted=fronted)
        what = "added" if q.negated else "removed"
        if with_subject:
            rng_old = ((_said_from(p), p.end),)
            rng_new = ((_said_from(q), q.end),)
        out.append(
            _Finding(
                "negation", before, after, f"Negation {what}: {before} → {after}", rng_old, rng_new
            )
        )
    else:
        lp, lq = _effective_level(p), _effective_level(q)
        if lp is not None and lq is not None and lp != lq:
            how = "softened" if lq < lp else "strengthened"
            noun = "Prohibition" if p.negated else "Obligation"
            if not p.negated and max(lp, lq) < 4:
                noun = "Commitment"
            out.append(
                _Finding(
                    "modality",
                    p.phrase,
                    q.phrase,
                    f"{noun} {how}: {p.phrase} → {q.phrase}",
                    rng_old,
                    rng_new,
                )
            )
    if (
        p.actor
        and q.actor
        and _party_like(p.actor)
        and _party_like(q.actor)
        # the same words with no value over them mask alike: the same key, no change
        and (
            p.actor != q.actor
            or old.has_values(p.actor_start, p.actor_end)
            or new.has_values(q.actor_start, q.actor_end)
        )
    ):
        ka = _actor_key(old.mask(p.actor_start, p.actor_end))
        kb = _actor_key(new.mask(q.actor_start, q.actor_end))
        if ka and kb and ka != kb:
            before, after = _actor_shown(p.actor), _actor_shown(q.actor)
            out.append(
                _Finding(
                    "actor",
                    before,
                    after,
                    f"Party changed: {before} → {after} ({q.phrase})",
                    ((p.actor_start, p.actor_end),),
                    ((q.actor_start, q.actor_end),),
                )
            )
    return out


def _has_main_predicate(side: _Side, sent: int) -> bool:
    return sent in side.main_sentences


def _queues(keys: Sequence[object]) -> dict[object, list[int]]:
    """For each key, the indexes that have it, in reverse order (``pop()`` gives the first)."""
    out: dict[object, list[int]] = {}
    for k in range(len(keys) - 1, -1, -1):
        out.setdefault(keys[k], []).append(k)
    return out


def _condition_partner(
    c: _Condition, conditions: list[_Condition], theirs: list[int], mine: int
) -> int | None:
    """The new condition that ``c`` became, among ``theirs`` (the indexes into
    ``conditions`` of those left in the paired sentence, in order).

    One that shares enough of its words; else, when each sentence of the pair lost
    and gained exactly one condition (``mine`` is how many ``c``'s sentence lost) and
    that one has the same sense ("if", "unless"), that one.
    """
    same = [k for k in theirs if conditions[k].key[0] == c.key[0]]
    for k in same:
        words = conditions[k].key[1]
        union = c.key[1] | words
        if union and len(c.key[1] & words) / len(union) >= 0.3:
            return k
    if mine == 1 and len(theirs) == 1 and same:
        return same[0]
    return None


def _condition_findings(old: _Side, new: _Side, pairs: dict[int, int]) -> list[_Finding]:
    """Conditions added, removed or changed.

    One of the same meaning on the other side cancels (the first one left there, in
    text order); what is left is paired within paired sentences. Lists are indexed by
    key and by sentence, so this is linear in the number of conditions.
    """
    out: list[_Finding] = []
    conds = new.conditions
    in_sent: dict[int, list[int]] = {}
    for k, d in enumerate(conds):
        in_sent.setdefault(d.sent, []).append(k)
    used: set[int] = set()  # new conditions cancelled or paired
    # the same condition in the paired sentence cancels first: a document that repeats
    # a condition must not have one sentence's copy taken by another's
    unsettled: list[_Condition] = []
    for c in old.conditions:
        target = pairs.get(c.sent)
        same = (
            next((k for k in in_sent[target] if k not in used and conds[k].key == c.key), None)
            if target in in_sent
            else None
        )
        if same is None:
            unsettled.append(c)
        else:
            used.add(same)
    twins = _queues([d.key for d in conds])
    left_old: list[_Condition] = []
    for c in unsettled:
        queue = twins.get(c.key)
        while queue and queue[-1] in used:
            queue.pop()
        if queue:
            used.add(queue.pop())
        else:
            left_old.append(c)
    by_sent: dict[int, list[int]] = {}
    for k, d in enumerate(conds):
        if k not in used:
            by_sent.setdefault(d.sent, []).append(k)
    lost: dict[int, int] = {}
    for c in left_old:
        lost[c.sent] = lost.get(c.sent, 0) + 1
    for c in left_old:
        target = pairs.get(c.sent)
        if target is None and _has_main_predicate(old, c.sent):
            continue  # the whole sentence went: its obligation's finding tells of it
        partner = None
        if target is not None:
            theirs = by_sent.get(target, [])
            partner = _condition_partner(c, conds, theirs, lost[c.sent])
        if partner is not None:
            theirs.remove(partner)
            used.add(partner)
            d = conds[partner]
            out.append(
                _Finding(
                    "condition",
                    c.text,
                    d.text,
                    "Condition changed: {} → {}".format(*_contrast(c.text, d.text)),
                    ((c.start, c.end),),
                    ((d.start, d.end),),
                )
            )
        else:
            out.append(
                _Finding(
                    "condition",
                    c.text,
                    None,
                    f"Condition removed: {c.text}",
                    ((c.start, c.end),),
                    (),
                )
            )
    for k, d in enumerate(conds):
        if k in used:
            continue
        out.append(
            _Finding(
                "condition", None, d.text, f"Condition added: {d.text}", (), ((d.start, d.end),)
            )
        )
    return out


def _term_findings(
    old: _Side, new: _Side, pairs: dict[int, int], whole: tuple[set[int], set[int]]
) -> list[_Finding]:
    """Defined terms renamed, introduced or dropped.

    A term defined in a sentence that came or went whole with an obligation is part
    of what that obligation's finding quotes, so it is not told again.
    """
    out: list[_Finding] = []
    terms = new.terms
    twins = _queues([_term_key(u.term) for u in terms])
    used: set[int] = set()  # new terms cancelled or paired
    left_old: list[_Term] = []
    for t in old.terms:
        queue = twins.get(_term_key(t.term))
        if queue:
            used.add(queue.pop())
        else:
            left_old.append(t)
    left_old = [t for t in left_old if t.sent not in whole[0]]
    used.update(k for k, u in enumerate(terms) if u.sent in whole[1])
    by_sent = _queues([u.sent if k not in used else None for k, u in enumerate(terms)])
    by_sent.pop(None, None)
    for t in left_old:
        target = pairs.get(t.sent)
        queue = by_sent.get(target) if target is not None else None
        if queue:
            k = queue.pop()
            used.add(k)
            partner = terms[k]
            out.append(
                _Finding(
                    "defined-term",
                    t.term,
                    partner.term,
                    f"Defined term renamed: \u201c{t.term}\u201d → \u201c{partner.term}\u201d",
                    ((t.start, t.end),),
                    ((partner.start, partner.end),),
                )
            )
        else:
            out.append(
                _Finding(
                    "defined-term",
                    t.term,
                    None,
                    f"Defined term dropped: \u201c{t.term}\u201d",
                    ((t.start, t.end),),
                    (),
                )
            )
    for k, u in enumerate(terms):
        if k in used:
            continue
        out.append(
            _Finding(
                "defined-term",
                None,
                u.term,
                f"Defined term introduced: \u201c{u.term}\u201d",
                (),
                ((u.start, u.end),),
            )
        )
    return out


def _ref_findings(new_text: str, known_refs: Collection[str]) -> list[_Finding]:
    known = _known_memo(known_refs)
    out: list[_Finding] = []
    seen: set[str] = set()
    for ref in _refs(new_text):
        if ref.external or ref.norm in seen or not _dangling(ref, known):
            continue
        seen.add(ref.norm)
        out.append(
            _Finding(
                "cross-reference",
                None,
                ref.label,
                f"Reference to {ref.label}, which does not exist in this version",
                (),
                ((ref.start, ref.end),),
            )
        )
    return out


# --- spans -----------------------------------------------------------------------------


def _span_ranges(spans: Sequence[Span]) -> list[tuple[int, int, int, int]]:
    """For each span: its start and end in the old text and in the new text."""
    out: list[tuple[int, int, int, int]] = []
    o = n = 0
    for s in spans:
        lo = len(s.text) if s.kind != "insert" else 0
        ln = len(s.text) if s.kind != "delete" else 0
        out.append((o, o + lo, n, n + ln))
        o += lo
        n += ln
    return out


def _locate(
    f: _Finding,
    spans: Sequence[Span],
    ranges: list[tuple[int, int, int, int]],
    ends: tuple[list[int], list[int]],
) -> tuple[int, int]:
    """The spans a finding comes from: the changed ones among those its words touch.

    ``ends`` are the spans' ends in the old and in the new text (both non-decreasing).
    """
    hit: set[int] = set()
    for side, wanted in ((0, f.old_ranges), (2, f.new_ranges)):
        for a, b in wanted:
            i = bisect.bisect_right(ends[side // 2], a)  # the first span ending after a
            while i < len(ranges) and ranges[i][side] < b:
                if ranges[i][side + 1] > ranges[i][side]:
                    hit.add(i)
                i += 1
    if not hit:
        # a finding at an empty spot (an empty text): the nearest span
        return (0, min(1, len(spans)))
    changed = [i for i in hit if spans[i].kind != "equal"]
    chosen = changed or sorted(hit)
    return min(chosen), max(chosen) + 1


def _check_spans(old_text: str, new_text: str, spans: Sequence[Span]) -> None:
    old = "".join(s.text for s in spans if s.kind != "insert")
    new = "".join(s.text for s in spans if s.kind != "delete")
    if old != old_text or new != new_text:
        raise ValueError(
            "the spans do not give the old and new texts: pass the redline of old → new"
        )


# --- read ahead -----------------------------------------------------------------------------

# What a worker made ahead of a call (reading_ahead): the two texts and the labels it
# is for, and the callable that waits for it.
_Ahead = tuple[str, str, Collection[str] | None, Callable[[], "_Prepared"]]
_Prepared = tuple[list[tuple[int, int]], list[tuple[int, int]], list[_Finding]]
_AHEAD: _Ahead | None = None


def _prepare(old_text: str, new_text: str, known_refs: Collection[str] | None) -> _Prepared:
    """What :func:`find_key_changes` does with two long texts before it looks at their
    redline: their sentences (as bounds) and the dangling cross-references."""
    bounds = [
        [(s.start, s.end) for s in _split_sentences(text, tokens=False)]
        for text in (old_text, new_text)
    ]
    refs = _ref_findings(new_text, known_refs) if known_refs is not None else []
    return bounds[0], bounds[1], refs


def reading_ahead(
    old_text: str, new_text: str, known_refs: Collection[str] | None = None
) -> contextlib.AbstractContextManager[None]:
    """Split two long texts into sentences and check their cross-references in a forked
    worker (:func:`clausetrack.parallel.ahead`) while the caller diffs them: the diff of
    a long document begins with a line alignment on one core, and the other is free.

    A :func:`find_key_changes` call inside the block for these very texts and labels
    (the same objects) takes that work rather than doing it; any other call does its
    own. The findings are the same either way. Texts that are not long (or equal), or
    too short to pay for a worker, are left alone: the block does nothing then."""
    size = len(old_text) + len(new_text)
    if size <= _LARGE or old_text == new_text or not parallel.would_fork([size, 0]):
        return contextlib.nullcontext()
    return _worker_ahead(old_text, new_text, known_refs, size)


@contextlib.contextmanager
def _worker_ahead(
    old_text: str, new_text: str, known_refs: Collection[str] | None, size: int
) -> Iterator[None]:
    global _AHEAD
    work = functools.partial(_prepare, old_text, new_text, known_refs)
    with parallel.ahead(work, size) as prepared:
        saved = _AHEAD
        _AHEAD = (old_text, new_text, known_refs, prepared)
        try:
            yield
        finally:
            _AHEAD = saved


def _taken_ahead(
    old_text: str, new_text: str, known_refs: Collection[str] | None
) -> _Prepared | None:
    """What a worker made ahead for this call (:func:`reading_ahead`), if it did."""
    ahead = _AHEAD
    if ahead is None or ahead[0] is not old_text or ahead[1] is not new_text:
        return None
    return ahead[3]() if ahead[2] is known_refs else None


# --- the API ----------------------------------------------------------------------------------


def find_key_changes(
    old_text: str,
    new_text: str,
    spans: Sequence[Span],
    *,
    known_refs: Collection[str] | None = None,
) -> tuple[KeyChange, ...]:
    """The material changes from ``old_text`` to ``new_text``, in the order of the text.

    ``spans`` is the attributed redline of old → new; each finding's
    ``span_start``/``span_end`` index the spans it comes from, and its party and
    version are those of the first insertion or deletion among them.
    ``known_refs`` are the cross-reference labels that exist in the new version
    ("Article 3", "Section 2.1"); with ``None`` cross-references are not checked.

    Raises :class:`ValueError` when the spans do not concatenate to the texts.
    """
    _check_spans(old_text, new_text, spans)
    if old_text == new_text and known_refs is None:
        return ()
    large = len(old_text) + len(new_text) > _LARGE
    prepared = _taken_ahead(old_text, new_text, known_refs) if large else None
    # Sentences are paired by the characters the redline keeps, so only those with a
    # change are tokenised, as they are read. A short clause whose redline keeps no
    # word (one rewritten whole) is paired by an alignment of its words instead.
    by_words = not large and not any(s.kind == "equal" and _WORD_CHAR.search(s.text) for s in spans)
    if prepared is None:
        old_sents = _split_sentences(old_text, tokens=by_words)
        new_sents = _split_sentences(new_text, tokens=by_words)
    else:  # split by a worker (as _split_sentences(text, tokens=False) does)
        old_sents = [_Sentence(a, b, [], [], [], []) for a, b in prepared[0]]
        new_sents = [_Sentence(a, b, [], [], [], []) for a, b in prepared[1]]
    ranges = _span_ranges(spans)
    equal = [s.kind == "equal" for s in spans]
    weak: set[int] = set()
    pairs = _pair_sentences(old_text, old_sents, new_sents, ranges, equal, weak, not by_words)
    act_old, act_new = _active(old_sents, new_sents, ranges, equal, pairs)
    old, new = _read_sides((old_text, old_sents, act_old), (new_text, new_sents, act_new))
    findings: list[_Finding] = []
    if old_text != new_text:
        values = _value_findings(old, new, pairs)
        added_removed = (
            {old.sent_of(r[0]) for f in values if f.after is None for r in f.old_ranges},
            {new.sent_of(r[0]) for f in values if f.before is None for r in f.new_ranges},
        )
        findings += values
        whole: tuple[set[int], set[int]] = (set(), set())
        strong = {i: j for i, j in pairs.items() if i not in weak}
        findings += _predicate_findings(old, new, pairs, strong, added_removed, whole)
        findings += _condition_findings(old, new, pairs)
        findings += _term_findings(old, new, pairs, whole)
    if known_refs is not None:
        findings += _ref_findings(new_text, known_refs) if prepared is None else prepared[2]
    seen: set[tuple[str, str | None, str | None]] = set()
    unique: list[_Finding] = []
    for f in findings:
        before = _one_line(f.before) if f.before is not None else None
        after = _one_line(f.after) if f.after is not None else None
        key = (f.kind, before, after)
        if f.kind == "actor" and key in seen:
            continue  # one party swapped for another in several obligations: say it once
        seen.add(key)
        unique.append(
            _Finding(f.kind, before, after, _one_line(f.summary), f.old_ranges, f.new_ranges)
        )
    findings = unique
    located: list[tuple[tuple[int, int, int, int], KeyChange]] = []
    ends = ([r[1] for r in ranges], [r[3] for r in ranges])
    for f in findings:
        start, end = _locate(f, spans, ranges, ends)
        party = version = None
        for s in spans[start:end]:
            if s.kind != "equal":
                party, version = s.party, s.version
                break
        pos = f.new_ranges[0][0] if f.new_ranges else f.old_ranges[0][0] if f.old_ranges else 0
        change = KeyChange(f.kind, f.before, f.after, f.summary, start, end, party, version)
        located.append(((start, end, pos, KINDS.index(f.kind)), change))
    located.sort(key=lambda x: x[0])
    return tuple(c for _, c in located)


# --- normalising a value, for comparing findings -------------------------------------------------

_READERS: dict[str, Callable[[str], list[_Value]]] = {
    "amount": _amounts,
    "percentage": _percentages,
    "date": _dates,
    "duration": _durations,
}


def normalise_value(kind: str, text: str | None) -> str | None:
    """A finding's before/after in a form that compares by meaning.

    Values are read again ("$50bn" → "USD 50,000,000,000", "one year" → "12 months"
    compares equal to "1 year"); other kinds are lower-cased with quotes, a leading
    article and outer punctuation dropped.
    """
    if text is None:
        return None
    reader = _READERS.get(kind)
    if reader is not None:
        found = _drop_overlaps(reader(text))
        if len(found) == 1:
            v = found[0]
            if kind == "duration":
                return " ".join(str(k) for k in v.key)
            return v.value
    s = text.lower().replace("’", "'").replace("‘", "'")
    s = re.sub(r"[\"“”']", "", s)
    s = re.sub(r"\s+", " ", s).strip(" .,;:")
    if kind == "actor":
        return " & ".join(sorted(_actor_key(s)))
    return re.sub(r"^(?:the|a|an) ", "", s)
