"""Messages from the ``sms.db`` of iOS 3, 4 and 5, before the iOS 6 ``handle``/``chat`` layout.

That database has one ``message`` row per bubble and no ``guid``: the other party is
``address`` (SMS, MMS) or ``madrid_handle`` (iOS 5 iMessage, "Madrid" being its code name),
the direction is coded in ``flags`` (SMS) or ``madrid_flags`` (iMessage), and the date is
Unix seconds for SMS rows but seconds since 2001 for iMessage rows. SMS conversations are
``msg_group`` rows whose people are in ``group_member``; an iMessage group is its
``madrid_roomname`` (``madrid_chat.participants`` lists its people). MMS parts are
``msg_pieces`` rows: text parts carry their text in ``data``, the others are files
``Library/SMS/Parts/xx/yy/<message ROWID>-<part_id>.<ext>`` in MediaDomain (a
``…-preview`` file beside one is the bubble's thumbnail). iMessage attachments of iOS 5 are
``madrid_attachment`` rows whose ``filename`` points into ``Library/SMS/Attachments``.

Only the flag values that independent public parsers agree on are read (see
docs/kinds/messages.md, "iOS 3–5"); any other value gives no direction rather than a guess.
"""

from __future__ import annotations

import plistlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reclaim.artifacts._phone import ContactIndex, handle_key
from reclaim.artifacts.base import (
    NUMBERS,
    MediaRef,
    Provenance,
    carved_id,
    from_apple_time,
    from_unix_time,
)
from reclaim.artifacts.messages import (
    ATTACHMENT_DOMAIN,
    DOMAIN,
    OBJECT_REPLACEMENT,
    UNKNOWN_CHAT,
    UNKNOWN_CHAT_ID,
    Message,
    _Chat,
    attachment_locations,
)
from reclaim.case.context import Database, ScanContext
from reclaim.vfs import Entry

#: The columns a legacy row is read in (those an older iOS lacks are read as NULL).
COLUMNS = ("ROWID", "address", "date", "text", "flags", "group_id", "subject", "recipients", "is_madrid",
           "madrid_handle", "madrid_roomname", "madrid_flags", "madrid_guid", "madrid_date_read",
           "madrid_date_delivered")
#: SMS ``flags`` → (direction, failed). 2 and 3 are cited by every parser; 33 and 35 are outgoing messages that
#: were not sent (bit 1 = outgoing, bit 32 = failed).
SMS_FLAGS: dict[int, tuple[str, bool]] = {2: ("incoming", False), 3: ("outgoing", False),
                                          33: ("outgoing", True), 35: ("outgoing", True)}
#: SMS ``flags`` of a message the user deleted whose row is still in the table (direction unknown).
SMS_DELETED = 129
#: iMessage ``madrid_flags`` values whose direction the public parsers agree on (32773 is disputed: not read).
MADRID_INCOMING = frozenset({4097, 12289, 77825})
MADRID_OUTGOING = frozenset({36869, 45061, 102405})
#: ``Library/SMS/Parts/xx/yy/<message ROWID>-<part_id>[-preview][.ext]``
PARTS_PREFIX = "Library/SMS/Parts/"
_PART_NAME = re.compile(r"(\d+)-(\d+)(-preview)?(?:\.[^/]*)?")
#: MMS parts that are never a file to show (the slide layout).
_LAYOUT_TYPES = frozenset({"application/smil"})


def is_legacy(db: Database) -> bool:
    """Whether ``db`` has the iOS 3–5 ``message`` table (address, date, text and flags, and no guid)."""
    return not db.has("message", "guid") and all(
        db.has("message", column) for column in ("address", "date", "text", "flags"))


@dataclass
class _Part:
    """One ``msg_pieces`` row of an MMS."""

    part_id: int | None
    content_type: str
    name: str
    text: str


