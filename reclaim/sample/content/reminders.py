"""Sample Reminders store (iOS 17 Core Data schema): two lists, ~15 reminders, subtasks, completed ones.

One reminder is in the app's "Recently Deleted" (marked for deletion) and one row
is deleted outright with ``secure_delete`` off, so the carver can recover it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
STORE_UUID = "8E6B1D7A-2F4C-4B9E-A1D3-5C7F9B2E4A60"
DOMAIN = "AppDomainGroup-group.com.apple.reminders"

SCHEMA = """
CREATE TABLE ZREMCDBASELIST ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISGROUP INTEGER,
    ZMARKEDFORDELETION INTEGER, ZSHOULDCATEGORIZEGROCERYITEMS INTEGER, ZSORTINGSTYLE INTEGER, ZACCOUNT INTEGER,
    ZCKCLOUDSTATE INTEGER, ZPARENTLIST INTEGER, ZSHAREEPARTICIPANT INTEGER, Z_FOK_PARENTLIST INTEGER,
    ZDAISNOTIFICATIONSCOLLECTION INTEGER, ZCREATIONDATE TIMESTAMP, ZLASTMODIFIEDDATE TIMESTAMP,
    ZBADGEEMBLEM VARCHAR, ZCKIDENTIFIER VARCHAR, ZCKOWNERNAME VARCHAR, ZCKZONEOWNERNAME VARCHAR,
    ZDACALENDARITEMUNIQUEIDENTIFIER VARCHAR, ZDAEXTERNALIDENTIFIER VARCHAR, ZNAME VARCHAR,
    ZREMINDERIDSMERGEABLEORDERING_V2_JSON VARCHAR, ZCOLOR BLOB, ZIDENTIFIER BLOB,
    ZMEMBERSHIPSOFREMINDERSINSECTIONSASDATA BLOB, ZREMINDERIDSMERGEABLEORDERING BLOB,
    ZRESOLUTIONTOKENMAP BLOB, ZRESOLUTIONTOKENMAP_V2_JSONDATA BLOB, ZCKSERVERRECORDDATA BLOB );
CREATE TABLE ZREMCDREMINDER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZALLDAY INTEGER,
    ZCKDIRTYFLAGS INTEGER, ZCOMPLETED INTEGER, ZDISPLAYDATEISALLDAY INTEGER,
    ZEFFECTIVEMINIMUMSUPPORTEDAPPVERSION INTEGER, ZFLAGGED INTEGER, ZICSDISPLAYORDER INTEGER,
    ZISURGENTSTATEENABLEDFORCURRENTUSER INTEGER, ZMARKEDFORDELETION INTEGER, ZMINIMUMSUPPORTEDAPPVERSION INTEGER,
    ZPRIORITY INTEGER, ZSPOTLIGHTINDEXCOUNT INTEGER, ZACCOUNT INTEGER, ZASSIGNMENT INTEGER, ZCKCLOUDSTATE INTEGER,
    ZLIST INTEGER, Z_FOK_LIST INTEGER, ZPARENTREMINDER INTEGER, Z_FOK_PARENTREMINDER INTEGER,
    ZCOMPLETIONDATE TIMESTAMP, ZCREATIONDATE TIMESTAMP, ZDISPLAYDATEDATE TIMESTAMP,
    ZDISPLAYDATEUPDATEDFORSECONDSFROMGMT TIMESTAMP, ZDUEDATE TIMESTAMP, ZLASTBANNERPRESENTATIONDATE TIMESTAMP,
    ZLASTMODIFIEDDATE TIMESTAMP, ZSTARTDATE TIMESTAMP, ZCKIDENTIFIER VARCHAR, ZCKOWNERNAME VARCHAR,
    ZCKZONEOWNERNAME VARCHAR, ZDACALENDARITEMUNIQUEIDENTIFIER VARCHAR, ZDAEXTERNALIDENTIFIER VARCHAR,
    ZDISPLAYDATETIMEZONE VARCHAR, ZNOTES VARCHAR, ZTIMEZONE VARCHAR, ZTITLE VARCHAR, ZIDENTIFIER BLOB,
    ZNOTESDOCUMENT BLOB, ZTITLEDOCUMENT BLOB, ZRESOLUTIONTOKENMAP_V3_JSONDATA BLOB, ZCKSERVERRECORDDATA BLOB );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE INDEX ZREMCDREMINDER_ZLIST_INDEX ON ZREMCDREMINDER (ZLIST);
