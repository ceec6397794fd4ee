"""WeChat extraction from the generated sample account (WeChat 8.0.4x-8.0.5x layout), through MemoryFS."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.wechat import compression
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.content import wechat as sample
from reclaim.sample.content._wechat_people import DAD, FAMILY_GROUP, LILY, MUM, OWNER, PRIYA
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def files() -> list[Any]:
    return list(sample.files(SampleContext()))


@pytest.fixture(scope="module")
def case(files: list[Any], tmp_path_factory: pytest.TempPathFactory) -> CaseReader:
    compression.forget_dictionaries()
    compression.register_dictionary(sample.zstd_dictionary(sample.DICT_PROVIDED))
    folder = tmp_path_factory.mktemp("wechat-case")
    result = scan(MemoryFS(files), folder, kinds=["wechat", "wechat-contacts"])
    compression.forget_dictionaries()
    assert [k.reason for k in result.kinds] == ["", ""]
    return CaseReader(folder)


def messages(case: CaseReader, chat: str, **filters: Any) -> list[dict[str, Any]]:
    return list(case.records("wechat", chat_id=f"{OWNER}:{chat}", **filters))


def one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [r["text"] for r in found][:5])
    return found[0]


def test_accounts_contacts_groups(case: CaseReader) -> None:
    contacts = {r["username"]: r for r in case.records("wechat-contacts")}
    account = contacts[OWNER]
    assert (account["category"], account["name"], account["alias"], account["details"]["wechat_version"]) == (
        "account", "Alex Chen", "alexchen_88", "8.0.49")
    assert contacts[MUM.username]["name"] == "Mum" and contacts[MUM.username]["nickname"] == "妈妈"
    assert contacts[MUM.username]["region"] == "Hangzhou, Zhejiang"
    family = contacts[FAMILY_GROUP]
    assert (family["name"], family["category"], family["member_count"]) == ("家人群", "group", 5)
    assert [m["name"] for m in family["members"]] == ["Alex Chen", "Mum", "Dad", "奶奶", "二叔"]
    assert contacts["gh_5d3a8e9b1c2f"]["category"] == "official"
    assert contacts["wxid_kai9b8v7c"]["category"] == "stranger"


def test_profile_pictures_the_phone_cached(case: CaseReader, files: list[Any]) -> None:
    """Avatars are found by the md5 of the username in the app's HeadImg folder (HD, then compressed) and in the
    shared container's session folder; the owner's too. Contacts whose picture the phone did not keep have none."""
    by_path = {(f.domain, f.path): f.data for f in files}
    contacts = {r["username"]: r for r in case.records("wechat-contacts")}

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    expected = {
        OWNER: ("com.tencent.xin", f"Library/WechatPrivate/{sample.ACCOUNT}/HeadImg/0/{md5(OWNER)[:2]}/"
                f"{md5(OWNER)[2:]}.pic_hd"),
        DAD.username: ("com.tencent.xin", f"Library/WechatPrivate/{sample.ACCOUNT}/HeadImg/0/{md5(DAD.username)[:2]}/"
                       f"{md5(DAD.username)[2:]}.pic_compressed"),
        MUM.username: ("group.com.tencent.xin", f"share/{sample.ACCOUNT}/session/headImg/{md5(MUM.username)}.pic"),
    }
    with_photo = {u: r["photo"] for u, r in contacts.items() if r["photo"]}
    assert set(with_photo) == set(expected)
    for username, (domain, path) in expected.items():
        data = next(v for (d, p), v in by_path.items() if p == path and d.endswith(domain))
        photo = with_photo[username]
        assert (photo["sha256"], photo["mime"], photo["role"]) == (hashlib.sha256(data).hexdigest(), "image/jpeg",
                                                                  "avatar")
        assert photo["origin"].endswith(path) and sha(case.media_path(photo["sha256"])) == photo["sha256"]


def test_wechat_s_default_picture_is_no_avatar(files: list[Any], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat's grey silhouette (known by its md5 and size) stands for "no picture": not kept as anyone's avatar."""
    from reclaim.artifacts.wechat import media

    mum = next(f.data for f in files if f.path.endswith(f"{hashlib.md5(MUM.username.encode()).hexdigest()}.pic"))
    monkeypatch.setattr(media, "DEFAULT_AVATARS", frozenset({hashlib.md5(mum).hexdigest()}))
    monkeypatch.setattr(media, "_DEFAULT_AVATAR_SIZES", frozenset({len(mum)}))
    scan(MemoryFS(files), tmp_path / "case", kinds=["wechat-contacts"])
    with CaseReader(tmp_path / "case") as case:
        photos = {r["username"]: r["photo"] for r in case.records("wechat-contacts")}
    assert photos[MUM.username] is None and photos[DAD.username] is not None


