"""The view-model: everything a page prints, computed once, so templates only loop and print.

Untrusted text stays plain ``str`` here and is escaped by Jinja2's autoescape,
except in the few loops too long for a template (a redline's spans, the change list
and table), which are printed here with every piece of text escaped (``esc``).
The two things that reach places autoescape does not cover are made safe here:
a party colour becomes CSS only if it is a plain hex colour, and a source URL
becomes a link only if it is ``http`` or ``https``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from markupsafe import Markup

from clausetrack.compare import count_words
from clausetrack.model import (
    STANCES,
    Clause,
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
_FALLBACK_COLOURS = ("#4d4d4d", "#6b3fa0", "#00695c", "#8a4b08", "#1a5276")
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
    return _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)]


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


@dataclass(frozen=True, slots=True)
class SpanView:
    kind: str  # equal, insert, delete
    text: str
    party: PartyView | None
    version: VersionView | None
    tooltip: str
    anchor: str = ""  # the element id of an insertion or deletion


@dataclass(frozen=True, slots=True)
class PositionView:
    party: PartyView | None
    stance: str
    glyph: str
    statement: str
    speaker: str
    date: str
    sources: tuple[SourceView, ...]


@dataclass(frozen=True, slots=True)
class PartyStances:
    party: PartyView
    old: tuple[PositionView, ...]
    new: tuple[PositionView, ...]


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class PartyWords:
    party: PartyView
    inserted: int
    deleted: int


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    changes: tuple[ChangeGroup, ...]
    change_parties: tuple[PartyView, ...]
    change_count: int
    shown: str = ""


@dataclass(frozen=True, slots=True)
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


def _position_view(p: Position, look: Lookup) -> PositionView:
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
        old = tuple(_position_view(p, look) for p in d.old_positions if p.party == party.id)
        new = tuple(_position_view(p, look) for p in d.new_positions if p.party == party.id)
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
    groups = change_groups((cl.title, cl.anchor, cl.spans) for cl in clauses)
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
        changes=groups,
        change_parties=change_parties(groups, look),
        change_count=sum(len(g.changes) for g in groups),
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


def change_groups(
    redlines: Iterable[tuple[str, str, tuple[SpanView, ...]]],
) -> tuple[ChangeGroup, ...]:
    """The changes of each ``(title, anchor, spans)`` redline, numbered across the page."""
    groups: list[ChangeGroup] = []
    number = 0
    for title, anchor, spans in redlines:
        items: list[ChangeView] = []
        for s in spans:
            if s.kind == "equal":
                continue
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
                    excerpt(s.text),
                    s.party,
                    s.version,
                )
            )
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
    ids = {c.party.id for g in groups for c in g.changes if c.party}
    return tuple(p for p in look.parties.values() if p.id in ids)


# --- the report site ----------------------------------------------------------
#
# Pages live at the site's top (index, sources) or one folder down (versions/,
# clauses/); every href below is relative to the page that prints it.

INDEX_PAGE = "index.html"
SOURCES_PAGE = "sources.html"
STATUS_GLYPHS = {"added": "+", "changed": "Δ", "unchanged": "=", "removed": "✕", "absent": ""}
# Words changed at which a grid cell moves to the next shade (levels 1 to 4).
SHADE_STEPS = (1, 6, 21, 51)


def version_page(old: str, new: str) -> str:
    """The redline page of ``old`` → ``new``, from the site's top ('_' is in no slug)."""
    return f"versions/{css_ident(old)}_{css_ident(new)}.html"


def clause_page(clause_id: str) -> str:
    return f"clauses/{css_ident(clause_id)}.html"


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class SiteNav:
    """Where a page sits in the report: the way back to the overview, and onward."""

    home: str
    sources: str
    crumbs: tuple[Link, ...]
    prev: Link | None
    next: Link | None
    clause_pages: Mapping[str, str]  # clause id → href from this page


