"""Archive members (zip, tar) as streams that report damage as one :class:`CorruptFile` naming the member: a bad
CRC, a broken deflate, gzip or xz stream, an unknown compression method or an archive that ends inside the member
would otherwise reach the user as a traceback, and stop the kind reading it."""

from __future__ import annotations

import contextlib
import io
import lzma
import tarfile
import threading
import zipfile
import zlib
from typing import BinaryIO

from reclaim.errors import CorruptFile

#: What reading a member of a damaged or cut archive raises (a bad CRC, a broken deflate or gzip stream, an
#: unknown compression method, the end of the file): each is one clear error naming the member.
DAMAGED = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, NotImplementedError, OSError)


class MemberReader(io.RawIOBase):
    """An archive member's stream that reports damage as :class:`CorruptFile` naming the member; with a lock
    (a tar's members share one file handle), each read holds it."""

    def __init__(self, inner: BinaryIO, lock: threading.Lock | None, name: str) -> None:
        self._inner = inner
        self._lock = lock or contextlib.nullcontext()
        self._name = name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        with self._lock:
            try:
                data = self._inner.read(len(buffer))
            except DAMAGED as exc:  # the archive ends (or is damaged) inside it
                raise CorruptFile(f"this member is cut short or damaged in the archive ({exc})", self._name) from None
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        with self._lock:
            try:
                return self._inner.read()
            except DAMAGED as exc:
                raise CorruptFile(f"this member is cut short or damaged in the archive ({exc})", self._name) from None

    def seek(self, offset: int, whence: int = 0) -> int:
        with self._lock:
            try:
                return self._inner.seek(offset, whence)
            except DAMAGED as exc:
                raise CorruptFile(f"this member is cut short or damaged in the archive ({exc})", self._name) from None

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_zip_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str, where: str) -> BinaryIO:
    """A zip member's stream (:class:`MemberReader`); :class:`CorruptFile` naming it (``where``) when its own header
    is damaged, its compression method unknown, or it is encrypted (``zipfile`` asks for a password)."""
    try:
        return MemberReader(archive.open(member), None, where)  # type: ignore[return-value]
    except (*DAMAGED, RuntimeError) as exc:
        raise CorruptFile(f"this member is damaged in the archive ({exc})", where) from None
