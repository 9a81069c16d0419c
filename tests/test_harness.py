"""The test harness itself: each checker passes a good page and catches a bad one.

A checker that never fails proves nothing, so every check here runs both ways, on the
small pages in tests/fixtures/harness/.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support import FIXTURES, REQUIRE_ENV, AxeCheck, ValidateHtml, need
from support.browser import CHROMIUM_ENV, PageEvents, open_file, print_pdf, screenshot
from support.validator import format_message

if TYPE_CHECKING:
    from playwright.sync_api import Page

HARNESS = FIXTURES / "harness"
VALID = HARNESS / "valid.html"
INVALID = HARNESS / "invalid_markup.html"
A11Y = HARNESS / "a11y_violations.html"
ALERT = HARNESS / "alert.html"
UNCAUGHT = HARNESS / "uncaught_error.html"
EXTERNAL = HARNESS / "external_resource.html"


# ---------------------------------------------------------------- W3C Nu validator


def test_validator_passes_valid_and_catches_invalid_in_one_run(
    validate_html: ValidateHtml, tmp_path: Path
) -> None:
    # A copy under a name vnu has to percent-encode: the report must still find it.
    awkward = tmp_path / "draft 2 – côte.html"
    shutil.copy(INVALID, awkward)

    report = validate_html([VALID, INVALID, A11Y, awkward])

    assert set(report) == {VALID, INVALID, A11Y, awkward}
    assert report[VALID] == []
    assert "11:3: Stray end tag “div”." in report[INVALID]
    assert any("Duplicate ID “clause-1”" in line for line in report[INVALID])
    assert report[awkward] == report[INVALID]
    assert any("must have an “alt” attribute" in line for line in report[A11Y])


def test_validator_refuses_a_missing_file(validate_html: ValidateHtml, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        validate_html([tmp_path / "never-written.html"])


def test_validator_messages_read_as_line_column_text() -> None:
    error = {"type": "error", "lastLine": 11, "firstColumn": 3, "message": "Stray end tag."}
    warning = {"type": "info", "subType": "warning", "lastLine": 9, "firstColumn": 3,
               "message": "The first occurrence of ID was here."}  # fmt: skip
    info = {"type": "info", "lastLine": 1, "firstColumn": 1, "message": "Trailing slash."}
    broken = {"type": "non-document-error", "message": "Cannot read file."}

    assert format_message(error) == "11:3: Stray end tag."
    assert format_message(warning) is None
    assert (
        format_message(warning, warnings=True)
        == "9:3: warning: The first occurrence of ID was here."
    )
    assert format_message(info, warnings=True) is None
    assert format_message(broken) == "?:?: non-document-error: Cannot read file."


# ---------------------------------------------------------------- axe-core


def test_axe_passes_the_valid_page(page: Page, axe_check: AxeCheck) -> None:
    open_file(page, VALID)
    assert axe_check(page) == []


def test_axe_catches_missing_alt_and_low_contrast(page: Page, axe_check: AxeCheck) -> None:
    open_file(page, A11Y)

    violations = axe_check(page)

    rules = {line.split(" ", 1)[0] for line in violations}
    assert rules == {"image-alt", "color-contrast"}, violations
    image_alt = next(line for line in violations if line.startswith("image-alt"))
    assert image_alt.startswith("image-alt [critical] Images must have alternative text: img (")
    # Rules can be turned off, and the check limited to part of the page.
    assert axe_check(page, disable_rules=["color-contrast", "image-alt"]) == []
    assert [v.split(" ", 1)[0] for v in axe_check(page, context="p")] == ["color-contrast"]


# ---------------------------------------------------------------- what a page does


def test_a_well_behaved_page_is_clean(page: Page, page_events: PageEvents) -> None:
    open_file(page, VALID)
    page.get_by_role("button", name="Show deletions").click()
    page_events.assert_clean()
    assert page_events.problems() == []


def test_dialog_collector_catches_alert(page: Page, page_events: PageEvents) -> None:
    open_file(page, ALERT)

    assert page_events.dialogs == ["alert: clause 12 changed"]
    assert len(page_events.console_errors) == 1
    assert page_events.console_errors[0].startswith("redline: clause 12 has no author (file://")
    with pytest.raises(AssertionError, match="dialog: alert: clause 12 changed"):
        page_events.assert_clean()


def test_uncaught_exception_is_caught(page: Page, page_events: PageEvents) -> None:
    open_file(page, UNCAUGHT)

    assert len(page_events.page_errors) == 1
    assert "forEach" in page_events.page_errors[0]
    with pytest.raises(AssertionError, match="uncaught exception"):
        page_events.assert_clean()


def test_network_is_blocked_and_recorded(page: Page, page_events: PageEvents) -> None:
    open_file(page, EXTERNAL)

    assert page_events.blocked_requests == ["https://cdn.example.invalid/redline.css"]
    with pytest.raises(AssertionError, match="network request blocked"):
        page_events.assert_clean()


# ---------------------------------------------------------------- pictures and PDFs


def test_screenshot_is_a_png_of_the_viewport_width(page: Page, tmp_path: Path) -> None:
    open_file(page, VALID)

    shot = screenshot(page, tmp_path / "shots" / "valid.png").read_bytes()

    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot[16:24])
    assert (width, height) == (1280, 800)


def test_text_is_drawn_with_real_glyphs(page: Page) -> None:
    """Without fonts Chromium draws nothing or empty boxes: count inked pixels of a word."""
    open_file(page, VALID)
    inked = page.evaluate(
        """() => {
            const canvas = document.createElement("canvas");
            canvas.width = 200; canvas.height = 40;
            const ctx = canvas.getContext("2d");
            ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 200, 40);
            ctx.fillStyle = "#000"; ctx.font = "24px 'DejaVu Sans', sans-serif";
            ctx.fillText("Article", 4, 30);
            const a = ctx.getImageData(0, 0, 200, 40).data;
            let dark = 0;
            for (let i = 0; i < a.length; i += 4) if (a[i] < 128) dark++;
            return dark;
        }"""
    )
    assert inked > 150, f"only {inked} dark pixels: are fonts installed?"


def test_pdf_prints_with_embedded_fonts(page: Page, tmp_path: Path) -> None:
    open_file(page, VALID)

    pdf = print_pdf(page, tmp_path / "valid.pdf").read_bytes()

    assert pdf.startswith(b"%PDF-")
    assert b"/BaseFont" in pdf, "the PDF embeds no font: its text has no glyphs"


# ---------------------------------------------------------------- skip, or fail in CI


def test_missing_tool_skips_or_fails_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "Chromium not found at /nowhere/chromium; install it with apt-get install chromium"
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        need(reason)
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        need(reason)
    need(None)  # a tool that is there neither skips nor fails


def test_missing_chromium_skips_a_browser_test_unless_required(tmp_path: Path) -> None:
    """A real pytest run with Chromium 'missing': skipped with the reason, or failed in CI."""
    tests = Path(__file__).parent
    shutil.copy(tests / "conftest.py", tmp_path / "conftest.py")
    shutil.copytree(tests / "support", tmp_path / "support")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser\n    validator\n")
    (tmp_path / "test_one.py").write_text(
        textwrap.dedent(
            """
            def test_uses_a_page(page):
                raise AssertionError("must not run without a browser")
            """
        )
    )

    def run(required: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            CHROMIUM_ENV: str(tmp_path / "no-chromium-here"),
            REQUIRE_ENV: required,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # faster; the run needs no plugin
        }
        argv = [sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider", str(tmp_path)]
        return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)

    skipped = run("0")
    assert skipped.returncode == 0, skipped.stdout
    assert "1 skipped" in skipped.stdout
    assert "Chromium not found at" in skipped.stdout
    assert "or run bash .ci/run" in skipped.stdout

    failed = run("1")
    assert failed.returncode == 1, failed.stdout
    assert "1 error" in failed.stdout
    assert "Chromium not found at" in failed.stdout
