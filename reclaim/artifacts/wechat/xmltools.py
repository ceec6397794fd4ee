"""Forgiving XML reading for WeChat payloads.

WeChat's XML is often not well-formed: a stray ``<?xml?>`` declaration in the
middle, control characters, unescaped ``&`` in URLs, several top-level elements
(call records). These helpers clean what can be cleaned and never raise: a
payload that still does not parse gives ``None`` and the caller shows the raw text.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET

_DECL = re.compile(r"<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


_END_TAG = "reclaim-end-of-payload"
#: Payloads read by one parser before it is replaced (bounds what expat keeps, e.g. names it has seen).
_STREAM_LIMIT = 10_000


class _Stream(threading.local):
    """One XML parser kept open across payloads, each read as the content of a wrapper element.

    Setting up a parser costs several times what parsing a 200-byte payload does, so the
    payloads of a scan go through one. A payload that is a single element gives that
    element; several give a ``root`` element holding them — what :func:`parse` gets from
    ``fromstring(body)`` and ``fromstring("<root>" + body + "</root>")``. An empty element
    fed after each payload proves it was balanced; anything else (an error, unclosed
    elements, no element) makes :meth:`parse` answer ``None``, start a new parser, and
    leave the payload to :func:`parse`'s own attempts.
    """

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.parser = ET.XMLPullParser(events=("start",))
        self.parser.feed("<payloads>")
        self.wrapper: ET.Element = next(self.parser.read_events())[1]
        self.count = 0

    def parse(self, body: str) -> ET.Element | None:
        """The payload's element(s) (see the class), or ``None`` when the general reading must decide."""
        self.count += 1
        if self.count > _STREAM_LIMIT:
            self._start()
        wrapper = self.wrapper
        try:
            self.parser.feed(f"{body}<{_END_TAG}/>")
            for _ in self.parser.read_events():  # element starts: not needed, only drained
                pass
        except ET.ParseError:
            self._start()
            return None
        if not len(wrapper) or wrapper[-1].tag != _END_TAG:
            self._start()  # the payload left an element open: the end marker went inside it
            return None
        items = wrapper[:-1]
        del wrapper[:]
        if len(items) == 1:
            return items[0]
        if not items:
            return None
        root = ET.Element("root")
        root.extend(items)
        return root


_STREAM = _Stream()


def parse(text: str | None) -> ET.Element | None:
    """Parse a WeChat XML payload, recovering from the usual defects; ``None`` if it is not XML."""
    body = _clean(text)
    if body is None:
        return None
    if body[:1] == "<" and body[1:2] != "!" and body.endswith(">") and "<!--" not in body and "<?" not in body \
            and _END_TAG not in body:  # plain payloads: the kept-open parser (same result, much cheaper)
        root = _STREAM.parse(body)
        if root is not None:
            return root
    return _general(body)


def _clean(text: str | None) -> str | None:
    """The payload from its first tag, without declarations, DOCTYPE and control characters."""
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
    return body.strip()


def _general(body: str) -> ET.Element | None:
    """The payload alone, else wrapped in ``<root>`` (several elements), else with bare ``&`` escaped."""
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
    if not steps:
        return root.find(path)
    if len(steps) == 1:
        return root.find(path)  # one plain tag: C find, no ElementPath
    if len(steps) == 2:  # "parent/child", most paths: _first's walk, unrolled
        first, second = steps
        for child in root.findall(first):
            found = child.find(second)
            if found is not None:
                return found
        return None
    return _first(root, steps, 0)


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
