"""Calendar events from the Calendar.sqlitedb of iPhone OS 3 and iOS 4 (an ``Event`` table, no ``CalendarItem``).

The database is built with the columns the public parsers of that layout name (docs/kinds/calendar.md,
"iPhone OS 3 and iOS 4"); every expected date below is worked out by hand from the stored number of
seconds since 2001-01-01 UTC.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export import ics
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS

SCHEMA = """
    CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT);
    CREATE TABLE Event (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, location TEXT, description TEXT,
      start_date INTEGER, start_tz TEXT, end_date INTEGER, all_day INTEGER, calendar_id INTEGER,
      orig_start_date INTEGER, organizer_is_self INTEGER, status INTEGER, availability INTEGER,
      privacy_level INTEGER, url TEXT, last_modified INTEGER, hidden INTEGER, external_id TEXT);
    CREATE TABLE EventChanges (record INTEGER, type INTEGER, calendar_id INTEGER, external_id TEXT, store_id INTEGER);
    CREATE TABLE Recurrence (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, frequency INTEGER, interval INTEGER,
      week_start INTEGER, count INTEGER, cached_end_date INTEGER, cached_end_date_tz TEXT, end_date INTEGER,
      specifier TEXT, by_month_months INTEGER, event_id INTEGER);
    CREATE TABLE Alarm (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, trigger_date INTEGER, trigger_interval INTEGER,
      event_id INTEGER);
"""

#: 2010-03-15 is 3,360 days after 2001-01-01 (9 years of which 2 leap: 3,287 days to 2010-01-01, then
#: 31 + 28 + 14); 3,360 × 86,400 = 290,304,000, plus 14:30 (52,200 s).
MEETING_START = 290_356_200
#: 2010-06-14 is 3,451 days after 2001-01-01 (3,287 + 31 + 28 + 31 + 30 + 31 + 13): 298,166,400 s.
BIRTHDAY = 298_166_400


def _event(conn: sqlite3.Connection, summary: str, start: int, end: int, *, location: str = "", notes: str = "",
           all_day: int = 0, calendar: int = 1) -> int:
    cursor = conn.execute(
        "INSERT INTO Event (summary, location, description, start_date, start_tz, end_date, all_day, calendar_id,"
        " status, availability, hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)",
        (summary, location, notes, start, "_float" if all_day else "Europe/London", end, all_day, calendar))
    return int(cursor.lastrowid or 0)


def build_database(path: Path) -> None:
    """A Calendar.sqlitedb as iOS 4 left it: two calendars, a weekly meeting with an alert, a birthday,
    filler events and one erased event whose bytes stay in the file (``secure_delete`` off)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO Calendar (ROWID, title) VALUES (?, ?)", [(1, "Work"), (2, "Home")])
    meeting = _event(conn, "Team meeting", MEETING_START, MEETING_START + 3600, location="Room 4, Canary Wharf",
                     notes="Quarterly numbers")
    conn.execute("INSERT INTO Recurrence (frequency, interval, week_start, count, end_date, specifier, event_id)"
                 " VALUES (2, 1, 0, 0, 0, 'D=0MO', ?)", (meeting,))
    conn.execute("INSERT INTO Alarm (trigger_date, trigger_interval, event_id) VALUES (0, -900, ?)", (meeting,))
    _event(conn, "Mum's birthday", BIRTHDAY, BIRTHDAY + 86_399, all_day=1, calendar=2)
    for day in range(1, 11):
        start = MEETING_START + day * 86_400
        _event(conn, f"Filler appointment {day} with a title long enough to be carved back", start, start + 1800,
               notes="Kept so the erased event shares its page with live rows")
    erased = _event(conn, "Surprise party planning at the old boathouse", MEETING_START + 5 * 86_400 + 7200,
                    MEETING_START + 5 * 86_400 + 10_800, location="The old boathouse", calendar=2)
    _event(conn, "Last filler appointment after the erased one", MEETING_START + 20 * 86_400,
           MEETING_START + 20 * 86_400 + 1800)
    conn.commit()
    conn.execute("DELETE FROM Event WHERE ROWID = ?", (erased,))
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("legacy-calendar")
    build_database(root / "Calendar.sqlitedb")
    fs = MemoryFS([SampleFile("HomeDomain", "Library/Calendar/Calendar.sqlitedb",
                              (root / "Calendar.sqlitedb").read_bytes())])
    scan(fs, root / "case", kinds=["calendar", "reminders"], options=ScanOptions(recover_deleted=True))
    return root / "case"