def site_nav(
    depth: int,
    clause_ids: Iterable[str],
    crumbs: tuple[Link, ...] = (),
    prev: Link | None = None,
    next_: Link | None = None,
) -> SiteNav:
    up = "../" * depth
    return SiteNav(
        home=up + INDEX_PAGE,
        sources=up + SOURCES_PAGE,
        crumbs=crumbs,
        prev=prev,
        next=next_,
        clause_pages={c: up + clause_page(c) for c in clause_ids},
    )


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.splitlines() if p.strip())


# --- the timeline: an SVG we lay out ourselves ---------------------------------


@dataclass(frozen=True)
class TimelineTick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineMark:
    kind: str  # version, event
    anchor: str
    y: float
    x: float  # start of the date's span
    x_end: float  # end of the date's span (== x for an exact day)
    cx: float
    partial: bool
    label: str
    label_x: float
    text_anchor: str  # start, end
    colour: str
    date: str
    title: str
    description: str
    href: str | None
    parties: tuple[PartyView, ...]
    sources: tuple[SourceView, ...]
    status: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    ticks: tuple[TimelineTick, ...]
    marks: tuple[TimelineMark, ...]
    undated: tuple[TimelineMark, ...]
    first: str
    last: str


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_T_WIDTH, _T_PAD, _T_TOP, _T_ROW = 960, 14, 34, 24


def date_span(text: str) -> tuple[date, date] | None:
    """The days a possibly partial ISO date covers (``2025`` is the whole year)."""
    parts = text.strip().split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 1:
            return date(numbers[0], 1, 1), date(numbers[0], 12, 31)
        if len(numbers) == 2:
            y, m = numbers
            return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if len(numbers) == 3:
            day = date(numbers[0], numbers[1], numbers[2])
            return day, day
    except ValueError:
        return None
    return None


def _ticks(lo: date, hi: date, x_of: Callable[[date], float]) -> tuple[TimelineTick, ...]:
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    if months > 36:
        return tuple(
            TimelineTick(x_of(date(y, 1, 1)), str(y))
            for y in range(lo.year + (lo.month > 1 or lo.day > 1), hi.year + 1)
        )
    every = 1 if months <= 12 else 3
    ticks: list[TimelineTick] = []
    y, m = lo.year, lo.month
    while (y, m) <= (hi.year, hi.month):
        day = date(y, m, 1)
        if day >= lo and (m - 1) % every == 0:
            label = _MONTHS[m - 1] + (f" {y}" if m == 1 or not ticks else "")
            ticks.append(TimelineTick(x_of(day), label))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(ticks)


@dataclass(frozen=True)
class _Dated:
    kind: str
    anchor: str
    date: str
    title: str
    description: str
    href: str | None
    colour: str
    parties: tuple[PartyView, ...]
    sources: tuple[SourceView, ...]
    status: str


