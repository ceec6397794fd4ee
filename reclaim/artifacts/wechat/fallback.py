"""Second sources of message text: the search index and the chat list.

When a ``Message`` value cannot be read (zstd with a dictionary that is not in
the backup), the words may still be in ``fts/fts_message.db`` (WeChat indexes
text messages for search, keyed by chat and ``MesLocalID``) or, for the last
message of a chat, in the session list (``session/session.db`` and the
per-session protobuf files). Both are read directly from their tables: the FTS
shadow ``*_content`` tables need no WeChat tokenizer.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from reclaim.artifacts.wechat.accounts import Account, md5
from reclaim.case.context import Database, ScanContext
from reclaim.decoders.protobuf import Message, ProtobufError, parse_message

_FTS_CONTENT = re.compile(r"fts\d*_message_table_\d+_content")
_DECLARED = re.compile(r"\((.*)\)", re.S)
_INDEX_LOST = "texts that only WeChat's search index still holds (of deleted or unreadable messages) are left out"


@dataclass
class SessionInfo:
    """What the chat list says about one conversation."""

    username: str
    last_time: int = 0
    unread: int = 0
    name: str = ""
    last_local_id: int = 0
    last_type: int = 0
    last_text: str = ""
    last_sender: str = ""


@dataclass
class SearchIndex:
    """Text of messages by (chat username, MesLocalID), loaded one chat at a time."""

    ctx: ScanContext
    account: Account
    ids: dict[str, int] = field(default_factory=dict)  # username -> usernameid
    #: (table, chat column, local id column, text column, time column or "")
    _tables: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    _cache: tuple[str, dict[int, tuple[str, int | None]]] | None = None
    _open: Database | None = None
    _stack: contextlib.ExitStack | None = None

    def texts(self, username: str) -> dict[int, tuple[str, int | None]]:
        """Every indexed ``(text, CreateTime)`` of one chat by MesLocalID (the last chat asked for is cached)."""
        if self._cache is not None and self._cache[0] == username:
            return self._cache[1]
        found: dict[int, tuple[str, int | None]] = {}
        number = self.ids.get(username)
        if number is not None and self._tables:
            with self._database() as db:
                for table, chat_col, id_col, text_col, time_col in self._tables if db is not None else ():
                    when = f'"{time_col}"' if time_col else "NULL"
                    sql = f'SELECT "{id_col}", "{text_col}", {when} FROM "{table}" WHERE "{chat_col}" = ?'
                    for row in db.rows(sql, (number,)):
                        if isinstance(row[0], int) and isinstance(row[1], str):
                            found[row[0]] = (row[1], row[2] if isinstance(row[2], int) else None)
        self._cache = (username, found)
        return found

    @contextlib.contextmanager
    def kept_open(self) -> Iterator[None]:
        """Once read, keep the search index's database open meanwhile (it is read once per chat): it is
        opened once, and only if something asks for a text."""
        self._stack = contextlib.ExitStack()
        try:
            yield
        finally:
            stack, self._stack, self._open = self._stack, None, None
            stack.close()

    @contextlib.contextmanager
    def _database(self) -> Iterator[Database | None]:
        if self._open is not None:
            yield self._open
            return
        entry = self.account.entry("fts/fts_message.db")
        if entry is None:
            yield None
        elif self._stack is not None:
            self._open = self._stack.enter_context(self.ctx.database(entry))
            yield self._open
        else:
            with self.ctx.database(entry) as db:
                yield db


def _content_columns(db: Database, table: str) -> tuple[str, str, str, str] | None:
    """(chat id, local id, text, time or "") columns of an FTS content shadow table."""
    virtual = table[: -len("_content")]
    row = db.conn.execute("SELECT sql FROM sqlite_master WHERE name=?", (virtual,)).fetchone()
    declared: list[str] = []
    if row and row[0]:
        match = _DECLARED.search(row[0])
        if match:
            declared = [p.strip().split()[0].strip('"`[]') for p in match.group(1).split(",")]
    names = {}
    for column in db.columns(table):
        m = re.fullmatch(r"c(\d+)(.*)", column)
        if not m:
            continue
        index, suffix = int(m.group(1)), m.group(2)
        names[(suffix or (declared[index] if index < len(declared) else "")).lower()] = column
    chat = next((c for k, c in names.items() if "usernameid" in k or k == "usernameid"), None)
    local = next((c for k, c in names.items() if "localid" in k), None)
    text = next((c for k, c in names.items() if ("message" in k or k == "msg" or k.endswith("msg"))
                 and "localid" not in k), None)
    when = next((c for k, c in names.items() if "createtime" in k), "")
    return (chat, local, text, when) if chat and local and text else None


def search_index(ctx: ScanContext, account: Account) -> SearchIndex:
    """The account's search index (empty when ``fts/fts_message.db`` is absent or unreadable)."""
    index = SearchIndex(ctx, account)
    entry = account.entry("fts/fts_message.db")
    if entry is None:
        return index
    with ctx.optional_database(entry, _INDEX_LOST) as db:
        if db is None:
            return index
        if db.has("fts_username_id", "UsrName"):
            id_col = "usernameid" if db.has("fts_username_id", "usernameid") else "rowid"
            for row in db.rows(f'SELECT UsrName, "{id_col}" FROM fts_username_id'):
                if row[0]:
                    index.ids[str(row[0])] = int(row[1])
        for table in sorted(db.tables()):
            if _FTS_CONTENT.fullmatch(table):
                cols = _content_columns(db, table)
                if cols:
                    index._tables.append((table, *cols))
    return index


def _session_data(data: bytes) -> SessionInfo | None:
    try:
        root = parse_message(data)
        contact = (root.message(1) or Message()).message(1) or Message()
        last = root.message(2) or Message()
    except ProtobufError:
        return None
    return SessionInfo(
        username=contact.string(1) or "", name=contact.string(6) or contact.string(4) or "",
        last_local_id=last.uint(2) or 0, last_type=last.uint(3) or 0, last_time=last.uint(7) or 0,
        last_text=last.string(11) or "", last_sender=last.string(10) or "",
    )


def sessions(ctx: ScanContext, account: Account) -> dict[str, SessionInfo]:
    """The chat list: every conversation WeChat shows, with its last message where recorded."""
    out: dict[str, SessionInfo] = {}
    entry = account.entry("session/session.db")
    if entry is None:
        return out
    with ctx.optional_database(entry, "the chat list's last messages and unread counts are left out") as db:
        if db is None or not db.has("SessionAbstract", "UsrName"):
            return out
        cols = ", ".join(db.col("SessionAbstract", c) for c in ("UsrName", "CreateTime", "unreadcount", "ConStrRes1"))
        rows = [dict(r) for r in db.rows(f"SELECT {cols} FROM SessionAbstract")]  # one row per chat: small
    for row in rows:
        username = str(row["UsrName"] or "")
        if not username:
            continue
        info = SessionInfo(username, int(row["CreateTime"] or 0), int(row["unreadcount"] or 0))
        h = md5(username)
        rel = str(row["ConStrRes1"] or "").lstrip("/") or f"session/data/{h[:2]}/{h[2:]}"
        data_entry = ctx.get(entry.domain, f"{account.root}/{rel}")
        if data_entry is not None and data_entry.is_file and data_entry.size < (1 << 20):
            parsed = _session_data(ctx.read_bytes(data_entry))
            if parsed is not None:
                info.name = parsed.name
                info.last_local_id = parsed.last_local_id
                info.last_type = parsed.last_type
                info.last_text = parsed.last_text
                info.last_sender = parsed.last_sender
        out[username] = info
    return out
