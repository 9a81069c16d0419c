"""The report in a real browser (Debian's Chromium), from file:// with no network: the
keyboard, the party filter and the views do what a reviewer expects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.model import Comparison
from clausetrack.report import write_report
from clausetrack.resources import bundled_corpus

from support.browser import PageEvents, block_network, open_file

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

CORPUS = load_corpus(bundled_corpus())
MARKS = ".redline ins, .redline del"
# Marks a reader can see as changes: displayed, and not shown as accepted by the filter.
HIGHLIGHTED = """() => Array.from(document.querySelectorAll('.redline ins, .redline del'))
  .filter(el => el.offsetParent !== null
    && getComputedStyle(el).backgroundColor !== 'rgba(0, 0, 0, 0)')
  .map(el => el.dataset.party)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    write_report(CORPUS, out)
    return out


@pytest.fixture(scope="module")
def first_last() -> Comparison:
    return compare(CORPUS, "us-initial", "signed")


def open_redline(page: Page, site: Path) -> None:
    open_file(page, site / "versions" / "us-initial_signed.html")


def test_controls_appear_and_the_page_is_clean(
    page: Page, page_events: PageEvents, site: Path
) -> None:
    open_redline(page, site)
    assert page.locator("#review-controls").is_visible()
    assert page.locator("#shortcuts").is_hidden()
    assert page.locator("#change-panel").is_visible()
    page_events.assert_clean()


def test_j_and_k_walk_the_changes_in_order(page: Page, page_events: PageEvents, site: Path) -> None:
    open_redline(page, site)
    ids = page.eval_on_selector_all(MARKS, "els => els.map(e => e.id)")
    assert len(ids) > 3
    focused = "() => document.activeElement.id"
    page.keyboard.press("j")
    assert page.evaluate(focused) == ids[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate(focused) == ids[2]
    page.keyboard.press("k")
    assert page.evaluate(focused) == ids[1]
    assert page.locator(".current-change").count() == 1
    assert page.locator(f"#{ids[1]}").is_visible()
    page_events.assert_clean()


def test_n_and_p_walk_the_clauses_and_question_mark_shows_help(
    page: Page, page_events: PageEvents, site: Path, first_last: Comparison
) -> None:
    open_redline(page, site)
    anchors = [f"clause-{d.clause.id}" for d in first_last.clauses]
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == anchors[1]
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.id") == anchors[0]
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    assert page.locator("#shortcuts [data-shortcut='j']").inner_text().split() == [
        "j",
        "next",
        "change",
    ]
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_hidden()
    page_events.assert_clean()


def test_filter_to_ukraine_shows_only_ukraines_changes(
    page: Page, page_events: PageEvents, site: Path
) -> None:
    open_redline(page, site)
    assert set(page.evaluate(HIGHLIGHTED)) == {"us", "ukraine"}
    page.get_by_role("radio", name="Ukraine").check()
    highlighted = page.evaluate(HIGHLIGHTED)
    assert highlighted and set(highlighted) == {"ukraine"}
    # The U.S. deletions are gone; its insertions read as plain text.
    for el in page.locator(".redline del[data-party='us']").all():
        assert el.is_hidden()
    panel = page.locator("#change-panel .change-item")
    shown = [i for i in range(panel.count()) if panel.nth(i).is_visible()]
    assert shown and all(panel.nth(i).get_attribute("data-party") == "ukraine" for i in shown)
    assert "made by Ukraine" in page.locator(".filter-status").inner_text()
    # j now steps through Ukraine's changes only.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.party") == "ukraine"
    page.get_by_role("radio", name="All parties").check()
    assert set(page.evaluate(HIGHLIGHTED)) == {"us", "ukraine"}
    page_events.assert_clean()


@pytest.mark.parametrize("view,side", [("Clean new", "new"), ("Clean old", "old")])
def test_clean_views_show_exactly_one_text(
    page: Page, page_events: PageEvents, site: Path, first_last: Comparison, view: str, side: str
) -> None:
    open_redline(page, site)
    page.get_by_role("radio", name=view).check()
    for d in first_last.clauses:
        expected = d.new_text if side == "new" else d.old_text
        assert page.locator(f".redline[data-clause='{d.clause.id}']").inner_text() == expected
    page_events.assert_clean()


def test_side_by_side_shows_old_and_new_in_two_columns(
    page: Page, page_events: PageEvents, site: Path, first_last: Comparison
) -> None:
    open_redline(page, site)
    page.get_by_role("radio", name="Side by side").check()
    d = next(d for d in first_last.clauses if d.status == "changed")
    clause = page.locator(f"#clause-{d.clause.id}")
    assert clause.locator(".redline").is_hidden()
    old, new = clause.locator(".sbs-old"), clause.locator(".sbs-new")
    assert old.is_visible() and new.is_visible()
    assert old.bounding_box()["x"] < new.bounding_box()["x"]  # type: ignore[index]
    assert old.evaluate("el => el.textContent") == d.old_text
    assert new.evaluate("el => el.textContent") == d.new_text
    assert page.locator(".redline").count() == len(first_last.clauses)  # no contract copies
    page.get_by_role("radio", name="Inline redline").check()
    assert clause.locator(".redline").is_visible()
    page_events.assert_clean()


def test_compare_page_without_javascript_reads_fully(browser: Browser, site: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    events = PageEvents()
    block_network(context, events)
    try:
        page = context.new_page()
        page.goto((site / "versions" / "us-initial_signed.html").as_uri())
        assert page.locator("#review-controls").is_hidden()
        assert page.locator(".redline ins").first.is_visible()
        assert page.locator(".redline del").first.is_visible()
        assert page.locator("#change-panel a").first.is_visible()
    finally:
        context.close()
    assert events.blocked_requests == []


def test_clause_page_keyboard_and_next_clause(
    page: Page, page_events: PageEvents, site: Path
) -> None:
    open_file(page, site / "clauses" / "revenue-contribution.html")
    first = page.eval_on_selector(".step-redline ins, .step-redline del", "el => el.id")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == first
    page.get_by_role("radio", name="Clean new").check()
    signed = CORPUS.clauses["revenue-contribution"].texts["signed"].text
    assert page.locator(".step-redline[data-step='signed']").inner_text() == signed
    page.keyboard.press("n")
    page.wait_for_url("**/clauses/us-investment.html")
    assert page.locator("h1").inner_text() == CORPUS.clauses["us-investment"].title
    page_events.assert_clean()


def test_index_links_lead_to_the_redline_of_a_cell(
    page: Page, page_events: PageEvents, site: Path
) -> None:
    open_file(page, site / "index.html")
    assert page.locator("svg.timeline-svg").is_visible()
    page.locator("a[href='versions/draft_signed.html#clause-revenue-contribution']").click()
    page.wait_for_url("**/versions/draft_signed.html#clause-revenue-contribution")
    assert page.locator("#clause-revenue-contribution .redline").is_visible()
    page_events.assert_clean()
