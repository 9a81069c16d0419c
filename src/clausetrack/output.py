"""Atomic writes: a temporary file in the same folder, flushed, then renamed over.

A reader never sees half a file, and a failed run leaves the previous output
as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from clausetrack.errors import ClausetrackError

# Pieces of a streamed text are gathered up to about this many characters before they
# are encoded and written: few system calls, and memory bounded by this, not the text.
_BLOCK = 1 << 20


class _PieceError(Exception):
    """An error raised while producing the pieces, carried past the handler that turns
    the write's own ``OSError`` into "cannot write": a template that cannot be read is
    not an unwritable output file."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _blocks(pieces: Iterable[str]) -> Iterator[bytes]:
    """The pieces encoded, about ``_BLOCK`` characters at a time."""
    block: list[str] = []
    size = 0
    try:
        for piece in pieces:
            block.append(piece)
            size += len(piece)
            if size >= _BLOCK:
                yield "".join(block).encode("utf-8")
                block.clear()
                size = 0
    except OSError as exc:
        raise _PieceError(exc) from exc
    yield "".join(block).encode("utf-8")


def write_atomic(path: Path, data: str | bytes | Iterable[str]) -> None:
    """Write ``data`` to ``path`` atomically; errors become :class:`ClausetrackError`.

    ``data`` may be an iterable of ``str`` pieces (a page as it is rendered): they are
    written as they come, and an error while producing them (raised as it is) leaves
    the previous file untouched, like any other failure."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ClausetrackError(
            f"cannot write {path}: it is a folder", "name a file, e.g. redline.html"
        )
    if not folder.is_dir():
        raise ClausetrackError(
            f"cannot write {path}: the folder {folder} does not exist", "create it first"
        )
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            if isinstance(payload, bytes):
                handle.write(payload)
            else:
                for block in _blocks(payload):
                    handle.write(block)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise ClausetrackError(f"cannot write {path}: {exc.strerror or exc}") from None
    except _PieceError as exc:
        raise exc.error from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
