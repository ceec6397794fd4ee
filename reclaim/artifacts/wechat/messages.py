"""Every WeChat message of every account: live rows, then recovered deleted ones.

Chats live in ``Chat_<md5(username)>`` tables spread over ``DB/MM.sqlite``,
``DB/message_N.sqlite`` and ``Brand/BrandMsg.db``; columns are read by name (the
shards keep them in alphabetical order). Rows stream in (CreateTime,
MesLocalID) order, one table at a time, so memory stays flat on a million
messages: what is kept per account is a bitmap of seen MesLocalIDs per table and
two compact arrays used to tell recovered deleted rows from copies of live ones.
"""

from __future__ import annotations

import re
import sqlite3
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from reclaim.artifacts.base import MediaRef, Provenance, ShapedRows, from_unix_time, shape_literal
from reclaim.artifacts.wechat import compression, fallback
from reclaim.artifacts.wechat.accounts import Account, inventory
from reclaim.artifacts.wechat.contacts import Directory, load
from reclaim.artifacts.wechat.content import TYPE_NAMES, Rendered, render, split_group_sender
from reclaim.artifacts.wechat.emoji import replace_emoji
from reclaim.artifacts.wechat.leftovers import Leftovers
from reclaim.artifacts.wechat.media import MediaFinder
from reclaim.artifacts.wechat.records import WeChatMessage
from reclaim.case.context import Database, ScanContext
from reclaim.errors import CorruptFile

CHAT_TABLE = re.compile(r"Chat_([0-9a-f]{32})")
_MEDIA_TYPES = {3, 34, 43, 47, 48, 49, 62}
_MAX_LOCAL_ID = 1 << 31  # larger ids are not tracked (never seen in practice)


