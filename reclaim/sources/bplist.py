"""A strict, lazy reader of binary property lists (``bplist00``) for hot paths.

:mod:`plistlib` decodes a whole binary plist into Python objects, which costs about
100 µs for the small NSKeyedArchiver records a backup manifest holds one million of.
:class:`BPlist` parses only the trailer and the offset table up front; objects are then
read one at a time, by reference, and only the ones a caller asks for. Containers are
returned as their raw object references, never decoded recursively.

It is strict on purpose: anything outside the common shapes (an unknown marker, an
offset or a length that runs past the object area, a reference out of range, an
unexpected type) raises :class:`BPlistError`, so callers can fall back to
:mod:`plistlib`, which knows every corner of the format. Format: Apple's
``CFBinaryPList.c`` — header ``bplist00``, objects, offset table, and a 32-byte trailer
(offset size, reference size, object count, top object, offset table position).
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable, Sequence

HEADER = b"bplist00"
TRAILER = struct.Struct(">6xBBQQQ")
_FORMATS = {1: "B", 2: "H", 4: "L", 8: "Q"}

# Marker high nibbles.
INT = 0x10
DATA = 0x40
ASCII = 0x50
UTF16 = 0x60
UID = 0x80
ARRAY = 0xA0
DICT = 0xD0

#: ``struct`` codes of the integer widths plistlib reads (8-byte integers are signed).
INT_CODES = {1: "B", 2: "H", 4: "I", 8: "q"}
Span = tuple[int, int, str]  # (start, stop, kind): kind is an INT_CODES value, or "s" for bytes


class BPlistError(ValueError):
    """The blob is not a binary plist of the expected shape."""


def _ints(blob: bytes, start: int, count: int, size: int) -> Sequence[int]:
    """``count`` big-endian unsigned integers of ``size`` bytes at ``start``."""
    if size == 1:
        return blob[start : start + count]  # indexing bytes gives ints
    fmt = _FORMATS.get(size)
    if fmt is None:
        raise BPlistError(f"unsupported integer size {size}")
    return struct.unpack_from(f">{count}{fmt}", blob, start)


class BPlist:
    """One binary plist, read object by object.

    ``blob`` is kept as is (no copy); ``offsets`` maps object references to positions;
    every read is bounded by ``end``, the start of the offset table. ``reads`` collects
    the byte ranges read as structure (markers, lengths, references, keys, UIDs), as
    opposed to the value payloads whose spans the ``*_span`` methods return.
    """

    __slots__ = ("blob", "end", "offsets", "reads", "ref_size", "top")

    def __init__(self, blob: bytes) -> None:
        size = len(blob)
        if size < 8 + 1 + 1 + 32 or blob[:8] != HEADER:
            raise BPlistError("not a bplist00")
        offset_size, ref_size, count, top, table = TRAILER.unpack_from(blob, size - 32)
        if (
            not count
            or top >= count
            or table < 9
            or table + offset_size * count > size - 32
            or offset_size not in _FORMATS
            or ref_size not in _FORMATS
        ):
            raise BPlistError("bad bplist trailer")
        self.blob = blob
        self.offsets = _ints(blob, table, count, offset_size)
        self.ref_size = ref_size
        self.end = table
        self.top = top
        self.reads: list[tuple[int, int]] = []

    def start(self, ref: int) -> int:
        """The position of object ``ref`` (checked to lie in the object area)."""
        offsets = self.offsets
        if ref >= len(offsets):
            raise BPlistError(f"object reference {ref} out of range")
        pos = offsets[ref]
        if pos < 8 or pos >= self.end:
            raise BPlistError(f"object {ref} lies outside the object area")
        return pos

    def marker(self, ref: int) -> int:
        """The marker byte of object ``ref`` (type in the high nibble)."""
        pos = self.start(ref)
        self.reads.append((pos, pos + 1))
        return self.blob[pos]

    def _extent(self, pos: int, unit: int) -> tuple[int, int]:
        """(payload start, payload end) of a sized object at ``pos`` whose items take ``unit`` bytes."""
        blob = self.blob
        low = blob[pos] & 0x0F
        if low == 0x0F:  # the count follows as an int object
            head = blob[pos + 1] if pos + 1 < self.end else 0
            if head & 0xF0 != INT or head & 0x0F > 3:
                raise BPlistError("bad extended length")
            start = pos + 2 + (1 << (head & 0x0F))
            low = int.from_bytes(blob[pos + 2 : start], "big")
        else:
            start = pos + 1
        stop = start + low * unit
        if stop > self.end:
            raise BPlistError("object runs past the object area")
        self.reads.append((pos, start))
        return start, stop

    def _expect(self, ref: int, kind: int) -> int:
        pos = self.start(ref)
        if self.blob[pos] & 0xF0 != kind:
            raise BPlistError(f"object {ref} is not of type {kind:#x}")
        return pos

    def integer_span(self, ref: int) -> Span:
        """Where an integer object's value lies: 1, 2, 4 bytes unsigned or 8 bytes signed.

        (plistlib also reads 16-byte integers; they are left to it.)
        """
        pos = self._expect(ref, INT)
        width = 1 << (self.blob[pos] & 0x0F)
        kind = INT_CODES.get(width)
        if kind is None:
            raise BPlistError("integer wider than 8 bytes")
        if pos + 1 + width > self.end:
            raise BPlistError("integer runs past the object area")
        self.reads.append((pos, pos + 1))
        return pos + 1, pos + 1 + width, kind

    def integer(self, ref: int) -> int:
        """An integer object's value, as plistlib reads it."""
        start, stop, _ = self.integer_span(ref)
        return int.from_bytes(self.blob[start:stop], "big", signed=stop - start >= 8)

    def uid(self, ref: int) -> int:
        """An NSKeyedArchiver UID object: the index it points to in ``$objects``."""
        pos = self._expect(ref, UID)
        stop = pos + 2 + (self.blob[pos] & 0x0F)
        if stop > self.end:
            raise BPlistError("UID runs past the object area")
        self.reads.append((pos, stop))
        return int.from_bytes(self.blob[pos + 1 : stop], "big")

    def data_span(self, ref: int) -> tuple[int, int]:
        """Where a data object's bytes lie."""
        return self._extent(self._expect(ref, DATA), 1)

    def data(self, ref: int) -> bytes:
        """A data object's bytes."""
        start, stop = self.data_span(ref)
        return self.blob[start:stop]

    def ascii(self, ref: int) -> bytes:
        """The raw bytes of an ASCII string object (cheap to compare with known keys)."""
        start, stop = self._extent(self._expect(ref, ASCII), 1)
        self.reads.append((start, stop))
        return self.blob[start:stop]

    def string_span(self, ref: int) -> tuple[int, int, str]:
        """Where a string object's payload lies, and its encoding (``ascii`` or ``utf-16-be``)."""
        pos = self.start(ref)
        kind = self.blob[pos] & 0xF0
        if kind == ASCII:
            return (*self._extent(pos, 1), "ascii")
        if kind == UTF16:
            return (*self._extent(pos, 2), "utf-16-be")
        raise BPlistError(f"object {ref} is not a string")

    def string(self, ref: int) -> str:
        """A string object, decoded strictly (as plistlib does)."""
        start, stop, encoding = self.string_span(ref)
        try:
            return self.blob[start:stop].decode(encoding)
        except UnicodeDecodeError:
            raise BPlistError(f"string object {ref} does not decode") from None

    def array(self, ref: int) -> Sequence[int]:
        """The element references of an array object."""
        size = self.ref_size
        start, stop = self._extent(self._expect(ref, ARRAY), size)
        self.reads.append((start, stop))
        return _ints(self.blob, start, (stop - start) // size, size)

    def keyed(self, ref: int) -> dict[bytes, int]:
        """A dict object as {raw ASCII key: value reference} (the last duplicate wins, as in plistlib).

        One call per dict, with the key reads inlined: this is the strict reader's hot loop.
        """
        keys, values = self.dictionary(ref)
        blob, offsets, end, reads = self.blob, self.offsets, self.end, self.reads
        count = len(offsets)
        out: dict[bytes, int] = {}
        for key, value in zip(keys, values, strict=True):
            if key >= count:
                raise BPlistError(f"object reference {key} out of range")
            pos = offsets[key]
            marker = blob[pos] if 8 <= pos < end else 0
            if marker & 0xF0 != ASCII:
                raise BPlistError("dict key is not an ASCII string")
            start, stop = pos + 1, pos + 1 + (marker & 0x0F)
            if marker == 0x5F:  # 15 characters or more: a one-byte int length follows
                if blob[pos + 1] != 0x10:
                    raise BPlistError("long dict key")
                start, stop = pos + 3, pos + 3 + blob[pos + 2]
            if stop > end:
                raise BPlistError("dict key runs past the object area")
            reads.append((pos, stop))
            out[blob[start:stop]] = value
        return out

    def dictionary(self, ref: int) -> tuple[Sequence[int], Sequence[int]]:
        """(key references, value references) of a dict object."""
        size = self.ref_size
        start, stop = self._extent(self._expect(ref, DICT), 2 * size)
        self.reads.append((start, stop))
        count = (stop - start) // (2 * size)
        return _ints(self.blob, start, count, size), _ints(self.blob, start + count * size, count, size)


# Shape templates ------------------------------------------------------------------------



class Template:
    """Re-reads blobs that share one blob's *skeleton* with a single ``struct`` call.

    A strict parse reports the byte spans of the values it used (integers, string and
    data payloads); everything else — header, markers, lengths, object references,
    dict keys, offset table, trailer — is the skeleton. Another blob with the same
    skeleton byte for byte has the same objects at the same places, so the same parse
    would read its values from the same spans: :meth:`read` checks the skeleton and
    returns those values, or ``None`` when the blob differs anywhere outside them.

    That holds only if no value span covers a byte the parse read as structure (a
    string object used both as a dict key and as a value, objects overlapping in a
    crafted file): ``reads`` lists those ranges and such a blob gets no template.
    """

    __slots__ = ("count", "skeleton", "skeleton_of", "unpack", "value_index")

    def __init__(self, blob: bytes, spans: Sequence[Span], reads: Sequence[tuple[int, int]]) -> None:
        structure = bytearray(len(blob))
        for start, stop in reads:
            structure[start:stop] = b"\1" * (stop - start)
        for start, stop, _ in spans:
            if 1 in structure[start:stop]:
                raise BPlistError("a value overlaps the structure")
        parts, skeleton_at, value_at, pos = [], [], {}, 0
        for start, stop, kind in sorted(set(spans)):
            if start < pos:
                raise BPlistError("overlapping value spans")
            if start > pos:
                skeleton_at.append(len(parts))
                parts.append(f"{start - pos}s")
            value_at[start, stop, kind] = len(parts)
            parts.append(kind if kind != "s" else f"{stop - start}s")
            pos = stop
        if pos < len(blob):
            skeleton_at.append(len(parts))
            parts.append(f"{len(blob) - pos}s")
        layout = struct.Struct(">" + "".join(parts))
        if layout.size != len(blob):
            raise BPlistError("spans do not tile the blob")
        #: ``unpack(blob)``: the skeleton pieces and the values, in blob order (``count`` items).
        self.unpack = layout.unpack
        self.count = len(parts)
        #: Picks the skeleton pieces out of ``unpack``'s result; ``skeleton`` is this blob's.
        self.skeleton_of = _getter(skeleton_at)
        self.skeleton = self.skeleton_of(layout.unpack(blob))
        #: Where each span's value is in ``unpack``'s result (in the order the spans were given).
        self.value_index = [value_at[span] for span in spans]

    def read(self, blob: bytes) -> tuple | None:
        """The values at the template's spans (in the order given), or ``None`` if the skeleton differs."""
        try:
            items = self.unpack(blob)
        except struct.error:  # another length
            return None
        if self.skeleton_of(items) != self.skeleton:
            return None
        return tuple(items[i] for i in self.value_index)


def _getter(indexes: Sequence[int]) -> Callable[[tuple], tuple]:
    """A C-speed picker of ``indexes`` that always returns a tuple."""
    if not indexes:
        return lambda items: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda items: (items[index],)
    return operator.itemgetter(*indexes)
