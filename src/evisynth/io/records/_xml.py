"""Safe XML parsing for the record readers: no entity declarations, errors with a line."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evisynth.io.records._base import fail

#: Deeper nesting is refused: no export needs it, and reading text out of it recurses.
MAX_DEPTH = 100


def parse_xml(text: str, *, path: str, fix: str) -> ET.Element:
    """The root element of ``text``; files declaring entities are refused (entity expansion
    is how small XML files become huge), parse errors name the line."""
    if "<!ENTITY" in text:
        raise fail(path, text[: text.index("<!ENTITY")].count("\n") + 1,
                   "the XML declares entities, which are not read", fix)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise fail(path, line, f"not well-formed XML ({exc})", fix) from exc
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise fail(path, None, f"elements nested more than {MAX_DEPTH} deep", fix)
        stack.extend((child, depth + 1) for child in element)
    return root


def text_of(element: ET.Element | None) -> str:
    """All text inside ``element`` (EndNote wraps values in ``<style>``), ``""`` when absent."""
    return "".join(element.itertext()) if element is not None else ""


def original(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")
