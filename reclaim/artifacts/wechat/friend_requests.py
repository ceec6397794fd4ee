"""WeChat friend requests ("New Friends"): who asked to be added, with what message, when, and what came of it.

The requests sit in ``Hello_<md5>`` tables of ``DB/MM.sqlite`` (and of the
``message_N`` shards on some versions), laid out like the ``Chat_`` tables
(``MesLocalID``, ``CreateTime``, ``Message``, ``Type``, ``Des`` …). ``Message``
is a ``<msg …>`` element whose attributes say who asked (``fromusername``,
``fromnickname``, ``alias``), what they wrote (``content``), how they found the
account (``scene``), from which group (``chatroomusername``) and their avatar.
``Des`` = 1 is a request received, 0 one the owner sent. The status is what a
user wants to know: ``friend`` when the person is now in the contact list as a
friend, else ``pending`` (WeChat does not keep a reliable declined flag).
Deleted rows still in the files' free space are recovered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reclaim.artifacts.base import Provenance, Record, from_unix_time
from reclaim.artifacts.wechat import xmltools as X
from reclaim.artifacts.wechat.accounts import Account, inventory
from reclaim.artifacts.wechat.contacts import Directory, load
from reclaim.case.context import Database, ScanContext
from reclaim.errors import CorruptFile
from reclaim.sqlite.pages import StreamReader
from reclaim.sqlite.reader import Database as PageReader
from reclaim.vfs import Entry

HELLO_TABLE = re.compile(r"Hello_[0-9a-f]{32}")
#: ``scene`` values: how the requester found the account (the common ones; others are shown as numbers).
SCENES = {1: "QQ number", 3: "WeChat ID search", 6: "two-way friend request", 13: "phone contacts",
          14: "group chat", 15: "phone number search", 17: "shared contact card", 18: "people nearby",
          25: "drift bottle", 30: "QR code"}


@dataclass(kw_only=True)
class WeChatFriendRequest(Record):
    """One friend request (or a reply in its exchange) received or sent by a WeChat account."""

    KIND = "wechat-friend-requests"

    account: str = ""
    account_name: str = ""
    name: str = ""  # the requester as the owner knows them (remark > nickname)
    username: str = ""  # the requester's (or the requested person's) wxid
    nickname: str = ""
    alias: str = ""
    message: str = ""  # what they wrote ("I'm Kai from the hiking group")
    direction: str = ""  # incoming (they asked) | outgoing (the owner asked)
    status: str = ""  # friend | pending
    scene: str = ""  # how they found the account
    group: str = ""  # the group they found the account in (name), for scene "group chat"
    region: str = ""
    avatar_url: str = ""
    type: int = 0
    local_id: int | None = None
    service: str = "WeChat"

    def record_label(self) -> str:
        return self.name

    def chat_key(self) -> str | None:
        return None


def extract(ctx: ScanContext) -> Iterator[WeChatFriendRequest]:
    """Friend requests each WeChat account received and sent (the "New Friends" list)."""
    for account in inventory(ctx.fs).accounts:
        directory: Directory | None = None
        seen: set[tuple[Any, ...]] = set()
        tried = read = 0
        for entry in account.message_dbs:
            if entry.path.endswith("BrandMsg.db") or not _may_hold_hello(ctx, entry):
                continue
            tried += 1
            with ctx.optional_database(entry, "its friend requests are lost (those of the other files still come)") \
                    as db:
                if db is None:
                    continue
                read += 1
                tables = sorted(t for t in db.tables() if HELLO_TABLE.fullmatch(t))
                if not tables:
                    continue
                directory = directory or load(ctx, account)
                yield from _read(ctx, account, directory, db, tables, seen)
        if tried and not read:
            raise CorruptFile(f"none of the {tried} databases of the account in {account.domain}/{account.root} that "
                              "may hold friend requests can be read (the warnings name each one and why)")


_HELLO_NAME = re.compile(rb"Hello_[0-9a-f]{32}")
_CHUNK = 1 << 20


def _may_hold_hello(ctx: ScanContext, entry: Entry) -> bool:
    """Whether a database (or its ``-wal``) has a ``Hello_`` table. ``MM.sqlite`` is always opened; a
    message shard (often hundreds of MB) is copied and opened only when it has one: its schema is read
    in place (a few pages), a ``-wal`` beside it searched for the name."""
    if entry.path.endswith("DB/MM.sqlite"):
        return True
    names = _table_names(ctx, entry)
    if names is None or any(HELLO_TABLE.fullmatch(name) for name in names):
        return True  # no readable schema: the database itself will say what it holds
    for part in ctx.sidecars(entry):  # a table created since the last checkpoint is only in the WAL
        tail = b""
        with ctx.fs.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                if _HELLO_NAME.search(tail + chunk):
                    return True
                tail = chunk[-40:]
    return False


def _table_names(ctx: ScanContext, entry: Entry) -> list[str] | None:
    """The tables a database file names in its schema, read through the source without copying it."""
    try:
        with ctx.fs.open(entry) as stream:
            if not stream.seekable():
                return None
            db = PageReader(entry.path, wal=False, journal=False, file=StreamReader(stream))
            try:
                return [table.name for table in db.schema]
            finally:
                db.close()
    except (CorruptFile, OSError, ValueError):
        return None


def _read(ctx: ScanContext, account: Account, directory: Directory, db: Database, tables: list[str],
          seen: set[tuple[Any, ...]]) -> Iterator[WeChatFriendRequest]:
    for table in tables:
        cols = db.columns(table)
        if not {"CreateTime", "Message"} <= cols:
            ctx.warn(f"{db.source}: {table} has an unknown layout; skipped")
            continue
        local = '"MesLocalID"' if "MesLocalID" in cols else "rowid"
        sql = (f'SELECT {local}, "CreateTime", "Message", {db.col(table, "Type", "0")}, '
               f'{db.col(table, "Des", "1")} FROM "{table}" ORDER BY "CreateTime", {local}')
        for local_id, ctime, raw, mtype, des in db.rows(sql):
            key = (table, ctime, raw)
            if key in seen:
                continue
            seen.add(key)
            record = _request(account, directory, db.source, table, local_id, ctime, raw, mtype, des)
            if record is not None:
                yield record
    for carved in db.carve(tables=tables):
        if carved.table is None or not HELLO_TABLE.fullmatch(carved.table):
            continue
        v = carved.values
        key = (carved.table, v.get("CreateTime"), v.get("Message"))
        if key in seen:
            continue
        seen.add(key)
        local_id = v.get("MesLocalID") if isinstance(v.get("MesLocalID"), int) else carved.rowid
        record = _request(account, directory, db.source, carved.table, local_id, v.get("CreateTime"),
                          v.get("Message"), v.get("Type"), v.get("Des"), provenance=Provenance.of(carved))
        if record is not None:
            yield record


def _request(account: Account, directory: Directory, source: str, table: str, local_id: Any, ctime: Any, raw: Any,
             mtype: Any, des: Any, *, provenance: Provenance | None = None) -> WeChatFriendRequest | None:
    if not isinstance(raw, str) or not isinstance(ctime, int) or ctime <= 0:
        return None
    root = X.parse(raw)
    msg = root if root is not None and root.tag == "msg" else (X.find(root, "msg") if root is not None else None)
    outgoing = des == 0
    if msg is None:  # a plain-text reply in the exchange
        username, nickname, alias, text, scene, group, region, avatar = "", "", "", raw.strip(), 0, "", "", ""
    else:
        a = msg.attrib
        username = a.get("fromusername", "") if not outgoing else (a.get("tousername") or a.get("fromusername", ""))
        nickname, alias = a.get("fromnickname", ""), a.get("alias", "")
        text, scene = a.get("content", ""), X.as_int(a.get("scene"))
        group = a.get("chatroomusername", "")
        region = ", ".join(p for p in (a.get("city", ""), a.get("province", "")) if p)
        avatar = a.get("bigheadimgurl", "") or a.get("smallheadimgurl", "")
    if not username:
        username = directory.by_hash.get(table[6:], "")
    contact = directory.contacts.get(username) if username else None
    name = directory.name(username) if contact is not None else (nickname or username)
    status = "friend" if contact is not None and contact.category == "friend" else "pending"
    deleted = provenance is not None
    where = f"{provenance.area}:{provenance.page}:{provenance.offset}" if provenance else str(local_id)
    return WeChatFriendRequest(
        id=f"wechat-friend-requests:{account.id}:{table[6:]}:{'deleted:' if deleted else ''}{where}",
        date=from_unix_time(ctime), deleted=deleted, provenance=provenance, source=source, account=account.id,
        account_name=account.display, name=name, username=username, nickname=nickname, alias=alias, message=text,
        direction="outgoing" if outgoing else "incoming", status=status,
        scene=SCENES.get(scene, str(scene) if scene else ""), group=directory.chat_name(group) if group else "",
        region=region, avatar_url=avatar, type=mtype if isinstance(mtype, int) else 0,
        local_id=local_id if isinstance(local_id, int) else None,
    )
