"""Side-by-side benchmark: clausetrack's word diff against redlines, difflib and git.

Every tool runs in a fresh process, so the times and memory are whole-process figures
(interpreter start and imports included). Results go to benchmarks/RESULTS.md.

    python benchmarks/run.py              # everything (about ten minutes)
    python benchmarks/run.py --quick      # 10 KB and 100 KB only
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inputs

WORK = Path(__file__).resolve().parent / "work"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CLAUSETRACK = Path(sys.executable).parent / "clausetrack"

CHILD = {
    "clausetrack": (
        "import json, sys\n"
        "from clausetrack.diff import diff_words\n"
        "a, b = (open(p, encoding='utf-8').read() for p in sys.argv[1:3])\n"
        "ops = diff_words(a, b)\n"
        "json.dump([[o.kind, o.text] for o in ops], open(sys.argv[3], 'w', encoding='utf-8'))\n"
    ),
    "redlines": (
        "import sys\n"
        "from redlines import Redlines\n"
        "a, b = (open(p, encoding='utf-8').read() for p in sys.argv[1:3])\n"
        "open(sys.argv[3], 'w', encoding='utf-8').write(Redlines(a, b).output_markdown)\n"
    ),
    "difflib.HtmlDiff": (
        "import difflib, sys\n"
        "a, b = (open(p, encoding='utf-8').read() for p in sys.argv[1:3])\n"
        "html = difflib.HtmlDiff().make_file(a.splitlines(), b.splitlines())\n"
        "open(sys.argv[3], 'w', encoding='utf-8').write(html)\n"
    ),
}


@dataclass
class Timing:
    seconds: float | None  # median wall time; None when every run hit the cap
    peak_mb: float
    runs: int
    cap: float
    status: int = 0
    cpu: float | None = None  # median CPU time (user + system, workers included)

    def time_text(self) -> str:
        return f"> {self.cap:g} s" if self.seconds is None else f"{self.seconds:.3f} s"

    def cpu_text(self) -> str:
        return "–" if self.cpu is None or self.seconds is None else f"{self.cpu:.2f} s"


def _hwm(pid: int) -> float:
    """The process's peak resident memory so far, in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_once(
    cmd: list[str], cap: float, stdout: Path | None = None
) -> tuple[float | None, float, int, float]:
    """Wall time (None past the cap), peak resident memory in MB, exit status, and CPU
    time (user + system, of the process and of the workers it waited for).

    Memory is the child's own high-water mark, read from ``/proc`` as it runs (the rusage
    of a child counts the parent's pages from before the exec, so it is not used for
    memory). A high-water mark only grows, so it is read every millisecond at first and
    then less often, every 2% of the time so far and at most :data:`SAMPLE_EVERY` apart:
    reading it every millisecond for a whole run took 7% of a core (0.27–0.33 s of CPU
    over a 4–4.5 s run), which a command that keeps both cores busy pays for. The end of
    the run is not sampled: it is waited for (on a pidfd), so the wall time never waits
    for a reading.
    """
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    ended = _Exit(proc.pid)
    try:
        peak = 0.0
        elapsed: float | None = None
        while True:
            peak = max(peak, _hwm(proc.pid))
            so_far = time.perf_counter() - start
            if so_far >= cap:
                proc.kill()
                break
            pause = min(max(so_far / 50, 0.001), SAMPLE_EVERY, cap - so_far)
            if ended.wait(pause):
                elapsed = time.perf_counter() - start
                break
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        ended.close()
        if stdout:
            out.close()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, peak, proc.returncode, usage.ru_utime + usage.ru_stime


# The longest pause between two readings of a running command's memory.
SAMPLE_EVERY = 0.02


