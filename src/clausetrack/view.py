"""The view-model: everything a page prints, computed once, so templates only loop and print.

Untrusted text stays plain ``str`` here and is escaped by Jinja2's autoescape.
The two things that reach places autoescape does not cover are made safe here:
a party colour becomes CSS only if it is a plain hex colour, and a source URL
becomes a link only if it is ``http`` or ``https``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class PartyView:
    id: str
    css_id: str
    name: str
    short: str
    role: str
    colour: str
    line_style: str


@dataclass(frozen=True)
class SourceView:
    id: str
    anchor: str
    title: str
    label: str  # a short citation: publisher and date, or a shortened title
    url: str | None
    url_text: str
    date: str


@dataclass(frozen=True)
class VersionView:
    id: str
    title: str
    date: str
    status: str
    proposer: PartyView | None
    summary: str


@dataclass(frozen=True)
class SpanView:
    kind: str  # equal, insert, delete
    text: str
    party: PartyView | None
    version: VersionView | None
    tooltip: str


@dataclass(frozen=True)
class PositionView:
    party: PartyView | None
    stance: str
    glyph: str
    statement: str
    speaker: str
    date: str
    sources: tuple[SourceView, ...]


@dataclass(frozen=True)
class PartyStances:
    party: PartyView
    old: tuple[PositionView, ...]
    new: tuple[PositionView, ...]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class PartyWords:
    party: PartyView
    inserted: int
    deleted: int


@dataclass(frozen=True)
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


class Lookup:
    """Views of the corpus's parties, versions and sources, built once per page."""

    def __init__(self, corpus: Corpus) -> None:
        agreement = corpus.agreement
        self.parties = {
            p.id: _party_view(p, i) for i, p in enumerate(agreement.parties)
        }
        self.sources = {s.id: _source_view(s) for s in agreement.sources}
        self.versions = {
            v.id: self._version_view(v) for v in corpus.versions.values()
        }

    def party(self, party_id: str | None) -> PartyView | None:
        return self.parties.get(party_id) if party_id else None

    def version(self, version_id: str | None) -> VersionView | None:
        return self.versions.get(version_id) if version_id else None

    def source_list(self, ids: tuple[str, ...]) -> tuple[SourceView, ...]:
        return tuple(self.sources[i] for i in dict.fromkeys(ids) if i in self.sources)

    def _version_view(self, v: Version) -> VersionView:
        return VersionView(
            v.id, v.title, v.date, v.status, self.party(v.proposed_by), v.summary
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


def _span_view(span: Span, look: Lookup) -> SpanView:
    party = look.party(span.party)
    version = look.version(span.version)
    tooltip = ""
    if span.kind != "equal":
        verb = "Inserted" if span.kind == "insert" else "Deleted"
        who = party.name if party else (span.party or "unknown party")
        where = f"{version.title} ({version.date})" if version else (span.version or "")
        tooltip = f"{verb} by {who} in {where}"
    return SpanView(span.kind, span.text, party, version, tooltip)


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


def clause_view(d: ClauseDiff, number: int, look: Lookup) -> ClauseView:
    anchor = f"clause-{css_ident(d.clause.id)}"
    cited = tuple(
        s
        for p in (*d.old_positions, *d.new_positions)
        for s in p.sources
    )
    texts = (d.clause.texts.get(v) for v in (d.old_version, d.new_version))
    text_sources = d.clause.sources + tuple(s for t in texts if t for s in t.sources)
    return ClauseView(
        id=d.clause.id,
        anchor=anchor,
        number=number,
        title=d.clause.title,
        topic=d.clause.topic,
        status=d.status,
        status_label=STATUS_LABELS[d.status],
        spans=tuple(_span_view(s, look) for s in d.spans),
        inserted=d.words.inserted,
        deleted=d.words.deleted,
        by_party=party_words(d.words_by_party, look),
        stances=_stances(d, look),
        notes=d.notes,
        key_changes=tuple(key_change_view(k, d, anchor, look) for k in d.key_changes),
        sources=look.source_list(text_sources + cited),
    )


def compare_view(c: Comparison) -> CompareView:
    look = Lookup(c.corpus)
    clauses = tuple(clause_view(d, i, look) for i, d in enumerate(c.clauses, 1))
    cited = tuple(s for cl in clauses for s in cl.sources)
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
    )
