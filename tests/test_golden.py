"""Golden files: the exact HTML and JSON for the bundled corpus.

When a change to the output is intended, regenerate them and review the diff:

    CLAUSETRACK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clausetrack import api
from clausetrack.compare import compare
from clausetrack.corpus import load_corpus
from clausetrack.resources import bundled_corpus

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CLAUSETRACK_UPDATE_GOLDEN") == "1"
REGENERATE = "CLAUSETRACK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py"

CASES = [
    ("us-initial", "signed", "html"),
    ("us-initial", "signed", "json"),
    ("draft", "signed", "markdown"),
    ("revised-terms", "draft", "text"),
]
SUFFIX = {"html": "html", "json": "json", "markdown": "md", "text": "txt"}


@pytest.mark.parametrize("old,new,fmt", CASES)
def test_golden(old: str, new: str, fmt: api.Format) -> None:
    out = api.render(compare(load_corpus(bundled_corpus()), old, new), fmt)
    path = GOLDEN / f"compare-{old}-{new}.{SUFFIX[fmt]}"
    if UPDATE:
        path.write_text(out, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path.name}; create it with: {REGENERATE}"
    expected = path.read_text(encoding="utf-8")
    assert out == expected, f"{path.name} differs; if intended, run: {REGENERATE}"
