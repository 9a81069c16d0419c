"""Plain-text, Markdown and JSON renderings of a :class:`Comparison`.

They read the same model as the HTML page: the same clauses, spans,
attribution, statistics, positions and key changes. Each also comes in pieces
(``text_pieces``, ``markdown_pieces``, ``json_pieces``), a clause at a time, so that a
large comparison can be written as it is made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from clausetrack import __version__
from clausetrack.compare import count_words
from clausetrack.model import (
    ClauseDiff,
    Comparison,
    KeyChange,
    Position,
    Span,
    Version,
    WordStats,
)

SCHEMA = "clausetrack/compare/1"  # documented in docs/json-schema.json

# --- shared helpers ------------------------------------------------------------


def _party_name(c: Comparison, party_id: str | None) -> str:
    if party_id is None:
        return "unknown party"
    try:
        return c.corpus.agreement.party(party_id).name
    except KeyError:
        return party_id


def _version_line(c: Comparison, v: Version) -> str:
    return f"{v.title} ({v.id}, {v.date}, {v.status}, proposed by {_party_name(c, v.proposed_by)})"


def _counts_line(c: Comparison) -> str:
    parts = [f"{n} {status}" for status, n in c.counts.items()]
    return f"Clauses: {', '.join(parts)}. Words: +{c.words.inserted} −{c.words.deleted}."


def _by_author(spans: Sequence[Span]) -> list[tuple[str | None, str | None, WordStats]]:
    """Words changed per (party, version), in order of first appearance."""
    totals: dict[tuple[str | None, str | None], list[int]] = {}  # [inserted, deleted]
    for s in spans:
        if s.kind == "equal":
            continue
        key = (s.party, s.version)
        counts = totals.get(key)
        if counts is None:
            counts = totals[key] = [0, 0]
        counts[0 if s.kind == "insert" else 1] += count_words(s.text)
    return [(p, v, WordStats(ins, dels)) for (p, v), (ins, dels) in totals.items()]


def _version_title(c: Comparison, version_id: str | None) -> str:
    if version_id and version_id in c.corpus.versions:
        return c.corpus.versions[version_id].title
    return version_id or "?"


def _position_line(c: Comparison, p: Position) -> str:
    bits = [f"{_party_name(c, p.party)} {p.stance}"]
    if p.statement:
        bits.append(f"— {p.statement}")
    who = ", ".join(x for x in (p.speaker, p.date) if x)
    if who:
        bits.append(f"({who})")
    return " ".join(bits)


def _stance_lines(c: Comparison, d: ClauseDiff) -> list[str]:
    if d.old_positions == d.new_positions:
        return [f"at both: {_position_line(c, p)}" for p in d.new_positions]
    old = [f"at {c.old.id}: {_position_line(c, p)}" for p in d.old_positions]
    new = [f"at {c.new.id}: {_position_line(c, p)}" for p in d.new_positions]
    return old + new


def _key_line(c: Comparison, k: KeyChange) -> str:
    who = ""
    if k.party:
        who = f" ({_party_name(c, k.party)}, {_version_title(c, k.version)})"
    return f"[{k.kind}] {k.summary}{who}"


# --- text ------------------------------------------------------------------------

_ANSI = {
    "insert": ("\x1b[4;32m", "\x1b[0m"),
    "delete": ("\x1b[9;31m", "\x1b[0m"),
    "bold": ("\x1b[1m", "\x1b[0m"),
    "dim": ("\x1b[2m", "\x1b[0m"),
}
_PLAIN = {"insert": ("{+", "+}"), "delete": ("[-", "-]"), "bold": ("", ""), "dim": ("", "")}
# Control characters other than newline and tab would drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _terminal_safe(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def runs(spans: Sequence[Span]) -> list[tuple[str, str]]:
    """``(kind, text)`` with neighbouring spans of one kind joined, whoever made them:
    the plain-text formats show attribution per clause, not per span."""
    out: list[tuple[str, str]] = []
    for s in spans:
        if out and out[-1][0] == s.kind:
            out[-1] = (s.kind, out[-1][1] + s.text)
        else:
            out.append((s.kind, s.text))
    return out


def text_redline(spans: Sequence[Span], color: bool) -> str:
    marks = _ANSI if color else _PLAIN
    out = []
    for kind, raw in runs(spans):
        text = _terminal_safe(raw)
        if kind == "equal":
            out.append(text)
        else:
            start, end = marks[kind]
            out.append(f"{start}{text}{end}")
    return "".join(out)


def render_text(c: Comparison, color: bool = False) -> str:
    return "".join(text_pieces(c, color))


def text_pieces(c: Comparison, color: bool = False) -> Iterator[str]:
    """:func:`render_text`'s text, a clause at a time (to write it as it is made)."""
    marks = _ANSI if color else _PLAIN
    b0, b1 = marks["bold"]
    d0, d1 = marks["dim"]
    lines = [
        f"{b0}{_terminal_safe(c.corpus.agreement.title)}{b1}",
        f"From: {_terminal_safe(_version_line(c, c.old))}",
        f"To:   {_terminal_safe(_version_line(c, c.new))}",
    ]
    if len(c.path) > 2:
        lines.append(f"Path: {' → '.join(c.path)}")
    lines.append(_counts_line(c))
    if c.shown:
        lines.append(c.shown)
    for party, ws in c.words_by_party.items():
        name = _terminal_safe(_party_name(c, party))
        lines.append(f"  {name}: +{ws.inserted} −{ws.deleted} words")
    keys = [k for d in c.clauses for k in d.key_changes]
    if keys:
        lines += ["", f"{b0}Key changes{b1}"]
        for d in c.clauses:
            lines += [
                f"  - {_terminal_safe(_key_line(c, k))} [{d.clause.id}]" for k in d.key_changes
            ]
    yield _lines(lines)
    for i, d in enumerate(c.clauses, 1):
        lines = ["", f"{b0}{i}. {_terminal_safe(d.clause.title)} [{d.clause.id}] — {d.status}{b1}"]
        if d.status == "unchanged":
            lines.append(f"{d0}(text unchanged){d1}")
        else:
            lines.append(text_redline(d.spans, color))
            for pid, vid, ws in _by_author(d.spans):
                who = f"{_party_name(c, pid)} in {_version_title(c, vid)}"
                lines.append(
                    f"{d0}  by {_terminal_safe(who)}: +{ws.inserted} −{ws.deleted} words{d1}"
                )
        lines += [f"{d0}  {_terminal_safe(n)}{d1}" for n in d.notes]
        lines += [f"  {_terminal_safe(s)}" for s in _stance_lines(c, d)]
        yield _lines(lines)


