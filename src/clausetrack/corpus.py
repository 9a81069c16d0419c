"""The corpus reader: the only module that opens corpus files.

:func:`load_corpus` reads ``agreement.yaml``, ``versions/*.yaml`` and
``clauses/*.yaml`` under a corpus folder, checks them against the format in
``docs/corpus-format.md`` and returns a :class:`~clausetrack.model.Corpus`.
Every problem found, in any file, is collected into one :class:`CorpusError`;
:func:`check_corpus` returns the same list without raising.

The files are untrusted. They are composed with YAML's safe loader into a
node tree, which is measured (alias expansion, nesting) and checked (tags,
duplicate keys) before any value is built, so each value keeps its line and
column for the messages.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from clausetrack import parallel
from clausetrack.errors import CorpusError, Problem
from clausetrack.memory import gc_paused
from clausetrack.model import (
    ROLES,
    STANCES,
    STATUSES,
    Agreement,
    Clause,
    ClauseText,
    Corpus,
    Event,
    Loc,
    Party,
    Position,
    Role,
    Source,
    Stance,
    Status,
    Version,
)

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


_RESOLVED: dict[tuple[object, str | None, tuple[bool, bool]], str] = {}
_RESOLVE_MAX_LEN = 64  # longer scalars (clause texts) are resolved afresh, never kept
_RESOLVE_MAX_ENTRIES = 4096


class _Loader(_SafeLoader):
    """The safe loader, resolving tags with less work per scalar: corpus files hold
    hundreds of thousands of scalars, and most (ids, titles, texts) start with a character
    that no implicit resolver claims, so they are plain strings without trying a pattern.
    Short scalars that do need the patterns (numbers, dates, booleans) are remembered:
    the safe loader has no path resolvers, so a tag depends on the node's kind, value and
    implicitness only. The result is the tag the safe loader gives, always."""

    def resolve(self, kind: object, value: str | None, implicit: tuple[bool, bool]) -> str:
        if self.yaml_path_resolvers:
            return cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        if kind is ScalarNode and value is not None:
            resolvers = self.yaml_implicit_resolvers
            if not implicit[0] or (value[:1] not in resolvers and None not in resolvers):
                return self.DEFAULT_SCALAR_TAG
            return self._patterns(kind, value, implicit)
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        if kind is MappingNode:
            return self.DEFAULT_MAPPING_TAG
        return cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def _patterns(self, kind: object, value: str, implicit: tuple[bool, bool]) -> str:
        """The safe loader's own resolution, remembered for short values."""
        if len(value) > _RESOLVE_MAX_LEN:
            return cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
            if len(_RESOLVED) < _RESOLVE_MAX_ENTRIES:
                _RESOLVED[key] = tag
        return tag


__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_CHARS",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "check_corpus",
    "load_corpus",
]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest corpus file read (a whole 5 MB document may sit in one clause)."""
MAX_NODES = 100_000
"""Most values (scalars, lists, mappings) one file may hold once aliases are expanded."""
MAX_EXPANDED_CHARS = 64 * 1024 * 1024
"""Most characters of text one file may hold once aliases are expanded."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings (a clause file needs 5 levels)."""
MAX_IDS_IN_HINT = 20

MANIFEST = "agreement.yaml"
VERSIONS = "versions"
CLAUSES = "clauses"
CORPUS_HINT = (
    "a corpus folder holds agreement.yaml, versions/ and clauses/; "
    "point clausetrack at one with --corpus DIR or $CLAUSETRACK_CORPUS"
)

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_DATE = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?")
# Characters YAML refuses (C0/C1 controls other than tab, newlines and NEL, and U+FFFE/U+FFFF).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

_CORE = "tag:yaml.org,2002:"
_STR, _NULL, _SEQ, _MAP = _CORE + "str", _CORE + "null", _CORE + "seq", _CORE + "map"
_SCALAR_KINDS = {
    _STR: "a string",
    _NULL: "an empty value",
    _CORE + "int": "an integer",
    _CORE + "float": "a number",
    _CORE + "bool": "a boolean",
    _CORE + "timestamp": "a date",
}


def _keys(required: str, optional: str = "") -> dict[str, bool]:
    """A mapping's keys, each ``True`` when required, in the order the messages list them."""
    return {key: True for key in required.split()} | {key: False for key in optional.split()}


_AGREEMENT_KEYS = _keys("title summary parties sources", "events")
_PARTY_KEYS = _keys("id name short color role")
_SOURCE_KEYS = _keys("id title url date", "publisher")
_EVENT_KEYS = _keys("date title", "description parties sources")
_VERSION_KEYS = _keys("id title date proposed_by based_on status clauses", "summary sources")
_CLAUSE_KEYS = _keys("id title topic text", "sources positions")
_TEXT_KEYS = _keys("text", "proposed_by note sources")
_POSITION_KEYS = _keys("party versions stance", "statement speaker date sources")

T = TypeVar("T")
_Item = TypeVar("_Item", Version, Clause)


# --- public API ----------------------------------------------------------------


def load_corpus(root: Path) -> Corpus:
    """Read and check the corpus under ``root``; raise :class:`CorpusError` listing
    every problem when there is any."""
    corpus, problems = _load(Path(root))
    if problems or corpus is None:
        raise CorpusError(problems)
    return corpus


