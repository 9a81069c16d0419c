"""HTML rendering: Jinja2 templates over the view-model, self-contained pages.

The template search path puts the user's ``--template-dir`` first and the
packaged ``default/`` templates last, so a user can override any template or
block. Autoescape is always on. Our own stylesheet and script are inlined and
pinned by hash in the page's Content-Security-Policy, so that even a missed
escape cannot run script.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from clausetrack import __version__
from clausetrack.model import Comparison
from clausetrack.resources import templates_dir
from clausetrack.view import PartyView, compare_view


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
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_TemplateCache(str(cache_dir)) if cache_dir else None,
    )


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


def compare_html(comparison: Comparison, template_dir: Path | None = None) -> str:
    """The self-contained HTML redline of a comparison."""
    env = environment(template_dir)
    view = compare_view(comparison)
    page = assets(env, view.parties, ("redline.js",))
    return render_page(env, "compare.html.jinja2", page, view=view, site=None, sources_href="")
