"""Sharing a comparison's clauses among processes gives the very same result.

``clausetrack compare`` forks workers when a comparison is long (``clausetrack.parallel``);
these tests lower the threshold so that small corpora take that path too.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from test_hostile import generate_corpus
from test_keychanges import EVAL

from clausetrack import corpus as corpus_module
from clausetrack import keychanges, parallel
from clausetrack.api import FORMATS, render
from clausetrack.cli import cli
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.keychanges import find_key_changes
from clausetrack.model import KeyChange
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


def _labelled_pairs() -> list[tuple[str, str]]:
    root = Path(__file__).parent / "data"
    pairs = []
    for name in ("key_changes.yaml", "key_changes_holdout.yaml"):
        for item in yaml.safe_load((root / name).read_text(encoding="utf-8")):
            pairs.append((item["old"], item["new"]))
    return pairs


def test_key_changes_read_in_two_processes_equal_those_read_in_one(
    always_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long clause's two sides are read by two workers; what comes back must be what
    one process reads, to the state of every sentence afterwards."""
    pairs = _labelled_pairs()
    # one long clause too: all the labelled texts end to end, changed in many places
    pairs.append(("\n\n".join(o for o, _ in pairs), "\n\n".join(n for _, n in pairs)))
    refs = ["Article 1", "Section 2"]
    spans = [EVAL.redline(old, new, "ukraine", "draft") for old, new in pairs]

    def findings() -> list[tuple[KeyChange, ...]]:
        return [find_key_changes(*p, s, known_refs=refs) for p, s in zip(pairs, spans, strict=True)]

    with parallel.limited(1):
        expected = findings()
    forked_reads = []
    real = keychanges._read_sides

    def both_ways(old: Any, new: Any) -> Any:
        if not parallel.would_fork([len(old[0]), len(new[0])]):
            return real(old, new)  # one side is empty: nothing to share
        copies = copy.deepcopy((old, new))
        with parallel.limited(1):
            serial = real(*copies)
        forked = real(old, new)
        assert forked == serial
        assert (old[1], new[1]) == (copies[0][1], copies[1][1])  # the sentences after
        forked_reads.append(1)
        return forked

    monkeypatch.setattr(keychanges, "_read_sides", both_ways)
    found = findings()
    assert found == expected
    assert sum(map(len, found)) > 300  # findings of every kind were compared
    assert len(forked_reads) > len(pairs) * 3 // 4


def test_compare_with_one_job_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """``compare(jobs=1)`` holds for what it calls in turn: a long clause's diff and key
    changes stay in this process too."""
    monkeypatch.setattr(parallel, "MIN_WORK", 0)

    def no_fork() -> int:
        raise AssertionError("a worker was forked")

    corpus = load_corpus(bundled_corpus())
    expected = compare(corpus, "us-initial", "signed", jobs=2)
    monkeypatch.setattr(parallel.os, "fork", no_fork)
    assert compare(corpus, "us-initial", "signed", jobs=1) == expected


def test_jobs_one_on_the_command_line_never_forks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``-j 1`` keeps reading the corpus in one process too, however many files it has."""
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(corpus_module, "PARALLEL_FILES", 0)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    outputs = []
    for jobs in ("2", "1"):
        out = tmp_path / f"redline-{jobs}.html"
        result = CliRunner().invoke(
            cli, ["compare", "us-initial", "signed", "-j", jobs, "-o", str(out)]
        )
        assert result.exit_code == 1, result.output
        outputs.append(out.read_bytes())

        def no_fork() -> int:
            raise AssertionError("a worker was forked")

        monkeypatch.setattr(parallel.os, "fork", no_fork)  # for the second run
    assert outputs[0] == outputs[1]


# --- work done ahead by a worker ---------------------------------------------------


def _children() -> set[str]:
    """The pids of this process's children (Linux's /proc; forking is Linux's here)."""
    listing = Path(f"/proc/self/task/{os.getpid()}/children")
    if not listing.exists():
        pytest.skip("this kernel does not list a process's children")
    return set(listing.read_text().split())


