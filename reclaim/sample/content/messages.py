"""Sample Messages database: ~300 messages in 10 conversations, with everything a parser must get right.

``sms.db`` is written with the iOS 17 schema (tables, columns, indexes and the
triggers that run on deletion) and holds: a named group chat with system messages,
iMessages whose text is only in ``attributedBody``, an edited and an unsent message,
tapbacks (one taken back), a reply, a link preview, HEIC and JPEG attachments (and
one whose file was offloaded), an SMS with an invoice, Chinese and Arabic
conversations, a conversation in "Recently Deleted", four messages deleted for good
from the main file (their bytes stay in its free space; one had a picture, whose file is
still in the backup) and, after the switch to WAL, recent messages that exist only in
the ``-wal`` (one of them deleted again with the reaction to it, and a reaction deleted
on its own); and a picture file left in ``Attachments`` by a message no row remembers.

:data:`SCRIPT` documents the scripted messages the tests assert on.
"""

from __future__ import annotations

import io
import plistlib
import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from reclaim.sample.content._qr import qr_screenshot
from reclaim.sample.model import SAMPLE_DEVICE, SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "HomeDomain"
SMS_DB = "Library/SMS/sms.db"
MEDIA = "MediaDomain"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
OWNER = SAMPLE_DEVICE["Phone Number"].replace(" ", "")
URL_BALLOON = "com.apple.messages.URLBalloonProvider"
#: An attachment file no row of sms.db names (its message was deleted long ago), and its time.
ORPHAN_ATTACHMENT = "Library/SMS/Attachments/5c/12/6A1F0C2E-93B4-4D7A-8E21-0B5C9D3E7F44/IMG_2093.JPG"
ORPHAN_TIME = SAMPLE_NOW - timedelta(days=75)

SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE deleted_messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, handle_id INTEGER
 REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE sync_deleted_messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL, recordID TEXT);
CREATE TABLE message_processing_task (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL,
 task_flags INTEGER NOT NULL);
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT,
 service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
CREATE TABLE sync_deleted_chats (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL, recordID TEXT,
 timestamp INTEGER);
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
 attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
CREATE TABLE sync_deleted_attachments (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL,
 recordID TEXT);
CREATE TABLE kvtable (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, key TEXT UNIQUE NOT NULL, value BLOB NOT NULL);
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, message_id INTEGER
 REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id));
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
 replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT,
 attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
 account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
 is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0,
 is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0,
 is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0,
 is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0,
 is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0,
 is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT,
 was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0,
 is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0,
 group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0,
 share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0,
 message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT,
 associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB,
 expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0,
 associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER,
 message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, ck_record_change_tag TEXT,
 destination_caller_id TEXT, is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT, sort_id INTEGER,
 is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT,
 thread_originator_part TEXT, syndication_ranges TEXT, synced_syndication_ranges TEXT,
 was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0, date_retracted INTEGER,
 date_edited INTEGER, was_detonated INTEGER DEFAULT 0, part_count INTEGER, is_stewie INTEGER DEFAULT 0,
 is_kt_verified INTEGER DEFAULT 0, is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0,
 bia_reference_id TEXT DEFAULT NULL, fallback_hash TEXT DEFAULT NULL);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
 state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT,
 account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, group_id TEXT,
 is_filtered INTEGER DEFAULT 0, successful_query INTEGER, engram_id TEXT, server_change_token TEXT,
 ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT, last_read_message_timestamp INTEGER DEFAULT 0,
 cloudkit_record_id TEXT, last_addressed_sim_id TEXT, is_blackholed INTEGER DEFAULT 0,
 syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0, is_recovered INTEGER DEFAULT 0,
 is_deleting_incoming_messages INTEGER DEFAULT 0);
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
 created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT,
 transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT,
 total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0, sticker_user_info BLOB, attribution_info BLOB,
 hide_attachment INTEGER DEFAULT 0, ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB,
 ck_record_id TEXT, original_guid TEXT UNIQUE NOT NULL, is_commsafety_sensitive INTEGER DEFAULT 0,
 emoji_image_content_identifier TEXT DEFAULT NULL, emoji_image_short_description TEXT DEFAULT NULL,
 preview_generation_state INTEGER DEFAULT 0);
