"""The static report: a site for the whole negotiation, written atomically.

``write_report`` computes every redline once (each version against the one it is
based on, and first against last), builds the view-model of each page
(:mod:`clausetrack.view`, :mod:`clausetrack.siteview`), renders the templates, and
writes the site into a temporary folder beside the output folder. Only when every
page is written is the temporary folder renamed into place (the previous report, if
any, is renamed aside first and then removed), so a failed or interrupted run leaves
the previous report as it was. Nothing is ever written through a symbolic link.

Layout::

    index.html                  the agreement, timeline, clause × version grid, positions
    versions/OLD_NEW.html       the redline of OLD → NEW (the compare page)
    clauses/CLAUSE.html         one clause's history, blame and positions
    sources.html                every source and what cites it

A cache (:mod:`clausetrack.cache`) in ``.clausetrack-cache`` beside the output folder
keeps each clause's word diffs, key changes, redlines and blame, and every page as
written, keyed by the hash of all they depend on. A page whose inputs did not change is
copied from it, and a clause whose inputs did not change is not diffed again; when every
page is there, nothing is diffed or rendered at all. The output is byte for byte the same
with or without the cache; delete the folder at any time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import jinja2

from clausetrack import compare as compare_module
from clausetrack.api import history
from clausetrack.attribute import DiffFn, ancestors, blame, version_path
from clausetrack.cache import (
    CACHE_DIR,
    KINDS,
    Cache,
    code_key,
    digest,
    source_key,
    spans_from_runs,
    template_key,
)
from clausetrack.compare import KEY_CHANGE_FIELDS, KeyChangeFinder, Redline, compare
from clausetrack.diff import diff_words
from clausetrack.errors import ClausetrackError
from clausetrack.memory import gc_paused
from clausetrack.model import (
    Clause,
    Comparison,
    Corpus,
    KeyChange,
    Op,
    Span,
    Version,
    WordStats,
)
from clausetrack.render import PageAssets, assets, environment, render_page
from clausetrack.siteview import (
    INDEX_PAGE,
    SOURCES_PAGE,
    Link,
    SiteData,
    clause_page,
    clause_page_view,
    index_view,
    site_nav,
    sources_view,
    version_page,
)
from clausetrack.view import Lookup, compare_view

MARKER = ".clausetrack-report"
"""A file at the top of every report; a non-empty folder without it is never replaced."""

Progress = Callable[[int, int], None]
Page = tuple[str, Callable[[], str]]  # (path in the site, render)


@dataclass(frozen=True)
class ReportResult:
    """What ``write_report`` wrote: the number of HTML pages and every file, sorted."""

    pages: int
    out_dir: Path
    files: tuple[str, ...]


def write_report(
    corpus: Corpus,
    out_dir: Path,
    *,
    template_dir: Path | None = None,
    progress: Progress | None = None,
    cache: bool = True,
) -> ReportResult:
    """Write the report for ``corpus`` into ``out_dir``, replacing a previous report.

    With ``cache``, work is kept in and reused from ``.clausetrack-cache`` beside
    ``out_dir`` (see :mod:`clausetrack.cache`); the output is the same either way.
    """
    target = _target(corpus, Path(out_dir))
    env = environment(template_dir)
    store = Cache(target.parent / CACHE_DIR if cache else None)
    keys = _page_keys(corpus, env)
    # The pages the cache has, each read (and its checksum checked) only as it is written:
    # holding them all (tens of megabytes of HTML) was most of the memory of a run that
    # changed little, and checking them twice a tenth of its time. A page found damaged
    # then is made again, as every page not in the cache is.
    cached = {rel for rel, key in keys.items() if store.has("pages", key)} if cache else set()
    planned: dict[str, Callable[[], str]] = {}

    def planned_page(rel: str) -> str:
        if not planned:
            planned.update(plan(site_data(corpus, store), env))
        return planned[rel]()

    pages: list[Page]
    if cached and cached == set(keys):
        pages = [(rel, functools.partial(planned_page, rel)) for rel in keys]
    else:
        pages = plan(site_data(corpus, store), env)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _staging(target) as stage:
            for done, (rel, render) in enumerate(pages, 1):
                data = store.get_bytes("pages", keys[rel]) if rel in cached else None
                if data is None:
                    html = _rendered(render)
                    if rel in keys:
                        store.put("pages", keys[rel], html)
                    data = html.encode("utf-8")
                _write(stage, rel, data)
                if progress is not None:
                    progress(done, len(pages))
            _write(stage, MARKER, b"clausetrack report\n")
            _swap(stage, target)
        store.prune()  # the entries of drafts long gone, least recently used first
    except OSError as exc:
        raise ClausetrackError(
            f"cannot write the report to {out_dir}: {exc.strerror or exc}",
            "check the folder's permissions and free space; the previous report is unchanged",
        ) from None
    except jinja2.TemplateError as exc:
        where = (
            f" ({exc.name}, line {exc.lineno})"
            if isinstance(exc, jinja2.TemplateSyntaxError)
            else ""
        )
        raise ClausetrackError(
            f"a template failed{where}: {exc}",
            "check the templates in --template-dir; the previous report is unchanged",
        ) from None
    files = tuple(sorted(rel for rel, _ in pages))
    return ReportResult(pages=len(pages), out_dir=target, files=files)


def _rendered(render: Callable[[], str]) -> str:
    """A page's HTML, with what the page left in cycles freed at once.

    Rendering a page leaves some of its objects in cycles (Jinja2's macros and their
    closures, 10–15 MB over the 332 pages of the 300 × 30 benchmark), which only the
    cyclic collector frees. Running on its own, the collector would start every few
    hundred objects a page makes and now and then walk the whole heap of the site's
    redlines: 0.5–0.9 s of a report that renders every page. Instead it is paused
    while the page renders, and a collection of the youngest generation, the objects
    made since the last one, frees the page's cycles: the same memory, without the
    passes over everything else. The command line keeps the collector off throughout;
    for a caller with it on, it is on again between pages.
    """
    with gc_paused():
        html = render()
    gc.collect(0)
    return html


# --- what the site shows -------------------------------------------------------


def site_data(corpus: Corpus, store: Cache | None = None) -> SiteData:
    """Every redline and blame the pages show, each computed once: all of them share one
    memo of word diffs, and each clause's redlines and blame are kept in ``store``
    between runs."""
    store = store or Cache(None)
    memo = _DiffMemo(corpus, store)
    detector = compare_module._key_change_finder()
    finder = _KeyChangeMemo(corpus, store, detector) if detector is not None else None
    kept = _RedlineMemo(corpus, store, detector)
    order = tuple(history(corpus))

    def redlines(old: str, new: str) -> Comparison:
        return compare(
            corpus, old, new, diff=memo, finder=finder, key_changes=finder is not None, kept=kept
        )

    # Redlines and blame, computed or read from the cache, make no cycles: the collector
    # (on for a caller of the library) would only walk them again and again.
    with gc_paused():
        steps = {new: redlines(old, new) for old, new in _steps(corpus, order)}
        pair = _overall(corpus, order)
        overall = redlines(*pair) if pair is not None else None
        clause_ids = clause_order(corpus, order)
        data = SiteData(corpus, order, steps, overall, clause_ids, {})
        runs = {c: _blame_kept(kept, corpus, c, data.latest_with(c), memo) for c in clause_ids}
        memo.save()
        if finder is not None:
            finder.save()
        kept.save()
    return SiteData(corpus, order, steps, overall, clause_ids, runs)


def _steps(corpus: Corpus, order: tuple[Version, ...]) -> list[tuple[str, str]]:
    """Each version against the one it is based on, in drafting order."""
    return [
        (v.based_on, v.id)
        for v in order
        if v.based_on is not None and v.based_on in corpus.versions
    ]


def _overall(corpus: Corpus, order: tuple[Version, ...]) -> tuple[str, str] | None:
    """First against last, unless that is one of the steps already."""
    if len(order) < 2:
        return None
    first, last = order[0], order[-1]
    if last.based_on == first.id and last.based_on in corpus.versions:
        return None
    return first.id, last.id


class _DiffMemo:
    """``diff_words`` computed once per pair of texts in a run, and kept per clause in the
    cache under the hash of the clause's texts. A clause's entry is read when a diff
    between two of its texts is first asked for (most runs take every redline from
    the clause's kept redlines and never ask)."""

    def __init__(self, corpus: Corpus, store: Cache) -> None:
        self.store = store
        self.seen: dict[tuple[str, str], tuple[Op, ...]] = {}
        self.texts = _owners(corpus)  # clause id → its texts, sorted
        self.owners = _owners_of(self.texts)
        code = code_key()
        self.keys = {c: digest(code, "diffs", *texts) for c, texts in self.texts.items()}
        self.loaded: dict[str, int] = {}  # clause id → diffs found in the cache

    def __call__(self, a: str, b: str) -> tuple[Op, ...]:
        ops = self.seen.get((a, b))
        if ops is None:
            for clause_id in sorted(self.owners(a, b)):
                if clause_id not in self.loaded:
                    found = self.store.get_diffs(self.keys[clause_id], self.texts[clause_id])
                    self.seen.update(found)
                    self.loaded[clause_id] = len(found)
            ops = self.seen.get((a, b))
        if ops is None:
            ops = self.seen[a, b] = diff_words(a, b)
        return ops

    def save(self) -> None:
        """Store the diffs of each clause whose entry was missing or incomplete."""
        if self.store.root is None:
            return
        pairs: dict[str, dict[tuple[str, str], tuple[Op, ...]]] = {}
        for (a, b), ops in self.seen.items():
            for clause_id in self.owners(a, b):
                pairs.setdefault(clause_id, {})[a, b] = ops
        for clause_id, mine in pairs.items():
            if self.loaded.get(clause_id) != len(mine):
                self.store.put_diffs(self.keys[clause_id], self.texts[clause_id], mine)


def _owners(corpus: Corpus) -> dict[str, tuple[str, ...]]:
    """Every clause's texts, sorted, with the empty text (a clause absent from a version)."""
    return {
        clause_id: tuple(sorted({"", *(t.text for t in clause.texts.values())}))
        for clause_id, clause in corpus.clauses.items()
    }


def _owners_of(texts: dict[str, tuple[str, ...]]) -> Callable[[str, str], set[str]]:
    """The clauses that have both of two texts (an entry is stored with each of them)."""
    owners: dict[str, list[str]] = {}  # text → the clauses that have it
    for clause_id, mine in texts.items():
        for text in mine:
            owners.setdefault(text, []).append(clause_id)
    return lambda a, b: set(owners.get(a, ())).intersection(owners.get(b, ()))


# The type of each field of a KeyChange, in the order of compare.KEY_CHANGE_FIELDS.
_KEY_TYPES: tuple[tuple[type, ...], ...] = (
    (str,),
    (str, type(None)),
    (str, type(None)),
    (str,),
    (int,),
    (int,),
    (str, type(None)),
    (str, type(None)),
)


class _KeyChangeMemo:
    """The key-change detector's findings, kept per clause in the cache.

    A clause's entry is keyed by the detector's source, the package's code and the
    clause's texts; inside it, each finding list is keyed by everything the detector
    reads: the two texts, the attributed spans (kinds, lengths, versions, parties) and
    the labels cross-references are checked against. So a finding is reused only for
    the very same call, and a run after one clause changed runs the detector on that
    clause alone. A clause's entry is read when the detector is first asked about two
    of its texts.
    """

    def __init__(self, corpus: Corpus, store: Cache, finder: KeyChangeFinder) -> None:
        self.finder, self.store = finder, store
        code = digest(
            code_key(),
            f"{finder.__module__}.{finder.__qualname__}",
            source_key(finder.__module__),
        )
        self.texts = _owners(corpus)
        self.owners = _owners_of(self.texts)
        self.keys = {c: digest(code, "key-changes", *t) for c, t in self.texts.items()}
        self.seen: dict[str, tuple[KeyChange, ...]] = {}
        self.calls: dict[tuple[str, str], set[str]] = {}  # (old, new) → call keys made
        self.loaded: dict[str, int] = {}
        self._refs: tuple[object, str] | None = None

    def _refs_key(self, known_refs: Collection[str] | None) -> str:
        if self._refs is None or self._refs[0] is not known_refs:
            refs = "no check" if known_refs is None else repr(sorted(known_refs))
            self._refs = (known_refs, digest(refs))
        return self._refs[1]

    def __call__(
        self,
        old_text: str,
        new_text: str,
        spans: Sequence[Span],
        *,
        known_refs: Collection[str] | None = None,
    ) -> tuple[KeyChange, ...]:
        shape = repr([(s.kind, len(s.text), s.version, s.party) for s in spans])
        key = digest(old_text, new_text, shape, self._refs_key(known_refs))
        for clause_id in sorted(self.owners(old_text, new_text)):
            if clause_id not in self.loaded:
                stored = _read_findings(self.store.get("key-changes", self.keys[clause_id]))
                self.seen.update(stored)
                self.loaded[clause_id] = len(stored)
        found = self.seen.get(key)
        if found is None or any(k.span_end > len(spans) for k in found):
            found = self.seen[key] = self.finder(old_text, new_text, spans, known_refs=known_refs)
        self.calls.setdefault((old_text, new_text), set()).add(key)
        return found

    def save(self) -> None:
        """Store the findings of each clause whose entry was missing or incomplete."""
        if self.store.root is None:
            return
        mine: dict[str, set[str]] = {}
        for (a, b), keys in self.calls.items():
            for clause_id in self.owners(a, b):
                mine.setdefault(clause_id, set()).update(keys)
        for clause_id, keys in mine.items():
            if self.loaded.get(clause_id) != len(keys):
                entries = [[k, [_key_fields(f) for f in self.seen[k]]] for k in sorted(keys)]
                self.store.put("key-changes", self.keys[clause_id], json.dumps(entries))


class _RedlineMemo:
    """Each clause's redlines (spans, key changes, word counts) in every comparison of the
    site, and its blame, kept per clause in the cache.

    A clause's entry is keyed by the package's code, the key-change detector (or its
    absence), every version as read but for what is only shown (bases, proposers,
    clause lists, dates: the paths walked, who is credited, the labels cross-references
    are checked against, the latest version with the clause; see :func:`_version_part`)
    and the clause's id and texts with their proposers. That is all a clause's redlines
    and blame read, so an entry is reused only where computing it again would give the
    same: a run after one clause file changed computes that clause alone, and one after
    a version's title or summary changed none. Spans are kept as lengths and rebuilt
    over the texts; an entry that does not spell them exactly is ignored whole.
    """

    def __init__(self, corpus: Corpus, store: Cache, detector: KeyChangeFinder | None) -> None:
        self.corpus, self.store = corpus, store
        found = (
            (f"{detector.__module__}.{detector.__qualname__}", source_key(detector.__module__))
            if detector is not None
            else ("no key changes",)
        )
        versions = (_version_part(v) for v in corpus.versions.values())
        base = digest(code_key(), "redlines", *found, *versions)
        self.keys = {
            c: digest(base, c, repr(tuple(clause.texts.items())))
            for c, clause in corpus.clauses.items()
        }
        self.entries: dict[str, _Kept] = {}
        self.dirty: set[str] = set()

    def _entry(self, clause_id: str) -> _Kept:
        entry = self.entries.get(clause_id)
        if entry is None:
            raw = self.store.get("redlines", self.keys[clause_id])
            entry = self.entries[clause_id] = _read_kept(raw, self.corpus.clauses[clause_id])
        return entry

    def get(self, clause_id: str, old_id: str, new_id: str) -> Redline | None:
        return self._entry(clause_id).redlines.get((old_id, new_id))

    def put(self, clause_id: str, old_id: str, new_id: str, redline: Redline) -> None:
        self._entry(clause_id).redlines[old_id, new_id] = redline
        self.dirty.add(clause_id)

    def blame(self, clause_id: str, text: str, compute: Callable[[], _Runs]) -> _Runs:
        """The clause's blame runs over ``text``, its latest text (from the entry when
        they spell it)."""
        entry = self._entry(clause_id)
        if entry.blame is None and entry.kept_runs is not None:
            entry.blame = _runs_over(text, entry.kept_runs, self.corpus.versions)
        if entry.blame is None:
            entry.blame = compute()
            self.dirty.add(clause_id)
        return entry.blame

    def save(self) -> None:
        """Store the entry of each clause that computed anything."""
        if self.store.root is None:
            return
        for clause_id in sorted(self.dirty):
            entry = self.entries[clause_id]
            redlines = [
                [old, new, _span_runs(spans), [_key_fields(k) for k in key], _counts(st)]
                for (old, new), (spans, key, st) in entry.redlines.items()
            ]
            runs = None if entry.blame is None else [[len(t), v] for t, v in entry.blame]
            body = json.dumps([redlines, runs], separators=(",", ":"), ensure_ascii=False)
            self.store.put("redlines", self.keys[clause_id], body)


# What of a version only its pages show: no redline or blame reads it.
_SHOWN_ONLY = frozenset({"title", "summary", "sources", "loc"})


def _version_part(version: Version) -> str:
    """A version as a redline entry's key reads it: every field but those only shown
    (a field added later counts until it is listed in :data:`_SHOWN_ONLY`)."""
    return repr(
        [
            (f.name, getattr(version, f.name))
            for f in dataclasses.fields(version)
            if f.name not in _SHOWN_ONLY
        ]
    )


_Runs = tuple[tuple[str, str], ...]  # a clause's latest text as (text, version) runs


@dataclass
class _Kept:
    """One clause's entry: its redlines by (old, new) version ids, and its blame."""

    redlines: dict[tuple[str, str], Redline]
    kept_runs: object = None  # the blame as read from the cache: [[length, version], ...]
    blame: _Runs | None = None


def _span_runs(spans: Sequence[Span]) -> list[list[object]]:
    return [[KINDS.index(s.kind), len(s.text), s.version, s.party] for s in spans]


def _counts(stats: tuple[WordStats, dict[str, WordStats]]) -> list[object]:
    words, by_party = stats
    parties = [[p, w.inserted, w.deleted] for p, w in by_party.items()]
    return [words.inserted, words.deleted, parties]


def _read_kept(raw: str | None, clause: Clause) -> _Kept:
    """A clause's cached entry, or an empty one when anything in it is off."""
    if raw is None:
        return _Kept({})
    try:
        redlines_raw, runs_raw = json.loads(raw)
        redlines: dict[tuple[str, str], Redline] = {}
        for old, new, spans_raw, keys_raw, counts_raw in redlines_raw:
            spans = spans_from_runs(clause.text_at(old), clause.text_at(new), spans_raw)
            keys = [_key_change(fields) for fields in keys_raw]
            stats = _stats_of(counts_raw)
            if spans is None or None in keys or stats is None or not _ids(old, new):
                return _Kept({})
            redlines[old, new] = (spans, tuple(k for k in keys if k is not None), stats)
        return _Kept(redlines, runs_raw)
    except (ValueError, TypeError):
        return _Kept({})


def _key_fields(change: KeyChange) -> list[object]:
    return [getattr(change, name) for name in KEY_CHANGE_FIELDS]


def _key_change(fields: object) -> KeyChange | None:
    """A key change from its fields, in the order of ``KEY_CHANGE_FIELDS``, when each has
    its type."""
    if not isinstance(fields, list) or len(fields) != len(_KEY_TYPES):
        return None
    if not all(
        isinstance(v, t) and not isinstance(v, bool)
        for v, t in zip(fields, _KEY_TYPES, strict=True)
    ):
        return None
    return KeyChange(*fields)


def _stats_of(raw: object) -> tuple[WordStats, dict[str, WordStats]] | None:
    """Word counts from ``[inserted, deleted, [[party, inserted, deleted], ...]]``."""
    if not isinstance(raw, list) or len(raw) != 3:
        return None
    inserted, deleted, parties = raw
    if not (_count(inserted) and _count(deleted) and isinstance(parties, list)):
        return None
    by_party: dict[str, WordStats] = {}
    for item in parties:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            return None
        if not (_count(item[1]) and _count(item[2])):
            return None
        by_party[item[0]] = WordStats(item[1], item[2])
    return WordStats(inserted, deleted), by_party


def _count(value: object) -> TypeGuard[int]:
    """A whole number, 0 or more (JSON's ``true`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _ids(*values: object) -> bool:
    return all(isinstance(v, str) for v in values)


def _runs_over(text: str, raw: object, versions: Collection[str]) -> _Runs | None:
    """Blame runs rebuilt over ``text`` from ``[[length, version], ...]``, or ``None``
    unless they cover it exactly and name versions of the corpus."""
    if not isinstance(raw, list):
        return None
    runs: list[tuple[str, str]] = []
    pos = 0
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        n, version = item
        if not (_count(n) and n > 0 and isinstance(version, str) and version in versions):
            return None
        runs.append((text[pos : pos + n], version))
        pos += n
    return tuple(runs) if pos == len(text) else None


def _read_findings(raw: str | None) -> dict[str, tuple[KeyChange, ...]]:
    """A clause's cached findings, or none when anything in the entry is off."""
    if raw is None:
        return {}
    try:
        out: dict[str, tuple[KeyChange, ...]] = {}
        for key, findings in json.loads(raw):
            changes = [_key_change(fields) for fields in findings]
            if not isinstance(key, str) or None in changes:
                return {}
            out[key] = tuple(c for c in changes if c is not None)
        return out
    except (ValueError, TypeError):
        return {}


def _clause_fixed(clause: Clause) -> str:
    """All of a clause but its texts (a redline's key adds the texts on its path)."""
    fields = (clause.id, clause.title, clause.topic, clause.sources, clause.positions)
    return repr((*fields, clause.loc))


def _page_keys(corpus: Corpus, env: jinja2.Environment) -> dict[str, str]:
    """Every page of the site, in writing order, and the hash of all it is made of."""
    finder = compare_module._key_change_finder()
    search = env.loader.searchpath if isinstance(env.loader, jinja2.FileSystemLoader) else []
    common = digest(
        code_key(),
        template_key(Path(p) for p in search),
        f"{finder.__module__}.{finder.__qualname__}" if finder else "no key changes",
        source_key(finder.__module__) if finder else "",
        str(corpus.root),
        repr(corpus.agreement),
        repr(tuple(corpus.versions.values())),
    )
    order = tuple(history(corpus))
    clause_ids = clause_order(corpus, order)
    fixed = {c: _clause_fixed(corpus.clauses[c]) for c in clause_ids}
    at = {  # (clause, version) → its text there, as a key part
        (c, v): repr((v, t)) for c in clause_ids for v, t in corpus.clauses[c].texts.items()
    }
    clause_keys = {
        c: digest(fixed[c], *(at[c, v] for v in corpus.clauses[c].texts)) for c in clause_ids
    }
    titles = digest(*(f"{c}\n{corpus.clauses[c].title}" for c in clause_ids))
    everything = digest(common, *clause_keys.values())
    pairs = _steps(corpus, order)
    overall = _overall(corpus, order)
    if overall is not None:
        pairs.append(overall)
    keys = {rel: digest(everything, rel) for rel in (INDEX_PAGE, SOURCES_PAGE)}
    for a, b in pairs:
        # A redline shows each clause at the versions on its path, nothing of the others.
        path = [a, *(step.after for step in version_path(corpus, a, b))]
        parts: list[str] = []
        for c in clause_ids:
            parts.append(fixed[c])
            parts += (at.get((c, v), f"({v!r}, None)") for v in path)
        keys[version_page(a, b)] = digest(common, titles, version_page(a, b), *parts)
    for c in clause_ids:
        keys[clause_page(c)] = digest(common, titles, clause_keys[c], clause_page(c))
    return keys


def clause_order(corpus: Corpus, versions: tuple[Version, ...]) -> tuple[str, ...]:
    """Every clause once: in the latest version's order, a dropped clause after the clause
    it followed when it was last there; clauses in no version last."""
    order: list[str] = []
    for v in versions:
        merged = [c for c in v.clauses if c in corpus.clauses]
        present = set(merged)
        for i, c in enumerate(order):
            if c in present:
                continue
            before = next((b for b in reversed(order[:i]) if b in present), None)
            merged.insert(merged.index(before) + 1 if before else 0, c)
            present.add(c)
        order = merged
    order += [c for c in corpus.clauses if c not in set(order)]
    return tuple(order)


def _blame_kept(
    kept: _RedlineMemo, corpus: Corpus, clause_id: str, latest: Version | None, diff: DiffFn
) -> _Runs:
    text = "" if latest is None else corpus.clauses[clause_id].text_at(latest.id)
    return kept.blame(clause_id, text, lambda: _blame_runs(corpus, clause_id, latest, diff))


def _blame_runs(
    corpus: Corpus, clause_id: str, latest: Version | None, diff: DiffFn = diff_words
) -> tuple[tuple[str, str], ...]:
    """The clause's latest text cut into ``(text, version id that introduced it)`` runs,
    following ``based_on`` from the first draft."""
    if latest is None:
        return ()
    clause = corpus.clauses[clause_id]
    chain = list(reversed(ancestors(corpus, latest.id)))
    texts = ["", *(clause.text_at(v) for v in chain)]
    result = blame(texts, chain, diff)
    text = texts[-1]
    runs: list[tuple[str, str]] = []
    pos = 0
    for start, end, version_id in result.introduced:
        if start > pos:  # cannot happen (everything was inserted once), but never drop text
            runs.append((text[pos:start], chain[0]))
        runs.append((text[start:end], version_id))
        pos = end
    if pos < len(text):
        runs.append((text[pos:], chain[0]))
    return tuple(runs)


def plan(data: SiteData, env: jinja2.Environment) -> list[Page]:
    """Every page of the site, as its path and a function that renders it."""
    look = Lookup(data.corpus)
    parties = tuple(look.parties.values())
    plain = assets(env, parties)
    scripted = assets(env, parties, ("redline.js",))
    pages: list[Page] = [
        (INDEX_PAGE, lambda: _index(env, plain, data, look)),
        (SOURCES_PAGE, lambda: _sources(env, plain, data, look)),
    ]
    redlines = [c for c in (*data.steps.values(), data.overall) if c is not None]
    names = [_redline_label(c) for c in redlines]
    for i, c in enumerate(redlines):
        prev = Link(names[i - 1], "../" + _page_of(redlines[i - 1])) if i else None
        nxt = (
            Link(names[i + 1], "../" + _page_of(redlines[i + 1])) if i + 1 < len(redlines) else None
        )
        pages.append((_page_of(c), _compare_page(env, scripted, data, look, c, prev, nxt)))
    ids = data.clause_order
    titles = [data.corpus.clauses[c].title for c in ids]
    for i, clause_id in enumerate(ids):
        prev = Link(titles[i - 1], "../" + clause_page(ids[i - 1])) if i else None
        nxt = Link(titles[i + 1], "../" + clause_page(ids[i + 1])) if i + 1 < len(ids) else None
        pages.append((clause_page(clause_id), _clause(env, scripted, data, look, i, prev, nxt)))
    return pages


def _page_of(c: Comparison) -> str:
    return version_page(c.old.id, c.new.id)


def _redline_label(c: Comparison) -> str:
    return f"{c.old.title} → {c.new.title}"


def _index(env: jinja2.Environment, page: PageAssets, data: SiteData, look: Lookup) -> str:
    view = index_view(data, look)
    return render_page(env, "index.html.jinja2", page, view=view, sources_href=SOURCES_PAGE)


def _sources(env: jinja2.Environment, page: PageAssets, data: SiteData, look: Lookup) -> str:
    nav = site_nav(0, data.clause_order)
    view = sources_view(data, look)
    return render_page(env, "sources.html.jinja2", page, view=view, site=nav, sources_href="")


def _compare_page(
    env: jinja2.Environment,
    page: PageAssets,
    data: SiteData,
    look: Lookup,
    c: Comparison,
    prev: Link | None,
    nxt: Link | None,
) -> Callable[[], str]:
    def render() -> str:
        nav = site_nav(1, data.clause_order, prev=prev, next_=nxt)
        view = compare_view(c, look)
        return render_page(
            env, "compare.html.jinja2", page, view=view, site=nav, sources_href=nav.sources
        )

    return render


def _clause(
    env: jinja2.Environment,
    page: PageAssets,
    data: SiteData,
    look: Lookup,
    index: int,
    prev: Link | None,
    nxt: Link | None,
) -> Callable[[], str]:
    def render() -> str:
        clause_id = data.clause_order[index]
        nav = site_nav(1, data.clause_order, prev=prev, next_=nxt)
        view = clause_page_view(clause_id, index + 1, data, look)
        return render_page(
            env, "clause.html.jinja2", page, view=view, site=nav, sources_href=nav.sources
        )

    return render


# --- writing it safely -----------------------------------------------------------


def _target(corpus: Corpus, out_dir: Path) -> Path:
    """The output folder as an absolute path, after refusing the unsafe ones."""
    given = Path(os.path.normpath(out_dir.absolute()))
    if given.is_symlink():
        raise ClausetrackError(
            f"will not write the report to {out_dir}: it is a symbolic link",
            "name a real folder (the report replaces the folder, never writes through a link)",
        )
    target = given.parent.resolve() / given.name if given.name else given
    corpus_root = corpus.root.resolve()
    if target == corpus_root or target in corpus_root.parents or not given.name:
        raise ClausetrackError(
            f"will not write the report to {out_dir}: it would replace the corpus folder "
            f"{corpus.root}",
            "choose another output folder, e.g. -o build/report",
        )
    if target.exists() and not target.is_dir():
        raise ClausetrackError(
            f"will not write the report to {out_dir}: it is a file", "name a folder"
        )
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise ClausetrackError(
            f"will not replace {out_dir}: it is not empty and holds no earlier report",
            "choose a new or empty folder (the report replaces the whole folder)",
        )
    return target


@contextlib.contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A new, empty sibling folder of ``target``; removed afterwards unless it was swapped in."""
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield stage
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _write(stage: Path, rel: str, data: bytes) -> None:
    """Create ``stage/rel`` (never following a link: the file must not exist yet)."""
    path = stage / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _swap(stage: Path, target: Path) -> None:
    """Put ``stage`` in ``target``'s place; the previous ``target`` is removed after."""
    for folder in (stage, *(p for p in stage.rglob("*") if p.is_dir())):
        folder.chmod(0o755)
    if not target.exists():
        os.rename(stage, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    previous = old / "report"
    try:
        os.rename(target, previous)
        os.rename(stage, target)
    except BaseException:  # an error, SIGINT or SIGTERM: put the previous report back
        if previous.exists() and not target.exists():
            os.rename(previous, target)
        raise
    finally:
        # Discard the previous report only once a report stands in its place.
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
