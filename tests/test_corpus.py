"""The corpus reader: a clean corpus loads exactly; every kind of mistake is reported
as the user sees it, ``path:line:col: message (hint)``, and all of them at once."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausetrack import corpus as corpus_module
from clausetrack import parallel
from clausetrack.corpus import MAX_FILE_BYTES, check_corpus, load_corpus
from clausetrack.errors import CorpusError, Problem

AGREEMENT = """\
title: Test agreement
summary: A small corpus for tests.
parties:
  - id: us
    name: United States
    short: U.S.
    color: "#1f4e9c"
    role: negotiator
  - id: ua
    name: Ukraine
    short: UA
    color: "#ffd500"
    role: negotiator
sources:
  - id: press
    title: Press release
    url: https://example.org/press
    date: 2025-02-28
events:
  - date: 2025-02-28
    title: Meeting
    parties: [us, ua]
    sources: [press]
"""
V1 = """\
id: v1
title: First draft
date: 2025-02-01
proposed_by: us
based_on: null
status: proposal
clauses: [fund, scope]
"""
V2 = """\
id: v2
title: Counter-proposal
date: 2025-02
proposed_by: ua
based_on: v1
status: counter-proposal
sources: [press]
clauses: [fund]
"""
FUND = """\
id: fund
title: Reconstruction fund
topic: finance
text:
  v1: The parties shall establish a fund.
  v2:
    text: |
      The parties shall jointly establish a fund.
    note: Reported by one source only.
    sources: [press]
positions:
  - party: ua
    versions: [v2]
    stance: proposes
"""
SCOPE = """\
id: scope
title: Scope
topic: general
text:
  v1: "  This agreement covers minerals.  "
