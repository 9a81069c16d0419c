"""The report's cache: work from earlier runs, found again by the hash of what it depends on.

``clausetrack report -o DIR`` keeps its cache in a ``.clausetrack-cache`` folder beside
``DIR`` (for ``-o build/report``: ``build/.clausetrack-cache``). It holds four kinds of
entries:

* ``diffs/``: per clause, the word diffs between its texts, keyed by the texts themselves;
* ``key-changes/``: per clause, the key-change detector's findings, keyed by its texts;
* ``redlines/``: per clause, its redline in every comparison of the site and its blame,
  keyed by its texts and every version (``clausetrack.report._RedlineMemo``);
* ``pages/``: every page of the site as written, keyed by everything the page is made of.

Every key is a SHA-256 over the tool's version, the source of every module of the
package, and the inputs of the entry (for a page also the template sources and the
template folder), so an entry can only ever be found by a run that would compute the
very same thing: a stale entry is never used. Each entry carries a checksum of its
content; an entry that is damaged, truncated or unreadable is ignored and computed
again. Entries are written atomically (a temporary file, then a rename), so concurrent
runs cannot see half an entry. The folder is safe to delete at any time; nothing in
it is needed, it only saves time. It is never cleaned automatically: delete it to
reclaim the space.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from clausetrack import __version__
from clausetrack.model import Op, OpKind

__all__ = ["CACHE_DIR", "Cache", "code_key", "digest", "source_key", "template_key"]

CACHE_DIR = ".clausetrack-cache"
"""The cache folder's name; it sits beside the report's output folder."""

_KINDS: tuple[OpKind, ...] = ("equal", "insert", "delete")


def digest(*parts: str) -> str:
    """SHA-256 of ``parts``, each prefixed by its length, so no two lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(f"{len(data)}:".encode("ascii"))
        h.update(data)
    return h.hexdigest()


# The key-change detector counts only when it runs (see ``source_key``).
_OPTIONAL = frozenset({"keychanges.py"})


@cache
def code_key() -> str:
    """The tool's version and the source of every module of the package (but the optional
    key-change detector): any change to the code that computes or prints the report gives
    every entry a new key."""
    package = Path(__file__).resolve().parent
    parts = [__version__]
    for path in sorted(package.glob("*.py")):
        if path.name not in _OPTIONAL:
            parts += [path.name, path.read_text(encoding="utf-8")]
    return digest(*parts)


def source_key(module: str) -> str:
    """The source of an imported module (the key-change detector, when it runs)."""
    import sys

    spec = getattr(sys.modules.get(module), "__file__", None)
    if not spec:
        return f"{module}: no source"
    return digest(module, Path(spec).read_text(encoding="utf-8"))


def template_key(folders: Iterable[Path]) -> str:
    """The name and source of every file in the template search path, in order."""
    parts: list[str] = []
    for folder in folders:
        parts.append(str(folder))
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts += [str(path.relative_to(folder)), path.read_bytes().hex()]
    return digest(*parts)


class Cache:
    """Entries under ``root`` (``None``: a cache that holds nothing and keeps nothing)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, kind: str, key: str) -> Path | None:
        return self.root / kind / key[:2] / key if self.root is not None else None

    def has(self, kind: str, key: str) -> bool:
        """Whether the entry is there; only reading it (``get``) says it is whole."""
        path = self._path(kind, key)
        return path is not None and path.is_file()

    def get(self, kind: str, key: str) -> str | None:
        """The entry's content, or ``None`` when it is missing or damaged."""
        body = self.get_bytes(kind, key)
        return None if body is None else body.decode("utf-8")

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        """The entry's content as UTF-8, or ``None`` when it is missing or damaged (its
        checksum does not match, or it is not UTF-8)."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        check, sep, body = raw.partition(b"\n")
        if not sep or hashlib.sha256(body).hexdigest().encode("ascii") != check:
            return None
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return body

    def put(self, kind: str, key: str, content: str) -> None:
        """Store an entry; a cache that cannot be written to only means no caching."""
        path = self._path(kind, key)
        if path is None:
            return
        body = content.encode("utf-8")
        check = hashlib.sha256(body).hexdigest().encode("ascii")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(check + b"\n" + body)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass

    # --- word diffs -------------------------------------------------------------------

    def get_diffs(self, key: str, texts: Sequence[str]) -> dict[tuple[str, str], tuple[Op, ...]]:
        """The diffs stored under ``key`` between ``texts``; none when anything is off."""
        raw = self.get("diffs", key)
        if raw is None:
            return {}
        try:
            entries = json.loads(raw)
            out: dict[tuple[str, str], tuple[Op, ...]] = {}
            for i, j, runs in entries:
                a, b = texts[i], texts[j]
                ops = _ops(a, b, runs)
                if ops is None:
                    return {}
                out[a, b] = ops
            return out
        except (ValueError, TypeError, IndexError):
            return {}

    def put_diffs(
        self, key: str, texts: Sequence[str], diffs: dict[tuple[str, str], tuple[Op, ...]]
    ) -> None:
        index = {t: n for n, t in enumerate(texts)}
        entries = [
            [index[a], index[b], [[_KINDS.index(op.kind), len(op.text)] for op in ops]]
            for (a, b), ops in diffs.items()
        ]
        self.put("diffs", key, json.dumps(entries, separators=(",", ":")))


def _ops(a: str, b: str, runs: list[list[int]]) -> tuple[Op, ...] | None:
    """Ops rebuilt from ``[kind, length]`` runs, or ``None`` unless they spell ``a`` and ``b``."""
    ops: list[Op] = []
    i = j = 0
    for kind_index, n in runs:
        kind = _KINDS[kind_index]
        if not isinstance(n, int) or n <= 0:
            return None
        if kind == "insert":
            ops.append(Op(kind, b[j : j + n]))
            j += n
        elif kind == "delete":
            ops.append(Op(kind, a[i : i + n]))
            i += n
        else:
            if a[i : i + n] != b[j : j + n]:
                return None
            ops.append(Op(kind, a[i : i + n]))
            i += n
            j += n
        if len(ops[-1].text) != n:
            return None
    if i != len(a) or j != len(b):
        return None
    return tuple(ops)
