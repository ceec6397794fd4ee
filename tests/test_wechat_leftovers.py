"""Media files deleted WeChat messages left behind become recovered messages (sample account, MemoryFS)."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.wechat.accounts import md5
from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export.html import recovered_from
from reclaim.sample.content import wechat as sample
from reclaim.sample.content._wechat_media import jpeg, mp4
from reclaim.sample.content._wechat_people import LILY, OWNER, UNCLE
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS

NOBODY = md5("wxid_nobody0000")  # a chat no contact, session or table names any more
WHEN = sample._t("2024-01-05 10:00:00")


@pytest.fixture(scope="module")
def files() -> list[Any]:
    extra = [SampleFile(sample.DOMAIN, f"{sample.ROOT}/Video/{NOBODY}/5.mp4", mp4(3), mtime=WHEN),
             SampleFile(sample.DOMAIN, f"{sample.ROOT}/Video/{NOBODY}/5.video_thum", jpeg(40, 70, (9, 9, 9)),
                        mtime=WHEN),
             SampleFile(sample.DOMAIN, f"{sample.ROOT}/OpenData/{NOBODY}/9.txt", b"shopping list\n", mtime=WHEN)]
    return [*sample.files(SampleContext()), *extra]


@pytest.fixture(scope="module")
def case(files: list[Any], tmp_path_factory: pytest.TempPathFactory) -> CaseReader:
    folder = tmp_path_factory.mktemp("wechat-leftovers")
    scan(MemoryFS(files), folder, kinds=["wechat"])
    return CaseReader(folder)


def leftovers(case: CaseReader) -> list[dict[str, Any]]:
    return [r for r in case.records("wechat", deleted=True) if (r["provenance"] or {}).get("area") == "leftover-file"]


def data_of(files: list[Any], suffix: str) -> bytes:
    [found] = [f.data for f in files if f.path.endswith(suffix)]
    return found


def test_leftover_picture_in_its_chat(case: CaseReader, files: list[Any]) -> None:
    lily = [r for r in leftovers(case) if r["chat"] == "Lily Wang"]
    assert len(lily) == 1
    photo = lily[0]
    assert (photo["chat_id"], photo["type_name"], photo["type"], photo["text"], photo["deleted"]) == (
        f"{OWNER}:{LILY.username}", "image", 3, "", True)
    assert (photo["date"], photo["date_source"]) == ("2024-03-11T09:04:00Z", "file time")
    [ref] = photo["attachments"]  # HD and thumbnail of one MesLocalID: one message, the HD copy stored
    hd = data_of(files, f"Img/{md5(LILY.username)}/{photo['local_id']}.pic_hd")
    assert (ref["role"], ref["mime"], ref["sha256"]) == ("hd", "image/jpeg", hashlib.sha256(hd).hexdigest())
    assert hashlib.sha256(case.media_path(ref["sha256"]).read_bytes()).hexdigest() == ref["sha256"]
    assert recovered_from(photo["provenance"]) == "from a file the app left behind"  # the report's words
    assert photo["source"].endswith(f"Img/{md5(LILY.username)}/{photo['local_id']}.pic_hd")


def test_leftover_voice_of_a_deleted_conversation_plays_as_wav(case: CaseReader) -> None:
    [voice] = [r for r in leftovers(case) if r["type_name"] == "voice"]
    assert (voice["chat"], voice["chat_id"], voice["local_id"]) == (
        "陈建国", f"{OWNER}:{UNCLE.username}", sample.LEFTOVER_VOICE_ID)
    assert voice["date"] == "2024-02-11T09:30:00Z"
    [ref] = voice["attachments"]
    assert (ref["mime"], ref["preview_mime"], ref["role"]) == ("audio/silk", "audio/wav", "voice")
    with wave.open(io.BytesIO(case.media_path(ref["preview"]).read_bytes())) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(3.5, abs=0.05)


def test_unknown_chat_video_and_file(case: CaseReader, files: list[Any]) -> None:
    unknown = sorted((r for r in leftovers(case) if r["chat_id"] == f"{OWNER}:#{NOBODY}"), key=lambda r: r["local_id"])
    assert [(r["chat"], r["local_id"], r["type_name"]) for r in unknown] == [
        (f"Unknown chat {NOBODY[:8]}", 5, "video"), (f"Unknown chat {NOBODY[:8]}", 9, "file")]
    video, document = unknown
    assert [(a["role"], a["mime"]) for a in video["attachments"]] == [("full", "video/mp4"),
                                                                      ("thumbnail", "image/jpeg")]
    assert video["date"] == "2024-01-05T10:00:00Z"
    [doc] = document["attachments"]
    assert (doc["name"], doc["sha256"]) == ("9.txt", hashlib.sha256(b"shopping list\n").hexdigest())


def test_no_double_count_with_carved_messages(case: CaseReader, files: list[Any]) -> None:
    deleted = list(case.records("wechat", chat_id=f"{OWNER}:{LILY.username}", deleted=True))
    [carved] = [r for r in deleted if r["type_name"] == "image" and r["provenance"]["area"] != "leftover-file"]
    # its MesLocalID (the rowid) was overwritten in the freeblock: its file is found by time and given to it
    kept = data_of(files, f"Img/{md5(LILY.username)}/{carved['local_id']}.pic")
    assert [a["sha256"] for a in carved["attachments"]] == [hashlib.sha256(kept).hexdigest()]
    assert "matched to it by time" in carved["attachments"][0]["note"]
    digests = [a["sha256"] for r in deleted for a in r["attachments"]]
    assert len(digests) == len(set(digests)) == 2
    keys = [(r["chat_id"], r["local_id"]) for r in case.records("wechat") if r["local_id"]]
    assert len(keys) == len(set(keys))  # no message (live, carved or leftover) twice
    assert len(leftovers(case)) == 4  # Lily's photo, 二叔's voice, the unknown chat's video and file


def test_live_media_never_become_leftovers(case: CaseReader) -> None:
    live = {(r["chat_id"], r["local_id"]) for r in case.records("wechat", deleted=False)}
    assert not {(r["chat_id"], r["local_id"]) for r in leftovers(case)} & live


def test_not_without_deleted_recovery(files: list[Any], tmp_path: Path) -> None:
    scan(MemoryFS(files), tmp_path / "c", kinds=["wechat"], options=ScanOptions(recover_deleted=False))
    assert not list(CaseReader(tmp_path / "c").records("wechat", deleted=True))
