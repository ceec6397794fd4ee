"""The write-ahead log: every frame, valid or stale, indexed by offset (pages read on demand).

A WAL file is a 32-byte header followed by frames of ``24 + page_size`` bytes. A frame is
*valid* when its salts equal the header's and the running checksum holds from the first
frame up to it; the valid prefix ends at its last commit frame (a frame whose "database
size" field is non-zero). Frames after that, and frames left over from before a restart
(old salts), are *stale*: SQLite ignores them, but they still hold old page images, which
is where deleted rows survive even under ``secure_delete``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from reclaim.sqlite.pages import FileReader

WAL_MAGIC_LE = 0x377F0682
WAL_MAGIC_BE = 0x377F0683


@dataclass(frozen=True, slots=True)
class Frame:
    """One WAL frame: its 1-based number, database page, commit marker and validity."""

    index: int
    pgno: int
    commit_size: int
    offset: int  # file offset of the page image (after the 24-byte frame header)
    valid: bool
    salt: tuple[int, int]


def _checksum(data: bytes, s0: int, s1: int, big: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big else '<'}{len(data) // 4}I", data)
    it = iter(words)
    for a in it:
        b = next(it)
        s0 = (s0 + a + s1) & 0xFFFFFFFF
        s1 = (s1 + b + s0) & 0xFFFFFFFF
    return s0, s1


class WalFile:
    """An index of the frames of a ``-wal`` file; page images are read only when asked for."""

    def __init__(self, path: str, page_size: int | None = None) -> None:
        self.reader = FileReader(path)
        self.frames: list[Frame] = []
        self.page_size = 0
        self.ok = False
        try:
            self._index(page_size)
        except (struct.error, ValueError):
            self.frames = []

    def _index(self, db_page_size: int | None) -> None:
        hdr = self.reader.read(0, 32)
        if len(hdr) < 32:
            return
        magic, _version, psize, _ckpt, salt1, salt2, c1, c2 = struct.unpack(">8I", hdr)
        big = magic == WAL_MAGIC_BE
        header_ok = magic in (WAL_MAGIC_LE, WAL_MAGIC_BE) and 512 <= psize <= 65536 and not psize & (psize - 1)
        if psize == 1:
            psize = 65536
        if not header_ok:
            # A damaged header: fall back to the database page size, all frames are stale.
            if not db_page_size:
                return
            psize = db_page_size
            salt1 = salt2 = -1
        self.page_size = psize
        self.ok = header_ok
        s0, s1 = _checksum(hdr[:24], 0, 0, big) if header_ok else (0, 0)
        chain_ok = header_ok and (s0, s1) == (c1, c2)
        fsize = 24 + psize
        count = (self.reader.size - 32) // fsize
        provisional: list[tuple[int, int, int, int, tuple[int, int], bool]] = []
        last_commit = 0
        for i in range(count):
            off = 32 + i * fsize
            fh = self.reader.read(off, 24)
            pgno, commit, fs1, fs2, fc1, fc2 = struct.unpack(">6I", fh)
            good = False
            if chain_ok and (fs1, fs2) == (salt1, salt2) and pgno:
                page = self.reader.read(off + 24, psize)
                s0, s1 = _checksum(fh[:8], s0, s1, big)
                s0, s1 = _checksum(page, s0, s1, big)
                good = (s0, s1) == (fc1, fc2)
            if not good:
                chain_ok = False
            elif commit:
                last_commit = i + 1
            provisional.append((i + 1, pgno, commit, off + 24, (fs1, fs2), good))
        self.frames = [
            Frame(n, pg, commit, off, good and n <= last_commit, salt)
            for n, pg, commit, off, salt, good in provisional
        ]

    def page(self, frame: Frame) -> bytes:
        """The page image stored in ``frame``."""
        return self.reader.read(frame.offset, self.page_size)

    @property
    def valid_frames(self) -> list[Frame]:
        """Frames that are part of the committed database state, in log order."""
        return [f for f in self.frames if f.valid]

    def db_size(self) -> int | None:
        """Database size in pages after the last valid commit, or None without one."""
        size = None
        for f in self.frames:
            if f.valid and f.commit_size:
                size = f.commit_size
        return size

    def latest(self) -> dict[int, Frame]:
        """For each page, its newest valid frame (the committed version)."""
        out: dict[int, Frame] = {}
        for f in self.frames:
            if f.valid:
                out[f.pgno] = f
        return out

    def close(self) -> None:
        """Release the file."""
        self.reader.close()