def test_an_avatar_file_that_is_no_picture_is_no_avatar(files: list[Any], tmp_path: Path) -> None:
    """A damaged cache file where Dad's avatar should be (bytes of no picture format) is not kept as his picture:
    his messages show his initials rather than a broken image."""
    from reclaim.sample.model import SampleFile

    dad = hashlib.md5(DAD.username.encode()).hexdigest()
    damaged = [SampleFile(f.domain, f.path, bytes(range(256)) * 4) if f.path.endswith(f"{dad[2:]}.pic_compressed")
               else f for f in files]
    assert damaged != files
    scan(MemoryFS(damaged), tmp_path / "case", kinds=["wechat-contacts"])
    with CaseReader(tmp_path / "case") as case:
        photos = {r["username"]: r["photo"] for r in case.records("wechat-contacts")}
    assert photos[DAD.username] is None and photos[MUM.username]["mime"] == "image/jpeg"


def test_media_files_the_source_cannot_give_cost_only_themselves(files: list[Any], tmp_path: Path) -> None:
    """Files listed but absent (a backup copied in part): Mum's HD photo falls back to the full copy, her voice
    message and the avatars are listed as unreadable, each in a warning naming it; every message and contact
    still comes (a missing HD photo stopped WeChat at 664 of 2,873 messages, silently)."""
    from reclaim.sample.model import SampleFile

    h = hashlib.md5(MUM.username.encode()).hexdigest()
    full = {f.path: f for f in files}
    mum = [f for f in files if f"/Img/{h}/" in f.path and f.path.endswith(".pic_hd")]
    voice = next(f for f in files if f"/Audio/{h}/" in f.path)
    gone = {mum[0].path, voice.path, *(f.path for f in files if "headImg" in f.path or "HeadImg" in f.path)}
    absent = tmp_path / "absent"  # listed, then removed: opening it fails as a file missing from a backup does
    absent.write_bytes(b"\xff\xd8" * 100)
    fs = MemoryFS([SampleFile(f.domain, f.path, absent) if f.path in gone else f for f in files])
    absent.unlink()
    compression.register_dictionary(sample.zstd_dictionary(sample.DICT_PROVIDED))
    try:
        result = scan(fs, tmp_path / "case", kinds=["wechat", "wechat-contacts"])
    finally:
        compression.forget_dictionaries()
    by_kind = {k.kind: k for k in result.kinds}
    assert [k.reason for k in result.kinds] == ["", ""]
    assert by_kind["wechat"].live == 2873 and by_kind["wechat-contacts"].live == 20
    for path in gone:
        assert any(path in w and "could not read media" in w for k in result.kinds for w in k.warnings), path
    with CaseReader(tmp_path / "case") as case:
        local_id = int(mum[0].path.rsplit("/", 1)[1].split(".")[0])
        photo = one(messages(case, MUM.username), type_name="image", local_id=local_id)["attachments"][0]
        assert photo["role"] == "full" and not photo["missing"]  # the next best copy
        assert photo["sha256"] == hashlib.sha256(full[mum[0].path.replace(".pic_hd", ".pic")].data).hexdigest()
        sound = next(a for r in messages(case, MUM.username) for a in r["attachments"] if a["role"] == "voice"
                     and a["origin"].endswith(voice.path))
        assert sound["missing"] and sound["note"] == "could not be read from the source"
        assert all(r["photo"] is None for r in case.records("wechat-contacts"))


