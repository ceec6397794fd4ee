"""Deleted-record recovery from SQLite files, at the byte level.

Public API::

    from reclaim.sqlite import carve, CarvedRecord
    for rec in carve("sms.db"):          # reads sms.db-wal / sms.db-journal beside it
        print(rec.table, rec.values, rec.area)

:func:`carve` never modifies its inputs and never uses the sqlite3 library for recovery.
:class:`Database` is the byte-level reader of the committed state (schema, live rows)
the engine is built on. See ``docs/carving.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The public names and their modules, imported on first use: a module of this package (the header parser,
#: the page reader) can then be imported without the whole recovery engine (a tenth of a second).
_PUBLIC = {"carve": "carver", "Database": "reader", "AREAS": "records", "CarvedRecord": "records"}

__all__ = ["AREAS", "CarvedRecord", "Database", "carve"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    globals()[name] = value
    return value
