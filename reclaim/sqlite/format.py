"""SQLite file-format primitives: the database header, varints, serial types, records.

Everything here works on bytes already read from a file; nothing touches the disk.
Reference: the "Database File Format" page of sqlite.org (sections 1.3, 1.6, 2.1).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"SQLite format 3\x00"

#: B-tree page type bytes.
INDEX_INTERIOR = 0x02
TABLE_INTERIOR = 0x05
INDEX_LEAF = 0x0A
TABLE_LEAF = 0x0D
BTREE_TYPES = frozenset((INDEX_INTERIOR, TABLE_INTERIOR, INDEX_LEAF, TABLE_LEAF))

#: Text encodings as stored at header offset 56, mapped to Python codecs.
ENCODINGS = {1: "utf-8", 2: "utf-16-le", 3: "utf-16-be"}

_S16 = struct.Struct(">h")
_S32 = struct.Struct(">i")
_S64 = struct.Struct(">q")
_F64 = struct.Struct(">d")


class FormatError(ValueError):
    """Bytes that do not follow the SQLite format (caught and turned into skips or CorruptFile)."""


@dataclass(frozen=True, slots=True)
class DbHeader:
    """The 100-byte database header (only the fields the recovery engine needs)."""

    page_size: int
    reserved: int
    change_counter: int
    page_count: int
    freelist_trunk: int
    freelist_count: int
    schema_format: int
    largest_root: int  # non-zero: auto_vacuum (pointer-map pages exist)
    encoding: str
    incremental_vacuum: int
    version_valid_for: int
    wal_mode: bool

    @property
    def usable(self) -> int:
        """Usable bytes per page (page size minus the reserved tail)."""
        return self.page_size - self.reserved


def parse_header(data: bytes) -> DbHeader:
    """Parse the first 100 bytes of a database file; raise :class:`FormatError` if they are not one."""
    if len(data) < 100 or data[:16] != MAGIC:
        raise FormatError("not an SQLite 3 database (bad magic)")
    page_size = int.from_bytes(data[16:18], "big")
    if page_size == 1:
        page_size = 65536
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        raise FormatError(f"invalid page size {page_size}")
    reserved = data[20]
    if page_size - reserved < 480:
        raise FormatError(f"invalid reserved space {reserved}")
    enc = int.from_bytes(data[56:60], "big")
    return DbHeader(
        page_size=page_size,
        reserved=reserved,
        change_counter=int.from_bytes(data[24:28], "big"),
        page_count=int.from_bytes(data[28:32], "big"),
        freelist_trunk=int.from_bytes(data[32:36], "big"),
        freelist_count=int.from_bytes(data[36:40], "big"),
        schema_format=int.from_bytes(data[44:48], "big"),
        largest_root=int.from_bytes(data[52:56], "big"),
        encoding=ENCODINGS.get(enc, "utf-8"),
        incremental_vacuum=int.from_bytes(data[64:68], "big"),
        version_valid_for=int.from_bytes(data[92:96], "big"),
        wal_mode=data[18] == 2 or data[19] == 2,
    )


def read_varint(buf: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    """Decode the varint at ``buf[pos]``; return ``(value, next_pos)``.

    Values are unsigned 64-bit; callers that need a signed rowid use :func:`signed64`.
    Raises :class:`FormatError` when the varint runs past ``end``.
    """
    if pos >= end:
        raise FormatError("varint past end")
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    value = b & 0x7F
    for i in range(1, 9):
        if pos + i >= end:
            raise FormatError("varint past end")
        b = buf[pos + i]
        if i == 8:
            return (value << 8) | b, pos + 9
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, pos + i + 1
    raise AssertionError("unreachable")  # pragma: no cover


def varint_len(value: int) -> int:
    """Number of bytes the varint encoding of ``value`` (0 ≤ value < 2**64) takes."""
    if value < 0:
        value &= (1 << 64) - 1
    if value > 0x00FFFFFFFFFFFFFF:
        return 9
    n = 1
    while value >= 0x80:
        value >>= 7
        n += 1
    return n


def signed64(value: int) -> int:
    """Interpret an unsigned 64-bit varint value as a two's-complement signed integer."""
    return value - (1 << 64) if value >= (1 << 63) else value


_INT_SIZES = (0, 1, 2, 3, 4, 6, 8, 8, 0, 0)


def serial_size(st: int) -> int:
    """Content size in bytes of serial type ``st``; -1 for the reserved types 10 and 11."""
    if st < 10:
        return _INT_SIZES[st]
    if st < 12:
        return -1
    return (st - 12) >> 1


