"""Reading a zip whose end is lost: its members found again from their local headers.

A zip lists its members in a central directory at its very end, and :mod:`zipfile` reads nothing
without it: an extraction of 50 GB whose copy or download stopped at 99 % is refused whole. Each
member also starts with a local header (name, method, sizes, CRC) followed by its data, so the
members can be walked from the start of the file up to the cut. :func:`salvage` does that, then
hands :mod:`zipfile` the file's bytes up to the end of the last whole member followed by a central
directory rebuilt from those headers (ZIP64 where sizes or offsets need it), so members are read,
decompressed and CRC-checked by :mod:`zipfile` as in any zip. Nothing is written to the file.

Members written by a streaming zipper carry their sizes after their data (a *data descriptor*):
a deflated one is inflated once to find its end; a stored one cannot be delimited, and the walk stops
there.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import CorruptFile

LOCAL = b"PK\x03\x04"
_LOCAL = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, name/extra lengths
_DESCRIPTOR = b"PK\x07\x08"
_ZIP64_EXTRA = 0x0001
_MAX32 = 0xFFFFFFFF
_CHUNK = 1 << 20


@dataclass(slots=True)
class _Member:
    offset: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed: int
    size: int
    name: bytes
    extra: bytes


def starts_like_a_zip(path: str | Path) -> bool:
    """Whether a file begins with a zip member's local header (a zip, whole or cut short)."""
    with open(path, "rb") as handle:
        return handle.read(4) == LOCAL


def is_zip(path: Path) -> bool:
    """Whether a file is a zip: whole (its list of members found at its end) or cut short (it begins like one)."""
    return zipfile.is_zipfile(path) or starts_like_a_zip(path)


def _zip64_sizes(extra: bytes, size: int, compressed: int) -> tuple[int, int]:
    """The sizes a local header's ZIP64 extra field gives for those marked 0xFFFFFFFF."""
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, i)
        if tag == _ZIP64_EXTRA:
            values = extra[i + 4:i + 4 + length]
            pos = 0
            if size == _MAX32 and pos + 8 <= len(values):
                size = struct.unpack_from("<Q", values, pos)[0]
                pos += 8
            if compressed == _MAX32 and pos + 8 <= len(values):
                compressed = struct.unpack_from("<Q", values, pos)[0]
            break
        i += 4 + length
    return size, compressed


def _inflate_to_end(file: BinaryIO, start: int, end: int) -> tuple[int, int, int] | None:
    """(compressed size, size, CRC) of a deflate stream starting at ``start``; ``None`` when it does not end
    before ``end`` (the file's end) or is damaged."""
    inflater = zlib.decompressobj(-15)
    file.seek(start)
    consumed = size = 0
    crc = 0
    while not inflater.eof:
        chunk = file.read(min(_CHUNK, end - start - consumed))
        if not chunk:
            return None
        consumed += len(chunk)
        while chunk and not inflater.eof:  # at most _CHUNK out at a time: a run of zeros inflates a thousandfold
            try:
                out = inflater.decompress(chunk, _CHUNK)
            except zlib.error:
                return None
            size += len(out)
            crc = zlib.crc32(out, crc)
            chunk = inflater.unconsumed_tail
    return consumed - len(inflater.unused_data), size, crc


def _walk(file: BinaryIO, length: int) -> tuple[list[_Member], int]:
    """The members whose data ends before the file does, and where the last one ends."""
    members: list[_Member] = []
    offset = 0
    while offset + _LOCAL.size <= length:
        file.seek(offset)
        head = file.read(_LOCAL.size)
        if len(head) < _LOCAL.size:
            break
        sig, _version, flags, method, time, date, crc, compressed, size, name_len, extra_len = _LOCAL.unpack(head)
        if sig != LOCAL:
            break  # the central directory (the zip was whole up to there), or damage
        name, extra = file.read(name_len), file.read(extra_len)
        data = offset + _LOCAL.size + name_len + extra_len
        size, compressed = _zip64_sizes(extra, size, compressed)
        wide = any(tag == _ZIP64_EXTRA for tag in _extra_tags(extra))
        end = data + compressed
        if flags & 0x08:  # sizes and CRC follow the data
            if method != 8:
                break  # a stored member of unknown length: nothing after it can be found safely
            found = _inflate_to_end(file, data, length)
            if found is None:
                break
            compressed, size, crc = found
            end = data + compressed
            file.seek(end)
            marker = file.read(4)
            end += (4 if marker == _DESCRIPTOR else 0) + (20 if wide else 12)
        if end > length or len(name) < name_len:
            break  # the cut went through this member
        members.append(_Member(offset, flags, method, time, date, crc, compressed, size, name, extra))
        offset = end
    return members, offset


def _extra_tags(extra: bytes) -> list[int]:
    tags, i = [], 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, i)
        tags.append(tag)
        i += 4 + length
    return tags


