"""Ordinary SMS and iMessages stored as shaped rows give the very case the record objects give.

A scan hands the plainest messages of each conversation (text and dates, nothing more) to the case
store as shaped rows of the conversation's shape for their direction and service (see
``reclaim.case.store.SCHEMA``); the case's ``records`` view rebuilds each record's row and JSON.
Here the sample's sms.db, with awkward rows added, is scanned that way and with shapes turned
off, and the two cases are compared column by column (the JSON byte for byte), in the scan's
process and through the staging process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from case_support import scanned_case

from reclaim.artifacts import messages
from reclaim.artifacts.base import ShapedRows
from reclaim.case import store
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.sample.content import contacts as sample_contacts
from reclaim.sample.content import messages as sample
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS

NS = 1_000_000_000
T = 760_000_000 * NS  # 2025-01-31 07:06:40 UTC, in sms.db's nanoseconds since 2001
SAM_CHAT, CREW_CHAT = 1, 3  # the sample's chat with Sam Carter, and its group
#: (text, is_from_me, chat, handle, date, extra columns): every awkward value a plain message can hold.
ROWS: list[tuple[object, ...]] = [
    ('quote " and \\ back\\slash', 0, SAM_CHAT, 1, T, {}),
    ("line\nbreak\ttab\r bell\x07", 1, SAM_CHAT, 0, T + 1, {}),
    ("100% sure %s %d %%", 0, SAM_CHAT, 1, T + 2, {}),
    ("emoji 😀 and \u2028 separator, 中文", 0, CREW_CHAT, 4, T + 3, {}),
    ("nul \x00 inside", 0, SAM_CHAT, 1, T + 4, {}),
    ("odd nanoseconds", 0, SAM_CHAT, 1, T + 123_456_789, {"date_read": T + 987_654_321}),
    ("seconds, not nanoseconds", 1, SAM_CHAT, 0, 760_000_100, {"date_delivered": 760_000_101}),
    ("no date", 0, SAM_CHAT, 1, 0, {}),
    ("service missing", 0, SAM_CHAT, 1, T + 5, {"service": None}),
    ("as SMS", 0, SAM_CHAT, 1, T + 6, {"service": "SMS"}),
    ("a guid with a quote", 0, SAM_CHAT, 1, T + 7, {"guid": 'G"1'}),
    ("with a subject", 0, SAM_CHAT, 1, T + 8, {"subject": "Re: plans"}),
    ("failed", 1, SAM_CHAT, 0, T + 9, {"error": 4}),
    ("an effect", 1, SAM_CHAT, 0, T + 10, {"expressive_send_style_id": "com.apple.MobileSMS.expressivesend.loud"}),
    ("Sam Carter", 0, SAM_CHAT, 1, T + 11, {}),  # the sender's name is the text: not added to the search words
    ("", 0, SAM_CHAT, 1, T + 12, {}),
    ("unknown handle", 0, SAM_CHAT, 99, T + 13, {}),
    ("to the renamed group", 0, CREW_CHAT, 4, T + 14, {}),
]


def _files(tmp_path: Path, group_name: str) -> list[SampleFile]:
    """The sample's contacts and sms.db, the database with :data:`ROWS` added and the group renamed."""
    ctx = SampleContext()
    files = [*sample_contacts.files(ctx), *sample.files(ctx)]
    (sms,) = [f for f in files if f.path == sample.SMS_DB]
    (wal,) = [f for f in files if f.path == sample.SMS_DB + "-wal"]
    path = tmp_path / "sms.db"
    assert isinstance(sms.data, bytes) and isinstance(wal.data, bytes)
    path.write_bytes(sms.data)
    path.with_name("sms.db-wal").write_bytes(wal.data)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")  # the WAL's rows and every change in the one file
    conn.execute("UPDATE chat SET display_name = ? WHERE ROWID = ?", (group_name, CREW_CHAT))
    for number, (text, from_me, chat, handle, date, extra) in enumerate(ROWS):
        values = {"guid": f"SHAPED-{number}", "text": text, "is_from_me": from_me, "handle_id": handle, "date": date,
                  "service": "iMessage", **extra}
        rowid = conn.execute(f"INSERT INTO message({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                             list(values.values())).lastrowid
        conn.execute("INSERT INTO chat_message_join(chat_id, message_id, message_date) VALUES (?, ?, ?)",
                     (chat, rowid, date))
    conn.commit()
    conn.close()
    return [f if f is not sms else SampleFile(sms.domain, sms.path, path.read_bytes()) for f in files if f is not wal]


@pytest.mark.parametrize(("child", "group_name"), [
    (False, "Climbing Crew 🧗"), (True, "100% \"Crew\" %s"), (True, "Crew \x00 with a NUL")],
    ids=["in the scan", "staging process, a name with % and quotes", "a name with NUL"])
def test_shaped_rows_give_the_case_record_objects_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       child: bool, group_name: str) -> None:
    if child:
        monkeypatch.setattr(store, "BATCH", 7)
    files = _files(tmp_path, group_name)
    fast = scanned_case(files, tmp_path / "fast", "messages")
    monkeypatch.setattr(messages._SmsReader, "shaped_row", lambda self, row, chat: None)
    slow = scanned_case(files, tmp_path / "slow", "messages")
    assert len(fast[0]) == len(slow[0]) > 240
    for quick, record in zip(*(rows for rows, _ in (fast, slow)), strict=True):
        assert quick == record
    assert fast[1] == slow[1]
    ours = {row[11].split('"guid":"SHAPED-', 1)[1].split('"', 1)[0]: row for row in fast[0] if "SHAPED-" in row[11]}
    by_text = {ROWS[int(number)][0]: row for number, row in ours.items()}
    odd = by_text["odd nanoseconds"]
    assert odd[3] == "2025-01-31T07:06:40.123457Z" and '"date_read":"2025-01-31T07:06:40.987654Z"' in odd[11]
    assert by_text["Sam Carter"][10] == "Sam Carter"  # the sender's name once: the text holds it
    with store.CaseReader(tmp_path / "fast") as case:
        shaped = {row[0] for row in case.conn.execute("SELECT s.id || e.n FROM entries e JOIN shapes s USING (shape)")}
    plain = {by_text[t][2] for t in ("odd nanoseconds", "seconds, not nanoseconds", "service missing", "as SMS",
                                     "Sam Carter", "", "unknown handle", ROWS[0][0], ROWS[2][0])}
    whole = {by_text[t][2] for t in ("with a subject", "failed", "an effect", "no date", ROWS[4][0])}
    assert plain <= shaped and not whole & shaped and "SHAPED-" not in str(shaped)
    assert '"guid":"G\\"1"' in next(row[11] for row in fast[0] if "a guid with a quote" in row[11])
    assert (by_text["to the renamed group"][2] in shaped) == ("\x00" not in group_name)  # printf stops at a NUL
    assert len(shaped) > 150  # most of the sample's messages are plain


