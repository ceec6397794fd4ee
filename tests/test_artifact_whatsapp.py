"""WhatsApp: every row iLEAPP reports for a real iOS 15 image; the sample's chats, media, calls, deleted row."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import Artifact, KindStatus
from reclaim.artifacts.whatsapp import (
    WhatsAppArtifact,
    WhatsAppCallsArtifact,
    WhatsAppContactsArtifact,
    poll_from_receipt,
    quote_from_metadata,
    reactions_from_receipt,
)
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.media.audio import wav_seconds
from reclaim.sample.content import whatsapp as sample
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS

CASES = "ileapp/cases/whatsApp"
RESULTS = "ileapp/results/whatsApp"


def scan(fs: VirtualFS, artifact: type[Artifact], case: Path,
         options: ScanOptions | None = None) -> tuple[list[dict[str, Any]], CaseReader]:
    writer = CaseWriter(case)
    status = KindStatus(artifact.kind, artifact.title)
    _run_artifact(artifact(), ScanContext(fs, writer.media, options, kind=artifact.kind), writer, status)
    writer.set_status(status, artifact.view, artifact.formats)
    writer.close()
    reader = CaseReader(case)
    return list(reader.records(artifact.kind, order="rid")), reader


def ileapp(corpus: Path, name: str) -> list[list[Any]]:
    path = next((corpus / RESULTS).glob(f"whatsApp.{name}.josh_ios15_ffs.*.json"))
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def unix(iso: str | None) -> int | None:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) if iso else None


# --------------------------------------------------------------------------------------------
# Real data: Josh Hickman's iOS 15 image, against iLEAPP's recorded output


def test_corpus_messages_match_ileapp_row_for_row(corpus: Path, tmp_path: Path) -> None:
    zips = corpus / CASES
    with open_source(zips / "testdata.whatsApp.whatsAppMessages.josh_ios15_ffs.zip") as fs:
        records, case = scan(fs, WhatsAppArtifact, tmp_path / "case")

    def ours(r: dict[str, Any]) -> tuple[Any, ...]:
        outgoing = r["direction"] == "outgoing"
        media = next((a["name"] for a in r["attachments"] if a["role"] != "thumbnail"), "")
        thumb = next((a["name"] for a in r["attachments"] if a["role"] == "thumbnail"), "")
        extra = (r["card"] or {}).get("extra", {}) if (r["card"] or {}).get("type") == "location" else {}
        text = None if r["direction"] == "system" or not r["text"] else r["text"]
        return (unix(r["date"]), "Local User" if outgoing else r["chat"], r["sender_id"] or None,
                r["chat_id"] if outgoing else None, text, media, thumb, extra.get("latitude", ""),
                extra.get("longitude", ""))

    def theirs(row: list[Any]) -> tuple[Any, ...]:
        ts, sender, from_id, _receiver, to_id, text, attach, thumb, *_rest, lat, lon = row
        outgoing = sender == "Local User"
        return (ts, sender, from_id, to_id if outgoing else None, text, attach.removeprefix("mock_hash_for_"),
                thumb.removeprefix("mock_hash_for_"), lat, lon)

    expected = ileapp(corpus, "whatsAppMessages")
    assert len(expected) == 32 and len(records) == 32
    assert Counter(ours(r) for r in records) == Counter(theirs(row) for row in expected)
    # The values a person reads, spelled out once.
    by_text = {r["text"]: r for r in records}
    pic = by_text["Accurate.  Alright, I’ll send you one now."]
    assert (pic["sender"], pic["chat"], pic["date"]) == ("This Is DFIR Two", "This Is DFIR Two", "2023-05-02T16:07:47Z")
    reply = by_text["I do generate quite a bit. I need to up my storage. A lot."]
    assert reply["sender"] == "Me" and reply["quote"]["text"] == "Makes sense with all the test data you generate."
    assert reply["quote"]["sender"] == "This Is DFIR Two"
    image = next(r for r in records if r["message_type"] == 1 and r["direction"] == "outgoing")
    assert image["attachments"][0]["name"] == "d041d159-fd7d-4abb-9192-0e97c10ddb00.jpg"
    assert image["attachments"][0]["missing"] is True  # the zip holds the database, not the media
    assert len({r["chat_id"] for r in records}) == 5
    assert case.count("whatsapp", deleted=True) == 0
    # The one reaction of the image (ZRECEIPTINFO field 7 → 2): the owner's 👍 on an incoming message.
    reacted = [r for r in records if r["reactions"]]
    assert [(r["text"], r["reactions"]) for r in reacted] == [("Makes sense with all the test data you generate.", [
        {"sender": "Me", "sender_id": "", "reaction": "👍", "name": "", "date": "2023-05-02T16:00:29.311000Z"}])]
    assert not any(r["status"] or r["edits"] or r["forwarded"] or r["view_once"] for r in records)
    case.close()


def test_corpus_contacts_match_ileapp(corpus: Path, tmp_path: Path) -> None:
    with open_source(corpus / CASES / "testdata.whatsApp.whatsAppContacts.josh_ios15_ffs.zip") as fs:
        records, case = scan(fs, WhatsAppContactsArtifact, tmp_path / "case")
    case.close()
    ours = [(r["name"], r["about"] or None, unix(r["about_date"]), r["phone"] or None, r["phone_label"],
             r["whatsapp_id"] or None, r["identifier"]) for r in records]
    assert ours == [tuple(row) for row in ileapp(corpus, "whatsAppContacts")]
    assert ours[4][:2] == ("This Is DFIR Two", "Hey there! I am using WhatsApp.")


def test_corpus_calls_match_ileapp(corpus: Path, tmp_path: Path) -> None:
    with open_source(corpus / CASES / "testdata.whatsApp.whatsAppCallHistory.josh_ios15_ffs.zip") as fs:
        records, case = scan(fs, WhatsAppCallsArtifact, tmp_path / "case")
    case.close()

    def hms(seconds: float) -> str:
        s = int(seconds)
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"

    ours = [[unix(r["date"]), unix(r["end"]), hms(r["duration"]), r["direction"].title(), r["outcome"].title(),
             r["contact_id"], r["contact"], r["phone"]] for r in records]
    assert ours == ileapp(corpus, "whatsAppCallHistory")
    assert [r["video"] for r in records] == [False, False, True, True]


# --------------------------------------------------------------------------------------------
# The sample (generated with WhatsApp's real schema)


@pytest.fixture(scope="module")
def sample_files() -> list[SampleFile]:
    return list(sample.files(SampleContext()))


@pytest.fixture(scope="module")
def sample_case(sample_files: list[SampleFile],
                tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, list[dict[str, Any]]]]:
    files = sample_files
    data = {f.path: f.data for f in files if isinstance(f.data, bytes)}
    fs = MemoryFS(files)
    out: dict[str, list[dict[str, Any]]] = {}
    for artifact in (WhatsAppArtifact, WhatsAppCallsArtifact, WhatsAppContactsArtifact):
        records, case = scan(fs, artifact, tmp_path_factory.mktemp(artifact.kind))
        for record in records:
            for ref in record.get("attachments", []):
                path = case.media_path(ref["sha256"]) if ref["sha256"] else None
                ref["_bytes"] = path.read_bytes() if path else None
                wav = case.media_path(ref["preview"]) if ref["preview"] else None
                ref["_seconds"] = round(wav_seconds(wav.read_bytes()), 1) if wav else None
        out[artifact.kind] = records
        case.close()
    return data, out


def test_sample_chats_senders_and_dates(sample_case) -> None:
    _, out = sample_case
    messages = out["whatsapp"]
    assert len(messages) == 127
    assert {m["chat"] for m in messages} == {"Sam Taylor", "Mum", "Priya Shah", "Weekend Hikers", "Ben Carter",
                                             "Smile Dental Clinic"}
    first = next(m for m in messages if m["text"] == "Hey! Are we still on for Saturday?")
    assert (first["sender"], first["sender_id"], first["direction"]) == ("Sam Taylor", sample.SAM.jid, "incoming")
    assert first["date"] == "2024-03-23T17:33:00Z"
    group = [m for m in messages if m["chat"] == "Weekend Hikers"]
    assert {m["sender"] for m in group if m["direction"] == "incoming"} == {
        "Sam Taylor", "Jordan Lee", "Priya Shah", "Chris ⛰"}  # Chris is known only by the name he chose
    assert group[0]["direction"] == "system" and group[0]["text"] == "You created the group"
    mine = next(m for m in messages if m["text"] == "I'll drive, 4 seats")
    assert (mine["sender"], mine["direction"], mine["chat_id"]) == ("Me", "outgoing", sample.GROUP_JID)


def test_sample_media_are_stored_byte_for_byte(sample_case) -> None:
    data, out = sample_case
    messages = out["whatsapp"]
    photo = next(m for m in messages if m["text"] == "View from last time")
    ref = photo["attachments"][0]
    source = data[ref["origin"].split("/", 1)[1]]
    assert ref["sha256"] == hashlib.sha256(source).hexdigest() and ref["_bytes"] == source
    assert ref["mime"] == "image/jpeg" and ref["missing"] is False
    voice = [m for m in messages if m["message_type"] == 3]
    assert len(voice) == 3 and all(m["attachments"][0]["_bytes"][:4] == b"OggS" for m in voice)
    assert [(m["attachments"][0]["preview_mime"], m["attachments"][0]["_seconds"]) for m in voice] == [
        ("audio/wav", 6.0), ("audio/wav", 4.0), ("audio/wav", 9.0)]  # a WAV copy of each Ogg Opus note
    doc = next(m for m in messages if (m["card"] or {}).get("title") == "Q2 plan.pdf")
    assert doc["attachments"][0]["mime"] == "application/pdf" and doc["attachments"][0]["_bytes"][:5] == b"%PDF-"
    # The cake photo was cleared from the phone: listed as missing, its thumbnail kept.
    cake = next(m for m in messages if m["chat"] == "Mum" and m["message_type"] == 1 and not m["text"])
    assert [(a["role"], a["missing"]) for a in cake["attachments"]] == [("image", True), ("thumbnail", False)]


def test_sample_cards_quotes_and_links(sample_case) -> None:
    _, out = sample_case
    messages = out["whatsapp"]
    place = next(m for m in messages if (m["card"] or {}).get("title") == "Scafell Pike car park")
    assert place["card"]["type"] == "location"
    assert (place["card"]["extra"]["latitude"], place["card"]["extra"]["longitude"]) == (54.4541, -3.2116)
    cards = [m["card"] for m in messages if (m["card"] or {}).get("type") == "contact"]
    assert cards[0]["title"] == "Ben Carter" and "+44 7700 900890" in cards[0]["extra"]["vcard"]
    # Two contacts shared in one message: WhatsApp's separators split, the list's own title dropped.
    assert cards[1]["title"] == "Sam Taylor, Priya Shah" and len(cards[1]["extra"]["vcards"]) == 2
    assert "FN:Priya Shah" in cards[1]["extra"]["vcards"][1] and "_$!<" not in cards[1]["extra"]["vcard"]
    link = next(m for m in messages if (m["card"] or {}).get("type") == "link")
    assert link["card"]["url"] == "https://bit.ly/3xYz" and "https://bit.ly/3xYz" in link["text"]
    reply = next(m for m in messages if m["text"] == "Haha never again")
    assert reply["quote"]["text"] == "Don't forget the sandwiches this time 😅" and reply["quote"]["sender"] == "Me"


def test_sample_deleted_message_is_recovered(sample_case) -> None:
    _, out = sample_case
    deleted = [m for m in out["whatsapp"] if m["deleted"]]
    assert [m["text"] for m in deleted] == [sample.DELETED_TEXT]
    gone = deleted[0]
    assert (gone["chat"], gone["sender"], gone["date"]) == ("Sam Taylor", "Sam Taylor", "2024-03-24T05:45:00Z")
    assert gone["provenance"]["area"] in ("freeblock", "unallocated")  # the page's free space


def test_sample_calls_and_contacts(sample_case) -> None:
    _, out = sample_case
    calls = out["whatsapp-calls"]
    assert [(c["contact"], c["direction"], c["outcome"], c["video"]) for c in calls] == [
        ("Sam Taylor", "outgoing", "ended", False),
        ("Mum", "incoming", "ended", False),
        ("Mum", "incoming", "missed", True),
        ("Ben Carter", "outgoing", "ended", True),
        ("Priya Shah", "incoming", "rejected", False),
    ]
    assert calls[1]["duration"] == 1260.0 and calls[1]["date"] == "2024-04-10T09:30:00Z"
    assert calls[1]["end"] == "2024-04-10T09:51:00Z" and calls[1]["phone"] == "+44 7700 900789"
    contacts = {c["name"]: c for c in out["whatsapp-contacts"]}
    assert contacts["Sam Taylor"]["about"] == "Out hiking 🏔️" and contacts["Mum"]["phone_label"] == "Home"
    assert contacts["Grandpa Joe"]["whatsapp_id"] == ""


def test_sample_profile_pictures(sample_case, sample_files: list[SampleFile]) -> None:
    """Each contact's newest cached profile picture (``Media/Profile/<number>-<time>``): the full one before its small
    copy of the same time; the small copy when that is all there is; none for the others."""
    _, out = sample_case
    by_path = {f.path: f.data for f in sample_files}
    photos = {c["name"]: c["photo"] for c in out["whatsapp-contacts"]}
    newest = by_path[f"Media/Profile/{sample.PRIYA.number}-1710000000.jpg"]
    small = by_path[f"Media/Profile/{sample.JORDAN.number}-1705000000.thumb"]
    assert photos["Priya Shah"]["sha256"] == hashlib.sha256(newest).hexdigest()
    assert (photos["Jordan Lee"]["sha256"], photos["Jordan Lee"]["mime"], photos["Jordan Lee"]["role"]) == (
        hashlib.sha256(small).hexdigest(), "image/jpeg", "thumbnail")
    assert photos["Sam Taylor"] is None and photos["Grandpa Joe"] is None


def test_a_damaged_newest_profile_picture_gives_way_to_the_one_before(sample_files: list[SampleFile],
                                                                     tmp_path: Path) -> None:
    newest = f"Media/Profile/{sample.PRIYA.number}-1710000000"
    files = [SampleFile(f.domain, f.path, b"\0" * 500) if f.path.startswith(newest) else f for f in sample_files]
    records, case = scan(MemoryFS(files), WhatsAppContactsArtifact, tmp_path / "case")
    case.close()
    older = next(f.data for f in sample_files if f.path == f"Media/Profile/{sample.PRIYA.number}-1700000000.jpg")
    photo = next(r["photo"] for r in records if r["name"] == "Priya Shah")
    assert photo["sha256"] == hashlib.sha256(older).hexdigest()


def test_sample_backup_through_open_source(sample_backup: Path, tmp_path: Path) -> None:
    with open_source(sample_backup) as fs:
        records, case = scan(fs, WhatsAppArtifact, tmp_path / "case")
    assert len(records) == 127 and case.count("whatsapp", deleted=True) == 1
    assert {r["chat"] for r in case.chats("whatsapp")} >= {"Weekend Hikers", "Mum"}
    # A poll option and an edit's first text are found by searching.
    assert [r["text"] for r in case.search("Skiddaw", kinds=["whatsapp"])] == [sample.POLL_QUESTION]
    assert [r["text"] for r in case.search("Leaving at 7", kinds=["whatsapp"])] == [sample.EDITED_TO]
    case.close()


def test_quote_metadata_decoder() -> None:
    blob = sample._quote_metadata("3AABC", "447700900456@s.whatsapp.net", "Hello")
    assert quote_from_metadata(blob) == {"stanza_id": "3AABC", "sender_id": "447700900456@s.whatsapp.net",
                                         "text": "Hello"}
    assert quote_from_metadata(b"\xff\xff") is None and quote_from_metadata(None) is None


def test_messages_without_contacts_database(sample_files: list[SampleFile], tmp_path: Path) -> None:
    """Only ChatStorage.sqlite (no ContactsV2): 1:1 chats are still named from the chat session."""
    files = [f for f in sample_files if f.path != "ContactsV2.sqlite"]
    records, case = scan(MemoryFS(files), WhatsAppArtifact, tmp_path / "case", ScanOptions(recover_deleted=False))
    case.close()
    assert next(r for r in records if r["text"] == "Always do")["chat"] == "Mum"
    assert datetime.fromisoformat(records[0]["date"].replace("Z", "+00:00")).tzinfo == UTC


def test_sample_reactions_sit_on_their_message(sample_case) -> None:
    _, out = sample_case
    by_text = {m["text"]: m for m in out["whatsapp"]}
    welcome = by_text["Welcome everyone! Saturday plan: Scafell Pike"]
    # Chris reacted 😮 then took it back (an empty emoji): only Jordan's and Priya's remain.
    assert [(r["sender"], r["reaction"], r["date"]) for r in welcome["reactions"]] == [
        ("Jordan Lee", "👍", "2024-03-29T05:35:00Z"), ("Priya Shah", "👍", "2024-03-29T05:36:00Z")]
    assert welcome["reactions"][0]["sender_id"] == sample.JORDAN.jid
    summit = by_text["We made it! 🏔️"]  # the owner changed 😂 to 🔥: the latest one counts
    assert [(r["sender"], r["reaction"]) for r in summit["reactions"]] == [("Sam Taylor", "❤️"), ("Me", "🔥")]
    mine = by_text["Perfect. I'll bring the map"]
    assert [(r["sender"], r["sender_id"], r["reaction"]) for r in mine["reactions"]] == [("Me", "", "❤️")]
    assert sum(bool(m["reactions"]) for m in out["whatsapp"]) == 3


def test_sample_poll_edit_deleted_for_everyone_view_once(sample_case) -> None:
    _, out = sample_case
    messages = out["whatsapp"]
    poll = next(m for m in messages if m["message_type"] == 46)
    assert (poll["sender"], poll["text"], poll["card"]["type"]) == ("Sam Taylor", "Where next month?", "poll")
    assert poll["card"]["extra"]["options"] == ["Helvellyn", "Skiddaw", "Snowdon"]
    assert poll["card"]["description"] == "Helvellyn · Skiddaw · Snowdon"
    edited = next(m for m in messages if m["text"] == sample.EDITED_TO)
    assert (edited["status"], edited["sender"]) == ("edited", "Me")
    # the first text, from free space (an intact older copy of the row, with its rowid)
    assert edited["edits"] == [{"text": "Leaving at 7", "area": "unallocated"}]
    assert not any(m["text"] == "Leaving at 7" for m in messages)  # not a deleted message of its own
    revoked = next(m for m in messages if m["message_type"] == 14)
    assert (revoked["status"], revoked["sender"], revoked["text"], revoked["deleted"]) == (
        "deleted for everyone", "Sam Taylor", "", False)
    once = next(m for m in messages if m["view_once"])
    assert (once["chat"], once["status"], once["message_type"]) == ("Ben Carter", "view once", 38)
    assert [(a["role"], a["missing"]) for a in once["attachments"]] == [("image", True)]  # gone once opened
    assert [m["text"] for m in messages if m["forwarded"]] == ["Check out this route"]
    assert sum(m["status"] == "edited" for m in messages) == 1


def test_sample_edit_history_needs_recovery(sample_files: list[SampleFile], tmp_path: Path) -> None:
    """Without recovery of deleted data the edit's first text is unknown: no edit is claimed."""
    records, case = scan(MemoryFS(sample_files), WhatsAppArtifact, tmp_path / "case",
                         ScanOptions(recover_deleted=False))
    case.close()
    edited = next(r for r in records if r["text"] == sample.EDITED_TO)
    assert (edited["status"], edited["edits"]) == ("", [])
    assert next(r for r in records if r["message_type"] == 14)["status"] == "deleted for everyone"