CREATE TABLE chat_recoverable_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
 message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, delete_date INTEGER,
 ck_sync_state INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id), CHECK (delete_date != 0));
CREATE TABLE unsynced_removed_recoverable_messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE,
 chat_guid TEXT NOT NULL, message_guid TEXT NOT NULL, part_index INTEGER);
CREATE TABLE recoverable_message_part (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
 message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, part_index INTEGER, delete_date INTEGER,
 part_text BLOB NOT NULL, ck_sync_state INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id, part_index),
 CHECK (delete_date != 0));
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE INDEX chat_message_join_idx_message_date_id_chat_id ON chat_message_join(chat_id, message_date, message_id);
CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join(message_id);
CREATE INDEX message_attachment_join_idx_attachment_id ON message_attachment_join(attachment_id);
CREATE INDEX chat_handle_join_idx_handle_id ON chat_handle_join(handle_id);
CREATE INDEX message_idx_date ON message(date);
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE INDEX message_idx_handle_id ON message(handle_id);
CREATE INDEX message_idx_associated_message ON message(associated_message_guid);
CREATE INDEX message_idx_thread_originator_guid ON message(thread_originator_guid);
CREATE INDEX message_idx_cache_has_attachments ON message(cache_has_attachments);
CREATE INDEX message_idx_other_handle ON message(other_handle);
CREATE INDEX message_idx_is_read ON message(is_read, is_from_me, is_finished);
CREATE INDEX chat_idx_chat_identifier ON chat(chat_identifier);
CREATE INDEX chat_idx_chat_identifier_service_name ON chat(chat_identifier, service_name);
CREATE INDEX chat_idx_chat_room_name_service_name ON chat(room_name, service_name);
CREATE INDEX chat_idx_group_id ON chat(group_id);
CREATE INDEX attachment_idx_is_sticker ON attachment(is_sticker);
CREATE TRIGGER after_delete_on_message_attachment_join AFTER DELETE ON message_attachment_join BEGIN
 DELETE FROM attachment WHERE attachment.ROWID = OLD.attachment_id AND
 (SELECT 1 FROM message_attachment_join WHERE attachment_id = OLD.attachment_id LIMIT 1) IS NULL; END;
CREATE TRIGGER add_to_deleted_messages AFTER DELETE ON message BEGIN
 INSERT INTO deleted_messages (guid) VALUES (OLD.guid); END;
CREATE TRIGGER add_to_sync_deleted_messages AFTER DELETE ON message BEGIN
 INSERT INTO sync_deleted_messages (guid, recordID) VALUES (OLD.guid, OLD.ck_record_id); END;
CREATE TRIGGER after_delete_on_message_plugin AFTER DELETE ON message WHEN OLD.balloon_bundle_id IS NOT NULL BEGIN
 SELECT after_delete_message_plugin(OLD.ROWID, OLD.guid); END;
CREATE TRIGGER after_delete_on_message AFTER DELETE ON message BEGIN DELETE FROM handle
 WHERE handle.ROWID = OLD.handle_id AND (SELECT 1 from chat_handle_join WHERE handle_id = OLD.handle_id LIMIT 1) IS NULL
 AND (SELECT 1 from message WHERE handle_id = OLD.handle_id LIMIT 1) IS NULL
 AND (SELECT 1 from message WHERE other_handle = OLD.handle_id LIMIT 1) IS NULL; END;
CREATE TRIGGER update_message_date_after_update_on_message AFTER UPDATE OF date ON message BEGIN
 UPDATE chat_message_join SET message_date = NEW.date WHERE message_id = NEW.ROWID AND message_date != NEW.date; END;
CREATE TRIGGER after_delete_on_chat AFTER DELETE ON chat BEGIN
 DELETE FROM chat_message_join WHERE chat_id = OLD.ROWID; END;
