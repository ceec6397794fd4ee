"""Sample Calendar.sqlitedb (iOS 17 schema): ~20 events with repeats, all-day days, attendees and alerts.

Two events are deleted after being written (with ``secure_delete`` off, as on a
phone) so their rows stay in free space for the carver to find.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")

SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE Store (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, default_alarm_offset INTEGER, type INTEGER,
    constraint_path TEXT, disabled INTEGER, external_id TEXT, persistent_id TEXT, flags INTEGER,
    creator_bundle_id TEXT, creator_code_signing_identity TEXT, only_creator_can_modify INTEGER,
    external_mod_tag TEXT, preferred_event_private_value INTEGER, strictest_event_private_value INTEGER,
    last_sync_error INTEGER, last_sync_start REAL, last_sync_end REAL, UUID TEXT);
CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER, title TEXT, flags INTEGER,
    color TEXT, symbolic_color_name TEXT, color_is_display INTEGER, type TEXT, supported_entity_types INTEGER,
    external_id TEXT, external_mod_tag TEXT, external_id_tag TEXT, external_rep BLOB, display_order INTEGER,
    UUID TEXT, shared_owner_name TEXT, shared_owner_address TEXT, sharing_status INTEGER,
    sharing_invitation_response INTEGER, published_URL TEXT, is_published INTEGER, invitation_status INTEGER,
    sync_token TEXT, self_identity_id INTEGER, self_identity_email TEXT, self_identity_phone_number TEXT,
    owner_identity_id INTEGER, owner_identity_email TEXT, owner_identity_phone_number TEXT, notes TEXT,
    bulk_requests BLOB, subcal_account_id TEXT, push_key TEXT, digest BLOB, refresh_date REAL,
    subscription_id TEXT, last_sync_title TEXT, pubsub_info BLOB, sync_error INTEGER, image TEXT,
    max_attendees INTEGER, locale TEXT, last_published_URL TEXT);
CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, location_id INTEGER,
    client_location_id INTEGER, description TEXT, start_date REAL, start_tz TEXT, end_date REAL, end_tz TEXT,
    all_day INTEGER, calendar_id INTEGER, orig_item_id INTEGER, orig_date REAL, organizer_id INTEGER,
    self_attendee_id INTEGER, status INTEGER, invitation_status INTEGER, availability INTEGER,
    privacy_level INTEGER, url TEXT, last_modified REAL, sequence_num INTEGER, birthday_id INTEGER,
    modified_properties INTEGER, external_tracking_status INTEGER, external_id TEXT, external_mod_tag TEXT,
    unique_identifier TEXT, external_schedule_id TEXT, external_rep BLOB, response_comment TEXT,
    last_synced_response_comment TEXT, hidden INTEGER, has_recurrences INTEGER, has_attendees INTEGER,
    UUID TEXT, entity_type INTEGER, priority INTEGER, due_date REAL, due_tz TEXT, due_all_day INTEGER,
    completion_date REAL, creation_date REAL, action TEXT, app_link BLOB, display_order INTEGER,
    created_by_id INTEGER, modified_by_id INTEGER, shared_item_created_date REAL, shared_item_created_tz TEXT,
    shared_item_modified_date REAL, shared_item_modified_tz TEXT, invitation_changed_properties INTEGER,
    default_alarm_removed INTEGER, phantom_master INTEGER, participation_status_modified_date REAL,
    calendar_scale TEXT, travel_time INTEGER, travel_advisory_behavior INTEGER, start_location_id INTEGER,
    suggested_event_info_id INTEGER, first_alert_date REAL, proposed_start_date REAL, can_forward INTEGER,
    location_prediction_state INTEGER, fired_ttl INTEGER, disallow_propose_new_time INTEGER,
    structured_data BLOB, local_structured_data BLOB, junk_status INTEGER, conference_url TEXT,
    conference_url_detected TEXT, special_day_type INTEGER, image_id INTEGER);
CREATE TABLE Location (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, address TEXT, latitude INTEGER,
    longitude INTEGER, reference_frame INTEGER, address_book_id TEXT, mapkit_handle BLOB, radius INTEGER,
    routing TEXT, derived_from TEXT, item_owner_id INTEGER, alarm_owner_id INTEGER);
CREATE TABLE Identity (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, display_name TEXT, address TEXT,
    first_name TEXT, last_name TEXT, external_id TEXT,
    UNIQUE (display_name, address, first_name, last_name, external_id));
CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, type INTEGER,
    status INTEGER, pending_status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER,
    external_rep BLOB, UUID TEXT, email TEXT, phone_number TEXT, is_self INTEGER, comment TEXT,
    schedule_agent INTEGER, flags INTEGER, last_modified REAL, proposed_start_date REAL, invited_by TEXT,
    proposed_start_date_status INTEGER, comment_last_modified REAL);
CREATE TABLE Recurrence (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, frequency INTEGER, interval INTEGER,
    week_start INTEGER, count INTEGER, cached_end_date REAL, cached_end_date_tz TEXT, end_date REAL,
    specifier TEXT, by_month_months INTEGER, owner_id INTEGER, external_id TEXT, external_mod_tag TEXT,
    external_id_tag TEXT, external_rep BLOB, UUID TEXT);
CREATE TABLE Alarm (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, trigger_date REAL, trigger_interval INTEGER,
    type INTEGER, calendaritem_owner_id INTEGER, calendar_owner_id INTEGER, external_id TEXT,
    external_mod_tag TEXT, external_id_tag TEXT, external_rep BLOB, UUID TEXT, proximity INTEGER,
    disabled INTEGER, location_id INTEGER, acknowledgedDate REAL, default_alarm INTEGER, orig_alarm_id INTEGER,
    snoozed_alarm_id INTEGER);
CREATE TABLE ExceptionDate (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, owner_id INTEGER, date REAL,
    sync_order INTEGER);
CREATE INDEX EventHiddenEndDateStartDate on CalendarItem(hidden, end_date, start_date);
CREATE INDEX ParticipantOwnerId on Participant(owner_id);
CREATE INDEX AlarmCalendarItemOwnerId on Alarm(calendaritem_owner_id);
CREATE INDEX RecurrenceOwnerIdIndex on Recurrence(owner_id);
"""

