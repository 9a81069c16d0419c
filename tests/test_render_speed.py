"""The fast ways of writing a redline give exactly the slow ways' output.

Large documents are rendered through shortcuts: the default compare page prints its long
loops from Python (``render.Prerendered``) instead of through the macros, the page is
written piece by piece as it is rendered, excerpts read only the start of a change, and
JSON is written by our own encoder. Each is checked here against the plain way it
replaces, and the shortcut is checked to step aside when a user's templates change what
it stands for. No timings: only output and behaviour.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from clausetrack import formats, parallel, render
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.errors import ClausetrackError
from clausetrack.model import Comparison, Span
from clausetrack.output import write_atomic
from clausetrack.report import write_report
from clausetrack.resources import bundled_corpus, templates_dir
from clausetrack.view import PIECE, esc, excerpt

CORPUS = load_corpus(bundled_corpus())
PAIRS = list(itertools.product(sorted(CORPUS.versions), repeat=2))
HOSTILE = load_corpus(Path(__file__).parent / "hostile" / "xss")
HOSTILE_PAIRS = list(itertools.product(sorted(HOSTILE.versions), repeat=2))
DEFAULT = templates_dir() / "default"


@pytest.fixture(autouse=True)
def no_template_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile templates afresh: a user folder's template must never be served from a
    cache entry of the default one."""
    monkeypatch.setenv("CLAUSETRACK_CACHE_DIR", "")


def macros_copy(folder: Path) -> Path:
    """A template folder whose macros.html.jinja2 is a copy of the default: the same
    macros, so the same page, but printed through them (nothing pre-rendered)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEFAULT / "macros.html.jinja2", folder / "macros.html.jinja2")
    return folder


def uses_prerendered(template_dir: Path | None) -> bool:
    return render.environment(template_dir).globals["prerendered"] is not None


# ------------------------------------------------------------ prerendered == macros


def test_the_shortcut_is_taken_by_default_and_not_with_a_macros_copy(tmp_path: Path) -> None:
    assert uses_prerendered(None)
    assert not uses_prerendered(macros_copy(tmp_path / "t"))


def test_prerendered_pages_are_the_macros_pages(tmp_path: Path) -> None:
    """Every version pair of the bundled corpus and of the hostile one (payloads in every
    field: escaping must agree too)."""
    slow = macros_copy(tmp_path / "t")
    for corpus, pairs in ((CORPUS, PAIRS), (HOSTILE, HOSTILE_PAIRS)):
        for old, new in pairs:
            c = compare(corpus, old, new)
            assert render.compare_html(c) == render.compare_html(c, slow), (old, new)


def test_change_list_printed_by_a_worker_is_the_macros_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    """A long page's change table and panel come from a forked worker (here every page's,
    with the threshold lowered): the page is the same, byte for byte."""
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    slow = macros_copy(tmp_path / "t")
    for corpus, pairs in ((CORPUS, PAIRS), (HOSTILE, HOSTILE_PAIRS)):
        for old, new in pairs:
            c = compare(corpus, old, new, jobs=1)
            before = len(forks)
            fast = render.compare_html(c)
            assert len(forks) == before + 1, (old, new)  # the change list's worker
            assert fast == render.compare_html(c, slow), (old, new)
            with parallel.limited(1):
                assert render.compare_html(c) == fast
            assert len(forks) == before + 1  # none with one process allowed


@pytest.mark.parametrize("failing", ["no temporary file", "the worker cannot write"])
def test_change_list_is_printed_here_when_the_worker_cannot_print_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    c = compare(CORPUS, "us-initial", "signed", jobs=1)
    expected = render.compare_html(c, macros_copy(tmp_path / "t"))

    def full_disk(*args: object, **kwargs: object) -> NoReturn:
        raise OSError(28, "No space left on device")

    where = "TemporaryFile" if failing == "no temporary file" else "_print_changes"
    monkeypatch.setattr(render.tempfile if where == "TemporaryFile" else render, where, full_disk)
    assert render.compare_html(c) == expected


def test_prerendered_report_pages_are_the_macros_pages(tmp_path: Path) -> None:
    """Report version pages add the site's navigation and history links."""
    fast = write_report(HOSTILE, tmp_path / "fast", cache=False)
    slow = write_report(
        HOSTILE, tmp_path / "slow", template_dir=macros_copy(tmp_path / "t"), cache=False
    )
    assert fast.files == slow.files
    versions = [f for f in fast.files if f.startswith("versions/")]
    assert versions
    for rel in versions:
        assert (fast.out_dir / rel).read_bytes() == (slow.out_dir / rel).read_bytes(), rel


def test_a_clause_with_no_text_and_no_changes(tmp_path: Path) -> None:
    c = compare(CORPUS, "us-initial", "signed")
    empty = dataclasses.replace(c.clauses[0], spans=())
    c = dataclasses.replace(c, clauses=(empty,))
    assert render.compare_html(c) == render.compare_html(c, macros_copy(tmp_path / "t"))


