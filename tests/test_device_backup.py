"""Backing up a phone end to end: pymobiledevice3's real client against the emulated phone.

The emulator (tests/emulator) speaks usbmuxd, lockdownd (with its TLS session) and
mobilebackup2's DeviceLink framing; nothing of reclaim or pymobiledevice3 is mocked.
"""

from __future__ import annotations

import hashlib
import plistlib
from pathlib import Path

import pytest
from emulator import EmulatedDevice
from emulator.fixtures import attached, small_backup, tree_digests

from reclaim.errors import WrongPassword
from reclaim.sources import open_source
from reclaim.sources.device import (
    DeviceDisconnected,
    TransferProgress,
    backup_device,
    backup_device_outcome,
)

UDID = "00008110-000A1B2C3D4E5F60"
NOTE = ("HomeDomain", "Library/Notes/notes.txt")
PHOTO = ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG")
VOICE = ("MediaDomain", "Media/Recordings/Memo.m4a")
NEW = ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.JPG")
ADDRESS_BOOK = "Library/AddressBook/AddressBook.sqlitedb"


def _v1() -> dict[tuple[str, str], bytes]:
    return {NOTE: b"milk, eggs", PHOTO: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400, VOICE: b"voice" * 1000}


def _v2() -> dict[tuple[str, str], bytes]:
    files = _v1()
    files[NOTE] = b"milk, eggs, bread"  # changed
    del files[VOICE]  # deleted on the phone
    files[NEW] = b"\xff\xd8\xff\xe1" + b"new photo" * 5000  # added
    return files


def _hashed(backup: Path) -> dict[str, str]:
    """fileID → SHA-256 of every stored file of a backup folder."""
    return {k.split("/")[1]: v for k, v in tree_digests(backup).items() if "/" in k}


def _read(path: Path, domain_path: tuple[str, str], password: str | None = None) -> bytes:
    with open_source(path, password=password) as fs:
        entry = fs.get(*domain_path)
        assert entry is not None, domain_path
        return fs.read_bytes(entry)