CALENDARS = [  # title, colour
    ("Home", "#34AADCFF"),
    ("Work", "#FF2968FF"),
    ("UK Holidays", "#1BADF8FF"),
]

PEOPLE = [  # display name, address
    ("Priya Shah", "mailto:priya.shah@example.com"),
    ("Tom Baker", "mailto:tom.baker@example.com"),
    ("Alex Morgan", "mailto:alex.morgan@example.com"),
]


def apple(moment: datetime) -> float:
    """Seconds since 2001-01-01 UTC."""
    return (moment - APPLE_EPOCH).total_seconds()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def floating(year: int, month: int, day: int) -> datetime:
    """An all-day date as Calendar stores it: the day's midnight written as if it were UTC."""
    return datetime(year, month, day, tzinfo=UTC)


def _events() -> list[dict[str, object]]:
    """The sample events (title, times, calendar, location, repeats, alerts, attendees)."""
    return [
        {"summary": "Team meeting", "start": local(2024, 4, 8, 10), "hours": 1, "cal": 2,
         "location": ("Meeting room 3", "1 Canada Square, London E14 5AB"), "rrule": (2, 1, 0, None, "D=0MO"),
         "alarms": [-900], "attendees": True, "exceptions": [local(2024, 4, 22, 10)],
         "notes": "Weekly sync. Agenda in the shared doc."},
        {"summary": "Daily stand-up", "start": local(2024, 4, 15, 9, 15), "hours": 0.25, "cal": 2,
         "rrule": (1, 1, 10, None, "")},
        {"summary": "Book club", "start": local(2024, 1, 11, 19), "hours": 2, "cal": 1,
         "location": ("The Crown", "12 High Street, Oxford"), "rrule": (3, 1, 0, None, "D=+2TH")},
        {"summary": "Mum's birthday", "start": floating(2024, 6, 14), "all_day": True, "cal": 1,
         "rrule": (4, 1, 0, None, "")},
        {"summary": "Early May bank holiday", "start": floating(2024, 5, 6), "all_day": True, "cal": 3},
        {"summary": "Good Friday", "start": floating(2024, 3, 29), "all_day": True, "cal": 3},
        {"summary": "Easter Monday", "start": floating(2024, 4, 1), "all_day": True, "cal": 3},
        {"summary": "Dentist", "start": local(2024, 4, 18, 14, 30), "hours": 0.5, "cal": 1,
         "location": ("Smile Dental", "4 Park Road, Oxford OX1 2AB"), "alarms": [-3600, -86400]},
        {"summary": "Flight BA 0117 to New York", "start": local(2024, 5, 20, 8, 25), "hours": 8, "cal": 1,
         "location": ("London Heathrow Terminal 5", ""), "alarms": [-10800],
         "notes": "Booking ref XJ7K2P. Seat 32A."},
        {"summary": "Hotel check-in", "start": local(2024, 5, 20, 15), "hours": 1, "cal": 1,
         "location": ("The Jane Hotel", "113 Jane St, New York, NY 10014")},
        {"summary": "Quarterly review", "start": local(2024, 3, 27, 13), "hours": 2, "cal": 2, "attendees": True,
         "alarms": [-1800]},
        {"summary": "Gym", "start": local(2024, 3, 4, 7), "hours": 1, "cal": 1,
         "rrule": (2, 1, 0, local(2024, 6, 30, 23, 59), "D=0MO,0WE,0FR")},
        {"summary": "Pay council tax", "start": local(2024, 4, 1, 9), "hours": 0.5, "cal": 1,
         "rrule": (3, 1, 10, None, "O=1"), "alarms": [0]},
        {"summary": "Car MOT", "start": local(2024, 2, 12, 8, 30), "hours": 1, "cal": 1,
         "location": ("Kwik Fit", "Botley Road, Oxford")},
        {"summary": "Lunch with Priya", "start": local(2024, 4, 25, 12, 30), "hours": 1.5, "cal": 1,
         "location": ("Dishoom", "King's Cross, London N1C 4AB")},
        {"summary": "Parents' evening", "start": local(2024, 3, 14, 18), "hours": 1, "cal": 1},
        {"summary": "Project deadline", "start": floating(2024, 5, 31), "all_day": True, "cal": 2,
         "alarms": [-86400 * 2]},
        {"summary": "Summer holiday", "start": floating(2024, 8, 3), "days": 14, "all_day": True, "cal": 1,
         "notes": "Cornwall cottage, key in the lockbox (code 4471)."},
        {"summary": "Interview: Sam Lee", "start": local(2024, 4, 30, 16), "hours": 1, "cal": 2,
         "deleted": True},
        {"summary": "Surprise party planning", "start": local(2024, 4, 27, 20), "hours": 2, "cal": 1,
         "deleted": True, "location": ("Jo's flat", "")},
        {"summary": "Yoga class", "start": local(2024, 4, 9, 18, 30), "hours": 1, "cal": 1,
         "rrule": (2, 2, 0, None, "D=0TU")},
    ]


