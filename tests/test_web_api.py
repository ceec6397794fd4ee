"""The page's JSON interface on a small case: paging, chats, search, media, recovering a selection."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from test_web_support import build_demo_case, client_for, post_headers

from reclaim import service
from reclaim.case.store import CaseReader
from reclaim.errors import ReclaimError
from reclaim.web.session import WebSession

FAMILY = "family@chatroom"


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    case = tmp_path_factory.mktemp("webcase") / "case"
    return case, build_demo_case(case)


@pytest.fixture()
def session(demo_case: tuple[Path, dict[str, str]], tmp_path: Path) -> WebSession:
    session = WebSession(case_dir=demo_case[0], work_dir=tmp_path / "work")
    yield session
    session.close()


def test_case_summary_lists_kinds_with_counts_and_views(session: WebSession) -> None:
    data = client_for(session).get("/api/case").json()
    kinds = {k["kind"]: k for k in data["kinds"]}
    assert (kinds["webchat"]["live"], kinds["webchat"]["deleted"], kinds["webchat"]["view"]) == (134, 1, "chat")
    assert (kinds["webphotos"]["live"], kinds["webphotos"]["deleted"], kinds["webphotos"]["view"]) == (2, 1, "gallery")
    assert kinds["webempty"]["reason"] == "not in this source (looked for X)"
    assert data["source"]["device_name"] == "Test iPhone"
    assert {"html", "json", "csv"} <= set(data["formats"])


def test_chat_pages_walk_back_through_every_message_once(session: WebSession) -> None:
    client = client_for(session)
    seen: list[dict] = []
    before = None
    while True:
        page = client.get("/api/kinds/webchat/records",
                          params={"chat": FAMILY, "limit": 40, **({"before": before} if before else {})}).json()
        seen += page["items"]
        before = page["older"]
        if before is None:
            break
    assert len(seen) == 133 and len({m["_rid"] for m in seen}) == 133
    dates = [m["date"] for m in seen]
    assert dates == sorted(dates, reverse=True)
    assert seen[0]["id"] == "webchat:l" and seen[-1]["text"] == "message 0 from Mum"
    assert seen[-1]["date"] == "2024-03-01T08:00:00Z" and seen[-1]["sender"] == "Mum"


def test_newer_pages_and_undated_records(session: WebSession) -> None:
    client = client_for(session)
    bob = client.get("/api/kinds/webchat/records", params={"chat": "bob"}).json()["items"]
    assert [m["text"] for m in bob] == ["the invoice is attached, delete after reading", "undated message"]
    undated = service.encode_cursor(None, bob[1]["_rid"])
    newer = client.get("/api/kinds/webchat/records", params={"chat": "bob", "after": undated}).json()
    assert [m["id"] for m in newer["items"]] == ["webchat:d"] and newer["newer"] is None
    oldest = client.get("/api/kinds/webchat/records", params={"chat": FAMILY, "before": "1:2024-03-01T08:00:00Z"})
    assert oldest.json() == {"items": [], "older": None, "newer": None, "pictures": {}}


def test_only_recovered_filter(session: WebSession) -> None:
    items = client_for(session).get("/api/kinds/webchat/records", params={"deleted": 1}).json()["items"]
    assert [(m["id"], m["deleted"], m["provenance"]["area"]) for m in items] == [("webchat:d", True, "freeblock")]


def test_around_opens_a_message_in_its_conversation(session: WebSession) -> None:
    client = client_for(session)
    target = next(m for m in client.get("/api/kinds/webchat/records", params={"chat": FAMILY, "limit": 500})
                  .json()["items"] if m["text"] == "message 60 from Mum")
    page = client.get(f"/api/records/{target['_rid']}/around", params={"limit": 10}).json()
    assert [m["text"] for m in page["items"]] == [f"message {i} from {['Mum', 'Dad', 'Me'][i % 3]}"
                                                  for i in range(55, 66)]
    assert page["older"] and page["newer"]


def test_chat_list_has_names_counts_and_last_line(session: WebSession) -> None:
    data = client_for(session).get("/api/kinds/webchat/chats").json()
    chats = {c["chat_id"]: c for c in data["chats"]}
    assert data["total"] == 2
    assert chats[FAMILY]["chat"] == "家人群" and chats[FAMILY]["messages"] == 133
    assert chats[FAMILY]["last_text"] == "Train times"
    assert chats["bob"]["deleted"] == 1
    assert chats["bob"]["last_text"] == "Bob: the invoice is attached, delete after reading"
    found = client_for(session).get("/api/kinds/webchat/chats", params={"q": "家人"}).json()
    assert [c["chat_id"] for c in found["chats"]] == [FAMILY]


def test_search_across_kinds_with_filters(session: WebSession) -> None:
    client = client_for(session)
    hits = client.get("/api/search", params={"q": "invoice"}).json()["items"]
    assert sorted((h["kind"], h["id"]) for h in hits) == [("webchat", "webchat:d"), ("webnotes", "webnotes:1")]
    assert [h["id"] for h in client.get("/api/search", params={"q": "invoice", "kinds": "webnotes"}).json()["items"]] \
        == ["webnotes:1"]
    assert [h["id"] for h in client.get("/api/search", params={"q": "invoice", "sender": "Bob"}).json()["items"]] \
        == ["webchat:d"]
    assert [h["id"] for h in client.get("/api/search", params={"q": "invoice", "until": "2024-03-01"})
            .json()["items"]] == ["webnotes:1"]
    assert [h["id"] for h in client.get("/api/search", params={"q": "invoice", "since": "2024-03-02"})
            .json()["items"]] == ["webchat:d"]
    assert client.get("/api/search", params={"q": "invoice", "since": "yesterday"}).status_code == 400
    short = client.get("/api/search", params={"q": "群", "kinds": "webchat", "limit": 5}).json()
    assert len(short["items"]) == 5 and short["next"] == 5


def test_thumbnails_and_voice_previews(session: WebSession, demo_case: tuple[Path, dict[str, str]]) -> None:
    client = client_for(session)
    shas = demo_case[1]
    thumb = client.get(f"/api/thumb/{shas['red']}")
    assert thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (64, 48) and image.getpixel((10, 10))[0] > 150
    assert client.get(f"/api/thumb/{shas['voice_wav']}").status_code == 404  # not an image
    voice = client.get(f"/api/media/{shas['voice_wav']}", headers={"range": "bytes=0-11"})
    assert voice.status_code == 206 and voice.content[:4] == b"RIFF" and voice.headers["content-type"] == "audio/wav"


def test_record_detail_and_unknown_things(session: WebSession) -> None:
    client = client_for(session)
    note = client.get("/api/kinds/webnotes/records").json()["items"][0]
    assert client.get(f"/api/records/{note['_rid']}").json()["subject"] == "Invoice 42"
    assert client.get("/api/records/999999").status_code == 404
    assert client.get("/api/kinds/nope/records").status_code == 404
    assert client.get("/api/kinds/webchat/records", params={"before": "garbage"}).status_code == 400


def _selected_photos(client) -> list[dict]:
    items = client.get("/api/kinds/webphotos/records").json()["items"]
    return [p for p in items if p["filename"] in {"IMG_0001.JPG", "IMG_0002.JPG"}]


def test_recover_two_photos_to_a_folder(session: WebSession, tmp_path: Path) -> None:
    client = client_for(session)
    photos = _selected_photos(client)
    out = tmp_path / "Recovered"
    response = client.post("/api/export", headers=post_headers(session), json={
        "folder": str(out), "formats": ["json", "html"],
        "selection": {"webphotos": {"rids": [p["_rid"] for p in photos]}}})
    assert response.status_code == 200, response.text
    assert response.json()["folder"] == str(out.resolve())
    lines = (out / "json" / "webphotos.jsonl").read_text("utf-8").splitlines()
    assert sorted(json.loads(line)["filename"] for line in lines) == ["IMG_0001.JPG", "IMG_0002.JPG"]
    assert not (out / "json" / "webchat.jsonl").exists()
    manifest = dict(reversed(line.split("  ", 1)) for line in (out / "manifest.sha256").read_text().splitlines())
    wanted = {p["media"]["sha256"] for p in photos}
    with CaseReader(session.case_dir) as case:
        for sha in wanted:
            copied = [name for name in manifest if sha in name]
            assert copied, f"photo {sha} not recovered"
            data = (out / copied[0]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha == manifest[copied[0]]
            assert data == case.media_path(sha).read_bytes()


def test_a_full_disk_while_recovering_is_said_in_one_line(session: WebSession, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    import reclaim.output

    def disk_full(source: str, target: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), source, None, target)

    monkeypatch.setattr(reclaim.output.os, "replace", disk_full)
    client = client_for(session)
    out = tmp_path / "Recovered"
    response = client.post("/api/export", headers=post_headers(session), json={
        "folder": str(out), "formats": ["json"], "selection": {"webphotos": {"rids": [
            p["_rid"] for p in _selected_photos(client)]}}})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error.startswith(str(out.resolve())) and ": No space left on device (to " in error


def test_recover_as_zip_download(session: WebSession) -> None:
    client = client_for(session)
    photos = _selected_photos(client)
    result = client.post("/api/export", headers=post_headers(session), json={
        "zip": True, "formats": ["json"], "selection": {"webphotos": {"rids": [photos[0]["_rid"]]}}}).json()
    download = client.get(result["download"])
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert "manifest.sha256" in archive.namelist()
        records = archive.read("json/webphotos.jsonl").decode().splitlines()
    assert [json.loads(r)["filename"] for r in records] == [photos[0]["filename"]]


def test_output_folder_rules(tmp_path: Path) -> None:
    source = tmp_path / "backup"
    source.mkdir()
    assert service.check_output_folder(str(tmp_path / "new"), forbidden=[source]) == (tmp_path / "new").resolve()
    assert (tmp_path / "new").is_dir()
    with pytest.raises(ReclaimError, match="outside the backup"):
        service.check_output_folder(str(source / "a" / ".." / "b"), forbidden=[source])
    with pytest.raises(ReclaimError, match="parent folder does not exist"):
        service.check_output_folder(str(tmp_path / "no" / "such"), forbidden=[])
    link = tmp_path / "sneaky"
    link.symlink_to(source)
    with pytest.raises(ReclaimError, match="outside the backup"):
        service.check_output_folder(str(link), forbidden=[source])


def test_cursor_round_trip() -> None:
    assert service.decode_cursor(service.encode_cursor("2024-03-01T08:00:00Z", 7)) == ("2024-03-01T08:00:00Z", 7)
    assert service.decode_cursor(service.encode_cursor(None, 9)) == (None, 9)
    with pytest.raises(ReclaimError):
        service.decode_cursor("x:2024")


def test_reclaim_serve_prints_the_link_first_and_serves_it(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "reclaim.cli", "serve", "--no-browser", "--case", str(tmp_path / "case")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline().strip()  # type: ignore[union-attr]
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{40,})", first)
        assert match, first
        with httpx.Client(follow_redirects=True, timeout=10) as http:
            page = http.get(first)
            assert page.status_code == 200 and "csrf-token" in page.text
            assert http.get(f"http://127.0.0.1:{match.group(1)}/api/state").json()["case"] is False
    finally:
        process.terminate()
        process.wait(10)
