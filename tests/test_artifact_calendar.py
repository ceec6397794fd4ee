"""Calendar events from the sample Calendar.sqlitedb (iOS 17 schema)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.calendar import CalendarArtifact, rrule_from_row
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import calendar as sample_calendar
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS


def scan(fs: MemoryFS, folder: Path, deleted: bool = False) -> tuple[KindStatus, CaseReader]:
    writer = CaseWriter(folder)
    status = KindStatus("calendar", "Calendar")
    ctx = ScanContext(fs, writer.media, ScanOptions(recover_deleted=deleted), kind="calendar")
    _run_artifact(CalendarArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ("ics",))
    writer.close()
    return status, CaseReader(folder)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    fs = MemoryFS(sample_calendar.files(SampleContext()))
    status, case = scan(fs, tmp_path_factory.mktemp("cal") / "case")
    with case:
        records = list(case.records("calendar"))
    assert status.live == 19 and status.reason == ""
    return {r["title"]: r for r in records if not r["deleted"]}


def test_weekly_meeting_with_attendees_alarm_and_exception(events: dict[str, dict[str, Any]]) -> None:
    meeting = events["Team meeting"]
    assert meeting["start"] == "2024-04-08T09:00:00Z"  # 10:00 British Summer Time
    assert meeting["end"] == "2024-04-08T10:00:00Z"
    assert meeting["timezone"] == "Europe/London"
    assert meeting["calendar"] == "Work"
    assert meeting["location"] == "Meeting room 3, 1 Canada Square, London E14 5AB"
    assert meeting["rrule"] == "FREQ=WEEKLY;BYDAY=MO"
    assert meeting["exceptions"] == ["2024-04-22T09:00:00Z"]
    assert meeting["alarms"] == [{"at": None, "minutes": -15}]
    assert meeting["organizer"]["name"] == "Priya Shah"
    assert meeting["organizer"]["email"] == "priya.shah@example.com"
    people = {a["name"]: (a["email"], a["status"], a["role"]) for a in meeting["attendees"]}
    assert people == {
        "Alex Morgan": ("alex.morgan@example.com", "ACCEPTED", "REQ-PARTICIPANT"),
        "Tom Baker": ("tom.baker@example.com", "TENTATIVE", "OPT-PARTICIPANT"),
    }


def test_all_day_and_other_repeats(events: dict[str, dict[str, Any]]) -> None:
    birthday = events["Mum's birthday"]
    assert birthday["all_day"] is True and birthday["start"] == "2024-06-14T00:00:00Z"
    assert birthday["rrule"] == "FREQ=YEARLY"
    assert events["Book club"]["rrule"] == "FREQ=MONTHLY;BYDAY=2TH"
    assert events["Daily stand-up"]["rrule"] == "FREQ=DAILY;COUNT=10"
    assert events["Gym"]["rrule"] == "FREQ=WEEKLY;UNTIL=20240630T225900Z;BYDAY=MO,WE,FR"
    assert events["Yoga class"]["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    assert events["Pay council tax"]["rrule"] == "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1"
    assert events["Dentist"]["alarms"] == [{"at": None, "minutes": -60}, {"at": None, "minutes": -1440}]
    assert events["Flight BA 0117 to New York"]["notes"] == "Booking ref XJ7K2P. Seat 32A."
    assert "Interview: Sam Lee" not in events  # deleted on the phone


def test_deleted_events_are_recovered(tmp_path: Path) -> None:
    fs = MemoryFS(sample_calendar.files(SampleContext()))
    status, case = scan(fs, tmp_path / "case", deleted=True)
    with case:
        deleted = {r["title"]: r for r in case.records("calendar", deleted=True)}
        live = {r["title"] for r in case.records("calendar", deleted=False)}
    party = deleted["Surprise party planning"]
    assert party["start"] == "2024-04-27T19:00:00Z" and party["end"] == "2024-04-27T21:00:00Z"
    assert party["calendar"] == "Home"
    assert party["provenance"]["area"] in {"freeblock", "unallocated", "freelist"}
    assert not set(deleted) & live  # live rows are never repeated as deleted
    assert status.live == 19 and status.deleted == len(deleted)


def test_rrule_specifier_forms() -> None:
    assert rrule_from_row(3, 1, 0, None, "D=-1FR") == "FREQ=MONTHLY;BYDAY=-1FR"
    assert rrule_from_row(4, 1, 0, None, "M=3;O=15") == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15"
    assert rrule_from_row(0, 1, 0, None, "") == ""


def test_older_schema_without_side_tables(tmp_path: Path) -> None:
    path = tmp_path / "Calendar.sqlitedb"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, summary TEXT, start_date REAL,"
                 " end_date REAL, all_day INTEGER, calendar_id INTEGER, entity_type INTEGER)")
    conn.execute("INSERT INTO CalendarItem VALUES (1, 'Old event', 300000000, 300003600, 0, 1, 2)")
    conn.execute("INSERT INTO CalendarItem VALUES (2, 'Old reminder', 300000000, NULL, 0, 1, 3)")
    conn.commit()
    conn.close()
    fs = MemoryFS([SampleFile("HomeDomain", "Library/Calendar/Calendar.sqlitedb", path.read_bytes())])
    _, case = scan(fs, tmp_path / "case")
    with case:
        (event,) = case.records("calendar")
    assert event["title"] == "Old event" and event["start"] == "2010-07-05T05:20:00Z"
    assert event["attendees"] == [] and event["rrule"] == ""


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan
    from reclaim.sources import open_source

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["calendar"])
    (status,) = result.kinds
    assert status.live == 19 and status.reason == ""
    with CaseReader(tmp_path / "case") as case:
        meeting = next(r for r in case.records("calendar") if r["title"] == "Team meeting")
    assert meeting["rrule"] == "FREQ=WEEKLY;BYDAY=MO" and len(meeting["attendees"]) == 2