def _lines(lines: list[str]) -> str:
    """Lines as text, each ending in a newline: pieces made of them join into the
    ``"\\n".join(all lines) + "\\n"`` of the whole."""
    return "\n".join(lines) + "\n"


# --- Markdown ----------------------------------------------------------------------

# Characters that are Markdown anywhere in a line, an entity-like "&name;", and the
# marks that only count at the start of a line (headings, quotes, lists, rules).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])|&(?=#?\w+;)")
_MD_INLINE_START = re.compile(r"[\\`*_\[\]<>|~&]")  # a character that can start a match
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))", re.MULTILINE)


def _escape_line_start(m: re.Match[str]) -> str:
    lead, mark = m.group(1), m.group(2)
    if mark[0].isdigit():  # "1." starts a list: escape the dot, not the number
        return lead + mark + "\\"
    return lead + "\\" + mark


def md_escape(text: str) -> str:
    """Escape ``text`` so that Markdown shows it literally, and no more than needed.
    Control characters are shown as ``\\xNN``: they would drive a terminal or an editor."""
    text = _terminal_safe(text)
    if _MD_INLINE_START.search(text):  # few texts have any: a quicker search says which
        text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _md_mark(text: str, mark: str) -> str:
    """Wrap each line's non-blank part in ``mark`` (emphasis can't span lines or
    start with a space)."""
    out = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        out.append(f"{lead}{mark}{md_escape(core)}{mark}{trail}")
    return "\n".join(out)


