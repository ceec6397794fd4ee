"""Decoder for iMessage ``message.attributedBody`` (NeXTSTEP/Apple *typedstream*).

Since iOS 16 / macOS Ventura, Messages often leaves ``message.text`` empty and
keeps the message only in ``attributedBody``: an ``NSAttributedString`` archived
with the old ``NSArchiver`` *typedstream* format (header ``\\x04\\x0bstreamtyped``).

Format summary (learned from Chris Sardegna's write-up and the crabstep /
python-typedstream projects; this is an independent implementation):

* Integers are a signed head byte. ``0x81``/``0x82``/``0x87`` announce a
  little-endian int16/int32/int64; ``0x83`` a raw float/double; ``0x84`` (NEW)
  starts a literal, ``0x85`` is nil and ``0x86`` ends an object. Any other head
  is the value itself.
* Back-references are integers offset by ``-110`` (``0x92`` is entry 0). There are
  two tables: *shared strings* (type encodings and class names) and *objects*
  (objects, classes and C strings, in order of first appearance).
* An object is NEW, its class chain (NEW name version ... nil-or-reference) and
  then typed groups until END. Every group starts with an Objective-C type
  encoding (``@``, ``+``, ``iI``, ``[649c]``...) followed by one value per type.

:func:`decode_attributed_body` returns the text (a Python ``str``) and attribute
runs whose ``start``/``length`` count Python characters (code points); the
archive itself counts UTF-16 units and the conversion is done here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from reclaim.decoders._utf16 import to_code_point, utf16_offsets

__all__ = [
    "TEXT_EFFECTS",
    "AttributeRun",
    "AttributedBody",
    "TypedStreamError",
    "attributed_body_text",
    "decode_attributed_body",
    "decode_typedstream",
    "plain_body_text",
]

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

# Head bytes (as signed values).
_I16 = -127  # 0x81
_I32 = -126  # 0x82
_FLOAT = -125  # 0x83
_NEW = -124  # 0x84
_NIL = -123  # 0x85
_END = -122  # 0x86
_I64 = -121  # 0x87
_FIRST_TAG = -128
_LAST_TAG = -111
_REFERENCE_BASE = -110  # 0x92

_MAX_DEPTH = 200

ATTACHMENT_GUID = "__kIMFileTransferGUIDAttributeName"
LINK = "__kIMLinkAttributeName"
MENTION = "__kIMMentionConfirmedMention"
MESSAGE_PART = "__kIMMessagePartAttributeName"
TEXT_EFFECT = "__kIMTextEffectAttributeName"
ONE_TIME_CODE = "__kIMOneTimeCodeAttributeName"
STYLE_KEYS = {
    "__kIMTextBoldAttributeName": "bold",
    "__kIMTextItalicAttributeName": "italic",
    "__kIMTextUnderlineAttributeName": "underline",
    "__kIMTextStrikethroughAttributeName": "strikethrough",
}
#: ``__kIMTextEffectAttributeName`` values (iOS 18 animated text effects).
TEXT_EFFECTS = {
    5: "big",
    11: "small",
    9: "shake",
    8: "nod",
    12: "explode",
    4: "ripple",
    6: "bloom",
    10: "jitter",
}


class TypedStreamError(ValueError):
    """The bytes are not a typedstream this decoder understands (blank, truncated or garbage)."""


@dataclass(frozen=True)
class TSClass:
    """A class as archived: its name, version and superclass."""

    name: str
    version: int
    superclass: TSClass | None

    def chain(self) -> list[str]:
        """Class names from this class up to the root class."""
        names: list[str] = []
        cls: TSClass | None = self
        while cls is not None and len(names) < _MAX_DEPTH:
            names.append(cls.name)
            cls = cls.superclass
        return names


@dataclass(eq=False)
class TSObject:
    """An archived object: its class and the typed value groups it wrote."""

    cls: TSClass | None
    groups: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AttributeRun:
    """One attribute run of an attributed string.

    ``start`` and ``length`` index the decoded Python ``str`` (code points).
    ``attributes`` maps the archived attribute names to plain Python values
    (``str``, ``int``, ``float``, ``bytes``, ``datetime``, lists, dicts).
    """

    start: int
    length: int
    attributes: dict[str, Any]

    @property
    def end(self) -> int:
        """Index one past the run's last character."""
        return self.start + self.length

    @property
    def link(self) -> str | None:
        """Target URL of a link (web, ``tel:``, ``mailto:``...), if the run is one."""
        value = self.attributes.get(LINK)
        return value if isinstance(value, str) else None

    @property
    def attachment_guid(self) -> str | None:
        """``attachment.guid`` of the file this run's U+FFFC placeholder stands for."""
        value = self.attributes.get(ATTACHMENT_GUID)
        return value if isinstance(value, str) else None

    @property
    def mention(self) -> str | None:
        """Handle (phone number or e-mail) of a confirmed @mention."""
        value = self.attributes.get(MENTION)
        return value if isinstance(value, str) else None

    @property
    def message_part(self) -> int | None:
        """Index of the message part (body parts are edited/unsent separately)."""
        value = self.attributes.get(MESSAGE_PART)
        return value if isinstance(value, int) else None

    @property
    def styles(self) -> frozenset[str]:
        """Subset of ``{"bold", "italic", "underline", "strikethrough"}`` set on this run."""
        return frozenset(name for key, name in STYLE_KEYS.items() if self.attributes.get(key))

    @property
    def effect(self) -> str | None:
        """Animated text effect name (``"big"``, ``"jitter"``...), or ``"effect-N"`` if unknown."""
        value = self.attributes.get(TEXT_EFFECT)
        if not isinstance(value, int):
            return None
        return TEXT_EFFECTS.get(value, f"effect-{value}")


