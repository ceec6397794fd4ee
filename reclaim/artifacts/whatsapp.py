"""WhatsApp: chats, calls and the WhatsApp address book, live and recovered.

WhatsApp keeps everything in its shared app-group container
(``AppDomainGroup-group.net.whatsapp.WhatsApp.shared``; WhatsApp Business uses
``…WhatsAppSMB.shared``): ``ChatStorage.sqlite`` (chats, messages, media items,
group members), ``ContactsV2.sqlite`` (the people WhatsApp found in the address
book) and ``CallHistory.sqlite``. Media files live beside them under
``Message/Media/<chat jid>/x/y/<uuid>.<ext>``; a file the phone no longer has is
listed as missing. Deleted messages still in the database's free space, WAL or
journal are recovered by carving ``ZWAMESSAGE``.

Reactions and poll questions live in each message's ``ZWAMESSAGEINFO.ZRECEIPTINFO``
protobuf; a message edited or deleted for everyone keeps only its latest state in its
row, and its earlier text is taken from an older copy of that row still in the
file's free space or in the WAL (the carver's ``superseded`` versions).

Three kinds come out of this module: ``whatsapp`` (messages), ``whatsapp-calls``
and ``whatsapp-contacts``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reclaim.artifacts._phone import ContactIndex
from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_unix_time,
    text_or_empty,
)
from reclaim.case.context import Database, ScanContext
from reclaim.decoders.protobuf import ProtobufError, parse_message
from reclaim.media import sniff_mime
from reclaim.media.audio import wav_preview
from reclaim.sqlite.records import CarvedRecord
from reclaim.vfs import Entry

#: (domain, service name, id tag) of the WhatsApp apps whose data reclaim reads.
APPS: tuple[tuple[str, str, str], ...] = (
    ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "WhatsApp", ""),
    ("AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared", "WhatsApp Business", "business:"),
)

CHAT_DB = "ChatStorage.sqlite"
CONTACTS_DB = "ContactsV2.sqlite"
CALLS_DB = "CallHistory.sqlite"

# ZWAMESSAGE.ZMESSAGETYPE values (observed in WhatsApp's iOS database; WhatsApp does not document them).
TEXT, IMAGE, VIDEO, AUDIO, CONTACT, LOCATION, GROUP_EVENT, LINK, DOCUMENT = 0, 1, 2, 3, 4, 5, 6, 7, 8
SYSTEM, GIF, SYSTEM_OTHER, REVOKED, STICKER = 10, 11, 12, 14, 15
VIEW_ONCE_IMAGE, VIEW_ONCE_VIDEO, POLL, VIEW_ONCE_AUDIO, ROUND_VIDEO = 38, 39, 46, 53, 54

_MEDIA_TYPES = {IMAGE: "image", VIDEO: "video", AUDIO: "voice", DOCUMENT: "document", GIF: "gif", STICKER: "sticker",
                VIEW_ONCE_IMAGE: "image", VIEW_ONCE_VIDEO: "video", VIEW_ONCE_AUDIO: "voice", ROUND_VIDEO: "video"}
_VIEW_ONCE = (VIEW_ONCE_IMAGE, VIEW_ONCE_VIDEO, VIEW_ONCE_AUDIO)
#: ZWAMESSAGE.ZFLAGS bits set together on a forwarded message (as the IPED project reads them).
_FORWARDED = 0x180

#: Group notifications (type 6) by ZGROUPEVENTTYPE.
_GROUP_EVENTS = {
    1: "changed the group name",
    2: "joined the group",
    3: "left the group",
    4: "changed the group icon",
    5: "deleted the group icon",
    7: "was removed from the group",
    10: "You are now an admin",
    12: "created the group",
    50: "members joined the group",
}
#: Chat notifications (type 10) by ZGROUPEVENTTYPE.
_CHAT_EVENTS = {
    1: "Missed voice call",
    2: "Messages and calls are end-to-end encrypted",
    3: "Security code changed",
    4: "Missed video call",
    22: "Missed group video call",
    26: "This chat is with a business account",
    30: "This business account is now a standard account",
    34: "You blocked this contact",
    35: "You unblocked this contact",
    40: "Group video call",
    41: "Group video call",
}
_URL = re.compile(r"https?://\S+")


# --------------------------------------------------------------------------------------------
# Records


@dataclass(kw_only=True)
class WhatsAppMessage(Record):
    """One WhatsApp message (or chat notification), in the shared conversation shape."""

    KIND = "whatsapp"

    chat_id: str = ""
    chat: str = ""
    sender: str = ""
    sender_id: str = ""
    direction: str = "incoming"  # incoming | outgoing | system
    text: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    card: dict[str, Any] | None = None
    quote: dict[str, Any] | None = None
    status: str = ""
    service: str = "WhatsApp"
    group: bool = False
    message_type: int | None = None
    starred: bool = False
    stanza_id: str = ""
    reactions: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    view_once: bool = False
    forwarded: bool = False

    def record_label(self) -> str:
        return self.chat

    def search_text(self) -> str:
        parts = [super().search_text()]
        parts.extend(str(e.get("text") or "") for e in self.edits)
        if self.card:
            parts.extend(str(self.card.get(k) or "") for k in ("title", "description"))
        return "\n".join(p for p in parts if p)


@dataclass(kw_only=True)
class WhatsAppCall(Record):
    """One WhatsApp voice or video call."""

    KIND = "whatsapp-calls"

    contact: str = ""
    contact_id: str = ""
    phone: str = ""
    participants: list[str] = field(default_factory=list)
    direction: str = ""  # incoming | outgoing | ""
    outcome: str = ""  # ended | missed | rejected | as stored
    video: bool = False
    duration: float = 0.0
    end: datetime | None = None
    group_id: str = ""
    bytes_sent: int | None = None
    bytes_received: int | None = None
    service: str = "WhatsApp"

    def record_label(self) -> str:
        return self.contact or self.contact_id


@dataclass(kw_only=True)
class WhatsAppContact(Record):
    """A person in WhatsApp's copy of the address book (``ContactsV2.sqlite``)."""

    KIND = "whatsapp-contacts"

    name: str = ""
    phone: str = ""
    phone_label: str = ""
    whatsapp_id: str = ""
    about: str = ""
    about_date: datetime | None = None
    identifier: str = ""
    photo: MediaRef | None = None  # the newest profile picture WhatsApp cached for the number, if any
    service: str = "WhatsApp"


