"""What several tests share: a scan's case read back whole (to compare two ways of writing it), and a small address
book naming the people of a test's messages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reclaim.case import store
from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS


def scanned_case(files: list[SampleFile], folder: Path, kind: str) -> tuple[list[tuple[object, ...]],
                                                                              list[tuple[object, ...]]]:
    """Scan ``kind`` of the files (no recovery); the case's records (every column, in rid order) and its ranks."""
    scan(MemoryFS(files), folder, kinds=[kind], options=ScanOptions(recover_deleted=False))
    with store.CaseReader(folder) as case:
        rows = [tuple(r) for r in case.conn.execute(
            "SELECT rid, kind, id, date, deleted, source, chat_id, chat, sender, title, text, data FROM records"
            " ORDER BY rid")]
        ranks = [tuple(r) for r in case.conn.execute("SELECT rank, rid FROM ranks ORDER BY rank")]
    return rows, ranks


def address_book(path: Path, cards: list[tuple[str, str, str]], *, me: int | None = None) -> bytes:
    """An AddressBook.sqlitedb with a card (first name, last name, phone) per entry, ROWIDs from 1; ``me``: the
    ROWID of the owner's card (My Card), if any. Its bytes (it is also left at ``path``)."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT, Middle TEXT, Organization TEXT,
            Nickname TEXT);
        CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, identifier INTEGER,
            label INTEGER, value TEXT);
    """)
    for rowid, (first, last, phone) in enumerate(cards, 1):
        conn.execute("INSERT INTO ABPerson VALUES (?, ?, ?, NULL, NULL, NULL)", (rowid, first, last))
        conn.execute("INSERT INTO ABMultiValue VALUES (?, ?, 3, 0, NULL, ?)", (rowid, rowid, phone))
    if me is not None:
        conn.executescript(f"CREATE TABLE ABStore (ROWID INTEGER PRIMARY KEY, MeIdentifier INTEGER);"
                           f" INSERT INTO ABStore VALUES (1, {int(me)});")
    conn.commit()
    conn.close()
    return path.read_bytes()
