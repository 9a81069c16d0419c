"""The view-model: everything a page prints, computed once, so templates only loop and print.

Untrusted text stays plain ``str`` here and is escaped by Jinja2's autoescape,
except in the few loops too long for a template (a redline's spans, the change list
and table), which are printed here with every piece of text escaped (``esc``).
The two things that reach places autoescape does not cover are made safe here:
a party colour becomes CSS only if it is a plain hex colour, and a source URL
becomes a link only if it is ``http`` or ``https``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup

from clausetrack.model import (
    ClauseDiff,
    Comparison,
    Corpus,
    KeyChange,
    Party,
    Position,
    Source,
    Span,
    Version,
    WordStats,
)

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
# Neutral colours for parties whose colour is missing or unusable (all ≥ 4.5:1 on white).
FALLBACK_COLOURS = ("#4d4d4d", "#6b3fa0", "#00695c", "#8a4b08", "#1a5276")
# Underline styles give each party a cue that is not colour.
_LINE_STYLES = ("solid", "double", "dotted", "dashed", "wavy")

STANCE_GLYPHS = {
    "proposes": "◆",
    "supports": "▲",
    "accepts": "●",
    "reserves": "◐",
    "opposes": "▼",
    "rejects": "✖",
}

# The size, in characters, of the pieces of a page written as it is rendered; a text
# longer than ``LONG`` is escaped a slice at a time (escaping can make it 5 times longer).
PIECE = 1 << 18
LONG = PIECE // 8

STATUS_LABELS = {
    "added": "Added",
    "removed": "Removed",
    "changed": "Changed",
    "unchanged": "Unchanged",
}


def safe_colour(colour: str, index: int) -> str:
    """``colour`` if it is a plain CSS hex colour, else a neutral fallback."""
    if _HEX.fullmatch(colour.strip()):
        return colour.strip().lower()
    return FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)]


def safe_url(url: str) -> str | None:
    """``url`` when it is an absolute http(s) URL that may become a link, else ``None``."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None


def css_ident(value: str) -> str:
    """``value`` if it is a slug (safe in a CSS attribute selector), else a hex rendering."""
    if _SLUG.fullmatch(value):
        return value
    return "x" + value.encode("utf-8").hex()


@dataclass(frozen=True, slots=True)
class PartyView:
    id: str
    css_id: str
    name: str
    short: str
    role: str
    colour: str
    line_style: str


@dataclass(frozen=True, slots=True)
class SourceView:
    id: str
    anchor: str
    title: str
    label: str  # a short citation: publisher and date, or a shortened title
    url: str | None
    url_text: str
    date: str


@dataclass(frozen=True, slots=True)
class VersionView:
    id: str
    title: str
    date: str
    status: str
    proposer: PartyView | None
    summary: str
    anchor: str = ""  # its section on a clause page


# The views made once per span, change, clause or position are not frozen: a frozen
# dataclass sets each field through object.__setattr__, and is made six times slower
# (1.4 µs against 0.24 µs for a SpanView), and a 5 MB page makes over a hundred
# thousand of them. Nothing changes a view once it is made; the few views that are
# hashed (parties, versions, sources) stay frozen.


@dataclass(slots=True)
class SpanView:
    kind: str  # equal, insert, delete
    text: str
    party: PartyView | None
    version: VersionView | None
    tooltip: str
    anchor: str = ""  # the element id of an insertion or deletion


@dataclass(slots=True)
class PositionView:
    party: PartyView | None
    stance: str
    glyph: str
    statement: str
    speaker: str
    date: str
    sources: tuple[SourceView, ...]


@dataclass(slots=True)
class PartyStances:
    party: PartyView
    old: tuple[PositionView, ...]
    new: tuple[PositionView, ...]


@dataclass(slots=True)
class KeyChangeView:
    kind: str
    summary: str
    before: str
    after: str
    party: PartyView | None
    version: VersionView | None
    clause_id: str
    clause_title: str
    anchor: str


@dataclass(slots=True)
class PartyWords:
    party: PartyView
    inserted: int
    deleted: int


@dataclass(slots=True)
class ClauseView:
    id: str
    anchor: str
    number: int
    title: str
    topic: str
    status: str
    status_label: str
    spans: tuple[SpanView, ...]
    inserted: int
    deleted: int
    by_party: tuple[PartyWords, ...]
    stances: tuple[PartyStances, ...]
    notes: tuple[str, ...]
    key_changes: tuple[KeyChangeView, ...]
    sources: tuple[SourceView, ...]

    @property  # not cached: used once a page, and a kept copy would double the peak
    def spans_html(self) -> Markup:
        """The redline's content, exactly as the ``redline`` macro's loop over ``spans``
        prints it (built here because a 1 MB redline is too slow through a template)."""
        return spans_html(self.spans)