class _Exit:
    """Waits up to a timeout for a process to end, without reaping it. A pidfd wakes the
    wait the moment the process ends; where there is none, it polls every millisecond."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.fd = os.pidfd_open(pid)
            self.poller = select.poll()
            self.poller.register(self.fd, select.POLLIN)

    def wait(self, timeout: float) -> bool:
        """Whether the process has ended, waiting up to ``timeout`` seconds for it."""
        if self.fd is not None:
            return bool(self.poller.poll(max(1, round(timeout * 1000))))
        deadline = time.perf_counter() + timeout
        while os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.perf_counter() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def measure(
    cmd: list[str],
    runs: int,
    cap: float,
    stdout: Path | None = None,
    before: Callable[[], None] | None = None,
) -> Timing:
    times: list[float] = []
    cpus: list[float] = []
    peak = 0.0
    status = 0
    for n in range(runs):
        if before is not None:
            before()
        t, mb, status, cpu = run_once(cmd, cap, stdout)
        peak = max(peak, mb)
        if t is None:
            return Timing(None, peak, n + 1, cap, status)
        times.append(t)
        cpus.append(cpu)
        if t > 10:  # a slow tool: one run is enough to make the point
            break
    return Timing(statistics.median(times), peak, len(times), cap, status, statistics.median(cpus))


# --- quality ---------------------------------------------------------------------------

WORD = re.compile(r"\w+")


def line_regions(ops: list[tuple[str, str]]) -> int:
    """Change regions counted as ``git diff --word-diff=porcelain`` prints them, so the two
    counts compare like with like: a region ends at every line break (git starts a new
    line of output there, so a moved three-line paragraph is three regions), and changed
    or unchanged text that is only whitespace neither makes nor breaks a region (git
    diffs words and does not show whitespace between them)."""
    regions = 0
    in_change = False
    for kind, text in ops:
        if kind == "equal":
            if text.strip() or "\n" in text:
                in_change = False
            continue
        for n, line in enumerate(text.split("\n")):
            if n:
                in_change = False
            if line.strip():
                regions += not in_change
                in_change = True
    return regions


def ops_quality(ops: list[tuple[str, str]]) -> dict[str, int]:
    regions = line_regions(ops)
    words = sum(len(WORD.findall(t)) for k, t in ops if k != "equal")
    split = 0
    for side in ("delete", "insert"):
        text = "".join(t for k, t in ops if k in ("equal", side))
        pos = 0
        for k, t in ops:
            if k in ("equal", side):
                if 0 < pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum():
                    split += 1
                pos += len(t)
    return {"regions": regions, "words": words, "split": split}


def git_quality(porcelain: str) -> dict[str, int]:
    regions = words = 0
    in_change = False
    for line in porcelain.splitlines():
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
            words += len(WORD.findall(line[1:]))
            if not in_change:
                regions += 1
            in_change = True
        else:
            in_change = False
    return {"regions": regions, "words": words, "split": 0}


SPAN = re.compile(r"<span style='color:(red|green)[^']*'>(.*?)</span>", re.S)


def redlines_quality(markdown: str) -> dict[str, int]:
    regions = words = 0
    last_end = -1
    for m in SPAN.finditer(markdown):
        words += len(WORD.findall(m.group(2)))
        if m.start() != last_end:
            regions += 1
        last_end = m.end()
    return {"regions": regions, "words": words, "split": 0}


# --- the runs --------------------------------------------------------------------------


def tool_commands(old: Path, new: Path, out: Path) -> dict[str, tuple[list[str], Path | None]]:
    py = sys.executable
    return {
        "clausetrack": ([py, "-c", CHILD["clausetrack"], str(old), str(new), str(out)], None),
        "git diff --word-diff": (
            ["git", "diff", "--no-index", "--word-diff=porcelain", str(old), str(new)],
            out,
        ),
        "difflib.HtmlDiff": (
            [py, "-c", CHILD["difflib.HtmlDiff"], str(old), str(new), str(out)],
            None,
        ),
        "redlines 0.6.2": ([py, "-c", CHILD["redlines"], str(old), str(new), str(out)], None),
    }


QUALITY: dict[str, Callable[[str], dict[str, int]]] = {
    "clausetrack": lambda s: ops_quality([(k, t) for k, t in json.loads(s)]),
    "git diff --word-diff": git_quality,
    "redlines 0.6.2": redlines_quality,
}


def compare_tools(
    pairs: list[inputs.Pair],
    runs: int,
    cap: float,
    slow_cap: float,
    times: dict[str, dict[str, Timing]],
    quality: dict[str, dict[str, dict[str, int]]],
) -> list[str]:
    rows = [
        "| input | tool | wall (median) | runs | peak memory | × clausetrack | change regions | "
        "words marked | split words |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for pair in pairs:
        slug = re.sub(r"\W+", "-", pair.name).strip("-")
        old, new = WORK / f"{slug}.old.txt", WORK / f"{slug}.new.txt"
        old.write_text(pair.old, encoding="utf-8")
        new.write_text(pair.new, encoding="utf-8")
        base: float | None = None
        commands = tool_commands(old, new, WORK / f"{slug}.out")
        for tool, (cmd, stdout) in commands.items():
            out = WORK / f"{slug}.out"
            out.unlink(missing_ok=True)
            big = len(pair.old) > 200_000
            tool_cap = slow_cap if tool.startswith("redlines") and big else cap
            t = measure(cmd, runs, tool_cap, stdout)
            done = t.seconds is not None and out.exists()
            q = QUALITY[tool](out.read_text(encoding="utf-8")) if tool in QUALITY and done else None
            times.setdefault(pair.name, {})[tool] = t
            if q:
                quality.setdefault(pair.name, {})[tool] = q
            if tool == "clausetrack":
                base = t.seconds
            if t.seconds and base:
                ratio = f"{t.seconds / base:.1f}×"
            else:
                ratio = f"> {tool_cap / base:.0f}×" if base else ""
            qtext = f"{q['regions']} | {q['words']} | {q['split']}" if q else "– | – | –"
            rows.append(
                f"| {pair.name} | {tool} | {t.time_text()} | {t.runs} | {t.peak_mb:.0f} MB "
                f"| {ratio} | {qtext} |"
            )
            print(rows[-1], flush=True)
        if pair.edits:
            rows.append(
                f"| {pair.name} | *edit script* | | | | "
                f"| {pair.edits} word edits + {pair.moves} moves | | |"
            )
    return rows


# The command with key-change detection switched off, to show the detector's share:
# the same CLI, with the detector's finder replaced before it runs.
NO_KEY_CHANGES = (
    "import sys\n"
    "import clausetrack.compare as c\n"
    "c._key_change_finder = lambda: None\n"
    "from clausetrack.cli import main\n"
    "sys.argv[0] = 'clausetrack'\n"
    "main()\n"
)


@dataclass
class CliJob:
    name: str
    root: Path | None  # None: the bundled corpus
    args: list[str]
    key_changes: bool


def cli_command(job: CliJob, out: Path) -> list[str]:
    extra = ["-o", str(out)]
    corpus = ["--corpus", str(job.root)] if job.root else []
    base = [str(CLAUSETRACK)] if job.key_changes else [sys.executable, "-c", NO_KEY_CHANGES]
    return [*base, *job.args, *extra, *corpus]


def shown(job: CliJob) -> str:
    out = "site/" if job.args[0] == "report" else "out.html"
    corpus = " --corpus DIR" if job.root else ""
    return " ".join(["clausetrack", *job.args, "-o", out]) + corpus


def cli_runs(sizes: list[int], runs: int, cap: float, figures: dict[str, Timing]) -> list[str]:
    if not CLAUSETRACK.exists():
        return ["(the `clausetrack` command is not installed in this environment)"]
    rows = [
        "| corpus | command | key changes | wall (median) | CPU (median) | runs | peak memory "
        "| exit | check after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    jobs: list[CliJob] = [
        CliJob("bundled corpus", None, ["compare", "us-initial", "signed"], True),
        CliJob("bundled corpus", None, ["compare", "us-initial", "signed"], False),
    ]
    rewrite = inputs.heavy_rewrites()[1]
    root = WORK / "corpus-rewrite-35k"
    shutil.rmtree(root, ignore_errors=True)
    inputs.corpus_whole(root, rewrite)
    jobs += [
        CliJob("35 KB rewrite, one clause", root, ["compare", "v1", "v2"], kc)
        for kc in (True, False)
    ]
    for size in sizes:
        kb = size // 1000
        root = WORK / f"corpus-whole-{kb}k"
        shutil.rmtree(root, ignore_errors=True)
        inputs.corpus_whole(root, inputs.generated(size))
        name = f"whole document in one clause, {kb} KB"
        jobs += [CliJob(name, root, ["compare", "v1", "v2"], kc) for kc in (True, False)]
        root = WORK / f"corpus-paras-{kb}k"
        shutil.rmtree(root, ignore_errors=True)
        inputs.corpus_paragraphs(root, size)
        name = f"one clause per paragraph, {kb} KB"
        jobs += [CliJob(name, root, ["compare", "v1", "v2"], kc) for kc in (True, False)]
    root = WORK / "corpus-history"
    shutil.rmtree(root, ignore_errors=True)
    inputs.corpus_history(root)
    jobs += [
        CliJob("300 clauses × 30 versions", root, ["compare", "v01", "v30"], kc)
        for kc in (True, False)
    ]
    for job in jobs:
        t = measure(cli_command(job, WORK / "redline.html"), runs, cap)
        figures[f"{job.name}|{job.args[0]}|{'kc' if job.key_changes else 'no kc'}"] = t
        rows.append(_cli_row(job, job.name, t, check_now()))
        print(rows[-1], flush=True)
    for kc in (False, True):
        rows += report_runs(root, runs, cap, kc, figures)
    return rows


def _cli_row(job: CliJob, name: str, t: Timing, check: str) -> str:
    return (
        f"| {name} | `{shown(job)}` | {'on' if job.key_changes else 'off'} | {t.time_text()} "
        f"| {t.cpu_text()} | {t.runs} | {t.peak_mb:.0f} MB "
        f"| {'stopped' if t.seconds is None else t.status} | {check} |"
    )


def report_runs(
    corpus: Path, runs: int, cap: float, key_changes: bool, figures: dict[str, Timing]
) -> list[str]:
    """`clausetrack report` cold (no cache), warm (nothing changed) and after one clause
    file changed; each output checked byte for byte against a run without the cache."""
    from clausetrack.cache import CACHE_DIR

    job = CliJob("300 clauses × 30 versions", corpus, ["report"], key_changes)
    site = WORK / "report-out" / "site"
    cache = site.parent / CACHE_DIR
    cmd = cli_command(job, site)
    clause = corpus / "clauses" / "c150.yaml"
    original = clause.read_text(encoding="utf-8")
    rows: list[str] = []
    kc = "kc" if key_changes else "no kc"

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    toggle = [0]

    def touch() -> None:  # one word of one clause changes before each run, to a new word
        # each time: a word seen before would find every page of it in the cache
        toggle[0] += 1
        at = original.rindex(" the ")
        word = f" the{toggle[0]} "
        clause.write_text(original[:at] + word + original[at + 5 :], encoding="utf-8")

    try:
        for label, before in (("cold", cold), ("warm", None), ("one clause file changed", touch)):
            t = measure(cmd, runs, cap, before=before)
            figures[f"report|{label}|{kc}"] = t
            rows.append(_cli_row(job, f"{job.name}, report {label}", t, check_now()))
            print(rows[-1], flush=True)
        same = _same_as_uncached(job, site, cache)
        rows.append(
            f"| {job.name}, report | the last output against a run without the cache "
            f"| {'on' if key_changes else 'off'} | {'byte-identical' if same else 'DIFFERENT'} "
            "| | | | | |"
        )
    finally:
        clause.write_text(original, encoding="utf-8")
    return rows


def _same_as_uncached(job: CliJob, site: Path, cache: Path) -> bool:
    cached = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    other = WORK / "report-plain" / "site"
    shutil.rmtree(other.parent, ignore_errors=True)
    subprocess.run(cli_command(job, other), check=False, capture_output=True)
    plain = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
    return cached == plain


def compile_package() -> None:
    """Byte-compile clausetrack first, as installing a wheel does (this checkout may run with
    PYTHONDONTWRITEBYTECODE set, which would charge every run the compilation of every
    module, a cost no installed tool pays; the other tools' packages are compiled)."""
    src = Path(__file__).resolve().parents[1] / "src"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=False)


