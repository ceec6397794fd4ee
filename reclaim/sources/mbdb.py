"""Legacy backups (iOS 5–9): the binary ``Manifest.mbdb``.

``mbdb\\x05\\x00`` followed by records, all big-endian::

    string domain, path, link target, data hash, encryption key   (u16 length, 0xFFFF = none)
    u16 mode, u64 inode, u32 uid, u32 gid, u32 mtime, u32 atime, u32 ctime,
    u64 size, u8 protection class, u8 property count, (string name, string value) * count

The encryption key is a 4-byte little-endian class + the wrapped key. Files are stored
flat in the backup root as ``sha1(domain + '-' + path)``. Records are streamed; a small
offset index (fileID → record offset) is built on the first lookup.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reclaim.errors import CorruptFile
from reclaim.sources.mbfile import S_IFDIR, S_IFLNK, S_IFMT
from reclaim.vfs import Entry, EntryKind

MAGIC = b"mbdb\x05\x00"
_FIXED = struct.Struct(">HQIIIIIQBB")


@dataclass(slots=True)
class MbdbRecord:
    """One record of a Manifest.mbdb (used to write test backups too)."""

    domain: str
    path: str
    mode: int
    size: int = 0
    mtime: int = 0
    atime: int = 0
    ctime: int = 0
    inode: int = 0
    uid: int = 501
    gid: int = 501
    target: str | None = None
    data_hash: bytes | None = None
    encryption_key: bytes | None = None
    protection_class: int = 0
    properties: tuple[tuple[bytes, bytes], ...] = ()


def _kind(mode: int) -> EntryKind:
    fmt = mode & S_IFMT
    if fmt == S_IFDIR:
        return EntryKind.DIR
    if fmt == S_IFLNK:
        return EntryKind.LINK
    return EntryKind.FILE


class _Reader:
    def __init__(self, data: bytes | mmap.mmap, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def need(self, n: int) -> None:
        if self.pos + n > len(self.data):
            raise CorruptFile(f"Manifest.mbdb is truncated at byte {self.pos}", self.path)

    def string(self) -> bytes | None:
        self.need(2)
        (length,) = struct.unpack_from(">H", self.data, self.pos)
        self.pos += 2
        if length == 0xFFFF:
            return None
        self.need(length)
        value = bytes(self.data[self.pos : self.pos + length])
        self.pos += length
        return value

    def record(self) -> MbdbRecord:
        domain = self.string()
        path = self.string()
        target = self.string()
        data_hash = self.string()
        key = self.string()
        self.need(_FIXED.size)
        mode, inode, uid, gid, mtime, atime, ctime, size, prot, nprops = _FIXED.unpack_from(self.data, self.pos)
        self.pos += _FIXED.size
        props = tuple((self.string() or b"", self.string() or b"") for _ in range(nprops))
        return MbdbRecord(
            domain=(domain or b"").decode("utf-8", "replace"),
            path=(path or b"").decode("utf-8", "replace"),
            mode=mode,
            size=size,
            mtime=mtime,
            atime=atime,
            ctime=ctime,
            inode=inode,
            uid=uid,
            gid=gid,
            target=target.decode("utf-8", "replace") if target is not None else None,
            data_hash=data_hash,
            encryption_key=key,
            protection_class=prot,
            properties=props,
        )


def record_entry(rec: MbdbRecord) -> Entry:
    """The :class:`Entry` of an mbdb record."""
    kind = _kind(rec.mode)
    return Entry(
        domain=rec.domain,
        path=rec.path,
        kind=kind,
        size=rec.size if kind is EntryKind.FILE else 0,
        mtime=rec.mtime,
        file_id=hashlib.sha1(f"{rec.domain}-{rec.path}".encode()).hexdigest(),
        mode=rec.mode,
        birth=rec.ctime,
        target=rec.target,
        protection_class=rec.protection_class,
        encryption_key=rec.encryption_key,
    )


class Mbdb:
    """A streamed Manifest.mbdb."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as handle:
                size = handle.seek(0, 2)
                if size < len(MAGIC):
                    raise CorruptFile("Manifest.mbdb is truncated", path)
                self._data: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except OSError as exc:
            raise CorruptFile(f"cannot read Manifest.mbdb ({exc.strerror})", path) from None
        if self._data[: len(MAGIC)] != MAGIC:
            raise CorruptFile("not a Manifest.mbdb (bad magic)", path)
        self._index: dict[str, int] | None = None
        #: What is wrong with the file (``None``: nothing found so far): known once a read reached the damage.
        self.damage: str | None = None

    def records(self) -> Iterator[tuple[int, MbdbRecord]]:
        """(offset, record) pairs in file order, up to the first record that cannot be read (a file cut short or
        damaged there: :attr:`damage` says so, and the records before it are kept)."""
        reader = _Reader(self._data, self.path)
        reader.pos = len(MAGIC)
        count = 0
        while reader.pos < len(self._data):
            offset = reader.pos
            try:
                record = reader.record()
            except CorruptFile:
                self.damage = (f"Manifest.mbdb is cut short or damaged from byte {offset:,} on: {count:,} file entries "
                               "were read from it")
                return
            count += 1
            yield offset, record

    def entries(self) -> Iterator[Entry]:
        """Every record as an entry."""
        for _, rec in self.records():
            yield record_entry(rec)

    def get(self, domain: str, path: str) -> Entry | None:
        """The record at (domain, path), through a fileID → offset index."""
        if self._index is None:
            self._index = {record_entry(rec).file_id: off for off, rec in self.records()}
        offset = self._index.get(hashlib.sha1(f"{domain}-{path}".encode()).hexdigest())
        if offset is None:
            return None
        reader = _Reader(self._data, self.path)
        reader.pos = offset
        entry = record_entry(reader.record())
        return entry if (entry.domain, entry.path) == (domain, path) else None

    def close(self) -> None:
        """Release the mapping."""
        if isinstance(self._data, mmap.mmap):
            self._data.close()


def _string(value: str | bytes | None) -> bytes:
    if value is None:
        return b"\xff\xff"
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return struct.pack(">H", len(raw)) + raw


def encode_mbdb(records: Iterable[MbdbRecord]) -> bytes:
    """A Manifest.mbdb holding ``records`` (for tests and legacy samples)."""
    out = [MAGIC]
    for r in records:
        out += [_string(r.domain), _string(r.path), _string(r.target), _string(r.data_hash), _string(r.encryption_key)]
        out.append(
            _FIXED.pack(
                r.mode, r.inode, r.uid, r.gid, r.mtime, r.atime, r.ctime, r.size, r.protection_class, len(r.properties)
            )
        )
        for name, value in r.properties:
            out += [_string(name), _string(value)]
    return b"".join(out)
