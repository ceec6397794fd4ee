"""A tiny protobuf writer for sample content (Notes bodies and tables), with no generated code.

Only what the samples need: varints, length-delimited bytes/strings/messages and
fixed 32-bit floats. A message is built as ``message(field(1, 5), field(2, "text"))``.
"""

from __future__ import annotations

import gzip
import struct

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def varint(value: int) -> bytes:
    """An unsigned varint (negative ints as 64-bit two's complement, as protobuf does)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, value: int | bool | float | str | bytes) -> bytes:
    """One encoded field: ints/bools as varints, floats as fixed32, str/bytes length-delimited."""
    if isinstance(value, bool | int):
        return varint(number << 3 | VARINT) + varint(int(value))
    if isinstance(value, float):
        return varint(number << 3 | FIXED32) + struct.pack("<f", value)
    data = value.encode("utf-8") if isinstance(value, str) else value
    return varint(number << 3 | LENGTH) + varint(len(data)) + data


def message(*fields: bytes) -> bytes:
    """The concatenation of encoded fields (a message body, to nest with :func:`field`)."""
    return b"".join(fields)


def gzipped(data: bytes) -> bytes:
    """Gzip as Notes stores ``ZDATA`` (fixed mtime, so samples are reproducible)."""
    return gzip.compress(data, mtime=0)