def test_work_ahead_is_done_by_a_worker_while_this_process_goes_on(always_fork: None) -> None:
    with parallel.ahead(os.getpid, 10, jobs=2) as result:
        worker = result()
        assert worker != os.getpid()
        assert result() == worker  # asked again: the same answer, not a second run


def test_work_ahead_raises_its_error_where_its_result_is_asked_for(always_fork: None) -> None:
    def fails() -> int:
        raise ValueError("no such clause")

    with parallel.ahead(fails, 10, jobs=2) as result, pytest.raises(ValueError, match="no such"):
        result()


def test_work_ahead_never_asked_for_leaves_no_worker_behind(always_fork: None) -> None:
    before = _children()
    with parallel.ahead(functools.partial(time.sleep, 30), 10, jobs=2):
        assert len(_children() - before) == 1  # a worker at work
    assert _children() == before  # stopped and reaped when the block ends, not 30 s later


def _touch_and_return(folder: Path, name: str) -> str:
    (folder / name).touch()
    return name


def test_shared_work_starts_before_its_first_result_is_asked_for(
    always_fork: None, tmp_path: Path
) -> None:
    before = _children()
    names = ["a", "b", "c", "d"]
    results = parallel.map_ordered(
        functools.partial(_touch_and_return, tmp_path), names, [1] * 4, jobs=2
    )
    assert len(_children() - before) == 2  # forked by the call
    deadline = time.monotonic() + 30
    while len(list(tmp_path.iterdir())) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)  # nothing asked for yet: the workers do every piece meanwhile
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert list(results) == names  # then the results, in order
    assert _children() == before


def test_shared_work_closed_unread_leaves_no_worker_behind(always_fork: None) -> None:
    before = _children()
    results = parallel.map_ordered(time.sleep, [30.0, 30.0], [1, 1], jobs=2)
    assert len(_children() - before) == 2
    results.close()  # before any result was asked for
    assert _children() == before  # stopped and reaped now, not 30 s later


def test_work_ahead_that_would_not_pay_is_done_here() -> None:
    with parallel.ahead(os.getpid, 10) as result:  # far under MIN_WORK
        assert result() == os.getpid()
    with parallel.ahead(os.getpid, 10**9, jobs=1) as result:
        assert result() == os.getpid()


def test_key_changes_of_a_long_clause_split_ahead_by_a_worker_are_the_same(
    always_fork: None,
) -> None:
    """While a long clause is diffed, a worker splits its texts into sentences and checks
    its cross-references; the detector then takes that work and finds the same."""
    pairs = _labelled_pairs()
    old, new = "\n\n".join(o for o, _ in pairs), "\n\n".join(n for _, n in pairs)
    assert len(old) + len(new) > keychanges._LARGE
    spans = EVAL.redline(old, new, "ukraine", "draft")

    def no_split(text: str, tokens: bool = True) -> list[Any]:
        raise AssertionError("this process split a text the worker had split")

    for refs in (["Article 1", "Section 2"], None):
        with parallel.limited(1):
            expected = find_key_changes(old, new, spans, known_refs=refs)
        assert expected
        with parallel.limited(2), keychanges.reading_ahead(old, new, refs):
            with pytest.MonkeyPatch.context() as m:
                m.setattr(keychanges, "_split_sentences", no_split)
                found = find_key_changes(old, new, spans, known_refs=refs)
            other = find_key_changes(old, new, spans, known_refs=["Annex 9"])
        assert found == expected
        # a call with other labels (or texts) inside the block did its own work
        with parallel.limited(1):
            assert other == find_key_changes(old, new, spans, known_refs=["Annex 9"])


def test_comparison_of_long_clauses_with_work_ahead_equals_the_serial_one(
    always_fork: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one changed clause: its diff and key changes are this process's, a worker ahead
    corpus = load_corpus(generate_corpus(tmp_path / "c", 2, versions=3, words=4000))
    taken = []
    real = keychanges._taken_ahead

    def noted(*args: Any) -> Any:
        found = real(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(keychanges, "_taken_ahead", noted)
    serial = compare(corpus, "v0", "v2", ["c00001"], jobs=1)
    assert taken == [False]
    assert compare(corpus, "v0", "v2", ["c00001"], jobs=2) == serial
    assert taken == [False, True]
