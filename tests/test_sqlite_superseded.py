"""Older versions of live rows (edits) with ``carve(..., superseded=True)``.

A row UPDATEd in place leaves its earlier version in a WAL frame (WAL mode) or in a
freeblock (rollback-journal mode, ``secure_delete=0``). By default such a copy is not a
deleted row and is not reported; with ``superseded=True`` it is, flagged, with the rowid
of the live row it is an earlier version of.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from reclaim.sqlite import carve

SCHEMA = """
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  date INTEGER, is_from_me INTEGER);
CREATE TABLE note (Z_PK INTEGER PRIMARY KEY, ZTITLE TEXT, ZBODY TEXT, ZMODIFIED INTEGER);
"""


def make(tmp: Path, journal: str) -> Path:
    """Insert 40 messages and 10 notes, then edit message 7 twice, note 3 once, and delete message 20."""
    src = tmp / "src.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA secure_delete=0")
    con.execute(f"PRAGMA journal_mode={journal}")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    for i in range(1, 41):
        con.execute("INSERT INTO message VALUES (?,?,?,?,?)",
                    (i, f"GUID-{i:04d}", f"message {i} original text", 700_000_000_123_456_789 + i, i % 2))
    for i in range(1, 11):
        con.execute("INSERT INTO note VALUES (?,?,?,?)", (i, f"Note {i}", f"shopping list {i}: milk", 1000 + i))
    con.execute("COMMIT")
    if journal == "wal":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the originals in the main file, the edits only in the WAL
    con.execute("UPDATE message SET text='message 7 first edit, a bit longer' WHERE ROWID=7")
    con.execute("UPDATE message SET text='message 7 second and final edit, longer still' WHERE ROWID=7")
    con.execute("UPDATE note SET ZBODY='shopping list 3: milk, eggs, bread and coffee', ZMODIFIED=2003 WHERE Z_PK=3")
    con.execute("DELETE FROM message WHERE ROWID=20")
    db = tmp / "evidence.db"
    for suffix in ("", "-wal", "-journal"):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{db}{suffix}")
    con.close()
    return db


def _check(db: Path, areas: set[str], texts: set[str]) -> None:
    default = [r for r in carve(db) if r.table == "message"]
    # Default output: only the deleted row, no superseded flag, no new JSON keys.
    assert [r.values["guid"] for r in default] == ["GUID-0020"]
    assert not default[0].superseded and "superseded" not in default[0].to_json()

    records = [r for r in carve(db, superseded=True) if r.table == "message"]
    deleted = [r for r in records if not r.superseded]
    assert [(r.values["guid"], r.values["text"]) for r in deleted] == [("GUID-0020", "message 20 original text")]
    assert [json.dumps(r.to_json()) for r in deleted] == [json.dumps(r.to_json()) for r in default]

    old = [r for r in records if r.superseded]
    msgs = {r.values["text"]: r for r in old if r.table == "message"}
    assert set(msgs) == texts
    for r in msgs.values():
        assert r.live_rowid == 7 and r.rowid == 7 and r.values["ROWID"] == 7
        assert r.values["guid"] == "GUID-0007" and r.values["date"] == 700_000_000_123_456_796
        assert r.area in areas, r.area
        j = r.to_json()
        assert j["superseded"] is True and j["live_rowid"] == 7
    # The live (final) text is never reported as an older version.
    assert not [r for r in old if r.values.get("text") == "message 7 second and final edit, longer still"]


def test_superseded_in_wal(tmp_path: Path) -> None:
    db = make(tmp_path, "wal")
    _check(db, {"wal"}, {"message 7 original text", "message 7 first edit, a bit longer"})
    # note 3 (no UNIQUE column): its older version still carries its rowid in the main file's page image
    old_notes = [r for r in carve(db, superseded=True) if r.superseded and r.table == "note"]
    assert [(r.live_rowid, r.values["ZBODY"], r.values["ZMODIFIED"]) for r in old_notes] == [
        (3, "shopping list 3: milk", 1003)
    ]
    # Its copy in a WAL frame's freeblock (rowid lost) is the same old version: not a deleted row either.
    assert not [r for r in carve(db) if r.table == "note"]
    # Without the WAL nothing was edited or deleted.
    assert list(carve(db, wal=False, superseded=True)) == []


def test_superseded_in_freeblocks(tmp_path: Path) -> None:
    # Rollback journal: the old cells become freeblocks that lose their rowid; the UNIQUE
    # guid names the live row.
    db = make(tmp_path, "delete")
    # The first edit's cell was reused by the second one (its bytes are gone from the file).
    assert b"first edit" not in db.read_bytes()
    _check(db, {"freeblock"}, {"message 7 original text"})
    # Without a rowid or a UNIQUE key nothing ties note 3's old cell to the live row: it
    # stays a (partial) recovered record, never a superseded one.
    notes = list(carve(db, superseded=True, tables=["note"]))
    assert [(r.superseded, r.rowid, r.values["ZBODY"]) for r in notes] == [(False, None, "shopping list 3: milk")]


def _json(records: object) -> list[str]:
    return [json.dumps(r.to_json(), sort_keys=True) for r in records]  # type: ignore[attr-defined]


def test_live_unique_keys_read_through_the_caller_s_connection(tmp_path: Path) -> None:
    """A caller's connection (what artifacts pass) gives the live UNIQUE keys: the same records come out, the old
    copy of message 7 that lost its rowid still recognised by its guid."""
    db = make(tmp_path, "delete")
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        through = list(carve(db, superseded=True, live=conn))
    finally:
        conn.close()
    assert _json(through) == _json(carve(db, superseded=True))
    assert [(r.live_rowid, r.values["text"]) for r in through if r.superseded and r.table == "message"] == \
        [(7, "message 7 original text")]


def test_a_partial_unique_index_is_read_from_its_own_pages(tmp_path: Path) -> None:
    """A UNIQUE index with a WHERE holds only some rows' keys: reading the table's column would find more (and take
    a deleted row for an older version of a live one), so its own pages are read."""
    db = tmp_path / "partial.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA secure_delete=0")
    con.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, k TEXT, flag INTEGER, pad TEXT)")
    con.execute("CREATE UNIQUE INDEX item_k ON item(k) WHERE flag = 1")
    con.execute("BEGIN")
    for i in range(1, 31):
        con.execute("INSERT INTO item VALUES (?,?,?,?)", (i, f"KEY-{i:03d}", i % 2, f"padding {i} " * 6))
    con.execute("COMMIT")
    con.execute("DELETE FROM item WHERE id = 8")  # flag 0: its key was never in the index
    con.execute("INSERT INTO item VALUES (31, 'KEY-008', 0, ?)", ("a new row with the old key, too long to reuse"
                                                                 " the freed cell " * 4,))
    con.close()
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        through = list(carve(db, live=conn))
    finally:
        conn.close()
    walked = list(carve(db))
    assert _json(through) == _json(walked)
    assert [(r.values["k"], r.values["pad"]) for r in walked if r.table == "item"] == [("KEY-008", "padding 8 " * 6)]