def test_receipt_info_decoders() -> None:
    def pb(number: int, value: int | bytes | str) -> bytes:
        return sample._pb(number, value)

    blob = pb(4, 2) + pb(7, pb(1, pb(1, "K1") + pb(2, "1@s.whatsapp.net") + pb(3, "🙏") + pb(4, 1714000000000))
                       + pb(1, pb(1, "K2") + pb(2, "2@s.whatsapp.net") + pb(3, "") + pb(4, 1714000000000))
                       + pb(2, pb(1, "K3") + pb(2, "😂") + pb(3, 1714000001000)))
    found = reactions_from_receipt(blob)
    assert [(r["sender_id"], r["reaction"], r["mine"], r["date"].isoformat()) for r in found] == [
        ("1@s.whatsapp.net", "🙏", False, "2024-04-24T23:06:40+00:00"), ("", "😂", True, "2024-04-24T23:06:41+00:00")]
    assert poll_from_receipt(blob) is None
    poll = pb(8, pb(2, "Pizza?") + pb(3, pb(1, "Yes")) + pb(3, pb(1, "No")))
    assert poll_from_receipt(poll) == {"question": "Pizza?", "options": ["Yes", "No"]}
    assert reactions_from_receipt(b"\xff\xff") == [] and poll_from_receipt(b"\x42\x05ab") is None
    assert reactions_from_receipt(None) == [] and reactions_from_receipt(b"") == []


