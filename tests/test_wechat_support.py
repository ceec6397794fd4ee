"""A small WeChat account in the real table layout, for the tests of the WeChat extractor's quick paths."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from reclaim.sample.content._wechat_media import pb
from reclaim.sample.model import SampleFile

DOMAIN = "AppDomain-com.tencent.xin"
OWNER = "wxid_owner0001"
FRIEND = "wxid_friend0001"
GROUP = "4242@chatroom"
#: The group's member list: wxid_m1 is "Auntie" there.
ROOM = b'<RoomData><Member UserName="wxid_m1"><DisplayName>Auntie</DisplayName></Member></RoomData>'


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def account(folder: Path, chats: dict[str, list[tuple[object, ...]]], *, friend: str = "Friend One",
            others: Iterable[tuple[str, bytes]] = ()) -> list[SampleFile]:
    """One shard (alphabetical columns, as WeChat's message_N files) holding ``chats`` (username → rows of
    (MesLocalID, CreateTime, Des, MesSvrID, Message, Type)), and the contacts: FRIEND named ``friend``, the
    group GROUP ("Family", with ROOM), and ``others`` (username, remark blob)."""
    path = folder / "message_1.sqlite"
    conn = sqlite3.connect(path)
    for user, values in chats.items():
        conn.execute(f"CREATE TABLE Chat_{md5(user)}(CreateTime INTEGER, Des INTEGER, ImgStatus INTEGER,"
                     " MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT, MesSvrID INTEGER, Message TEXT,"
                     " Status INTEGER, TableVer INTEGER, Type INTEGER)")
        conn.executemany(f"INSERT INTO Chat_{md5(user)}(MesLocalID, CreateTime, Des, MesSvrID, Message, Type)"
                         " VALUES (?,?,?,?,?,?)", values)
    conn.commit()
    conn.close()
    contacts = folder / "WCDB_Contact.sqlite"
    conn = sqlite3.connect(contacts)
    conn.execute("CREATE TABLE Friend(userName TEXT PRIMARY KEY, type INTEGER, certificationFlag INTEGER,"
                 " dbContactRemark BLOB, dbContactHeadImage BLOB, dbContactProfile BLOB, dbContactChatRoom BLOB)")
    conn.executemany("INSERT INTO Friend VALUES (?,?,?,?,?,?,?)", [
        (FRIEND, 3, 0, pb((1, friend)), b"", b"", b""),
        (GROUP, 3, 0, pb((1, "Family")), b"", b"", pb((1, "wxid_m1")) + ROOM),
        *((user, 3, 0, remark, b"", b"", b"") for user, remark in others)])
    conn.commit()
    conn.close()
    shard = f"Documents/{md5(OWNER)}/DB"
    return [SampleFile(DOMAIN, f"{shard}/message_1.sqlite", path), SampleFile(DOMAIN, f"{shard}/WCDB_Contact.sqlite",
                                                                             contacts)]
