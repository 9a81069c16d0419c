"""Hostile input end to end: injection payloads in every field, and broken corpora.

A redline tool is fed drafts from the other side of the table, so every corpus is
untrusted. Two halves:

* **Injection.** ``tests/hostile/xss/`` holds payloads in every free-text field, colour
  and URL. Each output (HTML, text, Markdown, JSON, and the report site when it exists)
  must show them as text: no payload runs in Chromium, the page has exactly the elements
  and attributes that a *defused twin* of the corpus gives (the same corpus with ``<``
  and ``>`` replaced by look-alikes, which cannot make markup), links are http(s) only,
  the Content-Security-Policy pins our own script and style, and the redline contract
  still holds.
* **Bad input.** Each broken file in ``tests/hostile/bad/`` (and the generated cases: an
  oversize file, a folder or an unreadable file where a file belongs, missing parts, a
  corpus path that is a file) is laid over a copy of ``tests/hostile/base/`` and run
  through the CLI, in-process and as ``python -m clausetrack``: one ``path:line:col:
  message`` line (or the file name when there is no line), exit status 2, no traceback,
  and nothing written.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from clausetrack import api
from clausetrack.cli import cli
from clausetrack.compare import compare
from clausetrack.corpus import MAX_DEPTH, MAX_EXPANDED_CHARS, MAX_FILE_BYTES, MAX_NODES, load_corpus
from clausetrack.model import Comparison, Corpus
from clausetrack.render import compare_html

from htmlcheck import contract_problems, parse, redlines, text_without
from support import browser as browser_support

HOSTILE = Path(__file__).parent / "hostile"
XSS = HOSTILE / "xss"
BASE = HOSTILE / "base"
BAD = HOSTILE / "bad"
REPO = Path(__file__).resolve().parents[1]

# Old -> new pairs that between them show every clause added, removed, changed and
# unchanged, attributed along a path forwards and backwards.
PAIRS = [("first", "third"), ("third", "first"), ("second", "third")]
FORMATS = ("html", "text", "markdown", "json")

# Elements a payload tries to smuggle in; none may appear beyond what the template has.
SMUGGLED = (
    "script",
    "img",
    "svg",
    "iframe",
    "object",
    "embed",
    "math",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "input",
    "textarea",
    "a",
    "b",
    "i",
)
# C0 and C1 controls other than newline and tab: what would drive a terminal.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def hostile() -> Corpus:
    return load_corpus(XSS)


# --------------------------------------------------------------------- the defused twin

_DEFUSE = str.maketrans({"<": "\u2039", ">": "\u203a"})


def defused(value: Any) -> Any:
    """``value`` with ``<`` and ``>`` swapped for look-alikes in every string, ids and
    structure unchanged: the same pages, minus any markup a payload could make."""
    if isinstance(value, str):
        return value.translate(_DEFUSE)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: defused(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("loc", "root")
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(defused(v) for v in value)
    if isinstance(value, dict):
        return {k: defused(v) for k, v in value.items()}
    return value


def shape(root: etree._Element) -> Counter[str]:
    """How many of each element and each attribute name a page has."""
    counts: Counter[str] = Counter()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        counts[el.tag] += 1
        for name in el.attrib:
            counts[f"@{name}"] += 1
    return counts


def shape_difference(page: Counter[str], twin: Counter[str]) -> dict[str, tuple[int, int]]:
    keys = set(page) | set(twin)
    return {k: (page[k], twin[k]) for k in sorted(keys) if page[k] != twin[k]}


# --------------------------------------------------------------------- HTML checks


def event_handlers(root: etree._Element) -> list[str]:
    return [
        f"<{el.tag} {name}=...>"
        for el in root.iter()
        if isinstance(el.tag, str)
        for name in el.attrib
        if name.lower().startswith("on") or name.lower() in ("srcdoc", "formaction", "autofocus")
    ]


def unsafe_links(root: etree._Element) -> list[str]:
    """Every href/src/action/data that names a scheme other than http(s): what a browser
    would follow once it drops whitespace and control characters, as it does."""
    bad = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name in ("href", "src", "action", "data", "formaction") or name.endswith("}href"):
                seen = re.sub(r"[\x00-\x20]", "", value).lower()
                scheme = re.match(r"([a-z][a-z0-9+.-]*):", seen)
                if scheme and scheme.group(1) not in ("http", "https"):
                    bad.append(f"<{el.tag} {name}={value!r}>")
    return bad


def csp_of(root: etree._Element) -> dict[str, list[str]]:
    metas = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert len(metas) == 1, "the page must carry exactly one CSP meta element"
    policy: dict[str, list[str]] = {}
    for directive in metas[0].split(";"):
        words = directive.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def csp_problems(root: etree._Element) -> list[str]:
    """What in the page's policy would let a missed escape run, or block our own code."""
    policy = csp_of(root)
    problems = []
    if policy.get("default-src") != ["'none'"]:
        problems.append(f"default-src is {policy.get('default-src')}, not 'none'")
    for directive, tag in (("script-src", "script"), ("style-src", "style")):
        allowed = policy.get(directive, [])
        inline = [el.text or "" for el in root.iter(tag)]
        expected = sorted({sha256_source(t) for t in inline}) or ["'none'"]
        if sorted(allowed) != expected:
            problems.append(f"{directive} is {allowed}, expected exactly {expected}")
    for directive in ("base-uri", "form-action"):
        if policy.get(directive) != ["'none'"]:
            problems.append(f"{directive} is {policy.get(directive)}, not 'none'")
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("style") is not None:
            problems.append(f"<{el.tag} style=...> (inline style attributes are not hashed)")
    return problems