def test_backup_of_the_sample_phone_is_a_backup_reclaim_reads(sample_backup: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(sample_backup)
    seen: list[TransferProgress] = []
    with attached(phone) as (_, conn):
        path = backup_device(None, tmp_path / "out", progress=lambda p: seen.append(
            TransferProgress(p.percent, p.files, p.bytes, p.seconds, p.current, p.done)), conn=conn)

    assert path == tmp_path / "out" / UDID
    # every file the phone holds arrived byte for byte
    assert _hashed(path) == _hashed(sample_backup)
    info = plistlib.loads((path / "Info.plist").read_bytes())
    assert (info["Device Name"], info["Product Type"], info["Product Version"]) == ("Alex's iPhone", "iPhone14,5",
                                                                                 "17.4.1")
    final = seen[-1]
    assert final.done and final.percent == 100.0
    assert final.files == len(_hashed(sample_backup)) + 3  # + Manifest.db, Manifest.plist, Status.plist
    assert final.bytes >= sum(p.stat().st_size for p in sample_backup.rglob("*") if p.is_file()) - \
        (sample_backup / "Info.plist").stat().st_size
    # and the pipeline reads it like any backup: the same entries, the same address book
    with open_source(tmp_path / "out") as fs, open_source(sample_backup) as original:  # the parent folder works too
        assert fs.info.device_name == "Alex's iPhone"
        paths = sorted((e.domain, e.path) for e in fs.entries())
        assert paths == sorted((e.domain, e.path) for e in original.entries())
        query = "SELECT First, Last FROM ABPerson ORDER BY ROWID"
        with fs.sqlite("HomeDomain", ADDRESS_BOOK) as a, original.sqlite("HomeDomain", ADDRESS_BOOK) as b:
            names = [tuple(r) for r in a.execute(query)]
            assert names == [tuple(r) for r in b.execute(query)] and len(names) > 3


def test_incremental_backup_continues_after_a_pulled_cable(tmp_path: Path) -> None:
    phone_data = small_backup(tmp_path / "phone-v1", _v1())
    phone = EmulatedDevice(phone_data)
    out = tmp_path / "out"
    with attached(phone) as (_, conn):
        first = backup_device_outcome(None, out, conn=conn)
        assert not first.incremental
        assert _read(first.path, NOTE) == b"milk, eggs"

        # the phone changes: one file edited, one deleted, one added; the cable goes after one file
        v2 = small_backup(tmp_path / "phone-v2", _v2())
        phone.backup = v2
        phone.drop_after = 1
        with pytest.raises(DeviceDisconnected, match="run the same command again"):
            backup_device(None, out, conn=conn)
        assert len(phone.sessions[-1]) == 1

        second = backup_device_outcome(None, out, conn=conn)
    assert second.incremental
    # the phone sent only what changed since the last complete backup, then the new metadata
    changed = {fid for fid, digest in _hashed(v2).items() if _hashed(phone_data).get(fid) != digest}
    assert set(phone.sessions[-1]) == changed | {"Manifest.db", "Manifest.plist", "Status.plist"}
    assert len(changed) == 2
    # the result is the phone's current state, and the deleted file is gone
    assert _hashed(second.path) == _hashed(v2)
    assert _read(second.path, NOTE) == b"milk, eggs, bread"
    assert _read(second.path, NEW) == _v2()[NEW]
    with open_source(second.path) as fs:
        assert fs.get(*VOICE) is None
    assert not (second.path / "Snapshot").exists()


def test_first_backup_cut_short_is_redone_in_full(tmp_path: Path) -> None:
    phone = EmulatedDevice(small_backup(tmp_path / "phone", _v1()), drop_after=2)
    out = tmp_path / "out"
    with attached(phone) as (_, conn):
        with pytest.raises(DeviceDisconnected):
            backup_device(None, out, conn=conn)
        outcome = backup_device_outcome(None, out, conn=conn)
    assert not outcome.incremental
    assert _hashed(outcome.path) == _hashed(phone.backup)
    assert _read(outcome.path, PHOTO) == _v1()[PHOTO]


def test_full_flag_sends_everything_again(tmp_path: Path) -> None:
    phone = EmulatedDevice(small_backup(tmp_path / "phone", _v1()))
    with attached(phone) as (_, conn):
        backup_device(None, tmp_path / "out", conn=conn)
        backup_device(None, tmp_path / "out", conn=conn)
        backup_device(None, tmp_path / "out", full=True, conn=conn)
    metadata = {"Manifest.db", "Manifest.plist", "Status.plist"}
    assert set(phone.sessions[1]) == metadata  # nothing changed: incremental sends metadata only
    assert len(phone.sessions[2]) == len(_v1()) + 3


def test_encrypted_backup_needs_its_password(tmp_path: Path) -> None:
    phone = EmulatedDevice(small_backup(tmp_path / "phone", _v1(), password="1234"))
    with attached(phone) as (_, conn):
        outcome = backup_device_outcome(None, tmp_path / "out", conn=conn)
    assert outcome.encrypted
    assert phone.changed_passwords == []  # encryption left as it was
    assert _read(outcome.path, NOTE, password="1234") == b"milk, eggs"
    with pytest.raises(WrongPassword):
        _read(outcome.path, NOTE, password="0000")
    stored = next(p for p in outcome.path.glob("*/*") if p.is_file())
    assert b"milk, eggs" not in stored.read_bytes()


def test_encryption_is_switched_on_only_when_asked(tmp_path: Path) -> None:
    phone = EmulatedDevice(small_backup(tmp_path / "phone", _v1()))
    with attached(phone) as (_, conn):
        plain = backup_device_outcome(None, tmp_path / "out", conn=conn)
        assert not plain.encrypted and phone.changed_passwords == []
        backup_device_outcome(None, tmp_path / "out", conn=conn, encrypt_with="s3cret")
    assert phone.changed_passwords == [("", "s3cret")]


def test_backup_command_prints_where_the_backup_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from reclaim.commands import backup_device as command

    phone = EmulatedDevice(small_backup(tmp_path / "phone", _v1()))
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["-o", str(tmp_path / "out")])
    with attached(phone) as (_, conn):
        monkeypatch.setattr(command, "connection_from_args", lambda a: conn)
        assert command.run(args) == 0
    err = capsys.readouterr().err
    assert "Backup complete (full)" in err
    assert f"reclaim recover {tmp_path / 'out' / UDID}" in err.replace("\n", "")
    assert hashlib.sha256(_read(tmp_path / "out" / UDID, PHOTO)).hexdigest() == hashlib.sha256(_v1()[PHOTO]).hexdigest()
