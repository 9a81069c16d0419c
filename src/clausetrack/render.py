"""HTML rendering: Jinja2 templates over the view-model, self-contained pages.

The template search path puts the user's ``--template-dir`` first and the
packaged ``default/`` templates last, so a user can override any template or
block. Autoescape is always on. Our own stylesheet and script are inlined and
pinned by hash in the page's Content-Security-Policy, so that even a missed
escape cannot run script.

Large documents make pages of tens of megabytes, so the compare page is fast in two
ways: while the user's templates leave its markup as it is, its long loops are
printed by :class:`Prerendered` (the same markup, escaped in Python), and
:func:`compare_page` gives the page as the template prints it, piece by piece.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes
from markupsafe import Markup

from clausetrack import __version__, parallel
from clausetrack.memory import gc_paused
from clausetrack.model import Comparison
from clausetrack.resources import templates_dir
from clausetrack.view import (
    PIECE,
    ChangeGroup,
    ClauseView,
    CompareView,
    KeyChangeView,
    PartyView,
    PositionView,
    SourceView,
    VersionView,
    compare_view,
    esc,
    grouped,
    spans_html_strings,
)

if TYPE_CHECKING:
    from clausetrack.siteview import SiteNav


@dataclass(frozen=True)
class PageAssets:
    """What every page inlines: CSS, optional script, and the CSP that pins them."""

    css: Markup
    script: Markup
    csp: str
    tool_version: str


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's compiled templates, kept between runs (compiling the pages' templates
    takes about 0.1 s, a third of a small comparison). An entry is used only if its
    template's source is unchanged (Jinja2 checks a checksum of it); the folder's name
    carries the versions of clausetrack, Jinja2 and Python, which fix how a source
    compiles. A corrupt or unreadable entry is ignored and compiled again, and a folder
    that cannot be written to only means no caching."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # any damage: compile the template again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache_dir() -> Path | None:
    """Where compiled templates are kept: ``$CLAUSETRACK_CACHE_DIR`` if set (empty: keep
    none), else ``clausetrack`` in the user's cache folder (``$XDG_CACHE_HOME``, or its
    usual default in the home folder). Safe to delete at any time."""
    import os
    import sys

    base = os.environ.get("CLAUSETRACK_CACHE_DIR")
    if base is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
        base = str(Path(xdg) / "clausetrack")
    if not base:
        return None
    py = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return Path(base) / f"templates-{__version__}-jinja{jinja2.__version__}-{py}"


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    search = [str(template_dir)] if template_dir else []
    # The defaults by bare name, and also as "default/NAME", so that a user's template
    # can extend the one it replaces: {% extends "default/index.html.jinja2" %}.
    search += [str(templates_dir() / "default"), str(templates_dir())]
    cache_dir = template_cache_dir()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_TemplateCache(str(cache_dir)) if cache_dir else None,
    )
    env.globals["prerendered"] = Prerendered() if _prerenderable(env) else None
    return env


# --- the default compare page's loops, printed in Python ------------------------------
#
# A 5 MB document is ten thousand clauses and tens of thousands of changes: through the
# macros, each clause costs a scoped block, four macro calls and dozens of escapes, most
# of the page's time. The default compare template therefore asks ``prerendered`` for the
# markup its macros would print, whenever that is sure to be the same markup.

# The blocks of compare.html.jinja2 whose default body prints from ``prerendered``.
PRERENDERED_BLOCKS = frozenset({"toc", "clauses", "clause", "change_table", "change_panel"})


def _prerenderable(env: jinja2.Environment) -> bool:
    """Whether the default compare page may print its clauses and change lists from
    :class:`Prerendered`: only if that is the markup its macros would give, that is, if
    macros.html.jinja2 is the packaged one and no template of the user's between the
    page and the packaged compare.html.jinja2 redefines a block that uses it (an edited
    copy of the default page must show its edits). Any doubt means no."""
    assert env.loader is not None
    loader = env.loader
    default = templates_dir() / "default"

    def packaged(name: str) -> tuple[bool, str]:
        source, filename, _ = loader.get_source(env, name)
        return filename is not None and Path(filename) == default / Path(name).name, source

    try:
        if not packaged("macros.html.jinja2")[0]:
            return False
        name = "compare.html.jinja2"
        for _ in range(16):  # a chain of templates extending one another
            is_default, source = packaged(name)
            if is_default and Path(name).name == "compare.html.jinja2":
                return True
            tree = env.parse(source, name)
            if any(b.name in PRERENDERED_BLOCKS for b in tree.find_all(nodes.Block)):
                return False
            parent = tree.find(nodes.Extends)
            if parent is None or not isinstance(parent.template, nodes.Const):
                return False
            name = str(parent.template.value)
    except (jinja2.TemplateError, OSError):
        return False  # rendering will report it
    return False


def _party_name(party: PartyView | None) -> str:
    if party:
        return (
            f'<span class="party" data-party="{esc(party.id)}"><span class="swatch" '
            f'aria-hidden="true"></span>{esc(party.name)}</span>'
        )
    return '<span class="party">unknown party</span>'


def _source_link(s: SourceView, sources_href: str) -> str:
    if s.url:
        return (
            f'<a href="{esc(s.url)}" rel="noopener noreferrer" title="{esc(s.title)}">'
            f"{esc(s.label)}</a>"
        )
    return (
        f'<a href="{esc(sources_href)}#{esc(s.anchor)}" title="{esc(s.title)}">{esc(s.label)}</a>'
    )


def _position(p: PositionView, sources_href: str) -> str:
    stance = esc(p.stance)
    out = [
        f'<div class="position stance-{stance}">\n  <p class="stance"><span class="glyph" '
        f'aria-hidden="true">{esc(p.glyph)}</span> <strong>{stance}</strong>'
    ]
    if p.date:
        date = esc(p.date)
        out.append(f' <span class="date">· <time datetime="{date}">{date}</time></span>')
    out.append("</p>\n")
    if p.statement:
        out.append(f'<p class="statement">{esc(p.statement)}</p>')
    if p.speaker or p.sources:
        out.append('<p class="cite">')
        if p.speaker:
            out.append(f"— {esc(p.speaker)}")
        for i, s in enumerate(p.sources):
            out.append(("; source: " if p.speaker else "source: ") if i == 0 else ", ")
            out.append(_source_link(s, sources_href))
        out.append("</p>")
    out.append("</div>")
    return "".join(out)


def _positions(ps: Iterable[PositionView], sources_href: str, none: str = "") -> str:
    return "".join(_position(p, sources_href) for p in ps) or none


def _stances(c: ClauseView, old: VersionView, new: VersionView, sources_href: str) -> str:
    out = [
        f'<aside class="positions" aria-label="Positions on {esc(c.title)}">\n'
        "  <h3>Positions</h3>\n"
    ]
    none = '<p class="none">No recorded position.</p>'
    for ps in c.stances:
        out.append(
            f'  <section class="party-stances" data-party="{esc(ps.party.id)}">\n'
            f"    <h4>{_party_name(ps.party)}</h4>\n"
        )
        if ps.old == ps.new:
            out.append('    <p class="at">At both versions</p>\n')
            out.append(_positions(ps.new, sources_href))
        else:
            out.append(f'    <p class="at">At {esc(old.title)}</p>\n')
            out.append(_positions(ps.old, sources_href, none))
            out.append(f'    <p class="at">At {esc(new.title)}</p>\n')
            out.append(_positions(ps.new, sources_href, none))
        out.append("  </section>\n")
    if not c.stances:
        out.append(
            '  <p class="none">No party has a recorded position on this clause at these '
            "versions.</p>\n"
        )
    out.append("</aside>")
    return "".join(out)


def _key_change_list(items: Iterable[KeyChangeView], show_clause: bool) -> str:
    out = ['<ul class="key-changes">\n']
    for k in items:
        kind = esc(k.kind)
        party = f' data-party="{esc(k.party.id)}"' if k.party else ""
        out.append(
            f'  <li class="key-change" data-kind="{kind}"{party}>\n'
            f'    <span class="kind">{kind}</span>\n'
            f'    <span class="summary">{esc(k.summary)}</span>\n'
        )
        if show_clause:
            out.append(f'<a class="where" href="#{esc(k.anchor)}">{esc(k.clause_title)}</a>')
        if k.party:
            version = f" in {esc(k.version.title)}" if k.version else ""
            out.append(f'<span class="by">by {_party_name(k.party)}{version}</span>')
        out.append("  </li>\n")
    out.append("</ul>")
    return "".join(out)


def _pieces(markup: Iterable[str]) -> Iterator[Markup]:
    """Escaped markup as the few large pieces (``grouped``) that the template prints."""
    return map(Markup, grouped(markup))


def _article(
    c: ClauseView, view: CompareView, site: SiteNav | None, sources_href: str
) -> Iterator[str]:
    """The ``clause`` block of compare.html.jinja2, with the default macros."""
    anchor, status = esc(c.anchor), esc(c.status)
    head = [
        f'<article class="clause status-{status}" id="{anchor}" aria-labelledby="{anchor}-h"'
        f' data-nav-item>\n  <header>\n    <h2 id="{anchor}-h"><span class="num">{c.number}.'
        f'</span> {esc(c.title)}</h2>\n    <p class="meta"><span class="badge status-{status}">'
        f'{esc(c.status_label)}</span> <span class="topic">{esc(c.topic)}</span>'
    ]
    if c.inserted or c.deleted:
        head.append(f' · <span class="delta">+{c.inserted} / −{c.deleted} words</span>')
    if site:
        href = esc(site.clause_pages[c.id])
        head.append(f' · <a class="history-link" href="{href}">History of this clause</a>')
    head.append(
        '</p>\n  </header>\n  <div class="clause-body">\n    <div class="text">\n'
        f'      <div class="redline" data-clause="{esc(c.id)}">'
    )
    yield "".join(head)
    yield from spans_html_strings(c.spans)
    tail = ["</div>\n"]
    if c.key_changes:
        tail.append('<div class="clause-key"><h3>Key changes</h3>')
        tail.append(_key_change_list(c.key_changes, False))
        tail.append("</div>")
    tail += [f'<p class="note"><strong>Note:</strong> {esc(n)}</p>' for n in c.notes]
    if c.sources:
        links = ", ".join(_source_link(s, sources_href) for s in c.sources)
        tail.append(f'<p class="clause-sources">Sources: {links}</p>')
    tail.append("    </div>\n    ")
    tail.append(_stances(c, view.old, view.new, sources_href))
    tail.append("\n  </div>\n</article>\n")
    yield "".join(tail)


def _toc_item(c: ClauseView) -> str:
    status = esc(c.status)
    return (
        f'<li class="status-{status}"><a href="#{esc(c.anchor)}">{esc(c.title)}</a> '
        f'<span class="badge status-{status}">{esc(c.status_label)}</span></li>'
    )


def _panel(groups: Sequence[ChangeGroup], count: int) -> Iterator[str]:
    """The ``change_panel`` macro."""
    yield (
        '<nav class="change-panel" id="change-panel" aria-labelledby="change-panel-h">\n'
        f'  <h2 id="change-panel-h">Changes <span class="count-all">({count})</span></h2>\n'
    )
    if not groups:
        yield '  <p class="none">No changes.</p>\n</nav>'
        return
    yield '  <ol class="change-groups">\n'
    for g in groups:
        yield (
            f'    <li><a class="group" href="#{esc(g.anchor)}">{esc(g.title)}</a>\n'
            '      <ol class="changes">\n'
        )
        yield from g.panel_strings()
        yield "      </ol>\n    </li>\n"
    yield "  </ol>\n</nav>"


def _table(groups: Sequence[ChangeGroup], count: int) -> Iterator[str]:
    """The ``change_table`` macro."""
    yield (
        '<section class="change-table" aria-labelledby="change-table-h">\n'
        f'  <h2 id="change-table-h">Table of changes ({count})</h2>\n'
    )
    if not groups:
        yield '  <p class="none">No changes.</p>\n</section>'
        return
    yield (
        '  <table>\n    <thead><tr><th scope="col">No.</th><th scope="col">Where</th>'
        '<th scope="col">Change</th><th scope="col">Text</th><th scope="col">By</th>'
        '<th scope="col">In version</th></tr></thead>\n    <tbody>\n'
    )
    for g in groups:
        yield from g.table_strings()
    yield "    </tbody>\n  </table>\n</section>"


class Prerendered:
    """What the default compare page's long loops print, built in Python: exactly the
    markup of its ``toc`` and ``clauses`` blocks (each clause as the ``clause`` block)
    and of the ``change_table`` and ``change_panel`` macros, with the default macros
    (a test renders pages both ways). Every piece of text is escaped (``esc``); the
    pieces are ``Markup`` only so that the template prints them as they are, and come
    a few hundred kilobytes at a time, so that a page written as it is rendered never
    holds a whole redline twice.

    ``changes``, when given, has the change table's and panel's markup printed by a
    worker while this process printed the rest of the page (:func:`compare_page`)."""

    def __init__(self, changes: _ChangesAhead | None = None) -> None:
        self._changes = changes

    def toc(self, clauses: Iterable[ClauseView]) -> Iterator[Markup]:
        return _pieces(map(_toc_item, clauses))

    def clauses(
        self, view: CompareView, site: SiteNav | None, sources_href: str
    ) -> Iterator[Markup]:
        return _pieces(s for c in view.clauses for s in _article(c, view, site, sources_href))

    def change_panel(self, view: CompareView) -> Iterator[Markup]:
        printed = self._changes.panel() if self._changes else None
        return printed or _pieces(_panel(view.changes, view.change_count))

    def change_table(self, view: CompareView) -> Iterator[Markup]:
        printed = self._changes.table() if self._changes else None
        return printed or _pieces(_table(view.changes, view.change_count))


def _print_changes(view: CompareView, fd: int) -> tuple[int, int]:
    """In a worker: the change table's and then the change panel's markup written to the
    file ``fd`` in UTF-8; where the panel starts and ends, in bytes."""
    groups, count = view.changes, view.change_count
    with os.fdopen(os.dup(fd), "wb") as out:
        for piece in grouped(_table(groups, count)):
            out.write(piece.encode("utf-8"))
        middle = out.tell()
        for piece in grouped(_panel(groups, count)):
            out.write(piece.encode("utf-8"))
        return middle, out.tell()


class _ChangesAhead:
    """The change table and panel that a worker printed into a temporary file (already
    unlinked), read back a piece at a time: the page's memory stays bounded. When the
    worker could not write (a full disk), they are printed here instead (``None``)."""

    def __init__(self, fd: int, result: Callable[[], tuple[int, int]]) -> None:
        self._fd = fd
        self._result = result

    @functools.cached_property
    def _bounds(self) -> tuple[int, int] | None:
        """Where the panel starts and ends, once the worker is done; ``None`` if it failed
        (asked once: a worker's result can be taken only once)."""
        try:
            return self._result()
        except OSError:
            return None

    def table(self) -> Iterator[Markup] | None:
        bounds = self._bounds
        return self._read(0, bounds[0]) if bounds else None

    def panel(self) -> Iterator[Markup] | None:
        bounds = self._bounds
        return self._read(*bounds) if bounds else None

    def _read(self, start: int, end: int) -> Iterator[Markup]:
        decode = codecs.getincrementaldecoder("utf-8")().decode
        while start < end:
            data = os.pread(self._fd, min(PIECE, end - start), start)
            if not data:
                raise OSError(f"the change list's temporary file ended at byte {start}")
            start += len(data)
            yield Markup(decode(data, final=start >= end))  # our own escaped markup


# A change costs about as much to list in the table and the panel as ten characters
# cost to compare (the unit of clausetrack.parallel.MIN_WORK): a 5 MB document's 29,000
# changes take 0.14 s.
_CHANGE_COST = 10


def _read(env: jinja2.Environment, name: str) -> str:
    """A static asset (CSS, JS) from the template search path, user's first."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


def party_css(parties: Iterable[PartyView]) -> str:
    """Per-party colour and line style. Values are sanitised in the view-model:
    ids are slugs, colours plain hex, line styles from a fixed list."""
    rules = [
        f'[data-party="{p.css_id}"] {{ --party-colour: {p.colour}; --party-line: {p.line_style}; }}'
        for p in parties
    ]
    return "\n".join(rules) + "\n"


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def assets(
    env: jinja2.Environment, parties: Sequence[PartyView], scripts: Sequence[str] = ()
) -> PageAssets:
    css = _read(env, "style.css") + party_css(parties) + _read(env, "custom.css")
    script = "".join(_read(env, name) for name in scripts)
    script_src = _hash(script) if script else "'none'"
    csp = (
        "default-src 'none'; "
        f"style-src {_hash(css)}; "
        f"script-src {script_src}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    # Our own files, never user data: safe to inline as they are.
    return PageAssets(Markup(css), Markup(script), csp, __version__)


def render_page(env: jinja2.Environment, template: str, page: PageAssets, **context: Any) -> str:
    return env.get_template(template).render(page=page, **context)


def stream_page(
    env: jinja2.Environment, template: str, page: PageAssets, **context: Any
) -> Iterator[str]:
    """The page of :func:`render_page`, piece by piece as the template prints it, so that
    it can be written without ever being one string."""
    return env.get_template(template).generate(page=page, **context)


def compare_page(comparison: Comparison, template_dir: Path | None = None) -> Iterator[str]:
    """The self-contained HTML redline of a comparison, in pieces as the template prints
    them (joined, they are :func:`compare_html`), so that a page of tens of megabytes can
    be written without ever being one string. The cyclic garbage collector is paused
    while the view-model is built and printed (:func:`clausetrack.memory.gc_paused`).
    On a long page with the default templates, the change table and panel are made and
    printed by a forked worker (:func:`clausetrack.parallel.ahead`) while this process
    prints the clauses: the same markup, sooner."""
    with gc_paused():
        env = environment(template_dir)
        view = compare_view(comparison)
        page = assets(env, view.parties, ("redline.js",))
        context: dict[str, Any] = {"view": view, "site": None, "sources_href": ""}
        cost = view.change_count * _CHANGE_COST
        with contextlib.ExitStack() as stack:
            # A long page's change list is made and printed by a worker (the same
            # markup) while this process prints the clauses before it.
            if env.globals["prerendered"] is not None and parallel.would_fork([cost, 0]):
                changes = _changes_ahead(stack, view, cost)
                if changes is not None:
                    context["prerendered"] = Prerendered(changes)
            yield from stream_page(env, "compare.html.jinja2", page, **context)


def _changes_ahead(
    stack: contextlib.ExitStack, view: CompareView, cost: int
) -> _ChangesAhead | None:
    """A worker printing ``view``'s change table and panel into a temporary file, both
    for the block of ``stack``; none when no temporary file can be made."""
    try:
        # closed (and so removed) when the caller's stack is
        scratch = stack.enter_context(tempfile.TemporaryFile(prefix="clausetrack-"))  # noqa: SIM115
    except OSError:
        return None
    work = functools.partial(_print_changes, view, scratch.fileno())
    return _ChangesAhead(scratch.fileno(), stack.enter_context(parallel.ahead(work, cost)))


def compare_html(comparison: Comparison, template_dir: Path | None = None) -> str:
    """The self-contained HTML redline of a comparison."""
    return "".join(compare_page(comparison, template_dir))
