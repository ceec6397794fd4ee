"""The WeChat extractor's quick paths give what the general code gives.

Plain text rows are turned into records inside the table loop, XML paths of plain tag
names skip ElementPath, SQLite decodes text itself: each shortcut is checked here
against the slow way, on a small account built with the real table layout (plain
text stored as shaped rows: tests/test_wechat_shaped.py).
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path

import pytest
from test_wechat_support import FRIEND, GROUP, OWNER, account, md5

from reclaim.artifacts.wechat import emoji, messages
from reclaim.artifacts.wechat import xmltools as X
from reclaim.artifacts.wechat.records import WeChatMessage
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS


def _extract(files: list[SampleFile], *, stored: bool = False) -> list[WeChatMessage]:
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="wechat")
    return list(messages.extract(ctx, stored=stored))


def test_text_records_are_whole_records(tmp_path: Path) -> None:
    files = account(tmp_path, {
        FRIEND: [(1, 1_700_000_000, 1, 11, "好的[微笑]", 1), (2, 1_700_000_060, 0, 0, "See you /::)", 1),
                 (3, 1_700_000_120, 1, 13, "[Photo]", 3)],
        GROUP: [(1, 1_700_000_000, 1, 21, "wxid_m1:\n收到[强]", 1), (2, 1_700_000_001, 1, 22, "no prefix", 1),
                (3, 1_700_000_002, 0, 23, "我的", 1)],
    })
    records = _extract(files)
    names = [f.name for f in fields(WeChatMessage)]
    for record in records:
        assert list(record.__dict__) == names  # built field by field: the class must not have grown
        rebuilt = WeChatMessage(**record.__dict__)
        assert record == rebuilt and record.to_json_bytes() == rebuilt.to_json_bytes()
    by_text = {r.text: r for r in records}
    hello = by_text["好的🙂"]
    folder = md5(OWNER)  # no login record: the account is named by its folder
    assert (hello.id, hello.chat, hello.sender, hello.sender_id, hello.direction, hello.server_id,
            hello.local_id) == (f"wechat:{folder}:{FRIEND}:1", "Friend One", "Friend One", FRIEND, "incoming",
                                "11", 1)
    assert hello.date is not None and hello.date.isoformat() == "2023-11-14T22:13:20+00:00"
    sent = by_text["See you 🙂"]
    assert (sent.direction, sent.sender, sent.server_id, sent.chat_type) == ("outgoing", "Me", "", "private")
    member = by_text["收到👍"]
    assert (member.sender_id, member.sender, member.direction, member.chat, member.chat_type) == (
        "wxid_m1", "Auntie", "incoming", "Family", "group")
    assert (by_text["no prefix"].sender, by_text["no prefix"].sender_id) == ("", "")
    assert by_text["我的"].direction == "outgoing"


def test_text_that_is_not_utf8_is_read_with_replacement(tmp_path: Path) -> None:
    rows = [(i, 1_700_000_000 + i, 1, i, f"message {i}", 1) for i in range(1, 2501)]
    files = account(tmp_path, {FRIEND: rows})
    conn = sqlite3.connect(files[0].data)  # a TEXT value with a stray byte, past the first batch of rows
    conn.execute(f"UPDATE Chat_{md5(FRIEND)} SET Message = CAST(X'6F6BFF21' AS TEXT) WHERE MesLocalID = 1500")
    conn.commit()
    conn.close()
    records = _extract(files)
    assert [r.local_id for r in records] == list(range(1, 2501))  # none lost, none twice
    assert records[1499].text == "ok\ufffd!"
    assert records[1498].text == "message 1499" and records[2499].text == "message 2500"


@pytest.mark.parametrize("path", ["b", "a/b", "a/b/c", "x/b", "a/missing", "root/a/b"])
def test_plain_tag_paths_find_what_elementpath_finds(path: str) -> None:
    root = ET.fromstring("<root><a><z/></a><a><b>first</b><b>second</b></a><a><b><c>deep</c></b></a>"
                         "<b>top</b></root>")
    assert X._find(root, path) is root.find(path)


def test_emoji_table_matches_lookup() -> None:
    for name in {*emoji.EMOJI, *emoji._CHINESE, "不存在", "1"}:
        assert emoji._BY_NAME.get(name) == emoji._lookup(name)


#: Payloads that go through the kept-open parser and ones that must leave it, in an order where a
#: broken payload is followed by good ones (the parser must recover and give the same answers).
PAYLOADS = [
    '<msg><img md5="9e1" length="48213"/></msg>',
    '<?xml version="1.0"?>\n<msg><appmsg><title>A &amp; B</title><type>5</type></appmsg></msg>',
    "<voipinvitemsg><invitetype>1</invitetype></voipinvitemsg>\n<voiplocalinfo><duration>125</duration>"
    "</voiplocalinfo>",  # two top-level elements: a wrapper
    "<a>unclosed<b></b>",  # left open: must not swallow what follows
    '<msg><emoji md5="b19"/></msg>',
    "<a/></payloads><b/>",  # closes more than it opens
    "<msg><appmsg><title>x</title></appmsg></msg>",
    "<msg><url>https://x.test/?a=1&b=2</url></msg>",  # bare & : only the general reading repairs it
    "<sysmsg type=\"revokemsg\"><revokemsg><replacemsg><![CDATA[\"Sam\" 撤回了一条消息]]></replacemsg>"
    "</revokemsg></sysmsg>",
    "<a/>tail text<b>b</b><![CDATA[end]]>",  # text between and after elements
    "<x:y/>",  # unbound prefix: not XML
    "text before <a/>",
    '<?xml version="1.0"?>text after the declaration<a/>',  # text first: a wrapper holding it
    "<msg>\x01\x02<img md5=\"c\"/></msg>",  # control characters dropped
    "<reclaim-end-of-payload/>",
    '<msg><location x="31.2" y="121.4" label="上海" poiname="人民广场"/></msg>',
]


def _shape(element: ET.Element | None) -> bytes | None:
    return None if element is None else ET.tostring(element) + repr(element.tail).encode()


def test_kept_open_parser_reads_like_a_fresh_one() -> None:
    for _ in range(2):
        for payload in PAYLOADS:
            assert _shape(X.parse(payload)) == _shape(X._general(X._clean(payload) or "")), payload
            healthy = X._STREAM.parse("<ok/>")  # whatever came before, the next plain payload is read by it
            assert healthy is not None and healthy.tag == "ok", payload
    assert X.parse("<msg><a>1</a></msg>") is not X.parse("<msg><a>1</a></msg>")  # fresh elements each time
    root = X.parse(PAYLOADS[2])
    assert root is not None and root.tag == "root" and [c.tag for c in root] == ["voipinvitemsg", "voiplocalinfo"]
