"""Sample call history: ~50 calls in ``CallHistory.storedata`` (the iOS 17 Core Data schema).

Phone, FaceTime audio/video and WhatsApp calls, incoming, outgoing and missed, to
contacts, unknown numbers and an Apple ID, plus one group FaceTime call with
participants. Three calls are deleted from the main file with ``secure_delete`` off;
the most recent calls exist only in the ``-wal``, and one of them is deleted again.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "HomeDomain"
STORE = "Library/CallHistoryDB/CallHistory.storedata"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

SCHEMA = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
CREATE TABLE ZCALLDBPROPERTIES (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKEY VARCHAR, ZVALUE VARCHAR);
CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZANSWERED INTEGER,
 ZAUTOANSWEREDREASON INTEGER, ZCALLDIRECTORYIDENTITYTYPE INTEGER, ZCALL_CATEGORY INTEGER, ZCALLTYPE INTEGER,
 ZCOMMUNICATIONTRUSTSCORE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA INTEGER,
 ZFILTERED_OUT_REASON INTEGER, ZHANDLE_TYPE INTEGER, ZHASMESSAGE INTEGER, ZJUNKCONFIDENCE INTEGER,
 ZNEEDEDSCANNOUNCEMENT INTEGER, ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZORIGINATINGUITYPE INTEGER,
 ZREAD INTEGER, ZSCREENSHARINGTYPE INTEGER, ZUSEDEMERGENCYVIDEOSTREAMING INTEGER, ZVERIFICATIONSTATUS INTEGER,
 ZWASEMERGENCYCALL INTEGER, ZINITIATOR INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR,
 ZBLOCKEDBYEXTENSION VARCHAR, ZBLOCKEDBYEXTENSIONNAME VARCHAR, ZIDENTITYEXTENSION VARCHAR, ZISO_COUNTRY_CODE VARCHAR,
 ZJUNKIDENTIFICATIONCATEGORY VARCHAR, ZLOCATION VARCHAR, ZNAME VARCHAR, ZORIGINATINGDEVICENAME VARCHAR,
 ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR, ZCONVERSATIONID BLOB, ZIMAGEURL VARCHAR,
 ZLOCALPARTICIPANTUUID BLOB, ZOUTGOINGLOCALPARTICIPANTUUID BLOB, ZPARTICIPANTGROUPUUID BLOB, ZREMINDERUUID BLOB);
CREATE TABLE ZHANDLE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZTYPE INTEGER, ZNORMALIZEDVALUE VARCHAR,
 ZVALUE VARCHAR);
CREATE TABLE Z_2REMOTEPARTICIPANTHANDLES (Z_2REMOTEPARTICIPANTCALLS INTEGER, Z_4REMOTEPARTICIPANTHANDLES INTEGER,
 PRIMARY KEY (Z_2REMOTEPARTICIPANTCALLS, Z_4REMOTEPARTICIPANTHANDLES));
CREATE INDEX Z_2REMOTEPARTICIPANTHANDLES_Z_4REMOTEPARTICIPANTHANDLES_INDEX ON Z_2REMOTEPARTICIPANTHANDLES
 (Z_4REMOTEPARTICIPANTHANDLES, Z_2REMOTEPARTICIPANTCALLS);
CREATE INDEX Z_CallRecord_byDateIndex ON ZCALLRECORD (ZDATE COLLATE BINARY ASC);
CREATE UNIQUE INDEX Z_CallRecord_UNIQUE_unique_id ON ZCALLRECORD (ZUNIQUE_ID COLLATE BINARY ASC);
CREATE INDEX Z_Handle_byValueIndex ON ZHANDLE (ZVALUE COLLATE BINARY ASC);
CREATE INDEX Z_Handle_byNormalizedValueIndex ON ZHANDLE (ZNORMALIZEDVALUE COLLATE BINARY ASC);
"""

PHONE, FT_VIDEO, FT_AUDIO, APP = 1, 8, 16, 0
TELEPHONY, FACETIME, WHATSAPP = "com.apple.Telephony", "com.apple.FaceTime", "net.whatsapp.WhatsApp"

#: (address, call type, provider, location) of the people the owner calls.
PARTIES = (
    ("+447700900456", PHONE, TELEPHONY, "United Kingdom"),   # Sam Carter
    ("+447700900345", PHONE, TELEPHONY, "United Kingdom"),   # Mum
    ("+447700900789", FT_VIDEO, FACETIME, ""),               # Priya Patel
    ("Henry.Fox@iCloud.example", FT_AUDIO, FACETIME, ""),    # an Apple ID
    ("+8613800138000", APP, WHATSAPP, ""),                   # 王小明 over WhatsApp
    ("+441174960123", PHONE, TELEPHONY, "Bristol"),          # the dentist
    ("+447700900011", PHONE, TELEPHONY, "United Kingdom"),   # not in Contacts
    ("+971501234567", FT_AUDIO, FACETIME, ""),               # فاطمة
)
#: A call deleted from the main file, and one deleted from the WAL (the tests look for them).
DELETED_NUMBER = "+447700900987"   # Jordan Blake, whose card was deleted too
WAL_DELETED_NUMBER = "+447700900654"


