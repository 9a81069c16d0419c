"""Structural checks of generated HTML with lxml: well-formed, anchors resolve,
and the redline contract that tests and other tools rely on.

The contract: each clause's redline is an element with class ``redline`` and
``data-clause``; inside it there is only text, ``<ins>`` and ``<del>``, each of
those carrying ``data-party`` and ``data-version``; its text with every
``<del>`` removed is the new text, and with every ``<ins>`` removed the old text.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree, html

PARSER = etree.HTMLParser(recover=False, no_network=True, remove_blank_text=False)


def parse(source: str) -> etree._Element:
    """Parse HTML strictly (lxml raises on broken markup); no network, no entities."""
    root = etree.fromstring(source.encode("utf-8"), PARSER)
    assert root is not None, "empty document"
    return root


def redlines(root: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for el in root.iter():
        if "redline" in (el.get("class") or "").split():
            clause = el.get("data-clause")
            assert clause, "a .redline without data-clause"
            assert clause not in found, f"two redlines for clause {clause}"
            found[clause] = el
    return found


def text_without(el: etree._Element, dropped: str) -> str:
    """The element's text with every ``dropped`` child (ins or del) removed."""
    parts = [el.text or ""]
    for child in el:
        if child.tag != dropped:
            parts.append(child.text or "")
        parts.append(child.tail or "")
    return "".join(parts)


def contract_problems(el: etree._Element) -> list[str]:
    """What in one redline element breaks the contract (empty when it holds)."""
    problems = []
    clause = el.get("data-clause")
    for child in el:
        if not isinstance(child.tag, str) or child.tag not in ("ins", "del"):
            problems.append(f"{clause}: <{child.tag}> inside the redline")
            continue
        if len(child):
            problems.append(f"{clause}: <{child.tag}> has child elements")
        for attr in ("data-party", "data-version"):
            if not child.get(attr):
                problems.append(f"{clause}: <{child.tag}> without {attr}")
    return problems


def ids(root: etree._Element) -> set[str]:
    return {i for i in root.xpath("//@id")}


def broken_links(root: etree._Element, page: Path | None = None) -> list[str]:
    """``#anchor`` links without their id, and relative links to missing files."""
    known = ids(root)
    broken = []
    for href in root.xpath("//a/@href"):
        parts = urlsplit(href)
        if parts.scheme in ("http", "https"):
            continue
        if not parts.path:
            if unquote(parts.fragment) not in known:
                broken.append(href)
        elif page is not None and not (page.parent / unquote(parts.path)).exists():
            broken.append(href)
    return broken


def visible_text(el: etree._Element) -> str:
    return str(html.tostring(el, method="text", encoding="unicode"))