def serial_class(st: int) -> str:
    """Coarse class of a serial type for signatures: null, int, float, text or blob."""
    if st == 0:
        return "null"
    if st == 7:
        return "float"
    if st < 10:
        return "int"
    if st >= 13 and st & 1:
        return "text"
    return "blob"


def decode_value(st: int, buf: bytes | memoryview, pos: int, encoding: str) -> object:
    """Decode one record value of serial type ``st`` starting at ``buf[pos]`` (sizes already checked).

    Integers are big-endian two's complement of 1, 2, 3, 4, 6 or 8 bytes; type 7 is an
    IEEE-754 big-endian double; 8 and 9 are the constants 0 and 1. Text is decoded in the
    database encoding (strictly: a decoding error raises :class:`FormatError`).
    """
    if st == 0:
        return None
    if st == 1:
        v = buf[pos]
        return v - 256 if v > 127 else v
    if st == 2:
        return _S16.unpack_from(buf, pos)[0]
    if st == 3:
        return int.from_bytes(buf[pos : pos + 3], "big", signed=True)
    if st == 4:
        return _S32.unpack_from(buf, pos)[0]
    if st == 5:
        return int.from_bytes(buf[pos : pos + 6], "big", signed=True)
    if st == 6:
        return _S64.unpack_from(buf, pos)[0]
    if st == 7:
        return _F64.unpack_from(buf, pos)[0]
    if st == 8:
        return 0
    if st == 9:
        return 1
    size = (st - 12) >> 1
    raw = bytes(buf[pos : pos + size])
    if st & 1:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise FormatError("text does not decode") from exc
    return raw


def parse_record_header(buf: bytes | memoryview, pos: int, end: int) -> tuple[list[int], int]:
    """Read the record header at ``buf[pos]``; return ``(serial_types, body_start)``.

    Raises :class:`FormatError` if the header is inconsistent or runs past ``end``.
    """
    hlen, p = read_varint(buf, pos, end)
    hend = pos + hlen
    if hlen < 1 or hend > end or hend < p:
        raise FormatError("bad record header length")
    types: list[int] = []
    while p < hend:
        st, p = read_varint(buf, p, hend)
        if st in (10, 11):
            raise FormatError("reserved serial type")
        types.append(st)
    if p != hend:
        raise FormatError("record header overruns")
    return types, hend


def decode_record(payload: bytes | memoryview, encoding: str) -> list[object]:
    """Decode a complete record (header + body); raise :class:`FormatError` if it is inconsistent."""
    n = len(payload)
    types, p = parse_record_header(payload, 0, n)
    values: list[object] = []
    for st in types:
        size = serial_size(st)
        if p + size > n:
            raise FormatError("record body overruns")
        values.append(decode_value(st, payload, p, encoding))
        p += size
    return values


def body_size(types: list[int]) -> int:
    """Total content size of the values with the given serial types."""
    return sum(serial_size(st) for st in types)


def header_size(types: list[int]) -> int:
    """Size of the record header (length varint included) for the given serial types."""
    n = sum(varint_len(st) for st in types)
    h = n + 1
    if varint_len(h) > 1:
        h = n + varint_len(n + 2)
    return h


def local_payload(payload: int, usable: int, index: bool) -> int:
    """Bytes of a payload of size ``payload`` stored in the cell itself (rest goes to overflow pages)."""
    x = ((usable - 12) * 64 // 255) - 23 if index else usable - 35
    if payload <= x:
        return payload
    m = ((usable - 12) * 32 // 255) - 23
    k = m + ((payload - m) % (usable - 4))
    return k if k <= x else m


def ptrmap_pages(page_count: int, usable: int) -> set[int]:
    """Page numbers of pointer-map pages in an auto-vacuum database of ``page_count`` pages."""
    per = usable // 5
    out: set[int] = set()
    p = 2
    while p <= page_count:
        out.add(p)
        p += per + 1
    return out


def encode_varint(value: int) -> bytes:
    """The varint encoding of an unsigned 64-bit value (inverse of :func:`read_varint`)."""
    value &= (1 << 64) - 1
    if value > 0x00FFFFFFFFFFFFFF:
        out = [value & 0xFF]
        value >>= 8
        for _ in range(8):
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        return bytes(reversed(out))
    if value < 0x80:
        return bytes((value,))
    parts = [value & 0x7F]
    value >>= 7
    while value:
        parts.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(parts))
