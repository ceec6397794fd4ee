"""Telling deleted rows from live ones, and merging copies of the same deleted row.

A carved cell is *not* a deleted row when it is a stale copy of a row that is live in the
committed state (B-tree balancing and every WAL/journal page image leave many such
copies). Copies are recognised by the bytes of the stored record: the payload length and
the in-page payload are identical for every copy of the same stored row, whether the cell
header survived or had to be rebuilt. Rows whose rowid is still live with other values
are older versions of a live row (an UPDATE), and rows whose UNIQUE key is still live are
older versions too; neither is reported as deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reclaim.sqlite.bloom import Bloom, stable_hash
from reclaim.sqlite.rebuild import Hit


class LiveIndex:
    """Fingerprints of every live record, rowid and UNIQUE key, in bounded memory.

    Everything goes into one :class:`~reclaim.sqlite.bloom.Bloom` filter. A "live rowid"
    answer is confirmed by a b-tree descent (``rowid_lookup``), so it is exact; a "live
    record" or "live UNIQUE key" answer is wrong with a probability below 1e-5 (a deleted
    row would then be taken for a live copy).
    """

    def __init__(self, nbytes: int, rowid_lookup: Callable[[str, int], bool] | None = None) -> None:
        self.seen = Bloom(nbytes)
        self.tables: dict[str, int] = {}  # rowid tables with a live b-tree -> small id
        self.unique: dict[str, list[list[int]]] = {}  # table -> record positions of each live UNIQUE key
        self._lookup = rowid_lookup

    def table_id(self, table: str) -> int:
        """A small id for a rowid table (registered on first use)."""
        tid = self.tables.get(table)
        if tid is None:
            tid = self.tables[table] = len(self.tables)
        return tid

    def add_payload(self, key: int) -> None:
        """Remember a live record by its :meth:`~reclaim.sqlite.rebuild.Hit.key`."""
        self.seen.add_hash(key)

    def add_unique(self, table: str, positions: list[int], keys: Iterable[tuple[object, ...]]) -> None:
        """Remember the live UNIQUE keys (values at record ``positions``) of ``table``."""
        lst = self.unique.setdefault(table, [])
        if positions not in lst:
            lst.append(positions)
        where = tuple(positions)
        batch: list[int] = []
        for key in keys:
            batch.append(stable_hash(("u", table, where, key)))
            if len(batch) >= 4096:
                self.seen.add_hashes(batch)
                batch = []
        self.seen.add_hashes(batch)

    def rowid_live(self, table: str, rowid: int) -> bool:
        """True if ``rowid`` is in use in the live table (exact)."""
        tid = self.tables.get(table)
        if tid is None or not self.seen.has_hash(hash((tid, rowid))):
            return False
        return self._lookup(table, rowid) if self._lookup is not None else True

    def maybe_rowid_live(self, table: str, rowid: int) -> bool:
        """False if ``rowid`` is certainly not live in ``table``; True if it probably is (no b-tree lookup)."""
        tid = self.tables.get(table)
        return tid is not None and self.seen.has_hash(hash((tid, rowid)))

    def is_live_copy(self, table: str, key: int, rowid: int | None) -> bool:
        """True if the bytes are those of a live row, or the rowid is still in use (old version)."""
        if self.seen.has_hash(key):
            return True
        return rowid is not None and self.rowid_live(table, rowid)

    def unique_clash(self, table: str, values: list[object]) -> bool:
        """True if the record's UNIQUE key belongs to a live row (then it is an older version)."""
        for positions in self.unique.get(table, ()):
            if any(p >= len(values) for p in positions):
                continue
            key = tuple(values[p] for p in positions)
            if all(v is None for v in key):
                continue
            if ("u", table, tuple(positions), key) in self.seen:
                return True
        return False


@dataclass(slots=True)
class Found:
    """A deleted record candidate with where it was found."""

    hit: Hit
    key: int
    values: list[object]
    complete: bool
    area: str
    page: int
    frame: int | None
    confidence: float
    used_overflow: bool = False
    live_rowid: int | None = None  # for an older version of a live row: that row's rowid


class Store:
    """Keeps one copy of each deleted row: the most complete and most confident one."""

    def __init__(self) -> None:
        self.by_key: dict[int, list[Found]] = {}

    def seen(self, key: int, rowid: int | None) -> Found | None:
        """The stored copy with these bytes (and a compatible rowid), if any."""
        for f in self.by_key.get(key, ()):
            if f.hit.rowid is None or rowid is None or f.hit.rowid == rowid:
                return f
        return None

    def add(self, item: Found) -> None:
        """Add a copy, replacing a worse copy of the same row."""
        lst = self.by_key.setdefault(item.key, [])
        for i, f in enumerate(lst):
            if f.hit.rowid is None or item.hit.rowid is None or f.hit.rowid == item.hit.rowid:
                if _rank(item) > _rank(f):
                    if item.hit.rowid is None and f.hit.rowid is not None:
                        item.hit.rowid = f.hit.rowid
                    lst[i] = item
                elif f.hit.rowid is None and item.hit.rowid is not None:
                    f.hit.rowid = item.hit.rowid
                return
        lst.append(item)

    def all(self) -> list[Found]:
        """Every stored record."""
        return [f for lst in self.by_key.values() for f in lst]


def _rank(f: Found) -> tuple[bool, bool, float]:
    return (f.complete, f.hit.rowid is not None, f.confidence)
