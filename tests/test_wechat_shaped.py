"""Plain WeChat text stored as shaped rows gives the very case the record objects give.

A scan hands each chat's plain text rows to the case store as shaped rows (the values that change,
and the chat's shape: see ``reclaim.case.store.SCHEMA``), which the case's ``records`` view turns
back into whole records. Here a small account with every awkward row is scanned that way and with
shapes turned off, and the two cases are compared column by column (the JSON byte for byte), in the
scan's process and through the staging process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from case_support import scanned_case
from test_wechat_support import DOMAIN, FRIEND, GROUP, OWNER, account, md5

from reclaim.artifacts.base import ShapedRows
from reclaim.artifacts.wechat import messages
from reclaim.case import store
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.sample.content._wechat_media import pb
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS

T = 1_700_000_000
TEXTS = ["好的[微笑]", "See you /::)", "", 'quote " and \\ back\\slash', "line\nbreak\ttab\r", "bell\x07 nul\x00",
         "emoji 😀 and \u2028 separator", "[未知表情] [Smile][Smile]", "<b>not xml</b>", "é" * 300, "Friend One",
         "100% sure %s %d %%"]


def _rows() -> dict[str, list[tuple[object, ...]]]:
    """(MesLocalID, CreateTime, Des, MesSvrID, Message, Type) per chat: every text shape, times the case store
    cannot write itself, other types between texts of the same second (their order must hold)."""
    friend = [(i + 1, T + i, i % 2, (i + 11) if i % 3 else 0, t, 1) for i, t in enumerate(TEXTS)]
    friend += [(20, T * 1000 + 123, 1, 5, "milliseconds", 1), (21, None, 1, 6, "no time", 1),
               (22, T + 100, 1, 7, '<msg><img md5="a1" length="10"/></msg>', 3), (23, T + 100, 1, 8, "same second", 1),
               (24, T + 100, 0, 9, "<msg><emoji md5=\"b1\"/></msg>", 47), (25, T + 100, None, 10, "no Des", 1),
               (26, float(T + 101), 1, 0, "float time", 1), (27, str(T + 102), 1, 0, "text time", 1),
               (28, T + 103, 1, -5, "negative server id", 1), (29, T + 104, 1, 2**62, "huge server id", 1),
               (30, T + 105, 1, 0, b"bytes body", 1), (31, T + 106, 1, 0, None, 1),
               (32, T + 107, 1, 0, "type null", None),
               (2**40, T + 108, 1, 0, "local id past the bitmap", 1), (-3, T + 109, 1, 0, "negative local id", 1),
               (0, T + 110, 1, 0, "local id zero", 1)]
    group = [(1, T, 1, 21, "wxid_m1:\n收到[强]", 1), (2, T + 1, 1, 22, "no prefix", 1), (3, T + 2, 0, 23, "我的", 1),
             (4, T + 3, 1, 24, "wxid_stranger:\n谁", 1), (5, T + 4, 1, 25, "wxid_m1:\n", 1),
             (6, T + 5, 2, 26, "wxid_m1:\nDes 2", 1), (7, T + 6, 1, 27, "has space:\nno", 1),
             (8, T + 7, 1, 28, "a<b:\nno", 1), (9, T + 8, 1, 29, "x" * 65 + ":\ntoo long", 1),
             (10, T + 9, 1, 30, "x" * 64 + ":\nlong enough", 1), (11, T + 10, 1, 31, ":\nempty id", 1),
             (12, T + 11, 1, 32, "line\nbreak:\nno", 1), (13, T + 12, 1, 33, "wxid_m1:\n" + OWNER + ":\ntwice", 1),
             (14, T + 13, 1, 34, f"{OWNER}:\nmyself", 1), (15, T + 14, 1, 35, "wxid_m1:\nwxid_m1", 1),
             (16, T + 14, 1, 36, "<msg><img md5=\"c1\" length=\"5\"/></msg>", 3), (17, T + 14, 1, 37, "after", 1),
             (18, T + 15, 1, 38, "wxid_m1:\n[Smile] Auntie", 1), (19, T + 16, 1, 39, "Family", 1),
             (20, T + 17, 1, 40, "wxid_nul:\na name with a NUL", 1)]
    return {FRIEND: friend, GROUP: group, "wxid_nameless": [(1, T, 1, 0, "who am I talking to", 1)]}


def _account(tmp_path: Path, *, broken: bool = False, title: str = "Friend One") -> list[SampleFile]:
    files = account(tmp_path, _rows(), friend=title,
                    others=[("wxid_nameless", b""), ("wxid_nul", pb((1, "Nul\x00Name")))])
    if broken:  # a stray byte in a plain text: read with a replacement character
        conn = sqlite3.connect(tmp_path / "message_1.sqlite")
        conn.execute(f"UPDATE Chat_{md5(FRIEND)} SET Message = CAST(X'6F6BFF215B5D' AS TEXT) WHERE MesLocalID = 2")
        conn.commit()
        conn.close()
    return files


@pytest.mark.parametrize(("child", "broken", "title"), [
    (False, False, "Friend One"), (True, False, "Friend One"), (False, True, "100% \"Friend\" %s"),
    (True, True, "Friend \x00 One")],
    ids=["in the scan", "staging process", "not UTF-8, a title with % and quotes", "a title with NUL"])
def test_shaped_rows_give_the_case_record_objects_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       child: bool, broken: bool, title: str) -> None:
    if child:
        monkeypatch.setattr(store, "BATCH", 4)
    files = _account(tmp_path, broken=broken, title=title)
    fast = scanned_case(files, tmp_path / "fast", "wechat")
    monkeypatch.setattr(messages, "_shape", lambda info: None)
    slow = scanned_case(files, tmp_path / "slow", "wechat")
    assert len(fast[0]) == sum(len(v) for v in _rows().values())
    for quick, record in zip(*(rows for rows, _ in (fast, slow)), strict=True):
        assert quick == record
    assert fast[1] == slow[1]
    texts = {row[2].rsplit(":", 1)[-1]: row for row in fast[0]}
    assert texts["23"][8] == title and texts["17"][8] == ""  # the sender, by MesLocalID
    nul = next(row for row in fast[0] if "a name with a NUL" in row[11])
    assert nul[8] == "Nul\x00Name" and '"sender":"Nul\\u0000Name"' in nul[11]  # whole: printf would cut it
    if broken:
        assert '"text":"ok\ufffd![]"' in texts["2"][11]
    with store.CaseReader(tmp_path / "fast") as case:
        shaped = case.conn.execute("SELECT count(*) FROM entries WHERE shape IS NOT NULL").fetchone()[0]
    assert shaped == (20 + 18 + 1 if "\x00" not in title else 18 + 1)  # none of the chat with a NUL in its title


def test_a_scan_hands_plain_text_over_as_shaped_rows(tmp_path: Path) -> None:
    files = _account(tmp_path)
    shapes: list[tuple[str, ...]] = []
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="wechat",
                      shapes=lambda shape: shapes.append(shape) or len(shapes))
    records = list(messages.extract(ctx))
    shaped = [row for r in records if isinstance(r, ShapedRows) for row in r.rows]
    assert len(shapes) == 3 and len(shaped) == 20 + 18 + 1
    assert not any(r.deleted for r in records if isinstance(r, ShapedRows))
    friend = [row for row in shaped if row[4].endswith(FRIEND)]
    assert [row[7] for row in friend][:3] == [-3, 0, 1]  # MesLocalID order
    assert (friend[0][1], friend[0][3]) == (T + 109, 0) and friend[1][-2:] == ("", "null")
    assert shapes[friend[0][2] - 1][:4] == (f"wechat:{md5(OWNER)}:{FRIEND}:",
                                            f"{DOMAIN}/Documents/{md5(OWNER)}/DB/message_1.sqlite", "Friend One",
                                            "Friend One")
    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="wechat")
    assert not any(isinstance(r, ShapedRows) for r in messages.extract(ctx))  # no case writer: whole records
