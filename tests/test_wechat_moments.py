"""WeChat Moments (cached posts, likes, comments) and friend requests of the sample account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.wechat.moments import _Reader
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.content import wechat, wechat_social
from reclaim.sample.content._wechat_people import KAI, OWNER
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> CaseReader:
    ctx = SampleContext()
    folder = tmp_path_factory.mktemp("wechat-moments")
    result = scan(MemoryFS([*wechat.files(ctx), *wechat_social.files(ctx)]), folder,
                  kinds=["wechat-moments", "wechat-friend-requests"])
    assert [(k.kind, k.reason, k.warnings) for k in result.kinds] == [
        ("wechat-moments", "", []), ("wechat-friend-requests", "", [])]
    return CaseReader(folder)


def posts(case: CaseReader) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for post in case.records("wechat-moments"):
        assert post["post_id"] not in found, "a post cached in two tables is shown once"
        found[post["post_id"]] = post
    return found


def test_own_post_with_likes_and_comments(case: CaseReader) -> None:
    post = posts(case)["14120000000000000001"]
    assert (post["author"], post["own"], post["text"], post["date"]) == (
        "Alex Chen", True, "Sunset at the Bund 🌇", "2024-04-21T11:30:00Z")
    assert [like["name"] for like in post["likes"]] == ["Mum", "Lily Wang"]
    comments = [(c["name"], c["text"], c["reply_to"], c["deleted"]) for c in post["comments"]]
    assert comments == [("Mum", "好漂亮！注意安全", "", False), ("Lily Wang", "Wow, when was this?", "", False),
                        ("Alex Chen", "Yesterday evening!", "Lily Wang", False),
                        ("Sam Taylor", "oops, wrong post", "", True)]
    assert post["comments"][1]["date"] == "2024-04-21T12:01:00Z"
    assert (post["like_count"], post["comment_count"]) == (2, 3)
    assert [m["url"] for m in post["media_urls"]] == ["https://szmmsns.qpic.cn/mmsns/bund1/0",
                                                      "https://szmmsns.qpic.cn/mmsns/bund2/0"]
    assert post["place"] == "外滩, 上海市黄浦区中山东一路, 上海" and post["latitude"] == pytest.approx(31.24)
    assert post["liked_by"] == "Mum, Lily Wang"
    assert post["comments_text"].splitlines()[2:] == ["Alex Chen → Lily Wang: Yesterday evening!",
                                                      "Sam Taylor: oops, wrong post (deleted by its author)"]


def test_friends_posts_cards_and_video(case: CaseReader) -> None:
    found = posts(case)
    article = found["14120000000000000002"]
    assert (article["author"], article["own"], article["content_type_name"]) == ("Lily Wang", False, "link")
    assert (article["card_title"], article["card_description"], article["card_url"]) == (
        "The science of a perfect espresso", "Grind, pressure, temperature",
        "https://mp.weixin.qq.com/s/espresso-science")
    assert found["14120000000000000003"]["card_title"] == "Moon River"
    video = found["14120000000000000004"]
    assert video["media_urls"] == [{"type": "video", "url": "https://vweixinf.tc.qq.com/summit.mp4",
                               "thumb_url": "https://szmmsns.qpic.cn/mmsns/summit/150", "title": ""}]
    assert [(c["name"], c["text"]) for c in video["comments"]] == [("Tom Becker", "What a view!")]
    assert found["14120000000000000005"]["author"] == "Zhang Wei (work)"


def test_deleted_post_recovered(case: CaseReader) -> None:
    gone = posts(case)["14120000000000000006"]
    assert gone["deleted"] and gone["own"]
    assert gone["text"] == "Can't sleep. Thinking about moving to Hangzhou"
    assert gone["provenance"]["area"] in ("freeblock", "unallocated", "freelist")
    assert sum(not p["deleted"] for p in posts(case).values()) == 5


def test_buffer_that_does_not_decode_is_skipped_with_a_warning() -> None:
    warnings: list[str] = []

    class Ctx:
        def warn(self, message: str) -> None:
            warnings.append(message)

    class Db:
        source = "wc005_008.db"

    reader = _Reader(Ctx(), None, None, Db())  # type: ignore[arg-type]
    assert reader.post("MyWC01_x", "wxid_a", b"bplist00\x00garbage") is None
    assert reader.post("MyWC01_x", "wxid_a", b"not a plist") is None
    assert len(warnings) == 1 and "does not decode" in warnings[0]


def test_friend_requests(case: CaseReader) -> None:
    rows = list(case.records("wechat-friend-requests"))
    kai = [r for r in rows if r["username"] == KAI.username]
    assert [(r["direction"], r["message"]) for r in kai] == [
        ("incoming", "Hi Alex, I'm Kai from the hiking club 🏔"), ("outgoing", "Sure! See you on the next hike")]
    first = kai[0]
    assert (first["name"], first["status"], first["scene"], first["group"], first["date"]) == (
        "Kai", "pending", "group chat", "Hiking Club 🥾", "2024-04-20T20:00:00Z")
    tom = next(r for r in rows if r["username"] == "wxid_tom8d2f6")
    assert (tom["name"], tom["status"]) == ("Tom Becker", "friend")
    zoe = next(r for r in rows if r["username"] == wechat_social.NEW_PERSON)
    assert (zoe["name"], zoe["status"], zoe["scene"], zoe["region"]) == (
        "Recruiter Zoe", "pending", "phone number search", "Shenzhen, Guangdong")
    assert zoe["message"].startswith("Hello, I found you by your number.")
    assert all(r["account"] == OWNER and r["source"].endswith("DB/MM.sqlite") for r in rows)


def test_wechat_messages_unchanged_by_hello_tables(tmp_path: Path) -> None:
    ctx = SampleContext()
    files = [f for f in wechat.files(ctx) if f.path.endswith("DB/MM.sqlite") or "WCDB_Contact" in f.path
             or f.path.endswith("LoginInfo2.dat")]
    scan(MemoryFS(files), tmp_path / "c", kinds=["wechat"])
    rows = list(CaseReader(tmp_path / "c").records("wechat"))
    assert rows and not any("fromusername" in r["text"] for r in rows)


def test_friend_request_in_a_message_shard(tmp_path: Path) -> None:
    import sqlite3

    from reclaim.sample.model import SampleFile

    ctx = SampleContext()
    files = [f for f in wechat.files(ctx) if "/DB/" in f.path or f.path.endswith("LoginInfo2.dat")]
    shard = tmp_path / "message_9.sqlite"
    conn = sqlite3.connect(shard)
    conn.execute("CREATE TABLE Chat_00000000000000000000000000000000(MesLocalID INTEGER PRIMARY KEY,"
                 " CreateTime INTEGER, Message TEXT, Type INTEGER, Des INTEGER)")
    wechat_social.add_hello_tables(conn)  # the same requests as MM.sqlite: not repeated
    user = "wxid_shard9only"
    conn.execute(f"CREATE TABLE Hello_{wechat_social.md5(user)}(MesLocalID INTEGER PRIMARY KEY, CreateTime INTEGER,"
                 " Message TEXT, Type INTEGER, Des INTEGER)")
    conn.execute(f"INSERT INTO Hello_{wechat_social.md5(user)} VALUES (1, 1714000000, ?, 37, 1)",
                 (f'<msg fromusername="{user}" fromnickname="Nina" content="Hi from the shard" scene="30"/>',))
    conn.commit()
    conn.close()
    files.append(SampleFile(wechat.DOMAIN, f"Documents/{wechat.ACCOUNT}/DB/message_9.sqlite", shard.read_bytes()))
    scan(MemoryFS(files), tmp_path / "c", kinds=["wechat-friend-requests"])
    rows = list(CaseReader(tmp_path / "c").records("wechat-friend-requests"))
    [nina] = [r for r in rows if r["source"].endswith("message_9.sqlite")]
    assert (nina["name"], nina["message"], nina["scene"], nina["status"], nina["date"]) == (
        "Nina", "Hi from the shard", "QR code", "pending", "2024-04-24T23:06:40Z")
    assert len(rows) == 5


def test_a_shard_is_opened_for_friend_requests_only_when_its_schema_or_wal_names_one(tmp_path: Path) -> None:
    import sqlite3

    from reclaim.artifacts.wechat.friend_requests import _may_hold_hello
    from reclaim.case.context import ScanContext, ScanOptions
    from reclaim.sample.model import SampleFile

    def shard(name: str, hello: str) -> list[SampleFile]:
        """A shard with chat tables; a Hello_ table in the file (``"file"``), only in its WAL (``"wal"``),
        or none."""
        path = tmp_path / name
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        for n in range(40):
            conn.execute(f"CREATE TABLE Chat_{n:032x}(MesLocalID INTEGER PRIMARY KEY, CreateTime INTEGER,"
                         " Message TEXT)")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if hello:
            conn.execute(f"CREATE TABLE Hello_{'ab' * 16}(MesLocalID INTEGER PRIMARY KEY, Message TEXT)")
            conn.commit()
        if hello == "file":
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        folder = f"Documents/{wechat.ACCOUNT}/DB"
        files = [SampleFile(wechat.DOMAIN, f"{folder}/{name}", path.read_bytes())]
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size:
            files.append(SampleFile(wechat.DOMAIN, f"{folder}/{name}-wal", wal.read_bytes()))
        conn.close()
        return files

    cases = {"message_1.sqlite": "", "message_2.sqlite": "file", "message_3.sqlite": "wal"}
    files = [f for name, hello in cases.items() for f in shard(name, hello)]
    damaged = b"SQLite format 3\0" * 2
    files.append(SampleFile(wechat.DOMAIN, f"Documents/{wechat.ACCOUNT}/DB/message_4.sqlite", damaged))
    fs = MemoryFS(files)
    ctx = ScanContext(fs, None, ScanOptions(), kind="wechat-friend-requests")
    answers = {e.path.rsplit("/", 1)[-1]: _may_hold_hello(ctx, e)
               for e in fs.files(wechat.DOMAIN, "*DB/message_?.sqlite")}
    assert answers == {"message_1.sqlite": False, "message_2.sqlite": True, "message_3.sqlite": True,
                       "message_4.sqlite": True}  # the damaged one is opened: it will say what is wrong


def test_a_wal_listed_but_missing_costs_friend_requests_only_what_it_held(tmp_path: Path) -> None:
    """The shards' ``-wal`` files are listed but absent (a backup copied in part): the friend requests still come,
    with one warning per file (looking for them in the WAL stopped the kind)."""
    from reclaim.sample.model import SampleFile

    ctx = SampleContext()
    files = [*wechat.files(ctx), *wechat_social.files(ctx)]
    absent = tmp_path / "absent"  # listed, then removed: opening it fails as a file missing from a backup does
    absent.write_bytes(b"x" * 100)
    fs = MemoryFS([SampleFile(f.domain, f.path, absent) if f.path.endswith("-wal") else f for f in files])
    absent.unlink()
    result = scan(fs, tmp_path / "case", kinds=["wechat-friend-requests"])
    status = result.kinds[0]
    assert (status.live, status.reason) == (4, "")
    wals = [f.path for f in files if f.path.endswith("-wal")]
    for wal in wals:
        said = [w for w in status.warnings if wal.removesuffix("-wal") in w and "is read without it" in w]
        assert len(said) == 1, wal
