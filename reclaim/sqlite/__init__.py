"""Deleted-record recovery from SQLite files, at the byte level.

Public API::

    from reclaim.sqlite import carve, CarvedRecord
    for rec in carve("sms.db"):          # reads sms.db-wal / sms.db-journal beside it
        print(rec.table, rec.values, rec.area)

:func:`carve` never modifies its inputs and never uses the sqlite3 library for recovery.
:class:`Database` is the byte-level reader of the committed state (schema, live rows)
the engine is built on. See ``docs/carving.md``.
"""

from reclaim.sqlite.carver import carve
from reclaim.sqlite.reader import Database
from reclaim.sqlite.records import AREAS, CarvedRecord

__all__ = ["AREAS", "CarvedRecord", "Database", "carve"]
