"""`clausetrack report`: the site's pages, links, contract, determinism and safe writing."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausetrack import api, report
from clausetrack.cache import CACHE_DIR
from clausetrack.cli import cli
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.errors import ClausetrackError
from clausetrack.model import Corpus
from clausetrack.report import MARKER, ReportResult, write_report
from clausetrack.resources import bundled_corpus

from htmlcheck import broken_links, contract_problems, parse, redlines, text_without, visible_text

CORPUS = load_corpus(bundled_corpus())
HISTORY = [v.id for v in api.history(CORPUS)]
PAIRS = [(v.based_on, v.id) for v in api.history(CORPUS) if v.based_on] + [
    (HISTORY[0], HISTORY[-1])
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportResult]:
    out = tmp_path_factory.mktemp("report") / "site"
    return out, write_report(CORPUS, out)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def html_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_site_has_every_page(site: tuple[Path, ReportResult]) -> None:
    out, result = site
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    expected = sorted(
        ["index.html", "sources.html"]
        + [f"versions/{old}_{new}.html" for old, new in PAIRS]
        + [f"clauses/{c}.html" for c in CORPUS.clauses]
    )
    assert pages == expected
    assert result.pages == len(expected)
    assert list(result.files) == expected


def test_every_link_resolves_to_a_file_and_an_anchor(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    ids = {p: parse(html_of(p)).xpath("//@id") for p in out.rglob("*.html")}
    for page in ids:
        root = parse(html_of(page))
        assert broken_links(root, page) == [], page
        for href in root.xpath("//a/@href"):
            if href.startswith(("http://", "https://")) or "#" not in href or href.startswith("#"):
                continue
            target, anchor = href.split("#", 1)
            assert anchor in ids[(page.parent / target).resolve()], f"{page.name}: {href}"


def test_no_page_loads_anything(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    for page in out.rglob("*.html"):
        root = parse(html_of(page))
        assert not root.xpath("//script[@src] | //link[@href] | //img[@src] | //iframe"), page
        csp = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
        assert csp.startswith("default-src 'none'")


@pytest.mark.parametrize("old,new", PAIRS)
def test_version_pages_keep_the_redline_contract(
    site: tuple[Path, ReportResult], old: str, new: str
) -> None:
    out, _ = site
    c = compare(CORPUS, old, new)
    root = parse(html_of(out / "versions" / f"{old}_{new}.html"))
    found = redlines(root)
    assert list(found) == [d.clause.id for d in c.clauses]
    for d in c.clauses:
        assert contract_problems(found[d.clause.id]) == []
        assert text_without(found[d.clause.id], "del") == d.new_text
        assert text_without(found[d.clause.id], "ins") == d.old_text
    # The side panel lists every change and links to it.
    marks = root.xpath("//*[@class='redline']/*")
    panel = root.xpath("//nav[@id='change-panel']//li[contains(@class,'change-item')]/a/@href")
    assert panel == [f"#{m.get('id')}" for m in marks]


def test_clause_page_shows_each_step_and_blames_every_word(
    site: tuple[Path, ReportResult],
) -> None:
    out, _ = site
    clause = CORPUS.clauses["revenue-contribution"]
    root = parse(html_of(out / "clauses" / "revenue-contribution.html"))
    steps = root.xpath("//*[contains(concat(' ', @class, ' '), ' step-redline ')]")
    assert [s.get("data-step") for s in steps] == ["revised-terms", "draft", "signed"]
    for step in steps:
        version = CORPUS.versions[step.get("data-step")]
        assert contract_problems(step) == []
        assert text_without(step, "del") == clause.texts[version.id].text
        before = clause.texts.get(version.based_on or "")
        assert text_without(step, "ins") == (before.text if before else "")
    blame = root.xpath("//div[@class='blame']")[0]
    assert "".join(blame.itertext()) == clause.texts["signed"].text
    runs = blame.xpath("./span")
    assert {r.get("data-version") for r in runs} == {"revised-terms", "draft", "signed"}
    assert all(r.get("data-party") == "us" for r in runs)
    assert all(r.get("title", "").startswith("Introduced by United States in ") for r in runs)
    legend = " ".join(root.xpath("string(//table[contains(@class,'blame-key')])").split())
    assert "Revised fund terms" in legend and "Agreement as signed" in legend


def test_clause_page_lists_positions_with_speakers_and_sources(
    site: tuple[Path, ReportResult],
) -> None:
    out, _ = site
    root = parse(html_of(out / "clauses" / "payment-demand.html"))
    ukraine = root.xpath("//section[@id='positions-ukraine']")[0]
    text = " ".join(visible_text(ukraine).split())
    assert "rejects" in text and "Volodymyr Zelensky" in text and "2025-02" in text
    assert ukraine.xpath(".//a[contains(@href,'sources.html#source-article')]")


def test_clause_page_states_each_steps_key_changes(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    root = parse(html_of(out / "clauses" / "fund-management.html"))
    steps = {s.get("id"): s for s in root.xpath("//section[contains(@class,'history-step')]")}
    summaries = {
        sid: [" ".join(visible_text(k).split()) for k in s.xpath(".//*[@class='summary']")]
        for sid, s in steps.items()
    }
    draft = next(v for k, v in summaries.items() if k and k.endswith("draft"))
    assert draft == [
        "Party changed: the United States → the United States and Ukraine (shall be held)"
    ]


def test_index_grid_links_each_change_to_its_redline(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    root = parse(html_of(out / "index.html"))
    grid = root.xpath("//table[@class='grid']")[0]
    row = grid.xpath(".//tr[th/a[@href='clauses/revenue-contribution.html']]")[0]
    cells = row.xpath("./td")
    assert len(cells) == len(HISTORY)
    texts = [" ".join(visible_text(c).split()) for c in cells]
    assert "not in Initial U.S. demand" in texts[0]
    assert "added in Revised fund terms, 20 words" in texts[1]
    changed = cells[3].xpath("./a")[0]
    assert changed.get("href") == "versions/draft_signed.html#clause-revenue-contribution"
    assert "Δ 20" in " ".join(changed.xpath("string(./span[@aria-hidden])").split())


def test_index_shows_timeline_and_positions(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    root = parse(html_of(out / "index.html"))
    svg = root.xpath("//svg")[0]
    texts = svg.xpath(".//*[local-name()='text'][@class='label']/text()")
    labels = [" ".join(t.split()) for t in texts]
    assert len(labels) == len(HISTORY) + len(CORPUS.agreement.events)
    assert labels[0] == "2025-02-12 Initial U.S. demand"
    assert "2025-02 Revised fund terms" in labels
    matrix = root.xpath("//table[@class='matrix']")[0]
    row = matrix.xpath(".//tr[th/a[@href='clauses/payment-demand.html']]")[0]
    assert "rejects" in visible_text(row) and "✖" in visible_text(row)


def test_sources_page_lists_what_cites_each_source(site: tuple[Path, ReportResult]) -> None:
    out, _ = site
    root = parse(html_of(out / "sources.html"))
    entry = root.xpath("//li[@id='source-pravda-2025-02-15']")[0]
    text = " ".join(visible_text(entry).split())
    assert "Zelensky declines to sign the first draft" in text  # an event
    assert entry.xpath(".//a[@href='index.html#event-2']")
    article = " ".join(visible_text(root.xpath("//li[@id='source-article']")[0]).split())
    assert "Payment of USD 50 billion in revenue" in article and "Ukraine rejects" in article


def test_same_corpus_same_bytes(site: tuple[Path, ReportResult], tmp_path: Path) -> None:
    out, _ = site
    write_report(load_corpus(bundled_corpus()), tmp_path / "again")
    assert snapshot(tmp_path / "again") == snapshot(out)


def test_a_failing_run_leaves_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    write_report(CORPUS, out)
    before = snapshot(out)
    calls = []

    def broken(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    real = report.clause_page_view
    monkeypatch.setattr(report, "clause_page_view", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(CORPUS, out, cache=False)  # with the cache, no page would be rendered
    assert snapshot(out) == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [CACHE_DIR, "site"], "a temporary folder is left"


def test_progress_is_reported_page_by_page(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = write_report(CORPUS, tmp_path / "site", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, result.pages) for i in range(1, result.pages + 1)]


def test_refuses_the_corpus_folder_and_its_parents(tmp_path: Path) -> None:
    for target in (CORPUS.root, CORPUS.root.parent):
        with pytest.raises(ClausetrackError, match="would replace the corpus folder"):
            write_report(CORPUS, target)


def test_refuses_a_symlink_and_a_folder_that_is_not_a_report(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link"
    link.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ClausetrackError, match="symbolic link"):
        write_report(CORPUS, link)
    (elsewhere / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ClausetrackError, match="holds no earlier report"):
        write_report(CORPUS, elsewhere)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["notes.txt"]


def test_replacing_a_report_does_not_follow_links_inside_it(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_report(CORPUS, out)
    victim = tmp_path / "victim.html"
    victim.write_text("keep me", encoding="utf-8")
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(victim)
    write_report(CORPUS, out)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (out / "index.html").is_symlink() and (out / MARKER).is_file()


def test_template_dir_overrides_a_block_and_custom_css(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html.jinja2").write_text(
        '{% extends "default/index.html.jinja2" %}\n'
        '{% block agreement %}<p class="ours">Briefing for {{ view.title }}</p>{% endblock %}\n',
        encoding="utf-8",
    )
    (templates / "custom.css").write_text(".ours { color: #123456; }\n", encoding="utf-8")
    write_report(CORPUS, tmp_path / "site", template_dir=templates)
    index = html_of(tmp_path / "site" / "index.html")
    root = parse(index)
    assert root.xpath("string(//p[@class='ours'])") == f"Briefing for {CORPUS.agreement.title}"
    assert not root.xpath("//section[@class='agreement']")
    assert root.xpath("//section[@class='grid-section']"), "the other blocks stay"
    style = root.xpath("string(//style)")
    assert style.rstrip().endswith(".ours { color: #123456; }")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner in ``tmp_path``, on the bundled corpus."""
    monkeypatch.delenv("CLAUSETRACK_CORPUS", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_cli_writes_the_site_and_reports_trouble(tmp_path: Path, runner: CliRunner) -> None:
    ok = runner.invoke(cli, ["report", "-o", "out"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "out" / "index.html").is_file()
    assert ok.stderr.startswith("Wrote ")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("x", encoding="utf-8")
    bad = runner.invoke(cli, ["report", "-o", "mine"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: will not replace mine: it is not empty")
    assert "Traceback" not in bad.output


def test_no_cache_makes_the_same_site_and_keeps_no_cache(tmp_path: Path, runner: CliRunner) -> None:
    plain = runner.invoke(cli, ["report", "--no-cache", "-o", "plain/site"])
    assert plain.exit_code == 0, plain.output
    assert not (tmp_path / "plain" / CACHE_DIR).exists()
    cached = runner.invoke(cli, ["report", "-o", "cached/site"])
    assert cached.exit_code == 0, cached.output
    assert (tmp_path / "cached" / CACHE_DIR).is_dir()
    assert snapshot(tmp_path / "plain" / "site") == snapshot(tmp_path / "cached" / "site")
    helped = runner.invoke(cli, ["report", "--help"])
    assert "--no-cache" in helped.output and ".clausetrack-cache" in helped.output


def test_each_page_s_cycles_are_freed_as_it_is_rendered(tmp_path: Path) -> None:
    """The command line runs with the cyclic collector off. A page leaves objects in
    cycles (Jinja2's macros and their closures), and the report frees them after each
    page, so a long site never holds every page's at once. On the bundled corpus's 19
    pages, 3,941 objects were left in cycles without this, and 177 with it."""
    gc.collect()
    gc.disable()
    try:
        write_report(CORPUS, tmp_path / "site", cache=False)
        left_in_cycles = gc.collect()
    finally:
        gc.enable()
    assert left_in_cycles < 1000


def test_a_template_error_is_reported_with_exit_2(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "sources.html.jinja2").write_text("{% block x %}", encoding="utf-8")
    with pytest.raises(ClausetrackError, match="a template failed"):
        write_report(CORPUS, tmp_path / "site", template_dir=templates)
    assert not (tmp_path / "site").exists()


def _corpus_copy(tmp_path: Path) -> Corpus:
    import shutil

    root = tmp_path / "corpus"
    for name in ("clauses", "versions"):
        shutil.copytree(CORPUS.root / name, root / name)
    shutil.copy(CORPUS.root / "agreement.yaml", root / "agreement.yaml")
    return load_corpus(root)


def test_a_report_inside_the_corpus_folder_is_allowed(tmp_path: Path) -> None:
    corpus = _corpus_copy(tmp_path)
    result = write_report(corpus, corpus.root / "build" / "report")
    assert result.out_dir == (corpus.root / "build" / "report").resolve()
    # nothing left beside it but the report's cache
    assert sorted(os.listdir(corpus.root / "build")) == [CACHE_DIR, "report"]


# The old loops of the macros, as templates: the view-model's pre-rendered HTML must print
# exactly what they printed, escaping included.
_SPANS_LOOP = (
    '{% for s in spans %}{% if s.kind == "equal" %}{{ s.text }}{% elif s.kind == "insert" %}'
    '<ins{% if s.anchor %} id="{{ s.anchor }}"{% endif %} data-party="{{ s.party.id if s.party'
    " else '' }}\" data-version=\"{{ s.version.id if s.version else '' }}\" "
    'title="{{ s.tooltip }}">'
    '{{ s.text }}</ins>{% else %}<del{% if s.anchor %} id="{{ s.anchor }}"{% endif %} '
    'data-party="{{ s.party.id if s.party else \'\' }}" data-version="{{ s.version.id if '
    's.version else \'\' }}" title="{{ s.tooltip }}">{{ s.text }}</del>{% endif %}{% endfor %}'
)


def test_pre_rendered_redlines_escape_like_the_templates(tmp_path: Path) -> None:
    import jinja2

    from clausetrack.model import Span
    from clausetrack.view import Lookup, change_groups, span_views

    hostile = "<script>alert('x')</script> & \"quoted\" <b>"
    spans = (
        Span("equal", hostile),
        Span("insert", hostile, "signed", "us"),
        Span("delete", "a'b\"c<d>&e", "draft", "nobody"),
        Span("insert", "no party", None, None),
    )
    views = span_views(spans, Lookup(CORPUS), 'p"<x>')
    env = jinja2.Environment(autoescape=True)
    expected = env.from_string(_SPANS_LOOP).render(spans=views)
    group = change_groups([("T<i>'", "a", views)])[0]
    assert str(group.panel_html).count("<li ") == 3
    assert "<script>" not in str(group.panel_html) + str(group.table_html)
    from clausetrack.view import spans_html

    assert str(spans_html(views)) == expected
    assert "<script>" not in expected
