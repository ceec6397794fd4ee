"""ICS export of calendar events and reminders: re-parsed with icalendar, as a calendar app would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.calendar import CalendarArtifact
from reclaim.artifacts.reminders import RemindersArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.export import ics
from reclaim.sample.content import calendar as sample_calendar
from reclaim.sample.content import reminders as sample_reminders
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Calendar]:
    root = tmp_path_factory.mktemp("ics")
    ctx = SampleContext()
    fs = MemoryFS([*sample_calendar.files(ctx), *sample_reminders.files(ctx)])
    writer = CaseWriter(root / "case")
    for artifact in (CalendarArtifact(), RemindersArtifact()):
        status = KindStatus(artifact.kind, artifact.title)
        scan_ctx = ScanContext(fs, writer.media, ScanOptions(recover_deleted=False), kind=artifact.kind)
        _run_artifact(artifact, scan_ctx, writer, status)
        writer.set_status(status, artifact.view, artifact.formats)
    writer.close()
    files: list[Path] = []
    with CaseReader(root / "case") as case:
        for kind in ics.KINDS:
            files += ics.export(case, kind, root / "out" / kind)
    return {f"{p.parent.name}/{p.name}": Calendar.from_ical(p.read_bytes()) for p in files}


def _by_summary(cal: Calendar, name: str) -> dict[str, object]:
    return {str(c["SUMMARY"]): c for c in cal.walk(name)}


def test_one_file_per_calendar_and_list(exported: dict[str, Calendar]) -> None:
    assert sorted(exported) == [
        "calendar/Home.ics", "calendar/UK Holidays.ics", "calendar/Work.ics",
        "reminders/Groceries.ics", "reminders/Recovered (deleted).ics", "reminders/Reminders.ics",
    ]
    assert str(exported["calendar/Work.ics"]["X-WR-CALNAME"]) == "Work"


def test_recurring_event_with_attendees_alarm_and_timezone(exported: dict[str, Calendar]) -> None:
    cal = exported["calendar/Work.ics"]
    meeting = _by_summary(cal, "VEVENT")["Team meeting"]
    start = meeting["DTSTART"].dt
    assert start.tzinfo is not None and str(meeting["DTSTART"].params["TZID"]) == "Europe/London"
    assert (start.hour, start.minute, start.date()) == (10, 0, date(2024, 4, 8))
    assert meeting["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert [d.dt.date() for d in meeting["EXDATE"].dts] == [date(2024, 4, 22)]
    assert str(meeting["ORGANIZER"]) == "mailto:priya.shah@example.com"
    attendees = {str(a.params["CN"]): (str(a), str(a.params["PARTSTAT"])) for a in meeting["ATTENDEE"]}
    assert attendees["Tom Baker"] == ("mailto:tom.baker@example.com", "TENTATIVE")
    assert attendees["Alex Morgan"] == ("mailto:alex.morgan@example.com", "ACCEPTED")
    (alarm,) = meeting.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15) and str(alarm["ACTION"]) == "DISPLAY"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert "UID" in meeting and "DTSTAMP" in meeting


def test_all_day_events_are_dates(exported: dict[str, Calendar]) -> None:
    holiday = _by_summary(exported["calendar/Home.ics"], "VEVENT")["Summer holiday"]
    assert holiday["DTSTART"].dt == date(2024, 8, 3)
    assert holiday["DTEND"].dt == date(2024, 8, 17)  # 14 days, end exclusive
    birthday = _by_summary(exported["calendar/Home.ics"], "VEVENT")["Mum's birthday"]
    assert birthday["RRULE"].to_ical() == b"FREQ=YEARLY"


def test_reminders_become_todos(exported: dict[str, Calendar]) -> None:
    todos = _by_summary(exported["reminders/Reminders.ics"], "VTODO")
    invoice = todos["Send invoice to Harper & Co"]
    assert str(invoice["STATUS"]) == "COMPLETED"
    assert invoice["COMPLETED"].dt == datetime.fromisoformat("2024-04-29T06:30:00+00:00")
    assert invoice["PRIORITY"] == 5
    passport = todos["Renew passport"]
    assert str(passport["STATUS"]) == "NEEDS-ACTION"
    assert passport["DUE"].dt == datetime.fromisoformat("2024-05-13T09:00:00+00:00")
    assert str(passport["DESCRIPTION"]) == "Form is in the desk drawer; photos from Boots."
    deleted = _by_summary(exported["reminders/Recovered (deleted).ics"], "VTODO")
    assert list(deleted) == ["Cancel gym membership"]
