"""WeChat extractor alone: CPU microseconds per message, without the case writer.

    .venv/bin/python benchmarks/bench_wechat_extract.py [--messages N] [--chats N] [--mix text|bench|all]
                                                        [--profile] [--dump FILE]

Builds an account like ``benchmarks/bench_wechat.py`` does (message_1..4 shards,
alphabetical columns, group prefixes, contacts) and runs only the ``wechat``
extractor over it (``ScanOptions(recover_deleted=False)``, no media store),
discarding the records. ``--mix`` chooses the message types: ``text`` (type 1
only), ``bench`` (what bench_wechat.py writes: text with 1 image in 25) or
``all`` (a spread of types with realistic XML bodies: image, voice, video,
sticker, location, link, file, transfer, quote, call, system, recall).
Prints CPU µs per message of the extractor (best of ``--repeat`` runs, imports
excluded) and of a bare ``SELECT`` over the same rows (the floor SQLite sets).
``--dump FILE`` writes every record's JSON line (to compare two versions record
for record); ``--profile`` prints the top of a cProfile run. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.sample.content._wechat_media import pb
from reclaim.sample.model import SampleFile

OWNER = "wxid_benchowner01"
DOMAIN = "AppDomain-com.tencent.xin"
COLUMNS = ("CreateTime", "Des", "ImgStatus", "MesLocalID", "MesSvrID", "Message", "Status", "TableVer", "Type")
TEXTS = ("好的[微笑]", "See you at 7", "今天降温了，多穿点衣服", "Running late, sorry!", "周末回家吃饭吧",
         "Thanks a lot [ThumbsUp]", "哈哈哈[呲牙]", "Can you send me the address?")
#: (Type, body) of the non-text messages of ``--mix all``: what WeChat writes for each.
OTHERS: tuple[tuple[int, str], ...] = (
    (3, '<?xml version="1.0"?><msg><img aeskey="a1" md5="9e107d9d372bb6826bd81d3542a419d6" length="48213"'
        ' hdlength="201337" cdnthumbheight="120" cdnthumbwidth="90"/></msg>'),
    (34, '<msg><voicemsg endflag="1" length="7023" voicelength="4200" voiceformat="4" fromusername="x"/></msg>'),
    (43, '<msg><videomsg length="1048576" playlength="15" md5="d41d8cd98f00b204e9800998ecf8427e"/></msg>'),
    (47, '<msg><emoji md5="b1946ac92492d2347c6235b4d2611184" width="240" height="240" productid="p1"/></msg>'),
    (48, '<msg><location x="31.230416" y="121.473701" scale="16" label="上海市黄浦区人民大道"'
         ' poiname="人民广场"/></msg>'),
    (49, '<msg><appmsg appid="" sdkver="0"><title>How to keep bread fresh</title><des>Five tips</des>'
         '<type>5</type><url>https://example.com/bread?a=1&amp;b=2</url><sourcedisplayname>Kitchen</sourcedisplayname>'
         '</appmsg><fromusername>wxid_x</fromusername></msg>'),
    (49, '<msg><appmsg><title>Q2 budget review.pdf</title><type>6</type><appattach><totallen>482133</totallen>'
         '<fileext>pdf</fileext></appattach><md5>6f5902ac237024bdd0c176cb93063dc4</md5></appmsg></msg>'),
    (49, '<msg><appmsg><title>微信转账</title><des>收到转账520.00元</des><type>2000</type><wcpayinfo>'
         '<paysubtype>1</paysubtype><feedesc>￥520.00</feedesc><pay_memo>dinner</pay_memo></wcpayinfo>'
         '</appmsg></msg>'),
    (49, '<msg><appmsg><title>先去奶奶家</title><type>57</type><refermsg><type>1</type><svrid>123</svrid>'
         '<fromusr>wxid_member1</fromusr><displayname>Sam</displayname><content>初一去哪里拜年？</content>'
         '</refermsg></appmsg></msg>'),
    (50, '<voipinvitemsg><roomid>1</roomid><invitetype>1</invitetype></voipinvitemsg>'
         '<voiplocalinfo><wordingtype>4</wordingtype><duration>125</duration></voiplocalinfo>'),
    (10000, '"二叔" 撤回了一条消息'),
    (10000, '你邀请<_wc_custom_link_ color="#576B95">"奶奶"</_wc_custom_link_>加入了群聊'),
    (10002, '<sysmsg type="revokemsg"><revokemsg><session>x</session><msgid>1</msgid><newmsgid>2</newmsgid>'
            '<replacemsg><![CDATA["二叔" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>'),
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def build(root: Path, messages: int, chats: int, mix: str) -> list[SampleFile]:
    """An account of ``messages`` rows in ``chats`` chat tables (one group in ten), in four shards."""
    rng = random.Random(7)
    folder = f"Documents/{md5(OWNER)}"
    users = [f"wxid_friend{i:05d}" if i % 10 else f"{1000000 + i}@chatroom" for i in range(chats)]
    per_chat = messages // chats
    files: list[SampleFile] = []
    for shard in range(4):
        path = root / f"message_{shard + 1}.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=OFF")
        for n, user in enumerate(users):
            if n % 4 != shard:
                continue
            table = f"Chat_{md5(user)}"
            conn.execute(f"CREATE TABLE {table}(CreateTime INTEGER, Des INTEGER, ImgStatus INTEGER,"
                         " MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT, MesSvrID INTEGER, Message TEXT,"
                         " Status INTEGER, TableVer INTEGER, Type INTEGER)")
            group = user.endswith("@chatroom")
            start = 1_600_000_000 + rng.randint(0, 10_000_000)

            def rows(group: bool = group, start: int = start, n: int = n) -> Any:
                for i in range(1, per_chat + 1):
                    des = i % 3 == 0
                    if mix == "all" and i % 2 == 0:
                        mtype, body = OTHERS[(i // 2) % len(OTHERS)]
                    elif mix == "bench" and i % 25 == 0:
                        mtype, body = 3, '<msg><img md5="x" length="1"/></msg>'
                    else:
                        mtype, body = 1, TEXTS[i % len(TEXTS)]
                    if group and des and mtype not in (10000, 10002):
                        body = f"wxid_member{i % 7}:\n{body}"
                    yield (start + i * 37, int(des), 1, i, 7_000_000_000_000_000_000 + n * 1_000_000 + i, body,
                           4 if des else 2, 1, mtype)

            conn.executemany(f"INSERT INTO {table}({','.join(COLUMNS)}) VALUES ({','.join('?' * 9)})", rows())
        conn.commit()
        conn.close()
        files.append(SampleFile(DOMAIN, f"{folder}/DB/message_{shard + 1}.sqlite", path))
    contacts = root / "WCDB_Contact.sqlite"
    conn = sqlite3.connect(contacts)
    conn.execute("CREATE TABLE Friend(userName TEXT PRIMARY KEY, type INTEGER, certificationFlag INTEGER,"
                 " dbContactRemark BLOB, dbContactHeadImage BLOB, dbContactProfile BLOB, dbContactChatRoom BLOB)")
    members = [f"wxid_member{i}" for i in range(7)]
    room = "<RoomData>" + "".join(f'<Member UserName="{m}"><DisplayName>Member {m[-1]}</DisplayName></Member>'
                                  for m in members[:4]) + "</RoomData>"
    conn.executemany("INSERT INTO Friend VALUES (?,?,?,?,?,?,?)",
                     ((u, 3, 0, pb((1, f"Friend {i}")), b"", b"",
                       pb((1, ";".join(members))) + room.encode() if u.endswith("@chatroom") else b"")
                      for i, u in enumerate(users)))
    conn.executemany("INSERT INTO Friend VALUES (?,?,?,?,?,?,?)",
                     ((m, 3, 0, pb((1, f"Nick {m[-1]}")), b"", b"", b"") for m in members[4:]))
    conn.commit()
    conn.close()
    files.append(SampleFile(DOMAIN, f"{folder}/DB/WCDB_Contact.sqlite", contacts))
    return files


def extract(files: list[SampleFile], dump: Path | None = None) -> tuple[float, Counter[int]]:
    """CPU seconds of the extractor over the account, and the records per type."""
    from reclaim.artifacts.wechat import messages
    from reclaim.case.context import ScanContext, ScanOptions
    from reclaim.sources.memory import MemoryFS

    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="wechat")
    types: Counter[int] = Counter()
    out = dump.open("wb") if dump else None
    cpu = time.process_time()
    for record in messages.extract(ctx):
        types[record.type] += 1
        if out is not None:
            out.write(record.to_json_bytes() + b"\n")
    cpu = time.process_time() - cpu
    if out is not None:
        out.close()
    return cpu, types


def bare_select(files: list[SampleFile]) -> float:
    """CPU seconds to read the same rows with one SELECT per table (the SQLite floor)."""
    cpu = time.process_time()
    for item in files:
        if "message_" not in item.path:
            continue
        conn = sqlite3.connect(f"{Path(str(item.data)).resolve().as_uri()}?mode=ro", uri=True)
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'Chat_%'"):
            cursor = conn.execute(f'SELECT MesLocalID, MesSvrID, CreateTime, Message, Type, Des FROM "{table}"'
                                  " ORDER BY CreateTime, MesLocalID")
            while cursor.fetchmany(1000):
                pass
        conn.close()
    return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--mix", choices=("text", "bench", "all"), default="bench")
    parser.add_argument("--repeat", type=int, default=2, help="runs to time (the best is shown)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", type=Path, help="write every record's JSON line here")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-wechat-extract-"))
    try:
        files = build(root, args.messages, args.chats, args.mix)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            extract(files)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        floor = bare_select(files)
        extract(files[-1:])  # imports and regex compiles out of the timing
        cpu, types = min(extract(files) for _ in range(args.repeat))
        if args.dump:
            extract(files, args.dump)
        total = sum(types.values())
        print(f"{total:,} messages ({args.mix} mix: {', '.join(f'type {t}: {n:,}' for t, n in sorted(types.items()))})")
        print(f"| {'step':<28} | {'CPU s':>7} | {'µs/message':>10} |")
        print(f"|{'-' * 30}|{'-' * 8}:|{'-' * 11}:|")
        print(f"| {'bare SELECT (floor)':<28} | {floor:>7.2f} | {floor / total * 1e6:>10.2f} |")
        print(f"| {'wechat extractor':<28} | {cpu:>7.2f} | {cpu / total * 1e6:>10.2f} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