CREATE INDEX ZREMCDREMINDER_ZPARENTREMINDER_INDEX ON ZREMCDREMINDER (ZPARENTREMINDER);
"""

LISTS = ["Reminders", "Groceries"]

#: title, list, due (days from now, hour) or None, completed days ago or None, priority, flagged, notes, parent
REMINDERS: list[tuple] = [
    ("Renew passport", 1, (12, 9), None, 1, True, "Form is in the desk drawer; photos from Boots.", None),
    ("Book flights to New York", 1, (-30, 18), 25, 5, False, "", None),
    ("Call the plumber about the boiler", 1, (2, 10), None, 1, False, "Ask for Dave: 01865 555012", None),
    ("Send invoice to Harper & Co", 1, (-3, 12), 2, 5, True, "Invoice INV-2024-031, £1,250", None),
    ("Pay council tax", 1, (-29, 9), 29, 0, False, "", None),
    ("Plan Mum's birthday", 1, (40, 9), None, 0, False, "", None),
    ("Order cake", 1, None, None, 0, False, "Chocolate, 'Happy 70th'", "Plan Mum's birthday"),
    ("Invite the cousins", 1, None, 5, 0, False, "", "Plan Mum's birthday"),
    ("Return library books", 1, (-1, 17), None, 9, False, "", None),
    ("Milk", 2, None, 1, 0, False, "", None),
    ("Sourdough bread", 2, None, None, 0, False, "", None),
    ("Eggs (free range)", 2, None, None, 0, False, "", None),
    ("Coffee beans", 2, None, 3, 0, False, "", None),
    ("Tomatoes", 2, None, None, 0, False, "", None),
    ("Olive oil", 2, None, None, 0, False, "", None),
]
#: In "Recently Deleted" (ZMARKEDFORDELETION = 1), and deleted outright (only the carver finds it).
MARKED = ("Cancel gym membership", 1, (5, 9), None, 0, False, "", None)
ERASED = ("Buy anniversary present", 1, (20, 9), None, 1, True, "Secret!", None)


def apple(moment: datetime) -> float:
    """Seconds since 2001-01-01 UTC."""
    return (moment - APPLE_EPOCH).total_seconds()


def build(path: str) -> None:
    """Write the sample store at ``path``."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?,?,?,?)", [
        (1, "REMCDAccount", 0, 1), (2, "REMCDBaseList", 0, 2), (3, "REMCDList", 2, 2),
        (4, "REMCDReminder", 0, 18)])
    created = SAMPLE_NOW - timedelta(days=60)
    for pk, name in enumerate(LISTS, start=1):
        conn.execute("INSERT INTO ZREMCDBASELIST (Z_PK, Z_ENT, Z_OPT, ZISGROUP, ZMARKEDFORDELETION, ZACCOUNT,"
                     " ZCREATIONDATE, ZLASTMODIFIEDDATE, ZCKIDENTIFIER, ZNAME, ZIDENTIFIER)"
                     " VALUES (?, 3, 1, 0, 0, 1, ?, ?, ?, ?, ?)",
                     (pk, apple(created), apple(created), f"LIST-{pk}", name,
                      uuid.uuid5(uuid.NAMESPACE_URL, f"list:{name}").bytes))
    titles: dict[str, int] = {}
    rows = [*REMINDERS[:4], ERASED, *REMINDERS[4:], MARKED]
    for pk, (title, list_pk, due, done, priority, flagged, notes, parent) in enumerate(rows, start=1):
        due_at = (SAMPLE_NOW.replace(hour=0, minute=0, second=0) + timedelta(days=due[0], hours=due[1])
                  if due else None)
        done_at = SAMPLE_NOW - timedelta(days=done, hours=3) if done is not None else None
        made = created + timedelta(days=pk, minutes=17 * pk)
        ident = uuid.uuid5(uuid.NAMESPACE_URL, f"reminder:{title}")
        conn.execute(
            "INSERT INTO ZREMCDREMINDER (Z_PK, Z_ENT, Z_OPT, ZALLDAY, ZCOMPLETED, ZFLAGGED, ZMARKEDFORDELETION,"
            " ZPRIORITY, ZACCOUNT, ZLIST, ZPARENTREMINDER, ZCOMPLETIONDATE, ZCREATIONDATE, ZDUEDATE,"
            " ZLASTMODIFIEDDATE, ZCKIDENTIFIER, ZDACALENDARITEMUNIQUEIDENTIFIER, ZNOTES, ZTIMEZONE, ZTITLE,"
            " ZIDENTIFIER) VALUES (?, 4, 1, 0, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pk, int(done_at is not None), int(flagged), int((title, list_pk) == MARKED[:2]), priority, list_pk,
             titles.get(parent) if parent else None, apple(done_at) if done_at else None, apple(made),
             apple(due_at) if due_at else None, apple(done_at or made), str(ident).upper(), str(ident).upper(),
             notes or None, "Europe/London" if due_at else None, title, ident.bytes),
        )
        titles[title] = pk
    conn.commit()
    conn.execute("DELETE FROM ZREMCDREMINDER WHERE ZTITLE = ?", (ERASED[0],))
    conn.commit()
    conn.close()


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """The sample Reminders store in the Reminders app group (iOS 17 location)."""
    path = ctx.scratch_path("reminders/Data.sqlite")
    build(str(path))
    yield SampleFile(DOMAIN, f"Container_v1/Stores/Data-{STORE_UUID}.sqlite", path.read_bytes(),
                     mtime=SAMPLE_NOW - timedelta(hours=1))
