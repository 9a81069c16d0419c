"""The command line as a user drives it: exit codes, exact error text, formats, files."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from clausetrack.cli import cli
from clausetrack.resources import bundled_corpus

BUNDLED = bundled_corpus()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv("CLAUSETRACK_CORPUS", raising=False)
    monkeypatch.chdir(tmp_path)  # not a corpus: the bundled one is used
    return CliRunner()


def test_compare_with_differences_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["compare", "us-initial", "signed", "--no-color"])
    assert result.exit_code == 1, result.output
    assert "[-" in result.stdout and "{+" in result.stdout
    assert "Redline" not in result.stderr


def test_compare_same_version_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["compare", "signed", "signed"])
    assert result.exit_code == 0, result.output
    assert "[-" not in result.stdout and "{+" not in result.stdout


def test_unknown_version_is_one_error_line_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["compare", "us-inital", "signed"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no version 'us-inital' in {BUNDLED}; "
        "valid ids: draft, revised-terms, signed, us-initial\n"
    )


def test_unknown_clause_lists_the_valid_ids(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["compare", "draft", "signed", "--clause", "nope"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: no clause 'nope' in {BUNDLED}; valid ids: ")
    assert "security-guarantees" in result.stderr
    assert "Traceback" not in result.output


def test_clause_filter_keeps_only_that_clause(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["compare", "draft", "signed", "--clause", "fund-management", "--format", "json"]
    )
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["clauses"]] == ["fund-management"]


def test_output_suffix_picks_the_format_and_writes_atomically(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["compare", "us-initial", "signed", "-o", "redline.html"])
    assert result.exit_code == 1, result.output
    html = (tmp_path / "redline.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert result.stderr == "Wrote redline.html (13 clauses).\n"
    assert [p.name for p in tmp_path.iterdir()] == ["redline.html"]  # no temp file left


@pytest.mark.parametrize(
    "name,check",
    [
        ("out.json", lambda s: json.loads(s)["schema"] == "clausetrack/compare/1"),
        ("out.md", lambda s: s.startswith("# Redline:")),
        ("out.txt", lambda s: "[-" in s and "\x1b[" not in s),
    ],
)
def test_other_suffixes(runner: CliRunner, tmp_path: Path, name: str, check: object) -> None:
    result = runner.invoke(cli, ["compare", "us-initial", "signed", "-o", name])
    assert result.exit_code == 1, result.output
    assert callable(check) and check((tmp_path / name).read_text(encoding="utf-8"))


def test_output_into_a_missing_folder_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["compare", "draft", "signed", "-o", "no/such/out.html"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: cannot write no/such/out.html: the folder no/such does not exist; create it first\n"
    )


def test_corpus_from_environment_and_current_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "elsewhere"
    monkeypatch.setenv("CLAUSETRACK_CORPUS", str(missing))
    result = runner.invoke(cli, ["compare", "draft", "signed"])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "Traceback" not in result.output


def test_check_bundled_corpus_is_clean(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{BUNDLED}: OK\n"


def test_list_names_versions_and_clauses(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    for vid in ("us-initial", "revised-terms", "draft", "signed", "security-guarantees"):
        assert vid in result.stdout


def test_text_is_coloured_only_on_request(runner: CliRunner) -> None:
    plain = runner.invoke(cli, ["compare", "us-initial", "signed"])
    assert "\x1b[" not in plain.stdout  # CliRunner is not a terminal


def walk(group: click.Group) -> list[click.Command]:
    return [group, *group.commands.values()]


def test_every_command_has_help(runner: CliRunner) -> None:
    for command in walk(cli):
        assert command.help and len(command.help) > 40, command.name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.name} has no help"
    result = runner.invoke(cli, ["compare", "--help"])
    assert result.exit_code == 0 and "Exit status" in result.stdout


def test_material_only_keeps_clauses_with_key_changes_and_says_so(runner: CliRunner) -> None:
    full = json.loads(
        runner.invoke(cli, ["compare", "us-initial", "signed", "--format", "json"]).stdout
    )
    result = runner.invoke(
        cli, ["compare", "us-initial", "signed", "--material-only", "--format", "json"]
    )
    assert result.exit_code == 1  # the versions differ, whatever is shown
    data = json.loads(result.stdout)
    material = [c["id"] for c in full["clauses"] if c["key_changes"]]
    assert [c["id"] for c in data["clauses"]] == material
    assert data["summary"]["clauses"] == full["summary"]["clauses"]
    n, total = len(material), len(full["clauses"])
    assert data["summary"]["shown"] == (
        f"Showing the {n} of {total} compared clauses that have key changes."
    )
    assert full["summary"]["shown"] is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["compare", "us-initial", "signed", "--format", "json"], 1),
        (["compare", "signed", "signed", "--format", "markdown"], 0),
        (["compare", "us-initial", "nope"], 2),
        (["check"], 0),
    ],
)
def test_console_script_gives_all_output_and_the_exit_status(
    runner: CliRunner, args: list[str], code: int
) -> None:
    """The real entry point leaves without freeing its heap (``cli._leave``): its output
    through a pipe must still be whole, and its exit status diff(1)'s, exactly as the
    same command gives in process."""
    import subprocess
    import sys

    expected = runner.invoke(cli, args)
    run = subprocess.run(
        [sys.executable, "-m", "clausetrack", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert run.returncode == code == expected.exit_code, run.stderr
    assert run.stdout == expected.stdout
    assert run.stderr == expected.stderr
    if code == 1:
        assert json.loads(run.stdout)["clauses"]


# Runs the console script with a count of the cyclic collector's passes, printed as the
# process leaves (through os._exit, as cli._leave does).
_COUNT_COLLECTIONS = """
import gc, os, sys
passes = []
gc.callbacks.append(lambda phase, info: passes.append(1) if phase == "start" else None)
leave = os._exit
def counted(code):
    if os.getpid() == parent:
        sys.stderr.write(f"collections: {len(passes)}\\n")
        sys.stderr.flush()
    leave(code)
parent = os.getpid()
os._exit = counted
sys.argv[0] = "clausetrack"
from clausetrack.cli import main
passes.clear()  # those while importing do not count
main()
"""


@pytest.mark.parametrize(
    ("args", "collects"),
    [(["compare", "us-initial", "signed", "--format", "json"], False), (["report"], True)],
)
def test_console_script_collects_garbage_cycles_in_the_report_only(
    args: list[str], collects: bool, tmp_path: Path
) -> None:
    """A comparison is one command, then the process ends: the cyclic collector, which
    would only walk its objects again and again, is off (cli.main). The report's hundreds
    of pages leave objects in cycles behind, so there it stays on."""
    import subprocess
    import sys

    out = ["-o", str(tmp_path / "site")] if args[0] == "report" else []
    run = subprocess.run(
        [sys.executable, "-c", _COUNT_COLLECTIONS, *args, *out],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr
    counts = [line for line in run.stderr.splitlines() if line.startswith("collections: ")]
    assert counts, run.stderr
    passes = int(counts[-1].split()[-1])
    assert (passes > 0) is collects, run.stderr