# ------------------------------------------------- a user's templates still decide


def first_last() -> Comparison:
    return compare(CORPUS, "us-initial", "signed")


def test_overriding_another_block_keeps_the_shortcut(tmp_path: Path) -> None:
    (tmp_path / "compare.html.jinja2").write_text(
        '{% extends "default/compare.html.jinja2" %}\n'
        "{% block summary %}<p>Briefing for the committee</p>{% endblock %}\n",
        "utf-8",
    )
    assert uses_prerendered(tmp_path)
    html = render.compare_html(first_last(), tmp_path)
    assert "Briefing for the committee" in html
    assert 'class="redline" data-clause="payment-demand"' in html


def test_an_overridden_clause_block_is_used(tmp_path: Path) -> None:
    (tmp_path / "compare.html.jinja2").write_text(
        '{% extends "default/compare.html.jinja2" %}\n'
        '{% block clause %}<section class="mine">{{ redline(c) }}</section>\n{% endblock %}\n',
        "utf-8",
    )
    assert not uses_prerendered(tmp_path)
    html = render.compare_html(first_last(), tmp_path)
    assert html.count('<section class="mine">') == len(first_last().clauses)
    assert "<article" not in html


def test_an_edited_copy_of_the_page_shows_its_edits(tmp_path: Path) -> None:
    source = (DEFAULT / "compare.html.jinja2").read_text("utf-8")
    edited = source.replace('<span class="topic">', '<span class="topic edited">')
    assert edited != source
    (tmp_path / "compare.html.jinja2").write_text(edited, "utf-8")
    assert not uses_prerendered(tmp_path)
    html = render.compare_html(first_last(), tmp_path)
    assert html.count('<span class="topic edited">') == len(first_last().clauses)


def test_an_edited_copy_of_the_macros_shows_its_edits(tmp_path: Path) -> None:
    macros = macros_copy(tmp_path) / "macros.html.jinja2"
    source = macros.read_text("utf-8")
    edited = source.replace('<div class="position stance-', '<div class="position edited stance-')
    assert edited != source
    macros.write_text(edited, "utf-8")
    html = render.compare_html(first_last(), tmp_path)
    assert '<div class="position edited stance-' in html
    assert '<div class="position stance-' not in html


def test_a_template_chain_through_the_users_own_base(tmp_path: Path) -> None:
    """compare.html.jinja2 → the user's mid.html.jinja2 → the default page: a block
    redefined anywhere on the way turns the shortcut off."""
    (tmp_path / "compare.html.jinja2").write_text('{% extends "mid.html.jinja2" %}\n', "utf-8")
    (tmp_path / "mid.html.jinja2").write_text(
        '{% extends "default/compare.html.jinja2" %}\n', "utf-8"
    )
    assert uses_prerendered(tmp_path)
    (tmp_path / "mid.html.jinja2").write_text(
        '{% extends "default/compare.html.jinja2" %}\n'
        "{% block toc %}<p>no contents</p>\n{% endblock %}\n",
        "utf-8",
    )
    assert not uses_prerendered(tmp_path)
    assert "<p>no contents</p>" in render.compare_html(first_last(), tmp_path)


# ------------------------------------------------------------ writing as it renders


def test_the_streamed_file_is_the_page(tmp_path: Path) -> None:
    c = first_last()
    out = tmp_path / "redline.html"
    write_atomic(out, render.compare_page(c))
    assert out.read_bytes() == render.compare_html(c).encode("utf-8")


