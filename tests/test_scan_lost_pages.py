"""A backup whose databases lost their first page, or lost a ``-wal`` file: each kind still gives what can be
read, says what is missing, and a database another kind only looks names up in never costs that kind."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sources import open_source
from reclaim.sources.manifest_db import file_id

BOOK = ("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb")
WECHAT_CONTACTS = ("AppDomain-com.tencent.xin", "Documents/033f90cb0c2f2064c0b685be234c7a8f/DB/WCDB_Contact.sqlite")


def _stored(backup: Path, domain: str, path: str) -> Path:
    fid = file_id(domain, path)
    return backup / fid[:2] / fid


def _lose_first_page(backup: Path, domain: str, path: str) -> str:
    """Zero the file's first 4 KiB (its page 1); the damaged file's SHA-256."""
    stored = _stored(backup, domain, path)
    with stored.open("r+b") as handle:
        handle.write(bytes(4096))
    return hashlib.sha256(stored.read_bytes()).hexdigest()


def _scan(backup: Path, case: Path, kinds: list[str]) -> tuple[dict[str, tuple[int, int, str, list[str]]],
                                                               dict[str, dict]]:
    """Each kind's (live, deleted, reason, warnings), and every record by id."""
    with open_source(backup) as fs:
        result = scan(fs, case, kinds=kinds, options=ScanOptions(recover_deleted=True))
    with CaseReader(case) as reader:
        records = {r["id"]: json.loads(r["data"]) for r in reader.conn.execute("SELECT id, data FROM records")}
    return {k.kind: (k.live, k.deleted, k.reason, k.warnings) for k in result.kinds}, records


def test_an_address_book_without_its_first_page_gives_every_contact_and_name(
        sample_backup: Path, tmp_path: Path) -> None:
    """Its list of tables spans several pages: found again on the others, the file reads whole (it was "not a
    database": Contacts, Calls, Messages, Voicemail and WhatsApp all stopped)."""
    kinds = ["contacts", "calls", "messages", "voicemail"]
    healthy, healthy_records = _scan(sample_backup, tmp_path / "healthy", kinds)
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    damaged_sha = _lose_first_page(backup, *BOOK)
    found, records = _scan(backup, tmp_path / "case", kinds)
    assert {k: v[:3] for k, v in found.items()} == {k: v[:3] for k, v in healthy.items()}
    assert found["contacts"][0] == 41
    assert records == healthy_records  # names of senders and callers included
    assert any(w.startswith(f"{BOOK[0]}/{BOOK[1]} is damaged (its first page, which holds its header and says "
                            "where its tables are, is lost): read around the damage") for w in found["contacts"][3])
    assert hashlib.sha256(_stored(backup, *BOOK).read_bytes()).hexdigest() == damaged_sha


def test_a_wechat_contact_database_beyond_reading_costs_names_not_messages(
        sample_backup: Path, tmp_path: Path) -> None:
    """Its list of tables fitted in page 1: gone. WeChat's messages all still come (they stopped: 0 of 2,873),
    senders shown by their WeChat IDs; WeChat contacts says why it has none."""
    kinds = ["wechat", "wechat-contacts"]
    healthy, healthy_records = _scan(sample_backup, tmp_path / "healthy", kinds)
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    _lose_first_page(backup, *WECHAT_CONTACTS)
    found, records = _scan(backup, tmp_path / "case", kinds)
    assert found["wechat"][:3] == healthy["wechat"][:3] and found["wechat"][0] == 2873
    source = f"{WECHAT_CONTACTS[0]}/{WECHAT_CONTACTS[1]}"
    assert found["wechat"][3] == [f"{source}: damaged beyond reading: page 1 is not a table b-tree page: the list of "
                                  "its tables is lost (no other page holds it): people and chats are shown by their "
                                  "WeChat IDs, not by name"]
    assert found["wechat-contacts"][:3] == (0, 0, f"{source}: damaged beyond reading: page 1 is not a table b-tree "
                                                  "page: the list of its tables is lost (no other page holds it)")
    messages = {i: r for i, r in records.items() if r["kind"] == "wechat" and not r["deleted"]}
    assert messages.keys() == {i for i, r in healthy_records.items() if r["kind"] == "wechat" and not r["deleted"]}
    renamed = [(healthy_records[i], r) for i, r in messages.items() if r["sender"] != healthy_records[i]["sender"]]
    assert renamed and all(new["sender_id"] == old["sender_id"] and new["text"] == old["text"]
                           for old, new in renamed)
    assert any(new["sender"] == new["sender_id"] != "" for _, new in renamed)


