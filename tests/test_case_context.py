"""How a scan opens a source's databases: in place when nothing needs replaying, else as a private copy
with its WAL; either way the source never changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import scan
from reclaim.sample import SAMPLE_PASSWORD
from reclaim.sources import open_source


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_database_without_a_wal_is_read_in_place_and_one_with_a_wal_from_a_copy(sample_backup: Path) -> None:
    with open_source(sample_backup) as fs:
        ctx = ScanContext(fs, None, ScanOptions(), kind="test")
        voicemail = fs.get("HomeDomain", "Library/Voicemail/voicemail.db")
        assert voicemail is not None and not fs.sidecars(voicemail)
        with ctx.database(voicemail) as db:
            assert db.in_place and db.path.is_relative_to(sample_backup)
            assert db.conn.execute("SELECT count(*) FROM voicemail").fetchone()[0] > 0
        sms = fs.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and fs.sidecars(sms)  # its latest rows are only in the -wal
        with ctx.database(sms) as db:
            assert not db.in_place and not db.path.is_relative_to(sample_backup)
            assert db.conn.execute("SELECT count(*) FROM message").fetchone()[0] > 0


def test_an_encrypted_backup_is_always_read_from_copies(sample_backup_encrypted: Path) -> None:
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        ctx = ScanContext(fs, None, ScanOptions(), kind="test")
        voicemail = fs.get("HomeDomain", "Library/Voicemail/voicemail.db")
        assert voicemail is not None and fs.local_path(voicemail) is None
        with ctx.database(voicemail) as db:
            assert not db.in_place and "voicemail" in db.tables()


def test_a_full_scan_with_recovery_leaves_every_file_of_the_backup_as_it_was(sample_backup: Path,
                                                                            tmp_path: Path) -> None:
    before = _snapshot(sample_backup)
    with open_source(sample_backup) as fs:
        result = scan(fs, tmp_path / "case", options=ScanOptions(recover_deleted=True))
    assert result.records > 3000
    assert _snapshot(sample_backup) == before  # same files, same bytes: no -shm, -journal or lock left