def html_problems(page: str, twin: str) -> list[str]:
    root, twin_root = parse(page), parse(twin)
    problems = [
        f"injected: {k} {n} vs {t} in the twin"
        for k, (n, t) in shape_difference(shape(root), shape(twin_root)).items()
    ]
    problems += [f"event handler attribute {h}" for h in event_handlers(root)]
    problems += [f"unsafe link {u}" for u in unsafe_links(root)]
    problems += csp_problems(root)
    css = "".join(style.text or "" for style in root.iter("style"))
    twin_css = "".join(style.text or "" for style in twin_root.iter("style"))
    if css != twin_css:
        problems.append("the stylesheet differs from the twin's: a payload reached CSS")
    for word in ("alert", "javascript", "expression"):
        if word in css:
            problems.append(f"a party colour reached CSS: {word!r} in <style>")
    for colour in PARTY_RULE.findall(css):
        if not re.fullmatch(r"#[0-9a-f]{3}|#[0-9a-f]{6}", colour):
            problems.append(f"party colour {colour!r} is not a plain hex colour")
    return problems


PARTY_RULE = re.compile(r'\[data-party="[^"]*"\] \{ --party-colour: ([^;]*);')


def page_text(root: etree._Element) -> str:
    body = root.find("body")
    assert body is not None
    return "".join(body.itertext())


# --------------------------------------------------------------------- compare: HTML


def test_the_hostile_corpus_is_valid(hostile: Corpus) -> None:
    """The payloads are all legal values: the loader accepts them, so every renderer
    really meets them."""
    assert sorted(hostile.versions) == ["first", "second", "third"]
    assert "<script>" in hostile.agreement.title
    assert any(
        not re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", p.color)
        for p in hostile.agreement.parties
    )


@pytest.mark.parametrize("old,new", PAIRS)
def test_compare_html_has_no_injected_markup(hostile: Corpus, old: str, new: str) -> None:
    c = compare(hostile, old, new)
    page = compare_html(c)
    twin = compare_html(compare(defused(hostile), old, new))
    assert html_problems(page, twin) == []


@pytest.mark.parametrize("old,new", PAIRS)
def test_compare_html_keeps_the_redline_contract(hostile: Corpus, old: str, new: str) -> None:
    c = compare(hostile, old, new)
    found = redlines(parse(compare_html(c)))
    assert list(found) == [d.clause.id for d in c.clauses]
    for d in c.clauses:
        el = found[d.clause.id]
        assert contract_problems(el) == []
        assert text_without(el, "del") == d.new_text
        assert text_without(el, "ins") == d.old_text


def test_compare_html_shows_every_payload_as_text(hostile: Corpus) -> None:
    c = compare(hostile, "first", "third")
    text = page_text(parse(compare_html(c)))
    a = hostile.agreement
    shown = [a.title, c.old.title, c.new.title]
    shown += [p.name for p in a.parties] + [p.short for p in a.parties]
    for d in c.clauses:
        shown += [d.clause.title, d.clause.topic, *d.notes]
        shown += [x for p in d.new_positions for x in (p.statement, p.speaker) if x]
    missing = [s for s in shown if s not in text]
    assert missing == []
    assert "49" not in text, "{{7*7}} was evaluated as a template"


def test_only_http_urls_become_links(hostile: Corpus) -> None:
    c = compare(hostile, "first", "third")
    # Cite every source, so that each URL reaches the page.
    cited = replace_sources(c, tuple(s.id for s in hostile.agreement.sources))
    root = parse(compare_html(cited))
    hrefs = set(root.xpath("//a/@href"))
    for source in hostile.agreement.sources:
        url = source.url.strip()
        is_web = re.match(r"https?://[^/]", url) is not None
        assert (url in hrefs) == is_web, f"{source.id}: {url!r}"
    assert unsafe_links(root) == []
    text = page_text(root)
    for source in hostile.agreement.sources:
        assert source.title in text


