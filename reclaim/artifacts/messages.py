"""Messages: SMS, MMS, iMessage and RCS conversations from ``sms.db``, live and deleted.

``sms.db`` keeps one ``message`` row per bubble, ``chat`` rows for conversations
(``chat_message_join`` says which message is in which chat, ``chat_handle_join`` who
takes part), ``handle`` rows for the other parties' numbers and Apple IDs, and
``attachment`` rows whose ``filename`` (``~/Library/SMS/Attachments/…``) points into
MediaDomain. Since iOS 16 the text is often only in ``attributedBody`` (a
typedstream), edits and unsends are recorded in ``message_summary_info``, and deleted
conversations go to "Recently Deleted" (``chat_recoverable_message_join``) for 30 days
before the rows are really deleted — after which their bytes may still be carved from
the database's free space and WAL.

Tapbacks are ``message`` rows of their own (``associated_message_type`` 2000–2007,
3000–3007 to take one back); reclaim folds them into the ``reactions`` of the message
they react to, as the Messages app shows them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reclaim.artifacts._phone import ContactIndex
from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    ShapedRows,
    from_apple_time_safe,
    iso,
    shape_literal,
)
from reclaim.case.context import Database, ScanContext
from reclaim.decoders.imessage_payload import PayloadError, app_payload, edit_history, url_preview
from reclaim.decoders.typedstream import attributed_body_text
from reclaim.vfs import Entry

DOMAIN = "HomeDomain"
SMS_DB = "Library/SMS/sms.db"
ATTACHMENT_DOMAIN = "MediaDomain"
URL_BALLOON = "com.apple.messages.URLBalloonProvider"
#: A message nobody can place in a conversation any more.
UNKNOWN_CHAT_ID = "messages:recovered"
UNKNOWN_CHAT = "Recovered (unknown chat)"
#: Attachment files no message row names any more (see :class:`_Leftovers`).
LEFTOVER_CHAT_ID = "messages:leftover-attachments"
LEFTOVER_CHAT = "Attachments without a message"
LEFTOVER_AREA = "leftover-file"
#: associated_message_type → (reaction shown, name). 3000+n removes reaction 2000+n.
REACTIONS: dict[int, tuple[str, str]] = {
    2000: ("❤️", "Loved"), 2001: ("👍", "Liked"), 2002: ("👎", "Disliked"), 2003: ("😂", "Laughed"),
    2004: ("‼️", "Emphasized"), 2005: ("❓", "Questioned"), 2006: ("", "Reacted"), 2007: ("🏷️", "Sticker"),
}
OBJECT_REPLACEMENT = "\ufffc"  # where an attachment sits inside a message's text
APPLE_EPOCH_UNIX = 978307200  # 2001-01-01 UTC, the epoch of sms.db's dates

#: message columns reclaim reads (any may be missing in an older iOS: see Database.col).
COLUMNS = (
    "ROWID", "guid", "text", "attributedBody", "handle_id", "other_handle", "subject", "service", "date",
    "date_read", "date_delivered", "is_from_me", "item_type", "group_title", "group_action_type",
    "associated_message_guid", "associated_message_type", "associated_message_emoji", "balloon_bundle_id",
    "payload_data", "expressive_send_style_id", "message_summary_info", "thread_originator_guid",
    "date_retracted", "date_edited", "cache_has_attachments", "cache_roomnames", "is_audio_message", "error",
    "destination_caller_id",
)
#: The columns of a message :meth:`_SmsReader.shaped_row` reads, and those it wants empty (0, NULL: a subject,
#: an effect, a reply, an attachment, an edit, a failure, a system line or an app's card need the whole row).
_FEW = ("ROWID", "guid", "text", "attributedBody", "handle_id", "service", "date", "date_read", "date_delivered",
        "is_from_me", "destination_caller_id")
_PLAIN = ("item_type", "message_summary_info", "balloon_bundle_id", "date_retracted", "date_edited",
          "thread_originator_guid", "cache_has_attachments", "subject", "expressive_send_style_id", "error")
_NOT_TAPBACK = ("(message.associated_message_type IS NULL OR message.associated_message_type < 2000"
                " OR message.associated_message_type >= 4000)")
#: Positions of the columns in a live row (``chat_rowid`` first, then :data:`COLUMNS`).
_LIVE_NAMES = ("chat_rowid", *COLUMNS)
(_ROWID, _GUID, _TEXT, _BODY, _HANDLE, _SUBJECT, _SERVICE, _DATE, _DATE_READ, _DATE_DELIVERED, _FROM_ME,
 _ITEM_TYPE, _EFFECT, _SUMMARY, _THREAD, _RETRACTED, _EDITED, _HAS_ATTACHMENTS, _AUDIO, _ERROR, _OWN,
 _BALLOON) = (_LIVE_NAMES.index(c) for c in (
    "ROWID", "guid", "text", "attributedBody", "handle_id", "subject", "service", "date", "date_read",
    "date_delivered", "is_from_me", "item_type", "expressive_send_style_id", "message_summary_info",
    "thread_originator_guid", "date_retracted", "date_edited", "cache_has_attachments", "is_audio_message", "error",
    "destination_caller_id", "balloon_bundle_id"))


@dataclass(kw_only=True)
class Message(Record):
    """One bubble of a conversation (or a system line such as "Sam named the conversation")."""

    KIND = "messages"

    chat_id: str = ""
    chat: str = ""
    chat_members: list[str] = field(default_factory=list)
    sender: str = ""
    sender_id: str = ""
    direction: str = "incoming"
    text: str = ""
    subject: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    card: dict[str, Any] | None = None
    quote: dict[str, Any] | None = None
    status: str | None = None
    service: str = ""
    guid: str = ""
    reactions: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    effect: str | None = None
    date_read: datetime | None = None
    date_delivered: datetime | None = None
    date_edited: datetime | None = None
    date_deleted: datetime | None = None
    failed: bool = False
    date_source: str = ""  # "" = the message's own date; "file time" = an attachment file's modification time

    def record_label(self) -> str:
        return self.chat

    def search_text(self) -> str:
        parts = [self.text, self.subject]
        if self.card:
            parts.extend(str(self.card.get(k) or "") for k in ("title", "description", "url"))
        parts.extend(a.name for a in self.attachments)
        parts.extend(str(e.get("text") or "") for e in self.edits)
        return "\n".join(p for p in parts if p)


@dataclass
class _Chat:
    """A conversation as the Messages app lists it."""

    rowid: int
    key: str
    name: str
    members: list[str]
    service: str = ""
    deleted: bool = False


class MessagesArtifact(Artifact):
    """SMS, MMS, iMessage and RCS conversations, with attachments, reactions, edits and deleted messages."""

    kind = "messages"
    title = "Messages"
    record = Message
    files = (FileSpec(DOMAIN, SMS_DB),)
    view = "chat"
    formats = ("txt",)

    def extract(self, ctx: ScanContext) -> Iterator[Message]:
        entry = ctx.get(DOMAIN, SMS_DB)
        if entry is None or not entry.is_file:
            return
        contacts = ContactIndex.load(ctx)
        with ctx.database(entry) as db:
            if not db.has("message", "guid"):
                from reclaim.artifacts._sms_legacy import LegacySmsReader, is_legacy  # it builds on this module

                if is_legacy(db):  # iOS 3–5: no handle/chat tables yet
                    yield from LegacySmsReader(db, ctx, contacts).records()
                    return
                ctx.warn(f"{db.source}: no message table; not a Messages database")
                return
            reader = _SmsReader(db, ctx, contacts)
            claimed: set[str] = set()  # the attachment files the records show (origins)
            for part in (reader.live(), reader.recently_deleted(),
                         reader.carved() if ctx.options.recover_deleted else iter(())):
                for record in part:
                    if type(record) is not ShapedRows and record.attachments:
                        claimed.update(ref.origin for ref in record.attachments)
                    yield record
            if ctx.options.recover_deleted:
                yield from _Leftovers(reader, claimed).records()


class _SmsReader:
    """Everything needed to turn rows of one sms.db into records."""

    def __init__(self, db: Database, ctx: ScanContext, contacts: ContactIndex) -> None:
        self.db = db
        self.ctx = ctx
        self.contacts = contacts
        self.select = ", ".join(db.col("message", c) for c in COLUMNS)
        self.handles: dict[int, str] = {}
        if db.has("handle"):
            for row in db.rows("SELECT ROWID, id FROM handle"):
                self.handles[row[0]] = str(row[1] or "")
        self.chats: dict[int, _Chat] = {}
        self.rooms: dict[str, _Chat] = {}
        self.direct: dict[str, _Chat] = {}
        if db.has("chat"):
            self._load_chats()
        #: SQL keeping a message row that is not a tapback (sms.db has them since iOS 10: before, every row is kept).
        self.not_tapback = _NOT_TAPBACK if db.has("message", "associated_message_type") else "1"
        self.reactions = self._load_reactions()
        self.seen: set[int] = set()
        self.recovered_files: _RecoveredAttachments | None = None  # set by carved()
        #: Whether live rows of ordinary messages go through :meth:`plain_message` (tests turn it off to
        #: check that it builds the very records :meth:`message` builds).
        self.fast = True
        #: The shape number of each (conversation, direction, service) whose plain messages go to the case as
        #: shaped rows (0: none can, a value holds a NUL); see :meth:`shaped_row`.
        self.shapes: dict[tuple[int, bool, str], int] = {}

    # -- conversations ---------------------------------------------------------------------

    def _load_chats(self) -> None:
        members: dict[int, list[str]] = defaultdict(list)
        if self.db.has("chat_handle_join"):
            for row in self.db.rows("SELECT chat_id, handle_id FROM chat_handle_join ORDER BY chat_id, handle_id"):
                handle = self.handles.get(row[1])
                if handle:
                    members[row[0]].append(handle)
        db = self.db
        sql = (f"SELECT ROWID, {db.col('chat', 'guid')}, {db.col('chat', 'chat_identifier')},"
               f" {db.col('chat', 'display_name')}, {db.col('chat', 'service_name')}, {db.col('chat', 'room_name')}"
               " FROM chat ORDER BY ROWID")
        for row in db.rows(sql):
            chat = self._chat(row[0], dict(row), members.get(row[0], []))
            self.chats[row[0]] = chat
            if row["room_name"]:
                self.rooms.setdefault(str(row["room_name"]), chat)
            if len(chat.members) == 1:
                self.direct.setdefault(chat.members[0], chat)

    def _chat(self, rowid: int, row: dict[str, Any], members: list[str], deleted: bool = False) -> _Chat:
        identifier = str(row.get("chat_identifier") or row.get("guid") or rowid)
        name = str(row.get("display_name") or "").strip()
        if not name:
            people = members or ([identifier] if not identifier.startswith("chat") else [])
            name = ", ".join(self.contacts.display(m) for m in people) or identifier
        return _Chat(rowid=rowid, key=f"messages:{identifier}", name=name,
                     members=[self.contacts.display(m) for m in members], service=str(row.get("service_name") or ""),
                     deleted=deleted)

    def _infer_chat(self, row: dict[str, Any], joins: dict[int, int] | None = None) -> _Chat | None:
        """The conversation of a message whose chat_message_join row is gone."""
        rowid = row.get("ROWID")
        if joins and isinstance(rowid, int) and joins.get(rowid) in self.chats:
            return self.chats[joins[rowid]]
        room = row.get("cache_roomnames")
        if room:
            return self.rooms.get(str(room))
        handle = self.handles.get(row.get("handle_id") or 0)
        return self.direct.get(handle) if handle else None

    # -- reactions -----------------------------------------------------------------------------

    def _load_reactions(self) -> dict[str, list[dict[str, Any]]]:
        """Tapbacks by the guid of the message they react to (taken-back ones removed)."""
        if not self.db.has("message", "associated_message_type"):
            return {}
        emoji = self.db.col("message", "associated_message_emoji")
        active: dict[str, dict[tuple[str, int, str], dict[str, Any]]] = defaultdict(dict)
        for row in self.db.rows(
            f"SELECT handle_id, is_from_me, associated_message_guid, associated_message_type, date, {emoji}"
            " FROM message WHERE associated_message_type >= 2000 AND associated_message_type < 4000 ORDER BY date"
        ):
            target = _target_guid(row["associated_message_guid"])
            if not target:
                continue
            sender_id, sender = self._sender(row["is_from_me"], row["handle_id"], None)
            kind = row["associated_message_type"]
            base = kind - 1000 if kind >= 3000 else kind
            key = (sender_id or sender, base, str(row["associated_message_emoji"] or ""))
            if kind >= 3000:
                active[target].pop(key, None)
                continue
            symbol, name = REACTIONS.get(base, ("", "Reacted"))
            active[target][key] = {"sender": sender, "sender_id": sender_id,
                                   "reaction": row["associated_message_emoji"] or symbol, "name": name,
                                   "date": from_apple_time_safe(row["date"])}
        return {guid: list(items.values()) for guid, items in active.items() if items}

    # -- live rows -----------------------------------------------------------------------------

    def live(self) -> Iterator[Message]:
        """Every message of every conversation, conversation by conversation, oldest first."""
        if self.db.has("chat_message_join"):
            order = ("cmj.chat_id, cmj.message_date, cmj.message_id" if self.db.has("chat_message_join", "message_date")
                     else "cmj.chat_id, message.date, message.ROWID")
            if self.fast and self.ctx.add_shape is not None and self._mostly_plain():
                yield from self._live_shaped(order)
            else:
                cursor = self.db.conn.execute(
                    f"SELECT cmj.chat_id AS chat_rowid, {self.select} FROM chat_message_join cmj"
                    f" JOIN message ON message.ROWID = cmj.message_id WHERE {self.not_tapback} ORDER BY {order}")
                cursor.row_factory = None  # plain tuples: a Row per message costs more than the record
                while batch := cursor.fetchmany(1000):
                    for row in batch:
                        if row[_ROWID] not in self.seen:
                            yield self._live_record(row, self.chats.get(row[0]))
        # Messages in no conversation (the join row was lost): place them by their handle or room.
        where = [self.not_tapback]
        if self.db.has("chat_message_join"):
            where.append("NOT EXISTS (SELECT 1 FROM chat_message_join j WHERE j.message_id = message.ROWID)")
        if self.db.has("chat_recoverable_message_join"):
            where.append("NOT EXISTS (SELECT 1 FROM chat_recoverable_message_join r"
                         " WHERE r.message_id = message.ROWID)")
        for row in self.db.rows(f"SELECT {self.select} FROM message WHERE {' AND '.join(where)} ORDER BY date"):
            values = dict(row)
            yield self.message(values, self._infer_chat(values))

    def _live_record(self, row: tuple[Any, ...], chat: _Chat | None) -> Message:
        """The record of a live row (a tuple in :data:`_LIVE_NAMES` order)."""
        record = self.plain_message(row, chat) if self.fast else None
        return record if record is not None else self.message(dict(zip(_LIVE_NAMES, row, strict=True)), chat)

    def _plain_test(self) -> str:
        """SQL telling a message row SQLite sees nothing more in than text and dates (see :data:`_PLAIN`)."""
        return " AND ".join(f'coalesce("message"."{c}", 0) = 0' for c in _PLAIN if self.db.has("message", c)) or "1"

    def _mostly_plain(self) -> bool:
        """Whether most of the latest messages are plain (what the shaped path pays off on: it reads the other
        rows a second time); decided on the last 2,000."""
        share = self.db.conn.execute(
            f"SELECT avg({self._plain_test()}) FROM (SELECT * FROM message WHERE {self.not_tapback}"
            " ORDER BY ROWID DESC LIMIT 2000) AS message").fetchone()[0]
        return share is not None and share >= 0.5

    def _live_shaped(self, order: str) -> Iterator[Message | ShapedRows]:
        """:meth:`live`'s conversations when the scan stores them in a case: the plainest messages go as shaped
        rows, in runs (tests/test_messages_shaped.py checks the case they give against the records'). Rows are
        first read in the dozen columns those need and whether SQL sees nothing more in them (:data:`_PLAIN`):
        a third of the reading; any other is then read whole."""
        db = self.db
        plain = self._plain_test()
        cursor = db.conn.execute(
            f"SELECT cmj.chat_id, {', '.join(db.col('message', c) for c in _FEW)}, {plain} FROM chat_message_join cmj"
            f" JOIN message ON message.ROWID = cmj.message_id WHERE {self.not_tapback} ORDER BY {order}")
        cursor.row_factory = None
        seen, chats, shaped = self.seen, self.chats, self.shaped_row
        while batch := cursor.fetchmany(1000):
            plan: list[tuple[tuple[Any, ...], _Chat | None, tuple[Any, ...] | None]] = []
            others: dict[int, tuple[Any, ...] | None] = {}  # the rows read whole, by ROWID
            for row in batch:
                if row[1] in seen or row[1] in others:
                    continue
                chat = chats.get(row[0])
                values = shaped(row, chat) if row[-1] else None
                if values is None:
                    others[row[1]] = None
                plan.append((row, chat, values))
            self._read_whole(others)
            run: list[tuple[Any, ...]] = []
            for row, chat, values in plan:
                if values is not None:
                    run.append(values)
                    continue
                if run:  # what came before it goes first
                    yield ShapedRows(run)
                    run = []
                full = others[row[1]]
                if full is not None:
                    yield self._live_record((row[0], *full), chat)
            if run:
                yield ShapedRows(run)

    def _read_whole(self, rows: dict[int, tuple[Any, ...] | None]) -> None:
        """Fill in the rows (by ROWID) in :data:`COLUMNS`, a few hundred per query."""
        wanted = list(rows)
        cursor = self.db.conn.cursor()
        cursor.row_factory = None
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            marks = ",".join("?" * len(part))
            for rowid, *full in cursor.execute(f"SELECT message.ROWID, {self.select} FROM message"
                                               f" WHERE message.ROWID IN ({marks})", part):
                rows[rowid] = tuple(full)

    def recently_deleted(self) -> Iterator[Message]:
        """Messages the user deleted that sit in "Recently Deleted" (iOS 16+) until purged."""
        if not self.db.has("chat_recoverable_message_join"):
            return
        sql = (f"SELECT r.chat_id AS chat_rowid, r.delete_date AS delete_date, {self.select}"
               " FROM chat_recoverable_message_join r JOIN message ON message.ROWID = r.message_id"
               f" WHERE {self.not_tapback} ORDER BY r.chat_id, message.date, message.ROWID")
        for row in self.db.rows(sql):
            values = dict(row)
            if not _text_of(values) and self.db.has("recoverable_message_part"):
                values["text"] = "\n".join(
                    t for t in (attributed_body_text(_blob(p[0])) for p in self.db.rows(
                        "SELECT part_text FROM recoverable_message_part WHERE message_id = ? ORDER BY part_index",
                        (values["ROWID"],))) if t)
            record = self.message(values, self.chats.get(values["chat_rowid"]), deleted=True,
                                  provenance=Provenance(area="app"))
            record.date_deleted = from_apple_time_safe(values.get("delete_date"))
            yield record

    # -- carved rows ---------------------------------------------------------------------------

    def carved(self) -> Iterator[Message]:
        """Deleted messages recovered from free space, the freelist and the WAL, with their attachments."""
        found: dict[str, tuple[dict[str, Any], Any]] = {}
        links: list[tuple[float, int, int]] = []
        files = self.recovered_files = _RecoveredAttachments(self)
        for carved in self.db.carve(tables=["message", "chat_message_join", "handle", "chat",
                                            "message_attachment_join", "attachment"]):
            values = dict(carved.values)
            if carved.table == "chat_message_join":
                chat_id, message_id = values.get("chat_id"), values.get("message_id")
                if isinstance(chat_id, int) and isinstance(message_id, int) and message_id > 0:
                    links.append((carved.confidence, message_id, chat_id))
            elif carved.table == "message_attachment_join":
                files.add_link(values, carved.confidence)
            elif carved.table == "attachment":
                files.add_row(values, carved)
            elif carved.table == "handle":
                if carved.rowid is not None and carved.rowid not in self.handles and values.get("id"):
                    self.handles[carved.rowid] = str(values["id"])
            elif carved.table == "chat":
                if carved.rowid is not None and carved.rowid not in self.chats:
                    self.chats[carved.rowid] = self._chat(carved.rowid, values, [], deleted=True)
            elif carved.table == "message":
                values["ROWID"] = carved.rowid
                guid = values.get("guid")
                if not _usable(values) or self._is_live(carved.rowid, guid):
                    continue
                key = str(guid or f"rowid:{carved.rowid}")
                if key not in found or _filled(values) > _filled(found[key][0]):
                    found[key] = (values, carved)
        joins: dict[int, int] = {}
        for _, message_id, chat_id in sorted(links, reverse=True):
            if chat_id in self.chats:  # a carved join naming no known chat is noise
                joins.setdefault(message_id, chat_id)
        records = []
        tapbacks: list[tuple[dict[str, Any], Any]] = []
        for values, carved in sorted(found.values(), key=lambda item: _int_or(item[0].get("date"))):
            at = values.get("associated_message_type")
            if isinstance(at, int) and 2000 <= at < 4000:
                tapbacks.append((values, carved))  # a deleted reaction: placed once the messages are known
                continue
            chat = self._infer_chat(values, joins)
            record = self.message(values, chat, deleted=True, provenance=Provenance.of(carved), attachments=False)
            record.attachments = files.of(values, record)
            records.append(record)
        records += self._deleted_reactions(tapbacks, {r.guid: r for r in records if r.guid}, joins)
        records.sort(key=lambda m: (m.chat_id, iso(m.date) or ""))
        yield from records

    def _deleted_reactions(self, tapbacks: list[tuple[dict[str, Any], Any]], recovered: dict[str, Message],
                           joins: dict[int, int]) -> Iterator[Message]:
        """Deleted tapbacks (in date order): on a recovered message they join its ``reactions`` (marked
        ``recovered``); on a live message, or one that is gone, each is a recovered line of its own
        (status ``reaction``, Apple's words for it as text, the live message it reacted to quoted)."""
        for values, carved in tapbacks:
            target = _target_guid(values.get("associated_message_guid"))
            if not target:
                continue  # not a reaction any more: noise
            at = values["associated_message_type"]
            base = at - 1000 if at >= 3000 else at
            symbol, name = REACTIONS.get(base, ("", "Reacted"))
            sender_id, sender = self._sender(values.get("is_from_me"), values.get("handle_id"),
                                             values.get("destination_caller_id"))
            reacted = recovered.get(target)
            if reacted is not None:
                if at >= 3000:  # taken back
                    reacted.reactions = [r for r in reacted.reactions
                                         if (r["sender_id"] or r["sender"], r["name"]) != (sender_id or sender, name)]
                else:
                    reacted.reactions.append({"sender": sender, "sender_id": sender_id,
                                              "reaction": values.get("associated_message_emoji") or symbol,
                                              "name": name, "date": from_apple_time_safe(values.get("date")),
                                              "recovered": True})
                continue
            record = self.message(values, self._infer_chat(values, joins), deleted=True,
                                  provenance=Provenance.of(carved), attachments=False)
            record.status = "reaction"
            record.text = record.text or f"{symbol} {name}".strip()
            quoted = self._quote(target)  # the live message it reacted to, if it still is
            record.quote = quoted if quoted["text"] or quoted["sender"] else None
            yield record

    def _is_live(self, rowid: int | None, guid: Any) -> bool:
        if isinstance(guid, str) and guid and self.db.conn.execute(
                "SELECT 1 FROM message WHERE guid = ?", (guid,)).fetchone():
            return True
        return rowid is not None and self.db.conn.execute(
            "SELECT 1 FROM message WHERE ROWID = ?", (rowid,)).fetchone() is not None

    # -- one record --------------------------------------------------------------------------

    def _sender(self, from_me: Any, handle_id: Any, own: Any) -> tuple[str, str]:
        """(raw handle, display name) of whoever sent a message."""
        if from_me:
            return str(own or ""), self.contacts.me()
        handle = self.handles.get(handle_id or 0, "")
        return handle, self.contacts.display(handle) if handle else ""

    def message(self, row: dict[str, Any], chat: _Chat | None, *, deleted: bool = False,
                provenance: Provenance | None = None, attachments: bool = True) -> Message:
        """Build the record of one message row."""
        rowid = row.get("ROWID")
        if isinstance(rowid, int):
            self.seen.add(rowid)
        sender_id, sender = self._sender(row.get("is_from_me"), row.get("handle_id"), row.get("destination_caller_id"))
        if chat is None and not sender_id and not row.get("is_from_me"):
            sender = sender or "Unknown"
        item_type = row.get("item_type") or 0
        direction = "system" if item_type else ("outgoing" if row.get("is_from_me") else "incoming")
        text = _text_of(row)
        if item_type:
            text = self._system_text(row, sender) or text
        guid = str(row.get("guid") or "")
        record = Message(
            id=f"sms:deleted:{rowid}" if provenance is not None and provenance.area != "app" else f"sms:{rowid}",
            date=from_apple_time_safe(row.get("date")),
            deleted=deleted,
            source=self.db.source,
            provenance=provenance,
            chat_id=chat.key if chat else UNKNOWN_CHAT_ID,
            chat=chat.name if chat else UNKNOWN_CHAT,
            chat_members=list(chat.members) if chat else [],
            sender=sender or (self.contacts.me() if row.get("is_from_me") else ""),
            sender_id=sender_id,
            direction=direction,
            text=text,
            subject=str(row.get("subject") or ""),
            service=str(row.get("service") or (chat.service if chat else "") or ""),
            guid=guid,
            reactions=self.reactions.get(guid, []),
            effect=_effect(row.get("expressive_send_style_id")),
            date_read=from_apple_time_safe(row.get("date_read")),
            date_delivered=from_apple_time_safe(row.get("date_delivered")),
            date_edited=from_apple_time_safe(row.get("date_edited")),
            failed=bool(row.get("error")),
        )
        self._edits(record, row)
        if row.get("thread_originator_guid"):
            record.quote = self._quote(str(row["thread_originator_guid"]))
        record.card = self._card(row, record)
        if attachments and row.get("cache_has_attachments") and isinstance(rowid, int):
            record.attachments = list(self._attachments(rowid, bool(row.get("is_audio_message"))))
        return record

    def plain_message(self, row: tuple[Any, ...], chat: _Chat | None) -> Message | None:
        """:meth:`message` for a live row (a tuple in :data:`_LIVE_NAMES` order) of an ordinary message.

        ``None`` for the rows it leaves to :meth:`message`: no conversation, a system line,
        an edit history, an app or link card. Otherwise the same record, built without a
        dict per row (the live rows of a big sms.db are nearly all ordinary).
        """
        if chat is None or row[_ITEM_TYPE] or row[_SUMMARY] or row[_BALLOON]:
            return None
        rowid = row[_ROWID]
        if isinstance(rowid, int):
            self.seen.add(rowid)
        contacts = self.contacts
        from_me = row[_FROM_ME]
        if from_me:
            sender_id, sender = str(row[_OWN] or ""), contacts.me()
        else:
            sender_id = self.handles.get(row[_HANDLE] or 0, "")
            sender = contacts.display(sender_id) if sender_id else ""
        guid = str(row[_GUID] or "")
        record = Message(
            id=f"sms:{rowid}",
            date=from_apple_time_safe(row[_DATE]),
            source=self.db.source,
            chat_id=chat.key,
            chat=chat.name,
            chat_members=list(chat.members),
            sender=sender or (contacts.me() if from_me else ""),
            sender_id=sender_id,
            direction="outgoing" if from_me else "incoming",
            text=_text_from(row[_TEXT], row[_BODY]),
            subject=str(row[_SUBJECT] or ""),
            service=str(row[_SERVICE] or chat.service or ""),
            guid=guid,
            reactions=self.reactions.get(guid, []),
            effect=_effect(row[_EFFECT]),
            date_read=from_apple_time_safe(row[_DATE_READ]),
            date_delivered=from_apple_time_safe(row[_DATE_DELIVERED]),
            date_edited=from_apple_time_safe(row[_EDITED]),
            failed=bool(row[_ERROR]),
        )
        if row[_RETRACTED]:
            record.status = "unsent"
        elif row[_EDITED]:
            record.status = "edited"
        if row[_THREAD]:
            record.quote = self._quote(str(row[_THREAD]))
        if row[_HAS_ATTACHMENTS] and isinstance(rowid, int):
            record.attachments = list(self._attachments(rowid, bool(row[_AUDIO])))
        return record

    def shaped_row(self, row: tuple[Any, ...], chat: _Chat | None) -> tuple[Any, ...] | None:
        """The record of a live row read by :meth:`_live_shaped` (its chat, :data:`_FEW`, and whether SQL saw
        no more to it) as a shaped row (14 values: see :class:`~reclaim.artifacts.base.ShapedRows`) of its
        conversation's shape for its direction and service, or ``None`` for a message with more to it than text
        and dates (a reaction, or what :data:`_PLAIN` looks for) or with a value the case's ``printf`` cannot
        rebuild.
        The values: n = ROWID, the sender, v1 = sender id, v3 = text, v4 = guid, v5 and v6 = the read and
        delivered dates as JSON (v2 is not used)."""
        if chat is None:
            return None
        _, rowid, guid, text, body, handle, service, date, read, delivered, from_me, own, _ = row
        guid = guid or ""
        if type(rowid) is not int or type(guid) is not str or guid in self.reactions or not _JSON_PLAIN(guid):
            return None
        date = from_apple_time_safe(date)
        if date is None:
            return None
        text = _text_from(text, body)
        from_me = bool(from_me)
        sender_id, sender = self._sender(from_me, handle, own)
        if "\x00" in text or "\x00" in sender or "\x00" in sender_id:
            return None
        service = str(service or chat.service or "")
        shape = self.shapes.get((chat.rowid, from_me, service))
        if shape is None:
            shape = self.shapes[chat.rowid, from_me, service] = self._shape(chat, from_me, service)
        if not shape:
            return None
        self.seen.add(rowid)
        # stored_form's search text: the text, then the chat's name and the sender unless the text holds them.
        title, words = chat.name, text
        if title and title not in words:
            words = f"{words}\n{title}" if words else title
        if sender and sender not in words:
            words = f"{words}\n{sender}" if words else sender
        # The three dates as JSON in one go (no date holds a comma): '["…Z","…Z",null]'.
        dates = _dumps((date, from_apple_time_safe(read), from_apple_time_safe(delivered)), option=_UTC_Z).decode()
        first, read, delivered = dates.split(",")
        return ("messages", first[2:-1], shape, 0, chat.key, sender, words, rowid, sender_id, None, text, guid, read,
                delivered[:-1])

    def _shape(self, chat: _Chat, from_me: bool, service: str) -> int:
        """Register the shape of a conversation's plain messages in one direction and service (see
        ``reclaim.case.store.SCHEMA``): the JSON ``Message.to_json_bytes`` gives them, as a format taking
        the values of :meth:`shaped_row`. 0 when a value it holds has a NUL (``printf`` stops at one)."""
        assert self.ctx.add_shape is not None
        source = self.db.source
        if any("\x00" in value for value in (source, chat.key, chat.name, service, *chat.members)):
            return 0
        dumps = orjson.dumps

        data = "".join([
            '{"kind":"messages","id":"sms:%d","date":"%s',
            shape_literal(b'","deleted":false,"source":', dumps(source), b',"provenance":null,"chat_id":',
                          dumps(chat.key), b',"chat":', dumps(chat.name), b',"chat_members":', dumps(chat.members),
                          b',"sender":'),
            '%s,"sender_id":%s,%.0s"direction":"', "outgoing" if from_me else "incoming", '","text":%s,"subject":"",'
            '"attachments":[],"card":null,"quote":null,"status":null,"service":',
            shape_literal(dumps(service)),
            ',"guid":"%s","reactions":[],"edits":[],"effect":null,"date_read":%s,"date_delivered":%s,'
            '"date_edited":null,"date_deleted":null,"failed":false,"date_source":""}'])
        return self.ctx.add_shape(("sms:", source, chat.name, chat.name, data))

    def _edits(self, record: Message, row: dict[str, Any]) -> None:
        summary = row.get("message_summary_info")
        if row.get("date_retracted"):
            record.status = "unsent"
        if not summary:
            if row.get("date_edited") and not record.status:
                record.status = "edited"
            return
        try:
            parts = edit_history(_blob(summary))
        except PayloadError as exc:
            self.ctx.warn(f"{self.db.source}: message {row.get('ROWID')}: unreadable edit history ({exc})")
            return
        for part in parts:
            if part.status == "edited":
                for version in part.versions:
                    record.edits.append({"part": part.index, "text": version.text or "", "date": version.date})
        if any(p.status == "unsent" for p in parts):
            record.status = "unsent" if not record.text else "partly unsent"
        elif record.edits:
            record.status = "edited"
            latest = [p.text for p in parts if p.status == "edited" and p.text]
            if not record.text and latest:
                record.text = "\n".join(latest)

    def _quote(self, guid: str) -> dict[str, Any]:
        """The message a reply (or a reaction) points at: its sender and text, empty when it is gone."""
        cols = ", ".join(self.db.col("message", c) for c in ("text", "attributedBody", "handle_id", "is_from_me"))
        row = self.db.conn.execute(f"SELECT {cols} FROM message WHERE guid = ?", (guid,)).fetchone()
        if row is None:
            return {"guid": guid, "sender": "", "text": ""}
        _, sender = self._sender(row["is_from_me"], row["handle_id"], None)
        return {"guid": guid, "sender": sender, "text": _text_of(dict(row))}

    def _card(self, row: dict[str, Any], record: Message) -> dict[str, Any] | None:
        bundle = str(row.get("balloon_bundle_id") or "")
        if not bundle:
            return None
        payload = row.get("payload_data")
        if bundle == URL_BALLOON:
            card: dict[str, Any] = {"type": "link", "title": "", "description": "", "url": record.text, "extra": {}}
            if payload:
                try:
                    preview = url_preview(_blob(payload))
                except PayloadError as exc:
                    self.ctx.warn(f"{self.db.source}: message {row.get('ROWID')}: unreadable link preview ({exc})")
                    preview = None
                if preview is not None:
                    card.update(title=preview.title or "", description=preview.summary or "",
                                url=preview.url or preview.original_url or record.text,
                                extra={"site": preview.site_name} if preview.site_name else {})
            return card
        name = bundle.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        card = {"type": "transfer" if "PeerPayment" in bundle else "app", "title": name, "description": "",
                "url": "", "extra": {"bundle": bundle}}
        if payload:
            try:
                app = app_payload(_blob(payload))
            except PayloadError:
                app = None
            if app is not None:
                card.update(title=app.app_name or name, description=app.summary or "", url=app.url or "")
        return card

    def _attachments(self, rowid: int, audio: bool) -> Iterator[MediaRef]:
        if not self.db.has("message_attachment_join") or not self.db.has("attachment"):
            return
        cols = ", ".join(self.db.col("attachment", c) for c in (
            "filename", "mime_type", "uti", "transfer_name", "is_sticker", "hide_attachment"))
        sql = (f"SELECT {cols} FROM message_attachment_join j JOIN attachment ON attachment.ROWID = j.attachment_id"
               " WHERE j.message_id = ? ORDER BY attachment.ROWID")
        for row in self.db.conn.execute(sql, (rowid,)).fetchall():
            yield self._attachment(dict(row), audio)

    def _attachment(self, row: dict[str, Any], audio: bool) -> MediaRef:
        filename = str(row.get("filename") or "")
        name = str(row.get("transfer_name") or filename.rsplit("/", 1)[-1] or "attachment")
        role = "sticker" if row.get("is_sticker") else "voice" if audio else "preview" if row.get(
            "hide_attachment") else ""
        mime = row.get("mime_type") or None
        heic = (mime or "").lower() in ("image/heic", "image/heif") or str(row.get("uti") or "") == "public.heic" \
            or name.lower().endswith((".heic", ".heif"))
        candidates = attachment_locations(filename)
        for domain, path in candidates:
            entry = self.ctx.get(domain, path)
            if entry is not None and entry.is_file:
                return self.ctx.media(entry, name=name, mime=mime, role=role, preview=_jpeg_preview if heic else None)
        origin = f"{candidates[0][0]}/{candidates[0][1]}" if candidates else filename
        return self.ctx.media(None, name=name, mime=mime, role=role, origin=origin)

    def _system_text(self, row: dict[str, Any], sender: str) -> str:
        item_type, action = row.get("item_type") or 0, row.get("group_action_type") or 0
        other = self.contacts.display(self.handles.get(row.get("other_handle") or 0, ""))
        if item_type == 1:
            return f"{sender} {'removed' if action else 'added'} {other}".strip()
        if item_type == 2:
            title = row.get("group_title")
            return f"{sender} named the conversation “{title}”" if title else f"{sender} removed the name"
        if item_type == 3:
            return {0: f"{sender} left the conversation", 1: f"{sender} changed the group photo",
                    2: f"{sender} removed the group photo"}.get(action, "")
        if item_type == 4:
            return f"{sender} shared their location"
        if item_type == 5:
            return f"{sender} kept an audio message"
        if item_type == 6:
            return "FaceTime call"
        return ""


class _RecoveredAttachments:
    """The attachments of deleted messages: carved join and attachment rows, and live rows left behind.

    A deleted message keeps its pictures when any of these survived: the carved
    ``message_attachment_join`` row (message → attachment ROWID) pointing at a live
    ``attachment`` row (its join row deleted, the row itself left) or at a carved one; or,
    when the attachment row's ROWID was overwritten in a freeblock, a carved ``attachment``
    row whose ``created_date`` (seconds) is the message's time and whose direction matches
    (``is_outgoing`` = ``is_from_me``). The file itself is looked up in the backup like a
    live attachment's; one iOS has already removed is listed as missing.
    """

    #: How far an attachment's ``created_date`` may be from its message's ``date`` (seconds).
    SLACK = 120

    def __init__(self, reader: _SmsReader) -> None:
        self.reader = reader
        self.links: dict[int, list[tuple[float, int]]] = defaultdict(list)  # message ROWID -> (conf, attachment)
        self.by_rowid: dict[int, dict[str, Any]] = {}  # carved rows whose ROWID is known
        self.loose: list[dict[str, Any]] = []  # carved rows whose ROWID was overwritten
        self.keys: set[str] = set()
        self.used: set[tuple[str, int]] = set()  # rows already given to a message (see _row_key)
        self._orphans: list[dict[str, Any]] | None = None
        db = reader.db
        self.ok = db.has("attachment", "filename")
        self.cols = ", ".join(db.col("attachment", c) for c in (
            "ROWID", "guid", "created_date", "is_outgoing", "filename", "mime_type", "uti", "transfer_name",
            "is_sticker", "hide_attachment")) if self.ok else ""

    def add_link(self, values: dict[str, Any], confidence: float) -> None:
        message_id, attachment_id = values.get("message_id"), values.get("attachment_id")
        if isinstance(message_id, int) and isinstance(attachment_id, int) and message_id > 0 and attachment_id > 0:
            pair = (confidence, attachment_id)
            if pair not in self.links[message_id]:
                self.links[message_id].append(pair)

    def add_row(self, values: dict[str, Any], carved: Any) -> None:
        """A carved attachment row: kept once (by guid), unless a live row has the same guid."""
        filename, name = values.get("filename"), values.get("transfer_name")
        if not isinstance(filename, str) and not isinstance(name, str):
            return
        guid = values.get("guid")
        key = str(guid or filename or name)
        if key in self.keys or (isinstance(guid, str) and self._live_by_guid(guid) is not None):
            return
        self.keys.add(key)
        row = dict(values, ROWID=carved.rowid, _area=carved.area)
        if carved.rowid is not None:
            self.by_rowid[carved.rowid] = row
        else:
            self.loose.append(row)

    def of(self, values: dict[str, Any], record: Message) -> list[MediaRef]:
        """The attachments of one recovered message (a missing placeholder when only the flag is left)."""
        if not self.ok:
            return []
        rowid, audio = values.get("ROWID"), bool(values.get("is_audio_message"))
        rows: list[tuple[dict[str, Any], str]] = []
        unresolved = 0
        for _, attachment_id in sorted(self.links.get(rowid, []) if isinstance(rowid, int) else [], reverse=True):
            live = self._live(attachment_id)
            if live is not None:
                self.used.add(_row_key(live))
                rows.append((live, "its attachment row is still in sms.db; the link was recovered"))
            elif attachment_id in self.by_rowid:
                row = self.by_rowid[attachment_id]
                rows.append((row, f"attachment row recovered from sms.db ({row['_area']})"))
            else:
                unresolved += 1
        if unresolved or (not rows and values.get("cache_has_attachments")):
            for row in self._by_time(values, record, max(unresolved, 1)):
                where = f"recovered from sms.db ({row['_area']})" if "_area" in row else "still in sms.db"
                rows.append((row, f"attachment row {where}, matched to the message by its time"))
        refs = []
        for row, note in rows:
            ref = self.reader._attachment(row, audio)
            ref.note = note
            refs.append(ref)
        if not refs and values.get("cache_has_attachments"):
            refs.append(MediaRef(name="attachment", missing=True,
                                 note="the message had an attachment; its row was not recovered"))
        return refs

    def _by_time(self, values: dict[str, Any], record: Message, wanted: int) -> list[dict[str, Any]]:
        """Carved rows without a ROWID, and live rows without a join, sent or received when the message was."""
        if record.date is None:
            return []
        at = record.date.timestamp() - APPLE_EPOCH_UNIX
        from_me = bool(values.get("is_from_me"))
        scored = []
        for row in [*self.loose, *self._orphan_rows()]:
            created, outgoing = row.get("created_date"), row.get("is_outgoing")
            if _row_key(row) in self.used or not isinstance(created, int | float) or isinstance(created, bool):
                continue
            if isinstance(outgoing, int) and bool(outgoing) != from_me:
                continue
            gap = abs(created - at)
            if gap <= self.SLACK:
                scored.append((gap, row))
        scored.sort(key=lambda item: item[0])
        if len(scored) > wanted and scored[wanted - 1][0] == scored[wanted][0]:
            return []  # the cut falls between two equally close rows: no guess
        chosen = [row for _, row in scored[:wanted]]
        self.used.update(_row_key(row) for row in chosen)
        return chosen

    def _orphan_rows(self) -> list[dict[str, Any]]:
        """Live attachment rows that no live message uses any more (their join row was deleted)."""
        if self._orphans is None:
            self._orphans = []
            db = self.reader.db
            if db.has("message_attachment_join"):
                self._orphans = [dict(r) for r in db.rows(
                    f"SELECT {self.cols} FROM attachment WHERE NOT EXISTS (SELECT 1 FROM message_attachment_join j"
                    " WHERE j.attachment_id = attachment.ROWID)")]
        return self._orphans

    def _live(self, rowid: int) -> dict[str, Any] | None:
        row = self.reader.db.conn.execute(f"SELECT {self.cols} FROM attachment WHERE ROWID = ?", (rowid,)).fetchone()
        return dict(row) if row is not None else None

    def _live_by_guid(self, guid: str) -> dict[str, Any] | None:
        if not self.ok or not self.reader.db.has("attachment", "guid"):
            return None
        row = self.reader.db.conn.execute(f"SELECT {self.cols} FROM attachment WHERE guid = ?", (guid,)).fetchone()
        return dict(row) if row is not None else None


class _Leftovers:
    """Attachment files no message shows any more: each ``<guid>`` folder becomes one recovered message.

    Deleting a message removes its rows, but the files under ``Library/SMS/Attachments/xx/yy/<guid>/``
    stay until iOS cleans up. A folder none of whose files a live, "Recently Deleted" or carved
    message shows is listed in the conversation :data:`LEFTOVER_CHAT` (no row says which
    conversation it was in), dated by the file's modification time (``date_source``), with the
    provenance area ``leftover-file``. A live or carved ``attachment`` row still naming the file
    gives its original name, type and direction.
    """

    PREFIX = "Library/SMS/Attachments/"

    def __init__(self, reader: _SmsReader, claimed: set[str]) -> None:
        self.reader = reader
        self.claimed = claimed

    def _folders(self) -> dict[str, list[Entry]]:
        """Unclaimed files by their ``<guid>`` folder (one pass over the source's entries)."""
        folders: dict[str, list[Entry]] = {}
        skip: set[str] = set()
        prefix, domains = self.PREFIX, (ATTACHMENT_DOMAIN, DOMAIN)
        for entry in self.reader.ctx.fs.entries():
            if not entry.path.startswith(prefix) or entry.domain not in domains or not entry.is_file:
                continue
            folder = "/".join(entry.path.split("/")[:6])  # Library/SMS/Attachments/xx/yy/<guid>
            key = f"{entry.domain}/{folder}"
            if f"{entry.domain}/{entry.path}" in self.claimed:
                skip.add(key)  # a shown attachment's folder: its other files are its previews
            elif key not in skip:
                folders.setdefault(key, []).append(entry)
        return {key: files for key, files in folders.items() if key not in skip}

    def records(self) -> Iterator[Message]:
        """The leftover messages, oldest first."""
        found = []
        for key, files in self._folders().items():
            files.sort(key=lambda e: (e.path.count("/"), -e.size, e.path))  # the top file, then the largest
            found.append(self._record(key, files))
        found.sort(key=lambda m: (iso(m.date) or "", m.id))
        yield from found

    def _record(self, key: str, files: list[Entry]) -> Message:
        main = files[0]
        row = self._row(main.path)
        from_me = row.get("is_outgoing") if row else None
        refs = []
        for entry in files:
            if entry is main and row:
                ref = self.reader._attachment(row, False)
                if ref.missing or ref.origin != f"{entry.domain}/{entry.path}":
                    ref = self.reader.ctx.media(entry)
                ref.note = "its attachment row is still in sms.db; no message uses it"
            else:
                ref = self.reader.ctx.media(entry, role="" if entry is main else "preview")
            refs.append(ref)
        when = datetime.fromtimestamp(main.mtime, UTC) if main.mtime else None
        return Message(
            id=f"sms:leftover:{key.rsplit('/', 1)[-1]}", date=when, deleted=True, source=f"{main.domain}/{main.path}",
            provenance=Provenance(area=LEFTOVER_AREA, partial=True), chat_id=LEFTOVER_CHAT_ID, chat=LEFTOVER_CHAT,
            direction="" if not isinstance(from_me, int) else "outgoing" if from_me else "incoming",
            sender=self.reader.contacts.me() if from_me else "", attachments=refs, date_source="file time",
        )

    def _row(self, path: str) -> dict[str, Any] | None:
        """A live, else carved, attachment row naming this file (for its name, type and direction)."""
        db = self.reader.db
        if db.has("attachment", "filename"):
            cols = ", ".join(db.col("attachment", c) for c in (
                "filename", "mime_type", "uti", "transfer_name", "is_sticker", "hide_attachment", "is_outgoing"))
            row = db.conn.execute(f"SELECT {cols} FROM attachment WHERE filename IN (?, ?) LIMIT 1",
                                  (f"~/{path}", f"/var/mobile/{path}")).fetchone()
            if row is not None:
                return dict(row)
        files = self.reader.recovered_files
        if files is not None:
            for carved in [*files.by_rowid.values(), *files.loose]:
                filename = carved.get("filename")
                if isinstance(filename, str) and filename.endswith(path):
                    return carved
        return None


def attachment_locations(filename: str) -> list[tuple[str, str]]:
    """Where an attachment's ``filename`` may live in a backup: (domain, path) candidates, likeliest first."""
    path = filename.replace("\\", "/")
    if path.startswith("~/"):
        rel = path[2:]
    elif "/mobile/" in path:
        rel = path.split("/mobile/", 1)[1]
    else:
        rel = path.lstrip("/")
    if not rel:
        return []
    if rel.startswith("Library/SMS/Attachments/") or rel.startswith("Media/"):
        return [(ATTACHMENT_DOMAIN, rel), (DOMAIN, rel)]
    return [(DOMAIN, rel), (ATTACHMENT_DOMAIN, rel)]


def _jpeg_preview(path: Path) -> tuple[bytes, str]:
    from reclaim.media.images import to_jpeg

    return to_jpeg(path), "image/jpeg"


def _target_guid(value: Any) -> str:
    """``p:0/GUID`` or ``bp:GUID`` → ``GUID``."""
    text = str(value or "")
    if "/" in text:
        text = text.split("/", 1)[1]
    elif ":" in text:
        text = text.split(":", 1)[1]
    return text


def _blob(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return b""


_dumps = orjson.dumps
_UTC_Z = orjson.OPT_UTC_Z
#: Text JSON writes as it is (printable ASCII but quote and backslash): a guid a shape can print inside quotes.
_JSON_PLAIN = re.compile(r'[ !#-\[\]-~]*').fullmatch


def _text_of(row: dict[str, Any]) -> str:
    """A message's text: the ``text`` column, else the decoded ``attributedBody`` (iOS 16+)."""
    return _text_from(row.get("text"), row.get("attributedBody"))


def _text_from(text: Any, body: Any) -> str:
    """:func:`_text_of` given the ``text`` and ``attributedBody`` values."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not text and body:
        text = attributed_body_text(_blob(body))
    return (text or "").replace(OBJECT_REPLACEMENT, "").strip()


def _effect(style: Any) -> str | None:
    """``com.apple.MobileSMS.expressivesend.impact`` → ``impact``; screen effects likewise."""
    if not style:
        return None
    name = str(style).rsplit(".", 1)[-1]
    if name.startswith("CK") and name.endswith("Effect"):
        name = name[2:-6]
    return name.lower() or None


def _usable(values: dict[str, Any]) -> bool:
    """Whether a carved message row says anything a person could read."""
    return bool(values.get("text") or values.get("attributedBody") or values.get("cache_has_attachments"))


def _row_key(row: dict[str, Any]) -> tuple[str, int]:
    """Identifies an attachment row: by ROWID when known, else by the object (a carved row without one)."""
    rowid = row.get("ROWID")
    return ("rowid", rowid) if isinstance(rowid, int) else ("object", id(row))


def _int_or(value: Any) -> int | float:
    """A sortable number for a possibly missing or mistyped carved value."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _filled(values: dict[str, Any]) -> int:
    return sum(1 for v in values.values() if v not in (None, "", 0))

