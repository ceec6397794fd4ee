"""Reading pages on demand and parsing b-tree pages, freelists and overflow chains.

Files are read with ``os.pread`` (a seek and a read under a lock where there is none) one page
at a time, so a large database is never loaded into memory. All parsing is defensive: a damaged
page raises :class:`FormatError`, which callers turn into "skip this page".
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from reclaim.sqlite.format import (
    BTREE_TYPES,
    INDEX_INTERIOR,
    INDEX_LEAF,
    TABLE_INTERIOR,
    TABLE_LEAF,
    FormatError,
    local_payload,
    read_varint,
    signed64,
)

#: Positional reads without moving a shared file offset (POSIX); Windows has none: there a lock keeps each seek
#: with its read.
_PREAD = getattr(os, "pread", None)


class FileReader:
    """Read-only positional access to a file (``O_RDONLY``; the file is never written)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self.size = os.fstat(self.fd).st_size
        self._seeking = threading.Lock()

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (short at the end of the file)."""
        if offset >= self.size or length <= 0:
            return b""
        if _PREAD is not None:
            return _PREAD(self.fd, length, offset)
        parts = []
        with self._seeking:
            os.lseek(self.fd, offset, os.SEEK_SET)
            while length > 0 and (part := os.read(self.fd, length)):
                parts.append(part)
                length -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        """Release the file descriptor."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StreamReader:
    """:class:`FileReader`'s positional reads over an open, seekable stream (a file of a backup read
    through its source, decrypted on the fly): for a look at a database without copying it first."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.size = stream.seek(0, os.SEEK_END)

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (short at the end of the stream)."""
        if offset >= self.size or length <= 0:
            return b""
        self.stream.seek(offset)
        return self.stream.read(length)

    def close(self) -> None:
        """Nothing to release: the stream belongs to the caller."""


#: A function returning the bytes of page ``n`` (1-based) in some snapshot, or None.
PageGetter = Callable[[int], "bytes | None"]


@dataclass(slots=True)
class BTreePage:
    """The parsed header of one b-tree page image."""

    kind: int
    hdr: int  # offset of the b-tree header (100 on page 1)
    first_freeblock: int
    ncells: int
    content_start: int
    fragmented: int
    right_child: int
    cell_pointers: list[int]

    @property
    def is_leaf(self) -> bool:
        return self.kind in (TABLE_LEAF, INDEX_LEAF)

    @property
    def is_table(self) -> bool:
        return self.kind in (TABLE_LEAF, TABLE_INTERIOR)

    @property
    def array_end(self) -> int:
        """Offset just past the cell-pointer array (start of the unallocated gap)."""
        return self.hdr + (8 if self.is_leaf else 12) + 2 * self.ncells


def parse_btree_page(page: bytes, pgno: int, usable: int) -> BTreePage:
    """Parse a b-tree page header and its cell-pointer array; raise :class:`FormatError` if invalid."""
    hdr = 100 if pgno == 1 else 0
    if len(page) < hdr + 8:
        raise FormatError("short page")
    kind = page[hdr]
    if kind not in BTREE_TYPES:
        raise FormatError(f"not a b-tree page (type {kind})")
    first_fb = int.from_bytes(page[hdr + 1 : hdr + 3], "big")
    ncells = int.from_bytes(page[hdr + 3 : hdr + 5], "big")
    content = int.from_bytes(page[hdr + 5 : hdr + 7], "big") or 65536
    frag = page[hdr + 7]
    leaf = kind in (TABLE_LEAF, INDEX_LEAF)
    right = 0 if leaf else int.from_bytes(page[hdr + 8 : hdr + 12], "big")
    arr = hdr + (8 if leaf else 12)
    if arr + 2 * ncells > usable or (content < arr + 2 * ncells and ncells) or content > usable:
        raise FormatError("cell count or content start out of range")
    ptrs = (
        list(_U16[ncells].unpack_from(page, arr))
        if ncells < len(_U16)
        else list(struct.unpack_from(f">{ncells}H", page, arr))
    )
    if ptrs and (min(ptrs) < arr + 2 * ncells or max(ptrs) >= usable):
        raise FormatError("cell pointer out of range")
    return BTreePage(kind, hdr, first_fb, ncells, content, frag, right, ptrs)


#: Precompiled ``>nH`` unpackers for cell-pointer arrays (a page of 64 KiB holds < 8192 cells).
_U16 = [struct.Struct(f">{n}H") for n in range(1024)]


def freeblocks(page: bytes, bp: BTreePage, usable: int) -> list[tuple[int, int]]:
    """The page's freeblock chain as ``(offset, size)`` pairs (stops at the first broken link)."""
    out: list[tuple[int, int]] = []
    off = bp.first_freeblock
    seen = 0
    lo = bp.array_end
    while off and seen < 2000:
        if off < lo or off + 4 > usable:
            break
        nxt = int.from_bytes(page[off : off + 2], "big")
        size = int.from_bytes(page[off + 2 : off + 4], "big")
        if size < 4 or off + size > usable:
            break
        out.append((off, size))
        if nxt and nxt <= off + size - 1:
            break
        off = nxt
        seen += 1
    return out


@dataclass(slots=True)
class Cell:
    """One cell of a leaf page: where its payload is and how long the whole payload is."""

    offset: int  # cell start in the page
    rowid: int | None  # table cells only
    payload_size: int
    local_start: int
    local_size: int
    overflow: int  # first overflow page, 0 if none
    end: int  # offset just past the cell


