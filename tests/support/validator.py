"""Check HTML files with the W3C Nu HTML validator (vnu.jar, from the npm package vnu-jar).

Java starts slowly (about 2 s), so ``validate`` checks many files in one run:

    java -Xss4m -jar node_modules/vnu-jar/build/dist/vnu.jar \
        --format json --stdout --exit-zero-always --errors-only --no-langdetect FILE...

(``--errors-only --no-langdetect`` are left out when warnings are asked for: language
detection yields only warnings.) ``-Xss4m`` because the checker needs a thread stack of
at least 512k and overflows on deep documents with less.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import INSTALL_HINT, REPO_ROOT

VNU_JAR_ENV = "CLAUSETRACK_VNU_JAR"
DEFAULT_VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA_OPTIONS = ("-Xss4m",)
FILES_PER_RUN = 500  # stays well under the command-line length limit
TIMEOUT_S = 600


def vnu_jar() -> Path:
    """The validator's jar: ``$CLAUSETRACK_VNU_JAR`` or the one ``npm ci`` installs."""
    configured = os.environ.get(VNU_JAR_ENV)
    return Path(configured) if configured else DEFAULT_VNU_JAR


def java() -> str | None:
    """The ``java`` on PATH, if any."""
    return shutil.which("java")


def validator_missing_reason() -> str | None:
    """Why the validator cannot run here, or None when it can."""
    if java() is None:
        return (
            "Java not found on PATH (the W3C Nu validator needs Java 11 or newer); "
            f"install it with apt-get install default-jre-headless, {INSTALL_HINT}"
        )
    jar = vnu_jar()
    if not jar.is_file():
        shown = jar.relative_to(REPO_ROOT) if jar.is_relative_to(REPO_ROOT) else jar
        return (
            f"W3C Nu validator not found at {shown}; "
            f"install it with npm ci --ignore-scripts, {INSTALL_HINT}"
        )
    return None


def command(files: Iterable[Path], *, warnings: bool = False) -> list[str]:
    """The command line that checks ``files`` in one Java run."""
    java_binary = java()
    if java_binary is None:
        raise RuntimeError(validator_missing_reason())
    quiet = [] if warnings else ["--errors-only", "--no-langdetect"]
    return [
        java_binary,
        *JAVA_OPTIONS,
        "-jar",
        str(vnu_jar()),
        "--format",
        "json",
        "--stdout",
        "--exit-zero-always",
        *quiet,
        *(str(f) for f in files),
    ]


def validate(paths: Iterable[Path | str], *, warnings: bool = False) -> dict[Path, list[str]]:
    """Validate HTML files; returns, for each path as given, its messages as readable
    strings (``"LINE:COLUMN: MESSAGE"``, warnings prefixed ``warning:``), empty when valid.

    Errors always count; warnings only when ``warnings`` is true. Raises
    FileNotFoundError for a missing file (vnu would skip it silently) and RuntimeError
    when the validator itself fails.
    """
    given = [Path(p) for p in paths]
    by_resolved: dict[Path, Path] = {}
    for path in given:
        resolved = path.resolve()
        if not resolved.is_file():
            raise FileNotFoundError(resolved)
        by_resolved.setdefault(resolved, path)
    report: dict[Path, list[str]] = {path: [] for path in given}
    files = list(by_resolved)
    for start in range(0, len(files), FILES_PER_RUN):
        for resolved, line in _run(files[start : start + FILES_PER_RUN], warnings=warnings):
            # A message about no file given (a non-document error) gets its own key.
            report.setdefault(by_resolved.get(resolved, resolved), []).append(line)
    return report


def _run(files: list[Path], *, warnings: bool) -> list[tuple[Path, str]]:
    argv = command(files, warnings=warnings)
    done = subprocess.run(
        argv, capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_S, check=False
    )
    try:
        messages = json.loads(done.stdout)["messages"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise RuntimeError(
            f"the validator failed (exit {done.returncode}): {' '.join(argv[:6])} ...\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        ) from error
    found: list[tuple[Path, str]] = []
    for message in messages:
        line = format_message(message, warnings=warnings)
        if line is not None:
            found.append((_path_of(message.get("url", "")), line))
    return found


def format_message(message: Mapping[str, Any], *, warnings: bool = False) -> str | None:
    """One vnu JSON message as ``"LINE:COLUMN: TEXT"``, or None if it is not reported."""
    kind = message.get("type")
    is_warning = kind == "info" and message.get("subType") == "warning"
    if kind == "info" and not (warnings and is_warning):
        return None
    line = message.get("firstLine", message.get("lastLine", "?"))
    column = message.get("firstColumn", "?")
    prefix = {"error": "", "info": "warning: "}.get(str(kind), f"{kind}: ")
    return f"{line}:{column}: {prefix}{message.get('message', '')}"


def _path_of(url: str) -> Path:
    """vnu names a file ``file:/abs/path`` with spaces and the like percent-encoded."""
    parts = urlsplit(url)
    return Path(unquote(parts.path)).resolve() if parts.scheme == "file" else Path(url)