def _t(t: Timing | None) -> float | None:
    return t.seconds if t is not None else None


def _verdict(value: float | None, limit: float, text: str) -> str:
    if value is None:
        return f"not measured or over the cap | {text}"
    return f"{'met' if value <= limit else 'NOT met'} | {text}"


def targets_table(
    tools: dict[str, dict[str, Timing]],
    quality: dict[str, dict[str, dict[str, int]]],
    fig: dict[str, Timing],
) -> list[str]:
    """The issue's targets, each with the figure measured in this run."""
    rows = ["## Targets", "", "| target | verdict | figure |", "|---|---|---|"]

    def cli(name: str, kc: bool, command: str = "compare") -> float | None:
        return _t(fig.get(f"{name}|{command}|{'kc' if kc else 'no kc'}"))

    def fmt(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f} s"

    shapes = ("whole document in one clause", "one clause per paragraph")
    # key changes on: the command as shipped; off: the engine alone (the detector's cost
    # is the difference)
    for kc, on in ((True, "on, as shipped"), (False, "off")):
        for kb, limit in ((1000, 1.0), (5000, 4.0)):
            for shape in shapes:
                x = cli(f"{shape}, {kb} KB", kc)
                rows.append(
                    f"| compare to HTML, {kb // 1000} MB, {shape}, ≤ {limit:g} s "
                    f"(key changes {on}) | {_verdict(x, limit, fmt(x))} |"
                )
        for shape in shapes:
            t5 = fig.get(f"{shape}, 5000 KB|compare|{'kc' if kc else 'no kc'}")
            mb = t5.peak_mb if t5 and t5.seconds else None
            rows.append(
                f"| peak memory at 5 MB, {shape}, ≤ 200 MB (key changes {on}) "
                f"| {_verdict(mb, 200, f'{mb:.0f} MB' if mb else '–')} |"
            )
            a, b = cli(f"{shape}, 100 KB", kc), cli(f"{shape}, 5000 KB", kc)
            if a and b:
                import math

                k = math.log(b / a) / math.log(50)
                rows.append(
                    f"| growth 100 KB → 5 MB, {shape}, exponent ≤ 1.15 (key changes {on}) "
                    f"| {_verdict(k, 1.15, f'{k:.2f} ({fmt(a)} → {fmt(b)})')} |"
                )
    for kc in (True, False):
        x = cli("35 KB rewrite, one clause", kc)
        rows.append(
            f"| 35 KB rewrite in one clause, ≤ 0.5 s (key changes {'on' if kc else 'off'}) "
            f"| {_verdict(x, 0.5, fmt(x))} |"
        )
        x = cli("bundled corpus", kc)
        rows.append(
            f"| compare on the bundled corpus, ≤ 0.3 s (key changes {'on' if kc else 'off'}) "
            f"| {_verdict(x, 0.3, fmt(x))} |"
        )
    slower = []
    for name, by_tool in tools.items():
        ours, theirs = _t(by_tool.get("clausetrack")), by_tool.get("redlines 0.6.2")
        if ours is None or theirs is None:
            continue
        if theirs.seconds is not None and theirs.seconds <= ours:
            slower.append(name)
    rows.append(
        "| word diff faster than redlines on every input "
        f"| {'met' if not slower else 'NOT met'} | "
        f"{'every input' if not slower else 'slower on ' + ', '.join(slower)} |"
    )
    mb1 = tools.get("1000 KB", {})
    ours, theirs = _t(mb1.get("clausetrack")), mb1.get("redlines 0.6.2")
    if ours and theirs:
        ratio = (theirs.seconds or theirs.cap) / ours
        more = "" if theirs.seconds else "> "
        rows.append(
            "| ≥ 100× faster than redlines at 1 MB "
            f"| {'met' if ratio >= 100 else 'NOT met'} | {more}{ratio:.0f}× |"
        )
    worst = 0.0
    for name, q in quality.items():
        if (
            "clausetrack" in q
            and "git diff --word-diff" in q
            and q["git diff --word-diff"]["regions"]
        ):
            if not name.endswith("KB"):
                continue
            ours_r, git_r = q["clausetrack"]["regions"], q["git diff --word-diff"]["regions"]
            worst = max(worst, abs(ours_r - git_r) / git_r)
    rows.append(
        "| change regions within a few percent of git --word-diff (generated pairs) "
        f"| {'met' if worst <= 0.05 else 'NOT met'} | at most {worst:.1%} apart |"
    )
    split = sum(q.get("clausetrack", {}).get("split", 0) for q in quality.values())
    rows.append(f"| no split words | {'met' if not split else 'NOT met'} | {split} split words |")
    for kc in (False, True):
        tag = "kc" if kc else "no kc"
        on = "on" if kc else "off"
        x = _t(fig.get(f"report|cold|{tag}"))
        rows.append(
            f"| report 300 × 30 cold, ≤ 30 s (key changes {on}) | {_verdict(x, 30, fmt(x))} |"
        )
        x = _t(fig.get(f"report|one clause file changed|{tag}"))
        rows.append(
            f"| report 300 × 30 after one clause file changed, ≤ 3 s (key changes {on}) "
            f"| {_verdict(x, 3, fmt(x))} |"
        )
    return [*rows, ""]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores "
        f"(load average {load:.2f} at the start), Python {platform.python_version()}"
    )


