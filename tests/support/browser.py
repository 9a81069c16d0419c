"""Drive Debian's Chromium with Playwright, and check pages with axe-core.

Playwright never downloads a browser here: every launch names the Chromium binary
(``/usr/bin/chromium``, or ``$CLAUSETRACK_CHROMIUM``). ``launch_chromium`` gives each
browser a fresh temporary profile (Playwright makes one per launch and deletes it on
close; it refuses a ``--user-data-dir`` argument).

Pages are opened from ``file://`` and may not use the network: every request for
anything but a ``file:``, ``data:``, ``blob:`` or ``about:`` URL is aborted before it
leaves the browser and recorded in ``PageEvents.blocked_requests``.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import INSTALL_HINT

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Dialog,
        Page,
        Playwright,
        Response,
        Route,
    )

CHROMIUM_ENV = "CLAUSETRACK_CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls home at start, and the closed network refuses it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

VIEWPORT = {"width": 1280, "height": 800}
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
LAUNCH_TIMEOUT_MS = 60_000


# ---------------------------------------------------------------- finding Chromium


def chromium_path() -> Path:
    """The Chromium binary the tests use: ``$CLAUSETRACK_CHROMIUM`` or ``/usr/bin/chromium``."""
    configured = os.environ.get(CHROMIUM_ENV)
    return Path(configured) if configured else DEFAULT_CHROMIUM


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "The playwright Python package is not installed; "
            f"install it with pip install -e '.[test]', {INSTALL_HINT}"
        )
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        source = f" (from ${CHROMIUM_ENV})" if os.environ.get(CHROMIUM_ENV) else ""
        return (
            f"Chromium not found at {path}{source}; "
            f"install it with apt-get install chromium, {INSTALL_HINT}"
        )
    return None


def launch_chromium(playwright: Playwright, executable: Path | None = None) -> Browser:
    """Start headless Chromium with the flags this machine needs and a fresh profile."""
    return playwright.chromium.launch(
        executable_path=str(executable or chromium_path()),
        args=list(CHROMIUM_ARGS),
        headless=True,
        timeout=LAUNCH_TIMEOUT_MS,
    )


# ---------------------------------------------------------------- pages and what they did


@dataclass
class PageEvents:
    """What a page did that a test may want to forbid: console errors, uncaught
    exceptions, dialogs (which are dismissed), and attempts to use the network."""

    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every event a clean, self-contained page never causes, one readable line each."""
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"uncaught exception: {m}" for m in self.page_errors),
            *(f"dialog: {m}" for m in self.dialogs),
            *(f"network request blocked: {m}" for m in self.blocked_requests),
        ]

    def assert_clean(self) -> None:
        """Fail with every problem listed, if there is any."""
        problems = self.problems()
        assert not problems, "the page misbehaved:\n  " + "\n  ".join(problems)

    # Playwright callbacks

    def _on_console(self, message: ConsoleMessage) -> None:
        location = message.location
        where = f" ({location['url']}:{location['lineNumber']})" if location.get("url") else ""
        if message.type == "error":
            self.console_errors.append(message.text + where)
        elif message.type == "warning":
            self.console_warnings.append(message.text + where)

    def _on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_route(self, route: Route) -> None:
        self.blocked_requests.append(route.request.url)
        route.abort("blockedbyclient")


def watch_page(page: Page) -> PageEvents:
    """Record ``page``'s console errors, uncaught exceptions and dialogs from now on."""
    events = PageEvents()
    page.on("console", events._on_console)
    page.on("pageerror", events._on_page_error)
    page.on("dialog", events._on_dialog)
    return events


def block_network(context: BrowserContext, events: PageEvents) -> None:
    """Abort (and record in ``events``) every request that is not for a local URL."""
    context.route(lambda url: not url.startswith(LOCAL_SCHEMES), events._on_route)


