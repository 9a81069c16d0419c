"""Every output format renders the same model, and the HTML keeps its contract."""

from __future__ import annotations

import itertools
import json

import pytest

from clausetrack import api
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.model import Comparison
from clausetrack.render import compare_html
from clausetrack.resources import bundled_corpus

from htmlcheck import broken_links, contract_problems, parse, redlines, text_without

CORPUS = load_corpus(bundled_corpus())
VERSIONS = sorted(CORPUS.versions)
PAIRS = list(itertools.product(VERSIONS, VERSIONS))


@pytest.fixture(scope="module")
def first_last() -> Comparison:
    return compare(CORPUS, "us-initial", "signed")


@pytest.mark.parametrize("old,new", PAIRS)
def test_html_contract_for_every_version_pair(old: str, new: str) -> None:
    c = compare(CORPUS, old, new)
    root = parse(compare_html(c))
    found = redlines(root)
    assert list(found) == [d.clause.id for d in c.clauses]
    for d in c.clauses:
        el = found[d.clause.id]
        assert contract_problems(el) == []
        assert text_without(el, "del") == d.new_text
        assert text_without(el, "ins") == d.old_text
    assert broken_links(root) == []


def test_every_change_is_attributed_to_a_known_party_and_version(first_last: Comparison) -> None:
    root = parse(compare_html(first_last))
    parties = {p.id for p in CORPUS.agreement.parties}
    marks = root.xpath("//*[contains(@class,'redline')]/*")
    assert marks, "the first-to-last redline shows no change"
    for el in marks:
        assert el.get("data-party") in parties
        assert el.get("data-version") in first_last.path[1:]
        assert el.get("title", "").startswith(("Inserted by ", "Deleted by "))


def test_page_header_and_summary(first_last: Comparison) -> None:
    root = parse(compare_html(first_last))
    h1 = root.xpath("string(//h1)")
    assert h1 == "Redline: Initial U.S. demand → Agreement as signed"
    summary = root.xpath("string(//section[contains(@class,'summary')])")
    for status, n in first_last.counts.items():
        assert f"{n} {status}" in " ".join(summary.split())
    assert root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0].startswith(
        "default-src 'none'"
    )


def test_change_list_says_where_a_punctuation_change_is(first_last: Comparison) -> None:
    """Each entry of the change list shows its words; one that inserts or deletes only
    punctuation or white space ("+ .") also names the words just before it, so that a
    reader can tell it from the others without following the link."""
    root = parse(compare_html(first_last))
    entries = [
        " ".join(e.xpath("string(.)").split())
        for e in root.xpath("//li[contains(@class,'change-item')]//span[@class='excerpt']")
    ]
    assert len(entries) == sum(1 for d in first_last.clauses for s in d.spans if s.kind != "equal")
    bare = [e for e in entries if not any(ch.isalnum() for ch in e)]
    assert bare == []
    placed = [e for e in entries if " after “" in e]
    assert placed, "the bundled redline has punctuation-only changes"
    assert "“.” after “recovery of Ukraine”" in " | ".join(entries)


def test_positions_show_party_statement_speaker_and_source(first_last: Comparison) -> None:
    root = parse(compare_html(first_last))
    aside = root.xpath("//article[@id='clause-payment-demand']//aside")[0]
    text = " ".join(aside.xpath("string()").split())
    assert "Ukraine" in text and "rejects" in text and "Zelensky" in text
    assert aside.xpath(".//a[starts-with(@href,'https://')]"), "no link to a source"


def test_same_input_same_bytes() -> None:
    a = compare_html(compare(CORPUS, "us-initial", "signed"))
    b = compare_html(compare(load_corpus(bundled_corpus()), "us-initial", "signed"))
    assert a == b


def test_json_ops_rebuild_both_texts(first_last: Comparison) -> None:
    data = json.loads(api.render(first_last, "json"))
    assert data["summary"]["clauses"] == dict(first_last.counts)
    for clause in data["clauses"]:
        old = "".join(o["text"] for o in clause["ops"] if o["op"] != "insert")
        new = "".join(o["text"] for o in clause["ops"] if o["op"] != "delete")
        assert old == (clause["old_text"] or "")
        assert new == (clause["new_text"] or "")
        for op in clause["ops"]:
            assert (op["party"] is None) == (op["op"] == "equal")


def test_text_and_markdown_carry_the_same_changes(first_last: Comparison) -> None:
    text = api.render(first_last, "text")
    md = api.render(first_last, "markdown")
    for d in first_last.clauses:
        assert d.clause.title in text
    assert text.count("[-") == sum(
        1
        for d in first_last.clauses
        for i, s in enumerate(d.spans)
        if s.kind == "delete" and (i == 0 or d.spans[i - 1].kind != "delete")
    )
    assert "~~" in md and "**" in md


def test_json_matches_the_documented_schema(first_last: Comparison) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from clausetrack.resources import _REPO

    schema = json.loads((_REPO / "docs" / "json-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(api.render(first_last, "json")), schema)
