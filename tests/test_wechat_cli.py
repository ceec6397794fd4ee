"""``reclaim wechat chats|export|photos`` on a bare WeChat Documents folder and on the sample backups."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from reclaim.cli import main
from reclaim.sample.content import wechat as sample
from reclaim.sample.model import SampleContext


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WeChat's Documents folder alone, as another tool would copy it off a phone (file times kept)."""
    root = tmp_path_factory.mktemp("wechat-app") / "Documents"
    for item in sample.files(SampleContext()):
        if item.domain == sample.DOMAIN and item.path.startswith("Documents/") and isinstance(item.data, bytes):
            target = root / item.path.removeprefix("Documents/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data)
            os.utime(target, (item.mtime.timestamp(), item.mtime.timestamp()))
    return root


def chats_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["wechat", "chats", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_chats_from_a_bare_documents_folder(documents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = chats_json(documents, capsys)
    assert data["accounts"] == {"wxid_4kq8alexchen21": "Alex Chen"}
    chats = {c["chat"]: c for c in data["chats"]}
    assert len(chats) == 17  # incl. 陈建国: a deleted conversation of which only a voice file is left
    assert chats["家人群"] | {"first": None} == {
        "account": "wxid_4kq8alexchen21", "account_name": "Alex Chen", "chat_id": "wxid_4kq8alexchen21:"
        + sample.FAMILY_GROUP, "chat": "家人群", "type": "group", "messages": 434, "deleted": 0, "missing_media": 0,
        "first": None, "last": "2024-04-30T19:02:00Z"}
    # Missing media listed per chat: Mum's fourth photo and a file sent to the file helper are no longer there.
    assert (chats["Mum"]["missing_media"], chats["文件传输助手"]["missing_media"]) == (1, 1)
    assert sum(c["missing_media"] for c in chats.values()) == 2
    assert chats["Daily Tech News"]["type"] == "official"
    assert chats["Lily Wang"]["deleted"] == 5  # three texts and a photo carved, a photo from its leftover file
    assert (chats["陈建国"]["messages"], chats["陈建国"]["deleted"]) == (1, 1)
    capsys.readouterr()
    assert main(["wechat", "chats", str(documents)]) == 0
    table = capsys.readouterr().out
    assert "Alex Chen (wxid_4kq8alexchen21): 17 chats" in table and "Hiking Club 🥾" in table
    assert "Files gone" in table


def test_export_json_one_chat_since_a_date(documents: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["wechat", "export", str(documents), "-o", str(out), "--format", "json", "--chat", "家人群",
                 "--since", "2024-04-30T00:00:00+00:00"]) == 0
    rows = [json.loads(line) for line in (out / "json" / "wechat.jsonl").read_text("utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["周日的饭店订好了", "几点？", "中午十二点"]
    assert {r["chat"] for r in rows} == {"家人群"}
    assert main(["wechat", "export", str(documents), "-o", str(out), "--chat", "Nobody"]) == 2


def test_export_html(documents: Path, tmp_path: Path) -> None:
    out = tmp_path / "html"
    assert main(["wechat", "export", str(documents), "-o", str(out), "--chat", "Mum"]) == 0
    pages = list(out.rglob("page-*.html"))
    assert len(pages) >= 1
    text = "".join(p.read_text("utf-8") for p in pages)
    assert "早点休息🙂" in text and "[Voice call] duration 2:05" in text


def test_photos_named_dated_and_deduplicated(documents: Path, tmp_path: Path) -> None:
    out = tmp_path / "photos"
    assert main(["wechat", "photos", str(documents), "-o", str(out)]) == 0
    saved = sorted(p for p in out.rglob("*") if p.is_file())
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in saved]
    # the summit photo sent to two chats is saved once; two QR pictures; Lily's two deleted photos (one carved,
    # one only left as a file)
    assert len(digests) == len(set(digests)) == 13
    left = datetime.fromisoformat("2024-03-11T09:04:00+00:00")  # the leftover file's time names it
    leftover = out / "Lily Wang" / f"{left.astimezone():%Y-%m-%d %H.%M.%S}_272.jpg"
    assert leftover.is_file() and leftover.read_bytes()[:3] == b"\xff\xd8\xff"
    stamp = datetime.fromisoformat("2024-03-02T11:16:05+00:00")
    hd = out / "Mum" / f"{stamp.astimezone():%Y-%m-%d %H.%M.%S}_343.jpg"
    assert hd.is_file() and hd.read_bytes()[:3] == b"\xff\xd8\xff"
    assert os.stat(hd).st_mtime == stamp.timestamp()
    assert (out / "Mum" / f"{datetime.fromisoformat('2024-03-02T11:25:00+00:00').astimezone():%Y-%m-%d %H.%M.%S}"
            "_349.mp4").is_file()
    assert not list(out.rglob("*.wxgf"))


def test_sample_backup_plain_and_encrypted(sample_backup: Path, sample_backup_encrypted: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    plain = chats_json(sample_backup, capsys)
    assert len(plain["chats"]) == 17
    from reclaim.sample import SAMPLE_PASSWORD

    monkeypatch.setenv("RECLAIM_PASSWORD", SAMPLE_PASSWORD)
    encrypted = chats_json(sample_backup_encrypted, capsys)
    assert encrypted == plain
