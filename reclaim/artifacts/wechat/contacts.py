"""WeChat contacts, groups and official accounts of one account (``DB/WCDB_Contact.sqlite``).

The ``Friend`` table holds everyone the account has met: friends, strangers seen
in groups, groups themselves, official accounts. Names and profile fields live
in schema-less protobuf blobs (``dbContactRemark``: 1 nickname, 2 WeChat ID,
3 remark ...; ``dbContactHeadImage``: 2 small and 3 HD avatar URL;
``dbContactProfile``: 1 sex, 2 country, 3 province, 4 city, 5 signature;
``dbContactChatRoom``: the member list with each member's group nickname as
``<RoomData>`` XML). The resulting :class:`Directory` resolves a username to the
name the user knows: remark, else nickname, else WeChat ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from reclaim.artifacts.wechat import xmltools as X
from reclaim.artifacts.wechat.accounts import Account, md5
from reclaim.case.context import ScanContext
from reclaim.decoders.protobuf import ProtobufError, iter_fields

_ROOMDATA = re.compile(rb"<RoomData>.*?</RoomData>", re.S)


@dataclass
class Contact:
    """One row of ``Friend`` (or ``OpenIMContact``), decoded."""

    username: str
    nickname: str = ""
    remark: str = ""
    alias: str = ""
    type: int = 0
    certification: int = 0
    description: str = ""
    labels: str = ""
    avatar_url: str = ""
    avatar_hd_url: str = ""
    sex: int = 0
    country: str = ""
    province: str = ""
    city: str = ""
    signature: str = ""
    members: list[tuple[str, str]] = field(default_factory=list)  # (username, group nickname)
    owner: str = ""
    deleted: bool = False

    @property
    def is_group(self) -> bool:
        return self.username.endswith(("@chatroom", "@im.chatroom"))

    @property
    def category(self) -> str:
        """``friend``, ``group``, ``official``, ``stranger`` or ``system``."""
        if self.is_group:
            return "group"
        if self.username.startswith("gh_") or self.certification:
            return "official"
        if self.username in SYSTEM_ACCOUNTS:
            return "system"
        return "friend" if self.type & 1 else "stranger"

    @property
    def display(self) -> str:
        return self.remark or self.nickname or self.alias or self.username


#: Built-in WeChat service accounts (shown, but never as friends).
SYSTEM_ACCOUNTS = {"filehelper": "File Transfer", "weixin": "WeChat Team", "fmessage": "Friend Requests",
                   "medianote": "Voice Notes", "floatbottle": "Drift Bottle", "qqmail": "QQ Mail",
                   "newsapp": "Top Stories", "notifymessage": "Service Notifications"}


def _strings(blob: bytes | None) -> dict[int, str | int]:
    """First value of each top-level field of a protobuf blob (strings decoded)."""
    values: dict[int, str | int] = {}
    if not blob:
        return values
    try:
        for number, _wire, value in iter_fields(bytes(blob)):
            if number in values:
                continue
            values[number] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    except ProtobufError:
        pass
    return values


def room_members(blob: bytes | None) -> tuple[list[tuple[str, str]], str]:
    """Members ``(username, group nickname)`` and the owner from a ``dbContactChatRoom`` blob."""
    if not blob:
        return [], ""
    fields = _strings(blob)
    owner = fields.get(2) if isinstance(fields.get(2), str) else ""
    members: list[tuple[str, str]] = []
    match = _ROOMDATA.search(bytes(blob))
    if match:
        root = X.parse(match.group(0).decode("utf-8", "replace"))
        if root is not None:
            for member in root.iter("Member"):
                name = member.get("UserName") or ""
                if name:
                    members.append((name, X.text(member, "DisplayName")))
    if not members and isinstance(fields.get(1), str):
        members = [(u, "") for u in str(fields[1]).split(";") if u]
    return members, str(owner or "")


def decode_row(row: dict[str, object]) -> Contact:
    """A ``Friend`` row as a :class:`Contact`."""
    remark = _strings(row.get("dbContactRemark"))  # type: ignore[arg-type]
    head = _strings(row.get("dbContactHeadImage"))  # type: ignore[arg-type]
    profile = _strings(row.get("dbContactProfile"))  # type: ignore[arg-type]
    members, owner = room_members(row.get("dbContactChatRoom"))  # type: ignore[arg-type]

    def s(values: dict[int, str | int], n: int) -> str:
        value = values.get(n)
        return value if isinstance(value, str) else ""

    sex = profile.get(1)
    return Contact(
        username=str(row.get("userName") or ""), nickname=s(remark, 1), alias=s(remark, 2), remark=s(remark, 3),
        description=s(remark, 7), labels=s(remark, 8), type=int(row.get("type") or 0),  # type: ignore[call-overload]
        certification=int(row.get("certificationFlag") or 0),  # type: ignore[call-overload]
        avatar_url=s(head, 2), avatar_hd_url=s(head, 3), sex=sex if isinstance(sex, int) else 0,
        country=s(profile, 2), province=s(profile, 3), city=s(profile, 4), signature=s(profile, 5),
        members=members, owner=owner,
    )


class Directory:
    """Everyone an account knows, by username and by name hash (``Chat_<md5>`` tables, media folders)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.contacts: dict[str, Contact] = {}
        self.by_hash: dict[str, str] = {}
        self.source = ""
        self._members: dict[str, dict[str, str]] = {}

    def add(self, contact: Contact) -> None:
        self.contacts.setdefault(contact.username, contact)
        self.by_hash[md5(contact.username)] = contact.username
        if contact.members:
            self._members[contact.username] = dict(contact.members)

    def learn(self, username: str) -> None:
        """Remember a username seen elsewhere (session list, search index) for hash lookups."""
        if username:
            self.by_hash.setdefault(md5(username), username)

    def owner_name(self) -> str:
        return self.account.nickname or "Me"

    def name(self, username: str) -> str:
        """The name a user knows for a username."""
        if not username:
            return ""
        if username == self.account.wxid:
            return self.owner_name()
        contact = self.contacts.get(username)
        if contact is not None:
            return contact.display
        return SYSTEM_ACCOUNTS.get(username, username)

    def member_name(self, group: str, username: str) -> str:
        """A group member's name: your remark for them, else their group nickname, else their nickname."""
        if username == self.account.wxid:
            return self.owner_name()
        contact = self.contacts.get(username)
        if contact is not None and contact.remark:
            return contact.remark
        nick = self._members.get(group, {}).get(username)
        if nick:
            return nick
        return self.name(username)

    def chat_name(self, username: str) -> str:
        """A conversation's title (a group without a name lists its first members)."""
        contact = self.contacts.get(username)
        if contact is not None and contact.is_group and not (contact.remark or contact.nickname):
            names = [self.member_name(username, u) for u, _ in contact.members[:4]]
            return "、".join(n for n in names if n) or username
        return self.name(username)


