"""The page's "Links & QR codes" section: the check runs once per case, most serious first, indicator files."""

from __future__ import annotations

import io
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from test_web_support import BASE, T0, Msg, client_for, post_headers

from reclaim.artifacts.base import KindStatus, MediaRef
from reclaim.case.store import CaseWriter
from reclaim.web.session import WebSession

PAY = "http://weixin-pay.example.top/redpacket?id=1"
INVITE = "https://weixin.qq.com/g/AbCdEfGh1234"
BAD = "https://bad-updates.example/install"
STIX = {
    "type": "bundle", "id": "bundle--1", "objects": [
        {"type": "malware", "id": "malware--1", "name": "Pegasus", "is_family": True},
        {"type": "indicator", "id": "indicator--1", "pattern_type": "stix", "name": "NSO domain",
         "pattern": "[domain-name:value = 'bad-updates.example']"},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
         "source_ref": "indicator--1", "target_ref": "malware--1"},
    ]}


def qr_jpeg(text: str) -> bytes:
    """A QR code from a real encoder, saved as a JPEG as a phone would."""
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=6, border=4)
    out = io.BytesIO()
    Image.open(io.BytesIO(png.getvalue())).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def links_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A chat case with a fake red-packet page, a shortened link, an ordinary one, one later listed as
    spyware, and a recovered picture holding a WeChat group invite QR code."""
    folder = tmp_path_factory.mktemp("links") / "case"
    writer = CaseWriter(folder)
    sha, size = writer.media.add_bytes(qr_jpeg(INVITE), "IMG_7.jpg", "image/jpeg")
    chat = {"chat_id": "family@chatroom", "chat": "家人群", "direction": "incoming"}
    writer.add(Msg(id="webchat:1", date=T0, sender="二姨", text=f"抢红包 {PAY}", **chat))
    writer.add(Msg(id="webchat:2", date=T0 + timedelta(hours=1), sender="Mum", deleted=True,
                   attachments=[MediaRef(name="IMG_7.jpg", sha256=sha, size=size, mime="image/jpeg")], **chat))
    writer.add(Msg(id="webchat:3", date=T0 + timedelta(hours=2), sender="Dad", text=f"update your phone: {BAD}",
                   **chat))
    writer.add(Msg(id="webchat:4", date=T0 + timedelta(hours=3), sender="Dad", text="https://www.bbc.co.uk/news",
                   **chat))
    writer.add(Msg(id="webchat:5", date=T0 + timedelta(hours=4), chat_id="sam", chat="Sam", sender="Sam",
                   direction="incoming", text="look https://bit.ly/3xYz"))
    writer.set_status(KindStatus("webchat", "Test chats", live=4, deleted=1), "chat", ())
    writer.close()
    return folder, sha


@pytest.fixture()
def session(links_case: tuple[Path, str], tmp_path: Path) -> WebSession:
    session = WebSession(case_dir=links_case[0], work_dir=tmp_path / "work")
    yield session
    session.close()


def finished(client: Any, session: WebSession, **params: Any) -> dict[str, Any]:
    """``GET /api/links`` once the background check has finished."""
    first = client.get("/api/links", params=params).json()
    session.links.thread.join(60)
    return client.get("/api/links", params=params).json() if first["state"] == "running" else first


def by_url(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["url"]: item for item in data["items"]}


def test_links_are_listed_most_serious_first_with_where_who_and_why(session: WebSession,
                                                                     links_case: tuple[Path, str]) -> None:
    client = client_for(session)
    data = finished(client, session)
    assert data["state"] == "done" and data["images_checked"] == 1
    assert data["counts"] == {"links": 4, "codes": 1, "match": 0, "danger": 1, "caution": 1}
    assert [i["url"] for i in data["items"]] == [PAY, "https://bit.ly/3xYz", "https://www.bbc.co.uk/news", BAD, INVITE]
    items = by_url(data)
    pay = items[PAY]
    assert (pay["severity"], pay["chat"], pay["sender"], pay["date"], pay["found_in"], pay["case_kind"]) == (
        "danger", "家人群", "二姨", "2024-03-01T08:00:00Z", "text", "webchat")
    assert [w["code"] for w in pay["warnings"]] == ["payment-page"]
    assert "payment or red-packet page" in pay["warnings"][0]["message"]
    record = client.get(f"/api/records/{pay['rid']}").json()  # the row opens the message itself
    assert record["id"] == "webchat:1" and record["_kind"] == "webchat"
    code = items[INVITE]
    assert (code["found_in"], code["payload"], code["qr_format"], code["sender"], code["deleted"]) == (
        "qr", "WeChat group invite code", "QRCode", "Mum", True)
    assert code["image_ref"]["sha256"] == links_case[1] and code["image_ref"]["name"] == "IMG_7.jpg"
    thumb = client.get(f"/api/thumb/{code['image_ref']['sha256']}")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert [w["code"] for w in items["https://bit.ly/3xYz"]["warnings"]] == ["shortener"]


def test_only_dangerous_and_paging(session: WebSession) -> None:
    client = client_for(session)
    dangerous = finished(client, session, only="dangerous")
    assert [i["url"] for i in dangerous["items"]] == [PAY] and dangerous["matching"] == 1
    first = client.get("/api/links", params={"limit": 2}).json()
    second = client.get("/api/links", params={"limit": 2, "offset": first["next"]}).json()
    third = client.get("/api/links", params={"limit": 2, "offset": second["next"]}).json()
    urls = [i["url"] for page in (first, second, third) for i in page["items"]]
    assert urls == [PAY, "https://bit.ly/3xYz", "https://www.bbc.co.uk/news", BAD, INVITE]
    assert (first["next"], second["next"], third["next"], third["matching"]) == (2, 4, None, 5)
    assert client.get("/api/links", params={"only": "everything"}).status_code == 422


def test_the_check_runs_once_per_case(session: WebSession) -> None:
    client = client_for(session)
    finished(client, session)
    job = session.links
    client.get("/api/links")
    assert session.links is job  # the same result, not a second analysis
    session.case_changed()  # a new scan replaced the case
    finished(client, session)
    assert session.links is not job and session.links.state == "done"


def test_an_indicator_file_flags_known_spyware_without_checking_pictures_again(
        session: WebSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(session)
    assert by_url(finished(client, session))[BAD]["severity"] == "ok"
    stix = tmp_path / "pegasus.stix2"
    stix.write_text(json.dumps(STIX))

    def no_decoding(*_: Any) -> Any:
        raise AssertionError("the pictures were decoded again")

    monkeypatch.setattr("reclaim.links.analyse._decode_all", no_decoding)
    added = client.post("/api/links/indicators", json={"path": str(stix)}, headers=post_headers(session))
    assert added.status_code == 200, added.text
    assert added.json()["indicator_files"] == [{"path": str(stix.resolve()), "name": "pegasus.stix2", "count": 1}]
    data = client.get("/api/links").json()
    assert data["items"][0]["url"] == BAD and data["counts"]["match"] == 1
    assert data["items"][0]["matches"] == [{"indicator": "bad-updates.example", "type": "domain", "name": "Pegasus",
                                            "source": "pegasus.stix2", "how": "exact domain"}]
    assert [i["url"] for i in client.get("/api/links", params={"only": "dangerous"}).json()["items"]] == [BAD, PAY]
    removed = client.post("/api/links/indicators", json={"remove": str(stix.resolve())}, headers=post_headers(session))
    assert removed.json()["indicator_files"] == []
    assert by_url(client.get("/api/links").json())[BAD]["severity"] == "ok"


def test_plain_list_added_before_the_check_finishes_is_applied(session: WebSession, tmp_path: Path) -> None:
    listed = tmp_path / "scam-domains.txt"
    listed.write_text("# scam domains\nweixin-pay.example.top\n")
    client = client_for(session)
    response = client.post("/api/links/indicators", json={"path": str(listed)}, headers=post_headers(session))
    assert response.status_code == 200, response.text
    data = finished(client, session)
    assert data["items"][0]["url"] == PAY and data["items"][0]["severity"] == "match"
    assert data["items"][0]["matches"][0]["name"] == "scam-domains"


@pytest.mark.parametrize("what", ["relative", "missing", "folder", "empty list", "stix without indicators",
                                  "broken json"])
def test_unusable_indicator_files_are_refused_with_a_reason(session: WebSession, tmp_path: Path, what: str) -> None:
    (tmp_path / "empty.txt").write_text("# nothing here\n")
    (tmp_path / "none.json").write_text(json.dumps({"type": "bundle", "objects": []}))
    (tmp_path / "broken.json").write_text("{not json")
    path = {"relative": "iocs.txt", "missing": str(tmp_path / "nope.txt"), "folder": str(tmp_path),
            "empty list": str(tmp_path / "empty.txt"), "stix without indicators": str(tmp_path / "none.json"),
            "broken json": str(tmp_path / "broken.json")}[what]
    response = client_for(session).post("/api/links/indicators", json={"path": path}, headers=post_headers(session))
    assert response.status_code == 400 and response.json()["error"]
    assert session.indicator_files == []


@pytest.mark.parametrize("headers", [{}, {"origin": "http://evil.example", "x-reclaim-csrf": "x"},
                                     {"origin": BASE}, {"origin": BASE, "x-reclaim-csrf": "wrong"}])
def test_adding_indicators_needs_same_origin_and_csrf(session: WebSession, tmp_path: Path,
                                                      headers: dict[str, str]) -> None:
    stix = tmp_path / "p.stix2"
    stix.write_text(json.dumps(STIX))
    response = client_for(session).post("/api/links/indicators", json={"path": str(stix)}, headers=headers)
    assert response.status_code == 403 and session.indicator_files == []


def test_links_need_the_session_cookie(session: WebSession) -> None:
    assert client_for(session, authed=False).get("/api/links").status_code == 403
    assert session.links is None  # nothing was started for a stranger


def test_the_check_opens_no_network_connection(session: WebSession, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def refuse(*args: Any, **_: Any) -> None:
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    data = finished(client_for(session), session)
    assert data["state"] == "done" and len(data["items"]) == 5
    assert attempts == []