# --------------------------------------------------------------------------------------------
# Shared helpers


def _specs(name: str) -> tuple[FileSpec, ...]:
    return tuple(FileSpec(domain, name) for domain, _, _ in APPS)


def _app_of(domain: str) -> tuple[str, str]:
    for known, service, tag in APPS:
        if domain == known:
            return service, tag
    return "WhatsApp", ""


def jid_number(jid: str | None) -> str:
    """The phone number in a personal JID (``19198887386@s.whatsapp.net`` → ``+19198887386``)."""
    if not jid or not jid.endswith("@s.whatsapp.net"):
        return ""
    user = jid.split("@", 1)[0].split(":", 1)[0]
    return f"+{user}" if user.isdigit() else ""


#: A profile picture WhatsApp cached: ``Media/Profile/<number or group id>-<Unix time>.jpg`` (the picture) or
#: ``.thumb`` (its small copy), both JPEG; a newer one is kept beside the older (seen in public tools' notes and in
#: a commercial extraction's file list).
_PROFILE_PICTURE = re.compile(r"Media/Profile/(?P<who>[^/]+)-(?P<when>\d+)\.(?P<ext>jpg|thumb)")


def profile_pictures(ctx: ScanContext, domain: str) -> dict[str, list[Entry]]:
    """The profile pictures WhatsApp cached for each number or group id, newest first (the full picture before its
    small copy of the same time)."""
    found: dict[str, list[tuple[int, bool, Entry]]] = {}
    for entry in ctx.fs.files(domain, "Media/Profile/*"):
        name = _PROFILE_PICTURE.fullmatch(entry.path)
        if name is not None and entry.size:
            found.setdefault(name["who"], []).append((int(name["when"]), name["ext"] == "jpg", entry))
    return {who: [e for *_, e in sorted(files, key=lambda f: f[:2], reverse=True)] for who, files in found.items()}


def _clean_label(label: str | None) -> str:
    """An address-book label without Apple's ``_$!<…>!$_`` wrapping."""
    if not label:
        return ""
    return label.removeprefix("_$!<").removesuffix(">!$_")


@dataclass
class _People:
    """Names WhatsApp and the address book know, looked up by JID."""

    contacts: dict[str, str] = field(default_factory=dict)  # jid -> WhatsApp address-book name
    phones: dict[str, str] = field(default_factory=dict)  # jid -> the number as the address book writes it
    push: dict[str, str] = field(default_factory=dict)  # jid -> the name the person chose
    device: ContactIndex = field(default_factory=ContactIndex)

    def name(self, jid: str | None, *fallbacks: str | None) -> str:
        """The best display name of a JID: address book, given fallbacks, chosen name, number, JID."""
        if not jid:
            return next((f for f in fallbacks if f), "")
        found = self.contacts.get(jid) or self.device.name(jid_number(jid) or None)
        if found:
            return found
        for fallback in fallbacks:
            if fallback:
                return fallback
        return self.push.get(jid) or jid_number(jid) or jid

    @classmethod
    def load(cls, ctx: ScanContext, domain: str) -> _People:
        people = cls(device=ContactIndex.load(ctx))
        entry = ctx.get(domain, CONTACTS_DB)
        if entry is not None and entry.is_file:
            with ctx.optional_database(entry, "people are shown by their WhatsApp numbers, not by name") as db:
                if db is not None and db.has("ZWAADDRESSBOOKCONTACT", "ZWHATSAPPID"):
                    t = "ZWAADDRESSBOOKCONTACT"
                    for row in db.rows(
                        f"SELECT ZWHATSAPPID, {db.col(t, 'ZFULLNAME')}, {db.col(t, 'ZPHONENUMBER')}"
                        f" FROM {t} WHERE ZWHATSAPPID IS NOT NULL ORDER BY Z_PK"
                    ):
                        if row["ZFULLNAME"]:
                            people.contacts.setdefault(row["ZWHATSAPPID"], row["ZFULLNAME"])
                        if row["ZPHONENUMBER"]:
                            people.phones.setdefault(row["ZWHATSAPPID"], row["ZPHONENUMBER"])
        return people


