"""The report's cache: it may only ever save time, never change a byte of the site."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from clausetrack import compare as compare_module
from clausetrack.cache import CACHE_DIR, Cache
from clausetrack.corpus import load_corpus
from clausetrack.diff import diff_words
from clausetrack.model import Clause, ClauseText, KeyChange, Span, WordStats
from clausetrack.report import write_report
from clausetrack.resources import bundled_corpus


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(bundled_corpus(), root)
    return root


def report(corpus_dir: Path, out: Path, *, cache: bool = True) -> dict[str, bytes]:
    write_report(load_corpus(corpus_dir), out, cache=cache)
    return snapshot(out)


def edit_one_clause(corpus_dir: Path) -> str:
    """Change one word of one clause file; return the clause id."""
    path = sorted((corpus_dir / "clauses").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    at = text.rindex(" the ")
    path.write_text(text[:at] + " THE " + text[at + 5 :], encoding="utf-8")
    return path.stem


def test_cold_warm_and_one_clause_changed_give_the_bytes_of_an_uncached_run(
    corpus_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build" / "site"
    cold = report(corpus_dir, out)
    assert (tmp_path / "build" / CACHE_DIR).is_dir()  # beside the output, not inside it
    assert not any(CACHE_DIR in name for name in cold)
    assert report(corpus_dir, tmp_path / "plain" / "site", cache=False) == cold
    assert report(corpus_dir, out) == cold  # warm: every page from the cache

    clause = edit_one_clause(corpus_dir)
    changed = report(corpus_dir, out)
    fresh = report(corpus_dir, tmp_path / "fresh" / "site", cache=False)
    assert changed == fresh
    assert changed[f"clauses/{clause}.html"] != cold[f"clauses/{clause}.html"]
    assert b" THE " in changed[f"clauses/{clause}.html"]


def test_a_template_change_is_never_served_from_the_cache(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report(corpus_dir, out)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "custom.css").write_text(".ours { color: #123456; }\n", encoding="utf-8")
    write_report(load_corpus(corpus_dir), out, template_dir=templates)
    assert ".ours { color: #123456; }" in (out / "index.html").read_text(encoding="utf-8")


def test_key_changes_on_or_off_are_cached_apart(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    with_keys = report(corpus_dir, out)
    monkeypatch.setattr(compare_module, "_key_change_finder", lambda: None)
    without = report(corpus_dir, out)
    assert without == report(corpus_dir, tmp_path / "plain" / "site", cache=False)
    monkeypatch.undo()
    assert report(corpus_dir, out) == with_keys


def test_damaged_entries_are_ignored_and_rebuilt(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    entries = sorted(p for p in (tmp_path / CACHE_DIR).rglob("*") if p.is_file())
    assert any("/pages/" in p.as_posix() for p in entries)
    assert any("/diffs/" in p.as_posix() for p in entries)
    for n, path in enumerate(entries):
        data = path.read_bytes()
        if n % 3 == 0:
            path.write_bytes(data[: len(data) // 2])  # truncated
        elif n % 3 == 1:
            path.write_bytes(data.replace(b"e", b"E", 3))  # altered
        else:
            path.write_bytes(b"")  # emptied
    assert report(corpus_dir, out) == cold
    assert report(corpus_dir, out) == cold  # and the rebuilt entries serve again


def test_a_page_damaged_after_it_was_found_is_made_again(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run first asks only whether each page is in the cache, and reads (and checks)
    each as it writes it: holding them all was most of its memory. A page that is
    there but damaged or gone by then, say by another run, is made again like any page
    not in the cache, whether every page or only some were found."""
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    read = Cache.get_bytes
    refused: list[str] = []

    def damaged(self: Cache, kind: str, key: str) -> bytes | None:
        if kind == "pages":
            refused.append(key)
            return None
        return read(self, kind, key)

    monkeypatch.setattr(Cache, "get_bytes", damaged)
    assert report(corpus_dir, out) == cold  # every page found, none readable
    assert len(refused) == len(cold) - 1  # each page but the marker file was looked for
    refused.clear()
    edit_one_clause(corpus_dir)
    changed = report(corpus_dir, out)  # some pages found, none readable
    assert refused
    monkeypatch.undo()
    assert changed == report(corpus_dir, tmp_path / "fresh" / "site", cache=False)
    assert report(corpus_dir, out) == changed


