"""Messages: the sample sms.db (iOS 17 schema) scanned into a case, live and deleted messages."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reclaim.artifacts.messages import _target_guid, attachment_locations
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.content import contacts as sample_contacts
from reclaim.sample.content import messages as sample
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS

SAM = "+447700900456"


@pytest.fixture(scope="module")
def sample_files() -> list:
    ctx = SampleContext()
    return [*sample_contacts.files(ctx), *sample.files(ctx)]


@pytest.fixture(scope="module")
def case(sample_files: list, tmp_path_factory: pytest.TempPathFactory) -> CaseReader:
    folder = tmp_path_factory.mktemp("case")
    result = scan(MemoryFS(sample_files), folder, kinds=["messages"])
    (status,) = result.kinds
    assert status.reason == "" and status.warnings == []
    return CaseReader(folder)


@pytest.fixture(scope="module")
def messages(case: CaseReader) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in case.records("messages")}


def by_text(messages: dict[str, dict[str, Any]], text: str) -> dict[str, Any]:
    (found,) = [m for m in messages.values() if m["text"] == text]
    return found


def test_message_17(messages: dict[str, dict[str, Any]]) -> None:
    m = messages["sms:17"]
    assert m["text"] == "Are we still on for climbing on Saturday?"
    assert (m["sender"], m["sender_id"], m["direction"]) == ("Sam Carter", SAM, "incoming")
    assert m["date"] == "2024-03-03T14:56:00Z"
    assert (m["chat"], m["chat_id"], m["service"]) == ("Sam Carter", f"messages:{SAM}", "iMessage")


def test_owner_and_conversations(case: CaseReader, messages: dict[str, dict[str, Any]]) -> None:
    reply = by_text(messages, sample.SCRIPT["reply"])
    assert (reply["sender"], reply["direction"]) == ("Alex Morgan", "outgoing")  # the owner's "My Card"
    chats = {c["chat"]: c for c in case.chats("messages")}
    assert {"Sam Carter", "Priya Patel", "Climbing Crew 🧗", "Mum", "王小明", "فاطمة الزهراء", "Henry Fox",
            "+447700900011", "Chloé Dubois"} <= set(chats)
    assert chats["Henry Fox"]["messages"] == 18  # handle "Henry.Fox@iCloud.example", saved in lower case
    group = [m for m in messages.values() if m["chat"] == "Climbing Crew 🧗"]
    assert group[0]["chat_members"] == ["Sam Carter", "Jamie Lee", "Leo King"]
    system = [m["text"] for m in group if m["direction"] == "system"]
    assert system == ["Sam Carter named the conversation “Climbing Crew 🧗”", "Sam Carter added Leo King"]
    assert {m["sender"] for m in group if m["direction"] == "incoming"} <= {"Sam Carter", "Jamie Lee", "Leo King"}
    assert any(m["text"] == "你好！周末有空吗？" and m["sender"] == "王小明" for m in messages.values())


def test_attributed_body_only(messages: dict[str, dict[str, Any]]) -> None:
    m = by_text(messages, sample.SCRIPT["attributed_only"])
    assert m["sender"] == "Sam Carter"


def test_edited_message_keeps_every_version(messages: dict[str, dict[str, Any]]) -> None:
    versions = sample.SCRIPT["edited"]
    m = by_text(messages, versions[-1])
    assert m["status"] == "edited"
    assert [e["text"] for e in m["edits"]] == list(versions)
    assert [e["date"] for e in m["edits"]] == ["2024-03-04T13:23:00Z", "2024-03-04T13:24:00Z",
                                               "2024-03-04T13:26:00Z"]


def test_unsent_message(messages: dict[str, dict[str, Any]]) -> None:
    (m,) = [m for m in messages.values() if m["status"] == "unsent"]
    assert m["text"] == "" and m["direction"] == "outgoing" and m["chat"] == "Sam Carter"


def test_reactions_attach_to_their_target(messages: dict[str, dict[str, Any]]) -> None:
    target = by_text(messages, "Can't wait, it's going to be epic")
    assert [(r["sender"], r["reaction"], r["name"]) for r in target["reactions"]] == [
        ("Alex Morgan", "❤️", "Loved"), ("Sam Carter", "😂", "Laughed")]  # Sam's like was taken back
    assert not any(m["text"].startswith(("Loved “", "Liked “", "Laughed at")) for m in messages.values())


def test_reply_quotes_its_original(messages: dict[str, dict[str, Any]]) -> None:
    m = by_text(messages, sample.SCRIPT["reply"])
    assert m["quote"]["sender"] == "Sam Carter"
    assert m["quote"]["text"] == sample.SCRIPT["replied_to"]


def test_link_preview_card(messages: dict[str, dict[str, Any]]) -> None:
    m = by_text(messages, sample.SCRIPT["link"])
    assert m["card"] == {"type": "link", "title": "Bristol climbing guide", "description": "Walls, boulders and cafés",
                         "url": sample.SCRIPT["link"], "extra": {"site": "example.com"}}


def test_heic_attachment_and_its_jpeg_preview(case: CaseReader, messages: dict[str, dict[str, Any]],
                                              sample_files: list) -> None:
    (heic,) = [a for m in messages.values() for a in m["attachments"] if a["name"] == "IMG_4821.HEIC"]
    original = next(f.data for f in sample_files if f.path.endswith("/IMG_4821.HEIC"))
    assert heic["sha256"] == hashlib.sha256(original).hexdigest()
    assert heic["mime"] == "image/heic" and not heic["missing"]
    assert heic["origin"].startswith("MediaDomain/Library/SMS/Attachments/")
    assert heic["preview_mime"] == "image/jpeg"
    preview = case.media_path(heic["preview"])
    assert preview is not None
    with Image.open(io.BytesIO(preview.read_bytes())) as img:
        assert img.format == "JPEG" and img.size == (160, 120)


def test_jpeg_and_missing_attachments(messages: dict[str, dict[str, Any]]) -> None:
    plans = by_text(messages, "The plans")  # the attachment's placeholder character is dropped from the text
    assert [(a["name"], a["mime"], a["missing"]) for a in plans["attachments"]] == [("plans.jpg", "image/jpeg", False)]
    (movie,) = [a for m in messages.values() for a in m["attachments"] if a["name"] == "IMG_0007.MOV"]
    assert movie["missing"] and movie["sha256"] is None


def test_invoice_sms_is_searchable(case: CaseReader) -> None:
    hits = list(case.search("invoice", kinds=["messages"]))
    assert [h["text"] for h in hits] == [sample.SCRIPT["invoice"]]
    assert hits[0]["service"] == "SMS" and hits[0]["chat"] == "Bristol Dental Care"


def test_recently_deleted_conversation(messages: dict[str, dict[str, Any]]) -> None:
    for text in sample.SCRIPT["recently_deleted"]:
        m = by_text(messages, text)
        assert m["deleted"] and m["provenance"]["area"] == "app"
        assert m["chat"] == "Chloé Dubois" and m["date_deleted"] == "2024-04-29T09:30:00Z"


def test_messages_deleted_for_good_are_recovered(messages: dict[str, dict[str, Any]]) -> None:
    for text in sample.SCRIPT["deleted"]:
        m = by_text(messages, text)
        assert m["deleted"] is True
        assert m["provenance"]["area"] in {"freeblock", "unallocated", "freelist"}
        assert (m["chat"], m["sender"], m["direction"]) == ("Priya Patel", "Alex Morgan", "outgoing")
    secret = by_text(messages, sample.SCRIPT["wal_deleted"])
    assert secret["deleted"] and secret["provenance"]["area"].startswith("wal")
    assert secret["chat"] == "Climbing Crew 🧗" and secret["date"] == "2024-05-01T03:30:00Z"
    wal_live = by_text(messages, "Last one in the WAL: see you all at 8")
    assert not wal_live["deleted"] and wal_live["sender"] == "Jamie Lee"


def test_deleted_reactions_are_recovered(messages: dict[str, dict[str, Any]]) -> None:
    """A tapback carved with the message it reacted to joins that message's reactions; one deleted on its
    own (its message still there) is a recovered line quoting that message."""
    secret = by_text(messages, sample.SCRIPT["wal_deleted"])
    assert secret["reactions"] == [{"sender": "Leo King", "sender_id": "+447700900111", "reaction": "❤️",
                                    "name": "Loved", "date": "2024-05-01T03:40:00Z", "recovered": True}]
    assert sample.SCRIPT["secret_loved"] not in {m["text"] for m in messages.values()}  # not a bubble of its own
    line = by_text(messages, sample.SCRIPT["deleted_reaction"])
    assert (line["deleted"], line["status"], line["direction"], line["chat"]) == (
        True, "reaction", "outgoing", "Climbing Crew 🧗")
    assert line["provenance"]["area"].startswith("wal") and line["date"] == "2024-05-01T05:30:00Z"
    assert line["quote"] == {"guid": by_text(messages, "Last one in the WAL: see you all at 8")["guid"],
                             "sender": "Jamie Lee", "text": "Last one in the WAL: see you all at 8"}


def test_deleted_message_keeps_its_picture(case: CaseReader, messages: dict[str, dict[str, Any]],
                                           sample_files: list) -> None:
    caption, name = sample.SCRIPT["deleted_picture"]
    m = by_text(messages, caption)
    assert m["deleted"] is True and m["provenance"]["area"] in {"freeblock", "unallocated", "freelist"}
    assert (m["chat"], m["direction"], m["date"]) == ("Priya Patel", "outgoing", "2024-03-08T14:37:00Z")
    (picture,) = m["attachments"]
    original = next(f.data for f in sample_files if f.path.endswith(f"/{name}"))
    assert (picture["name"], picture["mime"], picture["missing"]) == (name, "image/jpeg", False)
    assert picture["sha256"] == hashlib.sha256(original).hexdigest()
    assert case.media_path(picture["sha256"]).read_bytes() == original
    assert picture["note"].startswith("attachment row recovered from sms.db")
    assert [h["text"] for h in case.search(name, kinds=["messages"])] == [caption]  # found by the file's name


def _older_sms_db(tmp_path: Path, wal: bool) -> list:
    """An sms.db whose attachment rows outlive their messages (no clean-up trigger), and the files."""
    import sqlite3

    path = tmp_path / "sms.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(sample.SCHEMA.split("CREATE TRIGGER")[0])
    if wal:  # nothing checkpointed: the deleted rows stay whole in the -wal's older frames
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
    writer = sample._Writer(conn, SampleContext())
    writer.chat("sam", (SAM,), "iMessage", "")
    when = sample.SAMPLE_NOW - sample.timedelta(days=3)
    for i in range(30):
        writer.message("sam", when + sample.timedelta(minutes=i), text=f"filler {i} " * 8, from_me=bool(i % 2))
    kept, _ = writer.message("sam", when + sample.timedelta(hours=1), text="\ufffcLook!", from_me=False,
                             cache_has_attachments=1)
    writer.attach(kept, "beach.jpg", sample.image_bytes("JPEG", (10, 120, 200)), "image/jpeg", "public.jpeg",
                  when + sample.timedelta(hours=1), False)
    lost, _ = writer.message("sam", when + sample.timedelta(hours=2), text="\ufffcAnd this", from_me=True,
                             cache_has_attachments=1)
    writer.attach(lost, "cleaned.jpg", None, "image/jpeg", "public.jpeg", when + sample.timedelta(hours=2), True)
    for i in range(3):  # later pictures keep the freed join cells inside the page (freeblocks)
        later, _ = writer.message("sam", when + sample.timedelta(hours=3 + i), text="\ufffc", from_me=False,
                                  cache_has_attachments=1)
        writer.attach(later, f"later{i}.jpg", None, "image/jpeg", "public.jpeg", when + sample.timedelta(hours=3 + i),
                      False)
    for rowid in (kept, lost):
        sample._delete(conn, rowid)
    assert conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 5  # the rows stay behind
    main = path.read_bytes()
    log = path.with_name("sms.db-wal").read_bytes() if wal else b""
    conn.close()
    database = [sample.SampleFile(sample.DOMAIN, sample.SMS_DB, main)]
    if wal:
        database.append(sample.SampleFile(sample.DOMAIN, sample.SMS_DB + "-wal", log))
    return [*writer.files, *database]


@pytest.mark.parametrize(("wal", "how"), [
    (True, "its attachment row is still in sms.db; the link was recovered"),  # the join row is carved whole
    (False, "attachment row still in sms.db, matched to the message by its time"),  # the join cell is too damaged
])
def test_recovered_message_uses_the_attachment_row_left_behind(tmp_path: Path, wal: bool, how: str) -> None:
    files = _older_sms_db(tmp_path, wal)
    scan(MemoryFS(files), tmp_path / "case", kinds=["messages"])
    with CaseReader(tmp_path / "case") as case:
        found = {m["text"]: m for m in case.records("messages") if m["deleted"]}
    assert set(found) == {"Look!", "And this"}
    (beach,) = found["Look!"]["attachments"]
    assert beach["sha256"] == hashlib.sha256(files[0].data).hexdigest() and not beach["missing"]
    assert beach["note"] == how
    (cleaned,) = found["And this"]["attachments"]  # iOS already removed the file: listed as missing
    assert (cleaned["name"], cleaned["missing"], cleaned["sha256"]) == ("cleaned.jpg", True, None)
    assert cleaned["origin"].startswith("MediaDomain/Library/SMS/Attachments/")


def test_attachment_file_without_a_message_is_recovered(case: CaseReader, messages: dict[str, dict[str, Any]],
                                                        sample_files: list) -> None:
    left = [m for m in messages.values() if (m["provenance"] or {}).get("area") == "leftover-file"]
    assert len(left) == 1  # flat.jpg, shown by its carved message, is not listed again
    (orphan,) = left
    assert (orphan["chat"], orphan["chat_id"], orphan["deleted"], orphan["text"]) == (
        "Attachments without a message", "messages:leftover-attachments", True, "")
    assert (orphan["date"], orphan["date_source"]) == (
        sample.ORPHAN_TIME.isoformat().replace("+00:00", "Z"), "file time")
    (picture,) = orphan["attachments"]
    original = next(f.data for f in sample_files if f.path == sample.ORPHAN_ATTACHMENT)
    assert (picture["name"], picture["mime"], picture["missing"]) == ("IMG_2093.JPG", "image/jpeg", False)
    assert picture["sha256"] == hashlib.sha256(original).hexdigest()
    assert case.media_path(picture["sha256"]).read_bytes() == original
    assert picture["origin"] == f"MediaDomain/{sample.ORPHAN_ATTACHMENT}"
    shown = [a["origin"] for m in messages.values() if m is not orphan for a in m["attachments"]]
    assert picture["origin"] not in shown


def test_leftover_file_keeps_the_name_its_orphan_row_gives(tmp_path: Path) -> None:
    """The message rows are wiped (VACUUM), the attachment row and the file stay: its name and direction."""
    import sqlite3

    files = _older_sms_db(tmp_path, False)
    db = tmp_path / "vacuumed.db"
    db.write_bytes(next(f.data for f in files if f.path == sample.SMS_DB))
    with sqlite3.connect(db) as conn:
        conn.execute("VACUUM")
    files = [f if f.path != sample.SMS_DB else sample.SampleFile(sample.DOMAIN, sample.SMS_DB, db.read_bytes())
             for f in files]
    scan(MemoryFS(files), tmp_path / "case", kinds=["messages"])
    with CaseReader(tmp_path / "case") as case:
        deleted = [m for m in case.records("messages") if m["deleted"]]
    assert [(m["chat"], m["direction"], m["provenance"]["area"]) for m in deleted] == [
        ("Attachments without a message", "incoming", "leftover-file")]
    (beach,) = deleted[0]["attachments"]
    assert (beach["name"], beach["sha256"]) == ("beach.jpg", hashlib.sha256(files[0].data).hexdigest())
    assert beach["note"] == "its attachment row is still in sms.db; no message uses it"


def test_no_leftovers_without_deleted_recovery(sample_files: list, tmp_path: Path) -> None:
    from reclaim.case.context import ScanOptions

    scan(MemoryFS(sample_files), tmp_path / "c", kinds=["messages"], options=ScanOptions(recover_deleted=False))
    with CaseReader(tmp_path / "c") as case:
        assert not [m for m in case.records("messages") if (m["provenance"] or {}).get("area") == "leftover-file"]


def test_helpers() -> None:
    assert _target_guid("p:0/ABC-1") == "ABC-1" and _target_guid("bp:ABC-2") == "ABC-2"
    assert attachment_locations("~/Library/SMS/Attachments/ab/12/G/x.jpg")[0] == (
        "MediaDomain", "Library/SMS/Attachments/ab/12/G/x.jpg")
    assert attachment_locations("/var/mobile/Library/SMS/Attachments/ab/x.jpg")[0] == (
        "MediaDomain", "Library/SMS/Attachments/ab/x.jpg")


def test_through_a_real_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.context import ScanOptions
    from reclaim.sources import open_source

    with open_source(sample_backup) as fs:
        scan(fs, tmp_path / "case", kinds=["messages"], options=ScanOptions(recover_deleted=False))
    with CaseReader(tmp_path / "case") as case:
        m17 = next(m for m in case.records("messages") if m["id"] == "sms:17")
        assert (m17["text"], m17["sender"]) == ("Are we still on for climbing on Saturday?", "Sam Carter")


def test_fast_live_path_builds_the_same_records(sample_files: list, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ordinary live rows go through ``plain_message``; with it off, ``message`` builds identical records."""
    from reclaim.artifacts import messages as module
    from reclaim.case.context import ScanContext, ScanOptions

    def records() -> list[dict[str, Any]]:
        ctx = ScanContext(MemoryFS(sample_files), None, ScanOptions(recover_deleted=True), kind="messages")
        return [r.to_json() for r in module.MessagesArtifact().extract(ctx)]

    built: list[str] = []
    plain = module._SmsReader.plain_message

    def counting(self: Any, row: tuple, chat: Any) -> Any:
        record = plain(self, row, chat)
        if record is not None:
            built.append(record.id)
        return record

    monkeypatch.setattr(module._SmsReader, "plain_message", counting)
    fast = records()
    monkeypatch.setattr(module._SmsReader, "plain_message", lambda self, row, chat: None)
    slow = records()
    assert fast == slow
    live = [r for r in fast if not r["deleted"]]
    assert len(built) > len(live) * 0.7  # the fast path really ran, on most live messages
    by_id = {r["id"]: r for r in fast}
    assert any(by_id[i]["attachments"] for i in built) and any(by_id[i]["quote"] for i in built)
    assert any(by_id[i]["direction"] == "outgoing" for i in built) and any(by_id[i]["reactions"] for i in built)
    assert any(by_id[i]["text"] == sample.SCRIPT["attributed_only"] for i in built)