# A fixed piece of pure-Python work, timed at the start and the end of a run, so that a
# reader can tell a run on shared cores from a quiet one: every figure moves with it.
MACHINE_CHECK = "sum(i * i % 7 for i in range(3_000_000))"


# The same work twice at once, in two interpreters: a comparison of a long document
# runs on both cores, and one of them can be taken while the other is free, which the
# one-process check does not show.
MACHINE_CHECK_TWICE = (
    "import subprocess, sys\n"
    f"runs = [subprocess.Popen([sys.executable, '-c', {MACHINE_CHECK!r}]) for _ in range(2)]\n"
    "sys.exit(max(r.wait() for r in runs))"
)


def check_now() -> str:
    """One run of :data:`MACHINE_CHECK_TWICE` right after a row: how fast the two cores
    were just then (the check at the start and end cannot say which rows ran slow)."""
    t = measure([sys.executable, "-c", MACHINE_CHECK_TWICE], 1, 60)
    return "–" if t.seconds is None else f"{t.seconds:.2f} s"


def machine_check() -> tuple[float, float]:
    """The median wall times of :data:`MACHINE_CHECK` in a fresh interpreter, and of two
    such interpreters at once (:data:`MACHINE_CHECK_TWICE`), 5 runs each."""
    times = []
    for code in (MACHINE_CHECK, MACHINE_CHECK_TWICE):
        t = measure([sys.executable, "-c", code], 5, 60)
        times.append(t.seconds if t.seconds is not None else float("nan"))
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 KB and 100 KB only, no CLI runs")
    parser.add_argument("--runs", type=int, default=5, help="runs per tool (median); default 5")
    parser.add_argument("--cap", type=float, default=60, help="seconds before a run is stopped")
    parser.add_argument(
        "--slow-cap", type=float, default=180, help="the cap for redlines at 1 MB and up"
    )
    parser.add_argument("--no-cli", action="store_true", help="skip the clausetrack command runs")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000, 5_000_000]
    header = [
        "# Benchmark results",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Command: `python {shlex.join(['benchmarks/run.py', *sys.argv[1:]])}`",
        "- Every figure is a whole process (start-up included), median of the runs shown;",
        "  peak memory is the child's maximum resident set size.",
        "- Inputs: the four APSL versions cycled to the size, three paragraphs moved, then a",
        "  seeded ~2% word-edit script (seed 2024). Change regions: maximal runs of changed",
        "  text, counted line by line as git's word-diff prints them (a region ends at a line",
        "  break, whitespace alone neither makes nor breaks one; redlines: its marked spans);",
        "  split words: edit boundaries that fall inside a word (must be 0).",
        "",
    ]
    compile_package()
    check_start = machine_check()
    pairs = [inputs.generated(s) for s in sizes] + inputs.heavy_rewrites()
    quality: dict[str, dict[str, dict[str, int]]] = {}
    tool_times: dict[str, dict[str, Timing]] = {}
    body = ["## Word diff, side by side", ""]
    body += compare_tools(pairs, args.runs, args.cap, args.slow_cap, tool_times, quality)
    figures: dict[str, Timing] = {}
    if not (args.quick or args.no_cli):
        body += ["", "## The `clausetrack` command on generated corpora", ""]
        body += [
            "Key changes *off*: the same command with the key-change detector switched off",
            "(the command as shipped always runs it; its cost is the difference between the",
            "*on* and *off* rows).",
            "Report runs: *cold* with no cache, *warm* with nothing changed, and *one clause*",
            "*file changed* (one word of `c150` made a word not seen before, before each",
            "run, so that no run finds its pages in the cache); the cache is",
            "`.clausetrack-cache` beside the output folder.",
            "*CPU*: user and system time of the command and of the worker processes it",
            "started: the work a row asks of the machine. CPU over wall near 2 means both",
            "cores were busy throughout; near 1, that the command worked alone on one. A",
            "slower machine check slows both (the cores themselves run slower), but only",
            "the wall time grows when the command waits for a core that other work holds.",
            "*Check after*: one run of the two-at-once machine check right after the row",
            "(see the machine check above): a row followed by a slow check ran on slow cores.",
            "",
        ]
        body += cli_runs([100_000, 1_000_000, 5_000_000], args.runs, args.cap, figures)
    check_end = machine_check()
    header[-1:-1] = [
        f'- Machine check (`python -c "{MACHINE_CHECK}"`, median of 5):',
        f"  {check_start[0]:.3f} s at the start, {check_end[0]:.3f} s at the end; two at once",
        f"  (two interpreters started together) {check_start[1]:.3f} s and {check_end[1]:.3f} s.",
        "  A slower check means the cores were shared with other work, and every figure is",
        "  slower with it. Two at once much slower than one means a core was taken: the",
        "  rows that run two processes (long documents, many clauses) suffer most.",
    ]
    targets = targets_table(tool_times, quality, figures)
    RESULTS.write_text("\n".join(header + targets + body) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