def new_page(browser: Browser) -> tuple[BrowserContext, Page, PageEvents]:
    """A page in its own context with a fixed viewport, locale and time zone (so that
    screenshots are repeatable), no network, and its events recorded.
    Close the context when done."""
    context = browser.new_context(
        viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    page = context.new_page()
    events = watch_page(page)
    block_network(context, events)
    return context, page, events


def open_file(page: Page, path: Path | str) -> Response | None:
    """Load a local file and wait until it and its fonts are ready."""
    resolved = Path(path).resolve()
    if not resolved.is_file():
        raise FileNotFoundError(resolved)
    response = page.goto(resolved.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return response


def screenshot(page: Page, path: Path | str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page (animations stopped, caret hidden); returns its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=target, full_page=full_page, animations="disabled", caret="hide")
    return target


def print_pdf(page: Page, path: Path | str) -> Path:
    """Print the page to an A4 PDF, backgrounds included, as a user's "Save as PDF" would.

    Chromium prints to PDF only when headless, which ``launch_chromium`` always is.
    """
    from playwright.sync_api import Error as PlaywrightError

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.pdf(path=target, format="A4", print_background=True)
    except PlaywrightError as error:
        raise RuntimeError(
            f"Chromium could not print {page.url} to PDF (it prints only when headless; "
            f"launch it with launch_chromium): {error}"
        ) from error
    if not target.read_bytes().startswith(b"%PDF-"):
        raise RuntimeError(f"{target} is not a PDF")
    return target


# ---------------------------------------------------------------- axe-core

_AXE_SCRIPT: str | None = None


def axe_script() -> str:
    """The axe-core build bundled with the axe-playwright-python package."""
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        bundled = importlib.resources.files("axe_playwright_python") / "axe.min.js"
        _AXE_SCRIPT = bundled.read_text(encoding="utf-8")
    return _AXE_SCRIPT


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule that failed, and the elements that failed it."""

    rule: str
    impact: str | None
    help: str
    help_url: str
    targets: tuple[str, ...]
    failures: tuple[str, ...]

    def __str__(self) -> str:
        url = self.help_url.split("?", 1)[0]
        return (
            f"{self.rule} [{self.impact or 'no impact'}] {self.help}: "
            f"{', '.join(self.targets)} ({url})"
        )

    @classmethod
    def from_axe(cls, raw: Mapping[str, Any]) -> AxeViolation:
        nodes: Sequence[Mapping[str, Any]] = raw.get("nodes", [])
        return cls(
            rule=raw["id"],
            impact=raw.get("impact"),
            help=raw.get("help", ""),
            help_url=raw.get("helpUrl", ""),
            targets=tuple(_selector(node.get("target", [])) for node in nodes),
            failures=tuple(node.get("failureSummary") or "" for node in nodes),
        )


def _selector(target: Sequence[Any]) -> str:
    """axe names an element by a list of selectors, one per frame or shadow root
    (nested lists); show it as one string, levels joined with ' >>> '."""
    parts = [" >>> ".join(part) if isinstance(part, list) else str(part) for part in target]
    return " >>> ".join(parts)


def run_axe(
    page: Page,
    *,
    context: str | Mapping[str, Any] | None = None,
    disable_rules: Iterable[str] = (),
    tags: Iterable[str] | None = None,
) -> list[AxeViolation]:
    """Run axe-core on the page as it is now; returns its violations (empty when clean).

    ``context`` limits the check to part of the page (a CSS selector or an axe context
    object); ``disable_rules`` turns rules off by id; ``tags`` runs only rules with one of
    those tags (e.g. ``["wcag2a", "wcag2aa"]``); by default every rule runs.
    """
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    disabled = list(disable_rules)
    if disabled:
        options["rules"] = {rule: {"enabled": False} for rule in disabled}
    if tags is not None:
        options["runOnly"] = {"type": "tag", "values": list(tags)}
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    results = page.evaluate(
        "([context, options]) => axe.run(context ?? document, options)", [context, options]
    )
    return [AxeViolation.from_axe(raw) for raw in results["violations"]]
