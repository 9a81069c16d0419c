"""The wheel carries the templates and the bundled corpus, and works from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("clausetrack-*.whl")
    return built


def test_wheel_contains_templates_and_corpus(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO / "templates").rglob("*"):
        if template.is_file():
            rel = template.relative_to(REPO / "templates").as_posix()
            assert f"clausetrack/templates/{rel}" in names
    assert "clausetrack/corpus/agreement.yaml" in names
    for folder in ("clauses", "versions"):
        for f in (REPO / folder).glob("*.yaml"):
            assert f"clausetrack/corpus/{folder}/{f.name}" in names
    assert "clausetrack/py.typed" in names


def test_installed_layout_runs_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CLAUSETRACK_CORPUS"}
    env["PYTHONPATH"] = str(site)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clausetrack import resources as r\n"
            "print(r.templates_dir())\nprint(r.bundled_corpus())",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.splitlines() == [
        str(site / "clausetrack" / "templates"),
        str(site / "clausetrack" / "corpus"),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "clausetrack", "compare", "us-initial", "signed", "-o", "r.html"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stderr
    assert (work / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_editable_checkout_finds_repo_folders() -> None:
    from clausetrack import resources

    if "site-packages" in str(Path(resources.__file__)):
        pytest.skip("clausetrack is installed from a wheel here, not editable")
    assert resources.templates_dir() == REPO / "templates"
    assert resources.bundled_corpus() == REPO
