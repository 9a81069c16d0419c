"""Reproducible benchmark inputs: real licence text, cycled to size, with a seeded edit script.

Old text: the four versions of the Apple Public Source License, one after the other, again
and again, cut to the size. New text: a few paragraphs moved, then about 2% of the words
replaced, dropped or followed by an added word. Everything depends on the seed only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "apsl"


@dataclass(frozen=True)
class Pair:
    name: str
    old: str
    new: str
    edits: int  # word edits in the script (replace, drop, add)
    moves: int  # paragraphs moved


def licences(data: Path = DEFAULT_DATA) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(data.glob("APSL-*.txt"))}


def cycled(texts: list[str], size: int) -> str:
    out: list[str] = []
    n = k = 0
    while n < size:
        out.append(texts[k % len(texts)])
        n += len(out[-1])
        k += 1
    return "".join(out)[:size]


def edit_paragraphs(paras: list[str], rnd: random.Random, rate: float) -> tuple[list[str], int]:
    vocab = sorted({w for p in paras for w in p.split(" ") if w.isalpha()})
    edits = 0
    out = []
    for para in paras:
        words: list[str] = []
        for word in para.split(" "):
            x = rnd.random()
            if x < rate / 3:
                words.append(rnd.choice(vocab))
                edits += 1
            elif x < 2 * rate / 3 and word:
                edits += 1
            elif x < rate:
                words += [word, rnd.choice(vocab)]
                edits += 1
            else:
                words.append(word)
        out.append(" ".join(words))
    return out, edits


def generated(size: int, seed: int = 2024, rate: float = 0.02, moves: int = 3) -> Pair:
    rnd = random.Random(seed)
    old = cycled(list(licences().values()), size)
    paras = old.split("\n\n")
    for _ in range(moves):
        paras.insert(rnd.randrange(len(paras)), paras.pop(rnd.randrange(len(paras))))
    paras, edits = edit_paragraphs(paras, rnd, rate)
    return Pair(f"{size // 1000} KB", old, "\n\n".join(paras), edits, moves)


def heavy_rewrites() -> list[Pair]:
    """Real rewrites: APSL 1.0 to 2.0, and a 35 KB single-paragraph clause built from them."""
    lic = licences()
    old, new = lic["APSL-1.0"], lic["APSL-2.0"]
    one_old = " ".join((old + lic["APSL-1.1"][:14_000]).split())
    one_new = " ".join((new + lic["APSL-1.2"][:14_000]).split())
    return [
        Pair("APSL 1.0 → 2.0", old, new, 0, 0),
        Pair("35 KB rewrite, one paragraph", one_old, one_new, 0, 0),
    ]


# --- corpora for the CLI (format: the corpus spec the loader implements) ----------------


def _dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1 << 20), encoding="utf-8"
    )


def _agreement(root: Path) -> None:
    _dump(
        root / "agreement.yaml",
        {
            "title": "Benchmark agreement",
            "summary": "Generated for the benchmarks.",
            "parties": [
                {
                    "id": "a",
                    "name": "Party A",
                    "short": "A",
                    "color": "#1f4e9c",
                    "role": "negotiator",
                },
                {
                    "id": "b",
                    "name": "Party B",
                    "short": "B",
                    "color": "#8a5a00",
                    "role": "negotiator",
                },
            ],
            "sources": [],
        },
    )


def _version(root: Path, vid: str, n: int, based_on: str | None, clauses: list[str]) -> None:
    _dump(
        root / "versions" / f"{vid}.yaml",
        {
            "id": vid,
            "title": f"Draft {n}",
            "date": f"2025-01-{(n % 28) + 1:02d}",
            "proposed_by": "a" if n % 2 else "b",
            "based_on": based_on,
            "status": "draft",
            "clauses": clauses,
        },
    )


def _clause(root: Path, cid: str, texts: dict[str, str]) -> None:
    _dump(
        root / "clauses" / f"{cid}.yaml",
        {"id": cid, "title": f"Clause {cid}", "topic": "general", "text": texts},
    )


def corpus_whole(root: Path, pair: Pair) -> None:
    """The whole document as one clause: the engine's worst case."""
    _agreement(root)
    _version(root, "v1", 1, None, ["document"])
    _version(root, "v2", 2, "v1", ["document"])
    _clause(root, "document", {"v1": pair.old, "v2": pair.new})


def corpus_paragraphs(root: Path, size: int, seed: int = 2024, rate: float = 0.02) -> None:
    """One clause per paragraph; three clauses move in the second version."""
    rnd = random.Random(seed)
    paras = [p for p in cycled(list(licences().values()), size).split("\n\n") if p.strip()]
    new, _ = edit_paragraphs(paras, rnd, rate)
    ids = [f"p{n:05d}" for n in range(len(paras))]
    order = list(ids)
    for _ in range(3):
        order.insert(rnd.randrange(len(order)), order.pop(rnd.randrange(len(order))))
    _agreement(root)
    _version(root, "v1", 1, None, ids)
    _version(root, "v2", 2, "v1", order)
    for cid, old_text, new_text in zip(ids, paras, new, strict=True):
        _clause(root, cid, {"v1": old_text, "v2": new_text})


def corpus_history(root: Path, clauses: int = 300, versions: int = 30, seed: int = 7) -> None:
    """Many clauses over many drafts, each draft editing about 1% of the words."""
    rnd = random.Random(seed)
    paras = [p for p in cycled(list(licences().values()), 10**7).split("\n\n") if p.strip()]
    texts = [paras[n % len(paras)] for n in range(clauses)]
    history: list[list[str]] = [texts]
    for _ in range(versions - 1):
        texts, _ = edit_paragraphs(texts, rnd, 0.01)
        history.append(texts)
    vids = [f"v{n + 1:02d}" for n in range(versions)]
    cids = [f"c{n:03d}" for n in range(clauses)]
    _agreement(root)
    for n, vid in enumerate(vids):
        _version(root, vid, n + 1, vids[n - 1] if n else None, cids)
    for k, cid in enumerate(cids):
        _clause(root, cid, {vid: history[n][k] for n, vid in enumerate(vids)})
