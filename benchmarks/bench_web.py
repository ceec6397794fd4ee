"""How fast the web page's requests are on a 1,000,000-message WeChat-like case.

Builds the case directly with :class:`reclaim.case.store.CaseWriter` (once; reused
from ``--case DIR`` if it is there), then times each kind of request the page makes
through the real ASGI app (security middleware included) and prints a table.

    .venv/bin/python benchmarks/bench_web.py [--messages 1000000] [--case /tmp/bench-web-case]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from reclaim.artifacts.base import KindStatus, MediaRef, Provenance, Record
from reclaim.case.store import CASE_DB, CaseReader, CaseWriter
from reclaim.service import encode_cursor
from reclaim.web.app import create_app
from reclaim.web.security import cookie_name
from reclaim.web.session import WebSession

PORT = 8765
WORDS = [
    "dinner", "tonight", "train", "ticket", "invoice", "meeting", "weather", "photo", "birthday", "holiday",
    "taxi", "coffee", "office", "report", "flight", "hotel", "doctor", "school", "homework", "party", "gift",
]
CHINESE = [
    "今天", "明天", "吃饭", "开会", "下班", "红包", "照片", "周末",
    "回家", "天气", "电影", "快递", "生日", "火车", "谢谢",
]


@dataclass(kw_only=True)
class BenchMessage(Record):
    KIND = "wechat"
    chat_id: str = ""
    chat: str = ""
    sender: str = ""
    sender_id: str = ""
    direction: str = "incoming"
    text: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    service: str = "WeChat"


def build(case: Path, messages: int, chats: int = 400) -> None:
    """Write the benchmark case: ``messages`` messages over ``chats`` conversations (a few very big)."""
    rng = random.Random(7)
    writer = CaseWriter(case)
    status = KindStatus("wechat", "WeChat")
    start = datetime(2019, 1, 1, tzinfo=UTC)
    weights = [1 / (i + 1) for i in range(chats)]  # Zipf-like: chat 0 holds ~15% of everything
    chat_ids = rng.choices(range(chats), weights=weights, k=messages)
    for i, c in enumerate(chat_ids):
        who = rng.randrange(8)
        words = rng.choices(WORDS, k=rng.randint(2, 12)) + rng.choices(CHINESE, k=rng.randint(0, 4))
        deleted = i % 997 == 0
        writer.add(BenchMessage(
            id=f"wechat:{i}", date=start + timedelta(seconds=i * 150 + rng.randint(0, 120)), deleted=deleted,
            provenance=Provenance(area="freeblock", page=i % 5000) if deleted else None,
            source="AppDomain-com.tencent.xin/Documents/x/DB/message_1.sqlite",
            chat_id=f"chat{c}@chatroom" if c % 3 == 0 else f"wxid_{c}", chat=f"Chat {c}",
            sender="Me" if who == 0 else f"Person {c}-{who}", sender_id=f"wxid_{c}_{who}",
            direction="outgoing" if who == 0 else "incoming", text=" ".join(words),
        ))
        if deleted:
            status.deleted += 1
        else:
            status.live += 1
        if i and i % 100_000 == 0:
            print(f"  {i:,} messages written", file=sys.stderr)
    writer.set_status(status, "chat", ("html", "txt"))
    print("  building indexes and the full-text index ...", file=sys.stderr)
    writer.close()


def timed(client: TestClient, url: str, runs: int) -> tuple[float, float, int]:
    """Median and worst time in ms of ``runs`` GETs (after one warm-up), and the response size."""
    size = len(client.get(url).content)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return statistics.median(times), max(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--case", type=Path, default=Path("/tmp/bench-web-case"))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not (args.case / CASE_DB).exists():
        print(f"Building a case with {args.messages:,} messages in {args.case} ...", file=sys.stderr)
        started = time.perf_counter()
        build(args.case, args.messages)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with CaseReader(args.case) as case:
        total = case.count("wechat")
        big = case.conn.execute(
            "SELECT chat_id, count(*) n FROM records WHERE kind='wechat' GROUP BY chat_id ORDER BY n DESC LIMIT 1"
        ).fetchone()
        middle = case.conn.execute(
            "SELECT rid, date FROM records WHERE kind='wechat' AND chat_id=? ORDER BY date LIMIT 1 OFFSET ?",
            (big[0], big[1] // 2)).fetchone()
    session = WebSession(case_dir=args.case)
    client = TestClient(create_app(session, port=PORT), base_url=f"http://127.0.0.1:{PORT}")
    client.cookies.set(cookie_name(PORT), session.token)

    started = time.perf_counter()
    client.get("/api/kinds/wechat/chats")
    first_chats = (time.perf_counter() - started) * 1000

    chat = big[0]
    cursor = encode_cursor(middle[1], middle[0])
    requests = [
        ("case summary", "/api/case"),
        ("chat list, first 100 (cached)", "/api/kinds/wechat/chats?limit=100"),
        (f"newest 80 messages of the biggest chat ({big[1]:,})", f"/api/kinds/wechat/records?chat={chat}&limit=80"),
        ("80 older messages from the middle of it", f"/api/kinds/wechat/records?chat={chat}&limit=80&before={cursor}"),
        ("80 newer messages from the middle of it", f"/api/kinds/wechat/records?chat={chat}&limit=80&after={cursor}"),
        ("a message in context (around)", f"/api/records/{middle[0]}/around?limit=80"),
        ("100 newest of the whole kind", "/api/kinds/wechat/records?limit=100"),
        ("only recovered, first 100", "/api/kinds/wechat/records?limit=100&deleted=1"),
        ("search 'invoice' (common word)", "/api/search?q=invoice&limit=50"),
        ("search 'invoice taxi' (two words)", "/api/search?q=invoice%20taxi&limit=50"),
        ("search 'Person 17-3' (a sender)", "/api/search?q=Person%2017-3&limit=50"),
        ("search '红包' (2 characters: CJK characters index)", "/api/search?q=%E7%BA%A2%E5%8C%85&limit=50"),
        ("search 'invoice' in one chat", f"/api/search?q=invoice&chat={chat}&limit=50"),
        ("search 'invoice' in a date range", "/api/search?q=invoice&since=2020-01-01&until=2020-02-01&limit=50"),
        ("search 'zzzz' (no match)", "/api/search?q=zzzz&limit=50"),
    ]
    print(f"\n{total:,} messages; chat list computed in {first_chats:.0f} ms on first use, then cached.\n")
    print(f"| {'request':<52} | median ms | worst ms | bytes |")
    print(f"|{'-' * 54}|----------:|---------:|------:|")
    for label, url in requests:
        median, worst, size = timed(client, url, args.runs)
        print(f"| {label:<52} | {median:9.1f} | {worst:8.1f} | {size:5,} |")
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
