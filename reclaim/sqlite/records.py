"""The public result type of the recovery engine."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

#: Where a record was found (see docs/carving.md for what each means).
AREAS = ("freeblock", "unallocated", "freelist", "overflow", "wal", "wal-stale", "journal")


def json_value(value: object) -> object:
    """A record value as a JSON scalar: blobs become ``{"base64": ...}``, NaN/inf become strings."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass(frozen=True, slots=True)
class CarvedRecord:
    """One deleted record recovered from a database, its WAL or its rollback journal.

    ``table`` is None when the record could not be attributed to a table; ``values`` maps
    every column of that table to its value (``int``, ``float``, ``str``, ``bytes`` or None;
    columns that could not be recovered are None and ``partial`` is True). ``rowid`` is
    None when the cell's rowid was overwritten and could not be restored. ``area`` says
    where the bytes were found, ``page``/``offset`` locate the cell inside that page
    (``frame`` is the 1-based WAL frame for ``wal``/``wal-stale``), and ``confidence`` (0..1)
    says how sure the engine is that the bytes were decoded and attributed correctly.

    ``superseded`` is True only for records asked for with ``carve(..., superseded=True)``:
    an older version of a row that is still live (an edited row), whose live row has
    rowid ``live_rowid``. Such records are not deleted rows.
    """

    table: str | None
    values: dict[str, object]
    rowid: int | None
    area: str
    page: int
    offset: int
    frame: int | None
    confidence: float
    partial: bool
    superseded: bool = False
    live_rowid: int | None = None

    def to_json(self) -> dict[str, object]:
        """The record as the JSON object printed by ``reclaim carve --json`` (one per line)."""
        out: dict[str, object] = {
            "table": self.table,
            "rowid": self.rowid,
            "values": {k: json_value(v) for k, v in self.values.items()},
            "area": self.area,
            "page": self.page,
            "offset": self.offset,
            "frame": self.frame,
            "confidence": round(self.confidence, 3),
            "partial": self.partial,
        }
        if self.superseded:  # only present for superseded=True output: the default lines are unchanged
            out["superseded"] = True
            out["live_rowid"] = self.live_rowid
        return out