# --------------------------------------------------------------------------------------------
# Messages


@dataclass
class _Chat:
    jid: str
    name: str
    kind: int | None  # ZSESSIONTYPE: 0 one-to-one, 1 group, 3 broadcast / status

    @property
    def is_group(self) -> bool:
        return self.kind == 1 or self.jid.endswith("@g.us")


def quote_from_metadata(blob: bytes | None) -> dict[str, str] | None:
    """The replied-to message kept in a media item's ``ZMETADATA`` protobuf: stanza id, sender JID, text.

    Observed layout (WhatsApp does not document it): field 5 is the quoted
    message's stanza id, field 6 its sender's JID and field 19 a nested message
    whose field 1 is the quoted text.
    """
    if not blob:
        return None
    try:
        msg = parse_message(bytes(blob))
        stanza = msg.string(5)
        sender = msg.string(6)
        nested = msg.message(19) if msg.bytes(19) is not None else None
        text = nested.string(1) if nested is not None else None
    except ProtobufError:
        return None
    if not (stanza or text):
        return None
    return {"stanza_id": stanza or "", "sender_id": sender or "", "text": text or ""}


def reactions_from_receipt(blob: bytes | None) -> list[dict[str, Any]]:
    """The reactions kept in a message's ``ZWAMESSAGEINFO.ZRECEIPTINFO`` protobuf, one per person.

    Observed layout (WhatsApp does not document it; IPED and iLEAPP read it the
    same way): field 7 holds the reactions; each field 7 → 1 is someone else's
    reaction ``{1: reaction message id, 2: reactor JID, 3: emoji, 4: Unix time in
    ms}``; field 7 → 2 is the phone owner's own ``{1: id, 2: emoji, 3: Unix time
    in ms}`` (no JID). A changed reaction leaves the latest entry per person, and
    an empty emoji is a reaction taken back, so those are dropped. Returns
    ``{"sender_id", "reaction", "date", "mine"}`` dicts (``sender_id`` "" for the owner).
    """
    if not blob:
        return []
    latest: dict[str, tuple[int, str]] = {}
    try:
        for addons in parse_message(bytes(blob)).messages(7):
            for entry in addons.messages(1):
                jid, emoji = entry.string(2) or "", entry.string(3) or ""
                when = entry.uint(4) or 0
                if jid and when >= latest.get(jid, (-1, ""))[0]:
                    latest[jid] = (when, emoji)
            for entry in addons.messages(2):
                emoji, when = entry.string(2) or "", entry.uint(3) or 0
                if when >= latest.get("", (-1, ""))[0]:
                    latest[""] = (when, emoji)
    except ProtobufError:
        return []
    return [{"sender_id": jid, "reaction": emoji, "date": from_unix_time(when / 1000) if when else None,
             "mine": jid == ""}
            for jid, (when, emoji) in latest.items() if emoji]


def poll_from_receipt(blob: bytes | None) -> dict[str, Any] | None:
    """A poll's question and options from its ``ZRECEIPTINFO`` (field 8 → 2 question, 8 → 3 → 1 options).

    Observed layout, as the IPED project reads it; the votes are not in this
    blob (where WhatsApp keeps them on iOS is not known), so only the question and
    the options are returned.
    """
    if not blob:
        return None
    try:
        poll = parse_message(bytes(blob)).message(8)
        if poll is None:
            return None
        question = poll.string(2) or ""
        options = [text for option in poll.messages(3) if (text := option.string(1))]
    except ProtobufError:
        return None
    if not (question or options):
        return None
    return {"question": question, "options": options}


class WhatsAppArtifact(Artifact):
    """WhatsApp messages of every chat, with media, locations, contact cards, quotes and deleted rows."""

    kind = "whatsapp"
    title = "WhatsApp"
    record = WhatsAppMessage
    files = _specs(CHAT_DB)
    view = "chat"

    def extract(self, ctx: ScanContext) -> Iterator[WhatsAppMessage]:
        for entry in self.inputs(ctx):
            service, tag = _app_of(entry.domain)
            people = _People.load(ctx, entry.domain)
            with ctx.database(entry) as db:
                if not db.has("ZWAMESSAGE") or not db.has("ZWACHATSESSION"):
                    ctx.warn(f"{db.source}: no WhatsApp message tables (unknown version)")
                    continue
                reader = _MessageReader(ctx, db, people, service, tag)
                if ctx.options.recover_deleted:
                    reader.carve()  # first: older copies of live rows give edited / deleted-for-everyone text
                yield from reader.live()
                if ctx.options.recover_deleted:
                    yield from reader.carved()


