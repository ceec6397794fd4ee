"""How a scan opens a source's databases: in place when nothing needs replaying, else as a private copy
with its WAL; either way the source never changes."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pytest

from reclaim.case import context
from reclaim.case import scan as scan_module
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample import SAMPLE_PASSWORD
from reclaim.sample.model import SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS


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


def test_a_scan_copies_each_database_of_an_encrypted_backup_once(sample_backup_encrypted: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat's kinds share its databases and read its search index once per chat: one copy each, removed
    at the end; the case is the one a scan copying at every opening writes."""
    made: list[str] = []
    original = VirtualFS.local_copy

    def counting(self: VirtualFS, entries: Any) -> Any:
        entries = list(entries)
        made.append(f"{entries[0].domain}/{entries[0].path}")
        return original(self, entries)

    monkeypatch.setattr(VirtualFS, "local_copy", counting)
    folders = []
    monkeypatch.setattr(tempfile, "TemporaryDirectory", _remembering(tempfile.TemporaryDirectory, folders))
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        scan(fs, tmp_path / "shared", options=ScanOptions(recover_deleted=True))
    assert len(made) == len(set(made)) > 20
    assert any(p.endswith("fts/fts_message.db") for p in made)
    assert folders and not any(Path(f).exists() for f in folders)  # every copy removed
    made.clear()
    monkeypatch.setattr(scan_module, "DatabaseCopies", lambda: context.DatabaseCopies(budget=0))  # nothing kept
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        scan(fs, tmp_path / "each", options=ScanOptions(recover_deleted=True))
    assert len(made) > len(set(made))
    with CaseReader(tmp_path / "shared") as one, CaseReader(tmp_path / "each") as other:
        rows = "SELECT kind, id, date, deleted, data FROM records ORDER BY kind, id, data"
        assert one.conn.execute(rows).fetchall() == other.conn.execute(rows).fetchall()


def _remembering(factory: Any, folders: list[str]) -> Any:
    def make(*args: Any, **kwargs: Any) -> Any:
        made = factory(*args, **kwargs)
        folders.append(made.name)
        return made
    return make


def test_copies_over_the_budget_are_removed_least_recently_used_first(tmp_path: Path) -> None:
    files = [SampleFile("HomeDomain", f"db{n}.sqlite", bytes(1000)) for n in range(3)]
    fs = MemoryFS(files)
    entries = [fs.get("HomeDomain", f"db{n}.sqlite") for n in range(3)]
    copies = context.DatabaseCopies(budget=2500)
    with copies.copy(fs, [entries[0]]) as (first,):
        with copies.copy(fs, [entries[1]]) as (second,):
            with copies.copy(fs, [entries[2]]) as (third,):
                assert first.exists() and second.exists() and third.exists()  # in use: kept, over budget or not
            assert not third.exists()  # over the budget, and the only one not in use: removed
        assert second.exists()  # within the budget again: kept
    with copies.copy(fs, [entries[2]]) as (again,):
        assert again != third and copies.made == 4  # made again
    assert first.exists() and not second.exists() and again.exists()  # the least recently used one went
    with copies.copy(fs, [entries[0]]) as (found,):
        assert found == first and copies.made == 4  # found, not made again
    copies.close()
    assert not first.exists() and not again.exists()


def test_wechat_reads_its_search_index_from_one_opening_for_all_chats(sample_backup_encrypted: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from reclaim.artifacts.wechat import messages

    opened: list[str] = []
    original = VirtualFS.local_copy

    def counting(self: VirtualFS, entries: Any) -> Any:
        entries = list(entries)
        opened.append(entries[0].path)
        return original(self, entries)

    monkeypatch.setattr(VirtualFS, "local_copy", counting)
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        ctx = ScanContext(fs, None, ScanOptions(recover_deleted=True), kind="wechat")  # no scan-wide copies
        recovered = [r for r in messages.extract(ctx) if r.deleted]
    assert len(recovered) >= 7  # the index was read for every chat, after carving
    assert sum(p.endswith("fts/fts_message.db") for p in opened) == 2  # listed once, read once for every chat