@dataclass(frozen=True)
class CompareView:
    title: str
    summary: str
    old: VersionView
    new: VersionView
    path: tuple[VersionView, ...]
    parties: tuple[PartyView, ...]
    counts: tuple[tuple[str, str, int], ...]  # (status, label, count)
    inserted: int
    deleted: int
    by_party: tuple[PartyWords, ...]
    clauses: tuple[ClauseView, ...]
    key_changes: tuple[KeyChangeView, ...]
    sources: tuple[SourceView, ...]
    change_parties: tuple[PartyView, ...]  # the parties of the changes, in the corpus's order
    change_count: int
    shown: str = ""

    @functools.cached_property
    def changes(self) -> tuple[ChangeGroup, ...]:
        """The change list of every clause, numbered across the page; made when first
        asked for (a long page's change table and panel are printed by a worker, and
        then this process never needs them)."""
        return change_groups((cl.title, cl.anchor, cl.spans) for cl in self.clauses)


@dataclass(slots=True)
class ChangeView:
    """One insertion or deletion, as the change list and the change table show it."""

    anchor: str
    number: int
    kind: str  # insert, delete
    sign: str  # + or −, a cue that is not colour
    verb: str
    text: str
    excerpt: str
    party: PartyView | None
    version: VersionView | None


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """The changes of one redline on a page (a clause, or one step of a clause's history)."""

    title: str
    anchor: str
    changes: tuple[ChangeView, ...]

    @property  # not cached: used once a page, and a kept copy would double the peak
    def panel_html(self) -> Markup:
        """The change panel's items, exactly as the ``change_panel`` macro's loop prints them."""
        return Markup("".join(self.panel_strings()))

    @property  # not cached: used once a page, and a kept copy would double the peak
    def table_html(self) -> Markup:
        """The change table's rows, exactly as the ``change_table`` macro's loop prints them."""
        return Markup("".join(self.table_strings()))

    def panel_strings(self) -> Iterator[str]:
        """``panel_html``, an item at a time."""
        for c in self.changes:
            yield f"        {_panel_item(c)}\n"

    def table_strings(self) -> Iterator[str]:
        """``table_html``, a row at a time, and a long change's text a slice at a time
        (a page written as it is rendered never holds a whole document's text at once)."""
        title = esc(self.title)
        for c in self.changes:
            if len(c.text) <= LONG:
                yield f"      {_table_row(c, title)}\n"
            else:
                start, end = _table_row_tags(c, title)
                yield f"      {start}"
                yield from escaped_slices(c.text)
                yield f"{end}\n"


class Lookup:
    """Views of the corpus's parties, versions and sources, built once per page."""

    def __init__(self, corpus: Corpus) -> None:
        agreement = corpus.agreement
        self.parties = {p.id: _party_view(p, i) for i, p in enumerate(agreement.parties)}
        self.sources = {s.id: _source_view(s) for s in agreement.sources}
        self.versions = {v.id: self._version_view(v) for v in corpus.versions.values()}
        # One tooltip string per (kind, party, version), shared by every span that has it.
        self.tooltips: dict[tuple[str, str | None, str | None], str] = {}

    def party(self, party_id: str | None) -> PartyView | None:
        return self.parties.get(party_id) if party_id else None

    def version(self, version_id: str | None) -> VersionView | None:
        return self.versions.get(version_id) if version_id else None

    def source_list(self, ids: Iterable[str]) -> tuple[SourceView, ...]:
        return tuple(self.sources[i] for i in dict.fromkeys(ids) if i in self.sources)

    def _version_view(self, v: Version) -> VersionView:
        return VersionView(
            v.id,
            v.title,
            v.date,
            v.status,
            self.party(v.proposed_by),
            v.summary,
            f"v-{css_ident(v.id)}",
        )


def _party_view(p: Party, index: int) -> PartyView:
    return PartyView(
        id=p.id,
        css_id=css_ident(p.id),
        name=p.name,
        short=p.short,
        role=p.role,
        colour=safe_colour(p.color, index),
        line_style=_LINE_STYLES[index % len(_LINE_STYLES)],
    )


