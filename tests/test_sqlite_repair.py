"""Reading around damage: a database with a destroyed page still gives every row on its other pages,
and a scan stopped by one is extracted again from a repaired copy, with nothing stored twice."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.case import store
from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sources import open_source
from reclaim.sources.manifest_db import file_id
from reclaim.sqlite.repair import damage, rebuild


def _leaf_pages(path: Path, table: str) -> list[int]:
    with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
        return [n for n, kind in conn.execute("SELECT pageno, pagetype FROM dbstat WHERE name = ?", (table,))
                if kind == "leaf"]


def _destroy(path: Path, page: int, page_size: int = 4096) -> None:
    with open(path, "r+b") as handle:
        handle.seek((page - 1) * page_size)
        handle.write(bytes(range(256)) * (page_size // 256))  # not a b-tree page: SQLite calls it malformed


def _immutable(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def test_a_destroyed_page_costs_only_its_own_rows(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("CREATE TABLE note(id INTEGER PRIMARY KEY, title TEXT NOT NULL COLLATE NOCASE, body TEXT)")
        conn.execute("CREATE UNIQUE INDEX note_title ON note(title)")
        conn.executemany("INSERT INTO note VALUES (?, ?, ?)",
                         [(n, f"note {n}", f"body of note {n} " + "x" * 200) for n in range(1, 601)])
    pages = _leaf_pages(db, "note")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    _destroy(db, pages[len(pages) // 2])
    damaged = hashlib.sha256(db.read_bytes()).hexdigest()
    with _immutable(db) as conn:
        assert damage(conn) is not None
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            conn.execute("SELECT id, body FROM note").fetchall()
    copy = tmp_path / "copy.db"
    done = rebuild(db, copy)
    with _immutable(copy) as conn:
        assert damage(conn) is None
        ids = [r[0] for r in conn.execute("SELECT id FROM note ORDER BY id")]
        gone = sorted(set(range(1, 601)) - set(ids))
        assert 0 < len(gone) < 40 and gone == list(range(gone[0], gone[-1] + 1))  # one page's rows, no other
        assert conn.execute("SELECT title, body FROM note WHERE id = 1").fetchone() == (
            "note 1", "body of note 1 " + "x" * 200)
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM note WHERE title = 'NOTE 7'"))
        assert "note_title" in plan  # the index was built again, with its collation
        assert conn.execute("SELECT id FROM note WHERE title = 'NOTE 7'").fetchone() == (7,)
    assert done.tables == 1 and done.rows == len(ids) and done.indexes_left_out == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == damaged != before  # only read


def test_a_table_whose_statement_cannot_be_created_here_keeps_its_columns(tmp_path: Path) -> None:
    db = tmp_path / "ab.db"
    with sqlite3.connect(db) as conn:
        conn.create_collation("apple_sort", lambda a, b: (a > b) - (a < b))
        conn.execute("CREATE TABLE person(ROWID INTEGER PRIMARY KEY, First TEXT COLLATE apple_sort, Last TEXT)")
        conn.executemany("INSERT INTO person VALUES (?, ?, ?)", [(1, "Ana", "Lima"), (2, "Bo", "Chen")])
    copy = tmp_path / "copy.db"
    done = rebuild(db, copy)
    assert done.plain_tables == 1
    with _immutable(copy) as conn:
        assert conn.execute("SELECT ROWID, First, Last FROM person ORDER BY ROWID").fetchall() == [
            (1, "Ana", "Lima"), (2, "Bo", "Chen")]


def _message_texts(backup: Path, case: Path) -> tuple[KindStatus, dict[str, str]]:
    """Scan the backup's messages: what the kind says, and each record's text by id (each id once)."""
    with open_source(backup) as fs:
        result = scan(fs, case, kinds=["messages"], options=ScanOptions(recover_deleted=False))
    with CaseReader(case) as reader:
        rows = [(r["id"], json.loads(r["data"]).get("text")) for r in
                reader.conn.execute("SELECT id, data FROM records WHERE kind = 'messages'")]
    assert len(rows) == len(dict(rows)) == result.kinds[0].live + result.kinds[0].deleted  # nothing twice
    return result.kinds[0], dict(rows)


@pytest.mark.parametrize("batch", [5000, 20], ids=["stored-here", "staging-process"])
@pytest.mark.parametrize("damaged", ["message", "sqlite_autoindex_message_attachment_join_1"],
                         ids=["a-message-page", "an-index-read-after-29-records"])
def test_messages_from_a_damaged_sms_db_are_read_around_the_damage(
        damaged: str, batch: int, sample_backup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of messages destroyed costs those messages only; a destroyed index page, read once 29 records
    were stored, costs none (the index is built again), and those 29 are not stored twice."""
    monkeypatch.setattr(store, "BATCH", batch)  # small batches: the rows go through the staging process
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    healthy = _message_texts(backup, tmp_path / "healthy")[1]
    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    sms = backup / fid[:2] / fid
    pages = _leaf_pages(sms, damaged)
    _destroy(sms, pages[len(pages) // 2])
    before = hashlib.sha256(sms.read_bytes()).hexdigest()
    status, found = _message_texts(backup, tmp_path / "case")
    assert status.reason == ""
    assert len(status.warnings) == 1 and status.warnings[0].startswith(
        "HomeDomain/Library/SMS/sms.db is damaged (") and "read around the damage" in status.warnings[0]
    assert found.items() <= healthy.items()  # each one as it is when nothing is damaged
    if damaged == "message":
        assert len(healthy) - 20 < len(found) < len(healthy)
    else:
        assert found == healthy
    assert hashlib.sha256(sms.read_bytes()).hexdigest() == before
    assert list(scratch.iterdir()) == []  # the repaired copy is gone


def test_an_encrypted_sms_db_cut_short_still_gives_the_messages_in_its_first_half(
        sample_backup_encrypted: Path, tmp_path: Path) -> None:
    """Decrypted as far as it goes, the database is read around its missing end (it gave no message at all)."""
    from reclaim.sample import SAMPLE_PASSWORD

    backup = tmp_path / "backup"
    shutil.copytree(sample_backup_encrypted, backup)
    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    sms = backup / fid[:2] / fid
    with sms.open("r+b") as handle:
        handle.truncate(sms.stat().st_size // 2 + 5)
    before = hashlib.sha256(sms.read_bytes()).hexdigest()
    with open_source(backup, password=SAMPLE_PASSWORD) as fs:
        result = scan(fs, tmp_path / "case", kinds=["messages"], options=ScanOptions(recover_deleted=False))
    status = result.kinds[0]
    assert status.live > 0 and status.reason == ""
    assert status.warnings[0].startswith("HomeDomain/Library/SMS/sms.db is damaged (")
    with CaseReader(tmp_path / "case") as case:
        texts = [json.loads(r[0]).get("text") for r in case.conn.execute("SELECT data FROM records")]
    assert any(texts)
    assert hashlib.sha256(sms.read_bytes()).hexdigest() == before


def test_text_that_is_not_utf8_is_read_with_replacement_characters(sample_backup: Path, tmp_path: Path) -> None:
    """A damaged byte in a message's text (or in a column's name) made Python refuse the whole query; the
    message now reads with U+FFFD where the byte was, the others as they are, and the kind says so."""
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    healthy = _message_texts(backup, tmp_path / "healthy")[1]
    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    sms = backup / fid[:2] / fid
    sms.write_bytes(sms.read_bytes().replace(b"Sounds good", b"Sounds g\xffod"))  # (each copy of it in the file)
    status, found = _message_texts(backup, tmp_path / "case")
    assert status.reason == "" and found.keys() == healthy.keys()
    changed = {i: (healthy[i], found[i]) for i in found if found[i] != healthy[i]}
    assert changed and all(new == old.replace("Sounds good", "Sounds g\ufffdod") for old, new in changed.values())
    assert len(status.warnings) == 1 and re.fullmatch(
        r"HomeDomain/Library/SMS/sms\.db: \d+ text values were not valid UTF-8 \(damaged\?\): read with \ufffd in "
        r"place of their bad bytes", status.warnings[0]), status.warnings


def test_a_column_name_that_is_not_utf8_costs_that_column_only(sample_backup: Path, tmp_path: Path) -> None:
    """A flipped bit in the address book's schema (a column's name no longer UTF-8) stopped Contacts, Calls,
    Messages and every kind naming people; the column is now missing as it would be in another iOS version."""
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    fid = file_id("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb")
    book = backup / fid[:2] / fid
    data = book.read_bytes()
    assert data.count(b"JobTitle TEXT") == 2  # the schema, and an older copy of its page
    book.write_bytes(data.replace(b"JobTitle TEXT", b"Job\xfftle TEXT "[:13]))
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    cases = {}
    for name, folder in (("healthy", sample_backup), ("damaged", backup)):
        with open_source(folder) as fs:
            result = scan(fs, tmp_path / name, kinds=["contacts", "calls"], options=ScanOptions(recover_deleted=False))
        with CaseReader(tmp_path / name) as case:
            cases[name] = ({k.kind: (k.live, k.reason) for k in result.kinds},
                           {r["id"]: json.loads(r["data"]) for r in case.conn.execute("SELECT id, data FROM records")},
                           {k.kind: k.warnings for k in result.kinds})
    (healthy, healthy_records, _), (damaged, damaged_records, warnings) = cases["healthy"], cases["damaged"]
    assert damaged == healthy and damaged["contacts"][0] == 41
    assert damaged_records.keys() == healthy_records.keys()
    titled = [i for i, r in healthy_records.items() if r.get("job_title")]
    assert titled and all(not damaged_records[i].get("job_title") for i in titled)
    assert all(damaged_records[i].get("name") == healthy_records[i].get("name") for i in healthy_records)
    assert all(w == ["HomeDomain/Library/AddressBook/AddressBook.sqlitedb: 1 text values were not valid UTF-8 "
                     "(damaged?): read with \ufffd in place of their bad bytes"] for w in warnings.values())
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