def check_corpus(root: Path) -> list[Problem]:
    """Every problem with the corpus under ``root``, in file and line order; empty when clean."""
    return _load(Path(root))[1]


# --- collecting problems -----------------------------------------------------------


@dataclass
class _File:
    """One corpus file being read: its path as shown to the user, and the shared problem list."""

    path: str
    problems: list[Problem]

    def loc(self, node: Node) -> Loc:
        mark = node.start_mark
        return Loc(self.path, mark.line + 1, mark.column + 1)

    def where(self, node: Node) -> _Where:
        """:meth:`loc` as a plain tuple: cheap to keep for every reference, and made a
        :class:`Loc` only when a problem is reported there."""
        mark = node.start_mark
        return self.path, mark.line + 1, mark.column + 1

    def report(self, where: Node | Loc, message: str, hint: str = "") -> None:
        loc = where if isinstance(where, Loc) else self.loc(where)
        self.problems.append(Problem(loc, message, hint))


_KINDS = ("party", "source", "version", "clause")

_Where = tuple[str, int, int]
"""A :class:`Loc`'s path, line and column, kept unbuilt until a problem needs it."""


@dataclass
class _Index:
    """What the files define and refer to, for the checks across files."""

    defined: dict[str, dict[str, _Where]] = field(default_factory=lambda: {k: {} for k in _KINDS})
    refs: list[tuple[str, str, _Where]] = field(default_factory=list)
    listed: dict[tuple[str, str], _Where] = field(default_factory=dict)  # (version, clause)
    texted: dict[tuple[str, str], _Where] = field(default_factory=dict)  # (version, clause)
    lists_known: set[str] = field(default_factory=set)  # versions whose clause list was read
    texts_known: set[str] = field(default_factory=set)  # clauses whose text mapping was read
    parents: dict[str, tuple[str, Loc]] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)  # kinds whose every id is known


