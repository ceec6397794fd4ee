"""Calendar events and reminders as iCalendar (RFC 5545) files that Apple Calendar, Outlook and Google open.

One ``.ics`` per calendar (events) or per list (reminders), so a user can import
them where they belong; recovered deleted items go to a file of their own, so
they are never mixed into a live calendar by accident. Timed events keep their
own time zone (TZID plus a VTIMEZONE); all-day events are DATE values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event, Todo, vCalAddress, vRecur, vText

from reclaim.case.store import CaseReader
from reclaim.output import atomic_write_bytes, safe_join

FORMAT = "ics"
KINDS = ("calendar", "reminders")
PRODID = "-//reclaim//iPhone data recovery//EN"
DELETED_NAME = "Recovered (deleted)"


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone(name: str) -> ZoneInfo | None:
    if not name or name == "UTC":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _stamp(record: dict[str, Any]) -> datetime:
    return _dt(record.get("modified")) or _dt(record.get("created")) or _dt(record.get("date")) or datetime(
        2001, 1, 1, tzinfo=UTC)


def _address(person: dict[str, Any], kind: str) -> vCalAddress | None:
    email = person.get("email") or ""
    phone = person.get("phone") or ""
    if not email and not phone:
        return None
    address = vCalAddress(f"mailto:{email}" if email else f"tel:{phone}")
    if person.get("name"):
        address.params["CN"] = vText(person["name"])
    if kind == "attendee":
        address.params["PARTSTAT"] = vText(person.get("status") or "NEEDS-ACTION")
        address.params["ROLE"] = vText(person.get("role") or "REQ-PARTICIPANT")
    return address


def _times(event: Event, record: dict[str, Any]) -> None:
    start, end = _dt(record.get("start")), _dt(record.get("end"))
    if start is None:
        return
    if record.get("all_day"):
        first: date = start.date()
        # Calendar stores an all-day end as 23:59:59 of the last day; iCalendar's DTEND is exclusive.
        last = (end - timedelta(seconds=1)).date() if end and end > start else first
        event.add("dtstart", first)
        event.add("dtend", last + timedelta(days=1))
        return
    zone = _zone(record.get("timezone") or "")
    if zone is not None:
        event.add("dtstart", start.astimezone(zone))
        if end:
            event.add("dtend", end.astimezone(zone))
    elif record.get("timezone") == "UTC":
        event.add("dtstart", start)
        if end:
            event.add("dtend", end)
    else:  # floating: the stored value is the wall-clock time
        event.add("dtstart", start.replace(tzinfo=None))
        if end:
            event.add("dtend", end.replace(tzinfo=None))


def event_component(record: dict[str, Any]) -> Event:
    """A VEVENT for one calendar record (the case's JSON form)."""
    event = Event()
    event.add("uid", record.get("uid") or f"{record['id']}@reclaim")
    event.add("dtstamp", _stamp(record).astimezone(UTC))
    event.add("summary", record.get("title") or "")
    _times(event, record)
    for name, key in (("location", "location"), ("description", "notes"), ("url", "url")):
        if record.get(key):
            event.add(name, record[key])
    if record.get("created"):
        event.add("created", _dt(record["created"]).astimezone(UTC))
    if record.get("modified"):
        event.add("last-modified", _dt(record["modified"]).astimezone(UTC))
    status = (record.get("status") or "").upper()
    if status in ("CONFIRMED", "TENTATIVE", "CANCELLED"):
        event.add("status", status)
    if record.get("availability") == "free":
        event.add("transp", "TRANSPARENT")
    if record.get("rrule"):
        event.add("rrule", vRecur.from_ical(record["rrule"]))
    zone = _zone(record.get("timezone") or "")
    for moment in record.get("exceptions") or []:
        when = _dt(moment)
        if when is not None:
            event.add("exdate", when.date() if record.get("all_day") else (when.astimezone(zone) if zone else when))
    organizer = _address(record.get("organizer") or {}, "organizer")
    if organizer is not None:
        event.add("organizer", organizer)
    for person in record.get("attendees") or []:
        attendee = _address(person, "attendee")
        if attendee is not None:
            event.add("attendee", attendee)
    for alarm in record.get("alarms") or []:
        event.add_component(_alarm(alarm, record.get("title") or "Reminder"))
    return event


def _alarm(alarm: dict[str, Any], text: str) -> Alarm:
    valarm = Alarm()
    valarm.add("action", "DISPLAY")
    valarm.add("description", text)
    at = _dt(alarm.get("at"))
    if at is not None:
        valarm.add("trigger", at.astimezone(UTC))
    else:
        valarm.add("trigger", timedelta(minutes=int(alarm.get("minutes") or 0)))
    return valarm


def todo_component(record: dict[str, Any]) -> Todo:
    """A VTODO for one reminder record (the case's JSON form)."""
    todo = Todo()
    todo.add("uid", record.get("uid") or f"{record['id']}@reclaim")
    todo.add("dtstamp", _stamp(record).astimezone(UTC))
    todo.add("summary", record.get("title") or "")
    if record.get("notes"):
        todo.add("description", record["notes"])
    due = _dt(record.get("due"))
    if due is not None:
        todo.add("due", due.date() if record.get("due_all_day") else due)
    if record.get("completed"):
        todo.add("status", "COMPLETED")
        done = _dt(record.get("completed_at"))
        if done is not None:
            todo.add("completed", done)
    else:
        todo.add("status", "NEEDS-ACTION")
    if record.get("priority"):
        todo.add("priority", int(record["priority"]))
    if record.get("created"):
        todo.add("created", _dt(record["created"]).astimezone(UTC))
    if record.get("modified"):
        todo.add("last-modified", _dt(record["modified"]).astimezone(UTC))
    if record.get("flagged"):
        todo.add("x-apple-flagged", "TRUE")
    if record.get("parent"):
        todo.add("x-reclaim-parent", record["parent"])
    return todo


def export(case: CaseReader, kind: str, out: Path) -> list[Path]:
    """Write one ``.ics`` per calendar (or reminders list) of ``kind`` under ``out``."""
    groups: dict[str, Calendar] = {}
    for record in case.records(kind):
        if kind == "calendar":
            group = record.get("calendar") or "Calendar"
            component = event_component(record)
        else:
            group = record.get("list") or "Reminders"
            component = todo_component(record)
        if record.get("deleted"):
            group = DELETED_NAME
        if group not in groups:
            groups[group] = _new_calendar(group)
        groups[group].add_component(component)
    written = []
    for name, cal in sorted(groups.items()):
        cal.add_missing_timezones()
        target = safe_join(out, f"{name}.ics")
        atomic_write_bytes(target, cal.to_ical())
        written.append(target)
    return written
