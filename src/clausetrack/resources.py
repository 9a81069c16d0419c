"""Where the packaged templates and the bundled corpus live, installed or editable."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# In an editable install (or a source checkout) the data sits at the repo top level.
_REPO = _HERE.parent.parent

CORPUS_ENV = "CLAUSETRACK_CORPUS"
MANIFEST = "agreement.yaml"


def templates_dir() -> Path:
    """The packaged templates: inside the wheel, else the repo's ``templates/``."""
    packaged = _HERE / "templates"
    if packaged.is_dir():
        return packaged
    return _REPO / "templates"


def bundled_corpus() -> Path:
    """The bundled U.S.–Ukraine minerals agreement corpus."""
    packaged = _HERE / "corpus"
    if (packaged / MANIFEST).is_file():
        return packaged
    return _REPO


def find_corpus(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path:
    """Pick the corpus: ``explicit``, else ``$CLAUSETRACK_CORPUS``, else the current
    directory when it holds a corpus, else the bundled one."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CORPUS_ENV)
    if env:
        return Path(env)
    here = cwd if cwd is not None else Path.cwd()
    if (here / MANIFEST).is_file():
        return here
    return bundled_corpus()