def _load(root: Path) -> tuple[Corpus | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        with gc_paused():  # reading makes no cycles
            corpus = _read_corpus(root, problems)
    except OSError as exc:
        problems.append(Problem(Loc(str(root)), f"cannot read the corpus folder: {_reason(exc)}"))
        corpus = None
    except Exception as exc:  # no traceback may escape for any input
        problems.append(_internal(Loc(str(root)), exc))
        corpus = None
    problems.sort(key=lambda p: (p.loc.path, p.loc.line, p.loc.col))
    return (None if problems else corpus), problems


def _internal(loc: Loc, exc: Exception) -> Problem:
    return Problem(
        loc,
        f"could not be read: {type(exc).__name__}: {exc}",
        "this is a bug in clausetrack; please report it with the file",
    )


# --- the corpus folder -------------------------------------------------------------


def _read_corpus(root: Path, problems: list[Problem]) -> Corpus | None:
    if not _is_corpus(root, problems):
        return None
    index = _Index()
    version_files = _list_folder(root, VERSIONS, problems)
    clause_files = _list_folder(root, CLAUSES, problems)
    for kind, files in (("version", version_files), ("clause", clause_files)):
        if files is not None:
            index.complete.add(kind)
        for path in files or []:
            index.defined[kind][path.stem] = (str(path), 0, 0)
    # The clause files are read by workers from now on (a long corpus's), while this
    # process reads the manifest and the versions.
    clause_results = _clause_results(clause_files or [])
    with contextlib.closing(clause_results):
        agreement = _guarded(
            root / MANIFEST, problems, lambda f, n, _: _read_agreement(f, n, index)
        )
        versions = _read_all(
            version_files or [], problems, lambda f, n, s: _read_version(f, n, index, s)
        )
        clauses = _read_clauses(clause_results, problems, index)
    _check_across(index, problems)
    if problems or agreement is None:
        return None
    return Corpus(root, agreement, _by_id(versions), _by_id(clauses))


# From this many clause files on, they are read by several processes at once.
PARALLEL_FILES = 500

_ClauseFile = tuple[
    Clause | None,
    list[Problem],
    list[tuple[str, str, _Where]],
    dict[tuple[str, str], _Where],
    set[str],
]


def _clause_results(paths: list[Path]) -> Generator[_ClauseFile, None, None]:
    """Every clause file read (:func:`_read_clause_file`), in order. Reading a clause file
    only adds to a fresh index (the references it makes, the texts it has) and never reads
    it, so a long corpus's files are shared among processes, which start at once
    (:func:`clausetrack.parallel.map_ordered`)."""
    return parallel.map_ordered(_read_clause_file, paths, [1] * len(paths), min_work=PARALLEL_FILES)


def _read_clauses(
    results: Iterable[_ClauseFile], problems: list[Problem], index: _Index
) -> list[Clause]:
    """The clauses of :func:`_clause_results`, with what each file added to the index and
    the problems added in the files' order: the same clauses, problems and index as one
    process reading them all."""
    clauses: list[Clause] = []
    for clause, troubles, refs, texted, texts_known in results:
        if clause is not None:
            clauses.append(clause)
        problems += troubles
        index.refs += refs
        index.texted.update(texted)
        index.texts_known.update(texts_known)
    return clauses


def _read_clause_file(path: Path) -> _ClauseFile:
    """One clause file read on its own, with what it added to a fresh index."""
    problems: list[Problem] = []
    index = _Index()
    clause = _guarded(path, problems, lambda f, n, s: _read_clause(f, n, index, s))
    return clause, problems, index.refs, index.texted, index.texts_known


def _is_corpus(root: Path, problems: list[Problem]) -> bool:
    if not root.is_dir():
        what = "not a clausetrack corpus: a file" if root.exists() else "no such folder"
        problems.append(Problem(Loc(str(root)), what, CORPUS_HINT))
        return False
    missing = [
        name for name in (MANIFEST, VERSIONS + "/", CLAUSES + "/") if not _exists(root, name)
    ]
    if missing:
        names = " and ".join([", ".join(missing[:-1]), missing[-1]] if missing[1:] else missing)
        verb = "are" if missing[1:] else "is"
        message = f"not a clausetrack corpus: {names} {verb} missing"
        problems.append(Problem(Loc(str(root)), message, CORPUS_HINT))
    return not missing


def _exists(root: Path, name: str) -> bool:
    return os.path.lexists(root / name)


def _list_folder(root: Path, name: str, problems: list[Problem]) -> list[Path] | None:
    """The ``<id>.yaml`` files of a folder, sorted, or None when it cannot be listed;
    anything else in the folder is a problem."""
    folder = root / name
    if not folder.is_dir():
        problems.append(Problem(Loc(str(folder)), f"{name} must be a folder, found a file"))
        return None
    try:
        names = sorted(entry for entry in os.listdir(folder) if not entry.startswith("."))
    except OSError as exc:
        problems.append(Problem(Loc(str(folder)), f"cannot list this folder: {_reason(exc)}"))
        return None
    paths = []
    for entry in names:
        path = folder / entry
        # Not starting with ".", the name ends in ".yaml" exactly when that is its suffix.
        if entry.endswith(".yaml"):
            paths.append(path)
        else:
            _check_entry(path, name, problems)
    return paths


def _check_entry(path: Path, folder: str, problems: list[Problem]) -> None:
    if path.suffix == ".yaml":
        return
    loc = Loc(str(path))
    if path.is_dir():
        hint = f"only <id>.yaml files belong in {folder}/; move it elsewhere"
        problems.append(Problem(loc, f"unexpected folder in {folder}/", hint))
    elif path.suffix.lower() in (".yml", ".yaml"):
        hint = f"rename it to {path.stem}.yaml"
        problems.append(Problem(loc, f"file name ends in '{path.suffix}', not '.yaml'", hint))
    else:
        hint = f"only <id>.yaml files belong in {folder}/; move it elsewhere"
        problems.append(Problem(loc, "not a .yaml file, so it would be skipped", hint))


def _read_all(
    paths: Iterable[Path],
    problems: list[Problem],
    read: Callable[[_File, Node, str], T | None],
) -> list[T]:
    found = (_guarded(path, problems, read) for path in paths)
    return [item for item in found if item is not None]


def _guarded(
    path: Path, problems: list[Problem], read: Callable[[_File, Node, str], T | None]
) -> T | None:
    """Read one file; whatever goes wrong becomes a problem, never a traceback."""
    f = _File(str(path), problems)
    try:
        node = _load_yaml(f, path)
        return None if node is None else read(f, node, path.stem)
    except Exception as exc:
        problems.append(_internal(Loc(f.path), exc))
        return None


def _by_id(items: Iterable[_Item]) -> dict[str, _Item]:
    return {item.id: item for item in sorted(items, key=lambda item: item.id)}


# --- bytes -> text -> YAML nodes ---------------------------------------------------


def _load_yaml(f: _File, path: Path) -> Node | None:
    data = _read_bytes(f, path)
    text = None if data is None else _decode(f, data)
    node = None if text is None else _compose(f, text)
    if node is None or not _check_tree(f, node):
        return None
    return node


def _read_bytes(f: _File, path: Path) -> bytes | None:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            f.report(Loc(f.path), "is a folder, expected a file")
            return None
        if not stat.S_ISREG(info.st_mode):
            f.report(Loc(f.path), "is not a regular file")
            return None
        too_big = info.st_size > MAX_FILE_BYTES
        data = b"" if too_big else _read_at_most(path, MAX_FILE_BYTES + 1, info.st_size)
    except OSError as exc:
        f.report(Loc(f.path), f"cannot read this file: {_reason(exc)}")
        return None
    size = max(info.st_size, len(data))
    if size > MAX_FILE_BYTES:
        message = f"file is too large: {size} bytes, the limit is 16 MiB"
        f.report(Loc(f.path), message, "split very long texts across several clauses")
        return None
    return data


_READ_MORE = 64 * 1024


def _read_at_most(path: Path, limit: int, expected: int) -> bytes:
    """The file's first ``limit`` bytes, ``expected`` being its size when it was stat'ed.

    Unbuffered reads of the expected size (and a byte more, to notice a file that grew),
    then small ones until the end: asking for ``limit`` bytes at once would allocate a
    buffer of 16 MiB for each small file.
    """
    chunks: list[bytes] = []
    size = 0
    with path.open("rb", buffering=0) as stream:
        want = min(expected + 1, limit)
        while size < limit:
            chunk = stream.read(min(want, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = _READ_MORE
    return b"".join(chunks)


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _decode(f: _File, data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        f.report(Loc(f.path, 1, 1), "file starts with a byte-order mark", "save it without BOM")
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        message = f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        f.report(Loc(f.path, line, col), message, "save the file as UTF-8")
        return None
    return text if _surely_printable(data) or _printable(f, text) else None


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _text_position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


# In valid UTF-8, every character _NON_PRINTABLE refuses has a telltale byte: the C0
# controls and DEL are those bytes themselves, U+0080-U+009F start with 0xC2, U+FFFE and
# U+FFFF with 0xEF (surrogates never decode). Byte 0xC2 or 0xEF only ever starts a character.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_INNOCENT_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES + b"\xc2\xef")
_C1_OR_NONCHARACTER = re.compile(rb"\xc2[\x80-\x84\x86-\x9f]|\xef\xbf[\xbe\xbf]")


def _surely_printable(data: bytes) -> bool:
    """Whether the valid UTF-8 ``data`` holds no character that :data:`_NON_PRINTABLE`
    refuses, found with byte scans at a fraction of the cost of that pattern's; False only
    means :func:`_printable` must look (and report)."""
    telltales = data.translate(None, _INNOCENT_BYTES)
    if not telltales:
        return True
    if telltales.translate(None, b"\xc2\xef"):
        return False
    return _C1_OR_NONCHARACTER.search(data) is None


def _printable(f: _File, text: str) -> bool:
    bad = _NON_PRINTABLE.search(text)
    if bad is None:
        return True
    line, col = _text_position(text, bad.start())
    char = bad.group()
    if char == "\0":
        hint = "this looks like a binary file, or text saved as UTF-16; save it as UTF-8"
        f.report(Loc(f.path, line, col), "file contains a NUL byte", hint)
    else:
        message = f"file contains the control character U+{ord(char):04X}, which YAML forbids"
        f.report(Loc(f.path, line, col), message, "delete it")
    return False


def _compose(f: _File, text: str) -> Node | None:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        _yaml_error(f, text, exc)
        return None
    except yaml.YAMLError as exc:
        f.report(Loc(f.path), f"YAML syntax error: {exc}")
        return None
    except RecursionError:
        f.report(Loc(f.path), f"values are nested more than {MAX_DEPTH} levels deep")
        return None
    if node is None:
        f.report(Loc(f.path), "file is empty")
    return node


_SYNTAX_HINTS = {
    "mapping values": "put text that contains ': ' in quotes",
    "undefined alias": "define the anchor (&name) before using the alias (*name)",
    "another document": "a corpus file holds one document: remove the extra '---'",
}


def _yaml_error(f: _File, text: str, exc: yaml.MarkedYAMLError) -> None:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        f.report(Loc(f.path), f"YAML syntax error: {exc.problem or exc}")
        return
    lines = text.split("\n")
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    if "\t" in indent:
        loc = Loc(f.path, mark.line + 1, indent.index("\t") + 1)
        f.report(loc, "tab character used for indentation", "indent with spaces, never tabs")
        return
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and problem.startswith("but "):
        problem = f"{exc.context}, {problem}"
    hint = next((h for key, h in _SYNTAX_HINTS.items() if key in problem), "")
    if not hint and exc.context and exc.context_mark and exc.context_mark is not mark:
        where = exc.context_mark
        hint = f"{exc.context} at line {where.line + 1}, column {where.column + 1}"
    f.report(Loc(f.path, mark.line + 1, mark.column + 1), f"YAML syntax error: {problem}", hint)


# --- the node tree: limits, tags, keys ---------------------------------------------


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


@dataclass
class _Measure:
    """Sizes of every distinct node once aliases are expanded: values, characters, depth."""

    nodes: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    order: list[Node] = field(default_factory=list)
    cycle: Node | None = None

    def of(self, node: Node) -> tuple[int, int, int]:
        return self.nodes[id(node)]


def _measure(root: Node) -> _Measure:
    """Walk the node graph without recursion, each shared (aliased) node once."""
    m = _Measure()
    nodes = m.nodes
    order = m.order
    on_path: set[int] = set()
    # (node, its children once entered; None when not entered yet)
    stack: list[tuple[Node, list[Node] | None]] = [(root, None)]
    while stack:
        node, kids = stack.pop()
        key = id(node)
        if kids is not None:
            on_path.discard(key)
            nodes[key] = _sizes(kids, nodes)
        elif key in on_path:
            m.cycle = node
            return m
        elif key in nodes:
            continue
        elif isinstance(node, ScalarNode):
            order.append(node)
            nodes[key] = (1, len(node.value), 1)
        else:
            on_path.add(key)
            order.append(node)
            kids = _children(node)
            stack.append((node, kids))
            stack.extend([(child, None) for child in reversed(kids)])
    return m


def _sizes(kids: list[Node], nodes: dict[int, tuple[int, int, int]]) -> tuple[int, int, int]:
    """A list's or mapping's sizes from its children's: values, characters, depth."""
    count, chars, depth = 1, 0, 0
    for kid in kids:
        kid_count, kid_chars, kid_depth = nodes[id(kid)]
        count += kid_count
        chars += kid_chars
        depth = max(depth, kid_depth)
    return count, chars, depth + 1


def _check_tree(f: _File, root: Node) -> bool:
    """Refuse alias bombs, deep nesting and unknown tags; report duplicate keys."""
    if _plain_tree(root):
        return True
    m = _measure(root)
    if m.cycle is not None:
        f.report(m.cycle, "an alias refers to the value that contains it", "remove the alias")
        return False
    if not _within_limits(f, root, m):
        return False
    tags_ok = all([_check_tag(f, node) for node in m.order])
    for node in m.order:
        if isinstance(node, MappingNode):
            _check_keys(f, node)
    return tags_ok


_ALLOWED_SCALAR_TAGS = frozenset(_SCALAR_KINDS)


def _plain_tree(root: Node) -> bool:
    """Whether the node graph is a tree (no aliases) within every limit, with allowed tags
    only and plain, distinct keys: then :func:`_check_tree` has nothing to report.

    Nearly every corpus file is such a tree, and this one walk, level by level, costs a
    fraction of measuring each node. Any doubt (a node met twice, a limit passed, a tag or
    key to report, a node of another class) answers False, and the full checks run and say
    what is wrong. A level holding a node met before is never expanded, so an alias bomb
    costs no more here than the nodes it is written with.
    """
    seen: set[int] = set()
    count = chars = depth = 0
    level: list[Node] = [root]
    while level:
        depth += 1
        count += len(level)
        seen.update(map(id, level))
        if depth > MAX_DEPTH or count > MAX_NODES or len(seen) != count:
            return False
        below: list[Node] = []
        for node in level:
            kind = node.__class__
            if kind is ScalarNode:
                if node.tag not in _ALLOWED_SCALAR_TAGS:
                    return False
                chars += len(node.value)
            elif kind is MappingNode:
                pairs = node.value
                if node.tag != _MAP:
                    return False
                for key, value in pairs:
                    if key.__class__ is not ScalarNode:
                        return False
                    below.append(key)
                    below.append(value)
                if len({key.value for key, _ in pairs}) != len(pairs):
                    return False
            elif kind is SequenceNode and node.tag == _SEQ:
                below.extend(node.value)
            else:
                return False
        if chars > MAX_EXPANDED_CHARS:
            return False
        level = below
    return True


def _within_limits(f: _File, root: Node, m: _Measure) -> bool:
    count, chars, depth = m.of(root)
    if depth > MAX_DEPTH:
        message = f"values are nested more than {MAX_DEPTH} levels deep"
        f.report(_deepest(root, m), message, "a corpus file needs no more than 5 levels")
        return False
    hint = "this looks like an alias bomb; write the values out instead of using aliases"
    if count > MAX_NODES:
        f.report(_heaviest(root, m, 0), f"aliases expand to more than {MAX_NODES} values", hint)
        return False
    if chars > MAX_EXPANDED_CHARS:
        message = f"aliases expand to more than {MAX_EXPANDED_CHARS // 2**20} Mi characters"
        f.report(_heaviest(root, m, 1), message, hint)
        return False
    return True


def _deepest(root: Node, m: _Measure) -> Node:
    node = root
    for _ in range(MAX_DEPTH):
        kids = _children(node)
        if not kids:
            break
        node = max(kids, key=lambda k: m.of(k)[2])
    return node


def _heaviest(root: Node, m: _Measure, which: int) -> Node:
    """The key of the top-level entry that expands the most (or the root)."""
    if not isinstance(root, MappingNode) or not root.value:
        return root
    key, _ = max(root.value, key=lambda pair: m.of(pair[1])[which])
    return cast(Node, key)


def _check_tag(f: _File, node: Node) -> bool:
    if isinstance(node, ScalarNode):
        allowed = node.tag in _SCALAR_KINDS
    else:
        allowed = node.tag == (_SEQ if isinstance(node, SequenceNode) else _MAP)
    if allowed:
        return True
    if node.tag == _CORE + "merge":
        f.report(node, "merge keys ('<<') are not supported", "write the keys out")
    else:
        hint = "corpus files hold plain YAML only: remove the tag"
        f.report(node, f"tag '{_short_tag(node.tag)}' is not allowed", hint)
    return False


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _check_keys(f: _File, node: MappingNode) -> None:
    seen: dict[str, Node] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode):
            f.report(key, "a key must be plain text, not a list or mapping")
        elif key.value in seen:
            first = seen[key.value].start_mark.line + 1
            f.report(key, f"duplicate key '{key.value}' (first at line {first})", "remove one")
        else:
            seen[key.value] = key


# --- reading values from nodes -----------------------------------------------------


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    return _SCALAR_KINDS.get(node.tag, "a value")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _type_hint(node: Node) -> str:
    if _is_null(node):
        return "write a value after the colon"
    if isinstance(node, ScalarNode):
        return "put it in quotes to keep it as text"
    return ""


def _choices_hint(word: str, valid: Iterable[str], what: str) -> str:
    names = sorted(valid) if what.endswith("ids") else list(valid)
    close = difflib.get_close_matches(word, names, n=1)
    listed = ", ".join(names[:MAX_IDS_IN_HINT])
    if len(names) > MAX_IDS_IN_HINT:
        listed += f", … ({len(names) - MAX_IDS_IN_HINT} more)"
    head = f"did you mean '{close[0]}'? " if close else ""
    return f"{head}valid {what}: {listed}" if names else f"there are no {what}"


@dataclass
class _Obj:
    """A mapping read against its keys: typed accessors that report what is wrong."""

    f: _File
    index: _Index
    node: MappingNode
    fields: dict[str, Node]
    keys: dict[str, bool]  # each key the mapping may hold: True when it is required

    def get(self, key: str) -> Node | None:
        """The value of ``key``; None when absent, or empty and optional."""
        node = self.fields.get(key)
        if node is None or (not self.keys.get(key, False) and _is_null(node)):
            return None
        return node

    def string(self, key: str, default: str = "") -> str:
        node = self.get(key)
        if node is None:
            return default
        if isinstance(node, ScalarNode) and node.tag == _STR:
            return str(node.value)
        self.f.report(node, f"{key} must be a string, got {_kind(node)}", _type_hint(node))
        return default

    def date(self, key: str) -> str:
        node = self.get(key)
        return "" if node is None else _date(self.f, node, key)

    def choice(self, key: str, valid: tuple[str, ...]) -> str:
        node = self.get(key)
        if node is None:
            return valid[0]
        if not isinstance(node, ScalarNode) or _is_null(node):
            message = f"{key} must be one of {', '.join(valid)}; got {_kind(node)}"
            self.f.report(node, message)
        elif node.value not in valid:
            hint = _choices_hint(node.value, valid, "values")
            self.f.report(node, f"unknown {key} '{node.value}'", hint)
        else:
            return str(node.value)
        return valid[0]

    def ref(self, key: str, kind: str) -> str | None:
        node = self.get(key)
        return None if node is None else _ref(self.f, self.index, node, key, kind)

    def refs(self, key: str, kind: str, non_empty: bool = False) -> tuple[str, ...]:
        node = self.get(key)
        if node is None:
            return ()
        return tuple(ref for ref, _ in _refs(self, node, key, kind, non_empty))

    def items(self, key: str) -> list[Node]:
        node = self.get(key)
        if node is None:
            return []
        if isinstance(node, SequenceNode):
            return list(node.value)
        self.f.report(
            node, f"{key} must be a list, got {_kind(node)}", "write '- ' before each item"
        )
        return []


def _object(f: _File, index: _Index, node: Node, what: str, keys: dict[str, bool]) -> _Obj | None:
    if not isinstance(node, MappingNode):
        f.report(node, f"{what} must be a mapping of keys to values, got {_kind(node)}")
        return None
    fields: dict[str, Node] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value not in fields:
            if key.value in keys:
                fields[key.value] = value
            else:
                hint = _choices_hint(key.value, keys, "keys")
                f.report(key, f"unknown key '{key.value}' in {what}", hint)
    if len(fields) < len(keys):  # else every key is there (fields only holds known keys)
        for name, required in keys.items():
            if required and name not in fields:
                f.report(node, f"missing required key '{name}' in {what}")
    return _Obj(f, index, node, fields, keys)


def _word(f: _File, node: Node, name: str, noun: str) -> str | None:
    """An id as written: YAML's reading of ``2025`` or ``no`` as a number or boolean is undone."""
    if isinstance(node, ScalarNode) and node.tag != _NULL:
        return str(node.value)
    hint = "write a value after the colon" if _is_null(node) else ""
    f.report(node, f"{name} must be {noun}, got {_kind(node)}", hint)
    return None


def _date(f: _File, node: Node, name: str) -> str:
    kinds = (_STR, _CORE + "int", _CORE + "timestamp")
    if not isinstance(node, ScalarNode) or node.tag not in kinds:
        hint = "write dates as YYYY-MM-DD, YYYY-MM or YYYY"
        f.report(node, f"{name} must be a date, got {_kind(node)}", hint)
        return ""
    if not _is_iso_date(str(node.value)):
        hint = "write dates as YYYY-MM-DD, YYYY-MM or YYYY"
        f.report(node, f"{name} '{node.value}' is not a valid date", hint)
        return ""
    return str(node.value)


def _is_iso_date(text: str) -> bool:
    """Whether ``text`` is a real ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` date.

    A YAML date (``2025-02-28`` unquoted) is written this way too, so its text is kept.
    """
    match = _DATE.fullmatch(text)
    if match is None:
        return False
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True


def _ref(f: _File, index: _Index, node: Node, name: str, kind: str) -> str | None:
    value = _word(f, node, name, f"a {kind} id")
    if value is not None:
        index.refs.append((kind, value, f.where(node)))
    return value


def _refs(
    obj: _Obj, node: Node, key: str, kind: str, non_empty: bool
) -> Iterator[tuple[str, Node]]:
    """The ids of a list of ``kind`` ids, each once; a repeated id is reported."""
    if not isinstance(node, SequenceNode):
        message = f"{key} must be a list of {kind} ids, got {_kind(node)}"
        obj.f.report(node, message, "write it as [id, ...]")
        return
    if non_empty and not node.value:
        obj.f.report(node, f"{key} must list at least one {kind}")
    seen: dict[str, Node] = {}
    for item in node.value:
        ref = _ref(obj.f, obj.index, item, f"each item of {key}", kind)
        if ref is not None and ref in seen:
            first = seen[ref].start_mark.line + 1
            obj.f.report(item, f"'{ref}' is listed twice in {key} (first at line {first})")
        elif ref is not None:
            seen[ref] = item
            yield ref, item


def _slug(obj: _Obj, key: str) -> str | None:
    node = obj.get(key)
    value = None if node is None else _word(obj.f, node, key, "an id")
    if node is None or value is None or SLUG.fullmatch(value):
        return value
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "clause-1"
    hint = f"ids use lower-case letters, digits and hyphens, e.g. '{suggestion}'"
    obj.f.report(node, f"{key} '{value}' is not a valid id", hint)
    return None


def _define(obj: _Obj, kind: str, key: str = "id") -> str | None:
    """Read the id of a party or source and record it; a repeated id is reported."""
    value = _slug(obj, key)
    node = obj.get(key)
    if value is None or node is None:
        return None
    known = obj.index.defined[kind]
    if value in known:
        message = f"duplicate {kind} id '{value}' (first at line {known[value][1]})"
        obj.f.report(node, message, "ids must be unique")
        return None
    known[value] = obj.f.where(node)
    return value


def _own_id(obj: _Obj, stem: str) -> None:
    """A version's or clause's id: a slug equal to its file name without ``.yaml``."""
    value = _slug(obj, "id")
    node = obj.get("id")
    if value is not None and node is not None and value != stem:
        message = f"id '{value}' does not match the file name '{stem}.yaml'"
        hint = f"rename the file to {value}.yaml or change the id to '{stem}'"
        obj.f.report(node, message, hint)


def _clean_since(f: _File, start: int) -> bool:
    return len(f.problems) == start


# --- agreement.yaml ----------------------------------------------------------------


def _read_agreement(f: _File, node: Node, index: _Index) -> Agreement | None:
    start = len(f.problems)
    obj = _object(f, index, node, "agreement", _AGREEMENT_KEYS)
    if obj is None:
        return None
    index.complete.update(("party", "source"))
    title, summary = obj.string("title"), obj.string("summary")
    parties = _read_list(obj, "parties", _read_party)
    listed = obj.get("parties")
    if isinstance(listed, SequenceNode) and not listed.value:
        f.report(listed, "parties must list at least one party")
    sources = _read_list(obj, "sources", _read_source)
    events = _read_list(obj, "events", _read_event)
    if not _clean_since(f, start):
        return None
    return Agreement(title, summary, tuple(parties), tuple(sources), tuple(events))


def _read_list(obj: _Obj, key: str, read: Callable[[_Obj], T | None]) -> list[T]:
    what = {"parties": "party", "sources": "source", "events": "event"}[key]
    found = []
    for item in obj.items(key):
        sub = _object(obj.f, obj.index, item, what, _ITEM_KEYS[what])
        value = None if sub is None else read(sub)
        if value is not None:
            found.append(value)
    return found


def _read_party(obj: _Obj) -> Party | None:
    start = len(obj.f.problems)
    party_id = _define(obj, "party")
    name, short, color = obj.string("name"), obj.string("short"), obj.string("color")
    role = cast(Role, obj.choice("role", ROLES))
    if party_id is None or not _clean_since(obj.f, start):
        return None
    return Party(party_id, name, short, color, role, loc=obj.f.loc(obj.node))


def _read_source(obj: _Obj) -> Source | None:
    start = len(obj.f.problems)
    source_id = _define(obj, "source")
    title, url, when = obj.string("title"), obj.string("url"), obj.date("date")
    publisher = obj.string("publisher")
    if source_id is None or not _clean_since(obj.f, start):
        return None
    return Source(source_id, title, url, when, publisher, loc=obj.f.loc(obj.node))


def _read_event(obj: _Obj) -> Event | None:
    start = len(obj.f.problems)
    when, title = obj.date("date"), obj.string("title")
    description = obj.string("description")
    parties, sources = obj.refs("parties", "party"), obj.refs("sources", "source")
    if not _clean_since(obj.f, start):
        return None
    return Event(when, title, parties, sources, description, loc=obj.f.loc(obj.node))


_ITEM_KEYS = {"party": _PARTY_KEYS, "source": _SOURCE_KEYS, "event": _EVENT_KEYS}


# --- versions/<id>.yaml ------------------------------------------------------------


def _read_version(f: _File, node: Node, index: _Index, stem: str) -> Version | None:
    start = len(f.problems)
    obj = _object(f, index, node, "version", _VERSION_KEYS)
    if obj is None:
        return None
    _own_id(obj, stem)
    title, when, summary = obj.string("title"), obj.date("date"), obj.string("summary")
    proposer = obj.ref("proposed_by", "party")
    status = cast(Status, obj.choice("status", STATUSES))
    parent = _read_parent(obj, stem)
    sources = obj.refs("sources", "source")
    clauses = _read_clause_list(obj, stem)
    if proposer is None or not _clean_since(f, start):
        return None
    loc = f.loc(obj.node)
    return Version(stem, title, when, proposer, parent, status, summary, sources, clauses, loc)


def _read_parent(obj: _Obj, stem: str) -> str | None:
    node = obj.fields.get("based_on")
    if node is None or _is_null(node):
        return None
    parent = _ref(obj.f, obj.index, node, "based_on", "version")
    if parent is not None:
        obj.index.parents[stem] = (parent, obj.f.loc(node))
    return parent


def _read_clause_list(obj: _Obj, version_id: str) -> tuple[str, ...]:
    node = obj.get("clauses")
    if node is None:
        return ()
    found = []
    for clause_id, item in _refs(obj, node, "clauses", "clause", non_empty=False):
        obj.index.listed[(version_id, clause_id)] = obj.f.where(item)
        found.append(clause_id)
    if isinstance(node, SequenceNode):
        obj.index.lists_known.add(version_id)
    return tuple(found)


# --- clauses/<id>.yaml -------------------------------------------------------------


def _read_clause(f: _File, node: Node, index: _Index, stem: str) -> Clause | None:
    start = len(f.problems)
    obj = _object(f, index, node, "clause", _CLAUSE_KEYS)
    if obj is None:
        return None
    _own_id(obj, stem)
    title, topic = obj.string("title"), obj.string("topic")
    sources = obj.refs("sources", "source")
    texts = _read_texts(obj, stem)
    positions = [_read_position(obj, item) for item in obj.items("positions")]
    if not _clean_since(f, start):
        return None
    kept = tuple(p for p in positions if p is not None)
    return Clause(stem, title, topic, texts, kept, sources, loc=f.loc(obj.node))


def _read_texts(obj: _Obj, clause_id: str) -> dict[str, ClauseText]:
    node = obj.get("text")
    if node is None:
        return {}
    if not isinstance(node, MappingNode):
        message = f"text must be a mapping of version ids to texts, got {_kind(node)}"
        obj.f.report(node, message, "write one 'version-id: text' line per version")
        return {}
    texts: dict[str, ClauseText] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value not in texts:
            version_id = str(key.value)
            where = obj.f.where(key)
            obj.index.refs.append(("version", version_id, where))
            obj.index.texted[(version_id, clause_id)] = where
            texts[version_id] = _read_text(obj, value, version_id)
    obj.index.texts_known.add(clause_id)
    return texts


def _read_text(obj: _Obj, node: Node, version_id: str) -> ClauseText:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        return ClauseText(str(node.value))
    if isinstance(node, MappingNode):
        sub = _object(obj.f, obj.index, node, f"the text for '{version_id}'", _TEXT_KEYS)
        if sub is not None:
            return ClauseText(
                sub.string("text"),
                sub.ref("proposed_by", "party"),
                sub.string("note"),
                sub.refs("sources", "source"),
            )
        return ClauseText("")
    message = f"the text for '{version_id}' must be a string, got {_kind(node)}"
    hint = "remove the line if it has no text" if _is_null(node) else _type_hint(node)
    obj.f.report(node, message, hint)
    return ClauseText("")


def _read_position(obj: _Obj, node: Node) -> Position | None:
    sub = _object(obj.f, obj.index, node, "position", _POSITION_KEYS)
    if sub is None:
        return None
    return Position(
        party=sub.ref("party", "party") or "",
        versions=sub.refs("versions", "version", non_empty=True),
        stance=cast(Stance, sub.choice("stance", STANCES)),
        statement=sub.string("statement"),
        speaker=sub.string("speaker"),
        date=sub.date("date"),
        sources=sub.refs("sources", "source"),
    )


# --- checks across files -----------------------------------------------------------


def _check_across(index: _Index, problems: list[Problem]) -> None:
    _check_refs(index, problems)
    _check_pairs(index, problems)
    _check_cycles(index, problems)


def _check_refs(index: _Index, problems: list[Problem]) -> None:
    for kind, ref, where in index.refs:
        known = index.defined[kind]
        if ref not in known and kind in index.complete:
            hint = _choices_hint(ref, known, f"{kind} ids")
            problems.append(Problem(Loc(*where), f"unknown {kind} '{ref}'", hint))


def _check_pairs(index: _Index, problems: list[Problem]) -> None:
    """A clause is in a version's list exactly when it has text for that version."""
    listed, texted = index.listed, index.texted
    if listed.keys() - texted.keys():  # else every listed pair has its text
        for (version, clause), where in listed.items():
            if clause in index.texts_known and (version, clause) not in texted:
                message = (
                    f"clause '{clause}' is listed here but has no text for version '{version}'"
                )
                hint = f"add '{version}:' under text: in clauses/{clause}.yaml, or remove it here"
                problems.append(Problem(Loc(*where), message, hint))
    if texted.keys() - listed.keys():  # else every text is listed
        for (version, clause), where in texted.items():
            if version in index.lists_known and (version, clause) not in listed:
                message = f"text for version '{version}', which does not list clause '{clause}'"
                hint = f"add '{clause}' to clauses: in versions/{version}.yaml, or remove this text"
                problems.append(Problem(Loc(*where), message, hint))


def _check_cycles(index: _Index, problems: list[Problem]) -> None:
    """``based_on`` must form a forest; each cycle is reported once, at its smallest id."""
    done: set[str] = set()
    for start in sorted(index.parents):
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in done and node not in path:
            path.append(node)
            node = index.parents[node][0] if node in index.parents else None
        if node is not None and node in path:
            _report_cycle(index, path[path.index(node) :], problems)
        done.update(path)


def _report_cycle(index: _Index, cycle: list[str], problems: list[Problem]) -> None:
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    chain = " -> ".join([*cycle, cycle[0]])
    hint = "the first version of a chain has 'based_on: null'"
    problems.append(Problem(index.parents[cycle[0]][1], f"based_on forms a cycle: {chain}", hint))
