"""Calendar events from Calendar.sqlitedb (iPhone OS 3 to iOS 17), live and recovered.

Each ``CalendarItem`` row of entity type 2 is an event; its location, calendar,
organizer, attendees (Participant + Identity), repeat rule (Recurrence), alerts
(Alarm) and skipped occurrences (ExceptionDate) live in side tables keyed by the
item's ROWID. Reminders share the same table on iOS 12 and earlier and are read by
:mod:`reclaim.artifacts.reminders`. The older layout without ``CalendarItem``
(iPhone OS 3 and iOS 4: an ``Event`` table) is read by
:mod:`reclaim.artifacts._calendar_legacy`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_apple_time_safe,
)

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext

#: CalendarItem.entity_type of an event (3 is a reminder).
EVENT = 2
REMINDER = 3

CALENDAR_FILES = (FileSpec("HomeDomain", "Library/Calendar/Calendar.sqlitedb"),)

_FREQUENCY = {1: "DAILY", 2: "WEEKLY", 3: "MONTHLY", 4: "YEARLY"}
#: Participant.status (EKParticipantStatus) as iCalendar PARTSTAT.
PARTSTAT = {0: "NEEDS-ACTION", 1: "NEEDS-ACTION", 2: "ACCEPTED", 3: "DECLINED", 4: "TENTATIVE",
            5: "DELEGATED", 6: "COMPLETED", 7: "IN-PROCESS"}
#: Participant.role (EKParticipantRole) as iCalendar ROLE.
ROLE = {0: "REQ-PARTICIPANT", 1: "REQ-PARTICIPANT", 2: "OPT-PARTICIPANT", 3: "CHAIR", 4: "NON-PARTICIPANT"}
_STATUS = {0: "", 1: "confirmed", 2: "tentative", 3: "cancelled"}
_AVAILABILITY = {0: "busy", 1: "free", 2: "tentative", 3: "unavailable"}
#: Recurrence.specifier keys (``D=0MO,0WE;M=3``) and the RRULE parts they become.
_SPECIFIER = {"D": "BYDAY", "M": "BYMONTH", "O": "BYMONTHDAY", "S": "BYSETPOS", "W": "BYWEEKNO", "Y": "BYYEARDAY"}


@dataclass(kw_only=True)
class CalendarEvent(Record):
    """One calendar event. ``start``/``end`` are UTC; ``timezone`` is the event's own zone ("" = floating)."""

    KIND = "calendar"

    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    timezone: str = ""
    location: str = ""
    notes: str = ""
    url: str = ""
    calendar: str = ""
    calendar_color: str = ""
    organizer: dict[str, str] | None = None
    attendees: list[dict[str, str]] = field(default_factory=list)
    rrule: str = ""
    exceptions: list[datetime] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""
    availability: str = ""
    uid: str = ""
    created: datetime | None = None
    modified: datetime | None = None

    def search_text(self) -> str:
        names = [a.get("name") or a.get("email") or "" for a in self.attendees]
        return "\n".join(p for p in (self.title, self.location, self.notes, self.calendar, *names) if p)


def rrule_from_row(frequency: Any, interval: Any, count: Any, end: datetime | None, specifier: Any,
                   all_day: bool = False) -> str:
    """An RFC 5545 RRULE value from Calendar.sqlitedb's Recurrence columns ("" when unknown)."""
    freq = _FREQUENCY.get(int(frequency or 0))
    if not freq:
        return ""
    parts = [f"FREQ={freq}"]
    if interval and int(interval) > 1:
        parts.append(f"INTERVAL={int(interval)}")
    if count and int(count) > 0:
        parts.append(f"COUNT={int(count)}")
    elif end is not None:
        parts.append("UNTIL=" + (end.strftime("%Y%m%d") if all_day else end.strftime("%Y%m%dT%H%M%SZ")))
    for item in str(specifier or "").split(";"):
        key, _, value = item.partition("=")
        name = _SPECIFIER.get(key.strip())
        if not name or not value:
            continue
        if name == "BYDAY":  # "0MO" is every Monday, "+2SU" the second Sunday, "-1FR" the last Friday
            days = []
            for day in value.split(","):
                num, code = day[:-2], day[-2:]
                days.append(code if num in ("", "0", "+0") else f"{int(num)}{code}")
            value = ",".join(days)
        parts.append(f"{name}={value}")
    return ";".join(parts)