def _directory(members: list[_Member], start: int) -> bytes:
    """A central directory for ``members`` placed at ``start``, and its end records (ZIP64 ones when needed)."""
    out = bytearray()
    for m in members:
        # ZIP64: the values that do not fit in 32 bits, in this order, in an extra field (the fixed ones 0xFFFFFFFF).
        big = [value for value in (m.size, m.compressed, m.offset) if value >= _MAX32]
        extra = struct.pack("<HH", _ZIP64_EXTRA, 8 * len(big)) + b"".join(struct.pack("<Q", v) for v in big) \
            if big else b""
        version = 45 if big else 20
        out += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", version, 3, version, 0,
                           m.flags, m.method, m.time, m.date, m.crc, min(m.compressed, _MAX32),
                           min(m.size, _MAX32), len(m.name), len(extra), 0, 0, 0, 0, min(m.offset, _MAX32))
        out += m.name + extra
    size = len(out)
    if len(members) >= 0xFFFF or start >= _MAX32 or size >= _MAX32:
        zip64_end = start + size
        out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, len(members), len(members), size, start)
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_end, 1)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(len(members), 0xFFFF), min(len(members), 0xFFFF),
                       min(size, _MAX32), min(start, _MAX32), 0)
    return bytes(out)


class _Spliced(io.RawIOBase):
    """The file's first ``cut`` bytes, then ``tail``: read-only, seekable (what :class:`zipfile.ZipFile` reads)."""

    def __init__(self, file: BinaryIO, cut: int, tail: bytes) -> None:
        self._file = file
        self._cut = cut
        self._tail = tail
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._cut + len(self._tail)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._pos < self._cut:
            self._file.seek(self._pos)
            data = self._file.read(min(want, self._cut - self._pos))
        else:
            start = self._pos - self._cut
            data = self._tail[start:start + want]
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


#: What :class:`zipfile.ZipFile` raises on a member list it cannot use (cut away, a byte flipped: a "version
#: needed" it does not know raises ``NotImplementedError``, an impossible offset ``ValueError``).
BAD_DIRECTORY = (zipfile.BadZipFile, NotImplementedError, ValueError)


def open_zip(path: Path) -> tuple[zipfile.ZipFile, str | None]:
    """A zip archive, read whole or, when its list of members is lost, from its members' own headers:
    ``(archive, what is wrong with it or None)``; :class:`CorruptFile` when not one member can be read."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed with the archive made from it (its fp)
    except OSError as exc:
        raise CorruptFile(f"not a readable zip archive ({exc})", path) from None
    try:
        return zipfile.ZipFile(handle), None
    except BAD_DIRECTORY as exc:
        problem = exc
    except BaseException:
        handle.close()
        raise
    try:
        found = salvage(handle, os.fstat(handle.fileno()).st_size)
        if found is None:
            raise CorruptFile(f"not a readable zip archive ({problem})", path)
        stand_in, count = found
        archive = zipfile.ZipFile(stand_in)
    except (CorruptFile, zipfile.BadZipFile, OSError, ValueError) as exc:
        handle.close()
        raise CorruptFile(f"not a readable zip archive ({problem})", path) from exc
    return archive, (f"{path.name} is cut short or damaged (its list of members is lost): {count:,} whole members "
                     "were found from their own headers; the files after them are missing")


def close_zip(archive: zipfile.ZipFile) -> None:
    """Close an archive from :func:`open_zip` and the file under it."""
    fp = archive.fp
    archive.close()
    if fp is not None:
        fp.close()


def member_names(path: Path, limit: int) -> list[str]:
    """The names of a zip's first ``limit`` members from their own headers (cheap: no data is read), for telling
    what a zip cut short holds."""
    names: list[str] = []
    with open(path, "rb") as file:
        offset, length = 0, os.fstat(file.fileno()).st_size
        while len(names) < limit and offset + _LOCAL.size <= length:
            file.seek(offset)
            head = file.read(_LOCAL.size)
            if len(head) < _LOCAL.size:
                break
            sig, _v, flags, _m, _t, _d, _c, compressed, size, name_len, extra_len = _LOCAL.unpack(head)
            if sig != LOCAL or flags & 0x08:
                break  # (sizes after the data: finding the next header would mean inflating this one)
            name, extra = file.read(name_len), file.read(extra_len)
            size, compressed = _zip64_sizes(extra, size, compressed)
            names.append(name.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
            offset += _LOCAL.size + name_len + extra_len + compressed
    return names


def salvage(file: BinaryIO, length: int) -> tuple[BinaryIO, int] | None:
    """A stand-in for a zip whose central directory is lost: ``(readable zip, members found)``, or ``None``
    when no whole member is found. ``file`` (open for reading, at least ``length`` bytes) is closed with the
    stand-in."""
    members, end = _walk(file, length)
    if not members:
        return None
    return io.BufferedReader(_Spliced(file, end, _directory(members, end))), len(members)