class _MessageReader:
    """Turns one ChatStorage.sqlite into records."""

    def __init__(self, ctx: ScanContext, db: Database, people: _People, service: str, tag: str) -> None:
        self.ctx = ctx
        self.db = db
        self.people = people
        self.service = service
        self.tag = tag
        if db.has("ZWAPROFILEPUSHNAME", "ZPUSHNAME"):
            for row in db.rows("SELECT ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME WHERE ZJID IS NOT NULL"):
                if row["ZPUSHNAME"]:
                    people.push.setdefault(row["ZJID"], row["ZPUSHNAME"])
        self.member_names: dict[str, str] = {}  # group member JID -> name
        self.chats = self._chats()
        self.members = self._members()
        self.me = people.device.me()
        self.live_pks: set[int] = set()
        #: stanza id -> (sender, sender id) of the messages seen so far, to name who a reply quotes.
        self.stanzas: dict[str, tuple[str, str]] = {}
        #: recovered ZWAMESSAGE rows, then the older texts of rows still live (by stanza id).
        self.carved_rows: list[tuple[int | None, dict[str, Any], CarvedRecord]] = []
        self.carved_media: tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]] = ({}, {})
        self.older_texts: dict[str, list[tuple[str, str]]] = {}

    def _chats(self) -> dict[int, _Chat]:
        db = self.db
        chats = {}
        for row in db.rows(
            f"SELECT Z_PK, {db.col('ZWACHATSESSION', 'ZCONTACTJID')}, {db.col('ZWACHATSESSION', 'ZPARTNERNAME')},"
            f" {db.col('ZWACHATSESSION', 'ZSESSIONTYPE')} FROM ZWACHATSESSION"
        ):
            chats[row["Z_PK"]] = self._chat(row["ZCONTACTJID"], row["ZPARTNERNAME"], row["ZSESSIONTYPE"])
        return chats

    def _chat(self, jid: str | None, partner: str | None, kind: int | None) -> _Chat:
        jid = jid or ""
        if jid.endswith(("@g.us", "@broadcast")) or kind in (1, 3):
            name = partner or ("Status updates" if jid == "status@broadcast" else jid)
        else:
            name = self.people.name(jid, partner)
        return _Chat(jid=jid, name=name, kind=kind)

    def _members(self) -> dict[int, tuple[str, str]]:
        db = self.db
        members: dict[int, tuple[str, str]] = {}
        if not db.has("ZWAGROUPMEMBER", "ZMEMBERJID"):
            return members
        for row in db.rows(
            f"SELECT Z_PK, ZMEMBERJID, {db.col('ZWAGROUPMEMBER', 'ZCONTACTNAME')},"
            f" {db.col('ZWAGROUPMEMBER', 'ZFIRSTNAME')} FROM ZWAGROUPMEMBER"
        ):
            jid = row["ZMEMBERJID"] or ""
            members[row["Z_PK"]] = (jid, self.people.name(jid, row["ZCONTACTNAME"], row["ZFIRSTNAME"]))
            self.member_names.setdefault(jid, members[row["Z_PK"]][1])
        return members

    # -- live rows ------------------------------------------------------------------------

    def live(self) -> Iterator[WhatsAppMessage]:
        db = self.db
        m, mi = "ZWAMESSAGE", "ZWAMEDIAITEM"
        has_media = db.has(mi)
        if has_media and db.has(m, "ZMEDIAITEM"):
            join = f"LEFT JOIN {mi} ON {mi}.Z_PK = {m}.ZMEDIAITEM"
        elif has_media and db.has(mi, "ZMESSAGE"):
            join = f"LEFT JOIN {mi} ON {mi}.ZMESSAGE = {m}.Z_PK"
        else:
            join = ""
        info = "ZWAMESSAGEINFO"
        if db.has(info, "ZRECEIPTINFO") and db.has(m, "ZMESSAGEINFO"):
            join += f" LEFT JOIN {info} ON {info}.Z_PK = {m}.ZMESSAGEINFO"
        elif db.has(info, "ZRECEIPTINFO") and db.has(info, "ZMESSAGE"):
            join += f" LEFT JOIN {info} ON {info}.ZMESSAGE = {m}.Z_PK"
        message_cols = ["ZCHATSESSION", "ZISFROMME", "ZMESSAGEDATE", "ZTEXT", "ZMESSAGETYPE", "ZGROUPEVENTTYPE",
                        "ZFROMJID", "ZTOJID", "ZGROUPMEMBER", "ZSTARRED", "ZSTANZAID", "ZMESSAGESTATUS", "ZPUSHNAME",
                        "ZFLAGS"]
        media_cols = list(_MEDIA_KEYS)
        cols = [f"{m}.Z_PK AS Z_PK"] + [db.col(m, c) for c in message_cols]
        cols += [db.col(mi, c, alias=f"MI_{c}") if has_media and mi in join else f'NULL AS "MI_{c}"'
                 for c in media_cols]
        cols.append(f'{info}.ZRECEIPTINFO AS "RECEIPTINFO"' if info in join else 'NULL AS "RECEIPTINFO"')
        sql = f"SELECT {', '.join(cols)} FROM {m} {join} ORDER BY {m}.ZMESSAGEDATE, {m}.Z_PK"
        for row in db.rows(sql):
            self.live_pks.add(row["Z_PK"])
            media = {c: row[f"MI_{c}"] for c in media_cols}
            record = self._record(dict(row), media, row["Z_PK"])
            if record is not None:
                if record.stanza_id:
                    self.stanzas[record.stanza_id] = (record.sender, record.sender_id)
                    self._history(record)
                if row["RECEIPTINFO"]:
                    self._addons(record, row["RECEIPTINFO"])
                yield record

    def _history(self, msg: WhatsAppMessage) -> None:
        """Mark an edited message, or give a deleted-for-everyone one its text, from older copies of its row.

        WhatsApp rewrites the row in place: an edit replaces ``ZTEXT``, deleting for
        everyone turns the row into type 14 with no text. An older copy of the row
        (same stanza id) left in free space, or an older version of the row in the
        WAL (asked from the carver with ``superseded=True``), with another, complete
        text is the earlier version.
        """
        older = self.older_texts.get(msg.stanza_id)
        if not older or msg.message_type not in (TEXT, LINK, REVOKED):
            return
        seen = {msg.text}
        for text, area in older:
            if text not in seen:
                seen.add(text)
                msg.edits.append({"text": text, "area": area})
        if msg.edits and msg.message_type != REVOKED:
            msg.status = "edited"

    def _addons(self, msg: WhatsAppMessage, blob: bytes) -> None:
        """Reactions (and a poll's question and options) from the message's receipt protobuf."""
        for reaction in reactions_from_receipt(blob):
            jid = reaction["sender_id"]
            sender = self.me if reaction["mine"] else self.member_names.get(jid) or self.people.name(jid)
            msg.reactions.append({"sender": sender, "sender_id": jid, "reaction": reaction["reaction"], "name": "",
                                  "date": reaction["date"]})
        if msg.message_type == POLL:
            poll = poll_from_receipt(blob)
            if poll is not None:
                question = poll["question"] or msg.text
                msg.text = msg.text or question
                msg.card = {"type": "poll", "title": question, "description": " · ".join(poll["options"]),
                            "url": "", "extra": {"options": poll["options"]}}

    # -- recovered rows -------------------------------------------------------------------

    def carve(self) -> None:
        """Recover deleted rows once, before the live rows are read.

        The message rows are kept for :meth:`carved`; a complete older copy of a row
        that is still live (same stanza id, another text) is the earlier text of an
        edited or deleted-for-everyone message (:meth:`_history`). Older versions the
        carver knows to be superseded (rowid still live) only feed that history.
        """
        media_by_pk, media_by_message = self.carved_media
        for carved in self.db.carve(["ZWAMESSAGE", "ZWAMEDIAITEM", "ZWACHATSESSION"], superseded=True):
            values = dict(carved.values)
            if carved.superseded:
                stanza, text = values.get("ZSTANZAID"), values.get("ZTEXT")
                if carved.table == "ZWAMESSAGE" and stanza and isinstance(text, str) and _whole_text(carved, text):
                    self.older_texts.setdefault(str(stanza), []).append((text, carved.area))
                continue
            pk = carved.rowid if carved.rowid is not None else values.get("Z_PK")
            if carved.table == "ZWAMEDIAITEM":
                if isinstance(pk, int):
                    media_by_pk.setdefault(pk, values)
                if isinstance(values.get("ZMESSAGE"), int):
                    media_by_message.setdefault(values["ZMESSAGE"], values)
            elif carved.table == "ZWACHATSESSION":
                if isinstance(pk, int) and pk not in self.chats and values.get("ZCONTACTJID"):
                    self.chats[pk] = self._chat(values.get("ZCONTACTJID"), values.get("ZPARTNERNAME"),
                                                values.get("ZSESSIONTYPE"))
            elif carved.table == "ZWAMESSAGE":
                stanza, text = values.get("ZSTANZAID"), values.get("ZTEXT")
                if stanza and isinstance(text, str) and _whole_text(carved, text):
                    self.older_texts.setdefault(str(stanza), []).append((text, carved.area))
                self.carved_rows.append((pk if isinstance(pk, int) else None, values, carved))

    def carved(self) -> Iterator[WhatsAppMessage]:
        """Deleted messages still in the file, skipping every copy of a live row.

        A freeblock often overwrites a cell's rowid, so a recovered row is matched
        to the live ones by primary key when it has one, else by its stanza id.
        """
        media_by_pk, media_by_message = self.carved_media
        seen: set[tuple[Any, ...]] = set()
        for pk, values, carved in self.carved_rows:
            stanza = values.get("ZSTANZAID")
            if (pk is not None and pk in self.live_pks) or (stanza and stanza in self.stanzas):
                continue
            if not isinstance(values.get("ZMESSAGEDATE"), int | float) and not values.get("ZTEXT"):
                continue  # too little left to show
            key = (values.get("ZSTANZAID") or pk, values.get("ZMESSAGEDATE"), values.get("ZTEXT"))
            if key in seen:
                continue
            seen.add(key)
            media_pk = values.get("ZMEDIAITEM")
            media = media_by_pk.get(media_pk) if isinstance(media_pk, int) else None
            if media is None and pk is not None:
                media = media_by_message.get(pk)
            record = self._record(values, {k: (media or {}).get(k) for k in _MEDIA_KEYS}, 0)
            if record is None:
                continue
            record.id = carved_id(f"whatsapp:{self.tag}".rstrip(":"), carved)
            record.deleted = True
            record.provenance = Provenance.of(carved)
            yield record

    # -- one row --------------------------------------------------------------------------

    def _record(self, row: Mapping[str, Any], media: Mapping[str, Any], ident: int | str) -> WhatsAppMessage | None:
        chat_pk = row.get("ZCHATSESSION")
        chat = self.chats.get(chat_pk) if isinstance(chat_pk, int) else None
        if chat is None:
            jid = row.get("ZFROMJID") or row.get("ZTOJID") or ""
            chat = self._chat(str(jid), None, None)
        mtype = row.get("ZMESSAGETYPE")
        mtype = mtype if isinstance(mtype, int) else TEXT
        event = row.get("ZGROUPEVENTTYPE") if isinstance(row.get("ZGROUPEVENTTYPE"), int) else 0
        from_me = row.get("ZISFROMME") == 1
        text = _text(row.get("ZTEXT"))
        msg = WhatsAppMessage(
            id=f"whatsapp:{self.tag}{ident}",
            date=from_apple_time(row.get("ZMESSAGEDATE") if isinstance(row.get("ZMESSAGEDATE"), int | float) else None),
            source=self.db.source,
            chat_id=chat.jid or f"chat:{chat_pk}",
            chat=chat.name,
            service=self.service,
            group=chat.is_group,
            message_type=mtype,
            starred=bool(row.get("ZSTARRED")),
            stanza_id=str(row.get("ZSTANZAID") or ""),
            text=text,
            view_once=mtype in _VIEW_ONCE,
        )
        flags = row.get("ZFLAGS")
        msg.forwarded = isinstance(flags, int) and flags & _FORWARDED == _FORWARDED
        if mtype in (GROUP_EVENT, SYSTEM, SYSTEM_OTHER):
            self._system(msg, row, chat, mtype, event)
            return msg
        if from_me:
            msg.direction, msg.sender, msg.sender_id = "outgoing", self.me, ""
        else:
            msg.direction = "incoming"
            msg.sender_id, msg.sender = self._sender(row, chat)
        if mtype == REVOKED:
            msg.status = "deleted for everyone"
        elif msg.view_once:
            msg.status = "view once"
        self._content(msg, mtype, media, chat)
        return msg

    def _sender(self, row: Mapping[str, Any], chat: _Chat) -> tuple[str, str]:
        member = row.get("ZGROUPMEMBER")
        if chat.is_group and isinstance(member, int) and member in self.members:
            return self.members[member]
        jid = str(row.get("ZFROMJID") or chat.jid)
        if chat.is_group and jid == chat.jid:
            return jid, chat.name
        fallback = chat.name if jid == chat.jid else None
        return jid, self.people.name(jid, fallback, _text(row.get("ZPUSHNAME")) or None)

    def _system(self, msg: WhatsAppMessage, row: Mapping[str, Any], chat: _Chat, mtype: int, event: int) -> None:
        """A notification: who did what ("Alex created the group"), attributed to the chat when nobody did."""
        msg.direction = "system"
        member = row.get("ZGROUPMEMBER")
        actor = ""
        if isinstance(member, int) and member in self.members:
            msg.sender_id, actor = self.members[member]
            msg.sender = actor
        elif row.get("ZISFROMME") == 1:
            msg.sender, actor = self.me, "You"
        else:
            msg.sender_id = str(row.get("ZFROMJID") or chat.jid)
            msg.sender = chat.name if msg.sender_id == chat.jid else self.people.name(msg.sender_id)
            actor = "" if msg.sender_id == chat.jid else msg.sender
        msg.card = {"type": "system", "title": "", "description": "", "url": "",
                    "extra": {"message_type": mtype, "event": event}}
        if msg.text:
            return
        if mtype == GROUP_EVENT and event in _GROUP_EVENTS:
            what = _GROUP_EVENTS[event]
            if what[0].isupper():
                msg.text = what
            elif actor:
                msg.text = f"{actor} {what}"
            else:
                msg.text = "Group created" if event == 12 else f"Someone {what}"
        elif mtype == SYSTEM and event in _CHAT_EVENTS:
            msg.text = _CHAT_EVENTS[event]

    def _content(self, msg: WhatsAppMessage, mtype: int, media: Mapping[str, Any], chat: _Chat) -> None:
        title = _text(media.get("ZTITLE"))
        quote = quote_from_metadata(media.get("ZMETADATA"))
        if quote:
            known = self.stanzas.get(quote["stanza_id"])
            if known is not None:
                quote["sender"], quote["sender_id"] = known
            else:
                quote["sender"] = self.people.name(quote["sender_id"]) if quote["sender_id"] else ""
            msg.quote = quote
        if mtype in _MEDIA_TYPES:
            msg.attachments = self._attachments(media, _MEDIA_TYPES[mtype])
            if mtype == DOCUMENT:
                msg.card = {"type": "file", "title": title, "description": _text(media.get("ZVCARDSTRING")),
                            "url": "", "extra": {"size": media.get("ZFILESIZE") or 0}}
            elif title and not msg.text:
                msg.text = title  # a caption
            if mtype in (VIDEO, AUDIO) and media.get("ZMOVIEDURATION"):
                msg.card = {"type": "file", "title": title, "description": "", "url": "",
                            "extra": {"duration": media.get("ZMOVIEDURATION")}}
        elif mtype == CONTACT:
            msg.card = _contact_card(_text(media.get("ZVCARDNAME")), _text(media.get("ZVCARDSTRING")))
        elif mtype == LOCATION:
            lat, lon = media.get("ZLATITUDE"), media.get("ZLONGITUDE")
            extra: dict[str, Any] = {"latitude": lat, "longitude": lon}
            msg.card = {"type": "location", "title": title, "description": "",
                        "url": f"https://maps.apple.com/?ll={lat},{lon}" if lat is not None else "", "extra": extra}
            msg.attachments = self._attachments(media, "location")
        elif mtype == LINK:
            url = _text(media.get("ZMEDIAURL")) or next(iter(_URL.findall(msg.text)), "")
            msg.card = {"type": "link", "title": title, "description": "", "url": url, "extra": {}}

    def _attachments(self, media: Mapping[str, Any], role: str) -> list[MediaRef]:
        """The message's media file, and its thumbnail when the file itself is not there."""
        refs: list[MediaRef] = []
        main = _text(media.get("ZMEDIALOCALPATH"))
        if main:
            refs.append(self._media(main, role))
        thumb = _text(media.get("ZXMPPTHUMBPATH")) or _text(media.get("ZTHUMBNAILLOCALPATH"))
        if thumb and (not refs or refs[0].missing):
            refs.append(self._media(thumb, "thumbnail", mime="image/jpeg"))
        return refs

    def _media(self, path: str, role: str, mime: str | None = None) -> MediaRef:
        domain = self.db.entry.domain
        name = path.rsplit("/", 1)[-1]
        entry = None
        for candidate in _media_paths(path):
            entry = self.ctx.get(domain, candidate)
            if entry is not None and entry.is_file:
                break
        origin = f"{domain}/{_media_paths(path)[0]}"
        # Voice notes are Ogg Opus, which not every browser plays: a WAV copy goes beside them.
        preview = wav_preview if role == "voice" else None
        return self.ctx.media(entry, name=name, role=role, mime=mime, origin=origin, preview=preview)