def replace_sources(c: Comparison, ids: tuple[str, ...]) -> Comparison:
    first = c.clauses[0]
    clause = dataclasses.replace(first.clause, sources=ids)
    return dataclasses.replace(
        c, clauses=(dataclasses.replace(first, clause=clause), *c.clauses[1:])
    )


def test_a_party_colour_never_reaches_css_or_markup(hostile: Corpus) -> None:
    page = compare_html(compare(hostile, "first", "third"))
    root = parse(page)
    css = "".join(s.text or "" for s in root.iter("style"))
    for party in hostile.agreement.parties:
        assert party.color not in page.replace("&#34;", '"').replace("&#39;", "'")
        assert party.color not in css
    assert len(PARTY_RULE.findall(css)) == len(hostile.agreement.parties)


# --------------------------------------------------------------------- compare: browser


JS_SHAPE = """() => {
  const counts = {};
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    counts[tag] = (counts[tag] || 0) + 1;
    for (const a of el.attributes) { counts['@' + a.name] = (counts['@' + a.name] || 0) + 1; }
  }
  return counts;
}"""


def browser_shape(page: Any, path: Path) -> Counter[str]:
    browser_support.open_file(page, path)
    return Counter(page.evaluate(JS_SHAPE))


@pytest.mark.parametrize("old,new", PAIRS[:2])
def test_no_payload_runs_in_chromium(
    hostile: Corpus, old: str, new: str, page: Any, page_events: Any, tmp_path: Path
) -> None:
    hostile_page = tmp_path / "hostile.html"
    twin_page = tmp_path / "twin.html"
    hostile_page.write_text(compare_html(compare(hostile, old, new)), encoding="utf-8")
    twin_page.write_text(compare_html(compare(defused(hostile), old, new)), encoding="utf-8")
    twin = browser_shape(page, twin_page)
    seen = browser_shape(page, hostile_page)
    # Hover and focus everything once, so that injected handlers would fire.
    page.evaluate("""() => { for (const el of document.querySelectorAll('body *')) {
        el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
        el.dispatchEvent(new FocusEvent('focus')); } }""")
    page.keyboard.press("j")
    assert shape_difference(seen, twin) == {}
    body = page.inner_text("body")
    assert "<script>alert('clause')</script>" in body
    page_events.assert_clean()  # no dialog, no exception, no CSP violation, no request


def test_csp_stops_a_missed_escape(
    hostile: Corpus, page: Any, page_events: Any, tmp_path: Path
) -> None:
    """Should an escape ever be missed, the policy still stops the script, while our
    own (hash-pinned) script keeps working."""
    html = compare_html(compare(hostile, "first", "third"))
    missed = (
        "<script>alert('missed script')</script>"
        "<img src=x onerror=\"alert('missed handler')\">"
        "<svg onload=\"alert('missed svg')\"></svg>"
        "<a id=missed-link href=\"javascript:alert('missed link')\">x</a>"
    )
    assert html.count('<main id="main">') == 1
    path = tmp_path / "missed.html"
    path.write_text(html.replace('<main id="main">', '<main id="main">' + missed), "utf-8")
    browser_support.open_file(page, path)
    page.click("#missed-link")
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts"), "our own hash-pinned script did not run"
    assert page_events.dialogs == []
    assert page_events.page_errors == []
    blocked = [m for m in page_events.console_errors if "Content Security Policy" in m]
    assert blocked, "the injected script was neither run nor reported as blocked"


# --------------------------------------------------------------------- compare: text formats


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_stdout_formats_carry_no_raw_control_characters(hostile: Corpus, fmt: str) -> None:
    """Text, Markdown and JSON go to the terminal by default: no payload may move the
    cursor, clear the screen, set the window title or ring the bell there."""
    for old, new in PAIRS:
        out = api.render(compare(hostile, old, new), fmt)  # type: ignore[arg-type]
        found = sorted({f"U+{ord(ch):04X}" for ch in RAW_CONTROL.findall(out)})
        assert found == [], f"{fmt} {old}->{new}: raw control characters {found}"


def test_coloured_text_has_only_our_own_escapes(hostile: Corpus) -> None:
    out = api.render(compare(hostile, "first", "third"), "text", color=True)
    ours = re.compile(r"\x1b\[(?:4;32|9;31|1|2|0)m")
    assert "\x1b[4;32m" in out
    leftover = sorted({f"U+{ord(ch):04X}" for ch in RAW_CONTROL.findall(ours.sub("", out))})
    assert leftover == []


