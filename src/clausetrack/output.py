"""Atomic writes: a temporary file in the same folder, flushed, then renamed over.

A reader never sees half a file, and a failed run leaves the previous output
as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from clausetrack.errors import ClausetrackError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically; errors become :class:`ClausetrackError`."""
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
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise ClausetrackError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
