"""WeChat scan and export speed on a big account (default: 1,000,000 messages in 2,000 chats).

    .venv/bin/python benchmarks/bench_wechat.py [--messages N] [--chats N] [--keep DIR]

Generates the account with ``executemany`` (message_1..4 shards, alphabetical
columns, group prefixes, a mix of types), then times ``scan`` of the ``wechat``
kind and the HTML export of it, and prints peak RSS after each step (it should
stay flat: the scan streams). Prints a table; it is not a test.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.case.scan import scan
from reclaim.sample.content._wechat_media import pb
from reclaim.sample.content._wechat_people import md5
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS

OWNER = "wxid_benchowner01"
DOMAIN = "AppDomain-com.tencent.xin"
COLUMNS = ("CreateTime", "Des", "ImgStatus", "MesLocalID", "MesSvrID", "Message", "Status", "TableVer", "Type")
TEXTS = ("好的[微笑]", "See you at 7", "今天降温了，多穿点衣服", "Running late, sorry!", "周末回家吃饭吧",
         "Thanks a lot [ThumbsUp]", "哈哈哈[呲牙]", "Can you send me the address?")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(root: Path, messages: int, chats: int) -> list[SampleFile]:
    rng = random.Random(7)
    folder = f"Documents/{md5(OWNER)}"
    users = [f"wxid_friend{i:05d}" if i % 10 else f"{1000000 + i}@chatroom" for i in range(chats)]
    per_chat = messages // chats
    files: list[SampleFile] = []
    shards = 4
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

            def rows(group: bool = group, start: int = start, n: int = n):
                for i in range(1, per_chat + 1):
                    des = i % 3 == 0
                    mtype = 3 if i % 25 == 0 else 1
                    body = "<msg><img md5=\"x\" length=\"1\"/></msg>" if mtype == 3 else TEXTS[i % len(TEXTS)]
                    if group and des:
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
    conn.executemany("INSERT INTO Friend VALUES (?,?,?,?,?,?,?)",
                     ((u, 3, 0, pb((1, f"Friend {i}")), b"", b"", b"") for i, u in enumerate(users)))
    conn.commit()
    conn.close()
    files.append(SampleFile(DOMAIN, f"{folder}/DB/WCDB_Contact.sqlite", contacts))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="keep generated data and the case here")
    parser.add_argument("--no-html", action="store_true")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    root.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    files = build(root, args.messages, args.chats)
    print(f"generated {args.messages:,} messages in {args.chats:,} chats: {time.perf_counter() - t:.1f} s,"
          f" peak RSS {rss_mb():.0f} MB")
    fs = MemoryFS(files)
    case = root / "case"
    shutil.rmtree(case, ignore_errors=True)
    t = time.perf_counter()
    result = scan(fs, case, kinds=["wechat"])
    seconds = time.perf_counter() - t
    status = result.kinds[0]
    print(f"{'step':<12} {'records':>10} {'seconds':>8} {'records/s':>10} {'peak RSS':>9}")
    print(f"{'scan':<12} {status.live + status.deleted:>10,} {seconds:>8.1f} "
          f"{(status.live + status.deleted) / seconds:>10,.0f} {rss_mb():>7.0f}MB")
    if not args.no_html:
        from reclaim.export import export_case

        t = time.perf_counter()
        export_case(case, root / "out", kinds=["wechat"], formats=["html"])
        seconds = time.perf_counter() - t
        print(f"{'html export':<12} {status.live:>10,} {seconds:>8.1f} {status.live / seconds:>10,.0f}"
              f" {rss_mb():>7.0f}MB")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