def test_chats_and_counts(case: CaseReader) -> None:
    chats = {c["chat"]: c for c in case.chats("wechat")}
    assert len(chats) == 17  # incl. 二叔 (陈建国): a deleted conversation of which one voice file is left
    assert chats["家人群"]["messages"] == 434  # incl. rows committed only to the -wal, and two QR pictures
    assert chats["Daily Tech News"]["messages"] == 39
    assert case.count("wechat") == 2880


def test_text_sender_direction_time(case: CaseReader) -> None:
    mum = messages(case, MUM.username)
    msg = one(mum, text="早点休息🙂 Don't forget your coat 🙂")
    assert (msg["sender"], msg["sender_id"], msg["direction"], msg["date"]) == (
        "Mum", MUM.username, "incoming", "2024-03-02T11:15:00Z")
    assert msg["type"] == 1 and msg["service"] == "WeChat" and msg["account"] == OWNER
    wal_only = one(mum, text="爱你❤️")
    assert wal_only["date"] == "2024-04-30T18:04:00Z"
    sent = one(mum, type_name="call")
    assert (sent["sender"], sent["direction"], sent["text"]) == ("Alex Chen", "outgoing", "[Voice call] duration 2:05")


def test_group_senders_use_group_names(case: CaseReader) -> None:
    fam = messages(case, FAMILY_GROUP)
    red = one(fam, type_name="red-packet")
    assert (red["sender"], red["sender_id"], red["text"]) == ("Dad", "wxid_dad3p8x1", "[Red packet] 恭喜发财，大吉大利")
    assert one(fam, text="初一去哪里拜年？")["sender"] == "二叔"  # group nickname of a non-friend
    sticker = one(fam, type_name="sticker")  # no "wxid:\n" prefix: sender from the XML
    assert sticker["sender"] == "二叔"
    assert sticker["attachments"][0]["mime"] == "image/gif"
    quote = one(fam, type_name="quote")
    assert (quote["text"], quote["quote"]["sender"]) == ("先去奶奶家", "二叔")
    assert quote["quote"]["text"] == "初一去哪里拜年？"
    assert one(fam, type_name="pat")["text"] == '"Dad" 拍了拍 "Mum"'
    assert one(fam, status="recalled")["text"] == '"二叔" 撤回了一条消息'
    assert one(fam, date="2023-09-30T12:00:00Z")["text"] == '"妈妈"邀请"陈建国、奶奶"加入了群聊'


def test_cards(case: CaseReader) -> None:
    lily = messages(case, LILY.username)
    transfers = [r for r in lily if r["type_name"] == "transfer"]
    assert [t["text"] for t in transfers] == ["[Transfer] ￥520.00 · dinner · sent",
                                              "[Transfer] ￥520.00 · dinner · accepted"]
    loc = one(lily, type_name="location")
    assert (loc["card"]["title"], loc["card"]["extra"]["latitude"]) == ("人民广场", 31.230416)
    assert one(lily, type_name="quote")["quote"]["text"] == "Dinner on Friday?"
    assert one(lily, type_name="recalled")["status"] == "recalled"
    unknown = one(messages(case, sample.HIKING_GROUP), type=99)
    assert unknown["text"] == '[Message type 99] <msg><unknownfeature version="3"/></msg>'
    assert unknown["sender"] == "Sam T"