def _source_view(s: Source) -> SourceView:
    return SourceView(
        id=s.id,
        anchor=f"source-{css_ident(s.id)}",
        title=s.title,
        label=citation_label(s),
        url=safe_url(s.url),
        url_text=s.url,
        date=s.date,
    )


def citation_label(s: Source) -> str:
    """``Publisher, date`` when the source names its publisher, else a shortened title."""
    if s.publisher:
        return f"{s.publisher}, {s.date}" if s.date else s.publisher
    if len(s.title) <= 48:
        return s.title
    return s.title[:45].rsplit(" ", 1)[0] + "…"


def _tooltip(span: Span, look: Lookup) -> str:
    """A change's tooltip, "Inserted by PARTY in VERSION (DATE)", made once per kind,
    party and version and shared by every span that has it."""
    key = (span.kind, span.party, span.version)
    tooltip = look.tooltips.get(key)
    if tooltip is None:
        party, version = look.party(span.party), look.version(span.version)
        verb = "Inserted" if span.kind == "insert" else "Deleted"
        who = party.name if party else (span.party or "unknown party")
        where = f"{version.title} ({version.date})" if version else (span.version or "")
        tooltip = look.tooltips[key] = f"{verb} by {who} in {where}"
    return tooltip


def span_views(spans: tuple[Span, ...], look: Lookup, prefix: str) -> tuple[SpanView, ...]:
    """Views of a redline's spans; the n-th change gets the element id ``prefix-n``."""
    parties, versions = look.parties, look.versions
    out: list[SpanView] = []
    n = 0
    for s in spans:
        party = parties.get(s.party) if s.party else None
        version = versions.get(s.version) if s.version else None
        if s.kind == "equal":
            out.append(SpanView(s.kind, s.text, party, version, ""))
        else:
            n += 1
            tip = _tooltip(s, look)
            out.append(SpanView(s.kind, s.text, party, version, tip, f"{prefix}-{n}"))
    return tuple(out)


def position_view(p: Position, look: Lookup) -> PositionView:
    return PositionView(
        party=look.party(p.party),
        stance=p.stance,
        glyph=STANCE_GLYPHS.get(p.stance, "•"),
        statement=p.statement,
        speaker=p.speaker,
        date=p.date,
        sources=look.source_list(p.sources),
    )


def _stances(d: ClauseDiff, look: Lookup) -> tuple[PartyStances, ...]:
    if not d.old_positions and not d.new_positions:  # most clauses of a long document
        return ()
    out: list[PartyStances] = []
    for party in look.parties.values():
        old = tuple(position_view(p, look) for p in d.old_positions if p.party == party.id)
        new = tuple(position_view(p, look) for p in d.new_positions if p.party == party.id)
        if old or new:
            out.append(PartyStances(party, old, new))
    return tuple(out)


def party_words(stats: Mapping[str, WordStats], look: Lookup) -> tuple[PartyWords, ...]:
    return tuple(
        PartyWords(look.parties[p], ws.inserted, ws.deleted)
        for p, ws in stats.items()
        if p in look.parties
    )


def key_change_view(k: KeyChange, d: ClauseDiff, anchor: str, look: Lookup) -> KeyChangeView:
    return KeyChangeView(
        kind=k.kind,
        summary=k.summary,
        before=k.before or "",
        after=k.after or "",
        party=look.party(k.party),
        version=look.version(k.version),
        clause_id=d.clause.id,
        clause_title=d.clause.title,
        anchor=anchor,
    )


def clause_view(d: ClauseDiff, number: int, look: Lookup, change_prefix: str = "") -> ClauseView:
    anchor = f"clause-{css_ident(d.clause.id)}"
    cited = [s for p in (*d.old_positions, *d.new_positions) for s in p.sources]
    texts = [d.clause.texts.get(v) for v in (d.old_version, d.new_version)]
    sources = [*d.clause.sources, *(s for t in texts if t for s in t.sources), *cited]
    return ClauseView(
        id=d.clause.id,
        anchor=anchor,
        number=number,
        title=d.clause.title,
        topic=d.clause.topic,
        status=d.status,
        status_label=STATUS_LABELS[d.status],
        spans=span_views(d.spans, look, change_prefix or f"{anchor}-chg"),
        inserted=d.words.inserted,
        deleted=d.words.deleted,
        by_party=party_words(d.words_by_party, look),
        stances=_stances(d, look),
        notes=d.notes,
        key_changes=tuple(key_change_view(k, d, anchor, look) for k in d.key_changes),
        sources=look.source_list(sources) if sources else (),
    )