def timeline(items: list[_Dated]) -> Timeline:
    """Lay out versions and events on a date axis, one row each, oldest first."""
    spans = {id(i): date_span(i.date) for i in items}
    dated = [i for i in items if spans[id(i)] is not None]
    # A version is drawn no earlier than the one before it (a partial date such as
    # "2025-02" would otherwise sort before a draft it is based on).
    floor = date.min
    keys: dict[int, date] = {}
    for i in dated:
        start = (spans[id(i)] or (date.min, date.min))[0]
        if i.kind == "version":
            floor = max(floor, start)
            start = floor
        keys[id(i)] = start
    order = {"version": 0, "event": 1}
    dated.sort(key=lambda i: (keys[id(i)], order[i.kind]))
    undated = [i for i in items if spans[id(i)] is None]
    if dated:
        lo = min(s[0] for s in (spans[id(i)] for i in dated) if s)
        hi = max(s[1] for s in (spans[id(i)] for i in dated) if s) + timedelta(days=1)
    else:
        lo = hi = date(2000, 1, 1)
    total = max((hi - lo).days, 1)
    plot_w = _T_WIDTH - 2 * _T_PAD

    def x_of(day: date) -> float:
        return round(_T_PAD + (day - lo).days / total * plot_w, 1)

    marks: list[TimelineMark] = []
    for row, item in enumerate(dated):
        first, last = spans[id(item)] or (lo, lo)
        x, x_end = x_of(first), x_of(last + timedelta(days=1))
        partial = first != last
        if not partial:
            x_end = x
        cx = round((x + x_end) / 2, 1)
        y = _T_TOP + row * _T_ROW + _T_ROW / 2
        left = cx > _T_WIDTH * 0.55
        marks.append(_mark(item, y, x, x_end, cx, partial, left))
    bottom = _T_TOP + len(dated) * _T_ROW
    return Timeline(
        width=_T_WIDTH,
        height=int(bottom + 8),
        plot_top=_T_TOP - 6,
        plot_bottom=bottom,
        ticks=_ticks(lo, hi - timedelta(days=1), x_of) if dated else (),
        marks=tuple(marks),
        undated=tuple(_mark(i, 0, 0, 0, 0, False, False) for i in undated),
        first=dated[0].date if dated else "",
        last=max((i.date for i in dated), default=""),
    )


def _mark(
    item: _Dated, y: float, x: float, x_end: float, cx: float, partial: bool, left: bool
) -> TimelineMark:
    return TimelineMark(
        kind=item.kind,
        anchor=item.anchor,
        y=y,
        x=x,
        x_end=x_end,
        cx=cx,
        partial=partial,
        label=excerpt(f"{item.date}  {item.title}", 64),
        label_x=round(min(x, cx - 9) if left else max(x_end, cx + 9), 1),
        text_anchor="end" if left else "start",
        colour=item.colour,
        date=item.date,
        title=item.title,
        description=item.description,
        href=item.href,
        parties=item.parties,
        sources=item.sources,
        status=item.status,
    )


# --- the overview: clause × version grid, positions matrix ----------------------


@dataclass(frozen=True)
class GridColumn:
    version: VersionView
    number: int
    previous: VersionView | None
    href: str | None


@dataclass(frozen=True)
class GridCell:
    status: str  # added, changed, unchanged, removed, absent
    glyph: str
    label: str
    words: int
    level: int  # shade, 0 to 4
    href: str | None
    description: str


@dataclass(frozen=True)
class GridRow:
    clause_id: str
    title: str
    href: str
    cells: tuple[GridCell, ...]


@dataclass(frozen=True)
class StanceMark:
    stance: str
    glyph: str


@dataclass(frozen=True)
class StanceAt:
    version: VersionView
    stances: tuple[StanceMark, ...]


@dataclass(frozen=True)
class MatrixCell:
    party: PartyView
    current: tuple[StanceMark, ...]
    trail: tuple[StanceAt, ...]  # shown when the stance moved, or when none is current
    href: str | None
    description: str


@dataclass(frozen=True)
class MatrixRow:
    clause_id: str
    title: str
    href: str
    latest: VersionView | None
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class VersionRow:
    version: VersionView
    number: int
    based_on: VersionView | None
    href: str | None
    clauses: int


@dataclass(frozen=True)
class IndexView:
    title: str
    summary: tuple[str, ...]
    parties: tuple[PartyView, ...]
    versions: tuple[VersionRow, ...]
    overall: Link | None
    timeline: Timeline
    columns: tuple[GridColumn, ...]
    rows: tuple[GridRow, ...]
    matrix_parties: tuple[PartyView, ...]
    matrix: tuple[MatrixRow, ...]
    stances: tuple[StanceMark, ...]


def shade(words: int) -> int:
    return sum(1 for step in SHADE_STEPS if words >= step)