def markdown_redline(spans: Sequence[Span]) -> str:
    parts = []
    for kind, text in runs(spans):
        if kind == "equal":
            parts.append(md_escape(text))
        else:
            parts.append(_md_mark(text, "**" if kind == "insert" else "~~"))
    return "".join(parts).replace("\n", "  \n")


def render_markdown(c: Comparison) -> str:
    return "".join(markdown_pieces(c))


def markdown_pieces(c: Comparison) -> Iterator[str]:
    """:func:`render_markdown`'s text, a clause at a time (to write it as it is made)."""
    esc = md_escape
    lines = [
        f"# Redline: {esc(c.old.title)} → {esc(c.new.title)}",
        "",
        f"*{esc(c.corpus.agreement.title)}*",
        "",
        f"- **From:** {esc(_version_line(c, c.old))}",
        f"- **To:** {esc(_version_line(c, c.new))}",
    ]
    if len(c.path) > 2:
        lines.append(f"- **Attributed along:** {esc(' → '.join(c.path))}")
    lines += ["", "Inserted text is **bold**, deleted text ~~struck through~~.", ""]
    lines += ["## Summary", "", esc(_counts_line(c)), ""]
    if c.shown:
        lines += [esc(c.shown), ""]
    lines += ["| Party | Words inserted | Words deleted |", "|---|---:|---:|"]
    for party, ws in c.words_by_party.items():
        lines.append(f"| {esc(_party_name(c, party))} | {ws.inserted} | {ws.deleted} |")
    keys = [(d, k) for d in c.clauses for k in d.key_changes]
    if keys:
        lines += ["", "## Key changes", ""]
        lines += [f"- {esc(_key_line(c, k))} — *{esc(d.clause.title)}*" for d, k in keys]
    yield _lines(lines)
    for i, d in enumerate(c.clauses, 1):
        lines = ["", f"## {i}. {esc(d.clause.title)} ({d.status})", ""]
        lines.append(markdown_redline(d.spans) if d.spans else "*(no text)*")
        authors = _by_author(d.spans)
        if authors:
            lines.append("")
            for pid, vid, ws in authors:
                who = f"{_party_name(c, pid)} in {_version_title(c, vid)}"
                lines.append(f"- Changed by {esc(who)}: +{ws.inserted} −{ws.deleted} words")
        for n in d.notes:
            lines += ["", f"> **Note:** {esc(n)}"]
        stances = _stance_lines(c, d)
        if stances:
            lines += ["", "**Positions:**", ""]
            lines += [f"- {esc(s)}" for s in stances]
        yield _lines(lines)


# --- JSON ----------------------------------------------------------------------------


def _version_json(v: Version) -> dict[str, Any]:
    return {
        "id": v.id,
        "title": v.title,
        "date": v.date,
        "status": v.status,
        "proposed_by": v.proposed_by,
        "based_on": v.based_on,
    }


def _stats_json(ws: WordStats) -> dict[str, int]:
    return {"inserted": ws.inserted, "deleted": ws.deleted}


def _position_json(p: Position) -> dict[str, Any]:
    return {
        "party": p.party,
        "stance": p.stance,
        "versions": list(p.versions),
        "statement": p.statement,
        "speaker": p.speaker,
        "date": p.date,
        "sources": list(p.sources),
    }


def _key_json(k: KeyChange, d: ClauseDiff) -> dict[str, Any]:
    return {
        "kind": k.kind,
        "before": k.before,
        "after": k.after,
        "summary": k.summary,
        "clause": d.clause.id,
        "old_version": d.old_version,
        "new_version": d.new_version,
        "party": k.party,
        "version": k.version,
        "span": [k.span_start, k.span_end],
    }


