"""WeChat scan and export speed on a big account (default: 1,000,000 messages in 2,000 chats).

    .venv/bin/python benchmarks/bench_wechat.py [--messages N] [--chats N] [--formats html,json,csv,txt,all]
                                                [--no-deep] [--keep DIR]

Generates the account with ``executemany`` (message_1..4 shards, alphabetical
columns, group prefixes, a mix of types), then times, each step in a fresh child
process so its peak RSS is its own (it should stay flat: everything streams):
``scan`` of the ``wechat`` kind with ``ScanOptions(recover_deleted=False)`` and with
it on, and each export format of the quick scan's case. Rates per wall-clock second
and per CPU second of the step (a scan's CPU includes the case writer's staging process),
then each scan's CPU per record split by process and the case close's share. Prints a
table; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_scan import child_rss_mb, cpu_seconds, rss_mb, run
from reclaim.sample.content._wechat_media import pb
from reclaim.sample.content._wechat_people import md5
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


def build(root: Path, messages: int, chats: int, mix: str = "bench") -> list[SampleFile]:
    """An account of ``messages`` rows in ``chats`` chat tables (one group in ten, with members), in four shards.

    ``mix`` chooses the message types: ``bench`` (text with 1 image in 25), ``text`` (type 1 only) or ``all``
    (half text, half every type of :data:`OTHERS`). The files of an earlier run in ``root`` (``--keep``) are
    used again.
    """
    rng = random.Random(7)
    folder = f"Documents/{md5(OWNER)}"
    shards = 4
    if (root / "WCDB_Contact.sqlite").exists():
        return [*(SampleFile(DOMAIN, f"{folder}/DB/message_{n}.sqlite", root / f"message_{n}.sqlite")
                  for n in range(1, shards + 1)),
                SampleFile(DOMAIN, f"{folder}/DB/WCDB_Contact.sqlite", root / "WCDB_Contact.sqlite")]
    users = [f"wxid_friend{i:05d}" if i % 10 else f"{1000000 + i}@chatroom" for i in range(chats)]
    per_chat = messages // chats
    files: list[SampleFile] = []
    for shard in range(shards):
        path = root / f"message_{shard + 1}.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        for n, user in enumerate(users):
            if n % shards != shard:
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


def _scan(files: list[SampleFile], case: str, deep: bool) -> dict[str, Any]:
    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan
    from reclaim.case.store import CaseWriter
    from reclaim.sources.memory import MemoryFS

    shutil.rmtree(case, ignore_errors=True)
    spans: dict[str, tuple[float, float]] = {}
    close = CaseWriter.close

    def timed_close(writer: CaseWriter) -> Path:
        spans["close"] = time.perf_counter(), time.process_time()
        return close(writer)

    CaseWriter.close = timed_close  # type: ignore[method-assign]
    wall, cpu = time.perf_counter(), cpu_seconds()
    own = time.process_time()
    result = scan(MemoryFS(files), Path(case), kinds=["wechat"], options=ScanOptions(recover_deleted=deep))
    status = result.kinds[0]
    end, end_own = time.perf_counter(), time.process_time()
    return {"wall": end - wall, "cpu": cpu_seconds() - cpu, "own": end_own - own, "rss": rss_mb(),
            "child_rss": child_rss_mb(), "close": end - spans["close"][0], "close_cpu": end_own - spans["close"][1],
            "records": status.live + status.deleted, "deleted": status.deleted}


def _export(case: str, out: str, fmt: str) -> dict[str, Any]:
    """One format, or ``all`` of them at once as ``recover`` writes them (CPU then counts the report's process)."""
    from reclaim.export import export_case

    shutil.rmtree(out, ignore_errors=True)
    wall, cpu = time.perf_counter(), cpu_seconds()
    export_case(Path(case), Path(out), kinds=["wechat"], formats=None if fmt == "all" else [fmt])
    return {"wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu, "rss": rss_mb()}


def _row(step: str, records: int, res: dict[str, Any]) -> str:
    return (f"| {step:<22} | {records:>10,} | {res['wall']:>8.1f} | {records / res['wall']:>10,.0f} |"
            f" {records / res['cpu']:>10,.0f} | {res['rss']:>6.0f}MB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="keep generated data and the case here (data already there is"
                                                  " used again: same --messages and --chats)")
    parser.add_argument("--formats", default="html,json,csv,txt,all",
                        help="export formats to time ('all': every format at once; '' for none)")
    parser.add_argument("--deep", action=argparse.BooleanOptionalAction, default=True,
                        help="also scan with deleted-record recovery on (default: yes)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    t = time.perf_counter()
    files = build(root, args.messages, args.chats)
    print(f"{args.messages:,} messages in {args.chats:,} chats ready: {time.perf_counter() - t:.1f} s")
    print(f"| {'step':<22} | {'records':>10} | {'seconds':>8} | {'records/s':>10} | {'per CPU s':>10} | peak RSS |")
    print(f"|{'-' * 24}|{'-' * 11}:|{'-' * 9}:|{'-' * 11}:|{'-' * 11}:|---------:|")
    quick = run(_scan, files, str(root / "case"), False)
    print(_row("scan, recovery off", quick["records"], quick), flush=True)
    scans = [("recovery off", quick)]
    if args.deep:
        deep = run(_scan, files, str(root / "case-deep"), True)
        print(_row("scan, recovery on", deep["records"], deep), flush=True)
        scans.append(("recovery on", deep))
    for fmt in filter(None, args.formats.split(",")):
        res = run(_export, str(root / "case"), str(root / f"out-{fmt}"), fmt)
        print(_row("every format at once" if fmt == "all" else f"{fmt} export", quick["records"], res), flush=True)
    for name, res in scans:
        n = res["records"]
        print(f"scan, {name}: CPU µs per record {1e6 * res['cpu'] / n:.1f} (scanning process"
              f" {1e6 * res['own'] / n:.1f}, staging process {1e6 * (res['cpu'] - res['own']) / n:.1f});"
              f" case close {res['close']:.1f} s, {1e6 * res['close_cpu'] / n:.1f} µs CPU per record (scanning"
              " process);"
              f" staging process peak RSS {res['child_rss']:.0f} MB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
