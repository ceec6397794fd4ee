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

from dataclasses import dataclass, field

from reclaim.sqlite.rebuild import Hit


@dataclass(slots=True)
class LiveIndex:
    """Fingerprints of every live record in the committed state."""

    payloads: set[int] = field(default_factory=set)  # hash((payload_size, local payload))
    rowids: dict[str, set[int]] = field(default_factory=dict)  # table -> live rowids
    unique_keys: dict[str, list[tuple[list[int], set[tuple[object, ...]]]]] = field(default_factory=dict)

    def is_live_copy(self, table: str, key: int, rowid: int | None) -> bool:
        """True if the bytes are those of a live row, or the rowid is still in use (old version)."""
        if key in self.payloads:
            return True
        return rowid is not None and rowid in self.rowids.get(table, ())

    def unique_clash(self, table: str, values: list[object]) -> bool:
        """True if the record's UNIQUE key belongs to a live row (then it is an older version)."""
        for positions, keys in self.unique_keys.get(table, ()):
            if any(p >= len(values) for p in positions):
                continue
            key = tuple(values[p] for p in positions)
            if all(v is None for v in key):
                continue
            if key in keys:
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
