"""Messages from the sms.db of iOS 4 and iOS 5 (before the iOS 6 handle/chat tables), scanned into a case.

The fixtures are built with the schemas those versions shipped (iOS 4 as AllYourTexts recorded it, iOS 5 as
it appears in sms.db dumps, the ``madrid_*`` columns included); see docs/kinds/messages.md, "iOS 3–5".
"""

from __future__ import annotations

import hashlib
import plistlib
import sqlite3
from pathlib import Path
from typing import Any

import case_support
import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS

PRIYA = "+447700900456"
SAM = "+447700900111"
JO = "+447700900222"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
PREVIEW = b"\x89PNG\r\n\x1a\n" + b"preview" * 20
PHOTO = b"\xff\xd8\xff\xe1" + b"iMessage photo " * 40 + b"\xff\xd9"
LONG = " — long enough for its cell to be carved back from the free space of the page"

IOS4_SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT, date INTEGER, text TEXT, flags INTEGER,
  replace INTEGER, svc_center TEXT, group_id INTEGER, association_id INTEGER, height INTEGER, UIFlags INTEGER,
  version INTEGER, subject TEXT, country TEXT, headers BLOB, recipients BLOB, read INTEGER);
CREATE TABLE msg_group (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER, newest_message INTEGER,
  unread_count INTEGER, hash INTEGER);
CREATE TABLE group_member (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER, address TEXT, country TEXT);
CREATE TABLE msg_pieces (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER, data BLOB, part_id INTEGER,
  preview_part INTEGER, content_type TEXT, height INTEGER, version INTEGER, flags INTEGER, content_id TEXT,
  content_loc TEXT, headers BLOB);
CREATE INDEX message_group_index ON message(group_id, ROWID);
CREATE INDEX message_flags_index ON message(flags);
CREATE INDEX pieces_message_index ON msg_pieces(message_id);
CREATE INDEX group_id_index ON group_member(group_id);
"""

#: iOS 5 adds the iMessage ("madrid") columns to message, and the madrid_attachment and madrid_chat tables.
IOS5_SCHEMA = IOS4_SCHEMA.replace("recipients BLOB, read INTEGER);", """recipients BLOB, read INTEGER,
  madrid_attributedBody BLOB, madrid_handle TEXT, madrid_version INTEGER, madrid_guid TEXT, madrid_type INTEGER,
  madrid_roomname TEXT, madrid_service TEXT, madrid_account TEXT, madrid_flags INTEGER, madrid_attachmentInfo BLOB,
  madrid_url TEXT, madrid_error INTEGER, is_madrid INTEGER, madrid_date_read INTEGER, madrid_date_delivered INTEGER,
  madrid_account_guid TEXT);""") + """
CREATE TABLE madrid_attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, attachment_guid TEXT, created_date INTEGER,
  start_date INTEGER, filename TEXT, uti_type TEXT, mime_type TEXT, transfer_state INTEGER, is_incoming INTEGER,
  message_id INTEGER);
CREATE TABLE madrid_chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, style INTEGER, state INTEGER, account_id TEXT,
  properties BLOB, chat_identifier TEXT, service_name TEXT, guid TEXT, room_name TEXT, account_login TEXT,
  participants BLOB);
