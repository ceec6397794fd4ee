"""Apple Notes: the real iOS 17 NoteStore (vs iLEAPP's recorded output) and the generated sample."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.notes import NotesArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import notes as sample_notes
from reclaim.sample.model import SampleContext
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS


def scan(fs: VirtualFS, folder: Path, **options: Any) -> tuple[KindStatus, CaseReader]:
    writer = CaseWriter(folder)
    status = KindStatus("notes", "Notes")
    ctx = ScanContext(fs, writer.media, ScanOptions(**{"recover_deleted": False, **options}), kind="notes")
    _run_artifact(NotesArtifact(), ctx, writer, status)
    writer.set_status(status, "cards", ("notes",))
    writer.close()
    return status, CaseReader(folder)


def _second(value: str | None) -> str | None:
    return value[:19].replace("T", " ") if value else None


# -- real data: Josh Hickman's iOS 17 image -------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_notes(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    fs = open_source(corpus / "ileapp/cases/notes/testdata.notes.notes.josh_ios17_ffs.zip")
    status, case = scan(fs, tmp_path_factory.mktemp("notes") / "case")
    with case:
        records = list(case.records("notes", order="rid"))
    assert (status.live, status.deleted, status.reason) == (12, 2, "")
    return records


def test_every_ileapp_note_is_found_with_equal_values(corpus: Path, corpus_notes: list[dict[str, Any]]) -> None:
    (result,) = (corpus / "ileapp/results/notes").glob("notes.notes.josh_ios17_ffs.*.json")
    expected = json.loads(result.read_text())
    h = {name: i for i, name in enumerate(expected["headers"])}
    ours = [
        (_second(n["created"]), n["title"] or None, n["folder"], n["account"], _second(n["modified"]),
         "Yes" if n["locked"] else "No", "Yes" if n["deleted"] else "No", n["text"] or "")
        for n in corpus_notes
    ]
    theirs = [
        (r[h["Creation Date"]], r[h["Note Title"]], r[h["Folder"]], r[h["Storage Place"]], r[h["Last Modified"]],
         r[h["Password Protected"]], r[h["Marked for Deletion"]], r[h["Note Contents"]])
        for r in expected["data"]
    ]
    assert len(theirs) == 14
    assert sorted(ours, key=str) == sorted(theirs, key=str)


def test_corpus_locked_notes_and_recently_deleted(corpus_notes: list[dict[str, Any]]) -> None:
    by_title = {n["title"]: n for n in corpus_notes}
    locked = by_title["iOS 17 Locked Note"]
    assert locked["locked"] is True and locked["unlocked"] is False and locked["text"] == ""
    assert locked["password_hint"] == "Who’s Password?"  # the account's hint: iOS 16+ notes use the account password
    # iOS 17 "Use iPhone Passcode": the key is in the keychain, so the record says no password can help
    assert "locked with the iPhone passcode" in locked["unlock_error"]
    assert "98E55AA7-FDBC-4B0F-9131-C56FFFB12992" in locked["unlock_error"]
    assert sum(n["locked"] for n in corpus_notes) == 6
    trash = [n for n in corpus_notes if n["folder"] == "Recently Deleted"]
    assert [n["title"] for n in trash] == ["New Note", ""]
    assert all(n["deleted"] and n["provenance"]["area"] == "app" for n in trash)
    first = by_title["My First Note"]
    assert first["created"] == "2020-03-28T00:36:48.768755Z"
    assert first["text"] == "My First Note\n\nThis is my first note.  Nothing special. \n"


def test_corpus_share_participants_match_ileapp(corpus: Path, corpus_notes: list[dict[str, Any]]) -> None:
    (result,) = (corpus / "ileapp/results/notes").glob("notes.notesParticipants.josh_ios17_ffs.*.json")
    expected = json.loads(result.read_text())
    h = {name: i for i, name in enumerate(expected["headers"])}
    theirs = {(r[h["Note Title"]], r[h["Participant Name"]], r[h["Email Address"]], r[h["Phone Number"]],
               r[h["Role"]].lower(), r[h["Permission"]].lower(), r[h["Acceptance Status"]].lower(),
               r[h["Participant ID"]], r[h["Share URL"]]) for r in expected["data"]}
    ours = {(n["title"], p["name"], p["email"], p["phone"], p["role"], p["permission"], p["status"], p["id"],
             n["share_url"]) for n in corpus_notes if n["share_url"] for p in n["participants"]}
    assert len(theirs) == 4 and ours == theirs


def test_corpus_locked_note_with_a_password_says_why_it_stays_locked(corpus: Path, tmp_path: Path) -> None:
    fs = open_source(corpus / "ileapp/cases/notes/testdata.notes.notes.josh_ios17_ffs.zip")
    _, case = scan(fs, tmp_path / "case", note_passwords=["guess"])
    with case:
        locked = [n for n in case.records("notes") if n["locked"]]
    assert len(locked) == 6 and not any(n["unlocked"] for n in locked)
    assert all("no note password can open it" in n["unlock_error"] for n in locked)


# -- the generated sample --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[KindStatus, dict[str, dict[str, Any]], Path]:
    folder = tmp_path_factory.mktemp("sample-notes") / "case"
    fs = MemoryFS(sample_notes.files(SampleContext()))
    status, case = scan(fs, folder, recover_deleted=True, note_passwords=["wrong one", sample_notes.PASSWORD])
    with case:
        records = {n["title"]: n for n in case.records("notes")}
    return status, records, folder


def test_sample_text_checklist_and_pinned(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    status, notes, _ = sample
    assert status.live == 16 and status.reason == ""
    shopping = notes["Shopping list"]
    assert shopping["pinned"] is True and shopping["folder"] == "Notes" and shopping["account"] == "iCloud"
    assert shopping["checklist"] == [
        {"text": "Milk", "done": True}, {"text": "Eggs", "done": False},
        {"text": "Sourdough bread", "done": True}, {"text": "Coffee beans", "done": False},
    ]
    invoice = notes["Invoice for Harper & Co"]
    assert invoice["folder"] == "Work"
    assert "Invoice INV-2024-031 sent on 28 April: £1,250" in invoice["text"]
    assert invoice["modified"] == "2024-04-28T09:30:00Z"
    assert "学而时习之，不亦说乎 — Confucius 📚" in notes["Quotes"]["text"]


def test_sample_html_markdown_links_and_table(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, notes, _ = sample
    trip = notes["Trip to New York"]
    assert trip["links"] == ["https://www.nycgo.com/"]
    assert '<a href="https://www.nycgo.com/">nycgo.com</a>' in trip["html"]
    assert "<li>Brunch at Jack&#x27;s Wife Freda</li>" in trip["html"]
    assert "- Walk the High Line" in trip["markdown"]
    budget = notes["Budget 2024"]
    assert budget["tables"] == [[["Item", "Budget", "Spent"], ["Rent", "1200", "1200"], ["Food", "400", "362.50"]]]
    assert "<td>362.50</td>" in budget["html"] and "| Food | 400 | 362.50 |" in budget["markdown"]
    assert notes["Useful links"]["links"] == ["https://www.nationalrail.co.uk/"]


def test_sample_image_attachment_is_stored(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, notes, folder = sample
    (photo,) = notes["Holiday photos"]["attachments"]
    expected = next(f.data for f in sample_notes.files(SampleContext()) if f.path.endswith("IMG_0420.jpeg"))
    assert photo["name"] == "IMG_0420.jpeg" and photo["mime"] == "image/jpeg" and not photo["missing"]
    assert photo["sha256"] == hashlib.sha256(expected).hexdigest()
    with CaseReader(folder) as case:
        assert case.media_path(photo["sha256"]).read_bytes() == expected
    assert f'data-sha256="{photo["sha256"]}"' in notes["Holiday photos"]["html"]


def test_sample_locked_note_opens_with_the_right_password(
        sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, notes, _ = sample
    wifi = notes["Wi-Fi and door codes"]
    assert wifi["locked"] is True and wifi["unlocked"] is True and wifi["unlock_error"] == ""
    assert wifi["password_hint"] == "usual one + notes"
    assert "Home Wi-Fi: BlueFox-5G / correct-horse-battery" in wifi["text"]


def test_sample_locked_note_with_a_wrong_password(tmp_path: Path) -> None:
    _, case = scan(MemoryFS(sample_notes.files(SampleContext())), tmp_path / "case", note_passwords=["letmein"])
    with case:
        locked = {n["title"]: n for n in case.records("notes") if n["locked"]}
    wifi, passport = locked["Wi-Fi and door codes"], locked["Passport and PINs"]
    assert (wifi["unlocked"], wifi["text"]) == (False, "")
    assert wifi["unlock_error"].startswith("wrong password")
    assert wifi["password_hint"] == "usual one + notes"
    assert (passport["unlocked"], passport["text"], passport["html"]) == (False, "", "")
    assert passport["unlock_error"].startswith("wrong password")
    assert passport["password_hint"] == "same as the old notes one"  # from the encryption object's metadata


def test_sample_locked_notes_without_a_password(tmp_path: Path) -> None:
    _, case = scan(MemoryFS(sample_notes.files(SampleContext())), tmp_path / "case")
    with case:
        locked = sorted(n["title"] for n in case.records("notes") if n["locked"] and not n["unlocked"])
        errors = {n["unlock_error"] for n in case.records("notes") if n["locked"]}
    assert locked == ["Passport and PINs", "Wi-Fi and door codes"]
    assert errors == {"locked: give the note password to read it"}


def test_sample_ios17_locked_note_opens_with_the_right_password(
        sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, notes, _ = sample
    passport = notes["Passport and PINs"]  # the iOS 17+ custom-password encryption object
    assert passport["locked"] is True and passport["unlocked"] is True and passport["unlock_error"] == ""
    assert passport["text"] == "Passport and PINs\nPassport 512 889 204, expires 03/2031\nDebit card PIN: 6021\n\n"
    assert passport["password_hint"] == "same as the old notes one"
    assert passport["folder"] == "Notes" and passport["modified"] == "2024-04-06T09:30:00Z"


def test_sample_deleted_notes(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    status, notes, _ = sample
    gift = notes["Gift ideas"]
    assert gift["deleted"] is True and gift["folder"] == "Recently Deleted" and gift["provenance"]["area"] == "app"
    draft = notes["Resignation draft"]  # erased from the database, carved from free space
    assert draft["deleted"] is True and draft["provenance"]["area"] == "freeblock"
    assert draft["text"] == "Resignation draft\nDear Sam, after five years I have decided to move on.\n"
    assert draft["folder"] == "Work" and draft["created"] == "2024-04-21T09:30:00Z"
    assert status.deleted == 2


def test_search_finds_the_invoice_note(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, _, folder = sample
    with CaseReader(folder) as case:
        assert [r["title"] for r in case.search("invoice")] == ["Invoice for Harper & Co"]


def test_dates_are_utc(sample: tuple[KindStatus, dict[str, dict[str, Any]], Path]) -> None:
    _, notes, _ = sample
    created = datetime.fromisoformat(notes["Shopping list"]["created"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["notes"],
                          options=ScanOptions(note_passwords=[sample_notes.PASSWORD]))
    (status,) = result.kinds
    assert (status.live, status.deleted, status.reason) == (16, 2, "")
    with CaseReader(tmp_path / "case") as case:
        wifi, passport = sorted((n for n in case.records("notes") if n["locked"]), key=lambda n: n["title"])[::-1]
        assert wifi["unlocked"] is True and "correct-horse-battery" in wifi["text"]
        assert passport["unlocked"] is True and "Debit card PIN: 6021" in passport["text"]
        assert [r["title"] for r in case.search("invoice")] == ["Invoice for Harper & Co"]


def test_legacy_notes_sqlite(tmp_path: Path) -> None:
    import sqlite3

    from reclaim.sample.model import SampleFile

    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE ZACCOUNT (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR);
        CREATE TABLE ZSTORE (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR, ZACCOUNT INTEGER);
        CREATE TABLE ZNOTE (Z_PK INTEGER PRIMARY KEY, ZCREATIONDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP,
            ZTITLE VARCHAR, ZSUMMARY VARCHAR, ZSTORE INTEGER, ZBODY INTEGER, ZDELETEDFLAG INTEGER, ZGUID VARCHAR);
        CREATE TABLE ZNOTEBODY (Z_PK INTEGER PRIMARY KEY, ZOWNER INTEGER, ZCONTENT VARCHAR);
        INSERT INTO ZACCOUNT VALUES (1, 'On My iPhone');
        INSERT INTO ZSTORE VALUES (1, 'Notes', 1);
        INSERT INTO ZNOTE VALUES (1, 400000000, 400000600, 'Packing list', 'Passport', 1, 1, 0, 'G-1');
        INSERT INTO ZNOTEBODY VALUES (1, 1, 'Packing list<div>Passport &amp; tickets</div><div><br></div>'
            || '<div>Charger <script>alert(1)</script></div>');
    """)
    conn.close()
    fs = MemoryFS([SampleFile("HomeDomain", "Library/Notes/notes.sqlite", path.read_bytes())])
    _, case = scan(fs, tmp_path / "case")
    with case:
        (note,) = case.records("notes")
    assert (note["title"], note["folder"], note["account"]) == ("Packing list", "Notes", "On My iPhone")
    assert note["text"].startswith("Packing list\nPassport & tickets\n")
    assert note["modified"] == "2013-09-04T15:16:40Z"
    assert "<script>" not in note["html"] and "&amp; tickets" in note["html"]
    assert "alert" not in note["text"]  # script content is not note text