def _grid_cell(
    clause: Clause,
    v: Version,
    step: Comparison | None,
    diffs: Mapping[str, ClauseDiff],
    look: Lookup,
) -> GridCell:
    vv = look.versions[v.id]
    if step is None:  # a first version: its clauses are all new
        text = clause.texts.get(v.id)
        if text is None or clause.id not in v.clauses:
            return _cell("absent", 0, 0, None, vv, clause.title)
        href = clause_page(clause.id) + f"#v-{css_ident(v.id)}"
        return _cell("added", count_words(text.text), 0, href, vv, clause.title)
    d = diffs.get(clause.id)
    if d is None:
        return _cell("absent", 0, 0, None, vv, clause.title)
    href = version_page(step.old.id, v.id) + f"#clause-{css_ident(clause.id)}"
    return _cell(d.status, d.words.inserted, d.words.deleted, href, vv, clause.title)


def _cell(
    status: str, inserted: int, deleted: int, href: str | None, v: VersionView, title: str
) -> GridCell:
    words = inserted + deleted
    label = STATUS_LABELS.get(status, "Not in this version")
    if status == "absent":
        description = f"{title}: not in {v.title}"
    elif status == "unchanged":
        description = f"{title}: unchanged in {v.title}"
    elif status == "changed":
        description = (
            f"{title}: changed in {v.title}, {words} words ({inserted} inserted, {deleted} deleted)"
        )
    else:
        description = f"{title}: {status} in {v.title}, {words} words"
    return GridCell(status, STATUS_GLYPHS[status], label, words, shade(words), href, description)


@dataclass(frozen=True)
class SiteData:
    """Everything the report shows, computed once: the input of every page's view."""

    corpus: Corpus
    history: tuple[Version, ...]  # drafting order
    steps: Mapping[str, Comparison]  # version id → its redline against ``based_on``
    overall: Comparison | None  # first → last, when they differ
    clause_order: tuple[str, ...]
    blame: Mapping[str, tuple[tuple[str, str], ...]]  # clause id → (text, version id) runs

    @cached_property
    def step_diffs(self) -> dict[str, dict[str, ClauseDiff]]:
        """Each step's clause diffs by clause id (computed once, not per page)."""
        return {v: {d.clause.id: d for d in c.clauses} for v, c in self.steps.items()}

    def latest_with(self, clause_id: str) -> Version | None:
        """The last version (in drafting order) that has the clause's text."""
        texts = self.corpus.clauses[clause_id].texts
        return next(
            (v for v in reversed(self.history) if v.id in texts and clause_id in v.clauses), None
        )


def _stances_at(positions: Iterable[Position], version_id: str) -> tuple[StanceMark, ...]:
    found = {p.stance for p in positions if version_id in p.versions}
    return tuple(StanceMark(s, STANCE_GLYPHS[s]) for s in STANCES if s in found)


def stance_trail(
    positions: tuple[Position, ...], history: Iterable[Version], look: Lookup
) -> tuple[StanceAt, ...]:
    """A party's stances version by version, a step only where they changed."""
    trail: list[StanceAt] = []
    for v in history:
        marks = _stances_at(positions, v.id)
        if marks and (not trail or trail[-1].stances != marks):
            trail.append(StanceAt(look.versions[v.id], marks))
    return tuple(trail)


def _matrix_cell(
    clause: Clause, party: PartyView, latest: Version | None, data: SiteData, look: Lookup
) -> MatrixCell:
    mine = tuple(p for p in clause.positions if p.party == party.id)
    current = _stances_at(mine, latest.id) if latest else ()
    trail = stance_trail(mine, data.history, look)
    if len(trail) < 2 and current:
        trail = ()
    href = clause_page(clause.id) + f"#positions-{party.css_id}" if mine else None
    words = " and ".join(m.stance for m in current)
    if current:
        description = f"{party.name} {words}"
    elif trail:
        description = f"{party.name}: no position recorded on the latest text"
    else:
        description = f"{party.name}: no recorded position"
    if trail:
        moves = " then ".join(
            f"{'/'.join(m.stance for m in t.stances)} at {t.version.title}" for t in trail
        )
        description += f"; over the drafts: {moves}"
    return MatrixCell(party, current, trail, href, description)