def _each(items: Iterable[Any], fn: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    return [fn(x) for x in items]


def _clause_json(d: ClauseDiff) -> dict[str, Any]:
    return {
        "id": d.clause.id,
        "title": d.clause.title,
        "topic": d.clause.topic,
        "status": d.status,
        "old_text": d.old_text if d.status != "added" else None,
        "new_text": d.new_text if d.status != "removed" else None,
        "ops": [
            {"op": s.kind, "text": s.text, "party": s.party, "version": s.version} for s in d.spans
        ],
        "words": _stats_json(d.words),
        "words_by_party": {p: _stats_json(ws) for p, ws in d.words_by_party.items()},
        "positions": {
            "old": _each(d.old_positions, _position_json),
            "new": _each(d.new_positions, _position_json),
        },
        "notes": list(d.notes),
        "key_changes": [_key_json(k, d) for k in d.key_changes],
    }


def _document_json(c: Comparison) -> dict[str, Any]:
    """The JSON document but its ``clauses``, which come last."""
    a = c.corpus.agreement
    return {
        "schema": SCHEMA,
        "clausetrack": __version__,
        "agreement": {
            "title": a.title,
            "parties": [
                {"id": p.id, "name": p.name, "short": p.short, "role": p.role, "color": p.color}
                for p in a.parties
            ],
        },
        "old": _version_json(c.old),
        "new": _version_json(c.new),
        "path": list(c.path),
        "summary": {
            "clauses": dict(c.counts),
            "words": _stats_json(c.words),
            "words_by_party": {p: _stats_json(ws) for p, ws in c.words_by_party.items()},
            "shown": c.shown or None,
        },
    }


def comparison_json(c: Comparison) -> dict[str, Any]:
    return {**_document_json(c), "clauses": [_clause_json(d) for d in c.clauses]}


class _Unusual(Exception):
    """A value that :func:`_put_json` leaves to :func:`json.dumps`."""


_json_string = json.encoder.encode_basestring  # in C where available


def _json_scalar(value: Any) -> str | None:
    """A string, ``None``, boolean or ``int`` as JSON; ``None`` for anything else."""
    t = type(value)
    if t is str:
        return _json_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if t is int:
        return int.__repr__(value)
    return None


def _put_json(value: Any, nl: str, out: list[str]) -> None:
    """Append ``value`` as ``json.dumps(value, ensure_ascii=False, indent=2)`` writes
    it, nested where ``nl`` is its newline and indent. Only the plain types that
    ``comparison_json`` makes; others raise :class:`_Unusual`. (The standard library
    writes indented JSON in pure Python with a generator per container, which made
    JSON the slowest format by far.)"""
    t = type(value)
    if t is dict:
        if not value:
            out.append("{}")
            return
        inner = nl + "  "
        sep = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            text = _json_scalar(item)
            if text is None:
                out.append(f"{sep}{_json_string(key)}: ")
                _put_json(item, inner, out)
            else:
                out.append(f"{sep}{_json_string(key)}: {text}")
            sep = "," + inner
        out.append(nl + "}")
    elif t is list or t is tuple:
        if not value:
            out.append("[]")
            return
        inner = nl + "  "
        sep = "[" + inner
        for item in value:
            text = _json_scalar(item)
            if text is None:
                out.append(sep)
                _put_json(item, inner, out)
            else:
                out.append(sep + text)
            sep = "," + inner
        out.append(nl + "]")
    else:
        text = _json_scalar(value)
        if text is None:
            raise _Unusual
        out.append(text)


def _json_text(value: Any, nl: str = "\n") -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, nested at ``nl``."""
    out: list[str] = []
    try:
        _put_json(value, nl, out)
        text = "".join(out)
    except _Unusual:  # never for our documents; the standard library, re-indented
        text = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", nl)
    return _raw_controls(text)


# JSON escapes only C0 controls; DEL and the C1 controls (U+009B is a terminal's CSI)
# stay raw with ensure_ascii=False. They can only occur inside strings, where \\uNNNN
# means the same character.
_JSON_RAW_CONTROL = re.compile(r"[\x7f-\x9f]")


def _raw_controls(text: str) -> str:
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_json(c: Comparison) -> str:
    return "".join(json_pieces(c))


def json_pieces(c: Comparison) -> Iterator[str]:
    """:func:`render_json`'s text, a clause at a time: each clause's dictionaries are
    made, written and dropped in turn, never the whole document's at once."""
    head = _json_text(_document_json(c))
    yield head[: -len("\n}")] + ',\n  "clauses": '
    if not c.clauses:
        yield "[]\n}\n"
        return
    sep = "[\n    "
    for d in c.clauses:
        yield sep + _json_text(_clause_json(d), "\n    ")
        sep = ",\n    "
    yield "\n  ]\n}\n"