class LegacySmsReader:
    """Turns the rows of one iOS 3–5 ``sms.db`` into :class:`Message` records, live and deleted."""

    def __init__(self, db: Database, ctx: ScanContext, contacts: ContactIndex) -> None:
        self.db = db
        self.ctx = ctx
        self.contacts = contacts
        self.select = ", ".join(db.col("message", c) for c in COLUMNS)
        self.groups = self._group_members()
        self.rooms = self._room_participants()
        self.parts = self._parts()
        self.files = self._part_files()
        self.madrid_files = self._madrid_attachments()
        self.chats: dict[str, _Chat] = {}  # by conversation key (a handle's comparison key for one-to-one)

    def records(self) -> Iterator[Message]:
        """The live messages (oldest first), then, with deleted-record recovery on, the carved ones."""
        for row in self.db.rows(f"SELECT {self.select} FROM message ORDER BY ROWID"):
            record = self.message(dict(row))
            if record is not None:
                yield record
        if self.ctx.options.recover_deleted:
            yield from self.carved()

    # -- what the tables beside message say -------------------------------------------------

    def _group_members(self) -> dict[int, list[str]]:
        """``group_member`` addresses by ``group_id`` (SMS conversations)."""
        members: dict[int, list[str]] = defaultdict(list)
        if self.db.has("group_member", "group_id") and self.db.has("group_member", "address"):
            for group_id, address in self.db.rows("SELECT group_id, address FROM group_member ORDER BY ROWID"):
                group, text = _int(group_id), _text(address).strip()
                if group is not None and text and text not in members[group]:
                    members[group].append(text)
        return dict(members)

    def _room_participants(self) -> dict[str, list[str]]:
        """``madrid_chat.participants`` (a plist array of handles) by ``room_name`` (iOS 5 iMessage groups)."""
        rooms: dict[str, list[str]] = {}
        if self.db.has("madrid_chat", "room_name") and self.db.has("madrid_chat", "participants"):
            for room, participants in self.db.rows(
                    "SELECT room_name, participants FROM madrid_chat WHERE room_name IS NOT NULL ORDER BY ROWID"):
                people = _plist_strings(participants)
                if _text(room) and people:
                    rooms.setdefault(_text(room), people)
        return rooms

    def _parts(self) -> dict[int, list[_Part]]:
        """``msg_pieces`` rows by message ROWID, in part order."""
        parts: dict[int, list[_Part]] = defaultdict(list)
        if not self.db.has("msg_pieces", "message_id"):
            return {}
        cols = ", ".join(self.db.col("msg_pieces", c) for c in ("message_id", "part_id", "content_type",
                                                                "content_loc", "data"))
        for row in self.db.rows(f"SELECT {cols} FROM msg_pieces ORDER BY message_id, part_id, ROWID"):
            message_id = _int(row["message_id"])
            if message_id is None:
                continue
            kind = _text(row["content_type"]).strip().lower()
            text = _text(row["data"]) if kind.startswith("text/plain") else ""
            parts[message_id].append(_Part(_int(row["part_id"]), kind, _text(row["content_loc"]).strip(), text))
        return dict(parts)

    def _part_files(self) -> dict[tuple[int, int, bool], Entry]:
        """The files under ``Library/SMS/Parts/`` by (message ROWID, part_id, is a preview)."""
        files: dict[tuple[int, int, bool], Entry] = {}
        for domain in (ATTACHMENT_DOMAIN, DOMAIN):  # a pattern: a backup finds them in its index, not by a walk
            for entry in self.ctx.fs.files(domain, f"{PARTS_PREFIX}*"):
                match = _PART_NAME.fullmatch(entry.path.rsplit("/", 1)[-1])
                if match:
                    files.setdefault((int(match[1]), int(match[2]), bool(match[3])), entry)
        return files

    def _madrid_attachments(self) -> dict[int, list[tuple[str, str]]]:
        """iOS 5 ``madrid_attachment`` rows (filename, MIME type) by ``message_id``."""
        found: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if self.db.has("madrid_attachment", "message_id") and self.db.has("madrid_attachment", "filename"):
            mime = self.db.col("madrid_attachment", "mime_type")
            for row in self.db.rows(f"SELECT message_id, filename, {mime} FROM madrid_attachment ORDER BY ROWID"):
                message_id, filename = _int(row[0]), _text(row[1])
                if message_id is not None and filename:
                    found[message_id].append((filename, _text(row[2])))
        return dict(found)

    # -- conversations ------------------------------------------------------------------------

    def _direct(self, handle: str) -> _Chat:
        """The one-to-one conversation with a handle (SMS and iMessage threads with one person are one)."""
        key = handle_key(handle) or handle
        chat = self.chats.get(key)
        if chat is None:
            name = self.contacts.display(handle)
            chat = self.chats[key] = _Chat(rowid=0, key=f"messages:{handle}", name=name, members=[name])
        return chat

    def _group(self, key: str, people: list[str], fallback: str) -> _Chat:
        """A conversation of several people (named after them, as the Messages app did)."""
        chat = self.chats.get(key)
        if chat is None:
            names = [self.contacts.display(p) for p in people]
            chat = self.chats[key] = _Chat(rowid=0, key=f"messages:{key}", name=", ".join(names) or fallback,
                                           members=names)
        return chat

    def chat_of(self, row: dict[str, Any]) -> _Chat | None:
        """A row's conversation: its iMessage room or handle, else its SMS group, else its address."""
        if _int(row.get("is_madrid")):
            room = _text(row.get("madrid_roomname")).strip()
            if room:
                return self._group(room, self.rooms.get(room, []), room)
            handle = _text(row.get("madrid_handle")).strip()
            return self._direct(handle) if handle else None
        group = _int(row.get("group_id"))
        members = self.groups.get(group, []) if group is not None else []
        if len(members) == 1:
            return self._direct(members[0])
        if members:
            return self._group(f"sms-group:{group}", members, f"group {group}")
        address = _text(row.get("address")).strip()
        if address:
            return self._direct(address)
        recipients = _plist_strings(row.get("recipients"))
        if len(recipients) == 1:
            return self._direct(recipients[0])
        return self._group("sms-recipients:" + ",".join(recipients), recipients, "") if recipients else None

    # -- one record -----------------------------------------------------------------------------

    def message(self, row: dict[str, Any], *, provenance: Provenance | None = None,
                record_id: str = "") -> Message | None:
        """The record of one row (live, or carved when ``provenance`` is given); ``None`` when it says nothing."""
        rowid = _int(row.get("ROWID"))
        imessage = bool(_int(row.get("is_madrid")))
        direction, failed, flagged_deleted = _direction(row, imessage)
        parts = self.parts.get(rowid, []) if rowid is not None and provenance is None else []
        text = _text(row.get("text")) or "\n".join(p.text for p in parts if p.text)
        text = text.replace(OBJECT_REPLACEMENT, "").strip()
        attachments = self._attachments(rowid, parts, imessage, carved=provenance is not None)
        subject = _text(row.get("subject")).strip()
        if provenance is not None and not (text or subject):
            return None  # a carved row with nothing a person could read
        chat = self.chat_of(row)
        sender_id = _text(row.get("madrid_handle" if imessage else "address")).strip()
        if direction == "outgoing":
            sender, sender_id = self.contacts.me(), ""
        elif direction == "incoming":
            sender = self.contacts.display(sender_id) if sender_id else ""
        else:
            sender, sender_id = "", ""  # who wrote it is unknown: no guess
        if flagged_deleted and provenance is None:
            provenance = Provenance(area="app")
        return Message(
            id=record_id or f"sms:{rowid}",
            date=_date(row.get("date"), apple=imessage),
            deleted=provenance is not None,
            source=self.db.source,
            provenance=provenance,
            chat_id=chat.key if chat else UNKNOWN_CHAT_ID,
            chat=chat.name if chat else UNKNOWN_CHAT,
            chat_members=list(chat.members) if chat else [],
            sender=sender,
            sender_id=sender_id,
            direction=direction,
            text=text,
            subject=subject,
            attachments=attachments,
            service="iMessage" if imessage else "SMS",
            guid=_text(row.get("madrid_guid")) if imessage else "",
            date_read=_date(row.get("madrid_date_read"), apple=True) if imessage else None,
            date_delivered=_date(row.get("madrid_date_delivered"), apple=True) if imessage else None,
            failed=failed,
        )

    # -- attachments ------------------------------------------------------------------------------

    def _attachments(self, rowid: int | None, parts: list[_Part], imessage: bool, *, carved: bool) -> list[MediaRef]:
        """An MMS's part files, or an iOS 5 iMessage's attachment files; for a carved row, the part files
        still named after its ROWID (its ``msg_pieces`` rows go with it)."""
        if rowid is None:
            return []
        if carved:
            return self._leftover_parts(rowid)
        refs = [self._part(rowid, part) for part in parts if _is_file_part(part)]
        if imessage:
            refs += [self._madrid_file(filename, mime) for filename, mime in self.madrid_files.get(rowid, [])]
        return refs

    def _part(self, rowid: int, part: _Part) -> MediaRef:
        """One MMS part file (its thumbnail when only that is left; listed as missing when neither is)."""
        mime = part.content_type or None
        pid = part.part_id if part.part_id is not None else -1
        entry = self.files.get((rowid, pid, False))
        if entry is not None:
            return self.ctx.media(entry, name=part.name or entry.name, mime=mime)
        preview = self.files.get((rowid, pid, True))
        if preview is not None:
            ref = self.ctx.media(preview, name=part.name or preview.name, role="preview")
            ref.note = "only the thumbnail of this part is in the backup"
            return ref
        ref = self.ctx.media(None, name=part.name or f"{rowid}-{pid}", mime=mime)
        ref.note = f"its file ({PARTS_PREFIX}…/{rowid}-{pid}) is not in the backup"
        return ref

    def _leftover_parts(self, rowid: int) -> list[MediaRef]:
        """The part files of a deleted message that iOS left in ``Library/SMS/Parts``."""
        refs = []
        for (message_id, _, preview), entry in sorted(self.files.items(), key=lambda item: item[0]):
            if message_id == rowid and not preview:
                ref = self.ctx.media(entry)
                ref.note = "its part row is gone; the file, named after the message, is still in Library/SMS/Parts"
                refs.append(ref)
        return refs

    def _madrid_file(self, filename: str, mime: str) -> MediaRef:
        """An iOS 5 iMessage attachment, looked up like a modern one (``~/Library/SMS/Attachments/…``)."""
        name = filename.rsplit("/", 1)[-1] or "attachment"
        candidates = attachment_locations(filename)
        for domain, path in candidates:
            entry = self.ctx.get(domain, path)
            if entry is not None and entry.is_file:
                return self.ctx.media(entry, name=name, mime=mime or None)
        origin = f"{candidates[0][0]}/{candidates[0][1]}" if candidates else filename
        return self.ctx.media(None, name=name, mime=mime or None, origin=origin)

    # -- deleted rows --------------------------------------------------------------------------------

    def carved(self) -> Iterator[Message]:
        """Deleted ``message`` rows carved from free space, the freelist and the WAL (not live ones)."""
        found: dict[tuple[Any, ...], tuple[dict[str, Any], Any]] = {}
        for carved in self.db.carve(tables=["message"]):
            if carved.table != "message" or self._is_live(carved.rowid, carved.values.get("madrid_guid")):
                continue
            values = dict(carved.values, ROWID=carved.rowid)
            key = _carved_key(values)
            if key not in found or _filled(values) > _filled(found[key][0]):
                found[key] = (values, carved)
        records = []
        for values, carved in found.values():
            record_id = f"sms:deleted:{carved.rowid}" if carved.rowid is not None else carved_id("sms", carved)
            record = self.message(values, provenance=Provenance.of(carved), record_id=record_id)
            if record is not None:
                records.append(record)
        records.sort(key=lambda m: (m.chat_id, m.date.timestamp() if m.date else 0.0, m.id))
        yield from records

    def _is_live(self, rowid: int | None, guid: Any) -> bool:
        if rowid is not None and self.db.conn.execute("SELECT 1 FROM message WHERE ROWID = ?", (rowid,)).fetchone():
            return True
        return (isinstance(guid, str) and bool(guid) and self.db.has("message", "madrid_guid")
                and self.db.conn.execute("SELECT 1 FROM message WHERE madrid_guid = ?", (guid,)).fetchone() is not None)