def load(ctx: ScanContext, account: Account, *, lookup: bool = True) -> Directory:
    """Read the account's contact database into a :class:`Directory` (empty when it is absent).

    ``lookup``: the caller only looks names up in it (messages, favorites): a contact database damaged beyond
    reading gives an empty directory and a warning instead of stopping the caller's kind."""
    directory = Directory(account)
    entry = account.entry("DB/WCDB_Contact.sqlite")
    if entry is None:
        return directory
    directory.source = f"{entry.domain}/{entry.path}"
    opening = ctx.optional_database(entry, "people and chats are shown by their WeChat IDs, not by name") if lookup \
        else ctx.database(entry)
    with opening as db:
        for table in ("Friend", "OpenIMContact") if db is not None else ():
            if not db.has(table, "userName"):
                continue
            cols = [c for c in ("userName", "type", "certificationFlag", "dbContactRemark", "dbContactHeadImage",
                                "dbContactProfile", "dbContactChatRoom") if db.has(table, c)]
            for row in db.rows(f'SELECT {", ".join(cols)} FROM "{table}"'):
                contact = decode_row(dict(row))
                if contact.username:
                    directory.add(contact)
    return directory


def iter_sorted(directory: Directory) -> Iterator[Contact]:
    """Contacts in a stable order: groups, friends, official accounts, the rest; then by name."""
    order = {"friend": 0, "group": 1, "official": 2, "system": 3, "stranger": 4}
    yield from sorted(directory.contacts.values(), key=lambda c: (order[c.category], c.display.lower()))
