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
it is needed, it only saves time.

After a report the cache is trimmed (:meth:`Cache.prune`, at most once in ten
minutes: listing it is not free): it keeps what the run used and, of the rest, the
most recently used entries, up to four times what the run used (at least 64 MiB). So
a report rebuilt after each of many edits does not fill the disk with pages of drafts
long gone, and two reports written beside each other still share it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

from clausetrack import __version__
from clausetrack.model import Op, OpKind, Span

__all__ = [
    "CACHE_DIR",
    "KINDS",
    "Cache",
    "code_key",
    "digest",
    "source_key",
    "spans_from_runs",
    "template_key",
]

CACHE_DIR = ".clausetrack-cache"
"""The cache folder's name; it sits beside the report's output folder."""

KEEP_FACTOR = 4
""":meth:`Cache.prune` keeps up to this many times what a run used..."""
KEEP_AT_LEAST = 64 * 2**20
"""... and never trims the cache below this many bytes..."""
TRIM_EVERY = 600
"""... nor more often than once in this many seconds."""

# An entry's file name: the hex SHA-256 of its key parts (only such files are trimmed).
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}")
# A temporary file older than this (seconds) was left by a run that died: trimmed too.
_STALE_TEMP = 3600
# The file whose time says when the cache was last trimmed.
_TRIMMED = ".trimmed"

KINDS: tuple[OpKind, ...] = ("equal", "insert", "delete")
"""The kinds of a diff or a redline, by their index in a cache entry."""


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
        self.used: dict[Path, int] = {}  # the entries this run read or wrote: their sizes
        self.read: list[Path] = []  # the entries this run read (those written are new)

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
        self.used[path] = len(raw)
        self.read.append(path)
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
                self.used[path] = len(check) + 1 + len(body)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass

    def prune(
        self, factor: int | None = None, floor: int | None = None, every: float | None = None
    ) -> int:
        """Trim the cache to ``factor`` times what this run used (at least ``floor``
        bytes), least recently used first, unless it was trimmed less than ``every``
        seconds ago (by default :data:`KEEP_FACTOR`, :data:`KEEP_AT_LEAST` and
        :data:`TRIM_EVERY`); return the bytes removed.

        Every entry this run read or wrote is kept and marked as used now; only files
        named as entries are removed (and temporary files an interrupted run left an
        hour ago or more), and nothing is followed through a symbolic link. Whatever
        cannot be read or removed is left as it is: trimming only ever saves space.
        """
        if self.root is None:
            return 0
        now = time.time()
        for path in self.read:  # the entries written are new already
            with contextlib.suppress(OSError):
                os.utime(path, (now, now), follow_symlinks=False)
        every = TRIM_EVERY if every is None else every
        stamp = self.root / _TRIMMED
        try:
            if now - stamp.lstat().st_mtime < every:
                return 0
        except OSError:
            pass  # never trimmed, or cannot tell: trim
        with contextlib.suppress(OSError):
            stamp.unlink(missing_ok=True)
            stamp.touch()
        entries: list[tuple[float, str, int]] = []  # (last used, path, size)
        for path, info in _files(self.root):
            if _ENTRY_NAME.fullmatch(path.name):
                entries.append((info.st_mtime, str(path), info.st_size))
            elif path.name.endswith(".tmp") and now - info.st_mtime > _STALE_TEMP:
                with contextlib.suppress(OSError):
                    path.unlink()
        total = sum(size for _, _, size in entries)
        factor = KEEP_FACTOR if factor is None else factor
        floor = KEEP_AT_LEAST if floor is None else floor
        limit = max(floor, factor * sum(self.used.values()))
        removed = 0
        kept = {str(p) for p in self.used}
        for _, name, size in sorted(entries):
            if total - removed <= limit:
                break
            if name in kept:
                continue
            with contextlib.suppress(OSError):
                os.unlink(name)
                removed += size
        return removed

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
            [index[a], index[b], [[KINDS.index(op.kind), len(op.text)] for op in ops]]
            for (a, b), ops in diffs.items()
        ]
        self.put("diffs", key, json.dumps(entries, separators=(",", ":")))


def _files(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """The files two levels of folders under ``root`` (``kind/xx/file``), with their
    status; no symbolic link is followed, and a folder that cannot be read is skipped."""
    for kind in _dirs(root):
        for shard in _dirs(kind):
            try:
                with os.scandir(shard) as found:
                    for entry in found:
                        if entry.is_file(follow_symlinks=False):
                            with contextlib.suppress(OSError):
                                yield Path(entry.path), entry.stat(follow_symlinks=False)
            except OSError:
                continue


def _dirs(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as found:
            return sorted(Path(e.path) for e in found if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _ops(a: str, b: str, runs: list[list[int]]) -> tuple[Op, ...] | None:
    """Ops rebuilt from ``[kind, length]`` runs, or ``None`` unless they spell ``a`` and ``b``."""
    spans = spans_from_runs(a, b, [[*run, None, None] for run in runs])
    return None if spans is None else tuple(Op(s.kind, s.text) for s in spans)


def spans_from_runs(
    old: str, new: str, runs: Sequence[Sequence[object]]
) -> tuple[Span, ...] | None:
    """Spans rebuilt from ``[kind, length, version, party]`` runs (kind: an index into
    :data:`KINDS`), or ``None`` unless they spell ``old`` and ``new`` exactly. Every warm
    redline of the report goes through this loop: it is kept plain."""
    spans: list[Span] = []
    i = j = 0
    for kind_index, n, version, party in runs:
        if type(n) is not int or n <= 0 or type(kind_index) is not int:
            return None
        if not (version is None or type(version) is str) or not (
            party is None or type(party) is str
        ):
            return None
        if kind_index == 0:
            text = new[j : j + n]
            if old[i : i + n] != text:
                return None
            i += n
            j += n
        elif kind_index == 1:
            text = new[j : j + n]
            j += n
        elif kind_index == 2:
            text = old[i : i + n]
            i += n
        else:
            return None
        if len(text) != n:
            return None
        spans.append(Span(KINDS[kind_index], text, version, party))
    return tuple(spans) if i == len(old) and j == len(new) else None