def big_comparison(spans: int, long: int = 0) -> Comparison:
    """The first-to-last comparison with one clause of ``spans`` changes, then one
    deletion and one insertion of ``long`` characters each."""
    c = first_last()
    words = [
        Span("equal", f"word {i} <&> ")
        if i % 3
        else Span("insert", f"word {i} <&> ", "signed", "us")
        for i in range(spans)
    ]
    if long:
        words.append(Span("delete", "<old &> " * (long // 8), "signed", "us"))
        words.append(Span("insert", "<new &> " * (long // 8), "signed", "us"))
    clause = dataclasses.replace(c.clauses[0], spans=tuple(words))
    return dataclasses.replace(c, clauses=(clause,))


@pytest.mark.parametrize("spans,long", [(60_000, 0), (10, 3_000_000)])
def test_a_large_page_comes_in_bounded_pieces(spans: int, long: int) -> None:
    """A page of tens of megabytes is never one string on its way to the file, even
    when one change is a whole document."""
    c = big_comparison(spans, long)
    pieces = list(render.compare_page(c))
    assert sum(map(len, pieces)) > 8 * PIECE
    assert max(map(len, pieces)) < 2 * PIECE
    assert "".join(pieces) == render.compare_html(c)


def test_a_failure_while_rendering_leaves_the_old_file(tmp_path: Path) -> None:
    """The page fails in its last block, after most of it has been written."""
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "compare.html.jinja2").write_text(
        '{% extends "default/compare.html.jinja2" %}\n'
        "{% block change_panel %}{{ no_such_variable }}{% endblock %}\n",
        "utf-8",
    )
    out = tmp_path / "redline.html"
    out.write_text("the previous redline", "utf-8")
    with pytest.raises(jinja2.UndefinedError):
        write_atomic(out, render.compare_page(big_comparison(30_000), templates))
    assert out.read_text("utf-8") == "the previous redline"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redline.html", "t"]


def test_an_unreadable_input_is_not_an_unwritable_output(tmp_path: Path) -> None:
    def pieces() -> Iterator[str]:
        yield "<p>"
        raise PermissionError(13, "Permission denied", "some-template.jinja2")

    out = tmp_path / "out.html"
    with pytest.raises(PermissionError) as error:
        write_atomic(out, pieces())
    assert error.value.filename == "some-template.jinja2"
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ClausetrackError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out.html", iter(["<p>"]))


def _failing_finder(*args: object, **kwargs: object) -> tuple[()]:
    raise RuntimeError("stopped half-way")


@pytest.mark.parametrize("enabled", [True, False])
def test_comparing_and_rendering_leave_the_garbage_collector_as_it_was(
    enabled: bool, tmp_path: Path
) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        render.compare_html(first_last())
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError, match="half-way"):  # a comparison that fails too
            compare(CORPUS, "us-initial", "signed", finder=_failing_finder)
        assert gc.isenabled() is enabled
        write_atomic(tmp_path / "r.html", render.compare_page(first_last()))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


# ------------------------------------------------------------------ text helpers

# Text with every kind of white space str.split() knows, markup characters and words.
TEXT = st.text(
    alphabet=st.sampled_from(list("ab cd\n\t\r\x0b\x0c\x1c\x85\xa0\u2003\u3000<>&\"'é€𝄞")),
    max_size=400,
)


def excerpt_of_all(text: str, limit: int) -> str:
    """The definition: flatten all of the text, then shorten."""
    flat = " ".join(text.split())
    if not flat:
        return "(white space)"
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"


@settings(max_examples=400, deadline=None)
@given(TEXT, st.integers(min_value=1, max_value=80))
def test_excerpt_reads_only_the_start_but_says_the_same(text: str, limit: int) -> None:
    assert excerpt(text, limit) == excerpt_of_all(text, limit)


@pytest.mark.parametrize("n", [1, 10, 100, 10_000])
def test_excerpt_of_long_texts(n: int) -> None:
    for text in ("word " * n, " " * n + "x", "x" * n, "a\n" * n, "\u3000" * n):
        assert excerpt(text) == excerpt_of_all(text, 60)


@given(TEXT)
def test_esc_is_autoescape(text: str) -> None:
    assert esc(text) == str(escape(text))


# ------------------------------------------------------------------------ formats


def json_reference(c: Comparison) -> str:
    """What render_json wrote before it had its own encoder."""
    text = json.dumps(formats.comparison_json(c), ensure_ascii=False, indent=2) + "\n"
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def test_json_is_the_standard_librarys_json() -> None:
    for corpus, pairs in ((CORPUS, PAIRS), (HOSTILE, HOSTILE_PAIRS)):
        for old, new in pairs:
            c = compare(corpus, old, new)
            assert formats.render_json(c) == json_reference(c), (old, new)
    c = first_last()
    assert formats.render_json(dataclasses.replace(c, clauses=())) == json_reference(
        dataclasses.replace(c, clauses=())
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(TEXT | st.integers(), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_the_json_encoder_writes_what_json_dumps_writes(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2)
    expected = re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", expected)
    assert formats._json_text(value) == expected
    # as a clause is written, nested four spaces deep in the document
    assert formats._json_text(value, "\n    ") == expected.replace("\n", "\n    ")


def md_escape_reference(text: str) -> str:
    text = formats._MD_INLINE.sub(lambda m: "\\" + m.group(0), formats._terminal_safe(text))
    return formats._MD_LINE_START.sub(formats._escape_line_start, text)


@given(st.text(alphabet=st.sampled_from(list("a1 \n.)#>+=-\\`*_[]<>|~&;#x\x1b")), max_size=60))
def test_markdown_escaping_skips_only_texts_with_nothing_to_escape(text: str) -> None:
    assert formats.md_escape(text) == md_escape_reference(text)


def test_text_and_markdown_pieces_make_the_whole() -> None:
    c = compare(HOSTILE, *HOSTILE_PAIRS[1])
    for pieces, whole in (
        (formats.text_pieces(c), formats.render_text(c)),
        (formats.text_pieces(c, True), formats.render_text(c, True)),
        (formats.markdown_pieces(c), formats.render_markdown(c)),
        (formats.json_pieces(c), formats.render_json(c)),
    ):
        assert "".join(pieces) == whole
