"""The corpus reader's shortcuts give the answers of the full checks they skip.

Reading a corpus of thousands of files takes shortcuts: a value's YAML type is found
without trying every pattern when its first character rules them out, a file's bytes are
scanned for refused characters before the slower check runs, and a node tree with no
aliases and nothing to report skips the measuring walk. Each test here puts input on
both sides of a shortcut's line and checks what the user sees.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clausetrack.corpus import check_corpus, load_corpus
from clausetrack.errors import Problem

BASE = Path(__file__).parent / "hostile" / "base"
TERM = "clauses/term.yaml"
LONG = "negotiated over a long series of meetings in Washington and in Kyiv"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the small valid corpus; paths in messages read ``c/...``."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(BASE, "c")
    return Path("c")


def set_title(root: Path, raw: str) -> None:
    """Write ``raw`` (YAML, as typed) as the value of the clause's title, on line 2."""
    path = root / TERM
    lines = path.read_text("utf-8").split("\n")
    assert lines[1].startswith("title: ")
    lines[1] = "title: " + raw
    path.write_text("\n".join(lines), encoding="utf-8")


def lines(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


# What YAML 1.1 (as PyYAML's safe loader reads it) makes of a plain value: None when it
# is text. Values longer than 64 characters and values starting with a letter that may
# begin a boolean or null (T, F, N, O, Y) go both ways.
TYPED = [
    ("12", "an integer"),
    ("+12", "an integer"),
    ("0x1F", "an integer"),
    ("1_000", "an integer"),
    ("12:30", "an integer"),
    ("1" * 70, "an integer"),
    ("yes", "a boolean"),
    ("No", "a boolean"),
    ("on", "a boolean"),
    ("OFF", "a boolean"),
    ("TRUE", "a boolean"),
    ("False", "a boolean"),
    ("2025-01-02", "a date"),
    ("2025-01-02T10:00:00Z", "a date"),
    (".inf", "a number"),
    ("1.5", "a number"),
    ("~", "an empty value"),
    ("Null", "an empty value"),
    ("NULL", "an empty value"),
    ("1.5e3", None),
    ("-.5", None),
    ("0o17", None),
    ("y", None),
    ("n", None),
    ("Yesterday", None),
    ("Norway", None),
    ("True to its word, the fund was " + LONG, None),
    ("2025 was the year the agreement was " + LONG, None),
    ("Fund", None),
    ("'yes'", None),
    ('"12"', None),
    ("!!str 12", None),
]


@pytest.mark.parametrize(("raw", "kind"), TYPED)
def test_a_plain_value_has_the_type_yaml_gives_it(corpus: Path, raw: str, kind: str | None) -> None:
    set_title(corpus, raw)
    if kind is None:
        assert check_corpus(corpus) == []
        return
    hint = (
        "write a value after the colon"
        if kind == "an empty value"
        else ("put it in quotes to keep it as text")
    )
    assert lines(check_corpus(corpus)) == [
        f"c/{TERM}:2:8: title must be a string, got {kind} ({hint})"
    ]


def test_merge_and_value_keys_are_still_refused(corpus: Path) -> None:
    set_title(corpus, "=")
    assert lines(check_corpus(corpus)) == [
        f"c/{TERM}:2:8: tag '!!value' is not allowed "
        "(corpus files hold plain YAML only: remove the tag)"
    ]
    set_title(corpus, "<<")
    assert lines(check_corpus(corpus)) == [
        f"c/{TERM}:2:8: merge keys ('<<') are not supported (write the keys out)"
    ]


def refused(char: str) -> bool:
    """Whether YAML refuses ``char`` raw in a file: C0 and C1 controls other than tab,
    line feed, carriage return and NEL, DEL, and the non-characters U+FFFE and U+FFFF."""
    code = ord(char)
    if code in (0x09, 0x0A, 0x0D, 0x85):
        return False
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0xFFFE, 0xFFFF)


CHARACTERS = sorted(
    {*range(0x20), *range(0x7F, 0xA1), 0xA7, 0xA9, 0xFF, 0x100, 0x2028, 0xD7FF, 0xE000}
    | {0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF}
    - {0x0A, 0x0D}  # they end the line, which is no test of the character
)


@pytest.mark.parametrize("code", CHARACTERS, ids=lambda code: f"U+{code:04X}")
def test_a_raw_character_is_refused_exactly_when_yaml_refuses_it(corpus: Path, code: int) -> None:
    char = chr(code)
    set_title(corpus, f'"Term {char} and {char}"')
    found = lines(check_corpus(corpus))
    if code == 0:
        assert found[0].startswith(f"c/{TERM}:2:14: file contains a NUL byte")
    elif refused(char):
        assert found == [
            f"c/{TERM}:2:14: file contains the control character U+{code:04X}, "
            "which YAML forbids (delete it)"
        ]
    else:
        assert not any("contains" in line for line in found), found


def test_a_refused_character_after_innocent_ones_is_found_where_it_is(corpus: Path) -> None:
    set_title(corpus, '"§ 1 — Term © ½ \ufffd"')
    assert check_corpus(corpus) == []
    set_title(corpus, '"§ 1 — Term © ½ \ufffd \u009b"')
    assert lines(check_corpus(corpus)) == [
        f"c/{TERM}:2:26: file contains the control character U+009B, which YAML forbids (delete it)"
    ]


def test_aliases_within_the_limits_read_as_the_values_written_out(
    corpus: Path, tmp_path: Path
) -> None:
    text = "This agreement lasts ten years."
    written_out = load_corpus(corpus)
    path = corpus / TERM
    source = path.read_text("utf-8")
    assert source.count(f'"{text}"') == 2
    first = source.index(f'"{text}"')
    aliased = (
        source[:first] + f'&t "{text}"' + source[first + len(text) + 2 :].replace(f'"{text}"', "*t")
    )
    path.write_text(aliased, encoding="utf-8")
    assert "*t" in aliased
    assert load_corpus(corpus).clauses == written_out.clauses


def test_a_shared_mapping_is_read_twice_and_checked_twice(corpus: Path) -> None:
    path = corpus / TERM
    source = path.read_text("utf-8")
    one = '  one: "This agreement lasts ten years."'
    two = '  two: "This agreement lasts ten years."'
    assert one in source and two in source
    shared = (
        "  one: &t\n    text: This agreement lasts ten years.\n    proposed_by: nobody\n  two: *t"
    )
    path.write_text(source.replace(one + "\n" + two, shared), encoding="utf-8")
    found = lines(check_corpus(corpus))
    message = "unknown party 'nobody' (valid party ids: alpha, beta)"
    assert [line.split(": ", 1)[1] for line in found] == [message] * 2
    assert len(set(found)) == 1  # both reads point at the one place it is written