@pytest.mark.parametrize(("title", "name", "tint"), [
    ("Wi-Fi and door codes", "router-label.jpeg", 60),  # iOS 9-16: file named by media UUID, name encrypted
    ("Passport and PINs", "passport-scan.jpeg", 120),  # iOS 17+: <name>.encrypted encryption object
])
def test_sample_locked_note_attachments_are_decrypted(
        sample: tuple[KindStatus, dict[str, dict[str, Any]], Path], title: str, name: str, tint: int) -> None:
    _, notes, folder = sample
    (photo,) = notes[title]["attachments"]
    expected = sample_notes.sample_jpeg(tint=tint)
    assert (photo["name"], photo["mime"], photo["missing"]) == (name, "image/jpeg", False)
    assert photo["sha256"] == hashlib.sha256(expected).hexdigest()
    with CaseReader(folder) as case:
        assert case.media_path(photo["sha256"]).read_bytes() == expected
    assert f'data-sha256="{photo["sha256"]}"' in notes[title]["html"]


def test_sample_locked_note_attachments_stay_sealed_without_the_password(tmp_path: Path) -> None:
    _, case = scan(MemoryFS(sample_notes.files(SampleContext())), tmp_path / "case", note_passwords=["letmein"])
    with case:
        locked = [n for n in case.records("notes") if n["locked"]]
        assert len(locked) == 2 and all(n["attachments"] == [] for n in locked)
        for tint in (60, 120):  # the decrypted photos never reach the case
            assert case.media_path(hashlib.sha256(sample_notes.sample_jpeg(tint=tint)).hexdigest()) is None