def _seconds(when: datetime) -> float:
    return (when - APPLE_EPOCH).total_seconds()


class _Writer:
    def __init__(self, conn: sqlite3.Connection, ctx: SampleContext) -> None:
        self.conn = conn
        #: Private to this module, so the content is the same whatever other modules drew before it.
        self.rng = random.Random(f"calls:{ctx.seed}")
        self.pk = 0

    def call(self, when: datetime, address: str, call_type: int, provider: str, *, outgoing: bool,
             answered: bool, duration: float, location: str = "") -> int:
        self.pk += 1
        uid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).upper()
        self.conn.execute(
            "INSERT INTO ZCALLRECORD (Z_PK, Z_ENT, Z_OPT, ZANSWERED, ZCALLTYPE, ZDISCONNECTED_CAUSE, ZFACE_TIME_DATA,"
            " ZHANDLE_TYPE, ZNUMBER_AVAILABILITY, ZORIGINATED, ZREAD, ZJUNKCONFIDENCE, ZDATE, ZDURATION, ZADDRESS,"
            " ZISO_COUNTRY_CODE, ZLOCATION, ZSERVICE_PROVIDER, ZUNIQUE_ID)"
            " VALUES (?,2,1,?,?,?,?,?,0,?,1,0,?,?,?,?,?,?,?)",
            (self.pk, int(answered), call_type, 0 if answered else 6, None, 3 if "@" in address else 2,
             int(outgoing), _seconds(when), duration, address, "gb", location or None, provider, uid))
        return self.pk


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """CallHistory.storedata and its -wal."""
    path = ctx.scratch_path("calls/CallHistory.storedata")
    for p in (path, path.with_name(path.name + "-wal")):
        p.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (1, 'CallDBProperties', 0, 0), (2, 'CallRecord', 0, 0),"
                 " (3, 'Handle', 0, 0)")
    w = _Writer(conn, ctx)
    rng = w.rng
    conn.execute("BEGIN")
    when = SAMPLE_NOW - timedelta(days=45)
    for _ in range(44):
        when += timedelta(hours=rng.randint(3, 40), minutes=rng.randint(0, 59))
        address, call_type, provider, location = rng.choice(PARTIES)
        outgoing = rng.random() < 0.5
        answered = outgoing or rng.random() < 0.7
        duration = float(rng.randint(15, 1800)) if answered else 0.0
        if outgoing and rng.random() < 0.15:
            duration, answered = 0.0, False  # cancelled before anyone answered
        w.call(when, address, call_type, provider, outgoing=outgoing, answered=answered, duration=duration,
               location=location)
    group = w.call(SAMPLE_NOW - timedelta(days=2, hours=4), "", FT_VIDEO, FACETIME, outgoing=False, answered=True,
                   duration=1260.5)
    for n, value in enumerate(("+447700900456", "+447700900234", "+447700900111"), start=1):
        conn.execute("INSERT INTO ZHANDLE VALUES (?, 3, 1, 2, ?, ?)", (n, value, value))
        conn.execute("INSERT INTO Z_2REMOTEPARTICIPANTHANDLES VALUES (?, ?)", (group, n))
    doomed = [w.call(SAMPLE_NOW - timedelta(days=30, hours=h), DELETED_NUMBER, PHONE, TELEPHONY, outgoing=True,
                     answered=True, duration=95.0 + h, location="United Kingdom") for h in (1, 2)]
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.executemany("DELETE FROM ZCALLRECORD WHERE Z_PK = ?", [(pk,) for pk in doomed])
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("BEGIN")
    w.call(SAMPLE_NOW - timedelta(hours=3), "+447700900345", PHONE, TELEPHONY, outgoing=False, answered=False,
           duration=0.0, location="United Kingdom")
    secret = w.call(SAMPLE_NOW - timedelta(hours=2), WAL_DELETED_NUMBER, PHONE, TELEPHONY, outgoing=True,
                    answered=True, duration=42.0, location="United Kingdom")
    w.call(SAMPLE_NOW - timedelta(hours=1), "+447700900456", FT_AUDIO, FACETIME, outgoing=True, answered=True,
           duration=300.0)
    conn.execute("COMMIT")
    conn.execute("DELETE FROM ZCALLRECORD WHERE Z_PK = ?", (secret,))
    main, wal = path.read_bytes(), path.with_name(path.name + "-wal").read_bytes()
    conn.close()
    mtime = SAMPLE_NOW - timedelta(minutes=50)
    yield SampleFile(DOMAIN, STORE, main, mtime=mtime)
    yield SampleFile(DOMAIN, STORE + "-wal", wal, mtime=mtime)
