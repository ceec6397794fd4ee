"""Encrypted backups: the real pyiosbackup corpus (password 0000), the encrypted sample, legacy mbdb."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.errors import CorruptFile, PasswordRequired, WrongPassword
from reclaim.sample.builder import write_legacy_backup
from reclaim.sample.model import SampleFile
from reclaim.sources import open_source
from reclaim.sources.itunes import ITunesBackup

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "encrypted-backups-pyiosbackup"
IOS10 = CORPUS / "encrypted_sqlite3_ios10_3"
IOS9 = CORPUS / "encrypted_mbdb_ios9_0_1"


@pytest.fixture(scope="module")
def ios10_key() -> bytes:
    """The ios10_3 keybag's derived key: DPIC 10,000,000 (~5 s), so derived once for the module."""
    with open_source(IOS10, password="0000") as src:
        assert isinstance(src, ITunesBackup)
        key = src.derived_key
    assert key is not None and len(key) == 32
    return key


def _check_test_txt(src: ITunesBackup) -> None:
    entries = list(src.entries())
    assert [(e.domain, e.path) for e in entries] == [("MyTestDomain", "Media/Test.txt")]
    entry = src.get("MyTestDomain", "Media/Test.txt")
    assert entry is not None
    assert entry.file_id == "5727bd1c5fa1055e15d8b4a75a74793c84b5ffdc"
    assert (entry.size, entry.mtime, entry.birth, entry.mode) == (9, 1628082463, 1627974948, 33261)
    assert datetime.fromtimestamp(entry.mtime, UTC) == datetime(2021, 8, 4, 13, 7, 43, tzinfo=UTC)
    assert src.read_bytes(entry) == b"Test data"
    with src.open(entry) as stream:
        stream.seek(5)
        assert stream.read() == b"data"


def test_ios10_3_corpus_decrypts(ios10_key: bytes) -> None:
    with open_source(IOS10, derived_key=ios10_key) as src:
        assert isinstance(src, ITunesBackup)
        assert src.info.encrypted and src.info.product_version == "10.3"
        assert src.keybag is not None and src.keybag.version == 5 and src.keybag.dpic == 10_000_000
        _check_test_txt(src)
        temp_db = src._manifest.path  # type: ignore[union-attr]
        assert temp_db.exists() and IOS10 not in temp_db.parents
    assert not temp_db.exists()  # the decrypted Manifest.db is removed on close


def test_ios10_3_stale_derived_key_is_wrong_password() -> None:
    with pytest.raises(WrongPassword, match=r"^wrong password for backup encrypted_sqlite3_ios10_3$"):
        open_source(IOS10, derived_key=bytes(32))


def test_ios9_mbdb_corpus_decrypts_and_rejects_wrong_password() -> None:
    with open_source(IOS9, password="0000") as src:
        assert isinstance(src, ITunesBackup) and src.legacy and src.keybag.version == 3  # type: ignore[union-attr]
        assert src.get("MyTestDomain", "Media/Test.txt").protection_class == 4  # type: ignore[union-attr]
        _check_test_txt(src)
    with pytest.raises(WrongPassword, match=r"^wrong password for backup encrypted_mbdb_ios9_0_1$"):
        open_source(IOS9, password="1234")


def test_password_provider_called_only_when_encrypted(sample_backup: Path) -> None:
    calls: list[str] = []

    def provider(name: str) -> str:
        calls.append(name)
        return "0000"

    with open_source(sample_backup, password_provider=provider):
        pass
    assert calls == []
    with open_source(IOS9, password_provider=provider) as src:
        assert src.read_bytes(src.get("MyTestDomain", "Media/Test.txt")) == b"Test data"  # type: ignore[arg-type]
    assert calls == ["encrypted_mbdb_ios9_0_1"]
    with pytest.raises(PasswordRequired):
        open_source(IOS9)


def test_encrypted_sample(sample_backup: Path, sample_backup_encrypted: Path) -> None:
    with open_source(sample_backup) as plain, open_source(sample_backup_encrypted, password="reclaim") as enc:
        assert enc.info.encrypted and not plain.info.encrypted
        assert enc.derived_key is not None  # type: ignore[attr-defined]
        plain_keys = {(e.domain, e.path) for e in plain.entries()}
        enc_keys = {(e.domain, e.path) for e in enc.entries()}
        assert enc_keys - plain_keys == {("KeychainDomain", ""), ("KeychainDomain", "keychain-backup.plist")}
        checked = 0
        for entry in enc.files():
            assert entry.encryption_key is not None
            assert len(enc.read_bytes(entry)) == entry.size
            checked += 1
        assert checked >= 150
        wifi = ("SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist")
        assert enc.read_bytes(enc.get(*wifi)) == plain.read_bytes(plain.get(*wifi))  # type: ignore[arg-type]
    with pytest.raises(WrongPassword, match=r"wrong password for backup backup"):
        open_source(sample_backup_encrypted, password="Reclaim")