def test_erased_ios17_locked_note_is_carved_and_opened(tmp_path: Path) -> None:
    """An iOS 17+ sealed body carries its own salt: once carved it opens with the password alone."""
    import sqlite3

    from reclaim.sample.model import SampleFile

    files = list(sample_notes.files(SampleContext()))
    store = next(f for f in files if f.path == "NoteStore.sqlite")
    path = tmp_path / "NoteStore.sqlite"
    path.write_bytes(store.data)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    (pk,) = conn.execute("SELECT Z_PK FROM ZICCLOUDSYNCINGOBJECT WHERE ZTITLE1='Passport and PINs'").fetchone()
    conn.execute("DELETE FROM ZICNOTEDATA WHERE ZNOTE=?", (pk,))
    conn.execute("DELETE FROM ZICCLOUDSYNCINGOBJECT WHERE Z_PK=?", (pk,))
    conn.commit()
    conn.close()
    edited = [SampleFile(f.domain, f.path, path.read_bytes()) if f is store else f for f in files]
    _, case = scan(MemoryFS(edited), tmp_path / "case", recover_deleted=True,
                   note_passwords=["letmein", sample_notes.PASSWORD])
    with case:
        carved = [n for n in case.records("notes") if "Debit card PIN: 6021" in n["text"]]
    (note,) = carved
    assert note["deleted"] is True and note["provenance"]["area"] != "app"
    assert note["locked"] is True and note["unlocked"] is True and note["unlock_error"] == ""
    assert note["password_hint"] == "same as the old notes one"