def _lenient(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _batches(db: Database, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    """A query's rows as batches of plain tuples.

    Text is decoded by SQLite's own (fast) UTF-8 conversion; a value that is not valid
    UTF-8 makes that fail, and then the query runs again from the first row not yet
    handed out, with a decoder that replaces the bad bytes (what WeChat's app shows).
    """
    done = 0
    cursor = db.conn.execute(sql)
    cursor.row_factory = None
    try:
        while batch := cursor.fetchmany(1000):
            done += len(batch)
            yield batch
        return
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc):
            raise
    db.conn.text_factory = _lenient
    try:
        cursor = db.conn.execute(sql)
        cursor.row_factory = None
        while done and (skipped := cursor.fetchmany(min(done, 1000))):
            done -= len(skipped)
        while batch := cursor.fetchmany(1000):
            yield batch
    finally:
        db.conn.text_factory = str


class _Seen:
    """MesLocalIDs already read, per table, as bitmaps (a migrated table can sit in two files)."""

    def __init__(self) -> None:
        self.maps: dict[str, bytearray] = {}

    def add(self, table: str, local_id: int) -> bool:
        """Mark an id; False if it was already there."""
        if local_id < 0 or local_id > _MAX_LOCAL_ID:
            return True
        bits = self.maps.setdefault(table, bytearray())
        byte, bit = divmod(local_id, 8)
        if byte >= len(bits):
            bits.extend(bytes(byte - len(bits) + 1024))
        if bits[byte] >> bit & 1:
            return False
        bits[byte] |= 1 << bit
        return True

    def has(self, table: str, local_id: int | None) -> bool:
        if local_id is None or local_id < 0:
            return False
        bits = self.maps.get(table)
        byte, bit = divmod(local_id, 8)
        return bits is not None and byte < len(bits) and bool(bits[byte] >> bit & 1)


class AccountReader:
    """Reads one account's messages into records."""

    def __init__(self, ctx: ScanContext, account: Account, directory: Directory,
                 sessions: dict[str, fallback.SessionInfo], index: fallback.SearchIndex, *,
                 stored: bool = True) -> None:
        """``stored``: plain text messages come as :class:`ShapedRows` when the scan stores them in a case
        (quicker), else as :class:`WeChatMessage` like every other message."""
        self.ctx = ctx
        self.stored = stored
        self.account = account
        self.dir = directory
        self.sessions = sessions
        self.index = index
        self.domain = account.domain
        self.media = MediaFinder(ctx, account)
        self.seen = _Seen()
        self.live_svr = array("q")
        self.live_keys = array("q")
        self._recovered_texts: set[tuple[str, str]] = set()
        self.leftovers: Leftovers | None = None

    # -- identities ------------------------------------------------------------------------

    def chat_of(self, table_hash: str) -> str:
        return self.dir.by_hash.get(table_hash, "")

    def chat_id(self, username: str, table_hash: str) -> str:
        return f"{self.account.id}:{username or '#' + table_hash}"

    def chat_title(self, username: str, table_hash: str) -> str:
        return self.dir.chat_name(username) if username else f"Unknown chat {table_hash[:8]}"

    @staticmethod
    def chat_type(username: str) -> str:
        if username.endswith(("@chatroom", "@im.chatroom")):
            return "group"
        if username.startswith("gh_"):
            return "official"
        return "private"

    # -- the walk --------------------------------------------------------------------------

    def run(self) -> Iterator[WeChatMessage | ShapedRows]:
        with self.index.kept_open():  # the search index is read chat by chat: opened once, if at all
            yield from self._walk()

    def _walk(self) -> Iterator[WeChatMessage | ShapedRows]:
        carved: list[tuple[str, Any]] = []
        read = 0
        for entry in self.account.message_dbs:
            with self.ctx.optional_database(entry, "its messages are lost (those of the other files still come)") \
                    as db:
                if db is None:
                    continue
                read += 1
                tables = sorted(t for t in db.tables() if CHAT_TABLE.fullmatch(t))
                if self.ctx.options.recover_deleted and tables:
                    carved.extend((db.source, c) for c in self._carve(db, tables))
                for table in tables:
                    yield from self._table(db, table)
        if self.account.message_dbs and not read:
            folder = "/".join(filter(None, (self.domain, self.account.root)))
            raise CorruptFile(f"none of the {len(self.account.message_dbs)} message databases of the account in "
                              f"{folder} can be read (the warnings name each one and why)")
        if not self.ctx.options.recover_deleted:
            return
        self.leftovers = Leftovers(self)  # listed now: every live MesLocalID is known
        if carved:
            yield from self._recovered(carved)
        yield from self._from_search_index()
        yield from self.leftovers.records()

    def _carve(self, db: Database, tables: list[str]) -> Iterator[Any]:
        try:
            from reclaim.sqlite import carve  # noqa: F401 - the carver may not be installed yet
        except ImportError:
            self.ctx.warn("deleted WeChat messages not searched: the SQLite carver is not available")
            return
        for record in db.carve(tables=tables):
            if record.table and CHAT_TABLE.fullmatch(record.table):
                yield record

    def _table(self, db: Database, table: str) -> Iterator[WeChatMessage | ShapedRows]:
        cols = db.columns(table)
        if not {"CreateTime", "Message", "Type"} <= cols:
            self.ctx.warn(f"{db.source}: {table} has an unknown layout; skipped")
            return
        table_hash = table[5:]
        username = self.chat_of(table_hash)
        def integer(column: str) -> str:  # what int(value or 0) gives, done by SQLite (and never raising)
            return f'CAST(IFNULL("{column}", 0) AS INTEGER)' if column in cols else "0"

        select = ", ".join([integer("MesLocalID") if "MesLocalID" in cols else "rowid", integer("MesSvrID"),
                            '"CreateTime"', '"Message"', integer("Type"), integer("Des")])
        order = "MesLocalID" if "MesLocalID" in cols else "rowid"  # the order sent; the case orders by date
        info = _ChatInfo(self, username, table_hash, db.source)
        seen = self.seen.maps.setdefault(table_hash, bytearray())  # _Seen.add, inlined: once per message
        # Only a deep scan compares recovered rows with live ones.
        keep = self.ctx.options.recover_deleted
        live_svr, live_keys = self.live_svr.append, self.live_keys.append
        message = self.message
        # Plain text (type 1) is most of any account, and its records differ only in a few values: they go to
        # the case as shaped rows (see reclaim.case.store.SCHEMA) of the chat's shape, built right here without
        # message()'s general path or a record object (the case they give is the one the records give:
        # tests/test_wechat_shaped.py compares them).
        add_shape = self.ctx.add_shape if self.stored else None
        shape = _shape(info) if add_shape is not None else None
        number = add_shape(shape) if add_shape is not None and shape is not None else 0
        member, emoji = info.member, replace_emoji
        is_group, title, chat_id = info.is_group, info.title, info.chat_id
        owner_name, owner_id, chat_user = info.owner_name, info.owner_id, info.username
        for batch in _batches(db, f'SELECT {select} FROM "{table}" ORDER BY {order}'):
            shaped: list[tuple[Any, ...]] = []  # handed over in runs, before any whole record that follows
            keep_shaped = shaped.append
            for local_id, svrid, ctime, raw, mtype, des in batch:  # plain tuples; the ids already integers
                if 0 <= local_id <= _MAX_LOCAL_ID:
                    byte, bit = local_id >> 3, 1 << (local_id & 7)
                    if byte >= len(seen):
                        seen.extend(bytes(byte - len(seen) + 1024))
                    if seen[byte] & bit:
                        continue  # the same row in an older copy of the table (unfinished migration)
                    seen[byte] |= bit
                if keep:
                    if svrid:
                        live_svr(svrid)
                    live_keys(hash((table_hash, int(ctime or 0), mtype)))
                # Shaped: plain text, dated in whole seconds (the case store writes the date), with no NUL
                # character in what the case's view prints (SQLite's printf stops at one).
                if mtype == 1 and type(raw) is str and number and type(ctime) is int and 0 < ctime < _UTC_SECONDS \
                        and "\x00" not in raw:
                    if des == 0:
                        direction, sender, sender_id, body = "outgoing", owner_name, owner_id, raw
                    elif is_group:
                        direction, sender, sender_id, body = "incoming", "", "", raw
                        if des == 1:  # "wxid_x:\n" before the text: content.split_group_sender, inlined
                            head_id, sep, rest = raw.partition(":\n")
                            if sep and head_id and len(head_id) <= 64 and " " not in head_id and "<" not in head_id \
                                    and "\n" not in head_id:
                                sender_id, body = head_id, rest
                                sender = member(head_id)
                    else:
                        direction, sender, sender_id, body = "incoming", title, chat_user, raw
                    if "\x00" not in sender and "\x00" not in sender_id:
                        text = emoji(body) if "[" in body or "/:" in body else body
                        # WeChatMessage.search_text: the text, the sender when not the chat's title, the title
                        # (those not empty, a line each; with a text and a sender, the title's line even if empty).
                        if sender != title and sender:
                            words = f"{text}\n{sender}\n{title}" if text else f"{sender}\n{title}" if title else sender
                        else:
                            words = f"{text}\n{title}" if text and title else text or title
                        keep_shaped(("wechat", ctime, number, 0, chat_id, sender, words, local_id, sender_id,
                                     direction, text, svrid or "", local_id or "null"))
                        continue
                if shaped:  # what came before it goes first
                    yield ShapedRows(shaped)
                    shaped = []
                    keep_shaped = shaped.append
                yield message(info, local_id, svrid, ctime, raw, mtype, des)
            if shaped:
                yield ShapedRows(shaped)

    # -- one row -----------------------------------------------------------------------------

    def message(self, info: _ChatInfo, local_id: int, svrid: int, ctime: Any, raw: Any, mtype: int, des: int,
                *, deleted: bool = False, provenance: Provenance | None = None) -> WeChatMessage:
        status = ""
        if isinstance(raw, str):
            body = raw
        else:
            decoded = compression.decode_message(raw)
            body = decoded.text or ""
            if decoded.text is None:
                body, status = self._unreadable(info, local_id, mtype, decoded.dict_id)
        sender_id = ""
        if info.is_group and des == 1 and body:
            sender_id, body = split_group_sender(body)
        if mtype == 1:  # plain text, most messages: what render() would say, without its object
            text, type_name, card, quote, shown_status, system = replace_emoji(body), "text", None, None, "", False
            attachments: list[MediaRef] = []
        else:
            if status == "compressed-unreadable" and mtype in (49, 10000, 10002):
                rendered = Rendered(body, TYPE_NAMES.get(mtype, f"type-{mtype}"))
            else:
                rendered = render(mtype, body, info.name_of)
            text, type_name, card, quote = rendered.text, rendered.type_name, rendered.card, rendered.quote
            shown_status, system = rendered.status, rendered.system or mtype in (10000, 10002)
            sender_id = sender_id or rendered.sender_id
            attachments = self._media(info, local_id, mtype, rendered) if mtype in _MEDIA_TYPES and local_id else []
        if status == "compressed-unreadable" and mtype == 1:
            text = body  # shown as found: the notice, not an emoji rendering of it
        if system:
            direction, sender, sender_id = "system", "", ""
        elif des == 0:
            direction, sender, sender_id = "outgoing", info.owner_name, info.owner_id
        elif info.is_group:
            direction, sender = "incoming", info.member(sender_id) if sender_id else ""
        else:
            direction, sender_id = "incoming", info.username
            sender = info.title
        record = _new(WeChatMessage)
        record.__dict__ = {  # WeChatMessage(...) without its keyword parsing: the fields in declared order
            "id": f"{info.id_prefix}{local_id}" if not deleted else f"{info.id_prefix}deleted:{local_id}",
            "date": _date(ctime), "deleted": deleted, "source": info.source, "provenance": provenance,
            "account": info.account, "account_name": info.account_name, "chat_id": info.chat_id, "chat": info.title,
            "chat_type": info.chat_type, "sender": sender, "sender_id": sender_id, "direction": direction,
            "text": text, "attachments": attachments, "card": card, "quote": quote, "status": status or shown_status,
            "service": "WeChat", "type": mtype, "type_name": type_name, "server_id": str(svrid) if svrid else "",
            "local_id": local_id or None, "date_source": "",
        }
        return record

    def _unreadable(self, info: _ChatInfo, local_id: int, mtype: int, dict_id: int) -> tuple[str, str]:
        """Text for a row whose body needs a missing zstd dictionary: search index, chat list, or a notice."""
        if mtype == 1 and info.username:
            found = self.index.texts(info.username).get(local_id)
            if found:
                return found[0], "from-search-index"
        session = self.sessions.get(info.username)
        if session is not None and session.last_local_id == local_id and session.last_text:
            text = session.last_text
            if info.is_group and session.last_sender and not text.startswith(session.last_sender + ":\n"):
                text = f"{session.last_sender}:\n{text}"
            return text, "from-chat-list"
        if mtype in (1, 49, 10000, 10002):
            return (f"[Compressed message: needs WeChat's zstd dictionary {dict_id}, which is not in the backup]",
                    "compressed-unreadable")
        return "", "compressed-unreadable"

    def _media(self, info: _ChatInfo, local_id: int, mtype: int, rendered: Rendered) -> list[MediaRef]:
        h = info.table_hash
        hints = rendered.hints
        if mtype == 3:
            return [self.media.image(h, local_id)]
        if mtype == 34:
            return [self.media.voice(h, local_id)]
        if mtype in (43, 62):
            return self.media.video(h, local_id)
        if mtype == 48:
            snap = self.media.optional_picture(f"Location/{h}/{local_id}.pic_thum", "thumbnail", f"{local_id}_map")
            return [snap] if snap else []
        if mtype == 47:
            md5 = hints.get("md5")
            sticker = self.media.sticker(md5) if md5 else None
            return [sticker] if sticker else []
        if rendered.type_name == "file":
            return [self.media.file(h, local_id, hints.get("fileext", ""), hints.get("filename", "file"))]
        if rendered.type_name == "chat-history":
            return self.media.record_items(h, local_id, hints.get("record_items", []))
        if hints.get("thumb"):
            thumb = self.media.optional_picture(f"OpenData/{h}/{local_id}.pic_thum", "thumbnail", f"{local_id}_thumb")
            return [thumb] if thumb else []
        return []

    # -- deleted rows ----------------------------------------------------------------------------

    def _recovered(self, carved: list[tuple[str, Any]]) -> Iterator[WeChatMessage]:
        wanted_svr = {int(c.values.get("MesSvrID") or 0) for _, c in carved} - {0}
        live_svr = {s for s in self.live_svr if s in wanted_svr} if wanted_svr else set()
        wanted_keys = set()
        for _, c in carved:
            v = c.values
            if isinstance(v.get("CreateTime"), int):
                wanted_keys.add(hash((c.table[5:], v.get("CreateTime"), int(v.get("Type") or 0))))
        live_keys = {k for k in self.live_keys if k in wanted_keys}
        done: set[tuple[Any, ...]] = set()
        for source, c in carved:
            v = c.values
            table_hash = c.table[5:]
            ctime = v.get("CreateTime")
            if not isinstance(ctime, int) or ctime <= 0:
                continue
            svrid = v.get("MesSvrID") if isinstance(v.get("MesSvrID"), int) else 0
            local_id = v.get("MesLocalID") if isinstance(v.get("MesLocalID"), int) else c.rowid
            mtype = int(v.get("Type") or 0) if isinstance(v.get("Type"), int) else 0
            raw = v.get("Message")
            if svrid and svrid in live_svr:
                continue
            if self.seen.has(table_hash, local_id):
                continue
            if not svrid and hash((table_hash, ctime, mtype)) in live_keys:
                continue
            key = (table_hash, svrid) if svrid else (table_hash, ctime, mtype, str(raw)[:200])
            if key in done:
                continue
            done.add(key)
            username = self.chat_of(table_hash)
            info = _ChatInfo(self, username, table_hash, source)
            des = v.get("Des") if isinstance(v.get("Des"), int) else 1
            claimed = None
            if self.leftovers is not None:
                if local_id:
                    self.leftovers.discard(table_hash, int(local_id))
                elif mtype in _MEDIA_TYPES:  # its MesLocalID was overwritten: its files may still be there
                    claimed = self.leftovers.claim(table_hash, mtype, ctime)
                    local_id = claimed or local_id
            provenance = Provenance(area=c.area, page=c.page, offset=c.offset, frame=c.frame,
                                    confidence=c.confidence, partial=c.partial)
            record = self.message(info, int(local_id or 0), svrid, ctime, raw if raw is not None else "", mtype,
                                  des, deleted=True, provenance=provenance)
            record.id = f"wechat:{info.chat_id}:deleted:{svrid or f'{c.area}-{c.page}-{c.offset}-{c.frame}'}"
            if claimed:
                for ref in record.attachments:
                    ref.note = ref.note or "the message's id was overwritten; its file was matched to it by time"
            if local_id:
                self.seen.add(table_hash, int(local_id))
            self._recovered_texts.add((username, record.text))
            yield record

    def _from_search_index(self) -> Iterator[WeChatMessage]:
        """Texts the search index still holds for messages no longer in any chat table."""
        recovered = self._recovered_texts
        for username in sorted(self.index.ids):
            table_hash = _md5(username)
            texts = self.index.texts(username)
            missing = {i: t for i, t in texts.items() if not self.seen.has(table_hash, i)}
            if not missing:
                continue
            info = _ChatInfo(self, username, table_hash, self.index_source)
            for local_id, (text, ctime) in sorted(missing.items()):
                if (username, replace_emoji(text)) in recovered:
                    continue
                record = self.message(info, local_id, 0, ctime, text, 1, 1, deleted=True,
                                      provenance=Provenance(area="search-index", confidence=0.6, partial=True))
                record.direction, record.sender, record.sender_id = "", "", ""
                record.id = f"wechat:{info.chat_id}:search-index:{local_id}"
                yield record

    @property
    def index_source(self) -> str:
        entry = self.account.entry("fts/fts_message.db")
        return f"{entry.domain}/{entry.path}" if entry else ""


def _md5(text: str) -> str:
    from reclaim.artifacts.wechat.accounts import md5

    return md5(text)


class _ChatInfo:
    """What every message of one chat shares (computed once per table)."""

    __slots__ = ("account", "account_name", "chat_id", "chat_type", "id_prefix", "is_group", "name_of", "names",
                 "owner_id", "owner_name", "source", "table_hash", "title", "username")

    def __init__(self, reader: AccountReader, username: str, table_hash: str, source: str) -> None:
        self.username = username
        self.table_hash = table_hash
        self.source = source
        self.chat_id = reader.chat_id(username, table_hash)
        self.id_prefix = f"wechat:{self.chat_id}:"
        self.title = reader.chat_title(username, table_hash)
        self.chat_type = reader.chat_type(username)
        self.is_group = self.chat_type == "group"
        directory = reader.dir
        self.name_of = (lambda u: directory.member_name(username, u)) if self.is_group else directory.name
        self.names: dict[str, str] = {}
        account = reader.account
        self.account, self.account_name = account.id, account.display
        self.owner_name, self.owner_id = directory.owner_name(), account.wxid

    def member(self, sender_id: str) -> str:
        """A group member's name (looked up once per chat)."""
        name = self.names.get(sender_id)
        if name is None:
            name = self.names[sender_id] = self.name_of(sender_id)
        return name


_UTC_SECONDS = 100_000_000_000  # below: Unix seconds; above: milliseconds (as from_unix_time reads them)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_new = object.__new__


def _shape(info: _ChatInfo) -> tuple[str, str, str, str, str] | None:
    """The shape of a chat's plain text records (see ``reclaim.case.store.SCHEMA``): what they share, and the
    JSON ``WeChatMessage.to_json_bytes`` gives them as a format taking n = MesLocalID, the date, the sender,
    v1 = sender id, v2 = direction, v3 = text, v4 = server id, v5 = local id. None when a value it holds has
    a NUL character (SQLite's ``printf`` stops at one)."""
    if any("\x00" in value for value in (info.id_prefix, info.source, info.account, info.account_name,
                                          info.chat_id, info.title, info.chat_type)):
        return None
    dumps = orjson.dumps

    data = "".join([
        shape_literal(b'{"kind":"wechat","id":', dumps(info.id_prefix)[:-1]), '%d","date":"%s',
        shape_literal(b'","deleted":false,"source":', dumps(info.source), b',"provenance":null,"account":',
                      dumps(info.account), b',"account_name":', dumps(info.account_name), b',"chat_id":',
                      dumps(info.chat_id), b',"chat":', dumps(info.title), b',"chat_type":', dumps(info.chat_type),
                      b',"sender":'),
        '%s,"sender_id":%s,"direction":"%s","text":%s,"attachments":[],"card":null,"quote":null,"status":"",'
        '"service":"WeChat","type":1,"type_name":"text","server_id":"%s","local_id":%s,"date_source":""}'])
    return info.id_prefix, info.source, info.title, info.title, data


def _date(ctime: Any) -> datetime | None:
    """A CreateTime as a UTC datetime (the common case, whole seconds, without from_unix_time's checks)."""
    if type(ctime) is int and 0 < ctime < _UTC_SECONDS:
        return _EPOCH + timedelta(0, ctime)  # what datetime.fromtimestamp(ctime, UTC) gives, quicker
    return from_unix_time(ctime) if isinstance(ctime, int | float) else None


def extract(ctx: ScanContext, *, stored: bool = True) -> Iterator[WeChatMessage | ShapedRows]:
    """Messages of every WeChat account in the source (plain text ones as :class:`ShapedRows` when ``stored`` and
    the scan stores them in a case: :attr:`ScanContext.add_shape`)."""
    for account in inventory(ctx.fs).accounts:
        directory = load(ctx, account)
        sessions = fallback.sessions(ctx, account)
        index = fallback.search_index(ctx, account)
        for username in (*sessions, *index.ids):
            directory.learn(username)
        yield from AccountReader(ctx, account, directory, sessions, index, stored=stored).run()
