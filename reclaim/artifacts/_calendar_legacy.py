"""Calendar events from the ``Calendar.sqlitedb`` of iPhone OS 3 and iOS 4, before ``CalendarItem``.

That database keeps one ``Event`` row per event: its title (``summary``), ``location`` and
``description`` are text columns of the row itself, ``start_date``/``end_date`` are seconds since
2001-01-01 UTC, ``all_day`` flags an all-day event and ``calendar_id`` points at a ``Calendar`` row
(whose ``title`` names it). A repeat rule is a ``Recurrence`` row whose ``event_id`` is the event's
ROWID, with the same ``frequency``/``interval``/``count``/``end_date``/``specifier`` columns as
iOS 5 and later (an ``end_date`` of 0 means no end).

Only what independent public parsers agree on is read (see docs/kinds/calendar.md, "iPhone OS 3 and
iOS 4"). Alerts are read only where the ``Alarm`` table has an ``event_id`` column (no public source
shows that table's layout, so nothing is assumed when it differs); attendees, time-zone names, URLs,
availability and colours are left empty rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reclaim.artifacts.base import Provenance, carved_id, from_apple_time, from_apple_time_safe, text_or_empty
from reclaim.artifacts.calendar import CalendarEvent, rrule_from_row

if TYPE_CHECKING:
    from reclaim.case.context import Database

#: The table of events in this layout.
TABLE = "Event"
#: The Event columns read (those a database lacks are read as NULL).
COLUMNS = ("summary", "location", "description", "start_date", "end_date", "all_day", "calendar_id")


def is_legacy(db: Database) -> bool:
    """Whether ``db`` is the pre-``CalendarItem`` layout: told by its schema, never by a failing query."""
    return not db.has("CalendarItem") and db.has(TABLE, "summary")


def calendar_titles(db: Database) -> dict[int, str]:
    """Calendar ROWID -> title (the colour column of this layout is not documented, so it is not read)."""
    if not db.has("Calendar", "title"):
        return {}
    return {r[0]: r[1] or "" for r in db.rows("SELECT ROWID, title FROM Calendar")}


def _recurrence(db: Database, event_id: int, all_day: bool) -> str:
    """The RRULE of an event's first ``Recurrence`` row ("" when it has none or it cannot be read)."""
    if not db.has("Recurrence", "event_id"):
        return ""
    cols = ", ".join(db.col("Recurrence", c) for c in ("frequency", "interval", "count", "end_date", "specifier"))
    for row in db.rows(f"SELECT {cols} FROM Recurrence WHERE event_id=? ORDER BY ROWID", (event_id,)):
        rule = rrule_from_row(row["frequency"], row["interval"], row["count"], from_apple_time(row["end_date"]),
                              row["specifier"], all_day)
        if rule:
            return rule
    return ""


def _alarms(db: Database, event_id: int) -> list[dict[str, Any]]:
    """An event's alerts, when the ``Alarm`` table links them by ``event_id`` (seconds, negative = before)."""
    if not db.has("Alarm", "event_id"):
        return []
    cols = ", ".join(db.col("Alarm", c) for c in ("trigger_interval", "trigger_date"))
    alarms: list[dict[str, Any]] = []
    for row in db.rows(f"SELECT {cols} FROM Alarm WHERE event_id=? ORDER BY ROWID", (event_id,)):
        at = from_apple_time_safe(row["trigger_date"])
        if at is not None:
            alarms.append({"at": at, "minutes": None})
        elif isinstance(row["trigger_interval"], int):
            alarms.append({"at": None, "minutes": row["trigger_interval"] // 60})
    return alarms


def _event(db: Database, rowid: int, row: dict[str, Any], titles: dict[int, str]) -> CalendarEvent:
    """The record of one Event row (live or carved); side tables are the caller's business."""
    start = from_apple_time_safe(row.get("start_date"))
    all_day = bool(row.get("all_day"))
    calendar_id = row.get("calendar_id")
    return CalendarEvent(
        id=f"calendar:{rowid}",
        date=start,
        source=db.source,
        title=text_or_empty(row.get("summary")),
        start=start,
        end=from_apple_time_safe(row.get("end_date")),
        all_day=all_day,
        # The stored numbers are instants; the event's own zone is not read, so timed events are given in UTC.
        timezone="" if all_day else "UTC",
        location=text_or_empty(row.get("location")).strip(),
        notes=text_or_empty(row.get("description")),
        calendar=titles.get(calendar_id, "") if isinstance(calendar_id, int) else "",
    )


def live_events(db: Database) -> Iterator[CalendarEvent]:
    """Every ``Event`` row with its repeat rule and alerts, in start order."""
    titles = calendar_titles(db)
    cols = ", ".join(db.col(TABLE, c) for c in COLUMNS)
    for row in db.rows(f'SELECT "{TABLE}".ROWID AS ROWID, {cols} FROM "{TABLE}" ORDER BY start_date, ROWID'):
        event = _event(db, row["ROWID"], dict(row), titles)
        event.rrule = _recurrence(db, row["ROWID"], event.all_day)
        event.alarms = _alarms(db, row["ROWID"])
        yield event


def deleted_events(db: Database) -> Iterator[CalendarEvent]:
    """``Event`` rows recovered from the file's free space, WAL and journal (live rows are not repeated).

    A recovered event keeps only what its own row held: its repeat and alert rows were erased with it,
    and a row number reused by a newer event would attach that event's rules to it.
    """
    titles = calendar_titles(db)
    live = {r[0] for r in db.rows(f'SELECT ROWID FROM "{TABLE}"')}
    for rec in db.carve(tables=[TABLE]):
        values = rec.values
        if rec.rowid in live or not isinstance(values.get("summary"), str):
            continue
        if from_apple_time_safe(values.get("start_date")) is None:
            continue
        if rec.rowid is not None:
            live.add(rec.rowid)
        event = _event(db, rec.rowid if rec.rowid is not None else -1, values, titles)
        event.id = carved_id("calendar", rec)
        event.deleted = True
        event.provenance = Provenance.of(rec)
        yield event
