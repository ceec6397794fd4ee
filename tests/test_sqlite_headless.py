"""A database whose first page is destroyed: its page size and list of tables are found again on its other
pages, and every row of every table is read as SQLite read it before the damage."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from reclaim.errors import CorruptFile
from reclaim.sqlite.reader import Database
from reclaim.sqlite.repair import rebuild

TABLES = 30  # with an index and a trigger each: a schema of several pages


def _database(path: Path, page_size: int, tables: int = TABLES, *, wal: bool = False) -> dict[str, list[tuple]]:
    """A database of ``tables`` tables (the rows each holds, as SQLite reads them, returned)."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA page_size = {page_size}")
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    rng = random.Random(page_size + tables)
    for t in range(tables):
        conn.execute(f"CREATE TABLE t{t}(id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER, score REAL,"
                     " picture BLOB)")
        conn.execute(f"CREATE INDEX t{t}_name ON t{t}(name)")
        conn.execute(f"CREATE TRIGGER t{t}_kept AFTER DELETE ON t{t} BEGIN SELECT 1; END")
        conn.executemany(f"INSERT INTO t{t}(name, size, score, picture) VALUES (?, ?, ?, ?)",
                         [(f"row {n} of table {t} " + "é" * rng.randint(0, 40), rng.randint(-9, 10**12),
                           rng.random(), rng.randbytes(rng.randint(0, 3000)) if n % 7 == 0 else None)
                          for n in range(rng.randint(1, 60))])
    conn.commit()
    rows = {f"t{t}": conn.execute(f"SELECT id, name, size, score, picture FROM t{t} ORDER BY id").fetchall()
            for t in range(tables)}
    if wal:  # the main file as the last checkpoint left it, the tables' later rows in the WAL only
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.executemany("INSERT INTO t3(name) VALUES (?)", [(f"after the checkpoint {n}",) for n in range(50)])
        conn.commit()
        rows["t3"] = conn.execute("SELECT id, name, size, score, picture FROM t3 ORDER BY id").fetchall()
        main, log = path.read_bytes(), Path(f"{path}-wal").read_bytes()
        conn.close()  # (closing the last connection checkpoints the WAL: both files as they were before it)
        path.write_bytes(main)
        Path(f"{path}-wal").write_bytes(log)
    else:
        conn.close()
    return rows


def _destroy_first_page(path: Path, length: int) -> None:
    with open(path, "r+b") as handle:
        handle.write(bytes(length))


def _read(db: Database) -> dict[str, list[tuple]]:
    out = {}
    for td in db.schema:
        if td.kind == "table":
            out[td.name] = sorted(tuple(row[c] for c in ("id", "name", "size", "score", "picture"))
                                  for _rowid, row in db.rows(td.name))
    return out


@pytest.mark.parametrize("page_size", [1024, 4096, 8192])
def test_every_row_is_read_when_the_first_page_is_destroyed(tmp_path: Path, page_size: int) -> None:
    path = tmp_path / "app.db"
    expected = _database(path, page_size)
    _destroy_first_page(path, page_size)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"), \
            sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
        conn.execute("SELECT count(*) FROM t0").fetchone()
    with Database(path) as db:
        assert db.headless and db.page_size == page_size
        assert {t.name for t in db.schema if t.kind == "index"} == {f"t{t}_name" for t in range(TABLES)}
        assert _read(db) == expected


def test_a_lost_header_alone_costs_nothing(tmp_path: Path) -> None:
    """The first 100 bytes gone, the schema's first page still there: read from it."""
    path = tmp_path / "app.db"
    expected = _database(path, 2048, tables=3)
    _destroy_first_page(path, 100)
    with Database(path) as db:
        assert db.headless and db.page_size == 2048
        assert _read(db) == expected


def test_the_page_size_comes_from_the_wal_and_its_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    expected = _database(path, 4096, wal=True)
    _destroy_first_page(path, 4096)
    with Database(path, wal=False) as db:
        assert len(_read(db)["t3"]) < len(expected["t3"])
    with Database(path) as db:
        assert db.headless and db.wal is not None
        assert _read(db) == expected