"""
BASE = {
    "agreement.yaml": AGREEMENT,
    "versions/v1.yaml": V1,
    "versions/v2.yaml": V2,
    "clauses/fund.yaml": FUND,
    "clauses/scope.yaml": SCOPE,
}
HINT_CORPUS = (
    "a corpus folder holds agreement.yaml, versions/ and clauses/; "
    "point clausetrack at one with --corpus DIR or $CLAUSETRACK_CORPUS"
)
ALIAS_BOMB = """\
id: scope
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
"""


@pytest.fixture(params=["one process", "clause files forked"])
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """The base corpus written to ``corpus/``; paths in messages read ``corpus/...``.

    Every test runs twice: reading the clause files in this process, and sharing them
    among forked workers (as a long corpus is read), which must change nothing."""
    if request.param == "clause files forked":
        monkeypatch.setattr(corpus_module, "PARALLEL_FILES", 0)
        monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    monkeypatch.chdir(tmp_path)
    write_files(Path("corpus"), BASE)
    return Path("corpus")


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) with ``new`` in one corpus file."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- a clean corpus ---------------------------------------------------------------


def test_clean_corpus_loads_with_every_value(corpus: Path) -> None:
    assert check_corpus(corpus) == []
    c = load_corpus(corpus)
    assert [p.id for p in c.agreement.parties] == ["us", "ua"]
    assert c.agreement.sources[0].date == "2025-02-28"
    assert c.agreement.events[0].parties == ("us", "ua")
    assert list(c.versions) == ["v1", "v2"]
    assert c.versions["v2"].based_on == "v1" and c.versions["v1"].based_on is None
    assert c.versions["v2"].date == "2025-02"
    assert c.versions["v1"].clauses == ("fund", "scope")
    assert list(c.clauses) == ["fund", "scope"]
    fund = c.clauses["fund"]
    assert fund.texts["v2"].text == "The parties shall jointly establish a fund.\n"
    assert fund.texts["v2"].note == "Reported by one source only."
    assert fund.texts["v2"].sources == ("press",)
    assert fund.positions[0].stance == "proposes" and fund.positions[0].versions == ("v2",)
    assert c.proposer("fund", "v2") == "ua"


def test_texts_are_kept_exactly(corpus: Path) -> None:
    assert load_corpus(corpus).clauses["scope"].texts["v1"].text == (
        "  This agreement covers minerals.  "
    )


def test_versions_and_clauses_are_ordered_by_id(corpus: Path) -> None:
    write_files(corpus, {"clauses/aaa.yaml": SCOPE.replace("scope", "aaa")})
    edit(corpus, "versions/v1.yaml", "[fund, scope]", "[scope, fund, aaa]")
    assert list(load_corpus(corpus).clauses) == ["aaa", "fund", "scope"]


@pytest.mark.parametrize("written", ["2025-02-01", "'2025-02-01'", "2025-02", "2025"])
def test_dates_are_kept_as_iso_strings(corpus: Path, written: str) -> None:
    edit(corpus, "versions/v1.yaml", "date: 2025-02-01", f"date: {written}")
    assert load_corpus(corpus).versions["v1"].date == written.strip("'")


def test_hidden_files_are_ignored(corpus: Path) -> None:
    write_files(corpus, {"clauses/.DS_Store": "\0binary", "versions/.v1.yaml.swp": "x"})
    assert check_corpus(corpus) == []


def test_ids_that_yaml_reads_as_numbers_are_ids(corpus: Path) -> None:
    write_files(corpus, {"versions/2025.yaml": V2.replace("id: v2", "id: 2025")})
    edit(corpus, "clauses/fund.yaml", "  v1: The", "  2025: Again.\n  v1: The")
    assert check_corpus(corpus) == []


# --- one problem per kind of mistake ---------------------------------------------

# (file, text to replace, replacement, the problems as the user reads them)
CASES: dict[str, tuple[str, str, str, list[str]]] = {
    "unknown key": (
        "clauses/scope.yaml",
        "topic: general\n",
        "topic: general\ntopci: x\n",
        [
            "corpus/clauses/scope.yaml:4:1: unknown key 'topci' in clause (did you mean "
            "'topic'? valid keys: id, title, topic, text, sources, positions)"
        ],
    ),
    "duplicate key": (
        "clauses/scope.yaml",
        "topic: general\n",
        "topic: general\ntitle: Again\n",
        ["corpus/clauses/scope.yaml:4:1: duplicate key 'title' (first at line 2) (remove one)"],
    ),
    "missing key": (
        "clauses/scope.yaml",
        "topic: general\n",
        "",
        ["corpus/clauses/scope.yaml:1:1: missing required key 'topic' in clause"],
    ),
    "list for a string": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: [a, b]",
        ["corpus/clauses/scope.yaml:2:8: title must be a string, got a list"],
    ),
    "number for a string": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: 2025",
        [
            "corpus/clauses/scope.yaml:2:8: title must be a string, got an integer "
            "(put it in quotes to keep it as text)"
        ],
    ),
    "empty required value": (
        "agreement.yaml",
        "short: UA",
        "short:",
        [
            "corpus/agreement.yaml:11:11: short must be a string, got an empty value "
            "(write a value after the colon)"
        ],
    ),
    "id not a slug": (
        "agreement.yaml",
        "sources:\n",
        "  - id: EU\n    name: European Union\n    short: EU\n    color: '#039'\n"
        "    role: observer\nsources:\n",
        [
            "corpus/agreement.yaml:14:9: id 'EU' is not a valid id "
            "(ids use lower-case letters, digits and hyphens, e.g. 'eu')"
        ],
    ),
    "id differs from file name": (
        "clauses/scope.yaml",
        "id: scope",
        "id: scopes",
        [
            "corpus/clauses/scope.yaml:1:5: id 'scopes' does not match the file name "
            "'scope.yaml' (rename the file to scopes.yaml or change the id to 'scope')"
        ],
    ),
    "duplicate party id": (
        "agreement.yaml",
        "sources:\n",
        "  - {id: us, name: U.S., short: U.S., color: blue, role: observer}\nsources:\n",
        [
            "corpus/agreement.yaml:14:10: duplicate party id 'us' (first at line 4) "
            "(ids must be unique)"
        ],
    ),
    "unknown party": (
        "versions/v2.yaml",
        "proposed_by: ua",
        "proposed_by: usa",
        [
            "corpus/versions/v2.yaml:4:14: unknown party 'usa' "
            "(did you mean 'us'? valid party ids: ua, us)"
        ],
    ),
    "unknown source in a list": (
        "agreement.yaml",
        "sources: [press]",
        "sources: [press, wire]",
        ["corpus/agreement.yaml:23:22: unknown source 'wire' (valid source ids: press)"],
    ),
    "unknown version in text": (
        "clauses/fund.yaml",
        "  v1: The",
        "  v3: Later.\n  v1: The",
        ["corpus/clauses/fund.yaml:5:3: unknown version 'v3' (valid version ids: v1, v2)"],
    ),
    "unknown status": (
        "versions/v1.yaml",
        "status: proposal",
        "status: proposl",
        [
            "corpus/versions/v1.yaml:6:9: unknown status 'proposl' (did you mean 'proposal'? "
            "valid values: proposal, counter-proposal, draft, agreed, signed, rejected, "
            "withdrawn)"
        ],
    ),
    "list for a choice": (
        "agreement.yaml",
        "role: negotiator\n  - id: ua",
        "role: [negotiator]\n  - id: ua",
        ["corpus/agreement.yaml:8:11: role must be one of negotiator, observer; got a list"],
    ),
    "impossible date": (
        "versions/v1.yaml",
        "date: 2025-02-01",
        "date: 2025-02-30",
        [
            "corpus/versions/v1.yaml:3:7: date '2025-02-30' is not a valid date "
            "(write dates as YYYY-MM-DD, YYYY-MM or YYYY)"
        ],
    ),
    "date in words": (
        "versions/v1.yaml",
        "date: 2025-02-01",
        "date: 1 February 2025",
        [
            "corpus/versions/v1.yaml:3:7: date '1 February 2025' is not a valid date "
            "(write dates as YYYY-MM-DD, YYYY-MM or YYYY)"
        ],
    ),
    "based_on cycle": (
        "versions/v1.yaml",
        "based_on: null",
        "based_on: v2",
        [
            "corpus/versions/v1.yaml:5:11: based_on forms a cycle: v1 -> v2 -> v1 "
            "(the first version of a chain has 'based_on: null')"
        ],
    ),
    "based_on itself": (
        "versions/v2.yaml",
        "based_on: v1",
        "based_on: v2",
        [
            "corpus/versions/v2.yaml:5:11: based_on forms a cycle: v2 -> v2 "
            "(the first version of a chain has 'based_on: null')"
        ],
    ),
    "listed clause without text": (
        "versions/v2.yaml",
        "clauses: [fund]",
        "clauses: [fund, scope]",
        [
            "corpus/versions/v2.yaml:8:17: clause 'scope' is listed here but has no text "
            "for version 'v2' (add 'v2:' under text: in clauses/scope.yaml, or remove it here)"
        ],
    ),
    "text for a version that does not list the clause": (
        "versions/v1.yaml",
        "clauses: [fund, scope]",
        "clauses: [fund]",
        [
            "corpus/clauses/scope.yaml:5:3: text for version 'v1', which does not list "
            "clause 'scope' (add 'scope' to clauses: in versions/v1.yaml, or remove this text)"
        ],
    ),
    "clause listed twice": (
        "versions/v1.yaml",
        "clauses: [fund, scope]",
        "clauses: [fund, scope, fund]",
        ["corpus/versions/v1.yaml:7:24: 'fund' is listed twice in clauses (first at line 7)"],
    ),
    "clauses not a list": (
        "versions/v2.yaml",
        "clauses: [fund]",
        "clauses: fund",
        [
            "corpus/versions/v2.yaml:8:10: clauses must be a list of clause ids, "
            "got a string (write it as [id, ...])"
        ],
    ),
    "empty list of versions in a position": (
        "clauses/fund.yaml",
        "versions: [v2]",
        "versions: []",
        ["corpus/clauses/fund.yaml:13:15: versions must list at least one version"],
    ),
    "text of a wrong type": (
        "clauses/scope.yaml",
        'v1: "  This agreement covers minerals.  "',
        "v1: [a]",
        ["corpus/clauses/scope.yaml:5:7: the text for 'v1' must be a string, got a list"],
    ),
    "unknown key in a text entry": (
        "clauses/fund.yaml",
        "    note:",
        "    notes:",
        [
            "corpus/clauses/fund.yaml:9:5: unknown key 'notes' in the text for 'v2' "
            "(did you mean 'note'? valid keys: text, proposed_by, note, sources)"
        ],
    ),
    "a position that is not a mapping": (
        "clauses/fund.yaml",
        "  - party: ua\n    versions: [v2]\n    stance: proposes\n",
        "  - ua supports\n",
        [
            "corpus/clauses/fund.yaml:12:5: position must be a mapping of keys to values, "
            "got a string"
        ],
    ),
    "a list that is not a list": (
        "agreement.yaml",
        AGREEMENT[AGREEMENT.index("events:") :],
        "events: Meeting\n",
        [
            "corpus/agreement.yaml:19:9: events must be a list, got a string "
            "(write '- ' before each item)"
        ],
    ),
    "an empty id": (
        "clauses/scope.yaml",
        "id: scope",
        "id:",
        [
            "corpus/clauses/scope.yaml:1:4: id must be an id, got an empty value "
            "(write a value after the colon)"
        ],
    ),
    "file holds a list": (
        "clauses/scope.yaml",
        SCOPE,
        "- a\n- b\n",
        ["corpus/clauses/scope.yaml:1:1: clause must be a mapping of keys to values, got a list"],
    ),
    "empty file": ("clauses/scope.yaml", SCOPE, "", ["corpus/clauses/scope.yaml: file is empty"]),
    "yaml syntax error": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: Scope: the reach",
        [
            "corpus/clauses/scope.yaml:2:13: YAML syntax error: mapping values are not allowed "
            "in this context (put text that contains ': ' in quotes)"
        ],
    ),
    "unclosed quote": (
        "clauses/scope.yaml",
        'minerals.  "',
        "minerals.",
        [
            "corpus/clauses/scope.yaml:6:1: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar at line 5, column 7)"
        ],
    ),
    "two documents": (
        "clauses/scope.yaml",
        "topic: general\n",
        "topic: general\n---\nid: other\n",
        [
            "corpus/clauses/scope.yaml:4:1: YAML syntax error: expected a single document in "
            "the stream, but found another document (a corpus file holds one document: "
            "remove the extra '---')"
        ],
    ),
    "tab indentation": (
        "clauses/fund.yaml",
        "  v1: The",
        "\tv1: The",
        [
            "corpus/clauses/fund.yaml:5:1: tab character used for indentation "
            "(indent with spaces, never tabs)"
        ],
    ),
    "python tag": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: !!python/object/apply:os.system [ls]",
        [
            "corpus/clauses/scope.yaml:2:8: tag '!!python/object/apply:os.system' is not "
            "allowed (corpus files hold plain YAML only: remove the tag)"
        ],
    ),
    "local tag": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: !foo Scope",
        [
            "corpus/clauses/scope.yaml:2:8: tag '!foo' is not allowed "
            "(corpus files hold plain YAML only: remove the tag)"
        ],
    ),
    "merge key": (
        "clauses/scope.yaml",
        "topic: general\n",
        "topic: general\n<<: {note: x}\n",
        ["corpus/clauses/scope.yaml:4:1: merge keys ('<<') are not supported (write the keys out)"],
    ),
    "recursive alias": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: &loop [*loop]",
        [
            "corpus/clauses/scope.yaml:2:8: an alias refers to the value that contains it "
            "(remove the alias)"
        ],
    ),
    "alias bomb": (
        "clauses/scope.yaml",
        SCOPE,
        ALIAS_BOMB,
        [
            "corpus/clauses/scope.yaml:7:1: aliases expand to more than 100000 values "
            "(this looks like an alias bomb; write the values out instead of using aliases)"
        ],
    ),
    "deep nesting": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: " + "[" * 70 + "]" * 70,
        [
            "corpus/clauses/scope.yaml:2:71: values are nested more than 64 levels deep "
            "(a corpus file needs no more than 5 levels)"
        ],
    ),
    "byte-order mark": (
        "clauses/scope.yaml",
        "id: scope",
        "\ufeffid: scope",
        ["corpus/clauses/scope.yaml:1:1: file starts with a byte-order mark (save it without BOM)"],
    ),
    "NUL byte": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: Sc\0ope",
        [
            "corpus/clauses/scope.yaml:2:10: file contains a NUL byte (this looks like a binary "
            "file, or text saved as UTF-16; save it as UTF-8)"
        ],
    ),
    "control character": (
        "clauses/scope.yaml",
        "title: Scope",
        "title: Sc\x07ope",
        [
            "corpus/clauses/scope.yaml:2:10: file contains the control character U+0007, "
            "which YAML forbids (delete it)"
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_mistake_is_reported_where_it_is(corpus: Path, name: str) -> None:
    path, old, new, expected = CASES[name]
    edit(corpus, path, old, new)
    assert lines(check_corpus(corpus)) == expected


def test_bytes_that_are_not_utf8_are_located(corpus: Path) -> None:
    # "id: scope\n" is 10 bytes, "title: É" 9 more: the bad byte is at offset 19, column 9
    (corpus / "clauses/scope.yaml").write_bytes(
        SCOPE.encode().replace(b"title: Scope", b"title: \xc3\x89\xff")
    )
    assert lines(check_corpus(corpus)) == [
        "corpus/clauses/scope.yaml:2:9: not valid UTF-8: byte 0xff at offset 19 "
        "(save the file as UTF-8)"
    ]


def test_an_oversize_file_is_refused_before_it_is_read(corpus: Path) -> None:
    with (corpus / "clauses/scope.yaml").open("r+b") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)
    assert lines(check_corpus(corpus)) == [
        "corpus/clauses/scope.yaml: file is too large: 16777217 bytes, the limit is 16 MiB "
        "(split very long texts across several clauses)"
    ]


def test_an_unreadable_file_is_reported(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "scope.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", deny)
    assert lines(check_corpus(corpus)) == [
        "corpus/clauses/scope.yaml: cannot read this file: permission denied"
    ]


# --- the folder itself ------------------------------------------------------------


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def make_folder(name: str) -> Callable[[Path], None]:
    """Put an empty folder at ``name``, replacing what is there."""

    def change(root: Path) -> None:
        if os.path.lexists(root / name):
            remove(root / name)
        (root / name).mkdir()

    return change


def make_file(name: str, text: str) -> Callable[[Path], None]:
    """Put a file at ``name``, replacing what is there."""

    def change(root: Path) -> None:
        if os.path.lexists(root / name):
            remove(root / name)
        (root / name).write_text(text, encoding="utf-8")

    return change


def delete(name: str) -> Callable[[Path], None]:
    return lambda root: remove(root / name)


FOLDER_CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "a folder named like a clause file": (
        make_folder("clauses/extra.yaml"),
        ["corpus/clauses/extra.yaml: is a folder, expected a file"],
    ),
    "agreement.yaml is a folder": (
        make_folder("agreement.yaml"),
        ["corpus/agreement.yaml: is a folder, expected a file"],
    ),
    "versions is a file": (
        make_file("versions", "x"),
        ["corpus/versions: versions must be a folder, found a file"],
    ),
    "a .yml file": (
        make_file("clauses/extra.yml", SCOPE),
        [
            "corpus/clauses/extra.yml: file name ends in '.yml', not '.yaml' "
            "(rename it to extra.yaml)"
        ],
    ),
    "a stray file": (
        make_file("versions/notes.txt", "notes"),
        [
            "corpus/versions/notes.txt: not a .yaml file, so it would be skipped "
            "(only <id>.yaml files belong in versions/; move it elsewhere)"
        ],
    ),
    "a subfolder": (
        make_folder("versions/old"),
        [
            "corpus/versions/old: unexpected folder in versions/ "
            "(only <id>.yaml files belong in versions/; move it elsewhere)"
        ],
    ),
    "no versions folder": (
        delete("versions"),
        [f"corpus: not a clausetrack corpus: versions/ is missing ({HINT_CORPUS})"],
    ),
    "no agreement.yaml": (
        delete("agreement.yaml"),
        [f"corpus: not a clausetrack corpus: agreement.yaml is missing ({HINT_CORPUS})"],
    ),
    "an empty folder": (
        make_folder("."),
        [
            "corpus: not a clausetrack corpus: agreement.yaml, versions/ and clauses/ are "
            f"missing ({HINT_CORPUS})"
        ],
    ),
    "no folder at all": (
        delete("."),
        [f"corpus: no such folder ({HINT_CORPUS})"],
    ),
    "a file instead of a folder": (
        make_file(".", "title: x"),
        [f"corpus: not a clausetrack corpus: a file ({HINT_CORPUS})"],
    ),
}


@pytest.mark.parametrize("name", list(FOLDER_CASES))
def test_each_folder_mistake_is_reported(corpus: Path, name: str) -> None:
    change, expected = FOLDER_CASES[name]
    change(corpus)
    assert lines(check_corpus(corpus)) == expected


# --- all problems together ------------------------------------------------------------


def test_all_problems_are_collected_in_file_order(corpus: Path) -> None:
    edit(corpus, "versions/v2.yaml", "proposed_by: ua", "proposed_by: usa")
    edit(corpus, "clauses/scope.yaml", "title: Scope", "title: [a, b]")
    edit(corpus, "agreement.yaml", "title: Test agreement", "title: A\ntitle: B")
    edit(corpus, "clauses/fund.yaml", "  v1: The", "\tv1: The")
    assert lines(check_corpus(corpus)) == [
        "corpus/agreement.yaml:2:1: duplicate key 'title' (first at line 1) (remove one)",
        "corpus/clauses/fund.yaml:5:1: tab character used for indentation "
        "(indent with spaces, never tabs)",
        "corpus/clauses/scope.yaml:2:8: title must be a string, got a list",
        "corpus/versions/v2.yaml:4:14: unknown party 'usa' "
        "(did you mean 'us'? valid party ids: ua, us)",
    ]


def test_load_corpus_raises_with_every_problem(corpus: Path) -> None:
    edit(corpus, "versions/v2.yaml", "proposed_by: ua", "proposed_by: usa")
    edit(corpus, "clauses/scope.yaml", "title: Scope", "title: [a, b]")
    with pytest.raises(CorpusError) as raised:
        load_corpus(corpus)
    assert raised.value.problems == check_corpus(corpus)
    assert len(raised.value.problems) == 2


def test_no_parties_is_reported_with_the_references_it_breaks(corpus: Path) -> None:
    edit(
        corpus,
        "agreement.yaml",
        AGREEMENT[AGREEMENT.index("  - id: us") : AGREEMENT.index("sources:")],
        "",
    )
    edit(corpus, "agreement.yaml", "parties:\n", "parties: []\n")
    found = lines(check_corpus(corpus))
    assert found[0] == "corpus/agreement.yaml:3:10: parties must list at least one party"
    assert "corpus/versions/v1.yaml:4:14: unknown party 'us' (there are no party ids)" in found


def test_a_long_list_of_valid_ids_is_cut_short(corpus: Path) -> None:
    extra = "".join(
        f"  - id: p{n:02d}\n    name: P\n    short: P\n    color: red\n    role: observer\n"
        for n in range(25)
    )
    edit(corpus, "agreement.yaml", "sources:\n", extra + "sources:\n")
    edit(corpus, "versions/v2.yaml", "proposed_by: ua", "proposed_by: zz")
    valid = ", ".join(f"p{n:02d}" for n in range(20))
    assert lines(check_corpus(corpus)) == [
        f"corpus/versions/v2.yaml:4:14: unknown party 'zz' (valid party ids: {valid}, … (7 more))"
    ]


# --- no input makes the reader crash ------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            "id:",
            " scope",
            "\n",
            "  ",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "&a",
            "*a",
            "!!str",
            "'",
            '"',
            "|",
            ">",
            "#",
            "?",
            "---",
            "v1",
            "text",
            "\t",
            "é",
            "\x85",
            "null",
            "2025-02-30",
        ]
    ),
    max_size=40,
).map("".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=YAMLISH, raw=st.binary(max_size=60))
def test_no_input_escapes_as_a_traceback(corpus: Path, text: str, raw: bytes) -> None:
    (corpus / "clauses/scope.yaml").write_text(text, encoding="utf-8")
    (corpus / "versions/v2.yaml").write_bytes(raw)
    problems = check_corpus(corpus)
    assert problems, "a corpus with these files cannot be clean"
    assert not [p for p in problems if "bug in clausetrack" in p.hint]


# --- the documentation's worked example ------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "corpus-format.md"
EXAMPLE_FILE = re.compile(r"```yaml\n(# file: (\S+)\n.*?)```", re.DOTALL)
EXAMPLE_ERRORS = re.compile(r"```\n(corpus/.*?)```", re.DOTALL)


def documented_example(root: Path) -> None:
    """Write the doc's worked example under ``root``, each file exactly as shown."""
    doc = DOC.read_text(encoding="utf-8")
    write_files(root, {name: text for text, name in EXAMPLE_FILE.findall(doc)})


def test_the_documented_example_loads_cleanly(tmp_path: Path) -> None:
    documented_example(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml")) == [
        "agreement.yaml",
        "clauses/fund-contributions.yaml",
        "clauses/governance.yaml",
        "versions/ua-counter.yaml",
        "versions/us-draft.yaml",
    ]
    assert check_corpus(tmp_path) == []
    assert list(load_corpus(tmp_path).versions) == ["ua-counter", "us-draft"]


def test_the_documented_error_messages_are_what_the_reader_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = Path("corpus")
    documented_example(root)
    edit(root, "clauses/fund-contributions.yaml", "title:", "titel:")
    edit(root, "versions/ua-counter.yaml", "proposed_by: ua", "proposed_by: usa")
    edit(root, "versions/us-draft.yaml", "date: 2025-02-10", "date: 2025-02-30")
    edit(root, "clauses/governance.yaml", "  ua-counter:", "\tua-counter:")
    documented = EXAMPLE_ERRORS.findall(DOC.read_text(encoding="utf-8"))[0].splitlines()
    assert lines(check_corpus(root)) == documented
