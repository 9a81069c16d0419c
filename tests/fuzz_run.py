"""Fuzz clausetrack's readers for a fixed time, with Hypothesis at scale.

    python tests/fuzz_run.py --minutes 10            # every target, round robin
    python tests/fuzz_run.py --minutes 2 --target tokenize --target loader_bytes

Not collected by pytest (the name does not start with ``test_``). Targets:

tokenize        random Unicode text: the tokens concatenate back to the text.
diff            two random texts over a shared vocabulary: ``diff_words`` round-trips.
loader_bytes    random bytes as agreement.yaml, a version file or a clause file of a
                valid corpus: ``load_corpus`` either loads or raises ``CorpusError``.
loader_mutated  a valid corpus file mutated (YAML syntax, tags, aliases, BOM, tabs, NUL,
                bad UTF-8, deleted or repeated lines): the same, and when it still loads,
                ``compare`` and every output format (html, text, markdown, json) run.
loader_typed    one value of a valid file replaced by a random YAML value of any type.
cli             a mutated corpus through ``clausetrack check`` and ``compare`` (click's
                CliRunner): exit status 0, 1 or 2 and never a traceback.

A failure is any exception that is not a clean ``ClausetrackError`` (of which
``CorpusError`` is one), a problem the loader labels as an internal bug, a problem that
does not name its file, or a broken invariant. Each distinct failure is printed once,
with Hypothesis's shrunk example; the exit status is 1 when there was any.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from clausetrack import api
from clausetrack.cli import cli
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.diff import diff_words
from clausetrack.errors import CorpusError
from clausetrack.resources import bundled_corpus
from clausetrack.tokenize import tokenize

ROUND = 100  # examples per Hypothesis run
TURN_SECONDS = 20  # targets take turns of this long until the time is up
FILES = (
    "agreement.yaml",
    "versions/draft.yaml",
    "versions/signed.yaml",
    "clauses/fund-management.yaml",
    "clauses/security-guarantees.yaml",
)
FORMATS = ("html", "text", "markdown", "json")
INTERNAL = "this is a bug in clausetrack"

# Pieces that mean something to YAML, to a decoder, or to a renderer.
NASTY = [
    b"&a ",
    b"*a",
    b"&b [*a, *a, *a]",
    b"!!python/object/apply:os.system [id]",
    b"!!python/name:os.system",
    b"!!binary ",
    b"!!set ",
    b"!!omap ",
    b"!custom ",
    b"<<: *a",
    b"\t",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b'"',
    b"'",
    b"|",
    b">-",
    b"\n",
    b"\n  ",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"%TAG ! tag:x,2000:\n",
    b"? ",
    b"#",
    b"~",
    b"null",
    b"2025-13-45",
    b"1e999",
    b"0x1F",
    b".nan",
    b"yes",
    b"on",
    b'"\\e[2J"',
    b'"\\x9b31m"',
    b'"\\0"',
    b'"\\u202e"',
    b'"\\U0010FFFF"',
    b'"\\ud800"',
    b"<script>alert(1)</script>",
    b"</style>",
    b"javascript:alert(1)",
    b"{{7*7}}",
    b"id: ",
    b"text: ",
    b"versions: ",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - ",
    "\u2028".encode(),
    "\u0085".encode(),
    "\ufeff".encode(),
    b"\r",
    b"\r\n",
]

yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.dates()
    | st.sampled_from(["us", "draft", "signed", "#fff", "2025-02", ""]),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


class Target:
    def __init__(self, name: str, test: Callable[[], None]) -> None:
        self.name = name
        self.test = test
        self.seconds = 0.0


class Fuzz:
    """The state shared by the targets: a scratch corpus, counts and failures."""

    def __init__(self, work: Path) -> None:
        self.base = work / "corpus"
        src = bundled_corpus()
        shutil.copytree(src / "versions", self.base / "versions")
        shutil.copytree(src / "clauses", self.base / "clauses")
        shutil.copy(src / "agreement.yaml", self.base / "agreement.yaml")
        self.original = {name: (self.base / name).read_bytes() for name in FILES}
        self.iterations: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.failures: dict[tuple[str, str], str] = {}

    # -- helpers

    def with_file(self, name: str, data: bytes, check: Callable[[], None]) -> None:
        path = self.base / name
        path.write_bytes(data)
        try:
            check()
        finally:
            path.write_bytes(self.original[name])

    def load(self, target: str) -> object:
        """Load the scratch corpus; the corpus or None. Raise on anything unclean."""
        try:
            corpus = load_corpus(self.base)
        except CorpusError as error:
            self.outcomes[f"{target}: CorpusError"] += 1
            for problem in error.problems:
                text = str(problem)
                assert INTERNAL not in text, f"internal error reported as a problem: {text}"
                assert text.startswith(str(self.base)), f"problem without its file: {text}"
            return None
        self.outcomes[f"{target}: loaded"] += 1
        return corpus

    def render_all(self, corpus: object) -> None:
        from clausetrack.model import Corpus

        assert isinstance(corpus, Corpus)
        ids = list(corpus.versions)
        for old, new in ((ids[0], ids[-1]), (ids[-1], ids[0])):
            comparison = compare(corpus, old, new)
            for fmt in FORMATS:
                out = api.render(comparison, fmt)  # type: ignore[arg-type]
                if fmt == "json":
                    json.loads(out)
            for d in comparison.clauses:
                assert "".join(s.text for s in d.spans if s.kind != "delete") == d.new_text
                assert "".join(s.text for s in d.spans if s.kind != "insert") == d.old_text


def mutate(data: bytes, edits: list[tuple[int, float, int]]) -> bytes:
    """Apply ``(kind, where, which)`` edits: insert a nasty piece, flip a byte, delete
    a slice, repeat or drop a line."""
    out = bytearray(data)
    for kind, where, which in edits:
        at = int(where * len(out))
        if kind == 0:
            out[at:at] = NASTY[which % len(NASTY)]
        elif kind == 1 and out:
            out[min(at, len(out) - 1)] = which % 256
        elif kind == 2:
            del out[at : at + 1 + which % 40]
        else:
            lines = bytes(out).split(b"\n")
            i = min(int(where * len(lines)), len(lines) - 1)
            if kind == 3:
                lines.insert(i, lines[i])
            else:
                del lines[i]
            out = bytearray(b"\n".join(lines))
    return bytes(out)


edits_strategy = st.lists(
    st.tuples(st.integers(0, 4), st.floats(0, 1), st.integers(0, 10_000)),
    min_size=1,
    max_size=6,
)


def build_targets(fz: Fuzz) -> list[Target]:
    common = settings(
        max_examples=ROUND,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )

    @common
    @given(st.text(max_size=300))
    def t_tokenize(text: str) -> None:
        fz.iterations["tokenize"] += 1
        assert "".join(tokenize(text)) == text

    vocab = st.sampled_from(
        [
            "a",
            "b",
            " ",
            "\n",
            "50",
            "USD",
            "é",
            "\u0301",
            "中",
            ".",
            "$",
            "\u200d",
            "👍🏽",
            "\t",
            "don't",
            "--",
            "1,000",
        ]
    )
    piece = st.lists(st.one_of(vocab, st.text(max_size=3)), max_size=40).map("".join)

    @common
    @given(piece, piece)
    def t_diff(old: str, new: str) -> None:
        fz.iterations["diff"] += 1
        ops = diff_words(old, new)
        assert "".join(o.text for o in ops if o.kind != "insert") == old
        assert "".join(o.text for o in ops if o.kind != "delete") == new

    @common
    @given(st.sampled_from(FILES), st.binary(max_size=3000))
    def t_loader_bytes(name: str, data: bytes) -> None:
        fz.iterations["loader_bytes"] += 1
        fz.with_file(name, data, lambda: fz.load("loader_bytes"))

    @common
    @given(st.sampled_from(FILES), edits_strategy)
    def t_loader_mutated(name: str, edits: list[tuple[int, float, int]]) -> None:
        fz.iterations["loader_mutated"] += 1

        def check() -> None:
            corpus = fz.load("loader_mutated")
            if corpus is not None:
                fz.render_all(corpus)

        fz.with_file(name, mutate(fz.original[name], edits), check)

    @common
    @given(st.sampled_from(FILES), st.data())
    def t_loader_typed(name: str, data: st.DataObject) -> None:
        fz.iterations["loader_typed"] += 1
        tree = yaml.safe_load(fz.original[name])
        node, key = tree, None
        for _ in range(data.draw(st.integers(1, 4))):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = data.draw(st.sampled_from(keys))
            if not isinstance(node[key], dict | list) or data.draw(st.booleans()):
                break
            node, key = node[key], None
        if key is not None:
            node[key] = data.draw(yaml_values)
        text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode()

        def check() -> None:
            corpus = fz.load("loader_typed")
            if corpus is not None:
                fz.render_all(corpus)

        fz.with_file(name, text, check)

    runner = CliRunner()

    @common
    @given(st.sampled_from(FILES), edits_strategy, st.sampled_from(FORMATS))
    def t_cli(name: str, edits: list[tuple[int, float, int]], fmt: str) -> None:
        fz.iterations["cli"] += 1

        def check() -> None:
            for args in (["check"], ["compare", "us-initial", "signed", "--format", fmt], ["list"]):
                result = runner.invoke(cli, [*args, "--corpus", str(fz.base)])
                assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
                crashed = result.exception is not None and not isinstance(
                    result.exception, SystemExit
                )
                assert not crashed, "".join(traceback.format_exception(result.exception))
                assert "Traceback" not in result.output

        fz.with_file(name, mutate(fz.original[name], edits), check)

    return [
        Target("tokenize", t_tokenize),
        Target("diff", t_diff),
        Target("loader_bytes", t_loader_bytes),
        Target("loader_mutated", t_loader_mutated),
        Target("loader_typed", t_loader_typed),
        Target("cli", t_cli),
    ]


def run(minutes: float, only: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="clausetrack-fuzz-") as tmp:
        fz = Fuzz(Path(tmp))
        targets = [t for t in build_targets(fz) if not only or t.name in only]
        deadline = time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            for t in targets:
                start = time.monotonic()
                turn_end = min(deadline, start + TURN_SECONDS)
                while time.monotonic() < turn_end:
                    fuzz_once(fz, t)
                t.seconds += time.monotonic() - start
                if time.monotonic() >= deadline:
                    break
        report(fz, targets, minutes)
        return 1 if fz.failures else 0


def fuzz_once(fz: Fuzz, t: Target) -> None:
    try:
        t.test()
    except Exception as exc:  # record, keep fuzzing the others
        head = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if (t.name, head) not in fz.failures:
            notes = "\n".join(getattr(exc, "__notes__", []))
            fz.failures[(t.name, head)] = (
                notes + "\n" + "".join(traceback.format_exception(exc)[-6:])
            )
            print(f"[{t.name}] FAILURE {head}", flush=True)


def report(fz: Fuzz, targets: list[Target], minutes: float) -> None:
    print(f"\nfuzzed for {minutes} min")
    for t in targets:
        print(f"  {t.name:<15} {fz.iterations[t.name]:>8} iterations in {t.seconds:7.1f} s")
    for outcome, n in sorted(fz.outcomes.items()):
        print(f"    {outcome}: {n}")
    print(f"failures: {len(fz.failures)}")
    for (name, head), detail in fz.failures.items():
        print(f"\n=== [{name}] {head}\n{detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--target", action="append", default=[], help="run only this target (repeat for more)"
    )
    args = parser.parse_args()
    sys.exit(run(args.minutes, args.target))


if __name__ == "__main__":
    main()