@pytest.fixture(scope="module")
def events(case_dir: Path) -> dict[str, dict[str, Any]]:
    with CaseReader(case_dir) as case:
        return {r["title"]: r for r in case.records("calendar")}


def test_a_timed_event_with_its_calendar_repeat_and_alert(events: dict[str, dict[str, Any]]) -> None:
    meeting = events["Team meeting"]
    assert (meeting["start"], meeting["end"]) == ("2010-03-15T14:30:00Z", "2010-03-15T15:30:00Z")
    assert meeting["all_day"] is False and meeting["timezone"] == "UTC"
    assert meeting["location"] == "Room 4, Canary Wharf" and meeting["notes"] == "Quarterly numbers"
    assert meeting["calendar"] == "Work" and meeting["calendar_color"] == ""
    assert meeting["rrule"] == "FREQ=WEEKLY;BYDAY=MO"
    assert meeting["alarms"] == [{"at": None, "minutes": -15}]
    assert meeting["attendees"] == [] and meeting["deleted"] is False


def test_an_all_day_event_keeps_its_date(events: dict[str, dict[str, Any]]) -> None:
    birthday = events["Mum's birthday"]
    assert birthday["all_day"] is True and birthday["start"] == "2010-06-14T00:00:00Z"
    assert birthday["timezone"] == "" and birthday["calendar"] == "Home"
    assert birthday["rrule"] == "" and birthday["alarms"] == []


def test_the_erased_event_is_recovered(case_dir: Path, events: dict[str, dict[str, Any]]) -> None:
    party = events["Surprise party planning at the old boathouse"]
    assert party["deleted"] is True
    assert party["provenance"]["area"] in {"freeblock", "unallocated", "freelist"}
    assert party["start"] == "2010-03-20T16:30:00Z"  # 14:30 five days after the meeting, plus two hours
    assert party["location"] == "The old boathouse" and party["calendar"] == "Home"
    with CaseReader(case_dir) as case:
        (status,) = [k for k in case.kinds() if k["kind"] == "calendar"]
        live = [r for r in case.records("calendar") if not r["deleted"]]
    assert (status["live"], status["deleted"], status["reason"]) == (13, 1, "")
    assert party["title"] not in {r["title"] for r in live}


def test_reminders_say_there_are_none(case_dir: Path) -> None:
    """iOS 4 had no Reminders app: its Calendar.sqlitedb is found, holds no reminder, and nothing fails."""
    with CaseReader(case_dir) as case:
        (status,) = [k for k in case.kinds() if k["kind"] == "reminders"]
        assert list(case.records("reminders")) == []
    assert (status["live"], status["deleted"]) == (0, 0)
    assert status["reason"] == "its files are here but hold no records"


def test_the_ics_export_parses_back(case_dir: Path, tmp_path: Path) -> None:
    with CaseReader(case_dir) as case:
        files = ics.export(case, "calendar", tmp_path / "ics")
    parsed = {p.name: Calendar.from_ical(p.read_bytes()) for p in files}
    assert set(parsed) == {"Work.ics", "Home.ics", "Recovered (deleted).ics"}
    work = {str(c["SUMMARY"]): c for c in parsed["Work.ics"].walk("VEVENT")}
    meeting = work["Team meeting"]
    assert meeting.decoded("DTSTART") == datetime(2010, 3, 15, 14, 30, tzinfo=meeting.decoded("DTSTART").tzinfo)
    assert meeting.decoded("DTSTART").utcoffset() == timedelta(0)
    assert meeting["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert str(meeting["LOCATION"]) == "Room 4, Canary Wharf"
    (alarm,) = meeting.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    (birthday,) = parsed["Home.ics"].walk("VEVENT")
    assert (birthday.decoded("DTSTART"), birthday.decoded("DTEND")) == (date(2010, 6, 14), date(2010, 6, 15))
    (party,) = parsed["Recovered (deleted).ics"].walk("VEVENT")
    assert str(party["SUMMARY"]) == "Surprise party planning at the old boathouse"