def compare_view(c: Comparison, look: Lookup | None = None) -> CompareView:
    look = look or Lookup(c.corpus)
    clauses = tuple(clause_view(d, i, look) for i, d in enumerate(c.clauses, 1))
    cited = tuple(s for cl in clauses for s in cl.sources)
    # the changes' count and parties, as change_groups would give them, without the list
    changed = [s for cl in clauses for s in cl.spans if s.kind != "equal"]
    return CompareView(
        title=c.corpus.agreement.title,
        summary=c.corpus.agreement.summary,
        old=look.versions[c.old.id],
        new=look.versions[c.new.id],
        path=tuple(look.versions[v] for v in c.path),
        parties=tuple(look.parties.values()),
        counts=tuple((s, STATUS_LABELS[s], n) for s, n in c.counts.items()),
        inserted=c.words.inserted,
        deleted=c.words.deleted,
        by_party=party_words(c.words_by_party, look),
        clauses=clauses,
        key_changes=tuple(k for cl in clauses for k in cl.key_changes),
        sources=tuple(dict.fromkeys(cited)),
        change_parties=parties_in_order((s.party for s in changed), look),
        change_count=len(changed),
        shown=c.shown,
    )


def excerpt(text: str, limit: int = 60) -> str:
    """``text`` on one line, shortened to about ``limit`` characters.

    Only the start of ``text`` can show, so only a growing prefix of it is read: a
    change can be a whole 5 MB document, and flattening all of it for 60 characters
    was most of the time of a large page's view-model."""
    size = 4 * limit + 64
    while size < len(text):
        words = text[:size].split()
        # Every word but the last ends inside the prefix, so they begin the flat text.
        head = " ".join(words[:-1])
        if len(head) > limit:
            return head[: limit - 1].rsplit(" ", 1)[0] + "…"
        size *= 4
    flat = " ".join(text.split())
    if not flat:
        return "(white space)"
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"


_TAIL = 80  # characters kept of the text before a change, to say where it is
_WORDLIKE = re.compile(r"\w")


def _tail(before: str, text: str) -> str:
    """The last characters of ``before + text`` (without copying a long ``text``)."""
    return text[-_TAIL:] if len(text) >= _TAIL else (before + text)[-_TAIL:]


def placed_excerpt(text: str, before: str) -> str:
    """A change's excerpt, as the change list shows it. A change of punctuation or white
    space alone says nothing by itself ("+ ."), so it also says where it is: after the
    last words before it (“.” after “recovery of Ukraine”)."""
    shown = excerpt(text)
    if _WORDLIKE.search(text):
        return shown
    if text.strip():
        shown = f"“{shown}”"
    words = before.split()
    if len(before) >= _TAIL and not before[0].isspace():
        words = words[1:]  # the first may be the end of a word cut off
    if not words:
        return f"{shown} at the start"
    return f"{shown} after “{' '.join(words[-3:])}”"


def change_groups(
    redlines: Iterable[tuple[str, str, tuple[SpanView, ...]]],
) -> tuple[ChangeGroup, ...]:
    """The changes of each ``(title, anchor, spans)`` redline, numbered across the page."""
    groups: list[ChangeGroup] = []
    number = 0
    for title, anchor, spans in redlines:
        items: list[ChangeView] = []
        # the end of the text before the current span, on the old and on the new side
        old_tail = new_tail = ""
        for s in spans:
            if s.kind != "equal":
                number += 1
                insert = s.kind == "insert"
                items.append(
                    ChangeView(  # anchor, number, kind, sign, verb, text, excerpt, party, version
                        s.anchor,
                        number,
                        s.kind,
                        "+" if insert else "−",
                        "Inserted" if insert else "Deleted",
                        s.text,
                        placed_excerpt(s.text, new_tail if insert else old_tail),
                        s.party,
                        s.version,
                    )
                )
            if s.kind != "delete":
                new_tail = _tail(new_tail, s.text)
            if s.kind != "insert":
                old_tail = _tail(old_tail, s.text)
        if items:
            groups.append(ChangeGroup(title, anchor, tuple(items)))
    return tuple(groups)


