"""A readable copy of a damaged database: every row reclaim's own page reader still reaches.

SQLite stops a query at the first page it finds malformed, so one bad page in ``sms.db``
would cost every message after it. :func:`rebuild` writes a fresh database with the same
tables (and, where they still hold, the same indexes) filled with the rows of the committed
state (main file and WAL) that :class:`~reclaim.sqlite.reader.Database` reads around the
damage. Artifacts then query the copy as they would the original; deleted-record recovery
still reads the original files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reclaim.sqlite.reader import Database
from reclaim.sqlite.schema import TableDef


@dataclass(slots=True)
class Rebuilt:
    """What went into a rebuilt copy."""

    tables: int = 0
    rows: int = 0
    #: Tables created from their column names only (their statement named something this SQLite lacks).
    plain_tables: int = 0
    #: Indexes left out (their statement failed on what the damage left, e.g. a UNIQUE key twice).
    indexes_left_out: int = 0
    #: Whether the file's first page was lost (its page size and list of tables found again on other pages).
    headless: bool = False


def damage(conn: sqlite3.Connection) -> str | None:
    """What SQLite's structural check finds wrong with the database open on ``conn`` (``None``: nothing).

    ``quick_check`` reads every page once without comparing indexes to tables: what a query
    could stumble on, at the cost of one pass over the file."""
    try:
        first = conn.execute("PRAGMA quick_check(1)").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # (the latter: a schema that is not UTF-8)
        return str(exc)
    return None if first is not None and first[0] == "ok" else str(first[0] if first else "no answer")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plain_create(td: TableDef) -> str:
    """A table with the columns of ``td`` and their declared types, without constraints, collations or
    defaults (what a damaged file's statement may name that cannot be created here)."""
    columns = []
    for i, col in enumerate(td.columns):
        if i == td.alias:
            columns.append(f"{_quote(col.name)} INTEGER PRIMARY KEY")
        else:
            columns.append(f"{_quote(col.name)} {col.type}".rstrip())
    return f"CREATE TABLE {_quote(td.name)} ({', '.join(columns)})"


def _rows(db: Database, td: TableDef) -> Iterator[tuple[object, ...]]:
    """The table's rows as INSERT values: the rowid first for tables that have one."""
    names = [c.name for c in td.columns]
    for rowid, row in db.rows(td.name):
        values = tuple(row[n] for n in names)
        yield values if td.kind == "without-rowid" else (rowid, *values)


def rebuild(source: Path, target: Path, *, wal: bool = True) -> Rebuilt:
    """Write ``target`` (a new file) with every readable row of every table of ``source`` (read-only, with
    its ``-wal`` when ``wal``), then the indexes that can be built on them."""
    done = Rebuilt()
    out = sqlite3.connect(target)
    try:
        out.execute("PRAGMA journal_mode=OFF")
        out.execute("PRAGMA synchronous=OFF")
        with Database(source, wal=wal, journal=False) as db:
            done.headless = db.headless
            for td in db.schema:
                if td.kind not in ("table", "without-rowid") or td.name.lower().startswith("sqlite_"):
                    continue
                try:
                    out.execute(td.sql or _plain_create(td))
                except sqlite3.Error:
                    out.execute(_plain_create(td))
                    done.plain_tables += 1
                names = ", ".join(_quote(c.name) for c in td.columns)
                marks = ", ".join("?" * (len(td.columns) + (td.kind != "without-rowid")))
                columns = names if td.kind == "without-rowid" else f"rowid, {names}"
                insert = f"INSERT OR IGNORE INTO {_quote(td.name)} ({columns}) VALUES ({marks})"
                done.rows += out.executemany(insert, _rows(db, td)).rowcount
                done.tables += 1
            for td in db.schema:
                if td.kind == "index" and td.sql:
                    try:
                        out.execute(td.sql)
                    except sqlite3.Error:
                        done.indexes_left_out += 1
        out.commit()
    finally:
        out.close()
    return done
