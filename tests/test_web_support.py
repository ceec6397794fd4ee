"""Shared pieces of the web tests: a small case with every view, and an app client that passes the rules.

(No tests here: the module is imported by the other ``test_web_*`` modules.)
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reclaim.artifacts.base import KindStatus, MediaRef, Provenance, Record
from reclaim.case.store import CaseWriter

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@dataclass(kw_only=True)
class Msg(Record):
    KIND = "webchat"
    chat_id: str = ""
    chat: str = ""
    sender: str = ""
    sender_id: str = ""
    direction: str = "incoming"
    text: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    card: dict | None = None
    quote: dict | None = None
    status: str = ""
    service: str = "WeChat"


@dataclass(kw_only=True)
class Photo(Record):
    KIND = "webphotos"
    filename: str = ""
    media: MediaRef | None = None


@dataclass(kw_only=True)
class Person(Record):
    KIND = "webcontacts"
    name: str = ""
    phones: list[dict[str, str]] = field(default_factory=list)


@dataclass(kw_only=True)
class Note(Record):
    KIND = "webnotes"
    subject: str = ""
    text: str = ""
    html: str = ""


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def wav(seconds: float = 0.5) -> bytes:
    """A short silent WAV."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


def build_demo_case(folder: Path, *, messages: int = 130, warnings: tuple[str, ...] = (),
                    note_warnings: tuple[str, ...] = ()) -> dict[str, Any]:
    """A case with a chat kind (group + direct chat, media, card, quote, a recovered message),
    a gallery, contact cards and notes with HTML (its source damaged as ``warnings`` say, its notes read with
    ``note_warnings``). Returns what the tests check against."""
    writer = CaseWriter(folder)
    media = writer.media
    red_sha, _ = media.add_bytes(jpeg((200, 30, 30)), "red.jpg", "image/jpeg")
    blue_sha, _ = media.add_bytes(jpeg((30, 30, 200)), "blue.jpg", "image/jpeg")
    green_sha, _ = media.add_bytes(jpeg((30, 160, 60)), "green.jpg", "image/jpeg")
    voice_sha, _ = media.add_bytes(b"#!SILK_V3fake", "voice.silk", "audio/silk")
    voice_wav, _ = media.add_bytes(wav(), "voice.wav", "audio/wav")
    evil_sha, _ = media.add_bytes(b"<html><script>alert(1)</script></html>", "evil.jpg", "text/html")
    voice = MediaRef(name="voice.silk", sha256=voice_sha, size=13, mime="audio/silk", preview=voice_wav,
                     preview_mime="audio/wav", role="voice")
    photo = MediaRef(name="red.jpg", sha256=red_sha, size=1, mime="image/jpeg")
    evil = MediaRef(name="evil.jpg", sha256=evil_sha, size=1, mime="text/html")
    status = KindStatus("webchat", "Test chats")
    family = ["Mum", "Dad", "Me"]
    for i in range(messages):
        who = family[i % 3]
        writer.add(Msg(
            id=f"webchat:{i}", date=T0 + timedelta(minutes=37 * i), source="AppDomain/chat.db",
            chat_id="family@chatroom", chat="家人群", sender=who, sender_id=who.lower(),
            direction="outgoing" if who == "Me" else "incoming", text=f"message {i} from {who}",
        ))
        status.live += 1
    extra = [
        Msg(id="webchat:v", date=T0 + timedelta(days=10), chat_id="family@chatroom", chat="家人群", sender="Mum",
            direction="incoming", text="", attachments=[voice]),
        Msg(id="webchat:p", date=T0 + timedelta(days=10, minutes=1), chat_id="family@chatroom", chat="家人群",
            sender="Dad", direction="incoming", text="look", attachments=[photo, evil]),
        Msg(id="webchat:l", date=T0 + timedelta(days=10, minutes=2), chat_id="family@chatroom", chat="家人群",
            sender="Me", direction="outgoing", text="", quote={"sender": "Dad", "text": "look"},
            card={"type": "link", "title": "Train times", "description": "Timetable", "url": "https://example.org/t"}),
        Msg(id="webchat:d", date=T0 + timedelta(days=10, minutes=3), chat_id="bob", chat="Bob", sender="Bob",
            direction="incoming", text="the invoice is attached, delete after reading", deleted=True,
            provenance=Provenance(area="freeblock", page=12, offset=300, confidence=0.9)),
        Msg(id="webchat:n", date=None, chat_id="bob", chat="Bob", sender="Bob", direction="incoming",
            text="undated message"),
    ]
    for record in extra:
        writer.add(record)
        status.deleted += int(record.deleted)
        status.live += int(not record.deleted)
    writer.set_status(status, "chat", ())

    photos = KindStatus("webphotos", "Test photos")
    shots = [(red_sha, "IMG_0001.JPG"), (blue_sha, "IMG_0002.JPG"), (green_sha, "IMG_0003.JPG")]
    for i, (sha, name) in enumerate(shots):
        writer.add(Photo(id=f"webphotos:{i}", date=T0 + timedelta(days=i), filename=name,
                         media=MediaRef(name=name, sha256=sha, size=1, mime="image/jpeg"), deleted=i == 2))
        photos.live += int(i != 2)
        photos.deleted += int(i == 2)
    writer.set_status(photos, "gallery", ())

    people = KindStatus("webcontacts", "Test contacts")
    for i, name in enumerate(["Ada Lovelace", "Alan Turing"]):
        phones = [{"label": "mobile", "value": f"+44 7700 90000{i}"}]
        writer.add(Person(id=f"webcontacts:{i}", name=name, phones=phones))
        people.live += 1
    writer.set_status(people, "cards", ())

    notes = KindStatus("webnotes", "Test notes")
    writer.add(Note(id="webnotes:1", date=T0, subject="Invoice 42", text="invoice for the roof",
                    html="<h1>Invoice 42</h1><p>for the roof</p><script>window.parent.pwned=1</script>"))
    notes.live += 1
    notes.warnings = list(note_warnings)
    writer.set_status(notes, "table", ())
    empty = KindStatus("webempty", "Test empty", reason="not in this source (looked for X)")
    writer.set_status(empty, "table", ())
    writer.set_source(_info(list(warnings)), "Test iPhone", None)
    writer.close()
    return {"red": red_sha, "blue": blue_sha, "green": green_sha, "voice_wav": voice_wav, "evil": evil_sha}


def _info(warnings: list[str] | None = None) -> Any:
    from reclaim.vfs import SourceInfo

    return SourceInfo(kind="itunes-backup", device_name="Test iPhone", product_type="iPhone14,5",
                      product_version="17.4.1", warnings=warnings or [])


def client_for(session: Any, *, preset: str | None = None, authed: bool = True) -> Any:
    """A TestClient on the app with the loopback Host; with ``authed`` it carries the session cookie."""
    from fastapi.testclient import TestClient

    from reclaim.web.app import create_app
    from reclaim.web.security import cookie_name

    client = TestClient(create_app(session, port=PORT, preset=preset), base_url=BASE)
    if authed:
        client.cookies.set(cookie_name(PORT), session.token)
    return client


def post_headers(session: Any) -> dict[str, str]:
    """What the page's script sends with a state-changing request."""
    return {"origin": BASE, "x-reclaim-csrf": session.csrf}