"""


# -- message bodies ---------------------------------------------------------------------------------

def _ts_int(value: int) -> bytes:
    """A typedstream integer: one signed byte, or 0x81 + int16 / 0x82 + int32 (little-endian)."""
    if -110 <= value < 128:
        return (value & 0xFF).to_bytes(1, "little")
    if -0x8000 <= value < 0x8000:
        return b"\x81" + value.to_bytes(2, "little", signed=True)
    return b"\x82" + value.to_bytes(4, "little", signed=True)


def attributed_body(text: str, mutable: bool = True) -> bytes:
    """``text`` archived as Messages archives a body: an NSAttributedString typedstream with one part.

    The byte layout (class chain, back-references, the ``__kIMMessagePartAttributeName``
    run) is the one found in real ``message.attributedBody`` values.
    """
    raw = text.encode("utf-8")
    units = len(text.encode("utf-16-le")) // 2
    head = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84"
    if mutable:
        head += (b"\x19NSMutableAttributedString\x00\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00"
                 b"\x85\x92\x84\x84\x84\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95\x84\x01+")
        refs = (b"\x95", b"\x98\x98", b"\x95", b"\x9b\x9b")
    else:
        head += (b"\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94"
                 b"\x84\x01+")
        refs = (b"\x94", b"\x96\x96", b"\x94", b"\x99\x99")
    return (head + _ts_int(len(raw)) + raw + b"\x86\x84\x02iI\x01" + _ts_int(units)
            + b"\x92\x84\x84\x84\x0cNSDictionary\x00" + refs[0] + b"\x84\x01i\x01\x92\x84" + refs[1]
            + b"\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00"
            + refs[2] + b"\x84\x01*\x84" + refs[3] + b"\x00\x86\x86\x86")


def link_payload(url: str, title: str, summary: str, site: str) -> bytes:
    """A link preview's ``payload_data``: an NSKeyedArchiver ``RichLink`` with ``LPLinkMetadata``."""
    uid = plistlib.UID
    objects: list[Any] = [
        "$null",
        {"$class": uid(9), "richLinkIsPlaceholder": False, "richLinkMetadata": uid(2)},
        {"$class": uid(8), "URL": uid(3), "originalURL": uid(3), "title": uid(5), "summary": uid(6),
         "siteName": uid(7), "version": 1},
        {"$class": uid(10), "NS.base": uid(0), "NS.relative": uid(4)},
        url, title, summary, site,
        {"$classes": ["LPLinkMetadata", "NSObject"], "$classname": "LPLinkMetadata"},
        {"$classname": "RichLink"},
        {"$classes": ["NSURL", "NSObject"], "$classname": "NSURL"},
    ]
    return plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)},
                           "$objects": objects}, fmt=plistlib.FMT_BINARY)