def test_a_scan_hands_plain_messages_over_as_shaped_rows(tmp_path: Path) -> None:
    files = _files(tmp_path, "Climbing Crew 🧗")
    shapes: list[tuple[str, ...]] = []
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="messages",
                      shapes=lambda shape: shapes.append(shape) or len(shapes))
    records = list(messages.MessagesArtifact().extract(ctx))
    shaped = [row for r in records if isinstance(r, ShapedRows) for row in r.rows]
    sam = [row for row in shaped if row[4] == "messages:+447700900456" and row[10] == "odd nanoseconds"]
    assert len(sam) == 1 and sam[0][1] == "2025-01-31T07:06:40.123457Z" and sam[0][5] == "Sam Carter"
    assert sam[0][12:] == ('"2025-01-31T07:06:40.987654Z"', "null")
    assert shapes[sam[0][2] - 1][:4] == ("sms:", "HomeDomain/Library/SMS/sms.db", "Sam Carter", "Sam Carter")
    by_key = {(s[2], '"direction":"outgoing"' in s[4], '"service":"SMS"' in s[4]) for s in shapes}
    assert ("Sam Carter", True, False) in by_key and ("Sam Carter", False, True) in by_key  # a shape per each
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="messages")
    assert not any(isinstance(r, ShapedRows) for r in messages.MessagesArtifact().extract(ctx))  # no case writer


def test_a_database_of_mostly_other_messages_is_read_the_usual_way(tmp_path: Path) -> None:
    """When most of the latest messages have more to them than text (here an edit summary, four in five), the
    shaped path would read them twice: the scan reads every row whole instead."""
    import plistlib

    files = _files(tmp_path, "Climbing Crew 🧗")
    (sms,) = [f for f in files if f.path == sample.SMS_DB]
    path = tmp_path / "summaries.db"
    assert isinstance(sms.data, bytes)
    path.write_bytes(sms.data)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE message SET message_summary_info = ? WHERE message_summary_info IS NULL AND ROWID % 5",
                 (plistlib.dumps({}, fmt=plistlib.FMT_BINARY),))  # four in five: a fifth is still plain
    conn.commit()
    conn.close()
    files = [f if f is not sms else SampleFile(sms.domain, sms.path, path.read_bytes()) for f in files]
    shapes: list[tuple[str, ...]] = []
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="messages",
                      shapes=lambda shape: shapes.append(shape) or len(shapes))
    records = list(messages.MessagesArtifact().extract(ctx))
    assert not shapes and not any(isinstance(r, ShapedRows) for r in records) and len(records) > 240