def test_json_keeps_every_value_exactly(hostile: Corpus) -> None:
    for old, new in PAIRS:
        c = compare(hostile, old, new)
        data = json.loads(api.render(c, "json"))
        assert data["agreement"]["title"] == hostile.agreement.title
        colours = [p["color"] for p in data["agreement"]["parties"]]
        assert colours == [p.color for p in hostile.agreement.parties]
        for d, clause in zip(c.clauses, data["clauses"], strict=True):
            assert clause["title"] == d.clause.title
            ops = clause["ops"]
            assert "".join(o["text"] for o in ops if o["op"] != "delete") == d.new_text
            assert "".join(o["text"] for o in ops if o["op"] != "insert") == d.old_text


def test_markdown_renders_no_raw_html(hostile: Corpus) -> None:
    """A Markdown redline pasted where Markdown is rendered (an issue, a wiki) shows the
    payloads as text."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py renders the check")
    md = api.render(compare(hostile, "first", "third"), "markdown")
    rendered = markdown_it.MarkdownIt("commonmark").render(md)
    root = etree.fromstring(f"<div>{rendered}</div>", etree.HTMLParser())
    tags = Counter(el.tag for el in root.iter() if isinstance(el.tag, str))
    injected = {t: tags[t] for t in SMUGGLED if tags[t] and t not in ("a",)}
    assert injected == {}
    assert [h for h in root.xpath("//a/@href") if not h.startswith(("http", "#"))] == []
    assert "<script>alert('clause')</script>" in "".join(root.itertext())


@pytest.mark.parametrize("suffix", [".html", ".txt", ".md", ".json"])
def test_cli_writes_every_format_for_the_hostile_corpus(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"redline{suffix}"
    result = CliRunner().invoke(
        cli, ["compare", "first", "third", "--corpus", str(XSS), "-o", str(target)]
    )
    assert result.exit_code == 1, result.output
    assert target.is_file()
    assert RAW_CONTROL.search(result.stderr) is None


# --------------------------------------------------------------------- the report site


@pytest.fixture(scope="module")
def report_module() -> Any:
    return pytest.importorskip(
        "clausetrack.report",
        reason="clausetrack.report (the `clausetrack report` site) is not written yet; "
        "these tests run once it exists",
    )


@pytest.fixture(scope="module")
def hostile_site(report_module: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site") / "report"
    result = CliRunner().invoke(cli, ["report", "--corpus", str(XSS), "-o", str(site)])
    assert result.exit_code == 0, result.output
    return site


@pytest.fixture(scope="module")
def twin_site(
    report_module: Any, hostile: Corpus, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    site = tmp_path_factory.mktemp("twin") / "report"
    report_module.write_report(defused(hostile), site)
    return site


def site_pages(site: Path) -> list[Path]:
    pages = sorted(site.rglob("*.html"))
    assert pages, f"no HTML pages in {site}"
    return pages


def test_report_pages_have_no_injected_markup(hostile_site: Path, twin_site: Path) -> None:
    problems = {}
    for path in site_pages(hostile_site):
        rel = path.relative_to(hostile_site)
        twin = twin_site / rel
        assert twin.is_file(), f"{rel} is not in the twin site"
        found = html_problems(path.read_text("utf-8"), twin.read_text("utf-8"))
        if found:
            problems[str(rel)] = found
    assert problems == {}


def test_report_inline_json_cannot_break_out(hostile_site: Path) -> None:
    for path in site_pages(hostile_site):
        root = parse(path.read_text("utf-8"))
        for script in root.iter("script"):
            kind = (script.get("type") or "").lower()
            if "json" in kind:
                json.loads(script.text or "")  # the whole block is still one JSON value
                assert "</" not in (script.text or ""), f"{path.name}: '</' in inline JSON"


def test_report_keeps_the_redline_contract(hostile_site: Path, hostile: Corpus) -> None:
    checked = 0
    for path in site_pages(hostile_site):
        for el in redlines(parse(path.read_text("utf-8"))).values():
            assert contract_problems(el) == []
            clause = hostile.clauses[str(el.get("data-clause"))]
            texts = {t.text for t in clause.texts.values()} | {""}
            assert text_without(el, "del") in texts
            assert text_without(el, "ins") in texts
            checked += 1
    assert checked, "the report shows no redline"


def test_no_payload_runs_in_any_report_page(
    hostile_site: Path, twin_site: Path, page: Any, page_events: Any
) -> None:
    for path in site_pages(hostile_site):
        twin = browser_shape(page, twin_site / path.relative_to(hostile_site))
        seen = browser_shape(page, path)
        assert shape_difference(seen, twin) == {}, path.name
    page_events.assert_clean()


# --------------------------------------------------------------------- bad input

# (case folder under tests/hostile/bad, the file it replaces, line, message fragment).
# A line of None: the problem names the file alone.
BAD_CASES = [
    ("alias-bomb", "clauses/term.yaml", 4, f"aliases expand to more than {MAX_NODES} values"),
    (
        "alias-text-bomb",
        "clauses/term.yaml",
        5,
        f"aliases expand to more than {MAX_EXPANDED_CHARS // 2**20} Mi characters",
    ),
    ("alias-cycle", "clauses/term.yaml", None, "alias"),
    ("python-object", "agreement.yaml", 1, "tag '!!python/object/apply:os.system' is not allowed"),
    ("python-name", "versions/one.yaml", 2, "tag '!!python/name:os.system' is not allowed"),
    ("custom-tag", "clauses/payment.yaml", 7, "tag '!secret' is not allowed"),
    ("binary-tag", "clauses/term.yaml", 2, "tag '!!binary' is not allowed"),
    ("merge-key", "versions/two.yaml", 2, "merge keys ('<<') are not supported"),
    ("non-utf8", "clauses/term.yaml", 2, "not valid UTF-8: byte 0xff"),
    ("latin1", "agreement.yaml", 1, "not valid UTF-8: byte 0xe9"),
    ("utf16", "clauses/term.yaml", 1, "not valid UTF-8"),
    ("bom", "versions/one.yaml", 1, "byte-order mark"),
    ("tab-indent", "clauses/term.yaml", 5, "tab character used for indentation"),
    ("nul-byte", "clauses/term.yaml", 2, "NUL byte"),
    ("control-char", "clauses/term.yaml", 2, "control character U+001B"),
    ("deep-nesting", "clauses/term.yaml", None, f"nested more than {MAX_DEPTH} levels deep"),
    ("deep-flow", "clauses/term.yaml", 2, "nesting depth"),
    ("empty-file", "clauses/term.yaml", None, "file is empty"),
    ("not-a-mapping", "versions/two.yaml", 1, "version must be a mapping"),
    ("two-documents", "clauses/term.yaml", 4, "YAML syntax error"),
    ("duplicate-key", "clauses/term.yaml", 3, "duplicate key 'title'"),
    ("unquoted-colon", "clauses/term.yaml", 2, "YAML syntax error"),
    ("complex-key", "clauses/term.yaml", 4, "a key must be plain text"),
]


def line_pattern(path: Path, line: int | None, message: str) -> re.Pattern[str]:
    where = re.escape(str(path)) + (rf":{line}:\d+" if line is not None else r"(?::\d+:\d+)?")
    return re.compile(rf"^{where}: .*{re.escape(message)}", re.MULTILINE)


def snapshot(folder: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every entry under ``folder``: mode, size, mtime and, for small files, the bytes."""
    out: dict[str, tuple[int, int, int, bytes | None]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = None
        if path.is_file() and not path.is_symlink() and info.st_size < 2**20:
            with open(path, "rb") as f:
                data = f.read()
        out[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns, data)
    return out


class Workspace:
    """A copy of the base corpus, and an output folder with a previous redline in it."""

    def __init__(self, tmp: Path) -> None:
        self.corpus = tmp / "corpus"
        shutil.copytree(BASE, self.corpus)
        self.out = tmp / "out"
        self.out.mkdir()
        self.previous = self.out / "redline.html"
        self.previous.write_text("previous output\n", encoding="utf-8")
        self.fresh = self.out / "new.json"

    def overlay(self, case: str) -> None:
        src = BAD / case
        for path in src.rglob("*"):
            if path.is_file():
                target = self.corpus / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)

    def before(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return snapshot(self.corpus), snapshot(self.out)

    def commands(self) -> Iterator[list[str]]:
        c = str(self.corpus)
        yield ["check", "--corpus", c]
        yield ["compare", "one", "two", "--corpus", c, "-o", str(self.previous)]
        yield ["compare", "one", "two", "--corpus", c, "-o", str(self.fresh)]
        yield ["compare", "one", "two", "--corpus", c, "--format", "text"]
        yield ["list", "--corpus", c]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def assert_clean_failure(
    result: Result | subprocess.CompletedProcess[str], args: list[str], pattern: re.Pattern[str]
) -> None:
    if isinstance(result, Result):
        code, out, err = result.exit_code, result.stdout, result.stderr
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not crashed, f"{args}: {result.exception!r}"
    else:
        code, out, err = result.returncode, result.stdout, result.stderr
    assert code == 2, f"{args}: exit {code}\n{err}"
    assert "Traceback" not in out + err
    assert out == "", f"{args}: wrote to stdout: {out[:200]!r}"
    assert pattern.search(err), f"{args}: no line matching {pattern.pattern!r} in:\n{err}"
    assert re.search(r"^Error: ", err, re.MULTILINE), err
    assert "this is a bug in clausetrack" not in err


def run_everywhere(ws: Workspace, pattern: re.Pattern[str], *, subprocess_too: bool = True) -> None:
    """Every command, in-process and as ``python -m clausetrack``: a clean failure and
    nothing written, the corpus untouched."""
    corpus_before, out_before = ws.before()
    runner = CliRunner()
    for args in ws.commands():
        assert_clean_failure(runner.invoke(cli, args), args, pattern)
    if subprocess_too:
        for args in list(ws.commands())[:2]:
            proc = subprocess.run(
                [sys.executable, "-m", "clausetrack", *args],
                capture_output=True,
                text=True,
                cwd=ws.out.parent,
                timeout=120,
                env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            )
            assert_clean_failure(proc, args, pattern)
    assert snapshot(ws.out) == out_before, "the output folder changed"
    assert not ws.fresh.exists()
    assert snapshot(ws.corpus) == corpus_before, "the corpus changed"


def test_every_bad_case_has_its_folder() -> None:
    folders = sorted(p.name for p in BAD.iterdir() if p.is_dir())
    assert folders == sorted(case for case, *_ in BAD_CASES)


@pytest.mark.parametrize("case,relpath,line,message", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_file_is_one_clear_error(
    ws: Workspace, case: str, relpath: str, line: int | None, message: str
) -> None:
    ws.overlay(case)
    run_everywhere(ws, line_pattern(ws.corpus / relpath, line, message))


def test_python_tags_construct_nothing(ws: Workspace) -> None:
    """``!!python/object/apply:os.system`` is refused, not run."""
    ws.overlay("python-object")
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--corpus", str(ws.corpus)])
    assert result.exit_code == 2
    assert not (ws.out.parent / "PWNED").exists()
    assert not Path("PWNED").exists()


def test_the_documented_limits_are_the_enforced_ones() -> None:
    doc = (REPO / "docs" / "corpus-format.md").read_text("utf-8")
    assert f"| file size | {MAX_FILE_BYTES // 2**20} MiB |" in doc
    assert f"| values after expanding aliases | {MAX_NODES:,} |" in doc
    assert f"| text after expanding aliases | {MAX_EXPANDED_CHARS // 2**20} Mi characters |" in doc
    assert f"| nesting of lists and mappings | {MAX_DEPTH} levels |" in doc


def test_oversize_file_is_refused_before_it_is_parsed(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    big = ws.corpus / "clauses" / "term.yaml"
    with big.open("ab") as f:
        f.write(b"# " + b"x" * (MAX_FILE_BYTES + 1) + b"\n")
    parsed: list[int] = []
    real_compose = yaml.compose

    def spy(stream: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(len(stream))
        return real_compose(stream, *args, **kwargs)

    monkeypatch.setattr(yaml, "compose", spy)
    pattern = line_pattern(big, None, "file is too large")
    run_everywhere(
        ws, re.compile(pattern.pattern + r".*16 MiB", re.MULTILINE), subprocess_too=False
    )
    assert parsed and max(parsed) < MAX_FILE_BYTES, "the oversize file reached the YAML parser"


def test_huge_sparse_file_is_refused_by_its_size(ws: Workspace) -> None:
    """A 64 GiB (sparse) file: refused from its size, never read into memory."""
    big = ws.corpus / "versions" / "two.yaml"
    with big.open("r+b") as f:
        f.truncate(64 * 2**30)
    run_everywhere(ws, line_pattern(big, None, "file is too large"), subprocess_too=False)


@pytest.mark.parametrize("relpath", ["agreement.yaml", "clauses/term.yaml", "versions/one.yaml"])
def test_folder_where_a_file_belongs(ws: Workspace, relpath: str) -> None:
    target = ws.corpus / relpath
    target.unlink()
    target.mkdir()
    (target / "inside.yaml").write_text("id: x\n", encoding="utf-8")
    pattern = line_pattern(target, None, "folder")
    run_everywhere(ws, pattern, subprocess_too=relpath == "agreement.yaml")


@pytest.mark.parametrize("missing", ["agreement.yaml", "versions", "clauses"])
def test_missing_part_of_the_corpus(ws: Workspace, missing: str) -> None:
    target = ws.corpus / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    shown = missing if missing.endswith(".yaml") else missing + "/"
    pattern = line_pattern(ws.corpus, None, f"not a clausetrack corpus: {shown} is missing")
    run_everywhere(ws, pattern, subprocess_too=missing == "versions")


@pytest.mark.parametrize(
    "kind,message", [("file", "not a clausetrack corpus"), ("nowhere", "no such folder")]
)
def test_corpus_path_that_is_not_a_folder(ws: Workspace, kind: str, message: str) -> None:
    shutil.rmtree(ws.corpus)
    if kind == "file":
        ws.corpus.write_text("title: x\n", encoding="utf-8")
    pattern = line_pattern(ws.corpus, None, message)
    runner = CliRunner()
    for args in ws.commands():
        assert_clean_failure(runner.invoke(cli, args), args, pattern)
    assert ws.previous.read_text("utf-8") == "previous output\n"
    assert not ws.fresh.exists()


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root, where chmod 000 does not stop reads "
    "(test_unreadable_file_simulated covers it)",
)
def test_unreadable_file(ws: Workspace) -> None:
    target = ws.corpus / "clauses" / "term.yaml"
    target.chmod(0)
    try:
        run_everywhere(ws, line_pattern(target, None, "cannot read this file: permission denied"))
    finally:
        target.chmod(0o644)


def test_unreadable_file_simulated(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 as an unprivileged user sees it: opening the file fails with EACCES."""
    import errno

    target = ws.corpus / "clauses" / "term.yaml"
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    pattern = line_pattern(target, None, "cannot read this file: permission denied")
    run_everywhere(ws, pattern, subprocess_too=False)


# Every field of every file, given a value of the wrong type (a mapping, which no field
# takes as its value). (file, the line's text in the base corpus as it starts).
FIELDS = [
    ("agreement.yaml", "title:"),
    ("agreement.yaml", "summary:"),
    ("agreement.yaml", "parties:"),
    ("agreement.yaml", "sources:"),
    ("agreement.yaml", "events:"),
    ("agreement.yaml", "  - id: alpha"),
    ("agreement.yaml", '    name: "Alpha"'),
    ("agreement.yaml", '    short: "A"'),
    ("agreement.yaml", '    color: "#1f4e9c"'),
    ("agreement.yaml", "    role: negotiator"),
    ("agreement.yaml", "  - id: record"),
    ("agreement.yaml", '    title: "The record"'),
    ("agreement.yaml", "    url:"),
    ("agreement.yaml", '    date: "2025-01-01"'),
    ("agreement.yaml", "    publisher:"),
    ("agreement.yaml", "  - date:"),
    ("agreement.yaml", '    title: "First draft"'),
    ("agreement.yaml", "    description:"),
    ("agreement.yaml", "    parties:"),
    ("agreement.yaml", "    sources:"),
    *(
        ("versions/one.yaml", f"{k}:")
        for k in (
            "id",
            "title",
            "date",
            "proposed_by",
            "based_on",
            "status",
            "summary",
            "sources",
            "clauses",
        )
    ),
    *(
        ("clauses/payment.yaml", f"{k}:")
        for k in ("id", "title", "topic", "sources", "text", "positions")
    ),
    ("clauses/payment.yaml", "  one:"),
    *(("clauses/payment.yaml", f"    {k}:") for k in ("text", "proposed_by", "note", "sources")),
    *(
        ("clauses/payment.yaml", f"{p}{k}:")
        for p, k in (
            ("  - ", "party"),
            ("    ", "versions"),
            ("    ", "stance"),
            ("    ", "statement"),
            ("    ", "speaker"),
            ("    ", "date"),
            ("    ", "sources"),
        )
    ),
]


def wrong_typed(text: str, start: str) -> tuple[str, int]:
    """``text`` with the value on the first line starting with ``start`` replaced by a
    flow mapping (and the block under it dropped); the text and the 1-based line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(start):
            key = start.rstrip(":").split(":")[0]
            indent = len(key) - len(key.lstrip(" -"))
            end = i + 1
            while (
                line.rstrip().endswith(":")
                and end < len(lines)
                and lines[end].strip()
                and (len(lines[end]) - len(lines[end].lstrip(" -")) > indent)
            ):
                end += 1
            lines[i:end] = [f"{key}: {{wrong: [type]}}"]
            return "\n".join(lines), i + 1
    raise AssertionError(f"no line starts with {start!r}")


@pytest.mark.parametrize("relpath,start", FIELDS, ids=[f"{f}|{s.strip()}" for f, s in FIELDS])
def test_wrong_type_in_every_field(ws: Workspace, relpath: str, start: str) -> None:
    path = ws.corpus / relpath
    text, line = wrong_typed(path.read_text("utf-8"), start)
    path.write_text(text, encoding="utf-8")
    corpus_before, out_before = ws.before()
    runner = CliRunner()
    for args in list(ws.commands())[:3]:
        assert_clean_failure(runner.invoke(cli, args), args, line_pattern(path, line, ""))
    assert snapshot(ws.out) == out_before
    assert snapshot(ws.corpus) == corpus_before


# Scalars of the wrong kind that YAML reads without complaint.
SCALAR_CASES = [
    ("agreement.yaml", 'title: "Base corpus"', "title: 2025", "title must be a string"),
    ("agreement.yaml", "    role: negotiator", "    role: yes", "unknown role"),
    ("agreement.yaml", '    name: "Alpha"', "    name:", "name"),
    ("versions/one.yaml", 'date: "2025-02-01"', "date: 2025-02-30", "not a valid date"),
    ("versions/one.yaml", 'date: "2025-02-01"', "date: 2025-02-01T10:00:00", "date"),
    ("versions/one.yaml", "status: proposal", "status: maybe", "unknown status"),
    (
        "versions/one.yaml",
        "clauses: [payment, term]",
        "clauses: [payment, term, term]",
        "listed twice",
    ),
    ("versions/two.yaml", "based_on: one", "based_on: two", "cycle"),
    ("clauses/payment.yaml", "    stance: opposes", "    stance: 3.5", "stance"),
    ("clauses/payment.yaml", "    versions: [one]", "    versions: []", "at least one"),
    ("clauses/term.yaml", 'title: "Term"', "title: .nan", "title must be a string"),
    ("clauses/term.yaml", 'title: "Term"', "titel: Term", "unknown key 'titel'"),
]


@pytest.mark.parametrize(
    "relpath,old,new,message", SCALAR_CASES, ids=[f"{c[0]}|{c[2]}" for c in SCALAR_CASES]
)
def test_wrong_scalar(ws: Workspace, relpath: str, old: str, new: str, message: str) -> None:
    path = ws.corpus / relpath
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    corpus_before, out_before = ws.before()
    runner = CliRunner()
    for args in list(ws.commands())[:3]:
        result = runner.invoke(cli, args)
        assert_clean_failure(
            result,
            args,
            re.compile(rf"^{re.escape(str(path))}:\d+:\d+: .*{re.escape(message)}", re.MULTILINE),
        )
        assert re.search(rf"^{re.escape(str(path))}:{line}:", result.stderr, re.MULTILINE), (
            result.stderr
        )
    assert snapshot(ws.out) == out_before
    assert snapshot(ws.corpus) == corpus_before


# --------------------------------------------------------------------- size


def generate_corpus(root: Path, clauses: int, versions: int = 2, words: int = 40) -> Path:
    """A valid corpus of ``clauses`` clauses in a chain of ``versions`` versions."""
    (root / "versions").mkdir(parents=True)
    (root / "clauses").mkdir()
    (root / "agreement.yaml").write_text(
        'title: "Generated"\nsummary: "Big."\nparties:\n'
        '  - {id: alpha, name: "Alpha", short: "A", color: "#123456", role: negotiator}\n'
        '  - {id: beta, name: "Beta", short: "B", color: "#654321", role: negotiator}\n'
        "sources: []\n",
        encoding="utf-8",
    )
    ids = [f"c{i:05d}" for i in range(clauses)]
    for v in range(versions):
        parent = f"v{v - 1}" if v else "null"
        (root / "versions" / f"v{v}.yaml").write_text(
            f'id: v{v}\ntitle: "Version {v}"\ndate: "2025-01-{v + 1:02d}"\n'
            f"proposed_by: {'alpha' if v % 2 == 0 else 'beta'}\nbased_on: {parent}\n"
            f"status: draft\nclauses: [{', '.join(ids)}]\n",
            encoding="utf-8",
        )
    for i, cid in enumerate(ids):
        texts = []
        base = [f"w{(i * 7 + j * 13) % 97}" for j in range(words)]
        for v in range(versions):
            body = list(base)
            if i % 3:  # two clauses in three change: a word replaced, an amount raised
                body[(i + v) % words] = f"changed{v}"
                body.append(f"USD {10 + v} million")
            texts.append(f'  v{v}: "Clause {i}: {" ".join(body)}."')
        (root / "clauses" / f"{cid}.yaml").write_text(
            f'id: {cid}\ntitle: "Clause {i}"\ntopic: "t{i % 5}"\ntext:\n' + "\n".join(texts) + "\n",
            encoding="utf-8",
        )
    return root


def test_two_thousand_clauses_compare(tmp_path: Path) -> None:
    corpus = generate_corpus(tmp_path / "big", 2000)
    out = tmp_path / "big.json"
    result = CliRunner().invoke(
        cli, ["compare", "v0", "v1", "--corpus", str(corpus), "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    assert len(data["clauses"]) == 2000
    changed = [c for c in data["clauses"] if c["status"] == "changed"]
    assert changed and all(
        "".join(o["text"] for o in c["ops"] if o["op"] != "delete") == c["new_text"]
        for c in changed
    )
