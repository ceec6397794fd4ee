"""Forgiving XML reading for WeChat payloads.

WeChat's XML is often not well-formed: a stray ``<?xml?>`` declaration in the
middle, control characters, unescaped ``&`` in URLs, several top-level elements
(call records). These helpers clean what can be cleaned and never raise: a
payload that still does not parse gives ``None`` and the caller shows the raw text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_DECL = re.compile(r"<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


def parse(text: str | None) -> ET.Element | None:
    """Parse a WeChat XML payload, recovering from the usual defects; ``None`` if it is not XML."""
    if not text:
        return None
    start = text.find("<")
    if start < 0:
        return None
    body = text[start:]
    if "<?xml" in body:
        body = _DECL.sub("", body)
    if "<!" in body:
        body = _DOCTYPE.sub("", body)  # no entity tricks from untrusted payloads
    if not body.isprintable():  # cheap test first: most payloads have no control characters to drop
        body = _CONTROL.sub("", body)
    body = body.strip()
    for attempt in (body, f"<root>{body}</root>", _BARE_AMP.sub("&amp;", f"<root>{body}</root>")):
        try:
            root = ET.fromstring(attempt)
        except ET.ParseError:
            continue
        if root.tag == "root" and attempt is not body and len(root) == 1 and not (root.text or "").strip():
            return root[0]
        return root
    return None


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: path -> its steps when every step is a plain tag name (else None: ElementPath reads it)
_STEPS: dict[str, tuple[str, ...] | None] = {}


def _first(el: ET.Element, steps: tuple[str, ...], i: int) -> ET.Element | None:
    """ElementPath's answer for a path of plain tag names (the first match in document order), without
    its Python machinery: each step is C ``findall``/``find`` on one tag."""
    if i == len(steps) - 1:
        return el.find(steps[i])
    for child in el.findall(steps[i]):
        found = _first(child, steps, i + 1)
        if found is not None:
            return found
    return None


def _find(root: ET.Element, path: str) -> ET.Element | None:
    steps = _STEPS.get(path, ())
    if steps == ():
        parts = tuple(path.split("/"))
        steps = parts if all(_NAME.fullmatch(p) for p in parts) else None
        if len(_STEPS) < 4096:  # paths come from the code, and a few from payloads: bounded all the same
            _STEPS[path] = steps
    return _first(root, steps, 0) if steps else root.find(path)


def find(root: ET.Element | None, path: str) -> ET.Element | None:
    """The element at ``path`` below ``root`` (also when ``root`` is the wrapper of several elements)."""
    if root is None:
        return None
    found = _find(root, path)
    if found is None and "/" in path:
        head, _, rest = path.partition("/")
        if root.tag == head:
            found = _find(root, rest)
    elif found is None and root.tag == path:
        found = root
    return found


def text(root: ET.Element | None, path: str, default: str = "") -> str:
    """Stripped text of the element at ``path``; ``default`` when absent or empty."""
    el = find(root, path)
    if el is None or el.text is None:
        return default
    value = el.text.strip()
    return value or default


def attr(root: ET.Element | None, path: str, name: str, default: str = "") -> str:
    """An attribute of the element at ``path`` (``"."`` for ``root`` itself)."""
    el = root if path == "." else find(root, path)
    if el is None:
        return default
    return (el.get(name) or default).strip()


def as_int(value: str | None, default: int = 0) -> int:
    """An integer from XML text (``default`` on anything else)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def as_float(value: str | None) -> float | None:
    """A float from XML text, or ``None``."""
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def strip_tags(value: str) -> str:
    """Text with markup removed (system notices carry ``<_wc_custom_link_>`` links)."""
    return re.sub(r"<[^>]+>", "", value).strip()