def build(path: str) -> None:
    """Write the sample database at ``path``."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.execute("PRAGMA page_size=4096")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion', '20054')")
    conn.execute("INSERT INTO Store (name, type, UUID) VALUES ('iCloud', 2, '6F1B5C1E-5A7D-4A63-9B2B-3D4F7C1A2B01')")
    for i, (title, color) in enumerate(CALENDARS, start=1):
        conn.execute("INSERT INTO Calendar (store_id, title, color, supported_entity_types, UUID, display_order)"
                     " VALUES (1, ?, ?, 4, ?, ?)", (title, color, f"C0FFEE00-0000-4000-8000-00000000000{i}", i))
    for name, address in PEOPLE:
        first, last = name.split(" ", 1)
        conn.execute("INSERT INTO Identity (display_name, address, first_name, last_name) VALUES (?,?,?,?)",
                     (name, address, first, last))
    created = apple(SAMPLE_NOW - timedelta(days=90))
    deleted: list[int] = []
    for n, ev in enumerate(_events(), start=1):
        start: datetime = ev["start"]  # type: ignore[assignment]
        all_day = bool(ev.get("all_day"))
        if all_day:
            end = start + timedelta(days=float(ev.get("days", 1))) - timedelta(seconds=1)
        else:
            end = start + timedelta(hours=float(ev.get("hours", 1)))
        tz = "_float" if all_day else "Europe/London"
        uid = f"5A3C{n:04d}-7B2E-4C1D-9E8F-0A1B2C3D{n:04d}"
        cur = conn.execute(
            "INSERT INTO CalendarItem (summary, description, start_date, start_tz, end_date, end_tz, all_day,"
            " calendar_id, status, availability, privacy_level, last_modified, unique_identifier, UUID, entity_type,"
            " priority, creation_date, hidden, has_recurrences, has_attendees, invitation_status, sequence_num)"
            " VALUES (?,?,?,?,?,?,?,?,1,?,0,?,?,?,2,0,?,0,?,?,0,0)",
            (ev["summary"], ev.get("notes"), apple(start), tz, apple(end), tz, int(all_day), ev["cal"],
             1 if all_day else 0, created + n * 3600, uid, uid, created + n * 60, int("rrule" in ev),
             int(bool(ev.get("attendees")))),
        )
        item = cur.lastrowid
        if "location" in ev:
            title, address = ev["location"]  # type: ignore[misc]
            loc = conn.execute("INSERT INTO Location (title, address, item_owner_id) VALUES (?,?,?)",
                               (title, address or None, item)).lastrowid
            conn.execute("UPDATE CalendarItem SET location_id=? WHERE ROWID=?", (loc, item))
        if "rrule" in ev:
            freq, interval, count, until, spec = ev["rrule"]  # type: ignore[misc]
            conn.execute("INSERT INTO Recurrence (frequency, interval, week_start, count, end_date, specifier,"
                         " owner_id, UUID) VALUES (?,?,0,?,?,?,?,?)",
                         (freq, interval, count, apple(until) if until else None, spec or None, item,
                          f"REC-{n:04d}"))
        for seconds in ev.get("alarms", []):  # type: ignore[attr-defined]
            conn.execute("INSERT INTO Alarm (trigger_interval, type, calendaritem_owner_id, UUID, disabled)"
                         " VALUES (?, 0, ?, ?, 0)", (seconds, item, f"ALARM-{n:04d}-{seconds}"))
        for moment in ev.get("exceptions", []):  # type: ignore[attr-defined]
            conn.execute("INSERT INTO ExceptionDate (owner_id, date) VALUES (?, ?)", (item, apple(moment)))
        if ev.get("attendees"):
            # Organizer: Priya (accepted, chair); attendees: Alex (the owner, accepted), Tom (tentative).
            org = conn.execute("INSERT INTO Participant (entity_type, type, status, role, identity_id, owner_id,"
                               " email, is_self, UUID) VALUES (8, 1, 2, 3, 1, ?, 'priya.shah@example.com', 0, ?)",
                               (item, f"P-{n}-1")).lastrowid
            conn.execute("INSERT INTO Participant (entity_type, type, status, role, identity_id, owner_id, email,"
                         " is_self, UUID) VALUES (7, 1, 2, 1, 3, ?, 'alex.morgan@example.com', 1, ?)",
                         (item, f"P-{n}-2"))
            conn.execute("INSERT INTO Participant (entity_type, type, status, role, identity_id, owner_id, email,"
                         " is_self, UUID) VALUES (7, 1, 4, 2, 2, ?, 'tom.baker@example.com', 0, ?)",
                         (item, f"P-{n}-3"))
            conn.execute("UPDATE CalendarItem SET organizer_id=? WHERE ROWID=?", (org, item))
        if ev.get("deleted"):
            deleted.append(item)  # type: ignore[arg-type]
    conn.commit()
    for item in deleted:
        conn.execute("DELETE FROM CalendarItem WHERE ROWID=?", (item,))
        conn.execute("DELETE FROM Location WHERE item_owner_id=?", (item,))
    conn.commit()
    conn.close()


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """The sample Calendar database in the HomeDomain."""
    path = ctx.scratch_path("calendar/Calendar.sqlitedb")
    build(str(path))
    yield SampleFile("HomeDomain", "Library/Calendar/Calendar.sqlitedb", path.read_bytes(),
                     mtime=SAMPLE_NOW - timedelta(hours=2))