def _date_list(db: Database, owner: int) -> list[datetime]:
    if not db.has("ExceptionDate", "owner_id"):
        return []
    dates = (from_apple_time(r[0]) for r in db.rows("SELECT date FROM ExceptionDate WHERE owner_id=? ORDER BY date",
                                                   (owner,)))
    return [d for d in dates if d is not None]


def _identity(db: Database, identity_id: Any) -> dict[str, str]:
    if identity_id is None or not db.has("Identity"):
        return {}
    name_cols = ", ".join(db.col("Identity", c) for c in ("display_name", "address", "first_name", "last_name"))
    for row in db.rows(f"SELECT {name_cols} FROM Identity WHERE ROWID=?", (identity_id,)):
        name = row["display_name"] or " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        return {"name": name or "", "address": row["address"] or ""}
    return {}


def _participant(db: Database, row: sqlite3.Row) -> dict[str, str]:
    ident = _identity(db, row["identity_id"])
    email = row["email"] or ""
    address = ident.get("address", "")
    if not email and address.lower().startswith("mailto:"):
        email = address[7:]
    return {
        "name": ident.get("name", ""),
        "email": email,
        "phone": row["phone_number"] or "",
        "status": PARTSTAT.get(int(row["status"] or 0), "NEEDS-ACTION"),
        "role": ROLE.get(int(row["role"] or 0), "REQ-PARTICIPANT"),
    }


def _participants(db: Database, owner: int, organizer_id: Any) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    if not db.has("Participant", "owner_id"):
        return None, []
    cols = ", ".join(db.col("Participant", c) for c in
                     ("ROWID", "entity_type", "status", "role", "identity_id", "email", "phone_number"))
    organizer, attendees = None, []
    for row in db.rows(f"SELECT {cols} FROM Participant WHERE owner_id=? ORDER BY ROWID", (owner,)):
        person = _participant(db, row)
        if (organizer_id is not None and row["ROWID"] == organizer_id) or row["entity_type"] == 8:
            organizer = person
        else:
            attendees.append(person)
    if organizer is None and organizer_id:
        for row in db.rows(f"SELECT {cols} FROM Participant WHERE ROWID=?", (organizer_id,)):
            organizer = _participant(db, row)
    return organizer, attendees