#: Separators WhatsApp puts between the names and the vCards of a message sharing several contacts.
_NAME_SEPARATOR, _VCARD_SEPARATOR = "_$!<Name-Separator>!$_", "_$!<VCard-Separator>!$_"


def _contact_card(names: str, vcards: str) -> dict[str, Any]:
    """A shared contact, or several: ``ZVCARDNAME``/``ZVCARDSTRING`` hold them joined by WhatsApp's separators.

    With several contacts the first name is the list's own title ("3 contacts").
    """
    cards = [v for v in vcards.split(_VCARD_SEPARATOR) if v.strip()]
    people = names.split(_NAME_SEPARATOR)
    if len(people) > max(1, len(cards)):
        people = people[1:]
    return {"type": "contact", "title": ", ".join(p for p in people if p), "description": "", "url": "",
            "extra": {"vcard": "\n".join(cards), "vcards": cards}}


def _whole_text(carved: CarvedRecord, text: str) -> bool:
    """Whether a recovered row's text can be trusted to be complete (not cut where its overflow was lost).

    A row rewritten in place loses its rowid to the freeblock header, which alone
    makes it ``partial``; its values are still whole when the record fitted in its
    page, which a short text guarantees (a 1 KiB text cannot have spilled to overflow
    on a 4 KiB page).
    """
    if not text:
        return False
    if not carved.partial:
        return True
    return carved.rowid is None and carved.confidence >= 0.7 and len(text.encode()) < 1024