def _direction(row: dict[str, Any], imessage: bool) -> tuple[str, bool, bool]:
    """(direction, failed, deleted in the app) from ``madrid_flags`` or ``flags``; "" when the value is unknown."""
    if imessage:
        flags = _int(row.get("madrid_flags"))
        direction = "incoming" if flags in MADRID_INCOMING else "outgoing" if flags in MADRID_OUTGOING else ""
        return direction, False, False
    flags = _int(row.get("flags"))
    if flags == SMS_DELETED:
        return "", False, True
    direction, failed = SMS_FLAGS.get(flags, ("", False)) if flags is not None else ("", False)
    return direction, failed, False


def _is_file_part(part: _Part) -> bool:
    """Whether an MMS part is a file to show (not its text, nor the slide layout)."""
    if part.content_type in _LAYOUT_TYPES:
        return False
    return not (part.content_type.startswith("text/plain") and part.text)


def _date(value: Any, *, apple: bool) -> datetime | None:
    """Seconds since 2001 (``apple``) or since 1970; a number written as text is read too, anything else is no date."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if type(value) not in NUMBERS:
        return None
    return from_apple_time(value) if apple else from_unix_time(value)


def _int(value: Any) -> int | None:
    """An integer column value; a number written as text is read too; anything else is ``None``."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    """A text column value as text: bytes are decoded as UTF-8, numbers written out, NULL is ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _plist_strings(value: Any) -> list[str]:
    """The strings of a plist array (binary or XML), e.g. ``recipients`` or ``participants``; [] when unreadable."""
    if not isinstance(value, bytes | str) or not value:
        return []
    data = value.encode("utf-8") if isinstance(value, str) else value
    try:
        parsed = plistlib.loads(data)
    except Exception:  # plistlib raises several unrelated types on damaged input
        return []
    if not isinstance(parsed, list):
        return []
    return [item.strip() for item in parsed if isinstance(item, str) and item.strip()]


def _carved_key(values: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two carved copies (page and WAL, say) one message: its ROWID, else its iMessage guid, else its
    date, address and text."""
    if values.get("ROWID") is not None:
        return ("rowid", values["ROWID"])
    if isinstance(values.get("madrid_guid"), str) and values["madrid_guid"]:
        return ("guid", values["madrid_guid"])
    return ("row", repr(values.get("date")), repr(values.get("address")), repr(values.get("text")))


def _filled(values: dict[str, Any]) -> int:
    return sum(1 for v in values.values() if v not in (None, "", 0))
