"""The view-model of the report site: the overview, the clause pages and the sources page.

Kept apart from :mod:`clausetrack.view` (the redline page's view-model) because
``clausetrack compare`` never needs it, and every frozen dataclass costs start-up
time. The same rules hold: untrusted text stays plain ``str`` for autoescape.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from clausetrack.compare import count_words
from clausetrack.model import (
    STANCES,
    Clause,
    ClauseDiff,
    Comparison,
    Corpus,
    Position,
    Version,
)
from clausetrack.view import (
    FALLBACK_COLOURS,
    STANCE_GLYPHS,
    STATUS_LABELS,
    ChangeGroup,
    ClauseView,
    Lookup,
    PartyView,
    PositionView,
    SourceView,
    VersionView,
    change_groups,
    change_parties,
    clause_view,
    css_ident,
    excerpt,
    position_view,
)

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
                colour=proposer.colour if proposer else FALLBACK_COLOURS[0],
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
                position_view(p, look),
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