def _alarms(db: Database, owner: int) -> list[dict[str, Any]]:
    owner_col = "calendaritem_owner_id" if db.has("Alarm", "calendaritem_owner_id") else "owner_id"
    if not db.has("Alarm", owner_col):
        return []
    cols = ", ".join(db.col("Alarm", c) for c in ("trigger_interval", "trigger_date", "disabled"))
    alarms = []
    for row in db.rows(f"SELECT {cols} FROM Alarm WHERE {owner_col}=? ORDER BY ROWID", (owner,)):
        if row["disabled"]:
            continue
        at = from_apple_time(row["trigger_date"])
        if at is not None:
            alarms.append({"at": at, "minutes": None})
        else:
            alarms.append({"at": None, "minutes": int(row["trigger_interval"] or 0) // 60})
    return alarms


def _recurrence(db: Database, owner: int, all_day: bool) -> str:
    if not db.has("Recurrence", "owner_id"):
        return ""
    cols = ", ".join(db.col("Recurrence", c) for c in ("frequency", "interval", "count", "end_date", "specifier"))
    rules = []
    for row in db.rows(f"SELECT {cols} FROM Recurrence WHERE owner_id=? ORDER BY ROWID", (owner,)):
        rule = rrule_from_row(row["frequency"], row["interval"], row["count"], from_apple_time(row["end_date"]),
                              row["specifier"], all_day)
        if rule:
            rules.append(rule)
    return rules[0] if rules else ""


def calendars(db: Database) -> dict[int, tuple[str, str]]:
    """Calendar ROWID -> (title, colour) (a small table: a few dozen rows)."""
    if not db.has("Calendar"):
        return {}
    cols = ", ".join(db.col("Calendar", c) for c in ("title", "color"))
    return {r["ROWID"]: (r["title"] or "", r["color"] or "") for r in db.rows(f"SELECT ROWID, {cols} FROM Calendar")}


def locations(db: Database) -> dict[int, str]:
    """Location ROWID -> "title, address" (one row per located item)."""
    if not db.has("Location"):
        return {}
    cols = ", ".join(db.col("Location", c) for c in ("title", "address"))
    out = {}
    for row in db.rows(f"SELECT ROWID, {cols} FROM Location"):
        title, address = (row["title"] or "").strip(), (row["address"] or "").strip()
        out[row["ROWID"]] = title if not address or address in title else (
            f"{title}, {address}" if title else address)
    return out


ITEM_COLUMNS = ("summary", "location_id", "description", "start_date", "start_tz", "end_date", "all_day",
                "calendar_id", "organizer_id", "status", "availability", "url", "last_modified", "creation_date",
                "unique_identifier", "UUID", "entity_type", "priority", "due_date", "due_tz", "due_all_day",
                "completion_date", "hidden", "orig_item_id")


def item_select(db: Database) -> str:
    """The CalendarItem columns this module reads, tolerant of older schemas."""
    return ", ".join(["CalendarItem.ROWID AS ROWID", *(db.col("CalendarItem", c) for c in ITEM_COLUMNS)])


def _tz(value: Any) -> str:
    """An Olson zone name; "" for a floating time (all-day events are stored as ``_float``)."""
    text = str(value or "")
    return "" if text == "_float" else text


class CalendarArtifact(Artifact):
    kind = "calendar"
    title = "Calendar"
    record = CalendarEvent
    files = CALENDAR_FILES
    view = "table"
    formats = ("ics",)

    def extract(self, ctx: ScanContext) -> Iterator[CalendarEvent]:
        from reclaim.artifacts import _calendar_legacy as legacy  # it builds on this module

        for entry in self.inputs(ctx):
            with ctx.database(entry) as db:
                if db.has("CalendarItem", "summary"):
                    yield from self._live(ctx, db)
                    if ctx.options.recover_deleted:
                        yield from self._deleted(ctx, db)
                elif legacy.is_legacy(db):  # iPhone OS 3 and iOS 4: an Event table
                    yield from legacy.live_events(db)
                    if ctx.options.recover_deleted:
                        yield from legacy.deleted_events(db)
                else:
                    ctx.warn(f"{db.source}: no CalendarItem table")

    def _live(self, ctx: ScanContext, db: Database) -> Iterator[CalendarEvent]:
        cals, locs = calendars(db), locations(db)
        where = f"WHERE entity_type = {EVENT}" if db.has("CalendarItem", "entity_type") else ""
        self._seen: set[object] = set()
        for row in db.rows(f"SELECT {item_select(db)} FROM CalendarItem {where} ORDER BY start_date"):
            self._seen.update(k for k in (row["ROWID"], row["unique_identifier"], row["UUID"]) if k)
            event = self._event(db, dict(row), cals, locs)
            organizer, event.attendees = _participants(db, row["ROWID"], row["organizer_id"])
            event.organizer = organizer
            event.rrule = _recurrence(db, row["ROWID"], event.all_day)
            event.exceptions = _date_list(db, row["ROWID"])
            event.alarms = _alarms(db, row["ROWID"])
            yield event

    def _event(self, db: Database, row: dict[str, Any], cals: dict[int, tuple[str, str]],
               locs: dict[int, str]) -> CalendarEvent:
        start = from_apple_time(row.get("start_date"))
        cal = cals.get(row.get("calendar_id") or -1, ("", ""))
        return CalendarEvent(
            id=f"calendar:{row['ROWID']}",
            date=start,
            source=db.source,
            title=row.get("summary") or "",
            start=start,
            end=from_apple_time(row.get("end_date")),
            all_day=bool(row.get("all_day")),
            timezone="" if bool(row.get("all_day")) else _tz(row.get("start_tz")),
            location=locs.get(row.get("location_id") or -1, ""),
            notes=row.get("description") or "",
            url=row.get("url") or "",
            calendar=cal[0],
            calendar_color=cal[1],
            status=_STATUS.get(int(row.get("status") or 0), ""),
            availability=_AVAILABILITY.get(int(row.get("availability") or 0), ""),
            uid=row.get("unique_identifier") or row.get("UUID") or "",
            created=from_apple_time(row.get("creation_date")),
            modified=from_apple_time(row.get("last_modified")),
        )

    def _deleted(self, ctx: ScanContext, db: Database) -> Iterator[CalendarEvent]:
        cals, locs = calendars(db), locations(db)
        for rec in db.carve(tables=["CalendarItem"]):
            values = rec.values
            keys = {k for k in (rec.rowid, values.get("unique_identifier"), values.get("UUID")) if k}
            if keys & self._seen or not isinstance(values.get("summary"), str):
                continue
            if values.get("entity_type") not in (None, EVENT) or from_apple_time_safe(values.get("start_date")) is None:
                continue
            self._seen.update(keys)
            event = self._event(db, {**values, "ROWID": rec.rowid}, cals, locs)
            event.id = carved_id("calendar", rec)
            event.deleted = True
            event.provenance = Provenance.of(rec)
            yield event