def test_edit_only_in_the_wal(sample_files: list[SampleFile], tmp_path: Path) -> None:
    """A message edited after the last checkpoint: its first text exists only as the row's older
    version (the main file's page, superseded by a WAL frame), not as a deleted row."""
    import shutil
    import sqlite3

    chat = next(f for f in sample_files if f.path == "ChatStorage.sqlite")
    src = tmp_path / "src.sqlite"
    src.write_bytes(bytes(chat.data))  # type: ignore[arg-type]
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA secure_delete=0")
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA wal_autocheckpoint=0")
    pk, stanza = con.execute("SELECT Z_PK, ZSTANZAID FROM ZWAMESSAGE WHERE ZTEXT='Always do'").fetchone()
    con.execute("UPDATE ZWAMESSAGE SET ZTEXT='Always do, see you on Sunday' WHERE Z_PK=?", (pk,))
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{src}{suffix}", tmp_path / f"ChatStorage.sqlite{suffix}")
    con.close()
    assert b"see you on Sunday" not in (tmp_path / "ChatStorage.sqlite").read_bytes()  # the edit is WAL-only
    files = [f for f in sample_files if f.path != "ChatStorage.sqlite"] + [
        SampleFile(chat.domain, "ChatStorage.sqlite", (tmp_path / "ChatStorage.sqlite").read_bytes()),
        SampleFile(chat.domain, "ChatStorage.sqlite-wal", (tmp_path / "ChatStorage.sqlite-wal").read_bytes()),
    ]
    records, case = scan(MemoryFS(files), WhatsAppArtifact, tmp_path / "case")
    case.close()
    edited = next(r for r in records if r["text"] == "Always do, see you on Sunday")
    assert (edited["status"], edited["chat"], edited["deleted"]) == ("edited", "Mum", False)
    assert edited["edits"] == [{"text": "Always do", "area": "wal"}]
    assert not any(r["text"] == "Always do" for r in records)  # the old text is no deleted message
    assert stanza and sum(r["status"] == "edited" for r in records) == 2  # with the sample's own edit