@dataclass(frozen=True)
class AttributedBody:
    """A decoded ``attributedBody``: the message text and its attribute runs."""

    text: str
    ranges: list[AttributeRun]
    #: True when the archive was damaged (e.g. a string length running past the end)
    #: and the text was recovered up to the damage.
    damaged: bool = False

    def run_text(self, run: AttributeRun) -> str:
        """The slice of :attr:`text` a run covers."""
        return self.text[run.start : run.end]

    @property
    def attachment_guids(self) -> list[str]:
        """GUIDs of attachments in order of appearance (one per U+FFFC placeholder)."""
        return [g for g in (r.attachment_guid for r in self.ranges) if g is not None]

    @property
    def links(self) -> list[str]:
        """Distinct link targets in order of appearance."""
        out: list[str] = []
        for run in self.ranges:
            if run.link is not None and run.link not in out:
                out.append(run.link)
        return out


class _Reader:
    """Walks a typedstream and builds :class:`TSObject` / :class:`TSClass` values."""

    def __init__(self, data: bytes, salvage: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.salvage = salvage
        self.damaged = False
        self.strings: list[bytes] = []
        self.objects: list[Any] = []
        self.depth = 0
        self.budget = 4 * len(data) + 64

    # -- primitives -----------------------------------------------------------------
    def _fail(self, what: str) -> TypedStreamError:
        return TypedStreamError(f"typedstream: {what} at byte {self.pos} of {len(self.data)}")

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self._fail(f"needs {n} more bytes, stream is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise self._fail("too many values for the stream size")

    def head(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            raise self._fail("needs 1 more bytes, stream is truncated")
        self.pos = pos + 1
        byte = self.data[pos]
        return byte - 256 if byte > 127 else byte

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise self._fail("unexpected end of stream")
        byte = self.data[self.pos]
        return byte - 256 if byte > 127 else byte

    def integer(self, head: int | None = None) -> int:
        if head is None:
            head = self.head()
        if head > _LAST_TAG or head < _FIRST_TAG:
            return head
        if head == _I16:
            return int.from_bytes(self._take(2), "little", signed=True)
        if head == _I32:
            return int.from_bytes(self._take(4), "little", signed=True)
        if head == _I64:
            return int.from_bytes(self._take(8), "little", signed=True)
        if _FIRST_TAG <= head <= _LAST_TAG:
            raise self._fail(f"tag 0x{head & 0xFF:02x} where an integer was expected")
        return head

    def reference(self, head: int, table: list[Any], what: str) -> Any:
        index = self.integer(head) - _REFERENCE_BASE
        if not 0 <= index < len(table):
            raise self._fail(f"{what} reference {index} is not in a table of {len(table)}")
        return table[index]

    def unshared_bytes(self) -> bytes:
        length = self.integer()
        if length < 0:
            raise self._fail(f"negative string length {length}")
        if self.salvage and self.pos + length > len(self.data):
            # Damaged length prefix: keep the bytes up to the next END+NEW marker.
            stop = self.data.find(b"\x86\x84", self.pos)
            self.damaged = True
            return self._take((stop if stop >= 0 else len(self.data)) - self.pos)
        return self._take(length)

    def shared_string(self, head: int | None = None) -> bytes | None:
        if head is None:
            head = self.head()
        if head == _NIL:
            return None
        if head == _NEW:
            value = self.unshared_bytes()
            self.strings.append(value)
            return value
        return self.reference(head, self.strings, "string")

    # -- composite values -----------------------------------------------------------
    def c_string(self) -> bytes | None:
        head = self.head()
        if head == _NIL:
            return None
        if head == _NEW:
            value = self.shared_string()
            self.objects.append(value)
            return value
        value = self.reference(head, self.objects, "C string")
        if value is not None and not isinstance(value, bytes):
            raise self._fail("C string reference points at an object")
        return value

    def klass(self) -> TSClass | None:
        """Read a class chain: NEW name version ... ending in nil or a reference."""
        pending: list[tuple[str, int, int]] = []  # (name, version, table slot)
        parent: TSClass | None
        while True:
            head = self.head()
            if head == _NEW:
                raw = self.shared_string()
                if raw is None:
                    raise self._fail("class without a name")
                version = self.integer()
                pending.append((raw.decode("utf-8", "replace"), version, len(self.objects)))
                self.objects.append(None)  # filled in below, once the superclass is known
                if len(pending) > _MAX_DEPTH:
                    raise self._fail("class chain too deep")
                continue
            if head == _NIL:
                parent = None
            else:
                parent = self.reference(head, self.objects, "class")
                if not isinstance(parent, TSClass):
                    raise self._fail("class reference points at something that is not a class")
            break
        for name, version, slot in reversed(pending):
            parent = TSClass(name, version, parent)
            self.objects[slot] = parent
        return parent

    def obj(self) -> TSObject | None:
        head = self.head()
        if head == _NIL:
            return None
        if head != _NEW:
            value = self.reference(head, self.objects, "object")
            if not isinstance(value, TSObject):
                raise self._fail("object reference points at something that is not an object")
            return value
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self._fail("objects nested too deeply")
        result = TSObject(cls=None)
        self.objects.append(result)
        result.cls = self.klass()
        while self.peek() != _END:
            result.groups.append(self.group())
        self.pos += 1
        self.depth -= 1
        return result

    def group(self) -> list[Any]:
        encoding = self.shared_string()
        if not encoding:
            raise self._fail("missing type encoding")
        types = _ENCODINGS.get(encoding)
        if types is None:
            types = _parse_encoding(encoding, self)
            if len(_ENCODINGS) < 512:
                _ENCODINGS[encoding] = types
        return [self.value(t) for t in types]

    def value(self, t: Any) -> Any:
        self._spend()
        if isinstance(t, tuple):
            kind = t[0]
            if kind == "array":
                _, count, inner = t
                if inner in ("c", "C"):
                    return self._take(count)
                if count > len(self.data) - self.pos:
                    raise self._fail(f"array of {count} items cannot fit in the stream")
                return [self.value(inner) for _ in range(count)]
            return [self.value(member) for member in t[1]]  # struct
        if t in "cCsSiIlLqQB":
            number = self.integer()
            if t in "CSILQ" and number < 0:
                number &= (1 << {"C": 8, "S": 16, "I": 32, "L": 32, "Q": 64}[t]) - 1
            return number
        if t in "fd":
            head = self.head()
            if head == _FLOAT:
                return struct.unpack("<f", self._take(4))[0] if t == "f" else struct.unpack("<d", self._take(8))[0]
            return float(self.integer(head))
        if t == "@":
            return self.obj()
        if t == "+":
            return self.unshared_bytes()
        if t == "*":
            return self.c_string()
        if t in "%:":
            return self.shared_string()
        if t == "#":
            return self.klass()
        raise self._fail(f"unsupported type {t!r}")


#: Type encodings already split (a few distinct ones, "@", "+", "iI", "[649c]", repeat in every body).
_ENCODINGS: dict[bytes, list[Any]] = {}


def _parse_encoding(encoding: bytes, reader: _Reader) -> list[Any]:
    """Split an Objective-C type encoding into simple type chars, arrays and structs."""
    text = encoding.decode("latin-1")
    pos = 0

    def one() -> Any:
        nonlocal pos
        if pos >= len(text):
            raise reader._fail(f"incomplete type encoding {text!r}")
        ch = text[pos]
        pos += 1
        if ch == "[":
            start = pos
            while pos < len(text) and text[pos].isdigit():
                pos += 1
            if start == pos:
                raise reader._fail(f"array without a length in {text!r}")
            count = int(text[start:pos])
            inner = one()
            if pos >= len(text) or text[pos] != "]":
                raise reader._fail(f"unterminated array in {text!r}")
            pos += 1
            return ("array", count, inner)
        if ch == "{":
            eq = text.find("=", pos)
            close = text.find("}", pos)
            if close < 0:
                raise reader._fail(f"unterminated struct in {text!r}")
            members: list[Any] = []
            if 0 <= eq < close:
                pos = eq + 1
                while pos < len(text) and text[pos] != "}":
                    members.append(one())
                if pos >= len(text):
                    raise reader._fail(f"unterminated struct in {text!r}")
            else:
                pos = close
            pos += 1
            return ("struct", members)
        if ch in "cCsSiIlLqQBfd@+*%:#":
            return ch
        raise reader._fail(f"unsupported type {ch!r} in encoding {text!r}")

    types = []
    while pos < len(text):
        types.append(one())
    return types


def _read_header(reader: _Reader) -> None:
    if not reader.data:
        raise TypedStreamError("typedstream: blob is empty")
    version = reader.integer()
    signature = reader.unshared_bytes()
    system = reader.integer()
    if signature not in (b"streamtyped", b"typedstream") or version != 4:
        raise TypedStreamError(f"typedstream: not a typedstream (version {version}, signature {signature!r})")
    if signature == b"typedstream":
        raise TypedStreamError("typedstream: big-endian streams are not supported")
    if system != 1000:
        raise TypedStreamError(f"typedstream: unexpected system version {system}")


def decode_typedstream(blob: bytes) -> Any:
    """Decode a whole typedstream into plain Python values.

    Strings become ``str``, numbers ``int``/``float``, ``NSData`` ``bytes``,
    ``NSDate`` a UTC ``datetime``, ``NSURL`` its absolute string, arrays/sets
    lists, dictionaries dicts, and attributed strings :class:`AttributedBody`.
    Other objects become ``{"$class": name, "groups": [...]}``.

    Raises:
        TypedStreamError: for blank, truncated or malformed input.
    """
    return _decode(blob, salvage=False)[0]


def _decode(blob: bytes, salvage: bool) -> tuple[Any, bool]:
    """Parse and convert; returns the root value and whether salvage mode had to patch it."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise TypedStreamError(f"typedstream: expected bytes, got {type(blob).__name__}")
    reader = _Reader(bytes(blob), salvage=salvage)
    try:
        _read_header(reader)
        values = reader.group()
        if not values:
            raise TypedStreamError("typedstream: archive holds no value")
        return _Converter().convert(values[0]), reader.damaged
    except TypedStreamError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError, struct.error) as exc:
        raise TypedStreamError(f"typedstream: malformed archive ({exc})") from exc


class _Converter:
    """Turns archived Foundation objects into plain Python values (cycle safe)."""

    def __init__(self) -> None:
        self.active: set[int] = set()

    def convert(self, value: Any) -> Any:
        if isinstance(value, TSObject):
            if id(value) in self.active or len(self.active) > _MAX_DEPTH:
                return None  # a cycle or absurd nesting: cut it rather than loop
            self.active.add(id(value))
            try:
                return self._object(value)
            finally:
                self.active.discard(id(value))
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        if isinstance(value, list):
            return [self.convert(v) for v in value]
        if isinstance(value, TSClass):
            return value.name
        return value

    def _object(self, obj: TSObject) -> Any:
        names = obj.cls.chain() if obj.cls else []
        groups = obj.groups
        if "NSAttributedString" in names:
            return self.attributed(obj)
        if "NSString" in names:
            return _string_of(obj)
        if "NSURL" in names:
            return self._url(groups)
        if "NSData" in names:
            for group in groups:
                for item in group:
                    if isinstance(item, bytes):
                        return item
            return b""
        if "NSDate" in names:
            seconds = groups[0][0]
            return APPLE_EPOCH + timedelta(seconds=float(seconds))
        if "NSNumber" in names or "NSValue" in names:
            if len(groups) >= 2 and groups[1]:
                return groups[1][0]
            return None
        if "NSNull" in names:
            return None
        if "NSDictionary" in names:
            count = groups[0][0]
            items = [g[0] for g in groups[1:]]
            if len(items) < 2 * count:
                raise TypedStreamError("typedstream: dictionary shorter than its count")
            return {_hashable(self.convert(items[2 * i])): self.convert(items[2 * i + 1]) for i in range(count)}
        if "NSArray" in names or "NSSet" in names:
            count = groups[0][0]
            items = [v for g in groups[1:] for v in g]
            return [self.convert(v) for v in items[:count]]
        return {"$class": names[0] if names else None, "groups": [self.convert(g) for g in groups]}

    def _url(self, groups: list[list[Any]]) -> str | None:
        flat = [v for g in groups for v in g]
        # Layout: c(has base) [@ base] @ relative string.
        objects = [self.convert(v) for v in flat[1:] if isinstance(v, TSObject)]
        strings = [s for s in objects if isinstance(s, str)]
        if not strings:
            return None
        if len(strings) >= 2:
            return urljoin(strings[0], strings[-1])
        return strings[-1]

    def attributed(self, obj: TSObject) -> AttributedBody:
        groups = obj.groups
        if not groups or not groups[0]:
            raise TypedStreamError("typedstream: attributed string holds no text")
        string_obj = groups[0][0]
        text = _string_of(string_obj) if isinstance(string_obj, TSObject) else ""
        units = utf16_offsets(text)
        dictionaries: list[dict[str, Any]] = []
        runs: list[AttributeRun] = []
        index = 1
        u16_pos = 0
        while index < len(groups):
            group = groups[index]
            index += 1
            if len(group) != 2 or not all(isinstance(v, int) for v in group):
                continue  # not a run header; unknown trailing data
            slot, length = group
            if slot == len(dictionaries) + 1:
                if index >= len(groups) or not groups[index]:
                    raise TypedStreamError("typedstream: attribute run without its dictionary")
                attrs = self.convert(groups[index][0])
                index += 1
                dictionaries.append(attrs if isinstance(attrs, dict) else {})
            elif not 1 <= slot <= len(dictionaries):
                raise TypedStreamError(f"typedstream: attribute run refers to unknown dictionary {slot}")
            attrs = dictionaries[slot - 1]
            start = to_code_point(units, u16_pos)
            u16_pos += max(length, 0)
            end = to_code_point(units, u16_pos)
            runs.append(AttributeRun(start=start, length=end - start, attributes=dict(attrs)))
        return AttributedBody(text=text, ranges=runs)


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key


def _string_of(obj: TSObject) -> str:
    for group in obj.groups:
        for item in group:
            if isinstance(item, bytes):
                return item.decode("utf-8", "replace")
    return ""


def decode_attributed_body(blob: bytes) -> AttributedBody:
    """Decode an ``attributedBody`` blob into its text and attribute runs.

    A strict parse is tried first. If it fails, a salvage parse that tolerates a
    string length running past the end of the blob (seen in real damaged rows)
    is tried; a body recovered that way has ``damaged=True``.

    Args:
        blob: the raw column value (starts with ``\\x04\\x0bstreamtyped``).

    Returns:
        The message text and its runs (links, mentions, attachment GUIDs,
        bold/italic/underline/strikethrough, text effects...).

    Raises:
        TypedStreamError: the blob is blank (no text), truncated beyond repair,
            not a typedstream, or its root object is not a string.
    """
    try:
        value, damaged = _decode(blob, salvage=False)
    except TypedStreamError as strict_error:
        try:
            value, damaged = _decode(blob, salvage=True)
        except TypedStreamError:
            raise strict_error from None
        if not isinstance(value, AttributedBody | str) or not (
            value.text if isinstance(value, AttributedBody) else value
        ):
            raise strict_error from None
    if isinstance(value, str):
        value = AttributedBody(text=value, ranges=[])
    if not isinstance(value, AttributedBody):
        raise TypedStreamError(f"typedstream: root object is not an attributed string ({type(value).__name__})")
    if not value.text:
        raise TypedStreamError("typedstream: attributed string is blank (it holds no text)")
    if damaged:
        value = AttributedBody(text=value.text, ranges=value.ranges, damaged=True)
    return value


def attributed_body_text(blob: bytes | None) -> str | None:
    """Return just the message text of an ``attributedBody``, or ``None`` if it cannot be read.

    This never raises: ``None`` means "no readable text" (missing column, blank or
    damaged blob), so callers can fall back to ``message.text``. Bodies in the layout
    Messages writes for plain text are read by :func:`plain_body_text` without the
    full decoder (same result, a fraction of the time); any other body is fully decoded.
    """
    if not blob:
        return None
    found = plain_body_text(blob)
    if found is not None:
        return found or None
    try:
        return decode_attributed_body(blob).text
    except TypedStreamError:
        return None


# -- fast path for plain-text bodies ---------------------------------------------------------
#
# Most ``attributedBody`` values are a plain message: the class chain of an (immutable or
# mutable) NSAttributedString, an NSString holding the UTF-8 text, then one attribute run
# covering the whole text with one of a few fixed attribute dictionaries. For those the text
# can be sliced out directly; the rest of the blob is compared byte for byte with the layouts
# below, so the full decoder would read exactly the same text from it (the tests check this
# on the corpus, on the sample and on generated and damaged bodies).

#: Everything before the string's length: header, class chains and the "+" type of its bytes.
_PLAIN_PREFIXES = {
    "mutable": (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x19NSMutableAttributedString\x00"
                b"\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84"
                b"\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95\x84\x01+"),
    "immutable": (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00"
                  b"\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+"),
}
#: After the string's bytes: the end of the NSString and the "iI" run header (slot 1), then its length.
_PLAIN_RUN = b"\x86\x84\x02iI\x01"
#: After the run's length: its attribute dictionary and the ends of the objects, per prefix.
_PLAIN_TAILS = {
    "mutable": (
        # {__kIMMessagePartAttributeName: 0}
        b"\x92\x84\x84\x84\x0cNSDictionary\x00\x95\x84\x01i\x01\x92\x84\x98\x98\x1d__kIMMessagePartAttributeName"
        b"\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x95\x84\x01*\x84\x9b\x9b\x00\x86\x86\x86",
    ),
    "immutable": (
        # {__kIMMessagePartAttributeName: 0}
        b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName"
        b"\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86",
        # {__kIMBaseWritingDirectionAttributeName: -1, __kIMMessagePartAttributeName: 0}
        b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x02\x92\x84\x96\x96&__kIMBaseWritingDirectionAttributeName"
        b"\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x84\x01q\x9d\xff\x86\x92\x84"
        b"\x96\x96\x1d__kIMMessagePartAttributeName\x86\x92\x84\x9b\x9c\x9d\x9d\x00\x86\x86\x86",
    ),
}
_PLAIN_LAYOUTS = tuple((prefix, frozenset(_PLAIN_TAILS[name])) for name, prefix in _PLAIN_PREFIXES.items())
_SHARED_HEAD = len(b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84")


def _plain_int(blob: bytes, pos: int) -> tuple[int, int]:
    """A non-negative typedstream integer at ``pos``: (value, next position); (-1, pos) for anything else."""
    head = blob[pos] if pos < len(blob) else 0x80
    if head < 0x80:
        return head, pos + 1
    if head == 0x81 and pos + 3 <= len(blob):
        return int.from_bytes(blob[pos + 1 : pos + 3], "little", signed=True), pos + 3
    if head == 0x82 and pos + 5 <= len(blob):
        return int.from_bytes(blob[pos + 1 : pos + 5], "little", signed=True), pos + 5
    return -1, pos


def plain_body_text(blob: bytes) -> str | None:
    """The text of an ``attributedBody`` in a plain-text layout, ``""`` when that text is blank.

    ``None`` means the blob is not in one of the layouts known here: decode it fully
    (:func:`decode_attributed_body`). When this returns a string, the full decoder
    returns the same text (or fails on a blank body, for ``""``).
    """
    layout = next((item for item in _PLAIN_LAYOUTS if blob[_SHARED_HEAD : len(item[0])] == item[0][_SHARED_HEAD:]
                   and blob.startswith(item[0][:_SHARED_HEAD])), None)
    if layout is None:
        return None
    prefix, tails = layout
    length, start = _plain_int(blob, len(prefix))
    end = start + length
    if length < 0 or blob[end : end + len(_PLAIN_RUN)] != _PLAIN_RUN:
        return None
    units, rest = _plain_int(blob, end + len(_PLAIN_RUN))
    if units < 0 or blob[rest:] not in tails:
        return None
    raw = blob[start:end]
    text = raw.decode("utf-8", "replace")
    if units != (len(text) if len(raw) == len(text) else len(text.encode("utf-16-le", "surrogatepass")) // 2):
        return None  # the run does not cover the text: let the full decoder judge
    return text