CREATE INDEX madrid_guid_index ON message(madrid_guid);
CREATE INDEX madrid_attachment_message_index ON madrid_attachment(message_id);
CREATE INDEX madrid_chat_room_name_index ON madrid_chat(room_name);
"""


def address_book(path: Path) -> bytes:
    """An AddressBook.sqlitedb naming Priya, Sam and the owner (My Card)."""
    return case_support.address_book(path, [("Priya", "Shah", "07700 900456"), ("Sam", "Carter", "+44 7700 900111"),
                                            ("Alex", "Morgan", "07700 900999")], me=3)


def message_row(conn: sqlite3.Connection, **values: Any) -> int:
    """Insert one message row (the columns given) and return its ROWID."""
    names = ", ".join(values)
    marks = ", ".join("?" * len(values))
    return conn.execute(f"INSERT INTO message ({names}) VALUES ({marks})", tuple(values.values())).lastrowid or 0


def ios4_db(path: Path) -> bytes:
    """An iOS 4 sms.db: a one-to-one SMS conversation with an MMS, a group, odd rows and one row deleted."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(IOS4_SCHEMA)
    conn.executescript(f"""
        INSERT INTO msg_group VALUES (1, 0, 0, 0, 11), (2, 1, 0, 0, 22);
        INSERT INTO group_member (group_id, address, country) VALUES (1, '{PRIYA}', 'gb'), (2, '{SAM}', 'gb'),
            (2, '{JO}', 'gb');
    """)
    sms = {"group_id": 1, "address": PRIYA, "country": "gb", "read": 1}
    message_row(conn, text="I'm waiting for you at the station", flags=2, date=1297304329, **sms)  # 1
    message_row(conn, text="On my way", flags=3, date=1297304400, **sms)  # 2
    mms = message_row(conn, text=None, flags=2, date=1297305000, subject="Holiday", **sms)  # 3
    conn.execute("INSERT INTO msg_pieces (message_id, data, part_id, content_type, content_loc) VALUES"
                 " (?, ?, 0, 'text/plain', 'text_0001.txt'), (?, NULL, 1, 'image/jpeg', 'IMG_0541.jpg')",
                 (mms, b"Look at this view", mms))
    message_row(conn, text="a flags value nobody has documented", flags=99, date=1297305100, **sms)  # 4
    message_row(conn, text="this one never left the phone", flags=33, date=1297305200, **sms)  # 5
    message_row(conn, text="Group hello from Sam", flags=2, date=1297305300, group_id=2, address=SAM)  # 6
    for i in range(7, 19):
        message_row(conn, text=f"filler {i}{LONG}", flags=2 + i % 2, date=1297306000 + i, **sms)
    message_row(conn, text="deleted in the Messages app", flags=129, date=1297307000, **sms)  # 19
    message_row(conn, text=b"text stored as a blob", flags="2", date=1297307100, **sms)  # 20: odd types
    message_row(conn, text="no date at all", flags=2, date=None, **sms)  # 21
    message_row(conn, text="a date that is not one", flags=2, date="yesterday", address=PRIYA, group_id="x")  # 22
    conn.commit()
    conn.execute("DELETE FROM message WHERE ROWID = 9")
    conn.commit()
    conn.close()
    return path.read_bytes()


def ios5_db(path: Path) -> bytes:
    """An iOS 5 sms.db: SMS and iMessage with one person, an iMessage group, an attachment, one iMessage deleted."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(IOS5_SCHEMA)
    conn.executescript(f"""
        INSERT INTO msg_group VALUES (1, 0, 0, 0, 11);
        INSERT INTO group_member (group_id, address, country) VALUES (1, '{PRIYA}', 'gb');
    """)
    participants = plistlib.dumps([SAM, PRIYA], fmt=plistlib.FMT_BINARY)
    conn.execute("INSERT INTO madrid_chat (style, state, chat_identifier, service_name, guid, room_name, participants)"
                 " VALUES (43, 3, 'chat123456789', 'Madrid', 'iMessage;+;chat123456789', 'chat123456789', ?)",
                 (participants,))
    message_row(conn, text="An SMS on iOS 5", flags=2, date=1318307200, group_id=1, address=PRIYA, is_madrid=0)  # 1
    imessage = {"is_madrid": 1, "flags": 0, "group_id": 0, "madrid_service": "Madrid", "madrid_handle": PRIYA}
    message_row(conn, text="An iMessage from Priya", madrid_flags=12289, date=340000000, madrid_guid="G-2",
                madrid_date_read=340000060, **imessage)  # 2
    message_row(conn, text="My iMessage back", madrid_flags=36869, date=340000120, madrid_guid="G-3",
                madrid_date_delivered=340000125, **imessage)  # 3
    photo = message_row(conn, text="\ufffc", madrid_flags=12289, date=340000200, madrid_guid="G-4", **imessage)  # 4
    conn.execute("INSERT INTO madrid_attachment (attachment_guid, created_date, filename, mime_type, is_incoming,"
                 " message_id) VALUES ('A-1', 340000200, '~/Library/SMS/Attachments/4f/15/A-1/IMG_0001.JPG',"
                 " 'image/jpeg', 1, ?)", (photo,))
    message_row(conn, text="disputed flags", madrid_flags=32773, date=340000300, madrid_guid="G-5", **imessage)  # 5
    message_row(conn, text="Group iMessage from Sam", madrid_flags=12289, date=340000400, madrid_guid="G-6",
                **dict(imessage, madrid_handle=SAM), madrid_roomname="chat123456789", madrid_type=1)  # 6
    for i in range(7, 19):
        message_row(conn, text=f"iMessage filler {i}{LONG}", madrid_flags=12289, date=340001000 + i,
                    madrid_guid=f"G-{i}", **imessage)
    conn.commit()
    conn.execute("DELETE FROM message WHERE ROWID = 10")
    conn.commit()
    conn.close()
    return path.read_bytes()


def scan_db(tmp_path: Path, db: bytes, *extra: SampleFile) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Scan one sms.db (with the address book and extra files); the kind's status and its records by id."""
    files = [SampleFile("HomeDomain", "Library/SMS/sms.db", db),
             SampleFile("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb", address_book(tmp_path / "ab.db")),
             *extra]
    folder = tmp_path / "case"
    scan(MemoryFS(files), folder, kinds=["messages"], options=ScanOptions(recover_deleted=True))
    with CaseReader(folder) as case:
        (status,) = [k for k in case.kinds() if k["kind"] == "messages"]
        return dict(status), {m["id"]: m for m in case.records("messages")}