def index_view(data: SiteData, look: Lookup) -> IndexView:
    corpus, history = data.corpus, data.history
    diffs = data.step_diffs
    columns = tuple(
        GridColumn(
            version=look.versions[v.id],
            number=i,
            previous=look.version(v.based_on),
            href=version_page(v.based_on, v.id) if v.id in data.steps and v.based_on else None,
        )
        for i, v in enumerate(history, 1)
    )
    rows = tuple(
        GridRow(
            clause_id=c.id,
            title=c.title,
            href=clause_page(c.id),
            cells=tuple(
                _grid_cell(c, v, data.steps.get(v.id), diffs.get(v.id, {}), look) for v in history
            ),
        )
        for c in (corpus.clauses[i] for i in data.clause_order)
    )
    parties = tuple(look.parties.values())
    with_positions = {p.party for c in corpus.clauses.values() for p in c.positions}
    matrix_parties = tuple(p for p in parties if p.id in with_positions)
    matrix = []
    for clause_id in data.clause_order:
        clause = corpus.clauses[clause_id]
        latest = data.latest_with(clause_id)
        cells = tuple(_matrix_cell(clause, p, latest, data, look) for p in matrix_parties)
        if latest is not None and history and latest.id == history[-1].id:
            latest = None  # say which text only when it is not the final one
        matrix.append(
            MatrixRow(
                clause.id,
                clause.title,
                clause_page(clause.id),
                look.version(latest.id if latest else None),
                cells,
            )
        )
    overall = None
    if data.overall is not None:
        o = data.overall
        overall = Link(f"{o.old.title} → {o.new.title}", version_page(o.old.id, o.new.id))
    return IndexView(
        title=corpus.agreement.title,
        summary=paragraphs(corpus.agreement.summary),
        parties=parties,
        versions=tuple(
            VersionRow(
                version=col.version,
                number=col.number,
                based_on=col.previous,
                href=col.href,
                clauses=len(v.clauses),
            )
            for col, v in zip(columns, history, strict=True)
        ),
        overall=overall,
        timeline=timeline(_dated_items(data, look)),
        columns=columns,
        rows=rows,
        matrix_parties=matrix_parties,
        matrix=tuple(matrix),
        stances=tuple(StanceMark(s, STANCE_GLYPHS[s]) for s in STANCES),
    )


def _dated_items(data: SiteData, look: Lookup) -> list[_Dated]:
    items: list[_Dated] = []
    for v in data.history:
        proposer = look.party(v.proposed_by)
        href = version_page(v.based_on, v.id) if v.id in data.steps and v.based_on else None
        items.append(
            _Dated(
                kind="version",
                anchor=f"version-{css_ident(v.id)}",
                date=v.date,
                title=v.title,
                description=v.summary,
                href=href,
                colour=proposer.colour if proposer else _FALLBACK_COLOURS[0],
                parties=(proposer,) if proposer else (),
                sources=look.source_list(v.sources),
                status=v.status,
            )
        )
    for n, e in enumerate(data.corpus.agreement.events, 1):
        items.append(
            _Dated(
                kind="event",
                anchor=f"event-{n}",
                date=e.date,
                title=e.title,
                description=e.description,
                href=None,
                colour="#4f5863",
                parties=tuple(p for p in (look.party(i) for i in e.parties) if p),
                sources=look.source_list(e.sources),
                status="",
            )
        )
    return items


# --- a clause's own page ----------------------------------------------------------


@dataclass(frozen=True)
class HistoryStep:
    anchor: str
    version: VersionView
    previous: VersionView | None
    status: str
    status_label: str
    glyph: str
    text: str  # the clause's text at this version ("" when removed)
    clause: ClauseView | None  # the redline against ``previous``; None for a first version
    redline_href: str | None
    proposer: PartyView | None