def edit_summary(versions: list[tuple[str, datetime]]) -> bytes:
    """``message_summary_info`` of an edited message: every version of part 0 with its date."""
    first = versions[0][0]
    return plistlib.dumps({
        "amc": 0, "ust": True, "ep": [0],
        "otr": {"0": {"lo": 0, "le": len(first.encode("utf-16-le")) // 2}},
        "ec": {"0": [{"t": attributed_body(text, mutable=False), "d": _seconds(when)} for text, when in versions]},
    }, fmt=plistlib.FMT_BINARY)


def unsent_summary(length: int) -> bytes:
    """``message_summary_info`` of a message its sender unsent."""
    return plistlib.dumps({"amc": 0, "ust": True, "rp": [0], "otr": {"0": {"lo": 0, "le": length}}},
                          fmt=plistlib.FMT_BINARY)


def _seconds(when: datetime) -> float:
    return (when - APPLE_EPOCH).total_seconds()


def _ns(when: datetime) -> int:
    """Messages dates: nanoseconds since 2001-01-01 UTC."""
    return round(_seconds(when)) * 1_000_000_000


def image_bytes(fmt: str, colour: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> bytes:
    """A small real photo file (JPEG or HEIC)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).rectangle((20, 20, size[0] - 20, size[1] - 20), outline=(255, 255, 255), width=4)
    out = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    img.save(out, format=fmt, quality=80)
    return out.getvalue()


# -- the conversations -----------------------------------------------------------------------------

#: (key, handles, service, display name). Handles are as iOS canonicalises them.
CHATS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("sam", ("+447700900456",), "iMessage", ""),
    ("priya", ("+447700900789",), "iMessage", ""),
    ("crew", ("+447700900456", "+447700900234", "+447700900111"), "iMessage", "Climbing Crew 🧗"),
    ("mum", ("+447700900345",), "SMS", ""),
    ("dentist", ("+441174960123",), "SMS", ""),
    ("xiaoming", ("+8613800138000",), "iMessage", ""),
    ("fatima", ("+971501234567",), "iMessage", ""),
    ("unknown", ("+447700900011",), "SMS", ""),
    ("henry", ("Henry.Fox@iCloud.example",), "iMessage", ""),
    ("chloe", ("+33612345678",), "SMS", ""),
)

SMALL_TALK = (
    "Are you around later?", "Yes! After 6 works", "On my way", "Running 10 mins late, sorry",
    "No worries", "Did you see the match last night?", "Haha yes", "Can you send me the address?",
    "Thanks!", "See you there", "Sounds good", "Happy Friday 🎉", "Call you in 5", "👍", "Home safe",
    "What time tomorrow?", "Let's say 7", "Perfect", "Good night!", "Morning ☀️", "Traffic is awful",
    "Got it", "Love that", "I'll bring snacks", "Where did we park?", "Level 3, near the lift",
)
CHINESE = ("你好！周末有空吗？", "有空，我们去吃火锅吧", "好主意，几点？", "晚上七点老地方见", "没问题 👌")
ARABIC = ("مرحبا! كيف حالك؟", "بخير الحمد لله، وأنت؟", "هل نلتقي غدا؟", "نعم، الساعة الخامسة", "ممتاز، إلى اللقاء")

#: The scripted messages, for the tests (text → what it demonstrates).
SCRIPT = {
    "message_17": "Are we still on for climbing on Saturday?",
    "edited": ("Meet at 7?", "Meet at 7:30?", "Meet at 7:30 at the climbing wall?"),
    "unsent": "oops wrong chat",
    "reply": "Yes, bring the blue rope",
    "replied_to": "Should I bring a rope tomorrow?",
    "attributed_only": "This text lives only in attributedBody",
    "link": "https://www.example.com/climbing/bristol-guide",
    "invoice": "Bristol Dental Care: your invoice INV-2291 for £45.00 is ready. Pay at dental.example/pay",
    "deleted": ("I'm thinking of quitting my job", "Please don't tell anyone yet", "Delete this after reading"),
    "deleted_picture": ("The flat I'm viewing tomorrow", "flat.jpg"),
    "wal_deleted": "Secret: surprise party for Sam on Saturday!",
    "secret_loved": "Loved “Secret: surprise party for Sam on Saturday!”",  # a tapback, deleted with it
    "deleted_reaction": "Emphasized “Last one in the WAL: see you all at 8”",  # a tapback deleted on its own
    "recently_deleted": ("Bonjour Alex ! Ton colis est arrivé", "Merci Chloé, je passe ce soir"),
}


class _Writer:
    """Inserts rows the way Messages does (guids, joins, dates)."""

    def __init__(self, conn: sqlite3.Connection, ctx: SampleContext) -> None:
        self.conn = conn
        self.ctx = ctx
        #: Private to this module, so the content is the same whatever other modules drew before it.
        self.rng = random.Random(f"messages:{ctx.seed}")
        self.handles: dict[tuple[str, str], int] = {}
        self.chats: dict[str, tuple[int, tuple[str, ...], str, str | None]] = {}
        self.files: list[SampleFile] = []

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).upper()

    def handle(self, value: str, service: str) -> int:
        key = (value, service)
        if key not in self.handles:
            cur = self.conn.execute(
                "INSERT INTO handle (id, country, service, uncanonicalized_id, person_centric_id) VALUES (?,?,?,?,?)",
                (value, "gb", service, None, None))
            self.handles[key] = cur.lastrowid or 0
        return self.handles[key]

    def chat(self, key: str, handles: tuple[str, ...], service: str, name: str) -> None:
        group = len(handles) > 1
        room = f"chat{self.rng.randint(10**17, 10**18 - 1)}" if group else None
        identifier = room if group else handles[0]
        cur = self.conn.execute(
            "INSERT INTO chat (guid, style, state, account_id, chat_identifier, service_name, room_name,"
            " account_login, display_name, group_id, last_addressed_handle) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (f"{service};{'+' if group else '-'};{identifier}", 43 if group else 45, 3, self.guid(), identifier,
             service, room, f"P:{OWNER}", name, self.guid(), OWNER))
        rowid = cur.lastrowid or 0
        for h in handles:
            self.conn.execute("INSERT INTO chat_handle_join VALUES (?, ?)", (rowid, self.handle(h, service)))
        self.chats[key] = (rowid, handles, service, room)

    def message(self, chat: str, when: datetime, *, text: str | None, from_me: bool, sender: str | None = None,
                body_only: bool = False, **extra: Any) -> tuple[int, str]:
        """Insert one message into a chat; returns (ROWID, guid)."""
        rowid_chat, handles, service, room = self.chats[chat]
        other = sender or handles[0]
        handle_id = 0 if (from_me and room) else self.handle(other, service)
        guid = extra.pop("guid", None) or self.guid()
        values: dict[str, Any] = {
            "guid": guid, "text": None if body_only else text,
            "attributedBody": attributed_body(text) if text else None, "handle_id": handle_id,
            "service": service, "account": f"P:{OWNER}" if service != "SMS" else f"p:{OWNER}",
            "account_guid": self.guid(), "date": _ns(when), "date_read": _ns(when + timedelta(minutes=2)),
            "date_delivered": _ns(when + timedelta(seconds=3)) if from_me else 0, "is_delivered": 1,
            "is_finished": 1, "is_from_me": int(from_me), "is_read": int(not from_me), "is_sent": int(from_me),
            "cache_roomnames": room, "destination_caller_id": OWNER, "part_count": 1,
            "ck_sync_state": 0, "sort_id": 0,
        }
        values.update(extra)
        cols = ", ".join(values)
        cur = self.conn.execute(f"INSERT INTO message ({cols}) VALUES ({', '.join('?' * len(values))})",
                                tuple(values.values()))
        rowid = cur.lastrowid or 0
        self.conn.execute("INSERT INTO chat_message_join VALUES (?, ?, ?)", (rowid_chat, rowid, values["date"]))
        return rowid, guid

    def attach(self, message: int, name: str, data: bytes | None, mime: str, uti: str, when: datetime,
               from_me: bool) -> None:
        guid = self.guid()
        a, b = f"{self.rng.randint(0, 255):02x}", f"{self.rng.randint(0, 15):02d}"
        rel = f"Library/SMS/Attachments/{a}/{b}/{guid}/{name}"
        cur = self.conn.execute(
            "INSERT INTO attachment (guid, created_date, start_date, filename, uti, mime_type, transfer_state,"
            " is_outgoing, transfer_name, total_bytes, original_guid) VALUES (?,?,?,?,?,?,5,?,?,?,?)",
            (guid, int(_seconds(when)), 0, f"~/{rel}", uti, mime, int(from_me), name, len(data or b"") or 123456,
             guid))
        self.conn.execute("INSERT INTO message_attachment_join VALUES (?, ?)", (message, cur.lastrowid))
        if data is not None:
            self.files.append(SampleFile(MEDIA, rel, data, mtime=when))


def _chatter(writer: _Writer, chat: str, start: datetime, count: int, lines: tuple[str, ...],
             senders: tuple[str, ...] = ()) -> datetime:
    when = start
    rng = writer.rng
    for _ in range(count):
        when += timedelta(minutes=rng.randint(1, 240))
        from_me = rng.random() < 0.45
        sender = rng.choice(senders) if senders and not from_me else None
        writer.message(chat, when, text=rng.choice(lines), from_me=from_me, sender=sender)
    return when


def _build(conn: sqlite3.Connection, ctx: SampleContext) -> tuple[_Writer, list[int]]:
    """Everything that is committed to the main database file; returns the ROWIDs to delete for good."""
    w = _Writer(conn, ctx)
    for key, handles, service, name in CHATS:
        w.chat(key, handles, service, name)
    t = SAMPLE_NOW - timedelta(days=60)
    sam = "+447700900456"

    # Sam: ordinary chatter first; message 17 is an ordinary incoming iMessage the tests know.
    t = _chatter(w, "sam", t, 16, SMALL_TALK)
    t += timedelta(minutes=47)
    seventeen, _ = w.message("sam", t, text=SCRIPT["message_17"], from_me=False)
    assert seventeen == 17
    t = _chatter(w, "sam", t, 7, SMALL_TALK)
    _, rope = w.message("sam", t + timedelta(hours=1), text=SCRIPT["replied_to"], from_me=False)
    w.message("sam", t + timedelta(hours=1, minutes=5), text=SCRIPT["reply"], from_me=True,
              thread_originator_guid=rope, thread_originator_part="0:0:31")
    t += timedelta(hours=2)
    edits = SCRIPT["edited"]
    w.message("sam", t, text=edits[-1], from_me=True, date_edited=_ns(t + timedelta(minutes=3)),
              message_summary_info=edit_summary([(edits[0], t), (edits[1], t + timedelta(minutes=1)),
                                                 (edits[2], t + timedelta(minutes=3))]))
    _, loved = w.message("sam", t + timedelta(minutes=10), text="Can't wait, it's going to be epic", from_me=False)
    w.message("sam", t + timedelta(minutes=11), text="Loved “Can’t wait”", from_me=True,
              associated_message_guid=f"p:0/{loved}", associated_message_type=2000,
              associated_message_range_length=33)
    w.message("sam", t + timedelta(minutes=12), text="Liked “Can’t wait”", from_me=False,
              associated_message_guid=f"p:0/{loved}", associated_message_type=2001)
    w.message("sam", t + timedelta(minutes=13), text="Removed a like from “Can’t wait”", from_me=False,
              associated_message_guid=f"p:0/{loved}", associated_message_type=3001)
    w.message("sam", t + timedelta(minutes=14), text="Laughed at “Can’t wait”", from_me=False,
              associated_message_guid=f"p:0/{loved}", associated_message_type=2003)
    w.message("sam", t + timedelta(minutes=20), text=None, from_me=True, date_edited=_ns(t + timedelta(minutes=21)),
              date_retracted=_ns(t + timedelta(minutes=21)),
              message_summary_info=unsent_summary(len(SCRIPT["unsent"])))
    heic_at = t + timedelta(hours=3)
    photo, _ = w.message("sam", heic_at, text="\ufffc", from_me=False, cache_has_attachments=1)
    w.attach(photo, "IMG_4821.HEIC", image_bytes("HEIF", (30, 110, 200)), "image/heic", "public.heic", heic_at,
             False)
    w.message("sam", heic_at + timedelta(minutes=1), text=SCRIPT["attributed_only"], from_me=False, body_only=True)
    t = _chatter(w, "sam", heic_at + timedelta(minutes=2), 20, SMALL_TALK)

    # Priya: a link preview, a JPEG, three messages that get deleted for good.
    t2 = _chatter(w, "priya", SAMPLE_NOW - timedelta(days=55), 14, SMALL_TALK)
    w.message("priya", t2 + timedelta(minutes=5), text=SCRIPT["link"], from_me=False, balloon_bundle_id=URL_BALLOON,
              payload_data=link_payload(SCRIPT["link"], "Bristol climbing guide", "Walls, boulders and cafés",
                                        "example.com"))
    jpg, _ = w.message("priya", t2 + timedelta(minutes=9), text="\ufffcThe plans", from_me=False,
                       cache_has_attachments=1)
    w.attach(jpg, "plans.jpg", image_bytes("JPEG", (240, 200, 90)), "image/jpeg", "public.jpeg",
             t2 + timedelta(minutes=9), False)
    gone, _ = w.message("priya", t2 + timedelta(minutes=30), text="\ufffc", from_me=True, cache_has_attachments=1)
    w.attach(gone, "IMG_0007.MOV", None, "video/quicktime", "com.apple.quicktime-movie", t2 + timedelta(minutes=30),
             True)
    doomed = [w.message("priya", t2 + timedelta(hours=5, minutes=i), text=text, from_me=True)[0]
              for i, text in enumerate(SCRIPT["deleted"])]
    # A picture deleted with its message: the rows go (the trigger removes the attachment row too),
    # the file stays in the backup until iOS cleans the attachments folder up.
    caption, picture_name = SCRIPT["deleted_picture"]
    shown = t2 + timedelta(hours=5, minutes=len(doomed))
    main_rng, w.rng = w.rng, random.Random(f"messages:deleted-picture:{ctx.seed}")  # the rest stays as it was
    flat, _ = w.message("priya", shown, text=f"\ufffc{caption}", from_me=True, cache_has_attachments=1)
    w.attach(flat, picture_name, image_bytes("JPEG", (150, 90, 60)), "image/jpeg", "public.jpeg", shown, True)
    w.rng = main_rng
    doomed.append(flat)
    _chatter(w, "priya", t2 + timedelta(hours=6), 12, SMALL_TALK)

    # The group chat: named by Sam, Leo added later, chatter from everyone.
    crew = ("+447700900456", "+447700900234", "+447700900111")
    t3 = SAMPLE_NOW - timedelta(days=40)
    w.message("crew", t3, text=None, from_me=False, sender=sam, item_type=2, group_title="Climbing Crew 🧗")
    w.message("crew", t3 + timedelta(minutes=1), text=None, from_me=False, sender=sam, item_type=1,
              group_action_type=0, other_handle=w.handle("+447700900111", "iMessage"))
    _chatter(w, "crew", t3 + timedelta(minutes=2), 50, SMALL_TALK, crew)

    # Mum (SMS), the dentist's invoice (SMS), an unknown number.
    _chatter(w, "mum", SAMPLE_NOW - timedelta(days=50), 40, SMALL_TALK)
    w.message("dentist", SAMPLE_NOW - timedelta(days=9, hours=3), text=SCRIPT["invoice"], from_me=False)
    w.message("dentist", SAMPLE_NOW - timedelta(days=30), text="Reminder: check-up on Tue 14:30. Reply C to confirm",
              from_me=False)
    w.message("dentist", SAMPLE_NOW - timedelta(days=30) + timedelta(minutes=4), text="C", from_me=True)
    w.message("unknown", SAMPLE_NOW - timedelta(days=3), text="Hi, is this still available? Saw your ad",
              from_me=False)
    w.message("unknown", SAMPLE_NOW - timedelta(days=3) + timedelta(minutes=7), text="Sorry, sold already",
              from_me=True)

    # Chinese, Arabic, an Apple ID handle.
    t5 = SAMPLE_NOW - timedelta(days=20)
    for i, line in enumerate(CHINESE * 4):
        w.message("xiaoming", t5 + timedelta(minutes=9 * i), text=line, from_me=bool(i % 2), body_only=bool(i % 3))
    for i, line in enumerate(ARABIC * 4):
        w.message("fatima", t5 + timedelta(hours=3, minutes=7 * i), text=line, from_me=bool(i % 2))
    _chatter(w, "henry", SAMPLE_NOW - timedelta(days=15), 18, SMALL_TALK)

    # Chloé: a conversation the owner deleted; it sits in "Recently Deleted".
    t6 = SAMPLE_NOW - timedelta(days=12)
    for i, text in enumerate(SCRIPT["recently_deleted"]):
        w.message("chloe", t6 + timedelta(minutes=5 * i), text=text, from_me=bool(i % 2))
    chat_rowid = w.chats["chloe"][0]
    deleted_at = _ns(SAMPLE_NOW - timedelta(days=2))
    conn.execute("INSERT INTO chat_recoverable_message_join (chat_id, message_id, delete_date)"
                 " SELECT chat_id, message_id, ? FROM chat_message_join WHERE chat_id = ?", (deleted_at, chat_rowid))
    conn.execute("DELETE FROM chat_message_join WHERE chat_id = ?", (chat_rowid,))

    # A phishing attempt from the unknown number: a look-alike link and a QR code to "verify" an Apple ID.
    t7 = SAMPLE_NOW - timedelta(days=1)
    w.message("unknown", t7, text="Your Apple ID is locked. Verify now: https://apple-id-verify.com/unlock?u=alex",
              from_me=False)
    qr, _ = w.message("unknown", t7 + timedelta(minutes=1), text="\ufffcOr scan this", from_me=False,
                      cache_has_attachments=1)
    w.attach(qr, "verify.jpg", qr_screenshot("https://apple-id-verify.com/unlock?u=alex&src=qr", "Apple ID"),
             "image/jpeg", "public.jpeg", t7 + timedelta(minutes=1), False)
    return w, doomed


def _delete(conn: sqlite3.Connection, rowid: int) -> None:
    """Delete a message as Messages does: its joins, then the row (the triggers do the rest)."""
    conn.execute("DELETE FROM chat_message_join WHERE message_id = ?", (rowid,))
    conn.execute("DELETE FROM message_attachment_join WHERE message_id = ?", (rowid,))
    conn.execute("DELETE FROM message WHERE ROWID = ?", (rowid,))


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """sms.db, its -wal and the attachment files."""
    path = ctx.scratch_path("messages/sms.db")
    for p in (path, path.with_name("sms.db-wal")):
        p.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("after_delete_message_plugin", 2, lambda rowid, guid: None)
    conn.execute("PRAGMA secure_delete=0")
    conn.execute("PRAGMA page_size=4096")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion', '17100'),"
                 " ('counter_last_all_messages', '0')")
    conn.execute("BEGIN")
    writer, doomed = _build(conn, ctx)
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    for rowid in doomed:
        _delete(conn, rowid)
    conn.execute("COMMIT")
    # From here on the database is in WAL mode and nothing is checkpointed: these rows live only in the -wal.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("BEGIN")
    t = SAMPLE_NOW - timedelta(hours=20)
    _chatter(writer, "sam", t, 8, SMALL_TALK)
    secret, secret_guid = writer.message("crew", SAMPLE_NOW - timedelta(hours=6), text=SCRIPT["wal_deleted"],
                                         from_me=True)
    _, last_guid = writer.message("crew", SAMPLE_NOW - timedelta(hours=5), text="Last one in the WAL: see you all at 8",
                                  from_me=False, sender="+447700900234")
    # Reactions deleted with what they reacted to (Leo loved the secret), or on their own (the owner's "!!").
    loved_secret, _ = writer.message("crew", SAMPLE_NOW - timedelta(hours=5, minutes=50), text=SCRIPT["secret_loved"],
                                     from_me=False, sender="+447700900111", associated_message_type=2000,
                                     associated_message_guid=f"p:0/{secret_guid}")
    emphasis, _ = writer.message("crew", SAMPLE_NOW - timedelta(hours=4), text=SCRIPT["deleted_reaction"],
                                 from_me=True, associated_message_type=2004, associated_message_guid=f"p:0/{last_guid}")
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    for rowid in (secret, loved_secret, emphasis):
        _delete(conn, rowid)
    conn.execute("COMMIT")
    main, wal = path.read_bytes(), path.with_name("sms.db-wal").read_bytes()
    conn.close()
    mtime = SAMPLE_NOW - timedelta(minutes=30)
    yield SampleFile(DOMAIN, SMS_DB, main, mtime=mtime)
    yield SampleFile(DOMAIN, SMS_DB + "-wal", wal, mtime=mtime)
    yield from writer.files
    # A picture whose message and attachment rows are long gone (overwritten): only the file is left.
    yield SampleFile(MEDIA, ORPHAN_ATTACHMENT, image_bytes("JPEG", (70, 160, 90)), mtime=ORPHAN_TIME)
