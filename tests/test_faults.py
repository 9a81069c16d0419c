"""Faults while writing: output is atomic, stays where it was asked to go, and survives
interruption.

* ``compare -o`` and ``report -o`` write a temporary file (folder) beside the target and
  rename it over; a reader never sees half a file.
* Nothing is written into the corpus folder, and nothing through a symbolic link that
  leads out of the output folder.
* A full disk (``ENOSPC`` from ``os.open``/``os.write``/``open``, simulated with
  monkeypatch), or SIGINT/SIGTERM mid-run (a real subprocess on a generated corpus, held
  at a chosen point by a small hook so that the signal lands mid-run every time), leaves
  the previous output as it was, no temporary files behind, and the corpus untouched.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from test_hostile import BASE, generate_corpus, snapshot

from clausetrack.cli import cli

PREVIOUS = "previous output\n"


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders a write left behind (ours start with a dot). The
    report's cache folder is meant to stay, and is not a leftover."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".") and p.name != ".clausetrack-cache"
    )


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_failed_cleanly(result: Result, message: str) -> None:
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, repr(result.exception)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.stderr, result.stderr


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(BASE, root)
    return root


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "redline.html").write_text(PREVIOUS, encoding="utf-8")
    return folder


# --------------------------------------------------------------------- atomic rename


def test_compare_output_appears_by_one_rename(
    corpus: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the rename the target holds the previous output; the new file is complete
    in a temporary file in the same folder (same file system, so the rename is atomic)."""
    target = out / "redline.html"
    seen: list[tuple[Path, Path, str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(
            (Path(src), Path(dst), Path(dst).read_text("utf-8"), Path(src).read_text("utf-8"))
        )
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    result = invoke("compare", "one", "two", "--corpus", str(corpus), "-o", str(target))
    assert result.exit_code == 1, result.output
    assert len(seen) == 1
    src, dst, before, staged = seen[0]
    assert dst == target and src.parent == target.parent and src != target
    assert before == PREVIOUS
    assert staged == target.read_text("utf-8")
    assert staged.rstrip().endswith("</html>")
    assert leftovers(out) == []


# --------------------------------------------------------------------- a full disk


class FullDisk:
    """From the ``fail_at``-th write-ish call on (a file opened or created for writing,
    or bytes written), raise ``OSError(ENOSPC)``, as a full disk does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
        self.calls = 0
        self.fail_at = fail_at
        real_os_open, real_write, real_fdopen = os.open, os.write, os.fdopen
        real_open = builtins.open

        def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                self.tick()
            return real_os_open(path, flags, *args, **kwargs)

        def os_write(fd: int, data: Any) -> int:
            self.tick()
            return real_write(fd, data)

        def py_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if any(c in mode for c in "wax+"):
                self.tick()
            return real_open(file, mode, *args, **kwargs)

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            return _Failing(real_fdopen(fd, *args, **kwargs), self)

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "write", os_write)
        monkeypatch.setattr(os, "fdopen", fdopen)
        monkeypatch.setattr(builtins, "open", py_open)
        monkeypatch.setattr(io, "open", py_open)

    def tick(self) -> None:
        self.calls += 1
        if self.calls >= self.fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _Failing:
    """A file object whose writes count towards the full disk."""

    def __init__(self, handle: Any, disk: FullDisk) -> None:
        self._handle = handle
        self._disk = disk

    def write(self, data: Any) -> int:
        self._disk.tick()
        return int(self._handle.write(data))

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.mark.parametrize("fail_at", [1, 2], ids=["creating", "writing"])
@pytest.mark.parametrize("name", ["redline.html", "new.json"])
def test_compare_on_a_full_disk_leaves_the_previous_output(
    corpus: Path, out: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int, name: str
) -> None:
    target = out / name
    existed = target.exists()
    before_corpus, before_out = snapshot(corpus), snapshot(out)
    FullDisk(monkeypatch, fail_at)
    result = invoke("compare", "one", "two", "--corpus", str(corpus), "-o", str(target))
    monkeypatch.undo()
    assert_failed_cleanly(result, f"Error: cannot write {target}: No space left on device")
    assert target.exists() == existed
    assert snapshot(out) == before_out
    assert leftovers(out) == []
    assert snapshot(corpus) == before_corpus


@pytest.fixture
def previous_site(corpus: Path, tmp_path: Path) -> Path:
    pytest.importorskip("clausetrack.report", reason="clausetrack.report is not written yet")
    site = tmp_path / "site" / "report"
    result = invoke("report", "--corpus", str(corpus), "-o", str(site))
    assert result.exit_code == 0, result.output
    (site / "index.html").write_text("previous report\n", encoding="utf-8")
    return site


@pytest.mark.parametrize("fail_at", [1, 3, 9])
def test_report_on_a_full_disk_leaves_the_previous_report(
    corpus: Path, previous_site: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    before_corpus, before_site = snapshot(corpus), snapshot(previous_site)
    disk = FullDisk(monkeypatch, fail_at)
    result = invoke("report", "--corpus", str(corpus), "-o", str(previous_site))
    monkeypatch.undo()
    assert disk.calls >= fail_at, "the disk never filled up: the test did not test"
    assert_failed_cleanly(result, "No space left on device")
    assert snapshot(previous_site) == before_site
    assert leftovers(previous_site.parent) == []
    assert snapshot(corpus) == before_corpus


# --------------------------------------------------------------------- where output goes


def test_compare_without_output_writes_nothing_into_the_corpus(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(corpus)
    monkeypatch.chdir(corpus)
    monkeypatch.delenv("CLAUSETRACK_CORPUS", raising=False)
    for fmt in ("html", "text", "markdown", "json"):
        result = invoke("compare", "one", "two", "--format", fmt)
        assert result.exit_code == 1, result.output
        assert result.stdout
    assert snapshot(corpus) == before


def test_compare_open_writes_outside_the_corpus(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    monkeypatch.chdir(corpus)
    before = snapshot(corpus)
    result = invoke("compare", "one", "two", "--corpus", str(corpus), "--open")
    assert result.exit_code == 1, result.output
    assert len(opened) == 1
    path = Path(opened[0].removeprefix("file://"))
    try:
        assert path.is_file()
        assert corpus.resolve() not in path.resolve().parents
    finally:
        path.unlink(missing_ok=True)
    assert snapshot(corpus) == before


def test_report_default_output_is_not_the_corpus(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("clausetrack.report", reason="clausetrack.report is not written yet")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = snapshot(corpus)
    result = invoke("report", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert (work / "build" / "report" / "index.html").is_file()
    assert snapshot(corpus) == before


@pytest.mark.parametrize("where", [".", "..", "clauses/.."])
def test_report_refuses_to_replace_the_corpus(corpus: Path, where: str) -> None:
    pytest.importorskip("clausetrack.report", reason="clausetrack.report is not written yet")
    before = snapshot(corpus.parent)
    result = invoke("report", "--corpus", str(corpus), "-o", str(corpus / where))
    assert_failed_cleanly(result, "corpus")
    assert snapshot(corpus.parent) == before


# --------------------------------------------------------------------- symbolic links


def test_compare_replaces_a_link_and_never_writes_through_it(
    corpus: Path, out: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.html"
    victim.write_text("not yours\n", encoding="utf-8")
    link = out / "linked.html"
    link.symlink_to(Path("..") / "outside" / "victim.html")
    result = invoke("compare", "one", "two", "--corpus", str(corpus), "-o", str(link))
    assert result.exit_code in (1, 2), result.output
    assert victim.read_text("utf-8") == "not yours\n"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.html"]
    if result.exit_code == 1:  # written: the link itself was replaced by the redline
        assert not link.is_symlink()
        assert link.read_text("utf-8").rstrip().endswith("</html>")
    assert leftovers(out) == []


def test_report_never_writes_through_links(
    corpus: Path, previous_site: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "clauses").mkdir(parents=True)
    victim = outside / "index.html"
    victim.write_text("not yours\n", encoding="utf-8")
    shutil.rmtree(previous_site / "clauses")
    (previous_site / "clauses").symlink_to(outside / "clauses", target_is_directory=True)
    (previous_site / "index.html").unlink()
    (previous_site / "index.html").symlink_to(victim)
    before = snapshot(outside)
    result = invoke("report", "--corpus", str(corpus), "-o", str(previous_site))
    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert not (previous_site / "index.html").is_symlink()
    assert not (previous_site / "clauses").is_symlink()


def test_report_refuses_an_output_folder_that_is_a_link(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("clausetrack.report", reason="clausetrack.report is not written yet")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine\n", encoding="utf-8")
    link = tmp_path / "site"
    link.symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    result = invoke("report", "--corpus", str(corpus), "-o", str(link))
    assert_failed_cleanly(result, "symbolic link")
    assert snapshot(outside) == before


# --------------------------------------------------------------------- signals mid-run

# Imported before clausetrack by the child process: holds it at one point of its work
# (CT_PAUSE=what:n, the n-th time) and says so on stderr, so that the test's signal lands
# mid-run every time, however fast or slow the machine.
PAUSE_HOOK = textwrap.dedent("""
    import os, sys, time

    what, n = os.environ["CT_PAUSE"].split(":")
    n, seen = int(n), [0]

    def pause():
        seen[0] += 1
        if seen[0] == n:
            sys.stderr.write("CT-PAUSED\\n")
            sys.stderr.flush()
            time.sleep(600)

    if what == "render":  # compared, nothing written yet
        import clausetrack.formats as formats
        real_json = formats.json_pieces
        def json_pieces(*args, **kwargs):
            pause()
            yield from real_json(*args, **kwargs)
        formats.json_pieces = json_pieces
    elif what == "fsync":  # the temporary file is complete, not yet renamed
        real_fsync = os.fsync
        def fsync(fd):
            real_fsync(fd)
            pause()
        os.fsync = fsync
    elif what == "worker":  # comparing in forked workers (every worker holds)
        import clausetrack.compare as compare
        import clausetrack.parallel as parallel

        parallel.MIN_WORK = 0
        parent, real_pack = os.getpid(), compare._pack
        def pack(*args):
            if os.getpid() != parent:
                with open(os.environ["CT_PIDS"], "a") as pids:
                    pids.write(f"{os.getpid()}\\n")
                pause()
            return real_pack(*args)
        compare._pack = pack
    elif what == "create":  # files being created: part of a report written
        real_open = os.open
        def os_open(path, flags, *args, **kwargs):
            fd = real_open(path, flags, *args, **kwargs)
            if flags & os.O_CREAT and not str(path).endswith(".pyc"):
                pause()
            return fd
        os.open = os_open
""")
LAUNCH = (
    "import ct_pause_hook, runpy; "
    "runpy.run_module('clausetrack', run_name='__main__', alter_sys=True)"
)
HANG_GUARD = 300  # seconds: only a hung child ever waits this long


def run_interrupted(
    args: list[str], pause: str, sig: int, hook_dir: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m clausetrack ARGS``, wait until it is held at ``pause``, send ``sig``."""
    env = {
        **os.environ,
        "CT_PAUSE": pause,
        "PYTHONPATH": str(hook_dir),
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    err: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err.append(line)
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while True:
            line = lines.get(timeout=HANG_GUARD)
            if line is None:
                pytest.fail(f"the run ended before it reached {pause}:\n{''.join(err)}")
            if line.strip() == "CT-PAUSED":
                break
        proc.send_signal(sig)
        proc.wait(timeout=HANG_GUARD)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=HANG_GUARD)
    assert proc.stdout is not None
    stdout = proc.stdout.read()  # nothing much: every run here writes to -o
    stderr = "".join(err).replace("CT-PAUSED\n", "")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_corpus(tmp_path_factory.mktemp("big") / "corpus", 300, versions=3)


@pytest.fixture(scope="module")
def site_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_corpus(tmp_path_factory.mktemp("mid") / "corpus", 30, versions=3)


@pytest.fixture
def hook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "ct_pause_hook.py").write_text(PAUSE_HOOK, encoding="utf-8")
    return folder


SIGNALS = [signal.SIGINT, signal.SIGTERM]


def signal_ids(sig: int) -> str:
    return signal.Signals(sig).name


@pytest.mark.parametrize("sig", SIGNALS, ids=signal_ids)
@pytest.mark.parametrize("pause", ["render:1", "fsync:1"], ids=["computing", "writing"])
def test_interrupted_compare_leaves_the_previous_output(
    big_corpus: Path, tmp_path: Path, hook_dir: Path, sig: int, pause: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "redline.json"
    target.write_text(PREVIOUS, encoding="utf-8")
    before = snapshot(big_corpus)
    proc = run_interrupted(
        ["compare", "v0", "v2", "--corpus", str(big_corpus), "-o", str(target)],
        pause,
        sig,
        hook_dir,
        tmp_path,
    )
    assert target.read_text("utf-8") == PREVIOUS
    assert snapshot(big_corpus) == before
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["redline.json"]
    assert_interrupted_cleanly(proc, out)


@pytest.mark.parametrize("sig", SIGNALS, ids=signal_ids)
def test_interrupted_forked_compare_stops_its_workers(
    big_corpus: Path, tmp_path: Path, hook_dir: Path, sig: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"
    monkeypatch.setenv("CLAUSETRACK_JOBS", "2")
    monkeypatch.setenv("CT_PIDS", str(pids))
    out = tmp_path / "out"
    out.mkdir()
    target = out / "redline.html"
    target.write_text(PREVIOUS, encoding="utf-8")
    proc = run_interrupted(
        ["compare", "v0", "v2", "--corpus", str(big_corpus), "-o", str(target)],
        "worker:1",
        sig,
        hook_dir,
        tmp_path,
    )
    assert target.read_text("utf-8") == PREVIOUS
    assert_interrupted_cleanly(proc, out)
    workers = [int(line) for line in pids.read_text().split()]
    assert workers, "no worker was started"
    assert [pid for pid in workers if alive(pid)] == [], "workers outlived the command"


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def assert_interrupted_cleanly(proc: subprocess.CompletedProcess[str], out: Path) -> None:
    """An interrupted run says so by its exit status (never 0, "no differences", or 1,
    "differences"), shows no traceback, and leaves no temporary files."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode not in (0, 1), (
        f"exit status {proc.returncode} after a signal reads as a finished comparison; "
        f"stderr: {proc.stderr!r}"
    )
    assert leftovers(out) == [], "temporary files left behind"


@pytest.mark.parametrize("sig", SIGNALS, ids=signal_ids)
def test_interrupted_report_leaves_the_previous_report(
    site_corpus: Path, tmp_path: Path, hook_dir: Path, sig: int
) -> None:
    pytest.importorskip("clausetrack.report", reason="clausetrack.report is not written yet")
    site = tmp_path / "out" / "site"
    result = invoke("report", "--corpus", str(site_corpus), "-o", str(site))
    assert result.exit_code == 0, result.output
    before_site, before_corpus = snapshot(site), snapshot(site_corpus)
    proc = run_interrupted(
        ["report", "--corpus", str(site_corpus), "-o", str(site)],
        "create:6",
        sig,
        hook_dir,
        tmp_path,
    )
    assert snapshot(site) == before_site
    assert snapshot(site_corpus) == before_corpus
    assert_interrupted_cleanly(proc, site.parent)
