"""WeChat Favorites of the sample account: every type, their files, and a favorite deleted from fav.db."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.content import wechat, wechat_social
from reclaim.sample.content._wechat_people import OWNER
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS

KINDS = ["wechat-favorites", "wechat-moments", "wechat-friend-requests"]


@pytest.fixture(scope="module")
def files() -> list[Any]:
    ctx = SampleContext()
    return [*wechat.files(ctx), *wechat_social.files(ctx)]


@pytest.fixture(scope="module")
def case(files: list[Any], tmp_path_factory: pytest.TempPathFactory) -> CaseReader:
    folder = tmp_path_factory.mktemp("wechat-social")
    result = scan(MemoryFS(files), folder, kinds=KINDS)
    assert [(k.kind, k.reason, k.warnings) for k in result.kinds] == [(k, "", []) for k in KINDS]
    return CaseReader(folder)


def favorites(case: CaseReader) -> list[dict[str, Any]]:
    return list(case.records("wechat-favorites"))


def by_type(case: CaseReader, type_name: str) -> dict[str, Any]:
    found = [f for f in favorites(case) if f["type_name"] == type_name and not f["deleted"]]
    assert len(found) == 1, [f["id"] for f in found]
    return found[0]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_type_is_read_with_its_time_and_source(case: CaseReader) -> None:
    live = [f for f in favorites(case) if not f["deleted"]]
    assert sorted(f["type_name"] for f in live) == sorted(
        ["text", "image", "voice", "video", "link", "location", "file", "chat-record", "note"])
    text = by_type(case, "text")
    assert (text["text"], text["date"], text["sender"], text["chat"], text["account"]) == (
        "记得按时吃药，每天两次", "2024-02-10T08:00:00Z", "Mum", "Mum", OWNER)
    assert text["chat_id"] == f"{OWNER}:wxid_mum7h2k9"


def test_file_favorite_keeps_its_name_and_bytes(case: CaseReader) -> None:
    doc = by_type(case, "file")
    assert doc["title"] == "Lease 2024.pdf"
    [ref] = doc["attachments"]
    assert (ref["name"], ref["missing"], ref["mime"]) == ("Lease 2024.pdf", False, "application/pdf")
    assert ref["sha256"] == sha(wechat_social.FAV_PDF)
    path = case.media_path(ref["sha256"])
    assert path is not None and Path(path).read_bytes() == wechat_social.FAV_PDF


def test_image_voice_and_missing_video(case: CaseReader) -> None:
    image = by_type(case, "image")
    assert [(a["role"], a["sha256"]) for a in image["attachments"]] == [
        ("full", sha(wechat_social.FAV_IMAGE)), ("thumbnail", sha(wechat_social.FAV_IMAGE_THUMB))]
    voice = by_type(case, "voice")
    [clip] = voice["attachments"]
    assert clip["sha256"] == sha(wechat_social.FAV_VOICE) and clip["preview_mime"] == "audio/wav"
    video = by_type(case, "video")
    full, thumb = video["attachments"]
    assert full["missing"] and full["sha256"] is None and full["origin"].endswith(".mp4")
    assert "/Favorites/Data/" in full["origin"] and thumb["sha256"] == sha(wechat_social.FAV_VIDEO_THUMB)
    assert video["items"][0]["size"] == 3_145_728


def test_link_location_note_and_chat_record(case: CaseReader) -> None:
    link = by_type(case, "link")
    assert (link["title"], link["description"], link["url"], link["sender"]) == (
        "Ten hiking routes around Hangzhou", "From easy walks to full-day treks",
        "https://mp.weixin.qq.com/s/hz-hiking-routes", "Zhang Wei (work)")
    place = by_type(case, "location")
    assert (place["place"], place["latitude"], place["longitude"]) == (
        "人民广场, 上海市黄浦区人民大道", 31.230416, 121.473701)
    note = by_type(case, "note")
    assert (note["title"], note["text"]) == ("Packing list", "Boots, rain jacket, 2L water, snacks, headlamp")
    record = by_type(case, "chat-record")
    assert record["chat"] == "家人群" and record["title"] == "家人群的聊天记录"
    assert record["text"].splitlines() == ["二叔: 初一去哪里拜年？", "妈妈: 先去奶奶家", "奶奶: [image]"]
    assert [a["sha256"] for a in record["attachments"]] == [sha(wechat_social.FAV_IMAGE)]


def test_deleted_favorite_is_carved_with_provenance(case: CaseReader) -> None:
    [gone] = [f for f in favorites(case) if f["deleted"]]
    assert gone["text"] == wechat_social.DELETED_FAVORITE
    assert (gone["date"], gone["sender"], gone["type_name"]) == ("2024-04-20T18:00:00Z", "Lily Wang", "text")
    assert gone["provenance"]["area"] in ("freeblock", "unallocated", "freelist")
    assert gone["source"].endswith("/Favorites/fav.db")


def test_search_finds_a_favorite(case: CaseReader) -> None:
    hits = list(case.search("hiking routes"))
    assert any(h.get("kind") == "wechat-favorites" for h in hits), hits[:3]


def test_no_deleted_favorite_without_recovery(files: list[Any], tmp_path: Path) -> None:
    scan(MemoryFS(files), tmp_path / "c", kinds=["wechat-favorites"], options=ScanOptions(recover_deleted=False))
    rows = list(CaseReader(tmp_path / "c").records("wechat-favorites"))
    assert len(rows) == 9 and not any(r["deleted"] for r in rows)