_MEDIA_KEYS = ("ZMEDIALOCALPATH", "ZXMPPTHUMBPATH", "ZTHUMBNAILLOCALPATH", "ZTITLE", "ZLATITUDE", "ZLONGITUDE",
               "ZVCARDNAME", "ZVCARDSTRING", "ZFILESIZE", "ZMOVIEDURATION", "ZMEDIAURL", "ZMETADATA")


def _media_paths(path: str) -> list[str]:
    """Where a ``ZMEDIALOCALPATH`` may be in the container: it is relative to ``Message/`` (older: absolute)."""
    path = path.lstrip("/")
    marker = path.find("Message/Media/")
    if marker >= 0:
        rel = path[marker:]
        return [rel, rel.removeprefix("Message/")]
    if path.startswith("Media/"):
        return [f"Message/{path}", path]
    return [path, f"Message/{path}"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# --------------------------------------------------------------------------------------------
# Calls


_OUTCOMES = {0: "ended", 1: "missed", 4: "rejected"}


class WhatsAppCallsArtifact(Artifact):
    """WhatsApp voice and video calls (``CallHistory.sqlite``)."""

    kind = "whatsapp-calls"
    title = "WhatsApp calls"
    record = WhatsAppCall
    files = _specs(CALLS_DB)
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[WhatsAppCall]:
        for entry in self.inputs(ctx):
            service, tag = _app_of(entry.domain)
            people = _People.load(ctx, entry.domain)  # (names and numbers, from one reading of ContactsV2)
            with ctx.database(entry) as db:
                if not db.has("ZWACDCALLEVENT", "ZDATE"):
                    ctx.warn(f"{db.source}: no call table (unknown version)")
                    continue
                yield from _calls(db, people, service, tag)


def _calls(db: Database, people: _People, service: str, tag: str) -> Iterator[WhatsAppCall]:
    ev, part, agg = "ZWACDCALLEVENT", "ZWACDCALLEVENTPARTICIPANT", "ZWAAGGREGATECALLEVENT"
    link = "Z1CALLEVENTS" if db.has(ev, "Z1CALLEVENTS") else None
    participants: dict[int, list[str]] = {}
    if link and db.has(part, "Z1PARTICIPANTS") and db.has(part, "ZJIDSTRING"):
        for row in db.rows(f"SELECT Z1PARTICIPANTS, ZJIDSTRING FROM {part} ORDER BY Z_PK"):
            if row[1]:
                participants.setdefault(row[0], []).append(row[1])
    aggregates: dict[int, dict[str, Any]] = {}
    if link and db.has(agg):
        for row in db.rows(f"SELECT Z_PK, {db.col(agg, 'ZINCOMING')}, {db.col(agg, 'ZVIDEO')},"
                           f" {db.col(agg, 'ZMISSED')} FROM {agg}"):
            aggregates[row["Z_PK"]] = dict(row)
    cols = ", ".join(db.col(ev, c) for c in ("ZDATE", "ZDURATION", "ZOUTCOME", "ZGROUPCALLCREATORUSERJIDSTRING",
                                              "ZGROUPJIDSTRING", "ZBYTESSENT", "ZBYTESRECEIVED", "ZVIDEO",
                                              "ZINCOMING"))
    sql = f"SELECT Z_PK, {link or 'NULL'} AS agg, {cols} FROM {ev} ORDER BY ZDATE, Z_PK"
    for row in db.rows(sql):
        who = participants.get(row["agg"], [])
        info = aggregates.get(row["agg"], {})
        jid = who[0] if who else ""
        creator = row["ZGROUPCALLCREATORUSERJIDSTRING"]
        incoming = info.get("ZINCOMING") if info.get("ZINCOMING") is not None else row["ZINCOMING"]
        if incoming is not None:
            direction = "incoming" if incoming else "outgoing"
        elif creator and jid:
            direction = "incoming" if creator in who else "outgoing"
        else:
            direction = ""
        outcome = row["ZOUTCOME"]
        start = from_apple_time(row["ZDATE"])
        duration = float(row["ZDURATION"] or 0)
        video = info.get("ZVIDEO") if info.get("ZVIDEO") is not None else row["ZVIDEO"]
        yield WhatsAppCall(
            id=f"whatsapp-calls:{tag}{row['Z_PK']}",
            date=start,
            end=start + timedelta(seconds=duration) if start else None,
            source=db.source,
            contact=people.name(jid) if jid else "",
            contact_id=jid,
            phone=people.phones.get(jid) or jid_number(jid),
            participants=[people.name(j) for j in who],
            direction=direction,
            outcome=_OUTCOMES.get(outcome, "" if outcome is None else str(outcome)),
            video=bool(video),
            duration=duration,
            group_id=row["ZGROUPJIDSTRING"] or "",
            bytes_sent=row["ZBYTESSENT"],
            bytes_received=row["ZBYTESRECEIVED"],
            service=service,
        )


# --------------------------------------------------------------------------------------------
# Contacts


class WhatsAppContactsArtifact(Artifact):
    """The people WhatsApp knows from the address book, with their WhatsApp id and "about" text."""

    kind = "whatsapp-contacts"
    title = "WhatsApp contacts"
    record = WhatsAppContact
    files = _specs(CONTACTS_DB)
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[WhatsAppContact]:
        for entry in self.inputs(ctx):
            service, tag = _app_of(entry.domain)
            pictures = profile_pictures(ctx, entry.domain)
            with ctx.database(entry) as db:
                t = "ZWAADDRESSBOOKCONTACT"
                if not db.has(t):
                    ctx.warn(f"{db.source}: no address-book table (unknown version)")
                    continue
                cols = ", ".join(db.col(t, c) for c in ("ZFULLNAME", "ZPHONENUMBER", "ZPHONENUMBERLABEL",
                                                        "ZWHATSAPPID", "ZABOUTTEXT", "ZABOUTTIMESTAMP",
                                                        "ZIDENTIFIER"))
                for row in db.rows(f"SELECT Z_PK, {cols} FROM {t} ORDER BY Z_PK"):
                    yield WhatsAppContact(
                        id=f"whatsapp-contacts:{tag}{row['Z_PK']}",
                        source=db.source,
                        name=row["ZFULLNAME"] or "",
                        phone=row["ZPHONENUMBER"] or "",
                        phone_label=_clean_label(row["ZPHONENUMBERLABEL"]),
                        whatsapp_id=row["ZWHATSAPPID"] or "",
                        about=row["ZABOUTTEXT"] or "",
                        about_date=from_apple_time(row["ZABOUTTIMESTAMP"]),
                        identifier=row["ZIDENTIFIER"] or "",
                        photo=_photo(ctx, pictures.get(jid_number(text_or_empty(row["ZWHATSAPPID"]))[1:], [])),
                        service=service,
                    )


def _photo(ctx: ScanContext, files: list[Entry]) -> MediaRef | None:
    """The newest of someone's cached profile pictures that is a picture (a damaged file is passed over), stored in
    the case; ``None`` when there is none."""
    for entry in files:
        head = ctx.head(entry, 32)
        mime = sniff_mime(head) if head is not None else ""
        if mime.startswith("image/"):
            return ctx.media(entry, name=entry.name.replace(".thumb", ".jpg"), mime=mime,
                             role="thumbnail" if entry.name.endswith(".thumb") else "avatar")
    return None
