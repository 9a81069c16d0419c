"""Shared fixtures: a real browser, axe-core, the W3C Nu validator, golden-file regeneration.

Fixtures
    browser                session: Playwright's headless Debian Chromium
    page                   per test: a fresh context and page, no network (tests/support/browser.py)
    page_events            per test: what ``page`` did (console errors, exceptions, dialogs,
                           blocked requests); ``page_events.assert_clean()``
    axe_check(page, ...)   -> list[str]: axe-core violations, one readable line each
    validate_html(paths)   -> dict[Path, list[str]]: Nu validator errors per file, one Java run
    requires_browser       skip (or fail) unless Chromium and Playwright are there
    requires_validator     skip (or fail) unless Java and vnu.jar are there
    update_golden          True when golden files should be rewritten, not compared
                           (--update-golden, or CLAUSETRACK_UPDATE_GOLDEN=1)
    forks                  per test: the pids of the workers clausetrack.parallel forks

A test that needs a tool gets it through the fixtures above, or says so with the markers
``@pytest.mark.browser`` / ``@pytest.mark.validator``. When the tool is missing the test
is skipped with the reason and the install command; with CLAUSETRACK_REQUIRE_BROWSER=1
(as in .ci/run) it fails instead, so CI cannot go green without really checking.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# tests/ holds the helper package ``support``; make it importable however pytest was
# started (pytest puts this folder on sys.path only while tests/ is not a package).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from support import REPO_ROOT, AxeCheck, ValidateHtml, need, tools_required
from support import browser as browser_support
from support import validator as validator_support

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

UPDATE_GOLDEN_ENV = "CLAUSETRACK_UPDATE_GOLDEN"
FAILURE_SHOTS = REPO_ROOT / "tests" / "output" / "failures"
BROWSER_FIXTURES = {"browser", "page", "page_events", "axe_check", "requires_browser"}
VALIDATOR_FIXTURES = {"validate_html", "requires_validator"}

# ---------------------------------------------------------------- options and report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help=f"rewrite golden files from the current output instead of comparing "
        f"(same as {UPDATE_GOLDEN_ENV}=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Set the variable too, for test modules that read it when they are imported.
    if config.getoption("--update-golden"):
        os.environ[UPDATE_GOLDEN_ENV] = "1"


def pytest_report_header(config: pytest.Config) -> list[str]:
    browser_reason = browser_support.chromium_missing_reason()
    validator_reason = validator_support.validator_missing_reason()
    required = " (required)" if tools_required() else ""
    return [
        f"chromium{required}: {browser_reason or browser_support.chromium_path()}",
        f"nu validator{required}: {validator_reason or validator_support.vnu_jar()}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the tools their fixtures need, so ``-m "not browser"`` works."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if fixtures & VALIDATOR_FIXTURES:
            item.add_marker(pytest.mark.validator)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---------------------------------------------------------------- skip, or fail when required


@pytest.fixture
def requires_browser() -> None:
    need(browser_support.chromium_missing_reason())


@pytest.fixture
def requires_validator() -> None:
    need(validator_support.validator_missing_reason())


@pytest.fixture(autouse=True)
def _tools_for_markers(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser"):
        need(browser_support.chromium_missing_reason())
    if request.node.get_closest_marker("validator"):
        need(validator_support.validator_missing_reason())


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the workers that ``clausetrack.parallel`` forks during the test, in order."""
    from clausetrack import parallel

    forked: list[int] = []
    real_fork = parallel.os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(parallel.os, "fork", fork)
    return forked


@pytest.fixture(scope="session")
def update_golden(pytestconfig: pytest.Config) -> bool:
    """Golden-file tests rewrite their golden files instead of comparing when this is True
    (``--update-golden`` or CLAUSETRACK_UPDATE_GOLDEN=1)."""
    env = os.environ.get(UPDATE_GOLDEN_ENV, "").strip() == "1"
    return bool(pytestconfig.getoption("--update-golden")) or env


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    need(browser_support.chromium_missing_reason())
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium, shared by the whole session."""
    launched = browser_support.launch_chromium(_playwright)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def _page_and_events(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[tuple[Page, browser_support.PageEvents]]:
    context, new_page, events = browser_support.new_page(browser)
    try:
        yield new_page, events
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed and not new_page.is_closed():
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            browser_support.screenshot(new_page, FAILURE_SHOTS / f"{name}.png")
    finally:
        context.close()


@pytest.fixture
def page(_page_and_events: tuple[Page, browser_support.PageEvents]) -> Page:
    """A new page in its own browser context; requests off the machine are blocked.
    Open a file with ``support.browser.open_file(page, path)``. When the test fails, a
    screenshot goes to tests/output/failures/."""
    return _page_and_events[0]


@pytest.fixture
def page_events(
    _page_and_events: tuple[Page, browser_support.PageEvents],
) -> browser_support.PageEvents:
    """What ``page`` did: console errors, uncaught exceptions, dialogs, blocked requests."""
    return _page_and_events[1]


@pytest.fixture
def axe_check(requires_browser: None) -> AxeCheck:
    """``axe_check(page, *, context=None, disable_rules=(), tags=None) -> list[str]``:
    axe-core's violations on the page as it is now, as
    ``"RULE [IMPACT] HELP: SELECTOR, ... (HELP_URL)"``; empty when clean."""

    def check(
        page: Page,
        *,
        context: str | Mapping[str, Any] | None = None,
        disable_rules: Iterable[str] = (),
        tags: Iterable[str] | None = None,
    ) -> list[str]:
        violations = browser_support.run_axe(
            page, context=context, disable_rules=disable_rules, tags=tags
        )
        return [str(v) for v in violations]

    return check


# ---------------------------------------------------------------- validator


@pytest.fixture
def validate_html(requires_validator: None) -> ValidateHtml:
    """``validate_html(paths, *, warnings=False) -> dict[Path, list[str]]``: the W3C Nu
    validator's messages for each file (``"LINE:COLUMN: MESSAGE"``), all files in one
    Java run; a valid file maps to an empty list."""

    def check(paths: Iterable[Path | str], *, warnings: bool = False) -> dict[Path, list[str]]:
        return validator_support.validate(paths, warnings=warnings)

    return check
