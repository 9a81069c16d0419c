"""Side-by-side benchmark: clausetrack's word diff against redlines, difflib and git.

Every tool runs in a fresh process, so the times and memory are whole-process figures
(interpreter start and imports included). Results go to benchmarks/RESULTS.md.

    python benchmarks/run.py              # everything (about ten minutes)
    python benchmarks/run.py --quick      # 10 KB and 100 KB only
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
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

    def time_text(self) -> str:
        return f"> {self.cap:g} s" if self.seconds is None else f"{self.seconds:.3f} s"


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
) -> tuple[float | None, float, int]:
    """Wall time (None past the cap), peak resident memory in MB, and exit status.

    Memory is the child's own high-water mark, sampled every millisecond (the rusage of a
    child counts the parent's pages from before the exec, so it is not used).
    """
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    peak = 0.0
    elapsed: float | None = None
    while True:
        peak = max(peak, _hwm(proc.pid))
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            elapsed = time.perf_counter() - start
            break
        if time.perf_counter() - start > cap:
            proc.kill()
            _, status = os.waitpid(proc.pid, 0)
            break
        time.sleep(0.001)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()  # type: ignore[union-attr]
    return elapsed, peak, proc.returncode


def measure(cmd: list[str], runs: int, cap: float, stdout: Path | None = None) -> Timing:
    times: list[float] = []
    peak = 0.0
    status = 0
    for n in range(runs):
        t, mb, status = run_once(cmd, cap, stdout)
        peak = max(peak, mb)
        if t is None:
            return Timing(None, peak, n + 1, cap, status)
        times.append(t)
        if t > 10:  # a slow tool: one run is enough to make the point
            break
    return Timing(statistics.median(times), peak, len(times), cap, status)


# --- quality ---------------------------------------------------------------------------

WORD = re.compile(r"\w+")


def ops_quality(ops: list[tuple[str, str]]) -> dict[str, int]:
    regions = sum(
        1 for n, (k, _) in enumerate(ops) if k != "equal" and (n == 0 or ops[n - 1][0] == "equal")
    )
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


def compare_tools(pairs: list[inputs.Pair], runs: int, cap: float, slow_cap: float) -> list[str]:
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
            if tool == "clausetrack":
                base = t.seconds
            if t.seconds and base:
                ratio = f"{t.seconds / base:.1f}×"
            else:
                ratio = f"> {tool_cap / base:.0f}×" if base else ""
            quality = f"{q['regions']} | {q['words']} | {q['split']}" if q else "– | – | –"
            rows.append(
                f"| {pair.name} | {tool} | {t.time_text()} | {t.runs} | {t.peak_mb:.0f} MB "
                f"| {ratio} | {quality} |"
            )
            print(rows[-1], flush=True)
        if pair.edits:
            rows.append(
                f"| {pair.name} | *edit script* | | | | "
                f"| {pair.edits} word edits + {pair.moves} moves | | |"
            )
    return rows


def cli_runs(sizes: list[int], runs: int, cap: float) -> list[str]:
    if not CLAUSETRACK.exists():
        return ["(the `clausetrack` command is not installed in this environment)"]
    rows = [
        "| corpus | command | wall (median) | runs | peak memory | exit |",
        "|---|---|---|---|---|---|",
    ]
    jobs: list[tuple[str, Path, list[str]]] = []
    for size in sizes:
        root = WORK / f"corpus-whole-{size // 1000}k"
        shutil.rmtree(root, ignore_errors=True)
        inputs.corpus_whole(root, inputs.generated(size))
        jobs.append(
            (f"whole document in one clause, {size // 1000} KB", root, ["compare", "v1", "v2"])
        )
        root = WORK / f"corpus-paras-{size // 1000}k"
        shutil.rmtree(root, ignore_errors=True)
        inputs.corpus_paragraphs(root, size)
        jobs.append((f"one clause per paragraph, {size // 1000} KB", root, ["compare", "v1", "v2"]))
    root = WORK / "corpus-history"
    shutil.rmtree(root, ignore_errors=True)
    inputs.corpus_history(root)
    jobs.append(("300 clauses × 30 versions", root, ["compare", "v01", "v30"]))
    jobs.append(("300 clauses × 30 versions", root, ["report", "-o", str(WORK / "report")]))
    for name, root, args in jobs:
        extra = [] if args[0] == "report" else ["-o", str(WORK / "redline.html")]
        cmd = [str(CLAUSETRACK), *args, *extra, "--corpus", str(root)]
        t = measure(cmd, runs, cap)
        shown_args = ["report", "-o", "site/"] if args[0] == "report" else [*args, "-o", "out.html"]
        shown = " ".join(["clausetrack", *shown_args, "--corpus", "DIR"])
        rows.append(
            f"| {name} | `{shown}` | {t.time_text()} | {t.runs} | {t.peak_mb:.0f} MB "
            f"| {'stopped' if t.seconds is None else t.status} |"
        )
        print(rows[-1], flush=True)
    return rows


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
        "  text; split words: edit boundaries that fall inside a word (must be 0).",
        "",
        "## Word diff, side by side",
        "",
    ]
    pairs = [inputs.generated(s) for s in sizes] + inputs.heavy_rewrites()
    body = compare_tools(pairs, args.runs, args.cap, args.slow_cap)
    if not (args.quick or args.no_cli):
        body += ["", "## The `clausetrack` command on generated corpora", ""]
        body += cli_runs([100_000, 1_000_000], min(args.runs, 3), args.cap)
    RESULTS.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
