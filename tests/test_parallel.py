"""Sharing a comparison's clauses among processes gives the very same result.

``clausetrack compare`` forks workers when a comparison is long (``clausetrack.parallel``);
these tests lower the threshold so that small corpora take that path too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_hostile import generate_corpus

from clausetrack import parallel
from clausetrack.api import FORMATS, render
from clausetrack.cli import cli
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.resources import bundled_corpus


@pytest.fixture
def always_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_WORK", 0)


def test_plan_keeps_small_work_in_one_process() -> None:
    assert parallel.plan([10, 20, 30], jobs=4) == [range(3)]
    assert parallel.plan([10**6] * 50, jobs=1) == [range(50)]
    assert parallel.plan([], jobs=4) == []


def test_plan_covers_every_item_once_in_order() -> None:
    costs = [0, 5_000, 90_000, 0, 0, 40_000, 1, 70_000, 300, 20_000] * 20
    pieces = parallel.plan(costs, jobs=2)
    assert len(pieces) > 2
    assert [i for piece in pieces for i in piece] == list(range(len(costs)))
    # no piece is much more than its share, unless one item alone is
    share = sum(costs) / (2 * 6)
    assert all(sum(costs[i] for i in p) < share + max(costs) for p in pieces)


@pytest.mark.parametrize(
    ("old", "new"), [("us-initial", "signed"), ("draft", "signed"), ("signed", "us-initial")]
)
def test_forked_comparison_equals_the_serial_one(always_fork: None, old: str, new: str) -> None:
    corpus = load_corpus(bundled_corpus())
    serial = compare(corpus, old, new, jobs=1)
    forked = compare(corpus, old, new, jobs=2)
    assert forked == serial
    for fmt in FORMATS:
        assert render(forked, fmt) == render(serial, fmt)


def test_forked_comparison_of_many_clauses_and_steps(always_fork: None, tmp_path: Path) -> None:
    corpus = load_corpus(generate_corpus(tmp_path / "c", 120, versions=4))
    serial = compare(corpus, "v0", "v3", jobs=1)
    assert compare(corpus, "v0", "v3", jobs=3) == serial
    assert compare(corpus, "v0", "v3", ["c00007", "c00011"], jobs=2) == compare(
        corpus, "v0", "v3", ["c00007", "c00011"], jobs=1
    )


def test_cli_output_is_the_same_whatever_the_jobs(always_fork: None, tmp_path: Path) -> None:
    outputs = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"redline-{jobs}.html"
        result = CliRunner().invoke(
            cli, ["compare", "us-initial", "signed", "-j", jobs, "-o", str(out)]
        )
        assert result.exit_code == 1, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("value", ["0", "-3", "many", "1.5"])
def test_bad_jobs_setting_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("CLAUSETRACK_JOBS", value)
    out = tmp_path / "redline.html"
    result = CliRunner().invoke(cli, ["compare", "us-initial", "signed", "-o", str(out)])
    assert result.exit_code == 2
    assert "CLAUSETRACK_JOBS" in result.output and "1 or more" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_jobs_option_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["compare", "us-initial", "signed", "--jobs", "0"])
    assert result.exit_code == 2
    assert "--jobs" in result.output


def test_jobs_one_in_the_environment_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSETRACK_JOBS", "1")
    monkeypatch.setattr(parallel, "MIN_WORK", 0)

    def no_fork() -> int:
        raise AssertionError("a worker was forked")

    monkeypatch.setattr(parallel.os, "fork", no_fork)
    corpus = load_corpus(bundled_corpus())
    assert compare(corpus, "us-initial", "signed", jobs=None) == compare(
        corpus, "us-initial", "signed", jobs=1
    )
