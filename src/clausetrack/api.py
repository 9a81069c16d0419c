"""The library behind every command: each CLI command is one call in here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from clausetrack import parallel
from clausetrack.compare import compare
from clausetrack.corpus import check_corpus, load_corpus
from clausetrack.errors import Problem
from clausetrack.model import Comparison, Corpus, Version
from clausetrack.resources import find_corpus

if TYPE_CHECKING:
    from clausetrack.report import ReportResult

Format = Literal["html", "text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("html", "text", "markdown", "json")


def open_corpus(corpus: str | os.PathLike[str] | None = None) -> Corpus:
    """Load the corpus picked by :func:`clausetrack.resources.find_corpus`."""
    return load_corpus(find_corpus(corpus))


def check(corpus: str | os.PathLike[str] | None = None) -> tuple[Path, list[Problem]]:
    """The corpus folder checked and every problem found in it."""
    root = find_corpus(corpus)
    return root, check_corpus(root)


def render(
    comparison: Comparison,
    fmt: Format,
    *,
    color: bool = False,
    template_dir: Path | None = None,
) -> str:
    """One comparison in one output format."""
    if fmt == "html":
        from clausetrack.render import compare_html

        return compare_html(comparison, template_dir)
    return "".join(pieces(comparison, fmt, color=color))


def pieces(
    comparison: Comparison,
    fmt: Format,
    *,
    color: bool = False,
    template_dir: Path | None = None,
) -> Iterator[str]:
    """:func:`render`'s output in pieces, as it is produced: a long document's redline is
    written without ever being one string."""
    if fmt == "html":
        from clausetrack.render import compare_page

        yield from compare_page(comparison, template_dir)
        return
    from clausetrack import formats

    if fmt == "json":
        yield from formats.json_pieces(comparison)
    elif fmt == "markdown":
        yield from formats.markdown_pieces(comparison)
    else:
        yield from formats.text_pieces(comparison, color=color)


def redline(
    old: str,
    new: str,
    *,
    corpus: str | os.PathLike[str] | None = None,
    clauses: Sequence[str] = (),
    fmt: Format = "html",
    color: bool = False,
    material_only: bool = False,
    template_dir: Path | None = None,
    jobs: int | None = None,
) -> tuple[Comparison, str]:
    """Compare two versions and render the redline: ``(comparison, output)``.

    ``jobs`` caps the processes that read the corpus, share the clauses and print a
    long page's change list (``None``: decided by the size of the work and the usable
    cores, see :mod:`clausetrack.parallel`)."""
    comparison = _compared(old, new, corpus, clauses, material_only, jobs)
    with parallel.limited(jobs):  # the cap holds for rendering too
        return comparison, render(comparison, fmt, color=color, template_dir=template_dir)


def write_redline(
    old: str,
    new: str,
    path: Path,
    *,
    corpus: str | os.PathLike[str] | None = None,
    clauses: Sequence[str] = (),
    fmt: Format = "html",
    color: bool = False,
    material_only: bool = False,
    template_dir: Path | None = None,
    jobs: int | None = None,
) -> Comparison:
    """Compare two versions and write the redline to ``path`` atomically, piece by piece
    as it is rendered (see :func:`redline` for the options)."""
    from clausetrack.output import write_atomic

    comparison = _compared(old, new, corpus, clauses, material_only, jobs)
    with parallel.limited(jobs):  # the cap holds for rendering too
        write_atomic(path, pieces(comparison, fmt, color=color, template_dir=template_dir))
    return comparison


def _compared(
    old: str,
    new: str,
    corpus: str | os.PathLike[str] | None,
    clauses: Sequence[str],
    material_only: bool,
    jobs: int | None,
) -> Comparison:
    with parallel.limited(jobs):  # the cap holds for reading the corpus too
        comparison = compare(open_corpus(corpus), old, new, clauses, jobs=jobs)
    return only_material(comparison) if material_only else comparison


def only_material(c: Comparison) -> Comparison:
    """The comparison reduced to the clauses that carry key changes."""
    from dataclasses import replace

    kept = tuple(d for d in c.clauses if d.key_changes)
    n, total = len(kept), len(c.clauses)
    shown = f"Showing the {n} of {total} compared clauses that have key changes."
    return replace(c, clauses=kept, shown=shown)


def report(
    corpus: str | os.PathLike[str] | None,
    out_dir: Path,
    *,
    template_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: bool = True,
) -> ReportResult:
    """Write the static HTML site for the whole negotiation into ``out_dir``; with
    ``cache``, work is kept in and reused from ``.clausetrack-cache`` beside it."""
    from clausetrack.report import write_report

    return write_report(
        open_corpus(corpus), out_dir, template_dir=template_dir, progress=progress, cache=cache
    )


def describe(corpus: Corpus) -> str:
    """A plain listing of the corpus's parties, versions and clauses, with their ids."""
    a = corpus.agreement
    lines = [a.title, "", "Parties:"]
    lines += [f"  {p.id:<14} {p.name} ({p.role})" for p in a.parties]
    lines += ["", "Versions (oldest first):"]
    for v in history(corpus):
        base = f", based on {v.based_on}" if v.based_on else ""
        lines.append(f"  {v.id:<14} {v.date:<10}  {v.title} [{v.status}, by {v.proposed_by}{base}]")
    lines += ["", "Clauses:"]
    lines += [f"  {c.id:<22} {c.title}" for c in corpus.clauses.values()]
    return "\n".join(lines) + "\n"


def history(corpus: Corpus) -> list[Version]:
    """Versions in the order they were drafted: each after the one it is based on,
    siblings by date (partial dates such as "2025-02" sort by their known part)."""
    children: dict[str | None, list[Version]] = {}
    for v in corpus.versions.values():
        children.setdefault(v.based_on, []).append(v)
    order: list[Version] = []
    stack = sorted(children.get(None, []), key=lambda v: (v.date, v.id), reverse=True)
    while stack:
        v = stack.pop()
        order.append(v)
        stack += sorted(children.get(v.id, []), key=lambda v: (v.date, v.id), reverse=True)
    return order
