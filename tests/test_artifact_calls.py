"""Call history: the sample CallHistory.storedata (iOS 17 Core Data schema) and a legacy call_history.db."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.artifacts.calls import Call, CallsArtifact
from reclaim.case.context import ScanContext
from reclaim.sample.content import calls as sample
from reclaim.sample.content import contacts as sample_contacts
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def calls() -> list[Call]:
    ctx = SampleContext()
    fs = MemoryFS([*sample_contacts.files(ctx), *sample.files(ctx)])
    scan = ScanContext(fs, None, kind="calls")
    found = list(CallsArtifact().extract(scan))
    assert scan.warnings == []
    return found


def test_live_calls(calls: list[Call]) -> None:
    live = [c for c in calls if not c.deleted]
    assert len(live) == 44 + 1 + 2  # random calls, the group FaceTime, two calls only in the WAL
    assert [c.date for c in live] == sorted(c.date for c in live)  # type: ignore[type-var]
    services = {c.service for c in live}
    assert {"Phone", "FaceTime Video", "FaceTime Audio", "WhatsApp"} <= services
    mum = [c for c in live if c.number == "+447700900345"]
    assert {c.name for c in mum} == {"Mum"}
    missed = live[-2]  # Mum rang three hours before the backup; nobody answered
    assert (missed.name, missed.direction, missed.missed, missed.answered, missed.duration) == (
        "Mum", "incoming", True, False, 0.0)
    assert missed.date == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    last = live[-1]
    assert (last.name, last.service, last.direction, last.duration) == ("Sam Carter", "FaceTime Audio", "outgoing",
                                                                      300.0)
    assert all(c.name == "Henry Fox" for c in live if c.number == "Henry.Fox@iCloud.example")
    assert all(c.name == "" for c in live if c.number == "+447700900011")  # not in Contacts
    group = next(c for c in live if c.participants)
    assert group.participants == ["Sam Carter", "Jamie Lee", "Leo King"] and group.duration == 1260.5


def test_deleted_calls(calls: list[Call]) -> None:
    deleted = [c for c in calls if c.deleted]
    numbers = sorted(c.number for c in deleted)
    assert numbers == sorted([sample.DELETED_NUMBER, sample.DELETED_NUMBER, sample.WAL_DELETED_NUMBER])
    wal = next(c for c in deleted if c.number == sample.WAL_DELETED_NUMBER)
    assert wal.provenance is not None and wal.provenance.area.startswith("wal")
    assert (wal.duration, wal.direction, wal.date) == (42.0, "outgoing", datetime(2024, 5, 1, 7, 30, tzinfo=UTC))
    assert sorted(c.duration for c in deleted if c.number == sample.DELETED_NUMBER) == [96.0, 97.0]


def test_legacy_call_history_db(tmp_path: Path) -> None:
    path = tmp_path / "call_history.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE call (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT, date INTEGER, duration INTEGER,"
        " flags INTEGER, id INTEGER, name TEXT, country_code TEXT, network_code TEXT, read INTEGER,"
        " assisted INTEGER, face_time_data BLOB, originalAddress TEXT);"
        "INSERT INTO call (address, date, duration, flags, id, country_code, read)"
        " VALUES ('07700 900456', 1357041600, 65, 5, -1, '234', 1),"
        " ('+44 7700 900345', 1357045200, 0, 4, -1, '234', 0);")
    conn.commit()
    conn.close()
    ctx = SampleContext()
    fs = MemoryFS([*sample_contacts.files(ctx),
                   SampleFile("WirelessDomain", "Library/CallHistory/call_history.db", path.read_bytes())])
    found = list(CallsArtifact().extract(ScanContext(fs, None)))
    assert [(c.name, c.direction, c.duration, c.missed) for c in found] == [
        ("Sam Carter", "outgoing", 65.0, False), ("Mum", "incoming", 0.0, True)]
    assert found[0].date == datetime(2013, 1, 1, 12, 0, tzinfo=UTC)