def test_the_cache_folder_is_safe_to_delete(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    shutil.rmtree(tmp_path / CACHE_DIR)
    assert report(corpus_dir, out) == cold


def test_diffs_come_back_exactly_or_not_at_all(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    texts = ("", "one two three four five.", "one two six four five.")
    pairs = {(a, b): diff_words(a, b) for a in texts for b in texts if a != b}
    store.put_diffs("k", texts, pairs)
    assert store.get_diffs("k", texts) == pairs
    # the same lengths over other texts do not spell them: refused, not misapplied
    other = ("", "one twX three four five.", "one two six four five.")
    assert store.get_diffs("k", other) == {}
    assert Cache(None).get_diffs("k", texts) == {}


def test_key_changes_are_found_again_and_only_a_changed_clause_is_read_again(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausetrack import keychanges

    texts_read: list[tuple[str, str]] = []

    def counting(old: str, new: str, spans: object, **kwargs: object) -> object:
        texts_read.append((old, new))
        return keychanges.find_key_changes(old, new, spans, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(compare_module, "_key_change_finder", lambda: counting)
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    assert len(texts_read) > 20
    assert any("/key-changes/" in p.as_posix() for p in (tmp_path / CACHE_DIR).rglob("*"))

    path = corpus_dir / "clauses" / "entry-into-force.yaml"
    text = path.read_text(encoding="utf-8")
    signed = text.index("  signed:\n    text: ")  # a word of the signed text only
    path.write_text(
        text[:signed] + text[signed:].replace("detailed", "binding", 1), encoding="utf-8"
    )
    clause = "entry-into-force"
    texts_read.clear()
    changed = report(corpus_dir, out)
    assert texts_read, "the changed clause was not read again"
    assert any("binding" in new for _, new in texts_read)
    edited = {t.text for t in load_corpus(corpus_dir).clauses[clause].texts.values()}
    assert all(old in edited | {""} and new in edited | {""} for old, new in texts_read)
    assert changed == report(corpus_dir, tmp_path / "fresh" / "site", cache=False)
    assert changed != cold


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        '{"a": 1}',
        '[["k", [["amount", null, "USD 1", "s", 0, 1, null]]]]',  # a field short
        '[["k", [["amount", null, "USD 1", "s", "0", 1, null, null]]]]',  # a string index
        '[["k", [["amount", null, "USD 1", "s", true, 1, null, null]]]]',  # a boolean
        '[[7, [["amount", null, "USD 1", "s", 0, 1, null, null]]]]',  # a number for a key
        '[["k", [["amount", 5, "USD 1", "s", 0, 1, null, null]]]]',  # a number for a text
    ],
)
def test_cached_key_changes_of_the_wrong_shape_are_ignored(raw: str) -> None:
    from clausetrack.report import _read_findings

    assert _read_findings(raw) == {}


def test_cached_key_changes_come_back_as_they_were() -> None:
    from clausetrack.model import KeyChange
    from clausetrack.report import _read_findings

    raw = '[["k", [["amount", null, "USD 1 \\ud800", "s", 0, 1, "us", "v2"]]], ["e", []]]'
    assert _read_findings(raw) == {
        "k": (KeyChange("amount", None, "USD 1 \ud800", "s", 0, 1, "us", "v2"),),
        "e": (),
    }


def _edit(corpus_dir: Path, rel: str, old: str, new: str) -> None:
    path = corpus_dir / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer holds {old!r}: pick another edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        # who a version's changes are credited to
        ("versions/draft.yaml", "proposed_by: us", "proposed_by: ukraine"),
        # who wrote one clause's text in one version
        ("clauses/existing-sites.yaml", "proposed_by: ukraine", "proposed_by: us"),
        # the path a redline walks, and so every blame along it
        ("versions/signed.yaml", "based_on: draft", "based_on: revised-terms"),
    ],
)
def test_a_change_to_what_a_redline_reads_is_never_served_from_the_cache(
    corpus_dir: Path, tmp_path: Path, rel: str, old: str, new: str
) -> None:
    """Each clause's redlines are kept between runs; anything they read, in the clause's
    file or in any version's, makes them be computed again."""
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    _edit(corpus_dir, rel, old, new)
    changed = report(corpus_dir, out)
    assert changed == report(corpus_dir, tmp_path / "fresh" / "site", cache=False)
    assert changed != cold