def test_encrypted_manifest_without_manifest_plist(sample_backup_encrypted: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(sample_backup_encrypted, copy)
    (copy / "Manifest.plist").unlink()
    with pytest.raises(CorruptFile, match=r"Manifest.db is encrypted but Manifest.plist"):
        open_source(copy)


def test_an_encrypted_manifest_db_whose_first_page_is_garbled_gives_every_entry(
        sample_backup_encrypted: Path, tmp_path: Path) -> None:
    """Its first 4 KiB of ciphertext destroyed: it decrypts to a file whose first page is garbage (it was refused
    as "not a database (damaged ManifestKey?)"); the entries are found on its other pages. A wrong key still
    gives no page of a database, and is still refused."""
    import random

    from reclaim.sample import SAMPLE_PASSWORD

    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as src:
        every = {(e.domain, e.path) for e in src.entries()}
    copy = tmp_path / "b"
    shutil.copytree(sample_backup_encrypted, copy)
    with (copy / "Manifest.db").open("r+b") as handle:
        handle.write(random.Random(5).randbytes(4096))
    with open_source(copy, password=SAMPLE_PASSWORD) as src:
        assert {(e.domain, e.path) for e in src.entries()} == every
        assert src.info.warnings == ["Manifest.db is damaged (its first page, which says where its tables are, is "
                                     f"lost): {len(every):,} file entries were read from it; files whose entries are "
                                     "lost cannot be decrypted (their keys were in them)"]
        sms = src.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and src.read_bytes(sms)[:16] == b"SQLite format 3\x00"
    with (copy / "Manifest.db").open("r+b") as handle:
        handle.write(random.Random(6).randbytes((copy / "Manifest.db").stat().st_size))
    with pytest.raises(CorruptFile, match=r"decrypted Manifest\.db is not a database"):
        open_source(copy, password=SAMPLE_PASSWORD)


FILES = [
    SampleFile("HomeDomain", "Library", None),
    SampleFile("HomeDomain", "Library/SMS", None),
    SampleFile(
        "HomeDomain",
        "Library/SMS/sms.db",
        b"SQLite format 3\x00" + b"x" * 5000,
        datetime(2016, 3, 1, 12, 0, tzinfo=UTC),
    ),
    SampleFile("MediaDomain", "Media/Recordings/a.m4a", b"\x00" * 17),
    SampleFile("HomeDomain", "Library/link", b"../elsewhere", mode=0o120755),
]


@pytest.mark.parametrize("encrypted", [False, True])
def test_legacy_mbdb_backup(tmp_path: Path, encrypted: bool) -> None:
    root = write_legacy_backup(tmp_path / "legacy", FILES, encrypted=encrypted, password="pw")
    assert (root / "Manifest.mbdb").is_file() and not (root / "Manifest.db").exists()
    with open_source(root, password="pw") as src:
        assert isinstance(src, ITunesBackup) and src.legacy and src.info.encrypted is encrypted
        sms = src.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and sms.size == 5016 and sms.mtime == 1456833600
        assert src.read_bytes(sms).startswith(b"SQLite format 3\x00")
        assert src.read_bytes(src.get("MediaDomain", "Media/Recordings/a.m4a")) == b"\x00" * 17  # type: ignore[arg-type]
        link = src.get("HomeDomain", "Library/link")
        assert link is not None and link.target == "../elsewhere"
        assert len(list(src.files())) == 2 and src.get("HomeDomain", "nope") is None
    if encrypted:
        with pytest.raises(WrongPassword):
            open_source(root, password="PW")


def test_truncated_mbdb_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    """(It was one clear error: the backup was refused whole.)"""
    root = write_legacy_backup(tmp_path / "legacy", FILES)
    data = (root / "Manifest.mbdb").read_bytes()
    (root / "Manifest.mbdb").write_bytes(data[:-30])
    with open_source(root) as src:
        assert [(e.domain, e.path) for e in src.entries()] == [(f.domain, f.path) for f in FILES[:-1]]
        (damage,) = src.damage_found()
        assert damage.startswith("Manifest.mbdb is cut short or damaged from byte ")
