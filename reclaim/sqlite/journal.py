"""The rollback journal: page images saved before a transaction changed them.

A journal is a header (magic ``d9d505f920a163d7``, record count, nonce, initial size,
sector size, page size) padded to the sector size, then records of ``4-byte page number +
page image + 4-byte checksum``. In ``PERSIST`` mode SQLite zeroes the header after a
commit but leaves the records, so when the header is gone we find the layout by trying
the usual sector sizes and keeping the one whose records look like database pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from reclaim.sqlite.pages import FileReader

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
_SECTORS = (512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)


@dataclass(frozen=True, slots=True)
class JournalPage:
    """One saved page image: its database page number and where the image starts in the file."""

    pgno: int
    offset: int


class Journal:
    """An index of the page images in a ``-journal`` file (images are read on demand)."""

    def __init__(self, path: str, page_size: int, max_page: int) -> None:
        self.reader = FileReader(path)
        self.page_size = page_size
        self.pages: list[JournalPage] = []
        self._index(max_page)

    def _plausible(self, off: int, max_page: int) -> int | None:
        head = self.reader.read(off, 4)
        if len(head) < 4:
            return None
        pgno = int.from_bytes(head, "big")
        if not 1 <= pgno <= max(max_page, 1) * 4 + 16:
            return None
        if off + 4 + self.page_size > self.reader.size:
            return None
        if pgno == 1 and self.reader.read(off + 4, 16) != b"SQLite format 3\x00":
            return None
        return pgno

    def _scan(self, start: int, max_page: int, limit: int | None) -> list[JournalPage]:
        out: list[JournalPage] = []
        rec = self.page_size + 8
        off = start
        while off + rec <= self.reader.size and (limit is None or len(out) < limit):
            pgno = self._plausible(off, max_page)
            if pgno is None:
                break
            out.append(JournalPage(pgno, off + 4))
            off += rec
        return out

    def _index(self, max_page: int) -> None:
        size = self.reader.size
        off = 0
        seen: set[int] = set()
        while off < size and off not in seen:
            seen.add(off)
            hdr = self.reader.read(off, 28)
            if len(hdr) < 28:
                break
            if hdr[:8] == JOURNAL_MAGIC:
                nrec = int.from_bytes(hdr[8:12], "big")
                sector = int.from_bytes(hdr[20:24], "big")
                psize = int.from_bytes(hdr[24:28], "big")
                if psize in (512 * 2**i for i in range(8)):
                    self.page_size = psize
                if sector not in _SECTORS:
                    sector = 512
                limit = None if nrec in (0, 0xFFFFFFFF) else nrec
                recs = self._scan(off + sector, max_page, limit)
            else:
                # Zeroed (PERSIST) or damaged header: pick the sector size that yields most records.
                best: list[JournalPage] = []
                sector = 512
                for s in _SECTORS:
                    if off + s >= size:
                        break
                    recs = self._scan(off + s, max_page, None)
                    if len(recs) > len(best):
                        best, sector = recs, s
                recs = best
            if not recs:
                break
            self.pages.extend(recs)
            end = recs[-1].offset + self.page_size + 4
            off = -(-end // sector) * sector  # next segment header on a sector boundary

    def page(self, jp: JournalPage) -> bytes:
        """The saved image of one page."""
        return self.reader.read(jp.offset, self.page_size)

    def close(self) -> None:
        """Release the file."""
        self.reader.close()