@dataclass(frozen=True)
class BlameRun:
    text: str
    number: int
    version: VersionView | None
    party: PartyView | None
    tooltip: str


@dataclass(frozen=True)
class BlameKey:
    number: int
    version: VersionView
    party: PartyView | None
    words: int


@dataclass(frozen=True)
class PositionAt:
    position: PositionView
    versions: tuple[VersionView, ...]


@dataclass(frozen=True)
class PartyHistory:
    party: PartyView
    anchor: str
    trail: tuple[StanceAt, ...]
    items: tuple[PositionAt, ...]


@dataclass(frozen=True)
class ClausePageView:
    id: str
    title: str
    topic: str
    number: int
    total: int
    steps: tuple[HistoryStep, ...]
    current: VersionView | None
    final: VersionView | None
    blame: tuple[BlameRun, ...]
    blame_key: tuple[BlameKey, ...]
    positions: tuple[PartyHistory, ...]
    sources: tuple[SourceView, ...]
    parties: tuple[PartyView, ...]
    changes: tuple[ChangeGroup, ...]
    change_parties: tuple[PartyView, ...]
    change_count: int


def _history_step(
    clause: Clause, v: Version, data: SiteData, diffs: Mapping[str, ClauseDiff], look: Lookup
) -> HistoryStep | None:
    vv = look.versions[v.id]
    anchor = vv.anchor
    proposer = look.party(data.corpus.proposer(clause.id, v.id)) if clause.id in v.clauses else None
    step = data.steps.get(v.id)
    if step is None:
        text = clause.texts.get(v.id)
        if text is None or clause.id not in v.clauses:
            return None
        return HistoryStep(
            anchor, vv, None, "added", "First text", "+", text.text, None, None, proposer
        )
    d = diffs.get(clause.id)
    if d is None:
        return None
    cv = clause_view(d, 0, look, change_prefix=f"{anchor}-chg")
    href = "../" + version_page(step.old.id, v.id) + f"#clause-{css_ident(clause.id)}"
    label = STATUS_LABELS[d.status]
    return HistoryStep(
        anchor,
        vv,
        look.versions[step.old.id],
        d.status,
        label,
        STATUS_GLYPHS[d.status],
        d.new_text,
        cv,
        href,
        proposer,
    )


def _blame_view(
    runs: tuple[tuple[str, str], ...], clause_id: str, data: SiteData, look: Lookup
) -> tuple[tuple[BlameRun, ...], tuple[BlameKey, ...]]:
    numbers = {v.id: i for i, v in enumerate(data.history, 1)}
    out: list[BlameRun] = []
    words: dict[str, int] = {}
    for text, version_id in runs:
        vv = look.version(version_id)
        party = look.party(data.corpus.proposer(clause_id, version_id)) if vv else None
        who = party.name if party else "an unknown party"
        where = f"{vv.title} ({vv.date})" if vv else version_id
        out.append(
            BlameRun(text, numbers.get(version_id, 0), vv, party, f"Introduced by {who} in {where}")
        )
        words[version_id] = words.get(version_id, 0) + count_words(text)
    key = tuple(
        BlameKey(
            numbers[v.id],
            look.versions[v.id],
            look.party(data.corpus.proposer(clause_id, v.id)),
            words[v.id],
        )
        for v in data.history
        if v.id in words
    )
    return tuple(out), key


