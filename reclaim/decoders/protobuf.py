"""A minimal protocol-buffers wire-format reader (no schema, no generated code).

Protobuf messages are a sequence of ``(field number, wire type, value)``
records: wire type 0 is a varint, 1 a little-endian 64-bit value, 2 a
length-delimited byte string (strings, bytes, nested messages, packed arrays)
and 5 a little-endian 32-bit value. :func:`parse_message` splits a buffer into
those records and :class:`Message` offers typed accessors, so decoders can
describe a schema in a few lines of Python (see :mod:`reclaim.decoders.notes_proto`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["Message", "ProtobufError", "iter_fields", "parse_message", "read_varint"]

VARINT, FIXED64, LENGTH_DELIMITED, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Read a base-128 varint at ``pos``; return ``(value, next position)``."""
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("protobuf: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("protobuf: varint longer than 10 bytes")


def iter_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field number, wire type, value)`` for each record in ``data``.

    Varint and fixed-width values are yielded as unsigned ints; length-delimited
    values as ``bytes``. Groups (wire types 3/4, deprecated) are rejected.
    """
    data = bytes(data)
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("protobuf: field number 0")
        value: int | bytes
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire == FIXED64:
            if pos + 8 > len(data):
                raise ProtobufError("protobuf: truncated 64-bit field")
            value = struct.unpack_from("<Q", data, pos)[0]
            pos += 8
        elif wire == LENGTH_DELIMITED:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError(f"protobuf: field {number} needs {length} bytes, {len(data) - pos} left")
            value = data[pos : pos + length]
            pos += length
        elif wire == FIXED32:
            if pos + 4 > len(data):
                raise ProtobufError("protobuf: truncated 32-bit field")
            value = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        else:
            raise ProtobufError(f"protobuf: unsupported wire type {wire} for field {number}")
        yield number, wire, value


@dataclass
class Message:
    """A parsed message: every value seen for each field number, in order."""

    fields: dict[int, list[int | bytes]] = field(default_factory=dict)
    wire_types: dict[int, int] = field(default_factory=dict)

    def all(self, number: int) -> list[int | bytes]:
        """All raw values of a field (repeated fields keep their order)."""
        return self.fields.get(number, [])

    def has(self, number: int) -> bool:
        """True if the field is present."""
        return number in self.fields

    def _last(self, number: int) -> int | bytes | None:
        values = self.fields.get(number)
        return values[-1] if values else None  # proto semantics: last one wins

    def uint(self, number: int, default: int | None = None) -> int | None:
        """An unsigned varint/fixed field."""
        value = self._last(number)
        return value if isinstance(value, int) else default

    def int(self, number: int, default: int | None = None) -> int | None:
        """A signed ``int32``/``int64`` field (two's complement varint)."""
        value = self._last(number)
        if not isinstance(value, int):
            return default
        return value - (1 << 64) if value >= 1 << 63 else value

    def float(self, number: int, default: float | None = None) -> float | None:
        """A ``float`` (32-bit) or ``double`` (64-bit) field."""
        value = self._last(number)
        wire = self.wire_types.get(number)
        if not isinstance(value, int) or wire not in (FIXED32, FIXED64):
            return default
        if wire == FIXED32:
            return struct.unpack("<f", struct.pack("<I", value))[0]
        return struct.unpack("<d", struct.pack("<Q", value))[0]

    def bytes(self, number: int) -> bytes | None:
        """A ``bytes`` field."""
        value = self._last(number)
        return value if isinstance(value, bytes) else None

    def string(self, number: int) -> str | None:
        """A UTF-8 ``string`` field (invalid bytes are replaced, not fatal)."""
        value = self._last(number)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else None

    def strings(self, number: int) -> list[str]:
        """A repeated ``string`` field."""
        return [v.decode("utf-8", "replace") for v in self.all(number) if isinstance(v, bytes)]

    def message(self, number: int) -> Message | None:
        """A nested message field (the last occurrence), or ``None``."""
        value = self._last(number)
        return parse_message(value) if isinstance(value, bytes) else None

    def messages(self, number: int) -> list[Message]:
        """A repeated nested message field."""
        return [parse_message(v) for v in self.all(number) if isinstance(v, bytes)]


def parse_message(data: bytes) -> Message:
    """Parse one message level; nested messages are parsed lazily by :meth:`Message.message`."""
    msg = Message()
    for number, wire, value in iter_fields(data):
        msg.fields.setdefault(number, []).append(value)
        msg.wire_types[number] = wire
    return msg