def test_every_sample_body_reads_the_same_through_the_fast_path(sample_files: list) -> None:
    from reclaim.case.context import ScanContext
    from reclaim.decoders.typedstream import TypedStreamError, decode_attributed_body, plain_body_text

    ctx = ScanContext(MemoryFS(sample_files), None)
    entry = ctx.get(sample.DOMAIN, sample.SMS_DB)
    assert entry is not None
    fast = 0
    with ctx.database(entry) as db:
        bodies = [bytes(r[0]) for r in db.rows("SELECT attributedBody FROM message WHERE attributedBody IS NOT NULL")]
    for blob in bodies:
        try:
            full = decode_attributed_body(blob).text
        except TypedStreamError:
            full = ""
        found = plain_body_text(blob)
        if found is not None:
            fast += 1
            assert found == full
    assert len(bodies) > 100 and fast == len(bodies)  # the sample writes the plain layout only


def test_an_sms_db_from_before_tapbacks(tmp_path: Path) -> None:
    """sms.db before iOS 10 has no associated_message_type (nor attributedBody, summaries, effects): every
    row is a message; the deleted one comes back from free space."""
    import sqlite3

    from reclaim.case.context import ScanOptions
    from reclaim.sample.model import SampleFile

    path = tmp_path / "sms.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript("""
        CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
          replace INTEGER DEFAULT 0, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, service TEXT,
          account TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
          is_delivered INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0,
          cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, item_type INTEGER DEFAULT 0, group_title TEXT);
        CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT,
          service TEXT NOT NULL);
        CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
          state INTEGER, chat_identifier TEXT, service_name TEXT, room_name TEXT, display_name TEXT);
        CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);
        CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, PRIMARY KEY (chat_id, message_id));
        INSERT INTO handle VALUES (1, '+447700900456', 'gb', 'SMS');
        INSERT INTO chat VALUES (1, 'SMS;-;+447700900456', 45, 3, '+447700900456', 'SMS', NULL, NULL);
        INSERT INTO chat_handle_join VALUES (1, 1);
    """)
    for i in range(1, 13):  # seconds since 2001, as iOS wrote them before iOS 11
        conn.execute("INSERT INTO message(guid, text, handle_id, service, date, is_from_me) VALUES (?,?,1,'SMS',?,?)",
                     (f"OLD-{i}", f"message {i} from the iPhone 5 days, long enough to be carved back", 400_000_000
                      + i * 60, i % 2))
        conn.execute("INSERT INTO chat_message_join VALUES (1, ?)", (i,))
    conn.commit()
    conn.execute("DELETE FROM chat_message_join WHERE message_id = 7")
    conn.execute("DELETE FROM message WHERE ROWID = 7")
    conn.commit()
    conn.close()
    folder = tmp_path / "case"
    scan(MemoryFS([SampleFile("HomeDomain", "Library/SMS/sms.db", path.read_bytes())]), folder, kinds=["messages"],
         options=ScanOptions(recover_deleted=True))
    with CaseReader(folder) as case:
        (status,) = [k for k in case.kinds() if k["kind"] == "messages"]
        found = {m["text"].split(" from")[0]: m for m in case.records("messages")}
    assert (status["live"], status["deleted"], status["reason"]) == (11, 1, "")
    second = found["message 2"]
    assert (second["date"], second["direction"], second["sender_id"], second["chat"]) == (
        "2013-09-04T15:08:40Z", "incoming", "+447700900456", "+447700900456")
    assert found["message 7"]["deleted"] and found["message 7"]["provenance"]["area"] in {"freeblock", "unallocated"}