def clause_page_view(clause_id: str, number: int, data: SiteData, look: Lookup) -> ClausePageView:
    corpus = data.corpus
    clause = corpus.clauses[clause_id]
    diffs = data.step_diffs
    steps = tuple(
        s
        for s in (_history_step(clause, v, data, diffs.get(v.id, {}), look) for v in data.history)
        if s is not None
    )
    blame_runs, blame_key = _blame_view(data.blame.get(clause_id, ()), clause_id, data, look)
    positions = []
    for party in look.parties.values():
        mine = tuple(p for p in clause.positions if p.party == party.id)
        if not mine:
            continue
        items = tuple(
            PositionAt(
                _position_view(p, look),
                tuple(look.versions[v.id] for v in data.history if v.id in p.versions),
            )
            for p in mine
        )
        positions.append(
            PartyHistory(
                party, f"positions-{party.css_id}", stance_trail(mine, data.history, look), items
            )
        )
    cited = [s for p in clause.positions for s in p.sources]
    text_sources = [s for t in clause.texts.values() for s in t.sources]
    groups = change_groups(
        (f"{s.version.title} ({s.version.date})", s.anchor, s.clause.spans)
        for s in steps
        if s.clause is not None
    )
    latest = data.latest_with(clause_id)
    final = data.history[-1] if data.history else None
    return ClausePageView(
        id=clause.id,
        title=clause.title,
        topic=clause.topic,
        number=number,
        total=len(data.clause_order),
        steps=steps,
        current=look.version(latest.id if latest else None),
        final=look.version(final.id if final else None),
        blame=blame_runs,
        blame_key=blame_key,
        positions=tuple(positions),
        sources=look.source_list((*clause.sources, *text_sources, *cited)),
        parties=tuple(look.parties.values()),
        changes=groups,
        change_parties=change_parties(groups, look),
        change_count=sum(len(g.changes) for g in groups),
    )


# --- the sources page -------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    label: str
    href: str | None
    detail: str


@dataclass(frozen=True)
class SourceEntry:
    source: SourceView
    publisher: str
    versions: tuple[Citation, ...]
    clauses: tuple[Citation, ...]
    positions: tuple[Citation, ...]
    events: tuple[Citation, ...]

    @property
    def cited(self) -> bool:
        return bool(self.versions or self.clauses or self.positions or self.events)


@dataclass(frozen=True)
class SourcesView:
    title: str
    entries: tuple[SourceEntry, ...]


def sources_view(data: SiteData, look: Lookup) -> SourcesView:
    corpus = data.corpus
    by: dict[str, dict[str, list[Citation]]] = {
        s.id: {"versions": [], "clauses": [], "positions": [], "events": []}
        for s in corpus.agreement.sources
    }

    def cite(ids: Iterable[str], kind: str, c: Citation) -> None:
        for i in dict.fromkeys(ids):
            if i in by and c not in by[i][kind]:
                by[i][kind].append(c)

    for v in data.history:
        href = version_page(v.based_on, v.id) if v.id in data.steps and v.based_on else None
        cite(v.sources, "versions", Citation(v.title, href, v.date))
    for clause_id in data.clause_order:
        clause = corpus.clauses[clause_id]
        page = clause_page(clause_id)
        cite(clause.sources, "clauses", Citation(clause.title, page, "the clause"))
        for v in data.history:
            text = clause.texts.get(v.id)
            if text is not None:
                detail = f"its text in {v.title}"
                cite(
                    text.sources,
                    "clauses",
                    Citation(clause.title, f"{page}#v-{css_ident(v.id)}", detail),
                )
        for p in clause.positions:
            party = look.party(p.party)
            name = party.name if party else p.party
            anchor = f"#positions-{party.css_id}" if party else ""
            detail = ", ".join(x for x in (p.speaker, p.date) if x)
            label = f"{name} {p.stance}: {clause.title}"
            cite(p.sources, "positions", Citation(label, page + anchor, detail))
    for n, e in enumerate(corpus.agreement.events, 1):
        cite(e.sources, "events", Citation(e.title, f"{INDEX_PAGE}#event-{n}", e.date))
    entries = tuple(
        SourceEntry(
            look.sources[s.id],
            s.publisher,
            tuple(by[s.id]["versions"]),
            tuple(by[s.id]["clauses"]),
            tuple(by[s.id]["positions"]),
            tuple(by[s.id]["events"]),
        )
        for s in corpus.agreement.sources
    )
    return SourcesView(corpus.agreement.title, entries)
