"""The report's cache: it may only ever save time, never change a byte of the site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clausetrack import compare as compare_module
from clausetrack.cache import CACHE_DIR, Cache
from clausetrack.corpus import load_corpus
from clausetrack.diff import diff_words
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
    """A warm run checks every page in the cache first and reads each again only as it
    writes it (holding them all was most of its memory); a page that is gone or damaged
    by then, say by another run, is made again like any page not in the cache."""
    out = tmp_path / "site"
    cold = report(corpus_dir, out)
    checked: set[str] = set()
    read = Cache.get_bytes

    def gone_when_written(self: Cache, kind: str, key: str) -> bytes | None:
        if kind == "pages" and key in checked:
            return None
        checked.add(key)
        return read(self, kind, key)

    monkeypatch.setattr(Cache, "get_bytes", gone_when_written)
    assert report(corpus_dir, out) == cold
    assert checked  # the pages were found in the cache first
    monkeypatch.undo()
    assert report(corpus_dir, out) == cold


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
