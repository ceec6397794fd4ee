"""Reminders from the iOS 17 sample store, an iOS 13-15 single-table store and Calendar.sqlitedb."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.reminders import RemindersArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import reminders as sample_reminders
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS


def scan(fs: MemoryFS, folder: Path, deleted: bool = False) -> tuple[KindStatus, list[dict[str, Any]]]:
    writer = CaseWriter(folder)
    status = KindStatus("reminders", "Reminders")
    ctx = ScanContext(fs, writer.media, ScanOptions(recover_deleted=deleted), kind="reminders")
    _run_artifact(RemindersArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ("ics",))
    writer.close()
    with CaseReader(folder) as case:
        return status, list(case.records("reminders"))


@pytest.fixture(scope="module")
def reminders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    status, records = scan(MemoryFS(sample_reminders.files(SampleContext())), tmp_path_factory.mktemp("r") / "c")
    assert (status.live, status.deleted) == (15, 1)
    return {r["title"]: r for r in records}


def test_lists_due_dates_and_completion(reminders: dict[str, dict[str, Any]]) -> None:
    passport = reminders["Renew passport"]
    assert passport["list"] == "Reminders"
    assert passport["due"] == "2024-05-13T09:00:00Z"
    assert (passport["priority"], passport["priority_label"], passport["flagged"]) == (1, "high", True)
    assert passport["notes"] == "Form is in the desk drawer; photos from Boots."
    assert passport["completed"] is False and passport["completed_at"] is None
    invoice = reminders["Send invoice to Harper & Co"]
    assert invoice["completed"] is True and invoice["completed_at"] == "2024-04-29T06:30:00Z"
    assert reminders["Milk"]["list"] == "Groceries" and reminders["Milk"]["completed"] is True
    assert sum(1 for r in reminders.values() if r["list"] == "Groceries") == 6


def test_subtasks_and_recently_deleted(reminders: dict[str, dict[str, Any]]) -> None:
    assert reminders["Order cake"]["parent"] == "Plan Mum's birthday"
    assert reminders["Invite the cousins"]["parent"] == "Plan Mum's birthday"
    gone = reminders["Cancel gym membership"]
    assert gone["deleted"] is True and gone["provenance"]["area"] == "app"
    assert "Buy anniversary present" not in reminders  # erased row: only the carver can bring it back


def test_erased_reminder_is_carved(tmp_path: Path) -> None:
    status, records = scan(MemoryFS(sample_reminders.files(SampleContext())), tmp_path / "c", deleted=True)
    carved = [r for r in records if r["deleted"] and r["provenance"]["area"] != "app"]
    assert [r["title"] for r in carved] == ["Buy anniversary present"]
    assert carved[0]["notes"] == "Secret!" and carved[0]["due"] == "2024-05-21T09:00:00Z"
    assert status.live == 15


def test_ios13_single_table_store(tmp_path: Path) -> None:
    path = tmp_path / "Data-1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
        CREATE TABLE ZREMCDOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZCOMPLETED INTEGER, ZFLAGGED INTEGER,
            ZPRIORITY INTEGER, ZLIST INTEGER, ZCOMPLETIONDATE TIMESTAMP, ZCREATIONDATE TIMESTAMP,
            ZDUEDATE TIMESTAMP, ZLASTMODIFIEDDATE TIMESTAMP, ZMARKEDFORDELETION INTEGER, ZNAME VARCHAR,
            ZNAME1 VARCHAR, ZNOTES VARCHAR, ZTITLE VARCHAR, ZTITLE1 VARCHAR);
        INSERT INTO Z_PRIMARYKEY VALUES (19, 'REMCDList', 0, 1), (24, 'REMCDReminder', 0, 2);
        INSERT INTO ZREMCDOBJECT (Z_PK, Z_ENT, ZNAME1) VALUES (1, 19, 'Work');
        INSERT INTO ZREMCDOBJECT (Z_PK, Z_ENT, ZLIST, ZTITLE1, ZCOMPLETED, ZDUEDATE, ZMARKEDFORDELETION)
            VALUES (2, 24, 1, 'File expenses', 0, 600000000, 0);
    """)
    conn.close()
    fs = MemoryFS([SampleFile("HomeDomain", "Library/Reminders/Container_v1/Stores/Data-1.sqlite",
                              path.read_bytes())])
    _, records = scan(fs, tmp_path / "c")
    assert [(r["title"], r["list"], r["due"]) for r in records] == [("File expenses", "Work", "2020-01-06T10:40:00Z")]


def test_ios12_calendar_reminders(tmp_path: Path) -> None:
    path = tmp_path / "Calendar.sqlitedb"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY, title TEXT, color TEXT);
        CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, summary TEXT, description TEXT, start_date REAL,
            end_date REAL, all_day INTEGER, calendar_id INTEGER, entity_type INTEGER, priority INTEGER,
            due_date REAL, due_all_day INTEGER, completion_date REAL, creation_date REAL, last_modified REAL,
            unique_identifier TEXT);
        INSERT INTO Calendar VALUES (1, 'Reminders', '#FF0000');
        INSERT INTO CalendarItem (ROWID, summary, description, calendar_id, entity_type, priority, due_date,
            completion_date) VALUES (1, 'Buy stamps', 'first class', 1, 3, 5, 500000000, 500000100);
        INSERT INTO CalendarItem (ROWID, summary, start_date, calendar_id, entity_type) VALUES (2, 'Event', 1, 1, 2);
    """)
    conn.close()
    fs = MemoryFS([SampleFile("HomeDomain", "Library/Calendar/Calendar.sqlitedb", path.read_bytes())])
    _, records = scan(fs, tmp_path / "c")
    (stamps,) = records
    assert (stamps["title"], stamps["notes"], stamps["list"]) == ("Buy stamps", "first class", "Reminders")
    assert stamps["completed"] is True and stamps["completed_at"] == "2016-11-05T00:55:00Z"
    assert stamps["priority_label"] == "medium"


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan
    from reclaim.sources import open_source

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["reminders"])
    (status,) = result.kinds
    assert status.live == 15 and status.deleted >= 1 and status.reason == ""