def parse_leaf_cell(page: bytes, off: int, table: bool, usable: int) -> Cell:
    """Parse the table-leaf or index-leaf cell at ``off``; raise :class:`FormatError` if it is bad."""
    psize, p = read_varint(page, off, usable)
    rowid = None
    if table:
        rid, p = read_varint(page, p, usable)
        rowid = rid - (1 << 64) if rid >= (1 << 63) else rid
    local = local_payload(psize, usable, not table)
    end = p + local
    ovf = 0
    if local < psize:
        if end + 4 > usable:
            raise FormatError("overflow pointer past page end")
        ovf = int.from_bytes(page[end : end + 4], "big")
        end += 4
    elif end > usable:
        raise FormatError("cell past page end")
    return Cell(off, rowid, psize, p, local, ovf, end)


def interior_children(page: bytes, bp: BTreePage, usable: int) -> list[int]:
    """Child page numbers of an interior page (left children then the right-most pointer)."""
    kids = [int.from_bytes(page[p : p + 4], "big") for p in bp.cell_pointers if p + 4 <= usable]
    kids.append(bp.right_child)
    return kids


def read_overflow(
    get: PageGetter,
    first: int,
    needed: int,
    usable: int,
    max_page: int,
    seen: set[int] | None = None,
    stop: Callable[[int], bool] | None = None,
) -> tuple[bytes, list[int]]:
    """Follow an overflow chain from page ``first``; return ``(bytes, pages)``.

    Stops early (short result) on a page number out of range, a loop, a missing page, a
    page in ``seen`` or a page for which ``stop`` is true (e.g. a page that is live again).
    """
    parts: list[bytes] = []
    pages: list[int] = []
    got = 0
    pg = first
    visited = seen if seen is not None else set()
    while pg and got < needed:
        if pg > max_page or pg in visited or (stop is not None and stop(pg)):
            break
        visited.add(pg)
        data = get(pg)
        if data is None or len(data) < usable:
            break
        take = min(usable - 4, needed - got)
        parts.append(data[4 : 4 + take])
        pages.append(pg)
        got += take
        pg = int.from_bytes(data[:4], "big")
    return b"".join(parts), pages


def cell_payload(page: bytes, cell: Cell, get: PageGetter, usable: int, max_page: int) -> tuple[bytes, bool, list[int]]:
    """The full payload of a cell; returns ``(payload, complete, overflow_pages)``."""
    local = page[cell.local_start : cell.local_start + cell.local_size]
    if not cell.overflow:
        return local, True, []
    rest, pages = read_overflow(get, cell.overflow, cell.payload_size - cell.local_size, usable, max_page)
    payload = local + rest
    return payload, len(payload) == cell.payload_size, pages


def walk_btree(get: PageGetter, root: int, usable: int, max_page: int) -> Iterator[tuple[int, bytes, BTreePage]]:
    """Yield ``(pgno, page, header)`` for every readable page of the b-tree rooted at ``root``.

    Damaged pages and loops are skipped, so a partly broken tree still yields what it can.
    """
    stack = [root]
    seen: set[int] = set()
    while stack:
        pg = stack.pop()
        if pg < 1 or pg > max_page or pg in seen:
            continue
        seen.add(pg)
        page = get(pg)
        if page is None:
            continue
        try:
            bp = parse_btree_page(page, pg, usable)
        except FormatError:
            continue
        yield pg, page, bp
        if bp.kind in (TABLE_INTERIOR, INDEX_INTERIOR):
            stack.extend(reversed(interior_children(page, bp, usable)))


def freelist_pages(get: PageGetter, first_trunk: int, max_page: int) -> tuple[list[int], list[int]]:
    """Walk the freelist; return ``(trunk_pages, leaf_pages)`` (robust to loops and bad entries)."""
    trunks: list[int] = []
    leaves: list[int] = []
    seen: set[int] = set()
    pg = first_trunk
    while pg and 1 <= pg <= max_page and pg not in seen:
        seen.add(pg)
        data = get(pg)
        if data is None or len(data) < 8:
            break
        trunks.append(pg)
        n = int.from_bytes(data[4:8], "big")
        n = min(n, (len(data) - 8) // 4)
        for i in range(n):
            leaf = int.from_bytes(data[8 + 4 * i : 12 + 4 * i], "big")
            if 1 <= leaf <= max_page and leaf not in seen:
                seen.add(leaf)
                leaves.append(leaf)
        pg = int.from_bytes(data[:4], "big")
    return trunks, leaves


def find_rowid(get: PageGetter, root: int, rowid: int, usable: int, max_page: int) -> bool:
    """True if the table b-tree at ``root`` holds a cell with ``rowid`` (a descent, not a scan)."""
    pg = root
    for _ in range(64):  # deeper than any real b-tree: a loop in a damaged file
        if pg < 1 or pg > max_page:
            return False
        page = get(pg)
        if page is None:
            return False
        try:
            bp = parse_btree_page(page, pg, usable)
        except FormatError:
            return False
        ptrs = bp.cell_pointers
        try:
            if bp.kind == TABLE_LEAF:
                lo, hi = 0, len(ptrs)
                while lo < hi:
                    mid = (lo + hi) // 2
                    _, p = read_varint(page, ptrs[mid], usable)
                    key = signed64(read_varint(page, p, usable)[0])
                    if key == rowid:
                        return True
                    if key < rowid:
                        lo = mid + 1
                    else:
                        hi = mid
                return False
            if bp.kind != TABLE_INTERIOR:
                return False
            lo, hi = 0, len(ptrs)
            while lo < hi:  # first cell whose key is >= rowid: its left child holds the rowid
                mid = (lo + hi) // 2
                if signed64(read_varint(page, ptrs[mid] + 4, usable)[0]) < rowid:
                    lo = mid + 1
                else:
                    hi = mid
        except FormatError:
            return False
        pg = int.from_bytes(page[ptrs[lo] : ptrs[lo] + 4], "big") if lo < len(ptrs) else bp.right_child
    return False