def sha(path: Path | None) -> str:
    assert path is not None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_media_best_copy_voice_wav_and_missing(case: CaseReader, files: list[Any]) -> None:
    by_path = {f.path: f.data for f in files}
    mum = messages(case, MUM.username)
    images = [r for r in mum if r["type_name"] == "image"]
    assert [r["attachments"][0]["role"] for r in images] == ["hd", "full", "thumbnail", "full"]
    assert images[3]["attachments"][0]["missing"] is True
    h = hashlib.md5(MUM.username.encode()).hexdigest()
    hd = by_path[f"{sample.ROOT}/Img/{h}/{images[0]['local_id']}.pic_hd"]
    assert images[0]["attachments"][0]["sha256"] == hashlib.sha256(hd).hexdigest()
    assert sha(case.media_path(images[0]["attachments"][0]["sha256"])) == hashlib.sha256(hd).hexdigest()
    voice = [r for r in mum if r["type_name"] == "voice"]
    silk, amr = voice[0]["attachments"][0], voice[1]["attachments"][0]
    assert (silk["mime"], silk["preview_mime"], voice[0]["text"]) == ("audio/silk", "audio/wav", "[Voice message 0:04]")
    with wave.open(io.BytesIO(case.media_path(silk["preview"]).read_bytes())) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(4.2, abs=0.05)
    assert (amr["mime"], amr["preview_mime"], voice[1]["text"]) == ("audio/amr", "audio/wav", "[Voice message 0:02]")
    with wave.open(io.BytesIO(case.media_path(amr["preview"]).read_bytes())) as wav:  # FFmpeg's AMR-NB decoder
        assert wav.getnframes() / wav.getframerate() == pytest.approx(2.0, abs=0.05)
    video = one(mum, type_name="video")
    assert [(a["role"], a["mime"]) for a in video["attachments"]] == [("full", "video/mp4"),
                                                                       ("thumbnail", "image/jpeg")]
    history = one(mum, type_name="chat-history")
    assert history["attachments"][0]["name"].endswith("_a2.jpg")
    pdf = one(messages(case, "wxid_zw2b6n4m"), type_name="file")
    assert pdf["attachments"][0]["name"] == "Q2 budget review.pdf"
    assert case.media_path(pdf["attachments"][0]["sha256"]).read_bytes().startswith(b"%PDF-1.4")
    missing = one(messages(case, "filehelper"), type_name="file")["attachments"][0]
    assert (missing["name"], missing["missing"]) == ("passport scan.pdf", True)
    wxgf = one(messages(case, "wxid_dad3p8x1"), type_name="image")["attachments"][0]
    assert (wxgf["mime"], wxgf["name"].endswith(".wxgf")) == ("image/x-wechat-wxgf", True)


def test_compressed_rows(case: CaseReader) -> None:
    jun = messages(case, "wxid_jun4g7h1")
    assert one(jun, text="这家店的小龙虾很好吃😍")["status"] == ""  # plain zstd
    assert one(jun, type_name="mini-program")["card"]["extra"]["app_id"] == "wx2c348cf579062e56"
    assert one(messages(case, "wxid_mei6k3l8"), text="周末一起去看电影吧😊")["status"] == ""  # dictionary supplied
    priya = messages(case, PRIYA.username)
    assert one(priya, date="2024-04-28T22:00:00Z")["status"] == "from-chat-list"
    assert one(priya, date="2024-04-28T22:00:00Z")["text"] == "Safe travels, text me when you land ✈️"
    lost = one(priya, date="2024-04-16T09:00:00Z")
    assert (lost["status"], lost["text"]) == (
        "compressed-unreadable", "[Compressed message: needs WeChat's zstd dictionary 5, which is not in the backup]")
    photo = one(priya, date="2024-04-16T09:02:00Z")
    assert (photo["text"], photo["attachments"][0]["missing"]) == ("[Photo]", False)  # media outlive the body
    indexed = [r for r in priya if r["status"] == "from-search-index"]
    assert len(indexed) == 95 and all(r["text"] and not r["text"].startswith("[Compressed") for r in indexed)


def test_deleted_messages_are_recovered(case: CaseReader) -> None:
    deleted = {r["text"]: r for r in case.records("wechat", deleted=True)}
    assert set(deleted) >= {"I'll bring the photos tomorrow", "门禁密码是 4821", "See you at the station",
                            "Did you get home safe?"}
    station = deleted["See you at the station"]
    assert (station["chat"], station["sender"], station["date"]) == ("Lily Wang", "Lily Wang", "2024-03-11T09:02:00Z")
    assert station["provenance"]["area"] in ("freeblock", "unallocated", "freelist")
    assert deleted["门禁密码是 4821"]["direction"] == "outgoing"
    assert deleted["Did you get home safe?"]["provenance"]["area"].startswith("wal")
    live_ids = {r["server_id"] for r in case.records("wechat", deleted=False)}
    assert not {r["server_id"] for r in deleted.values() if r["server_id"]} & live_ids
