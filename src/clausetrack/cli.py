"""The command line: parse options, make one call into the library, map errors to exit codes.

Exit status follows diff(1): 0 no differences, 1 differences, 2 trouble.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from clausetrack import __version__
from clausetrack.errors import ClausetrackError, CorpusError

ProgressFn = Callable[[int, int], None]

CORPUS_HELP = (
    "Corpus folder (holding agreement.yaml, versions/ and clauses/). "
    "Default: $CLAUSETRACK_CORPUS, else the current folder if it holds a corpus, "
    "else the bundled U.S.–Ukraine minerals agreement."
)
corpus_option = click.option("--corpus", "corpus", metavar="DIR", help=CORPUS_HELP)
template_dir_option = click.option(
    "--template-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of templates searched before the packaged ones.",
)
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".md": "markdown",
    ".txt": "text",
}


def fail(error: ClausetrackError) -> NoReturn:
    """Report a user-facing error on stderr (problems first, then one ``Error:`` line); exit 2."""
    if isinstance(error, CorpusError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        n = len(error.problems)
        click.echo(f"Error: the corpus has {n} problem{'s' if n != 1 else ''}", err=True)
    else:
        click.echo(f"Error: {error}", err=True)
    sys.exit(2)


def pick_format(fmt: str | None, output: Path | None) -> str:
    """``--format`` if given; else by the output file's suffix; else text."""
    if fmt:
        return fmt
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), "html")
    return "text"


def use_color(no_color: bool, output: Path | None) -> bool:
    import os

    if no_color or output is not None or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clausetrack")
def cli() -> None:
    """Track the clauses of a negotiated document across its drafts.

    Word-level redlines between versions, every insertion and deletion
    attributed to the party and draft that made it, with each party's
    positions beside each clause.

    \b
    Examples:
      clausetrack list
      clausetrack compare us-initial signed
      clausetrack compare us-initial signed -o redline.html
      clausetrack compare draft signed --clause security-guarantees --format markdown
      clausetrack check --corpus path/to/corpus
    """


@cli.command()
@click.argument("old")
@click.argument("new")
@corpus_option
@click.option(
    "--clause",
    "clauses",
    multiple=True,
    metavar="ID",
    help="Only this clause (repeat for more).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "markdown", "json"]),
    help="Output format. Default: by the -o suffix (.html, .json, .md, .txt), else text.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
@click.option("--open", "open_", is_flag=True, help="Open the HTML redline in a browser.")
@click.option("--no-color", is_flag=True, help="No ANSI colours in text output (also $NO_COLOR).")
@click.option(
    "--material-only",
    is_flag=True,
    help="Only the clauses with key changes (amounts, duties, ...).",
)
@template_dir_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes that read the corpus, share the clauses and print a long page's "
    "change list. Default: one per core for long comparisons and corpora, else one "
    "($CLAUSETRACK_JOBS also sets it). The output is the same either way.",
)
def compare(
    old: str,
    new: str,
    corpus: str | None,
    clauses: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    open_: bool,
    no_color: bool,
    material_only: bool,
    template_dir: Path | None,
    jobs: int | None,
) -> None:
    """Redline version OLD against version NEW.

    Every inserted and deleted word is attributed to the party and version
    that made the change, tracing the drafts between OLD and NEW. Exit status:
    0 no differences, 1 differences, 2 trouble.

    \b
    Examples:
      clausetrack compare us-initial signed
      clausetrack compare us-initial signed -o redline.html --open
      clausetrack compare draft signed --format json -o changes.json
    """
    from clausetrack import api

    chosen = pick_format("html" if open_ and not fmt and not output else fmt, output)
    options: dict[str, Any] = {  # of api.redline and api.write_redline
        "corpus": corpus,
        "clauses": clauses,
        "fmt": chosen,
        "color": use_color(no_color, output),
        "material_only": material_only,
        "template_dir": template_dir,
        "jobs": jobs,
    }
    try:
        if output is None and not open_:
            comparison, text = api.redline(old, new, **options)
            click.echo(text, nl=False)
        else:
            target = output or _temporary_html()
            comparison = api.write_redline(old, new, target, **options)
            if open_:
                import webbrowser

                webbrowser.open(target.resolve().as_uri())
    except ClausetrackError as error:
        fail(error)
    if output is not None or open_:
        n = len(comparison.clauses)
        click.echo(f"Wrote {target} ({n} clause{'s' if n != 1 else ''}).", err=True)
    sys.exit(1 if comparison.has_changes else 0)


