"""Every kind of report page passes axe-core (no violations) and the W3C Nu validator
(no errors), the validator checking the whole site in one run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clausetrack.corpus import load_corpus
from clausetrack.report import write_report
from clausetrack.resources import bundled_corpus

from support import AxeCheck, ValidateHtml
from support.browser import PageEvents, open_file

if TYPE_CHECKING:
    from playwright.sync_api import Page

CORPUS = load_corpus(bundled_corpus())
KINDS = {
    "index": "index.html",
    "redline": "versions/us-initial_signed.html",
    "step redline": "versions/revised-terms_draft.html",
    "clause": "clauses/security-guarantees.html",
    "sources": "sources.html",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("a11y") / "site"
    write_report(CORPUS, out)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_axe_finds_no_violation(
    page: Page, page_events: PageEvents, axe_check: AxeCheck, site: Path, kind: str
) -> None:
    open_file(page, site / KINDS[kind])
    assert axe_check(page) == []
    page_events.assert_clean()


@pytest.mark.parametrize("view", ["Side by side", "Clean new"])
def test_axe_finds_no_violation_in_the_other_views(
    page: Page, axe_check: AxeCheck, site: Path, view: str
) -> None:
    open_file(page, site / KINDS["redline"])
    page.get_by_role("radio", name=view).check()
    page.get_by_role("radio", name="Ukraine").check()
    page.keyboard.press("?")
    assert axe_check(page) == []


def test_every_page_is_valid_html(validate_html: ValidateHtml, site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    errors = {p.relative_to(site).as_posix(): e for p, e in validate_html(pages).items() if e}
    assert errors == {}