def test_a_locked_attachment_is_decrypted_in_chunks_and_its_check_comes_at_the_end() -> None:
    import io
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from reclaim.decoders.notes_crypto import DecryptingReader, NoteCryptoError

    key, iv, plain = bytes(range(16)), b"\x07" * 16, os.urandom(3 * (1 << 20) + 123)
    sealed = AESGCM(key).encrypt(iv, plain, None)
    body, tag = sealed[:-16], sealed[-16:]
    reader = DecryptingReader(io.BytesIO(body), key, iv, tag)
    chunks = []
    while chunk := reader.read(1 << 20):
        chunks.append(chunk)
    assert b"".join(chunks) == plain and max(map(len, chunks)) <= 1 << 20
    damaged = bytearray(body)
    damaged[-1] ^= 1
    reader = DecryptingReader(io.BytesIO(bytes(damaged)), key, iv, tag)
    with pytest.raises(NoteCryptoError, match="fails its check"):
        while reader.read(1 << 20):
            pass


def _scan_with_a_flipped_byte(tmp_path: Path, suffix: str, at: int) -> tuple[dict[str, Any], set[str]]:
    """Scan the sample's notes with one byte of the file ending in ``suffix`` flipped (``at``: its index, from
    the end when negative, or the middle when 0); the notes by title and the names of the files stored."""
    from reclaim.sample.model import SampleFile

    files = []
    for item in sample_notes.files(SampleContext()):
        if item.path.endswith(suffix):
            data = bytearray(item.data)
            data[at or len(data) // 2] ^= 1
            item = SampleFile(item.domain, item.path, bytes(data), mtime=item.mtime)
        files.append(item)
    _, case = scan(MemoryFS(files), tmp_path / "case", note_passwords=[sample_notes.PASSWORD])
    with case:
        notes = {n["title"]: n for n in case.records("notes")}
    return notes, {p.name for p in (tmp_path / "case" / "media").rglob("*") if p.is_file()}


def test_a_damaged_locked_attachment_is_listed_missing_and_nothing_of_it_is_stored(tmp_path: Path) -> None:
    # the iOS 9-16 sealed photo: its last byte flipped
    notes, stored = _scan_with_a_flipped_byte(tmp_path, f"/{sample_notes.LOCKED_V1_MEDIA}", -1)
    (photo,) = notes["Wi-Fi and door codes"]["attachments"]
    assert (photo["name"], photo["missing"], photo["sha256"]) == ("router-label.jpeg", True, None)
    assert notes["Passport and PINs"]["attachments"][0]["missing"] is False  # the other one still opens
    leftovers = [name for name in stored if name.endswith(".part")]
    assert leftovers == []
    assert hashlib.sha256(sample_notes.sample_jpeg(tint=60)).hexdigest() not in stored


def test_an_ios17_locked_attachment_is_found_in_its_archive_and_decrypted_in_chunks() -> None:
    import io

    from reclaim.decoders.notes_crypto import (
        DecryptingReader,
        encryption_object_key,
        locate_encryption_object,
        parse_encryption_object,
    )

    (item,) = [f for f in sample_notes.files(SampleContext()) if f.path.endswith("passport-scan.jpeg.encrypted")]
    sealed = locate_encryption_object(item.data)  # what the scan maps from a local copy
    whole = parse_encryption_object(item.data)
    assert (sealed.obj.salt, sealed.obj.iterations, sealed.obj.wrapped_key, sealed.obj.authenticated_data) == (
        whole.salt, whole.iterations, whole.wrapped_key, whole.authenticated_data)
    assert item.data[sealed.start:sealed.stop] + sealed.iv + sealed.tag == whole.encrypted_data
    key = encryption_object_key(sample_notes.PASSWORD, sealed.obj)
    stream = io.BytesIO(item.data)
    stream.seek(sealed.start)
    reader = DecryptingReader(stream, key, sealed.iv, sealed.tag, associated=sealed.obj.authenticated_data,
                              length=sealed.stop - sealed.start)
    chunks = []
    while chunk := reader.read(100):
        chunks.append(chunk)
    assert b"".join(chunks) == sample_notes.sample_jpeg(tint=120)
    assert stream.tell() == sealed.stop  # the IV and tag after the data are not read as data


def test_a_damaged_ios17_locked_attachment_is_missing_and_was_never_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = NotesArtifact._open_sealed

    def no_whole_attachment(self: Any, data: bytes, row: dict[str, Any], password: str, prefix: str) -> bytes:
        assert prefix != "ZASSETCRYPTO", "an attachment's archive was read whole"
        return opened(self, data, row, password, prefix)

    monkeypatch.setattr(NotesArtifact, "_open_sealed", no_whole_attachment)
    notes, stored = _scan_with_a_flipped_byte(tmp_path, "passport-scan.jpeg.encrypted", 0)  # inside the sealed data
    (photo,) = notes["Passport and PINs"]["attachments"]
    assert (photo["name"], photo["missing"]) == ("passport-scan.jpeg", True)
    assert notes["Wi-Fi and door codes"]["attachments"][0]["missing"] is False
    assert not any(name.endswith(".part") for name in stored)
    assert hashlib.sha256(sample_notes.sample_jpeg(tint=120)).hexdigest() not in stored


def test_notes_are_found_when_z_primarykey_is_lost(corpus: Path, corpus_notes: list[dict[str, Any]],
                                                   tmp_path: Path) -> None:
    """The table naming Core Data's entities lost (its one page destroyed, here emptied): every note was lost with
    it ("no ICNote entity"); the entities are now told from the rows, and each note keeps its folder and account."""
    import sqlite3
    import zipfile

    with zipfile.ZipFile(corpus / "ileapp/cases/notes/testdata.notes.notes.josh_ios17_ffs.zip") as archive:
        archive.extractall(tmp_path / "extraction")
    (store,) = (tmp_path / "extraction").rglob("NoteStore.sqlite")
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA secure_delete=0")
        conn.execute("DELETE FROM Z_PRIMARYKEY")
    status, case = scan(open_source(tmp_path / "extraction"), tmp_path / "case")
    with case:
        records = list(case.records("notes", order="rid"))
    assert (status.live, status.deleted, status.reason) == (12, 2, "")
    fields = ("id", "title", "folder", "account", "text", "created", "modified")
    assert [{k: r.get(k) for k in fields} for r in records] == [{k: r.get(k) for k in fields} for r in corpus_notes]
    assert any(r.get("folder") for r in records) and any(r.get("account") for r in records)