def test_a_repaired_copy_of_a_database_without_its_first_page_answers_queries(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    expected = _database(path, 4096)
    _destroy_first_page(path, 4096)
    done = rebuild(path, tmp_path / "copy.db")
    assert done.headless and done.tables == TABLES
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        for table, rows in expected.items():
            assert conn.execute(f"SELECT id, name, size, score, picture FROM {table} ORDER BY id").fetchall() == rows
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index'").fetchone()[0] == TABLES


def test_a_schema_that_fitted_in_the_first_page_is_lost_with_it(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    _database(path, 4096, tables=2)
    _destroy_first_page(path, 4096)
    with pytest.raises(CorruptFile, match="the list of its tables is lost"):
        Database(path)


@pytest.mark.parametrize("content", [b"\x00" * 65536, random.Random(3).randbytes(200_000),
                                     b"bplist00" + bytes(range(256)) * 40], ids=["zeros", "random", "plist"])
def test_what_is_not_a_database_is_still_refused_as_one(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not.db"
    path.write_bytes(content)
    with pytest.raises(CorruptFile, match="bad magic"):
        Database(path)


def test_leaf_records_tell_the_rows_of_a_live_multi_page_table(tmp_path: Path) -> None:
    """Every record comes, whichever table it is in; those on pages an interior page points to are linked."""
    from reclaim.sqlite.headless import leaf_records

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE small(id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO big(name) VALUES (?)", [(f"big row {n} " + "x" * 100,) for n in range(300)])
        conn.execute("INSERT INTO small(name) VALUES ('alone')")
    _destroy_first_page(path, 4096)
    found = {(values[1], linked) for _rowid, values, linked in leaf_records(path) if len(values) == 2}
    assert {name for name, _ in found} == {f"big row {n} " + "x" * 100 for n in range(300)} | {"alone"}
    assert all(linked for name, linked in found if name.startswith("big")) and ("alone", False) in found


def _rows_by_table(db: Database) -> dict[str, list[tuple]]:
    return {td.name: sorted((rowid, tuple(sorted(row.items()))) for rowid, row in db.rows(td.name))
            for td in db.schema if td.kind == "table"}


@pytest.mark.parametrize(("case", "name"), [
    ("addressBook/testdata.addressBook.addressBook.josh_ios15_ffs.zip", "AddressBook.sqlitedb"),
    ("addressBook/testdata.addressBook.addressBook.josh_ios15_ffs.zip", "AddressBookImages.sqlitedb"),
    ("addressBook/testdata.addressBook.addressBook.mvs_ios_2023.zip", "AddressBook.sqlitedb"),
    ("notes/testdata.notes.notes.josh_ios17_ffs.zip", "NoteStore.sqlite"),
    ("whatsApp/testdata.whatsApp.whatsAppMessages.josh_ios15_ffs.zip", "ChatStorage.sqlite"),
    ("safariCache/testdata.safariCache.safariCache.josh_ios17_ffs.zip", "Cache.db"),
])
def test_real_databases_without_their_first_page_give_every_row(corpus: Path, tmp_path: Path, case: str,
                                                                name: str) -> None:
    """Databases cut from real phones (their rows mostly in the WAL), page 1 of the main file destroyed: the
    page size (8192 for the address book's pictures) and every table's rows are those of the intact file."""
    import zipfile

    with zipfile.ZipFile(corpus / "ileapp" / "cases" / case) as archive:
        members = [m for m in archive.namelist() if m.rsplit("/", 1)[-1] in (name, f"{name}-wal")]
        for member in members:
            (tmp_path / member.rsplit("/", 1)[-1]).write_bytes(archive.read(member))
    path = tmp_path / name
    with Database(path) as db:
        size, expected = db.page_size, _rows_by_table(db)
    assert sum(map(len, expected.values())) > 0
    _destroy_first_page(path, size)
    with Database(path) as db:
        assert db.headless and db.page_size == size
        assert _rows_by_table(db) == expected