def test_a_wal_missing_from_the_backup_is_said_and_its_database_read_without_it(
        sample_backup: Path, tmp_path: Path) -> None:
    healthy, _ = _scan(sample_backup, tmp_path / "healthy", ["messages"])
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    wal = _stored(backup, "HomeDomain", "Library/SMS/sms.db-wal")
    wal.unlink()
    found, records = _scan(backup, tmp_path / "case", ["messages"])
    live, deleted, reason, warnings = found["messages"]
    assert reason == "" and 200 < live <= healthy["messages"][0]
    assert warnings == [f"{backup}: file {wal.name} of HomeDomain/Library/SMS/sms.db-wal is missing: "
                        "HomeDomain/Library/SMS/sms.db is read without it (what the app wrote to it since its last "
                        "checkpoint is lost)"]
    assert len([r for r in records.values() if r["kind"] == "messages"]) == live + deleted


WECHAT = "AppDomain-com.tencent.xin"
WECHAT_FOLDER = "Documents/033f90cb0c2f2064c0b685be234c7a8f"


@pytest.mark.parametrize(("domain", "path", "kinds", "lost"), [
    ("HomeDomain", "Library/AddressBook/AddressBookImages.sqlitedb", ["contacts"],
     "the contacts' pictures are left out"),
    ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ContactsV2.sqlite", ["whatsapp", "whatsapp-calls"],
     "people are shown by their WhatsApp numbers, not by name"),
    (WECHAT, f"{WECHAT_FOLDER}/session/session.db", ["wechat"],
     "the chat list's last messages and unread counts are left out"),
    (WECHAT, f"{WECHAT_FOLDER}/fts/fts_message.db", ["wechat"],
     "texts that only WeChat's search index still holds (of deleted or unreadable messages) are left out"),
], ids=["contact-pictures", "whatsapp-contacts", "wechat-chat-list", "wechat-search-index"])
def test_a_file_a_kind_can_do_without_costs_only_what_it_held(
        domain: str, path: str, kinds: list[str], lost: str, sample_backup: Path, tmp_path: Path) -> None:
    """Each of these stopped its kinds when damaged beyond reading (0 contacts, 0 WhatsApp messages and calls,
    0 WeChat messages): now every record still comes, with a warning naming the file and what is missing."""
    healthy, healthy_records = _scan(sample_backup, tmp_path / "healthy", kinds)
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    _lose_first_page(backup, domain, path)
    found, records = _scan(backup, tmp_path / "case", kinds)
    assert {k: v[:3] for k, v in found.items()} == {k: v[:3] for k, v in healthy.items()}
    assert records.keys() == healthy_records.keys()
    warning = (f"{domain}/{path}: damaged beyond reading: page 1 is not a table b-tree page: the list of its tables "
               f"is lost (no other page holds it): {lost}")
    assert all(warning in v[3] for v in found.values()), found


def test_a_wechat_message_file_beyond_reading_costs_its_own_messages_only(
        sample_backup: Path, tmp_path: Path) -> None:
    """One shard's loss stopped the walk there: the shards after it were lost too (305 of 2,873 came)."""
    shard = f"{WECHAT_FOLDER}/DB/message_1.sqlite"
    _, healthy_records = _scan(sample_backup, tmp_path / "healthy", ["wechat"])
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    _lose_first_page(backup, WECHAT, shard)
    found, records = _scan(backup, tmp_path / "case", ["wechat"])
    others = {i for i, r in healthy_records.items() if not r["deleted"] and r["source"] != f"{WECHAT}/{shard}"}
    assert 1000 < len(others) < 2873
    assert {i for i, r in records.items() if not r["deleted"]} == others
    assert found["wechat"][0] == len(others)
    assert f"{WECHAT}/{shard}: damaged beyond reading: page 1 is not a table b-tree page: the list of its tables is " \
           "lost (no other page holds it): its messages are lost (those of the other files still come)" \
           in found["wechat"][3]