def test_after_one_clause_changed_only_its_redlines_and_blame_are_made_again(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausetrack import report as report_module

    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    made: list[str] = []
    blamed: list[str] = []
    redline, blame_runs = compare_module._redline, report_module._blame_runs

    def counting_redline(corpus: object, clause: Clause, *args: object) -> object:
        made.append(clause.id)
        return redline(corpus, clause, *args)  # type: ignore[arg-type]

    def counting_blame(corpus: object, clause_id: str, *args: object) -> object:
        blamed.append(clause_id)
        return blame_runs(corpus, clause_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(compare_module, "_redline", counting_redline)
    monkeypatch.setattr(report_module, "_blame_runs", counting_blame)
    clause = "entry-into-force"
    _edit(corpus_dir, f"clauses/{clause}.yaml", "a detailed Fund Agreement", "a binding Fund")
    changed = report(corpus_dir, out)
    assert set(made) == {clause}
    assert len(made) >= 2  # into and out of the edited text: each comparison of the clause
    assert blamed == [clause]
    assert changed != cold

    made.clear()
    blamed.clear()
    (corpus_dir / "agreement.yaml").write_text(
        (corpus_dir / "agreement.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )  # the manifest's lines moved: the index is made again, no redline is
    again = report(corpus_dir, out)
    assert made == [] and blamed == []
    assert again == report(corpus_dir, tmp_path / "fresh" / "site", cache=False)

    made.clear()
    blamed.clear()
    # a version's title and summary are only shown: every page shows the new title,
    # and no redline or blame is made again
    _edit(corpus_dir, "versions/draft.yaml", 'title: "Draft agreement', 'title: "Working draft')
    _edit(corpus_dir, "versions/draft.yaml", 'summary: "The draft', 'summary: "The working draft')
    retitled = report(corpus_dir, out)
    assert made == [] and blamed == []
    assert b"Working draft (late February 2025)" in retitled["index.html"]
    assert retitled != again
    assert retitled == report(corpus_dir, tmp_path / "fresh2" / "site", cache=False)


def test_kept_redlines_come_back_exactly_or_not_at_all() -> None:
    from clausetrack.cache import spans_from_runs as _spans
    from clausetrack.report import _read_kept, _runs_over

    old, new = "one two three.", "one six three."
    spans = (
        Span("equal", "one "),
        Span("delete", "two", "v2", "us"),
        Span("insert", "six", "v2", "us"),
        Span("equal", " three."),
    )
    runs: list[list[object]] = [[0, 4, None, None], [2, 3, "v2", "us"], [1, 3, "v2", "us"]]
    runs.append([0, 7, None, None])
    assert _spans(old, new, runs) == spans
    # the same lengths over other texts do not spell them: refused, not misapplied
    assert _spans(old, "one six threE.", runs) is None
    assert _spans(old + " ", new, runs) is None  # a text left over
    assert _spans(old, new, [[3, 14, None, None]]) is None  # no such kind
    assert _spans(old, new, [[True, 4, None, None], *runs[1:]]) is None  # JSON true
    assert _spans(old, new, [[0, 4, 7, None], *runs[1:]]) is None  # a number for a version

    clause = Clause("c", "C", "t", {"v1": ClauseText(old), "v2": ClauseText(new)}, ())
    finding = ["amount", None, "six", "s", 0, 1, "us", "v2"]
    entry = ["v1", "v2", runs, [finding], [1, 1, [["us", 1, 1]]]]
    good = [[entry], [[4, "v1"], [3, "v2"], [7, "v1"]]]
    kept = _read_kept(json.dumps(good), clause)
    assert kept.redlines == {
        ("v1", "v2"): (
            spans,
            (KeyChange("amount", None, "six", "s", 0, 1, "us", "v2"),),
            (WordStats(1, 1), {"us": WordStats(1, 1)}),
        )
    }
    for bad in (
        "not json",
        json.dumps([good[0], None, None]),
        json.dumps([[[*entry[:4], [1, 1, [["us", -1, 1]]]]], None]),  # a negative count
        json.dumps([[[*entry[:3], [["amount"]], entry[4]]], None]),  # a field short
        json.dumps([[["v1", 2, *entry[2:]]], None]),  # a number for a version id
    ):
        assert _read_kept(bad, clause).redlines == {}, bad

    versions = ("v1", "v2")
    assert _runs_over(new, kept.kept_runs, versions) == (
        ("one ", "v1"),
        ("six", "v2"),
        (" three.", "v1"),
    )
    assert _runs_over(new + "!", kept.kept_runs, versions) is None  # not all of the text
    assert _runs_over(new, [[4, "v1"], [10, "v9"]], versions) is None  # no such version
    assert _runs_over(new, [[0, "v1"], [14, "v1"]], versions) is None  # an empty run


def _entry_files(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()
    }


def test_prune_removes_the_least_recently_used_entries_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / CACHE_DIR
    old = Cache(root)
    keys = [f"{n:064x}" for n in range(1, 7)]
    for n, key in enumerate(keys):
        old.put("pages" if n % 2 else "redlines", key, "x" * 1000)
    for n, key in enumerate(keys):  # each entry last used a day apart, the first oldest
        path = next(root.rglob(key))
        os.utime(path, (86400.0 * (n + 1), 86400.0 * (n + 1)))
    foreign = root / "pages" / "00" / "notes.txt"  # not named as an entry: never removed
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("mine", encoding="utf-8")
    stale = root / "pages" / "00" / ".abc.tmp"  # left by a run that died: removed
    stale.write_text("half", encoding="utf-8")
    os.utime(stale, (1.0, 1.0))
    fresh = root / "pages" / "00" / ".def.tmp"  # another run's, being written: kept
    fresh.write_text("half", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.write_text("x" * 5000, encoding="utf-8")
    link = root / "pages" / "00" / ("f" * 64)  # a link named as an entry: not followed
    link.symlink_to(outside)

    run = Cache(root)
    assert run.get("pages", keys[1]) == "x" * 1000  # used by this run: the second oldest
    size = run.used[next(root.rglob(keys[1]))]
    removed = run.prune(factor=3, floor=0, every=0)  # keep three entries' worth
    left = _entry_files(root)
    assert removed == 3 * size
    assert sorted(k for k in keys if any(name.endswith(k) for name in left)) == [
        keys[1],  # used now, though it was among the oldest
        keys[4],
        keys[5],
    ]
    assert "pages/00/notes.txt" in left and "pages/00/.def.tmp" in left
    assert "pages/00/.abc.tmp" not in left
    assert link.is_symlink() and outside.read_text(encoding="utf-8") == "x" * 5000
    assert Cache(None).prune() == 0

    old.put("pages", keys[0], "y" * 5000)  # a new entry, unused by the next run
    assert Cache(root).prune(factor=0, floor=0, every=3600) == 0  # trimmed a moment ago
    assert Cache(root).prune(factor=0, floor=0, every=0) > 5000  # everything unused goes
    assert not any(name.endswith(keys[0]) for name in _entry_files(root))


def test_a_report_rebuilt_after_many_edits_keeps_its_cache_in_bounds(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausetrack import cache as cache_module

    monkeypatch.setattr(cache_module, "KEEP_AT_LEAST", 0)
    monkeypatch.setattr(cache_module, "KEEP_FACTOR", 2)
    monkeypatch.setattr(cache_module, "TRIM_EVERY", 0)
    out = tmp_path / "site"
    report(corpus_dir, out)
    cold = sum(_entry_files(tmp_path / CACHE_DIR).values())
    path = corpus_dir / "clauses" / "entry-into-force.yaml"
    original = path.read_text(encoding="utf-8")
    for n in range(4):  # four drafts: each adds pages, redlines and diffs of its own
        path.write_text(original.replace("detailed", f"detailed{n}"), encoding="utf-8")
        report(corpus_dir, out)
        assert sum(_entry_files(tmp_path / CACHE_DIR).values()) <= 2 * cold
    path.write_text(original, encoding="utf-8")  # back to the first draft, pruned or not
    assert report(corpus_dir, out) == report(corpus_dir, tmp_path / "fresh" / "site", cache=False)