def _temporary_html() -> Path:
    """A file of our own to write the redline that ``--open`` shows."""
    import tempfile

    handle = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


@cli.command()
@corpus_option
def check(corpus: str | None) -> None:
    """Check a corpus: every problem as path:line:col: message.

    Exit status 0 when the corpus is clean, 2 otherwise.
    """
    from clausetrack import api

    root, problems = api.check(corpus)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        n = len(problems)
        click.echo(f"Error: {root}: {n} problem{'s' if n != 1 else ''}", err=True)
        sys.exit(2)
    click.echo(f"{root}: OK")


@cli.command()
@corpus_option
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/report"),
    show_default=True,
    help="Folder to write the site into; replaced atomically when the site is complete.",
)
@template_dir_option
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor keep the cache: the same site, made from scratch.",
)
def report(corpus: str | None, output: Path, template_dir: Path | None, no_cache: bool) -> None:
    """Write a static HTML site for the whole negotiation.

    An index with the timeline, the clause-by-version grid and the positions
    matrix; a redline for every pair of consecutive versions and for first to
    last; a history page per clause with word-level blame; and a sources page.
    The site opens from file:// with no network. Exit status 0 when written,
    2 on trouble (the previous site is then left as it was).

    Work is kept in .clausetrack-cache beside the output folder, so a run after
    an edit redoes only what the edit touched. The site is the same without it;
    delete the folder at any time. It is trimmed to four times what a run uses.

    \b
    Examples:
      clausetrack report
      clausetrack report -o site/ --template-dir my-templates/
    """
    from clausetrack import api

    # The cyclic collector stays off (see main): each page's objects left in cycles
    # are freed as soon as it is rendered (report._rendered).
    try:
        result = api.report(
            corpus, output, template_dir=template_dir, progress=_progress(), cache=not no_cache
        )
    except ClausetrackError as error:
        fail(error)
    click.echo(f"Wrote {result.pages} pages to {output}/ (open {output / 'index.html'}).", err=True)


class _Bar:
    """A click progress bar driven by ``(done, total)`` callbacks."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.pos = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Writing report", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.pos)
        self.pos = done
        if done >= total:
            self.bar.__exit__(None, None, None)


def _progress() -> ProgressFn | None:
    """A progress bar on a terminal, nothing otherwise."""
    return _Bar() if sys.stderr.isatty() else None


@cli.command("list")
@corpus_option
def list_(corpus: str | None) -> None:
    """List the corpus's parties, versions and clauses with their ids."""
    from clausetrack import api

    try:
        text = api.describe(api.open_corpus(corpus))
    except ClausetrackError as error:
        fail(error)
    click.echo(text, nl=False)


class Terminated(BaseException):
    """SIGTERM, raised where the process is so that cleanup (``finally``) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main() -> None:
    """The console script. Interruptions exit 130 (SIGINT) or 143 (SIGTERM), never 0 or 1,
    which would read as a finished comparison; partial output is never left behind."""
    import gc
    import signal

    # One command, then the process ends (_leave): the cyclic garbage collector is off
    # for the run (the report frees its pages' cycles itself). The stages pause it anyway
    # (memory.gc_paused), and between them it would walk the objects they made, by then
    # hundreds of thousands, a generation at a time (84 ms of a 1 MB comparison in 2,487
    # clauses), to find a few hundred objects in cycles. Reference counting still frees
    # everything else at once.
    gc.disable()
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = cli.main(prog_name="clausetrack", standalone_mode=False)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _leave(done.code or 0)
        raise
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("Error: interrupted; nothing was written", err=True)
        sys.exit(130)
    except Terminated:
        click.echo("Error: terminated; nothing was written", err=True)
        sys.exit(143)
    _leave(code if isinstance(code, int) else 0)


def _leave(code: int) -> NoReturn:
    """Exit with ``code`` once the command has finished, without freeing the heap.

    A long comparison leaves millions of objects, and an ordinary exit frees them one
    by one: 0.07 s after a 1 MB corpus, 0.15 s after 5 MB. Nothing is left for it to
    do: every output file is written, closed and renamed into place, and every worker
    process has been waited for. Only the buffered terminal output remains, so it is
    flushed first (a reader that has gone away, as with ``| head``, is ignored).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