def test_an_encrypted_wal_garbled_whole_is_read_past(sample_backup_encrypted: Path, tmp_path: Path) -> None:
    """Its ciphertext replaced by random bytes (a damaged copy): its last block no longer holds valid padding, and
    "bad padding (wrong key or damaged file)" stopped Messages; the database is now read as without its WAL."""
    import random

    from reclaim.sample import SAMPLE_PASSWORD

    backup = tmp_path / "backup"
    shutil.copytree(sample_backup_encrypted, backup)
    wal = _stored(backup, "HomeDomain", "Library/SMS/sms.db-wal")
    wal.write_bytes(random.Random(4).randbytes(wal.stat().st_size))
    with open_source(backup, password=SAMPLE_PASSWORD) as fs:
        result = scan(fs, tmp_path / "case", kinds=["messages"], options=ScanOptions(recover_deleted=False))
    (status,) = result.kinds
    assert status.reason == "" and 200 < status.live < 246


@pytest.mark.parametrize("name", ["sms.db", "evidence-0042.bin"])
def test_a_lone_database_without_its_first_page_is_scanned(sample_backup: Path, tmp_path: Path, name: str) -> None:
    """Given alone (``reclaim scan sms.db``): zeros at its start made it "an archive with no iPhone file system
    inside" (an empty tar, to tarfile), and under another name "not a database"."""
    from reclaim.sources.single import SingleFileSource

    path = tmp_path / name
    shutil.copyfile(_stored(sample_backup, "HomeDomain", "Library/SMS/sms.db"), path)
    with path.open("r+b") as handle:
        handle.write(bytes(4096))
    with open_source(path) as fs:
        assert isinstance(fs, SingleFileSource)
        if name == "sms.db":
            result = scan(fs, tmp_path / "case", kinds=["messages"], options=ScanOptions(recover_deleted=False))
            assert 200 < result.kinds[0].live <= 246


@pytest.mark.parametrize(("domain", "path", "kind", "lost"), [
    ("HomeDomain", "Library/Calendar/Calendar.sqlitedb", "reminders",
     "its reminders are lost (those of the other stores still come)"),
    (WECHAT, f"{WECHAT_FOLDER}/DB/message_1.sqlite", "wechat-friend-requests",
     "its friend requests are lost (those of the other files still come)"),
], ids=["reminders-calendar-store", "wechat-shard"])
def test_one_of_several_databases_destroyed_costs_only_its_own_records(
        domain: str, path: str, kind: str, lost: str, sample_backup: Path, tmp_path: Path) -> None:
    """Random bytes where one of a kind's several databases was: the others' records still come, the lost one is a
    warning (the kind stopped at it: "stopped early", found by damage_sweep.py seed 10)."""
    healthy, healthy_records = _scan(sample_backup, tmp_path / "healthy", [kind])
    backup = tmp_path / "backup"
    shutil.copytree(sample_backup, backup)
    stored = _stored(backup, domain, path)
    stored.write_bytes(bytes(range(256)) * (stored.stat().st_size // 256 + 1))
    for sidecar in (stored.with_name(file_id(domain, path + s)) for s in ("-wal", "-journal")):
        sidecar.unlink(missing_ok=True)
    status, records = _scan(backup, tmp_path / "case", [kind])
    live, deleted, reason, warnings = status[kind]
    assert reason == "" and any(f"{domain}/{path}" in w and lost in w for w in warnings)
    assert 0 < live + deleted <= healthy[kind][0] + healthy[kind][1]
    assert set(records) <= set(healthy_records)  # the others' records, as they were
    assert all(records[i] == healthy_records[i] for i in records)
