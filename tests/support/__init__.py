"""Test-only helpers: a real browser (Playwright + Debian's Chromium), axe-core, and the
W3C Nu HTML validator.

The pytest fixtures that wrap these live in ``tests/conftest.py``; the modules here hold
no pytest state, so they can also be used from a script to look at a page by hand.
"""

import os
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout's top folder (the one holding ``pyproject.toml``)."""

FIXTURES = REPO_ROOT / "tests" / "fixtures"
"""Static files the tests read."""

REQUIRE_ENV = "CLAUSETRACK_REQUIRE_BROWSER"
"""Set to ``1`` (as ``.ci/run`` does) to turn a missing browser or validator into a failure."""

INSTALL_HINT = "or run bash .ci/run"
"""How to get every tool at once; the end of each 'tool missing' reason."""


def tools_required() -> bool:
    """True when a missing browser or validator must fail the run (CI), not skip it."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes"}


def need(reason: str | None) -> None:
    """Skip the current test for ``reason`` (a missing tool), or fail it when
    ``$CLAUSETRACK_REQUIRE_BROWSER`` is 1. Does nothing when ``reason`` is None."""
    if reason is None:
        return
    import pytest

    if tools_required():
        pytest.fail(f"{reason} [{REQUIRE_ENV}=1 makes this a failure]", pytrace=False)
    pytest.skip(reason)


AxeCheck = Callable[..., list[str]]
"""The ``axe_check`` fixture: ``(page, *, context=None, disable_rules=(), tags=None)``."""

ValidateHtml = Callable[..., dict[Path, list[str]]]
"""The ``validate_html`` fixture: ``(paths, *, warnings=False)``."""