def _esc_replace(text: str) -> str:
    """``markupsafe.escape`` for a plain ``str``: the same five entities, as ``str``."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def _c_escape() -> Callable[[str], str]:
    """markupsafe's own escaping in C, which returns a plain ``str`` (its public
    ``escape`` wraps every result in a ``Markup``); ``_esc_replace`` without it."""
    try:
        from markupsafe._speedups import _escape_inner
    except ImportError:  # pragma: no cover - markupsafe without its C speedups
        return _esc_replace
    return _escape_inner


# Escape text for HTML exactly as autoescape does. The pre-rendered parts of a page
# escape hundreds of thousands of strings; markupsafe's single pass in C takes a third
# of the time of five ``str.replace`` passes.
esc = _c_escape()


def _span_tags(s: SpanView) -> tuple[str, str]:
    """The tags around an insertion's or deletion's text."""
    tag = "ins" if s.kind == "insert" else "del"
    anchor = f' id="{esc(s.anchor)}"' if s.anchor else ""
    party = esc(s.party.id) if s.party else ""
    version = esc(s.version.id) if s.version else ""
    return (
        f'<{tag}{anchor} data-party="{party}" data-version="{version}" title="{esc(s.tooltip)}">',
        f"</{tag}>",
    )


def _span_html(s: SpanView) -> str:
    if s.kind == "equal":
        return esc(s.text)
    start, end = _span_tags(s)
    return f"{start}{esc(s.text)}{end}"


def spans_html(spans: Iterable[SpanView]) -> Markup:
    """Spans as the inside of a ``.redline`` element: text, ``<ins>`` and ``<del>``."""
    return Markup("".join(map(_span_html, spans)))


def spans_html_strings(spans: Iterable[SpanView]) -> Iterator[str]:
    """``spans_html``, a span at a time, and a long text a slice at a time: one change
    can be a whole 5 MB document."""
    for s in spans:
        if len(s.text) <= LONG:
            yield _span_html(s)
        elif s.kind == "equal":
            yield from escaped_slices(s.text)
        else:
            start, end = _span_tags(s)
            yield start
            yield from escaped_slices(s.text)
            yield end


def escaped_slices(text: str) -> Iterator[str]:
    """``esc(text)`` in pieces of at most ``PIECE`` characters (entities are whole
    characters escaped, so slicing first changes nothing)."""
    for i in range(0, len(text), LONG):
        yield esc(text[i : i + LONG])


def grouped(strings: Iterable[str]) -> Iterator[str]:
    """``strings`` joined into pieces of ``PIECE`` characters or more (but the last),
    each under ``2 * PIECE`` when no string is longer than ``PIECE``: a few large
    pieces are cheap to print and write, and bound the memory a page takes."""
    block: list[str] = []
    size = 0
    for s in strings:
        block.append(s)
        size += len(s)
        if size >= PIECE:
            yield "".join(block)
            block = []
            size = 0
    if block:
        yield "".join(block)


def _panel_item(c: ChangeView) -> str:
    party = f' data-party="{esc(c.party.id)}"' if c.party else ""
    by = esc(c.party.short) if c.party else "unknown party"
    version = f" · {esc(c.version.title)}" if c.version else ""
    return (
        f'<li class="change-item {esc(c.kind)}"{party}><a href="#{esc(c.anchor)}">'
        f'<span class="sign" aria-hidden="true">{esc(c.sign)}</span>'
        f'<span class="vh">{esc(c.verb)}: </span><span class="excerpt">{esc(c.excerpt)}'
        f'</span></a> <span class="by">{by}{version}</span></li>'
    )


def _table_row_tags(c: ChangeView, title: str) -> tuple[str, str]:
    """A change table row but the change's text."""
    party = f' data-party="{esc(c.party.id)}"' if c.party else ""
    tag = "ins" if c.kind == "insert" else "del"
    name = esc(c.party.name) if c.party else "unknown party"
    version = esc(c.version.title) if c.version else ""
    return (
        f'<tr class="change-row {esc(c.kind)}"{party}><td>{c.number}</td><td>{title}</td>'
        f'<td>{esc(c.sign)} {esc(c.verb)}</td><td class="t"><{tag}>',
        f"</{tag}></td><td>{name}</td><td>{version}</td></tr>",
    )


def _table_row(c: ChangeView, title: str) -> str:
    start, end = _table_row_tags(c, title)
    return f"{start}{esc(c.text)}{end}"


def change_parties(groups: Iterable[ChangeGroup], look: Lookup) -> tuple[PartyView, ...]:
    """The parties that made at least one of the changes, in the corpus's order."""
    return parties_in_order((c.party for g in groups for c in g.changes), look)


def parties_in_order(parties: Iterable[PartyView | None], look: Lookup) -> tuple[PartyView, ...]:
    """The distinct ``parties`` (``None`` left out), in the corpus's order."""
    ids = {p.id for p in parties if p}
    return tuple(p for p in look.parties.values() if p.id in ids)