@pytest.fixture(scope="module")
def ios4(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("ios4")
    return scan_db(root, ios4_db(root / "sms.db"),
                   SampleFile("MediaDomain", "Library/SMS/Parts/9d/14/3-1.jpg", JPEG),
                   SampleFile("MediaDomain", "Library/SMS/Parts/9d/14/3-1-preview", PREVIEW))


@pytest.fixture(scope="module")
def ios5(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("ios5")
    return scan_db(root, ios5_db(root / "sms.db"),
                   SampleFile("MediaDomain", "Library/SMS/Attachments/4f/15/A-1/IMG_0001.JPG", PHOTO))


def test_ios4_sms_text_sender_direction_and_unix_date(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    status, found = ios4
    assert status["reason"] == ""
    first, reply = found["sms:1"], found["sms:2"]
    assert first["text"] == "I'm waiting for you at the station"
    assert (first["sender"], first["sender_id"], first["direction"]) == ("Priya Shah", PRIYA, "incoming")
    assert first["date"] == "2011-02-10T02:18:49Z"  # Unix seconds
    assert (first["chat"], first["chat_id"], first["chat_members"]) == ("Priya Shah", f"messages:{PRIYA}",
                                                                        ["Priya Shah"])
    assert (reply["sender"], reply["direction"], reply["service"]) == ("Alex Morgan", "outgoing", "SMS")
    assert reply["chat_id"] == first["chat_id"]


def test_ios4_mms_text_subject_and_picture(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    mms = ios4[1]["sms:3"]
    assert (mms["text"], mms["subject"]) == ("Look at this view", "Holiday")
    (picture,) = mms["attachments"]
    assert (picture["name"], picture["mime"], picture["missing"]) == ("IMG_0541.jpg", "image/jpeg", False)
    assert picture["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert picture["origin"] == "MediaDomain/Library/SMS/Parts/9d/14/3-1.jpg"


def test_ios4_unknown_flags_give_no_direction(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    odd = ios4[1]["sms:4"]
    assert (odd["direction"], odd["sender"], odd["sender_id"]) == ("", "", "")
    assert odd["chat"] == "Priya Shah" and not odd["deleted"]
    failed = ios4[1]["sms:5"]
    assert (failed["direction"], failed["failed"]) == ("outgoing", True)


def test_ios4_group_conversation(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    group = ios4[1]["sms:6"]
    assert (group["chat"], group["chat_members"]) == (f"Sam Carter, {JO}", ["Sam Carter", JO])
    assert (group["sender"], group["direction"]) == ("Sam Carter", "incoming")
    assert group["chat_id"] == "messages:sms-group:2"


def test_ios4_deleted_messages(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    status, found = ios4
    (carved,) = [m for m in found.values() if m["text"] == f"filler 9{LONG}"]
    assert carved["deleted"] is True and carved["id"].startswith("sms:deleted:")
    assert carved["provenance"]["area"] in {"freeblock", "unallocated", "freelist"}
    assert (carved["chat"], carved["date"], carved["direction"]) == ("Priya Shah", "2011-02-10T02:46:49Z", "outgoing")
    flagged = found["sms:19"]  # flags 129: deleted in the app, the row still there
    assert flagged["deleted"] is True and flagged["provenance"]["area"] == "app" and flagged["direction"] == ""
    assert "sms:9" not in found
    assert status["deleted"] == 2


def test_ios4_odd_values_degrade_per_row(ios4: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    found = ios4[1]
    blob = found["sms:20"]
    assert (blob["text"], blob["date"], blob["direction"]) == ("text stored as a blob", "2011-02-10T03:05:00Z",
                                                               "incoming")
    for rowid, text in ((21, "no date at all"), (22, "a date that is not one")):
        undated = found[f"sms:{rowid}"]
        assert (undated["text"], undated["date"], undated["chat"]) == (text, None, "Priya Shah")


def test_ios5_sms_and_imessage_epochs(ios5: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    status, found = ios5
    assert status["reason"] == ""
    sms, imessage, mine = found["sms:1"], found["sms:2"], found["sms:3"]
    assert (sms["service"], sms["date"], sms["sender"]) == ("SMS", "2011-10-11T04:26:40Z", "Priya Shah")
    assert imessage["text"] == "An iMessage from Priya"
    assert (imessage["service"], imessage["date"], imessage["guid"]) == ("iMessage", "2011-10-11T04:26:40Z", "G-2")
    assert (imessage["sender"], imessage["sender_id"], imessage["direction"]) == ("Priya Shah", PRIYA, "incoming")
    assert imessage["date_read"] == "2011-10-11T04:27:40Z"
    assert (mine["direction"], mine["sender"], mine["date_delivered"]) == ("outgoing", "Alex Morgan",
                                                                           "2011-10-11T04:28:45Z")
    assert sms["chat_id"] == imessage["chat_id"] == f"messages:{PRIYA}"  # one conversation, as on the phone


def test_ios5_group_chat_and_attachment(ios5: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    found = ios5[1]
    group = found["sms:6"]
    assert (group["chat_id"], group["chat"]) == ("messages:chat123456789", "Sam Carter, Priya Shah")
    assert group["chat_members"] == ["Sam Carter", "Priya Shah"]
    assert (group["sender"], group["sender_id"], group["direction"]) == ("Sam Carter", SAM, "incoming")
    (photo,) = found["sms:4"]["attachments"]
    assert found["sms:4"]["text"] == ""
    assert (photo["name"], photo["sha256"]) == ("IMG_0001.JPG", hashlib.sha256(PHOTO).hexdigest())


def test_ios5_disputed_flags_and_deleted_imessage(ios5: tuple[dict[str, Any], dict[str, dict[str, Any]]]) -> None:
    found = ios5[1]
    disputed = found["sms:5"]
    assert (disputed["direction"], disputed["sender"]) == ("", "")
    (carved,) = [m for m in found.values() if m["text"] == f"iMessage filler 10{LONG}"]
    assert carved["deleted"] is True and carved["id"].startswith("sms:deleted:")
    assert (carved["service"], carved["date"], carved["chat"]) == ("iMessage", "2011-10-11T04:43:30Z", "Priya Shah")
    assert (carved["sender"], carved["direction"]) == ("Priya Shah", "incoming")


def test_a_message_table_of_neither_layout_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO message (body) VALUES ('not a text message')")
    conn.commit()
    conn.close()
    result = scan(MemoryFS([SampleFile("HomeDomain", "Library/SMS/sms.db", path.read_bytes())]), tmp_path / "case",
                  kinds=["messages"])
    (status,) = result.kinds
    assert status.live == 0
    assert any("not a Messages database" in w for w in status.warnings)
